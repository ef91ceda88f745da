package local

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// TestSplitRows: the statements of n rows cover the rows in order, each of maxBatchRows rows or of a power of
// two less, at most one of each size under maxBatchRows.
func TestSplitRows(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 255, 256, 257, 1000, 1023, 2049} {
		next, smaller := 0, map[int]bool{}
		err := splitRows(n, func(start, rows int) error {
			if start != next || rows <= 0 || rows > maxBatchRows || rows&(rows-1) != 0 {
				return fmt.Errorf("statement of rows %d to %d after row %d", start, start+rows, next)
			}
			if rows < maxBatchRows && smaller[rows] {
				return fmt.Errorf("a second statement of %d rows", rows)
			}
			smaller[rows] = rows < maxBatchRows
			next = start + rows
			return nil
		})
		if err != nil || next != n {
			t.Errorf("splitRows(%d): %v, rows 0 to %d covered", n, err, next)
		}
	}
}

// keptRuns returns the records of each job that a retention of perJob keeps of history (in append order):
// the newest by tick, then the later appended, newest first.
func keptRuns(history []contract.RunRecord, perJob int) []contract.RunRecord {
	order := make(map[*contract.RunRecord]int)
	byJob := make(map[string][]*contract.RunRecord)
	for i := range history {
		order[&history[i]] = i
		byJob[history[i].Job] = append(byJob[history[i].Job], &history[i])
	}
	var kept []contract.RunRecord
	for _, records := range byJob {
		slices.SortFunc(records, func(a, b *contract.RunRecord) int {
			return cmp.Or(b.Tick.Compare(a.Tick), cmp.Compare(order[b], order[a]))
		})
		for _, r := range records[:min(perJob, len(records))] {
			kept = append(kept, *r)
		}
	}
	return kept
}

// TestLocalHistoryLargeBatches: batches of more records and more jobs than a statement takes (1000 records
// of 300 jobs, several per job with equal and decreasing ticks) keep the newest PerJob records of each job,
// by tick then append order, and run_record_counts counts them.
func TestLocalHistoryLargeBatches(t *testing.T) {
	const perJob, jobs = 3, 300
	retention := historyRetention{PerJob: perJob, MaxAge: time.Hour}
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), retention)
	base := time.Now().Add(-time.Minute).Truncate(time.Microsecond).UTC()
	var history []contract.RunRecord
	for batch := range 3 {
		records := make([]contract.RunRecord, 1000)
		for i := range records {
			tick := base.Add(time.Duration(batch*2-i/jobs%3) * time.Second) // ticks repeat, and go back
			records[i] = historyRecord(fmt.Sprintf("job-%d", i%jobs), fmt.Sprint(batch, i), tick)
		}
		if err := local.AppendRuns(context.Background(), records); err != nil {
			t.Fatal(err)
		}
		history = append(history, records...)
		got, err := local.Runs(context.Background(), contract.RunQuery{})
		if err != nil {
			t.Fatal(err)
		}
		want := keptRuns(history, perJob)
		if diff := runsDiff(got, want); diff != "" {
			t.Fatalf("after batch %d: %s", batch, diff)
		}
		if rows, counted := jobCounts(t, local); rows != counted {
			t.Fatalf("after batch %d: rows %q, counted %q", batch, rows, counted)
		}
	}
}

// runsDiff describes how got differs from want, in any order; "" when they hold the same records.
func runsDiff(got, want []contract.RunRecord) string {
	key := func(r contract.RunRecord) string { return r.Job + " " + r.Tick.String() + " " + string(r.Body) }
	gotKeys, wantKeys := make([]string, len(got)), make([]string, len(want))
	for i, r := range got {
		gotKeys[i] = key(r)
	}
	for i, r := range want {
		wantKeys[i] = key(r)
	}
	slices.Sort(gotKeys)
	slices.Sort(wantKeys)
	if slices.Equal(gotKeys, wantKeys) {
		return ""
	}
	return fmt.Sprintf("%d records, want %d; got:\n%s\nwant:\n%s", len(got), len(want),
		strings.Join(gotKeys, "\n"), strings.Join(wantKeys, "\n"))
}

// TestLocalHistoryTrimCountsWhatItDeletes: when run_record_counts counts more rows of a job than it has
// (rows deleted by hand and not counted out), a trim deletes what there is and counts out what it deleted,
// not what it asked for.
func TestLocalHistoryTrimCountsWhatItDeletes(t *testing.T) {
	retention := historyRetention{PerJob: 3, MaxAge: time.Hour}
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), retention)
	ctx := context.Background()
	now := time.Now()
	var batch []contract.RunRecord
	for i := range 3 {
		batch = append(batch, historyRecord("a", "app", now.Add(time.Duration(i)*time.Second)),
			historyRecord("b", "app", now.Add(time.Duration(i)*time.Second)))
	}
	if err := local.AppendRuns(ctx, batch); err != nil {
		t.Fatal(err)
	}
	db, err := local.database(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE run_record_counts SET runs = runs + 10 WHERE job = 'a'`); err != nil {
		t.Fatal(err)
	}
	later := []contract.RunRecord{historyRecord("a", "app", now.Add(time.Hour)),
		historyRecord("b", "app", now.Add(time.Hour))}
	if err := local.AppendRuns(ctx, later); err != nil {
		t.Fatal(err)
	}
	// a: 4 rows counted 14, so 11 to delete: all 4 go, and 14-4 stay counted; b: as usual.
	if rows, counted := jobCounts(t, local); rows != "b=3" || counted != "a=10 b=3" {
		t.Fatalf("rows %q, counted %q; want rows b=3, counted a=10 b=3", rows, counted)
	}
}
