package statuspage

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/record"
)

// The Options column shows a limited job's runs left, from the backend's count, and the ticks waiting in
// a buffered job's queue, the most any live process saw.
func TestOptionsShowRunsLeftAndWaitingTicks(t *testing.T) {
	s := engine.New()
	noop := func(*cobra.Command, []string) error { return nil }
	s.AddDistributedCronCommand("limited", "* * * * * *", &cobra.Command{Use: "limited", RunE: noop}, time.Second,
		engine.WithLimitedRuns(5), engine.WithOverlap(engine.OverlapBufferAll))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	jobs := jobsOf(s.Entries())
	store := memory.NewStore(nil).Open(backend.Retention{})
	ctx := context.Background()
	tick := time.Now().Truncate(time.Second)
	for n := range 2 {
		if _, _, err := store.CountRun(ctx, contract.RunLease{Service: "limited", Tick: tick.Add(time.Duration(n) * time.Second)}, 5); err != nil {
			t.Fatal(err)
		}
	}
	for app, waiting := range map[string]int{"app-1": 1, "app-2": 3} {
		stored, err := record.EncodeProcess(record.Process{AppID: app, Heartbeat: time.Now(), Buffered: map[string]int{"limited": waiting}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Heartbeat(ctx, stored, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(Config{Jobs: jobs, History: store, Registry: store, Control: store, Leases: store, AppID: "app-1",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := do(h, http.MethodGet, "/", nil, nil)
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "limited to 5 runs (3 left)") ||
		!strings.Contains(body, "3 tick(s) waiting") || !strings.Contains(body, "overlap buffer_all") {
		t.Fatalf("GET / = %d; want the options with 3 runs left and 3 ticks waiting:\n%s", w.Code, body)
	}
}
