package engine

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// switchableHistory is a run history in memory whose writes fail while failing is set: the recorder's
// hand-off and loss accounting are tested against it; the real stores pass framework/internal/backendtest.
type switchableHistory struct {
	mu      sync.Mutex
	failing bool
	batches [][]contract.RunRecord
}

func (h *switchableHistory) AppendRuns(_ context.Context, records []contract.RunRecord) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failing {
		return errors.New("store is down")
	}
	h.batches = append(h.batches, append([]contract.RunRecord(nil), records...))
	return nil
}

func (h *switchableHistory) Runs(context.Context, contract.RunQuery) ([]contract.RunRecord, error) {
	return nil, errors.New("not used")
}

func (h *switchableHistory) LastRuns(context.Context, []string) (map[string]contract.RunRecord, error) {
	return nil, errors.New("not used")
}

func (h *switchableHistory) setFailing(failing bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failing = failing
}

func (h *switchableHistory) written() (records, batches int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, batch := range h.batches {
		records += len(batch)
	}
	return records, len(h.batches)
}

func waitUntil(t *testing.T, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRecorderBatchesCountsLossAndLogsEachOutageOnce(t *testing.T) {
	history := &switchableHistory{}
	logs := &logBuffer{}
	r := startRecorder(history, slog.New(slog.NewJSONHandler(logs, nil)), nil)
	for i := 0; i < 500; i++ {
		r.record(record.Run{Job: "a", Tick: time.Unix(int64(i), 0)})
	}
	waitUntil(t, "500 records are written", func() bool { n, _ := history.written(); return n == 500 })
	if _, batches := history.written(); batches >= 500 {
		t.Fatalf("500 records took %d writes: they must be batched", batches)
	}
	history.setFailing(true)
	for i := 0; i < 3; i++ { // three failing writes, one outage
		r.record(record.Run{Job: "a"})
		waitUntil(t, "the record is counted lost", func() bool { return r.lost.Load() == int64(i+1) })
	}
	history.setFailing(false)
	r.record(record.Run{Job: "a"})
	r.close()
	r.record(record.Run{Job: "late"}) // after close: counted, never sent
	if n, _ := history.written(); n != 501 || r.lost.Load() != 4 {
		t.Fatalf("written %d, lost %d; want 501 written and 4 lost (3 in the outage, 1 after close)", n, r.lost.Load())
	}
	text := logs.buf.String()
	if strings.Count(text, "a write failed") != 1 || strings.Count(text, "writes work again") != 1 {
		t.Fatalf("the outage must be logged once and its end once:\n%s", text)
	}
}

// A stuck store never blocks a run: once the queue is full, the oldest waiting records make room for the
// newest, each counted lost, and the overflow is logged once, its end once.
func TestRecorderNeverBlocksARun(t *testing.T) {
	blocked := make(chan struct{})
	history := &blockingHistory{release: blocked}
	logs := &logBuffer{}
	r := startRecorder(history, slog.New(slog.NewJSONHandler(logs, nil)), nil)
	total := recorderQueue + recorderBatch + 100
	for i := 0; i < total; i++ { // the writer holds one batch; the queue fills
		r.record(record.Run{Job: "a", Tick: time.Unix(int64(i), 0)})
	}
	if r.lost.Load() == 0 {
		t.Fatal("with the store stuck and the queue full, records must be dropped and counted, not wait")
	}
	newest := time.Unix(int64(total-1), 0)
	found := false
	for len(r.queue) > 0 && !found {
		found = (<-r.queue).Tick.Equal(newest)
	}
	if !found {
		t.Fatal("the newest record is not in the queue: the oldest must make room for it")
	}
	close(blocked)
	r.close()
	text := logs.buf.String()
	if strings.Count(text, "the oldest are dropped") != 1 || strings.Count(text, "the queue drained") != 1 {
		t.Fatalf("the overflow must be logged once and its end once:\n%s", text)
	}
}

// blockingHistory's writes wait until release is closed.
type blockingHistory struct {
	switchableHistory
	release chan struct{}
}

func (h *blockingHistory) AppendRuns(ctx context.Context, records []contract.RunRecord) error {
	select {
	case <-h.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
