package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/order"
)

func TestRunRequestNotRunSaysWhy(t *testing.T) {
	s, j := busyProcess(t, func(*cobra.Command, []string) error {
		t.Error("the requested run ran while the entry's previous run went on")
		return nil
	})
	defer j.running.Store(false)
	request := order.New("report", order.Run)
	now := time.Now()
	outcome, detail := j.handle(s.state.Load(), now.Truncate(time.Millisecond), now, runMode{request: &request})
	if outcome != outcomeSkipped || !strings.Contains(detail, "the previous run of this entry is still going") {
		t.Fatalf("a run request while the entry runs = %s, %q; want skipped, saying why (its answer's detail)", outcome, detail)
	}
}

func TestCallCancelledByTheStopIsNotRun(t *testing.T) {
	live, stopped := context.Background(), canceledContext()
	failed := fmt.Errorf("run queue in etcd: queue of tick: %w", context.Canceled)
	if outcome, attrs := callFailed(&running{claims: stopped}, "queue the tick", failed); outcome != outcomeNotRun ||
		!strings.Contains(attrText(attrs, "reason"), "began to stop during the call to queue the tick") {
		t.Errorf("a call the stop cancelled = %s, %v; want not_run, saying the process began to stop", outcome, attrs)
	}
	if outcome, attrs := callFailed(&running{claims: live}, "queue the tick", failed); outcome != outcomeError ||
		errorText(attrs) != "queue the tick: "+failed.Error() {
		t.Errorf("a call that failed while the process runs = %s, %v; want error, naming the call", outcome, attrs)
	}
}

// canceledContext returns a context already cancelled, as a stopping process's claims context.
func canceledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
