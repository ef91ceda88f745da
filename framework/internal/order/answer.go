package order

import (
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// Started is the outcome of the first answer to a Run request, given by the process that took it before
// it runs the job; its second answer is the run's outcome.
const Started contract.Outcome = "started"

// Answer is a process's answer to a request: Started, then the outcome of the run it made for a Run
// request; "killed" for a Kill request whose run it cancelled.
type Answer struct {
	AppID   string           // the answering process's App.AppID()
	Outcome contract.Outcome // Started, the run's outcome ("ok", "timeout", …) or "killed"
	Detail  string           // the run's error, or why it did not run (skipped, paused, …), if known
	At      time.Time        // when the process answered
}

// Validate returns an error naming the field of a that is missing: the app id and the outcome are
// required.
func (a Answer) Validate() error {
	switch {
	case a.AppID == "":
		return fmt.Errorf("control answer %q without an app id: Answer.AppID is required", a.Outcome)
	case a.Outcome == "":
		return fmt.Errorf("control answer of app %q without an outcome: Answer.Outcome is required", a.AppID)
	}
	return nil
}
