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
	const n = recorderBusy - 100 // a batch this small keeps the short linger
	for i := 0; i < n; i++ {
		r.record(record.Run{Job: "a", Tick: time.Unix(int64(i), 0)})
	}
	waitUntil(t, "the records are written", func() bool { written, _ := history.written(); return written == n })
	if _, batches := history.written(); batches >= n {
		t.Fatalf("%d records took %d writes: they must be batched", n, batches)
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
	if written, _ := history.written(); written != n+1 || r.lost.Load() != 4 {
		t.Fatalf("written %d, lost %d; want %d written and 4 lost (3 in the outage, 1 after close)", written,
			r.lost.Load(), n+1)
	}
	text := logs.buf.String()
	if strings.Count(text, "a write failed") != 1 || strings.Count(text, "writes work again") != 1 {
		t.Fatalf("the outage must be logged once and its end once:\n%s", text)
	}
}

// After a batch of recorderBusy records or more, the next batch waits recorderBusyLinger for more: records
// queued a few hundred milliseconds apart go in one write; after a small batch the linger is short again.
func TestRecorderLingersLongerWhenBusy(t *testing.T) {
	history := &switchableHistory{}
	r := startRecorder(history, slog.New(slog.NewJSONHandler(&logBuffer{}, nil)), nil)
	defer r.close()
	for i := range recorderBusy {
		r.record(record.Run{Job: "a", Tick: time.Unix(int64(i), 0)})
	}
	waitUntil(t, "the busy batch is written", func() bool { n, _ := history.written(); return n == recorderBusy })
	_, busyBatches := history.written()
	r.record(record.Run{Job: "b"})
	time.Sleep(recorderLinger + 300*time.Millisecond)
	r.record(record.Run{Job: "c"})
	waitUntil(t, "b and c are written", func() bool { n, _ := history.written(); return n == recorderBusy+2 })
	if _, batches := history.written(); batches != busyBatches+1 {
		t.Fatalf("b and c, queued %s apart after a busy batch, took %d writes; want 1 (the busy linger is %s)",
			recorderLinger+300*time.Millisecond, batches-busyBatches, recorderBusyLinger)
	}
	r.record(record.Run{Job: "d"}) // after the batch of 2, the linger is short again
	time.Sleep(recorderLinger + 300*time.Millisecond)
	r.record(record.Run{Job: "e"})
	waitUntil(t, "d and e are written", func() bool { n, _ := history.written(); return n == recorderBusy+4 })
	if _, batches := history.written(); batches != busyBatches+3 {
		t.Fatalf("d and e, queued %s apart after a small batch, took %d writes; want 2", recorderLinger+300*time.Millisecond,
			batches-busyBatches-1)
	}
}

// A busy process's records are written as fast as they come: a batch's worth goes out without waiting for
// the linger, so 10 000 records a second (5 times a batch a linger) lose none.
func TestRecorderKeepsUpWithManyRunsASecond(t *testing.T) {
	history := &switchableHistory{}
	r := startRecorder(history, slog.New(slog.NewJSONHandler(&logBuffer{}, nil)), nil)
	defer r.close()
	const perBurst, bursts = 1000, 20 // every 100 ms for 2 s: 4 times the queue
	for i := range perBurst * bursts {
		r.record(record.Run{Job: "a", Tick: time.Unix(int64(i), 0)})
		if i%perBurst == perBurst-1 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitUntil(t, "every record is written or lost", func() bool {
		n, _ := history.written()
		return n+int(r.lost.Load()) == perBurst*bursts
	})
	if lost := r.lost.Load(); lost != 0 {
		t.Fatalf("%d of %d records recorded over 2 s were lost: the writer must not wait for its linger (%s) while "+
			"a batch (%d) waits", lost, perBurst*bursts, recorderBusyLinger, recorderBatch)
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
