package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// Every method of this file returns a wrapped ctx error when ctx has ended and an error when the client
// is closed, besides the input errors it names.

// SetPaused implements contract.JobControl.SetPaused: it stores job with note (replacing the note of a
// paused job) or deletes it with its note; it returns an error for an empty job.
func (c *client) SetPaused(ctx context.Context, job string, paused bool, note string) error {
	if job == "" {
		return errors.New("job control: pause or resume of an empty job name: give the name of a cron job")
	}
	if err := c.begin(ctx, fmt.Sprintf("job control: pause or resume %q", job)); err != nil {
		return err
	}
	s := c.store
	s.lock()
	defer s.mu.Unlock()
	if paused {
		s.control.paused[job] = note
	} else {
		delete(s.control.paused, job)
	}
	return nil
}

// AddRequest implements contract.JobControl.AddRequest: it deletes the requests, answers and takes older
// than contract.ControlRequestTTL by the Store's clock and stores request with a copy of its body. It
// returns an error for a missing ID, Made or body (see rules.ValidateControlRequest), or an ID stored
// already.
func (c *client) AddRequest(ctx context.Context, request contract.ControlRequest) error {
	if err := rules.ValidateControlRequest(request); err != nil {
		return err
	}
	if err := c.begin(ctx, fmt.Sprintf("job control: request %q", request.ID)); err != nil {
		return err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	s.control.expire(now.Add(-contract.ControlRequestTTL))
	if _, stored := s.control.requests[request.ID]; stored {
		return fmt.Errorf("job control: request %q is stored already: a request's ID must be unique (a random UUID)", request.ID)
	}
	request.Body = slices.Clone(request.Body)
	s.control.requests[request.ID] = request
	return nil
}

// TakeRequest implements contract.JobControl.TakeRequest: true for the first taker of id only. The
// request need not be stored. It returns an error for an empty id or appID.
func (c *client) TakeRequest(ctx context.Context, id, appID string) (bool, error) {
	if id == "" || appID == "" {
		return false, fmt.Errorf("job control: take request %q for app %q: the request id and the app id are required", id, appID)
	}
	if err := c.begin(ctx, fmt.Sprintf("job control: take request %q", id)); err != nil {
		return false, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	if _, taken := s.control.taken[id]; taken {
		return false, nil
	}
	s.control.taken[id] = now
	return true, nil
}

// Paused implements contract.JobControl.Paused: a copy of the paused jobs with their notes, job name ->
// note ("" for none); nil when none is paused.
func (c *client) Paused(ctx context.Context) (map[string]string, error) {
	if err := c.begin(ctx, "job control: read the paused jobs"); err != nil {
		return nil, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	return s.control.orders(now).Paused, nil
}

// Answer implements contract.JobControl.Answer: it stores a copy of stored after the answers to id so
// far, to expire contract.ControlRequestTTL after now by the Store's clock. The request need not be stored
// (it may have expired). It returns an error for an empty id, app id or body (see
// rules.ValidateControlAnswer).
func (c *client) Answer(ctx context.Context, id string, stored contract.ControlAnswer) error {
	if err := rules.ValidateControlAnswer(id, stored); err != nil {
		return err
	}
	if err := c.begin(ctx, fmt.Sprintf("job control: answer to request %q", id)); err != nil {
		return err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	stored.Body = slices.Clone(stored.Body)
	s.control.answers[id] = append(s.control.answers[id], answer{answer: stored, stored: now})
	return nil
}

// Answers implements contract.JobControl.Answers: copies of the answers to id, in the order stored; none
// (nil) for an unknown request. It returns an error for an empty id.
func (c *client) Answers(ctx context.Context, id string) ([]contract.ControlAnswer, error) {
	if id == "" {
		return nil, errors.New("job control: answers to an empty request ID: give the ID of the request")
	}
	if err := c.begin(ctx, fmt.Sprintf("job control: answers to request %q", id)); err != nil {
		return nil, err
	}
	s := c.store
	s.lock()
	defer s.mu.Unlock()
	var answers []contract.ControlAnswer
	for _, a := range s.control.answers[id] {
		stored := a.answer
		stored.Body = slices.Clone(stored.Body)
		answers = append(answers, stored)
	}
	return answers, nil
}
