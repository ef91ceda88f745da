package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
)

// lostReplies is a backend whose first claim call of each tick fails as a lost reply would: when apply is
// set the claim is applied before the call fails (the request arrived, its reply did not), else not (the
// request never arrived).
type lostReplies struct {
	contract.Backend
	apply bool

	mu     sync.Mutex
	failed map[time.Time]bool // ticks whose first call failed
}

var errReplyLost = errors.New("i/o timeout: the reply did not come within the call's bound")

func (b *lostReplies) ClaimTick(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	b.mu.Lock()
	first := !b.failed[c.Tick]
	b.failed[c.Tick] = true
	b.mu.Unlock()
	if !first {
		return b.Backend.ClaimTick(ctx, c)
	}
	if b.apply {
		if _, err := b.Backend.ClaimTick(ctx, c); err != nil {
			return contract.Claimed{}, err
		}
	}
	return contract.Claimed{}, errReplyLost
}

// Three processes whose first claim of every tick loses its reply (applied or not): the re-sends settle
// each tick before the next, so each of 3 ticks runs exactly once, on the process the fence names, and its
// log line counts the re-sends.
func TestLostRepliesAreSettledBeforeTheNextTick(t *testing.T) {
	for _, applied := range []bool{true, false} {
		t.Run(fmt.Sprintf("applied=%v", applied), func(t *testing.T) {
			store := memory.NewStore(nil)
			runs := map[time.Time]*atomic.Int32{}
			tick := time.Now().Truncate(time.Second).Add(2 * time.Second) // within the hold window, before its next tick
			for i := 0; i < 3; i++ {
				runs[tick.Add(time.Duration(i)*time.Second)] = &atomic.Int32{}
			}
			logs := &logBuffer{}
			var schedulers []*Scheduler
			for _, app := range []string{"app-a", "app-b", "app-c"} {
				s := New()
				s.AddDistributedCronCommand("svc", "* * * * * *", runnable("job", func(cmd *cobra.Command, _ []string) error {
					ran, _ := TickFrom(cmd.Context())
					runs[ran].Add(1)
					return nil
				}), 5*time.Second)
				env := testEnvironment(logs, app)
				env.Backend = &lostReplies{Backend: store.Open(backend.Retention{}), apply: applied, failed: map[time.Time]bool{}}
				startWithoutTimer(t, s, env)
				schedulers = append(schedulers, s)
			}
			for i := 0; i < 3; i++ {
				var wg sync.WaitGroup
				for _, s := range schedulers {
					wg.Add(1)
					go func() { defer wg.Done(); fire(s, 0, tick.Add(time.Duration(i)*time.Second)) }()
				}
				wg.Wait()
			}
			for at, n := range runs {
				if n.Load() != 1 {
					t.Errorf("tick %s ran %d times; want once", at.Format(time.TimeOnly), n.Load())
				}
			}
			for _, line := range logs.lines(t) {
				if line["outcome"] == "ok" && line[claimResendsKey] == nil {
					t.Errorf("line %v: a run after a lost reply must say its claim was re-sent", line)
				}
				if line["outcome"] == "error" {
					t.Errorf("line %v: the lost reply must be settled", line)
				}
			}
		})
	}
}
