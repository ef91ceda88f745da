package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/internal/order"
)

func TestRunRequestNotRunSaysWhy(t *testing.T) {
	s := New()
	s.AddDistributedCronCommand("report", "* * * * * *", runnable("report", func(*cobra.Command, []string) error {
		t.Error("the requested run ran while the entry's previous run went on")
		return nil
	}), time.Second)
	env := testEnvironment(&logBuffer{}, "a")
	env.Backend = memory.NewStore(nil).Open(backend.Retention{})
	startWithoutTimer(t, s, env)
	j := s.jobs[0]
	j.running.Store(true) // a scheduled run of the entry is going on this process
	defer j.running.Store(false)
	request := order.New("report", order.Run)
	now := time.Now()
	outcome, detail := j.handle(s.state.Load(), now.Truncate(time.Millisecond), now, runMode{request: &request})
	if outcome != outcomeSkipped || !strings.Contains(detail, "the previous run of this entry is still going") {
		t.Fatalf("a run request while the entry runs = %s, %q; want skipped, saying why (its answer's detail)", outcome, detail)
	}
}
