package rules

import (
	"fmt"

	"github.com/hadeframe/hade/framework/contract"
)

// ValidateControlRequest returns an error naming the field of r that is missing or unknown, for every
// backend's AddRequest. A request without Made is refused: the processes would never see it.
func ValidateControlRequest(r contract.ControlRequest) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("control request of job %q without an ID: ControlRequest.ID (a random UUID) is required", r.Job)
	case r.Job == "":
		return fmt.Errorf("control request %q without a job: ControlRequest.Job is required", r.ID)
	case r.Kind != contract.RequestRun && r.Kind != contract.RequestKill:
		return fmt.Errorf("control request %q of job %q: unknown kind %q, want %q or %q", r.ID, r.Job, r.Kind,
			contract.RequestRun, contract.RequestKill)
	case r.Made.IsZero():
		return fmt.Errorf("control request %q of job %q without a time: ControlRequest.Made is required", r.ID, r.Job)
	}
	return nil
}
