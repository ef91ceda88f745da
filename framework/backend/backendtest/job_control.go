package backendtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// TestJobControl runs the conformance suite of contract.JobControl, and of the orders that
// contract.ProcessRegistry.Heartbeat returns, against the stores open makes: pauses, requests and
// answers with their bodies byte for byte, the requests' order and ttl, answers of several processes,
// take-once, bad input and closed clients.
func TestJobControl(t *testing.T, open Open) {
	t.Run("PauseAndResume", func(t *testing.T) { testControlPause(t, open) })
	t.Run("Requests", func(t *testing.T) { testControlRequests(t, open) })
	t.Run("RequestBodies", func(t *testing.T) { testControlRequestBodies(t, open) })
	t.Run("Answers", func(t *testing.T) { testControlAnswers(t, open) })
	t.Run("AnswerBodies", func(t *testing.T) { testControlAnswerBodies(t, open) })
	t.Run("BadInput", func(t *testing.T) { testControlBadInput(t, open) })
	t.Run("TakeAndPaused", func(t *testing.T) { testControlTakeAndPaused(t, open) })
	t.Run("Closed", func(t *testing.T) { testControlClosed(t, open) })
}

func orders(t *testing.T, store contract.Backend) contract.Orders {
	t.Helper()
	got, err := store.Heartbeat(context.Background(), processRecord("poller"), time.Minute)
	if err != nil {
		t.Fatalf("Heartbeat: %v", err)
	}
	return got
}

func setPaused(t *testing.T, store contract.Backend, job string, paused bool) {
	t.Helper()
	if err := store.SetPaused(context.Background(), job, paused); err != nil {
		t.Fatalf("SetPaused(%s, %v): %v", job, paused, err)
	}
}

func testControlPause(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	operator, process := newClient(), newClient()
	if got := orders(t, process); len(got.Paused) != 0 || len(got.Requests) != 0 {
		t.Fatalf("a fresh store's orders: %+v; want none", got)
	}
	setPaused(t, operator, "report", true)
	setPaused(t, operator, "billing", true)
	setPaused(t, operator, "billing", true) // again: no change, no error
	if got := fmt.Sprint(orders(t, process).Paused); got != "[billing report]" {
		t.Fatalf("paused %s; want [billing report], sorted", got)
	}
	setPaused(t, operator, "report", false)
	setPaused(t, operator, "never-paused", false)
	if got := fmt.Sprint(orders(t, newClient()).Paused); got != "[billing]" {
		t.Fatalf("paused %s after resuming report; want [billing], seen by any client", got)
	}
}

func testControlBadInput(t *testing.T, open Open) {
	store := connect(t, open, defaultRetention)()
	ctx := context.Background()
	body := []byte(`{"j":"report"}`)
	for _, bad := range []contract.ControlRequest{
		{Made: time.Now(), Body: body},
		{ID: "x", Body: body},
		{ID: "x", Made: time.Now()},
		{ID: "x", Made: time.Now(), Body: []byte{}},
	} {
		if err := store.AddRequest(ctx, bad); err == nil {
			t.Errorf("AddRequest(%+v) succeeded; want an error naming what is missing", bad)
		}
	}
	for id, bad := range map[string]contract.ControlAnswer{
		"":  {AppID: "a", Body: body},
		"x": {Body: body},
		"y": {AppID: "a"},
	} {
		if err := store.Answer(ctx, id, bad); err == nil {
			t.Errorf("Answer(%q, %+v) succeeded; want an error naming what is missing", id, bad)
		}
	}
	if _, err := store.Answers(ctx, ""); err == nil {
		t.Error("Answers of an empty request id succeeded")
	}
	if err := store.SetPaused(ctx, "", true); err == nil {
		t.Error("SetPaused of an empty job name succeeded")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := store.SetPaused(canceled, "j", true); err == nil {
		t.Error("SetPaused with a cancelled context succeeded")
	}
}

// testControlTakeAndPaused: of many clients taking one request at once, exactly one gets it; Paused
// reads what SetPaused wrote.
func testControlTakeAndPaused(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	ctx := context.Background()
	clients := make([]contract.Backend, 8)
	for i := range clients {
		clients[i] = newClient()
	}
	results := make(chan bool, len(clients))
	errs := make(chan error, len(clients))
	for i, client := range clients {
		go func() {
			taken, err := client.TakeRequest(ctx, "r1", fmt.Sprintf("app-%d", i))
			results <- taken
			errs <- err
		}()
	}
	taken := 0
	for range clients {
		if <-results {
			taken++
		}
		if err := <-errs; err != nil {
			t.Fatalf("TakeRequest: %v", err)
		}
	}
	if taken != 1 {
		t.Fatalf("%d of %d clients took the request; want exactly 1", taken, len(clients))
	}
	if again, err := clients[0].TakeRequest(ctx, "r1", "late"); err != nil || again {
		t.Fatalf("a late TakeRequest = %v, %v; want false", again, err)
	}
	setPaused(t, clients[0], "b", true)
	setPaused(t, clients[0], "a", true)
	if paused, err := clients[1].Paused(ctx); err != nil || fmt.Sprint(paused) != "[a b]" {
		t.Fatalf("Paused = %v, %v; want [a b]", paused, err)
	}
}

// testControlClosed: the job control calls of a closed client fail.
func testControlClosed(t *testing.T, open Open) {
	store := closedClient(t, open)
	ctx := context.Background()
	if err := store.SetPaused(ctx, "j", true); err == nil {
		t.Error("SetPaused after Close: no error")
	}
	if err := store.AddRequest(ctx, controlRequest("r", time.Now())); err == nil {
		t.Error("AddRequest after Close: no error")
	}
	if _, err := store.TakeRequest(ctx, "r", "a"); err == nil {
		t.Error("TakeRequest after Close: no error")
	}
	if _, err := store.Paused(ctx); err == nil {
		t.Error("Paused after Close: no error")
	}
	if err := store.Answer(ctx, "r", controlAnswer("a", "ok")); err == nil {
		t.Error("Answer after Close: no error")
	}
	if _, err := store.Answers(ctx, "r"); err == nil {
		t.Error("Answers after Close: no error")
	}
}
