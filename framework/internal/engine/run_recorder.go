package engine

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// Bounds of the run recorder. A batch goes out as soon as recorderBatch records wait, else when its linger
// passed since the first of them: recorderLinger, or recorderBusyLinger after a batch of recorderBusy
// records or more. A busy process's batch thus holds two ticks of every-second jobs, written just after the
// second tick's runs started: a store that indexes records by job (local: SQLite's B-tree pages) changes
// each job's pages once for two records, a third less CPU a record, for records that show 1.2 s later
// instead of 200 ms. recorderQueue records may wait, more are dropped and counted (a run never waits for
// the history): the oldest waiting one makes room for the newest. A write gets recorderTimeout; Stop's last
// flush gets recorderFlush.
const (
	recorderQueue      = 16384
	recorderBatch      = 2048
	recorderLinger     = 200 * time.Millisecond
	recorderBusy       = 500
	recorderBusyLinger = 1200 * time.Millisecond
	recorderTimeout    = 5 * time.Second
	recorderFlush      = 2 * time.Second
)

// recorder hands run records to the history off the runs' path: record never blocks; one goroutine
// encodes them and writes them in batches. A batch that fails is dropped and counted in lost; the first failure of an
// outage and the recovery are logged once each.
type recorder struct {
	history contract.RunHistory
	logger  *slog.Logger
	queue   chan record.Run
	full    chan struct{} // signaled (capacity 1) when a batch's worth of records waits
	lost    atomic.Int64
	onLost  func(n int) // when set, told of each loss (the Observer's RecordsLost)
	// overflowing is set while the queue overflows: from the first record it dropped to make room (logged)
	// until the writer finds the queue empty (logged).
	overflowing atomic.Bool

	mu     sync.RWMutex
	closed bool                 // close was called: record only counts
	stop   chan struct{}        // closed by close: flush what is queued and return
	done   chan struct{}        // closed when the writing goroutine returned
	down   bool                 // the last write failed (writer goroutine only)
	batch  []contract.RunRecord // reused by the writer goroutine for each batch, encoded
	linger time.Duration        // how long the next batch waits after its first record (writer goroutine only)
}

// startRecorder starts the writing goroutine of history; close ends it. onLost, when not nil, is told of
// each loss.
func startRecorder(history contract.RunHistory, logger *slog.Logger, onLost func(n int)) *recorder {
	r := &recorder{history: history, logger: logger, onLost: onLost, queue: make(chan record.Run, recorderQueue),
		full: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), linger: recorderLinger}
	go r.loop()
	return r
}

// record queues rec, waking the writer when a batch's worth waits; when the queue is full it drops the
// oldest record waiting to make room, counting it lost (the first drop of an overflow is logged). After
// close it only counts rec lost.
func (r *recorder) record(rec record.Run) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.countLost(1)
		return
	}
	for {
		select {
		case r.queue <- rec:
			if len(r.queue) >= recorderBatch {
				select {
				case r.full <- struct{}{}:
				default: // already signaled
				}
			}
			return
		default:
		}
		select {
		case <-r.queue: // the oldest waiting record
			r.overflowed()
		default: // the writer took one meanwhile
		}
	}
}

// overflowed counts one record dropped for room, logging the first drop of an overflow.
func (r *recorder) overflowed() {
	lost := r.countLost(1)
	if !r.overflowing.Swap(true) {
		r.logger.Warn("run history: more records wait than the queue holds; the oldest are dropped and counted "+
			"until it drains", "queue", recorderQueue, "records_lost", lost)
	}
}

// countLost counts n more records lost and returns the total.
func (r *recorder) countLost(n int) int64 {
	if r.onLost != nil {
		r.onLost(n)
	}
	return r.lost.Add(int64(n))
}

// close writes what is queued (for at most recorderFlush) and ends the goroutine; later records are lost.
func (r *recorder) close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.stop)
	}
	r.mu.Unlock()
	<-r.done
}

func (r *recorder) loop() {
	defer close(r.done)
	for {
		select {
		case rec := <-r.queue:
			batch := r.collect(rec)
			r.write(context.Background(), batch, recorderTimeout)
			r.linger = lingerAfter(len(batch))
		case <-r.stop:
			r.flush()
			return
		}
	}
}

// lingerAfter returns the linger of the batch after one of n records.
func lingerAfter(n int) time.Duration {
	if n >= recorderBusy {
		return recorderBusyLinger
	}
	return recorderLinger
}

// collect returns first and the records queued within r.linger after it, up to recorderBatch, encoded
// in r.batch (valid until the next collect). It sleeps through the linger, or until a batch's worth waits
// (record signals it), and then drains the queue, so the runs' records wake the writer once per batch,
// not once each, and a batch never waits for the linger when the next one is already queued.
func (r *recorder) collect(first record.Run) []contract.RunRecord {
	select {
	case <-r.full: // a signal from before the last batch was drained
	default:
	}
	if len(r.queue)+1 < recorderBatch {
		linger := time.NewTimer(r.linger)
		select {
		case <-linger.C:
		case <-r.full:
		case <-r.stop:
		}
		linger.Stop()
	}
	r.batch = r.drain(r.encode(r.batch[:0], first))
	return r.batch
}

// drain appends the records queued now to batch, encoded, up to recorderBatch in all, without waiting.
// Finding the queue empty ends an overflow (logged).
func (r *recorder) drain(batch []contract.RunRecord) []contract.RunRecord {
	for len(batch) < recorderBatch {
		select {
		case rec := <-r.queue:
			batch = r.encode(batch, rec)
		default:
			if r.overflowing.Swap(false) {
				r.logger.Info("run history: the queue drained; records are no longer dropped",
					"records_lost", r.lost.Load())
			}
			return batch
		}
	}
	return batch
}

// encode appends rec to batch as the history stores it; a record that cannot be encoded is counted lost,
// and logged.
func (r *recorder) encode(batch []contract.RunRecord, rec record.Run) []contract.RunRecord {
	stored, err := record.EncodeRun(rec)
	if err != nil {
		lost := r.countLost(1)
		r.logger.Error("run history: a record could not be encoded; it is dropped and counted", "job", rec.Job,
			"error", err.Error(), "records_lost", lost)
		return batch
	}
	return append(batch, stored)
}

// flush writes the queued records in batches until the queue is empty or recorderFlush passed.
func (r *recorder) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), recorderFlush)
	defer cancel()
	for {
		r.batch = r.drain(r.batch[:0])
		if len(r.batch) == 0 {
			return
		}
		r.write(ctx, r.batch, recorderTimeout)
	}
}

// write appends batch, counting it lost and logging the outage's first failure when it fails.
func (r *recorder) write(ctx context.Context, batch []contract.RunRecord, timeout time.Duration) {
	if len(batch) == 0 { // every record failed to encode
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := r.history.AppendRuns(ctx, batch)
	switch {
	case err != nil:
		lost := r.countLost(len(batch))
		if !r.down {
			r.logger.Error("run history: a write failed; runs go on, and their records are dropped and counted until it works again",
				"error", err.Error(), "records_lost", lost)
		}
		r.down = true
	case r.down:
		r.down = false
		r.logger.Info("run history: writes work again", "records_lost", r.lost.Load())
	}
}
