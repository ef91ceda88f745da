package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// markRunLocal calls local.MarkRun for service, holder and tick and fails the test on an error.
func markRunLocal(t *testing.T, local *localBackend, service, holder string, tick time.Time) bool {
	t.Helper()
	run := contract.RunLease{Service: service, Holder: holder, Tick: tick}
	marked, err := local.MarkRun(context.Background(), run)
	if err != nil {
		t.Fatalf("MarkRun(%s, %s, %s): %v", service, holder, tick.Format(time.RFC3339Nano), err)
	}
	return marked
}

// TestLocalMarkRunMicroseconds: the tick is kept to the microsecond: the same time.Time re-sent (with
// nanoseconds and a monotonic reading, or in UTC without it) is the tick marked, and so is another time of
// the same microsecond; one a microsecond later is another tick.
func TestLocalMarkRunMicroseconds(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{})
	tick := time.Now().Truncate(time.Microsecond).Add(123 * time.Nanosecond) // monotonic, with nanoseconds
	for i, c := range []struct {
		holder string
		tick   time.Time
		marked bool
	}{{"a", tick, true}, {"a", tick, true}, {"a", tick.Round(0).In(time.UTC), true}, {"b", tick, false},
		{"b", tick.Add(876 * time.Nanosecond), false}, {"b", tick.Add(time.Microsecond), true},
		{"a", tick.Add(time.Microsecond), false}} {
		if marked := markRunLocal(t, local, "svc", c.holder, c.tick); marked != c.marked {
			t.Fatalf("call %d: MarkRun(%s, %s) = %t; want %t", i, c.holder, c.tick.Format(time.RFC3339Nano), marked,
				c.marked)
		}
	}
}

// TestLocalMarkRunTrimsOld: a service's mark is kept while its tick is not older than the retention's
// MaxAge by the backend's clock, even when other services mark, and deleted by the service's next mark
// once older; a tick older than MaxAge is marked all the same, until the service's next mark.
func TestLocalMarkRunTrimsOld(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{MaxAge: time.Hour})
	tick := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	clock := tick
	local.now = func() time.Time { return clock }
	markRunLocal(t, local, "svc", "a", tick)
	clock = tick.Add(time.Hour) // the mark is exactly MaxAge old: kept
	if markRunLocal(t, local, "svc", "b", tick) || !markRunLocal(t, local, "svc", "a", tick) {
		t.Fatal("a mark MaxAge old was not kept")
	}
	clock = tick.Add(time.Hour + time.Microsecond)
	markRunLocal(t, local, "other", "a", clock)
	if rows := tableRows(t, local, "service_run_marks"); rows != 2 {
		t.Fatalf("service_run_marks holds %d rows after another service's mark; want 2 (svc's old mark kept)", rows)
	}
	if !markRunLocal(t, local, "svc", "b", tick) {
		t.Fatal("another holder's mark of a tick older than MaxAge = false; want true (the old mark deleted)")
	}
	if !markRunLocal(t, local, "svc", "c", clock) {
		t.Fatal("a fresh tick's first mark = false; want true")
	}
	if rows := tableRows(t, local, "service_run_marks"); rows != 2 {
		t.Fatalf("service_run_marks holds %d rows after svc's next mark; want 2 (svc's old mark deleted)", rows)
	}
}

// TestLocalMarkRunCreatesAfterRead: a read of a folder without a database file (CountRun with limit 0)
// creates nothing; the first mark after it creates the folder and the file.
func TestLocalMarkRunCreatesAfterRead(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	local := openLocal(t, folder, historyRetention{})
	run := contract.RunLease{Service: "svc", Holder: "a", Tick: time.Now()}
	if _, _, err := local.CountRun(context.Background(), run, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(folder); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a read created the folder (stat: %v)", err)
	}
	if !markRunLocal(t, local, "svc", "a", run.Tick) {
		t.Fatal("the first mark = false; want true")
	}
	if _, err := os.Stat(local.databasePath()); err != nil {
		t.Fatalf("the first mark created no database file: %v", err)
	}
}

// checkRunMarkAfterUpgrade checks that an upgraded file marks ticks from none, in service_run_marks.
func checkRunMarkAfterUpgrade(t *testing.T, local *localBackend) {
	t.Helper()
	tick := time.Now()
	for i, c := range []struct {
		holder string
		marked bool
	}{{"new-app", true}, {"new-app", true}, {"other-app", false}} {
		if marked := markRunLocal(t, local, "old-job", c.holder, tick); marked != c.marked {
			t.Fatalf("call %d: MarkRun(%s) on an upgraded file = %t; want %t", i, c.holder, marked, c.marked)
		}
	}
	if rows := tableRows(t, local, "service_run_marks"); rows != 1 {
		t.Fatalf("service_run_marks holds %d rows after a mark on an upgraded file; want 1", rows)
	}
}
