package rules

import (
	"errors"
	"fmt"

	"github.com/hadeframe/hade/framework/contract"
)

// ValidateControlRequest returns an error naming the field of r that is missing, for every backend's
// AddRequest: the ID (the key), Made (a request without it would never be seen) and the Body. What the
// body holds is the framework's to check.
func ValidateControlRequest(r contract.ControlRequest) error {
	switch {
	case r.ID == "":
		return errors.New("job control: request without an ID: ControlRequest.ID (a random UUID) is " +
			"required")
	case r.Made.IsZero():
		return fmt.Errorf("job control: request %q without a time: ControlRequest.Made is required", r.ID)
	case len(r.Body) == 0:
		return fmt.Errorf("job control: request %q without a body: ControlRequest.Body (the encoded request) "+
			"is required", r.ID)
	}
	return nil
}

// ValidateControlAnswer returns an error naming what is missing of the answer a to request id, for every
// backend's Answer: the request id, the app id and the Body.
func ValidateControlAnswer(id string, a contract.ControlAnswer) error {
	switch {
	case id == "":
		return fmt.Errorf("job control: answer of app %q to an empty request ID: give the ID of the request",
			a.AppID)
	case a.AppID == "":
		return fmt.Errorf("job control: answer to request %q without an app id: ControlAnswer.AppID is "+
			"required", id)
	case len(a.Body) == 0:
		return fmt.Errorf("job control: answer of app %q to request %q without a body: ControlAnswer.Body "+
			"(the encoded answer) is required", a.AppID, id)
	}
	return nil
}
