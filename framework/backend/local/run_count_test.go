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

// TestLocalCountRunReadCreatesNothing: limit 0 with no database file reads a count of 0 and creates
// neither the file nor the folder; the first count creates them.
func TestLocalCountRunReadCreatesNothing(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	local := openLocal(t, folder, historyRetention{})
	run := contract.RunLease{Service: "svc", Holder: "a", Tick: time.Now()}
	if count, counted, err := local.CountRun(context.Background(), run, 0); err != nil || count != 0 || counted {
		t.Fatalf("CountRun(limit 0) without a file = %d, %t, %v; want 0, false", count, counted, err)
	}
	if _, err := os.Stat(folder); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a read created the folder (stat: %v)", err)
	}
	if count, counted, err := local.CountRun(context.Background(), run, 1); err != nil || count != 1 || !counted {
		t.Fatalf("CountRun(limit 1) = %d, %t, %v; want 1, true", count, counted, err)
	}
	if _, err := os.Stat(local.databasePath()); err != nil {
		t.Fatalf("the first count created no database file: %v", err)
	}
}

// TestLocalCountRunMicroseconds: the tick is kept to the microsecond: the same time.Time re-sent (with
// nanoseconds and a monotonic reading) is the tick counted last; one a microsecond later is another tick.
func TestLocalCountRunMicroseconds(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{})
	tick := time.Now() // monotonic, with nanoseconds
	for i, c := range []struct {
		tick    time.Time
		count   int
		counted bool
	}{{tick, 1, true}, {tick, 1, true}, {tick.Round(0).In(time.UTC), 1, true}, {tick.Add(time.Microsecond), 2, true},
		{tick.Add(2 * time.Microsecond), 2, false}} {
		count, counted, err := local.CountRun(context.Background(), contract.RunLease{Service: "svc", Tick: c.tick}, 2)
		if err != nil || count != c.count || counted != c.counted {
			t.Fatalf("call %d: CountRun = %d, %t, %v; want %d, %t", i, count, counted, err, c.count, c.counted)
		}
	}
}
