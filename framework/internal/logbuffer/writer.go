// Package logbuffer holds the writer of a cron process's structured log: lines are gathered in memory and
// written to the file or stream in one write at least every flush interval, so that a run's log line costs
// no system call of its own.
package logbuffer

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// DefaultInterval is the longest a line waits in the buffer before it is written: what a crash of the
// process (a Go runtime fatal error, kill -9) can lose.
const DefaultInterval = 100 * time.Millisecond

// bufferSize is the buffer's size in bytes: a full buffer is written at once, so a burst of lines (a tick
// of 10 000 runs) is written in writes of this size.
const bufferSize = 64 << 10

// Writer buffers what is written to it and writes it to its destination at least every interval, on
// Flush, when the buffer is full and on Close; after Close, writes go straight to the destination. It is
// safe for concurrent use; each Write's bytes stay together. A write error of the destination is returned
// by the next Write, Flush or Close.
type Writer struct {
	mu       sync.Mutex
	buffered *bufio.Writer
	closed   bool // writes go through

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New returns a Writer to destination that flushes every interval (<= 0: DefaultInterval) from a
// goroutine of its own, which Close ends.
func New(destination io.Writer, interval time.Duration) *Writer {
	if interval <= 0 {
		interval = DefaultInterval
	}
	w := &Writer{buffered: bufio.NewWriterSize(destination, bufferSize), stop: make(chan struct{}),
		done: make(chan struct{})}
	go w.flushEvery(interval)
	return w
}

// Write appends p to the buffer; when p does not fit, what is buffered is written first (and p directly
// when it is larger than the buffer). After Close it writes p at once. It returns len(p), or the
// destination's error.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buffered.Write(p)
	if err == nil && w.closed {
		err = w.buffered.Flush()
	}
	return n, err
}

// Flush writes what is buffered to the destination; it returns the destination's error.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buffered.Flush()
}

// Close stops the periodic flush and writes what is buffered; later Writes go straight to the
// destination (a logger may outlive the process's main loop). It does not close the destination. It
// returns the destination's error; calling it again returns the error of a new Flush.
func (w *Writer) Close() error {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return w.buffered.Flush()
}

// flushEvery flushes every interval until stop is closed. A flush error is kept by the bufio.Writer and
// returned to the next caller.
func (w *Writer) flushEvery(interval time.Duration) {
	defer close(w.done)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-ticker.C:
			_ = w.Flush() // the error stays in the bufio.Writer: the next Write, Flush or Close returns it
		}
	}
}
