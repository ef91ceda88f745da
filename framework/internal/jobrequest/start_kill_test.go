package jobrequest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/order"
	"github.com/hadeframe/hade/framework/internal/record"
)

// answerAsProcesses heartbeats as the process p1 every 20ms until the returned stop is called, and
// answers each request it has not answered yet: a run with order.Started by p1, a kill with "killed" by
// p1 and by p2.
func answerAsProcesses(t *testing.T, backend contract.Backend) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Go(func() {
		answered := map[string]bool{}
		for ctx.Err() == nil {
			// an error leaves orders empty: the next heartbeat tries again
			orders, _ := backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "p1", Body: []byte("{}")}, time.Second)
			for _, request := range order.Requests(orders) {
				if answered[request.ID] {
					continue
				}
				answered[request.ID] = true
				apps, outcome := []string{"p1"}, order.Started
				if request.Kind == order.Kill {
					apps, outcome = []string{"p1", "p2"}, "killed"
				}
				for _, app := range apps {
					if err := order.Reply(ctx, backend, request.ID, order.Answer{AppID: app, Outcome: outcome,
						At: time.Now()}); err != nil && ctx.Err() == nil {
						t.Error(err)
					}
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	return func() { cancel(); done.Wait() }
}

// Start returns once a process took the run; Kill once each process running the job confirmed; both
// give up with ErrTimedOut, and return Send's error as is.
func TestStartAndKillWaitForTheProcesses(t *testing.T) {
	backend := memory.NewStore(nil).Open(backend.Retention{})
	defer func() {
		if err := backend.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx := context.Background()
	stop := answerAsProcesses(t, backend)
	request, started, err := Start(ctx, backend, order.New("a", order.Run), 5*time.Second)
	if err != nil || request.ID == "" || request.Kind != order.Run || started.AppID != "p1" {
		t.Fatalf("Start = %+v, %+v, %v", request, started, err)
	}
	request, confirmed, err := Kill(ctx, backend, "a", 2, 5*time.Second)
	if err != nil || request.Kind != order.Kill || confirmed != 2 {
		t.Fatalf("Kill = %+v, %d, %v", request, confirmed, err)
	}
	request, confirmed, err = Kill(ctx, backend, "a", 3, 3*pollInterval)
	if !errors.Is(err, ErrTimedOut) || request.ID == "" || confirmed != 2 {
		t.Fatalf("Kill awaiting 3 confirmations = %+v, %d, %v; want 2 and ErrTimedOut", request, confirmed, err)
	}
	stop()
	request, _, err = Start(ctx, backend, order.New("a", order.Run), 3*pollInterval)
	if !errors.Is(err, ErrTimedOut) || request.ID == "" {
		t.Fatalf("Start without a process = %+v, %v; want ErrTimedOut", request, err)
	}
	if _, _, err := Start(ctx, backend, order.New("", order.Run), time.Second); err == nil || errors.Is(err, ErrTimedOut) {
		t.Fatalf("Start without a job = %v; want Send's error", err)
	}
	if _, _, err := Kill(ctx, backend, "", 1, time.Second); err == nil || errors.Is(err, ErrTimedOut) {
		t.Fatalf("Kill without a job = %v; want Send's error", err)
	}
}

func TestRunningCountsProcessesNotRuns(t *testing.T) {
	processes := []record.Process{
		{AppID: "p1", Running: []record.RunningTick{{Job: "a"}, {Job: "a"}, {Job: "b"}}},
		{AppID: "p2", Running: []record.RunningTick{{Job: "b"}}},
		{AppID: "p3", Running: []record.RunningTick{{Job: "a"}}},
	}
	if got := Running(processes, "a"); got != 2 {
		t.Errorf("Running(a) = %d, want 2", got)
	}
	if got := Running(processes, "c"); got != 0 {
		t.Errorf("Running(c) = %d, want 0", got)
	}
}
