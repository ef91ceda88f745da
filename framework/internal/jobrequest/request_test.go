package jobrequest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/order"
)

// A run request is answered "started" by the process that took it, then with the run's outcome: Await
// returns each as First and Final pick it, and shows neither an answer that does not decode.
func TestSendAndAwaitTheAnswers(t *testing.T) {
	control := memory.NewStore(nil).Open(backend.Retention{})
	defer func() {
		if err := control.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx := context.Background()
	request, err := Send(ctx, control, order.New("report", order.Run))
	if err != nil || request.ID == "" || request.Job != "report" || request.Kind != order.Run ||
		time.Since(request.Made) > time.Minute {
		t.Fatalf("Send = %+v, %v", request, err)
	}
	answered := make(chan error, 1)
	go func() {
		time.Sleep(2 * pollInterval)
		err := control.Answer(ctx, request.ID, contract.ControlAnswer{AppID: "old", Body: []byte(`{"Outcome":"ok"}`)})
		if err == nil {
			err = order.Reply(ctx, control, request.ID, order.Answer{AppID: "a1", Outcome: order.Started, At: time.Now()})
		}
		if err == nil {
			err = order.Reply(ctx, control, request.ID, order.Answer{AppID: "a1", Outcome: "ok", At: time.Now()})
		}
		answered <- err
	}()
	first, err := Await(ctx, control, request.ID, First)
	if err != nil || first.AppID != "a1" {
		t.Fatalf("Await(First) = %+v, %v", first, err)
	}
	final, err := Await(ctx, control, request.ID, Final)
	if err != nil || final.Outcome != "ok" {
		t.Fatalf("Await(Final) = %+v, %v", final, err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
}

// Await gives up with ctx's error when no answer comes; Send returns control's refusal.
func TestAwaitEndsWithItsContext(t *testing.T) {
	control := memory.NewStore(nil).Open(backend.Retention{})
	defer func() {
		if err := control.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*pollInterval)
	defer cancel()
	if _, err := Await(ctx, control, "no-such-request", First); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Await without answers: %v, want the context's deadline", err)
	}
	if _, err := Send(context.Background(), control, order.New("", order.Kill)); err == nil {
		t.Fatal("Send without a job: no error")
	}
}

func TestFinalSkipsStarted(t *testing.T) {
	if _, ok := First(nil); ok {
		t.Fatal("First accepts no answer")
	}
	if _, ok := Final([]order.Answer{{Outcome: order.Started}}); ok {
		t.Fatal("Final accepts a run that only started")
	}
	answer, ok := Final([]order.Answer{{Outcome: order.Started}, {Outcome: "timeout", Detail: "1s"}})
	if !ok || answer.Outcome != "timeout" {
		t.Fatalf("Final = %+v, %v", answer, ok)
	}
}
