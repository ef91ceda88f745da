package jobrequest

import "github.com/hadeframe/hade/framework/contract"

// started is the outcome of the answer of the process that took a run request, before the run's own.
const started contract.Outcome = "started"

// First accepts the first answer of a run request: the process that took it says "started".
func First(answers []contract.ControlAnswer) (contract.ControlAnswer, bool) {
	if len(answers) == 0 {
		return contract.ControlAnswer{}, false
	}
	return answers[0], true
}

// Final accepts the first answer of a run request that is not "started": the run's outcome.
func Final(answers []contract.ControlAnswer) (contract.ControlAnswer, bool) {
	for _, answer := range answers {
		if answer.Outcome != started {
			return answer, true
		}
	}
	return contract.ControlAnswer{}, false
}
