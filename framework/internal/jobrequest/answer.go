package jobrequest

import "github.com/hadeframe/hade/framework/internal/order"

// First accepts the first answer of a run request: the process that took it says order.Started.
func First(answers []order.Answer) (order.Answer, bool) {
	if len(answers) == 0 {
		return order.Answer{}, false
	}
	return answers[0], true
}

// Final accepts the first answer of a run request that is not order.Started: the run's outcome.
func Final(answers []order.Answer) (order.Answer, bool) {
	for _, answer := range answers {
		if answer.Outcome != order.Started {
			return answer, true
		}
	}
	return order.Answer{}, false
}
