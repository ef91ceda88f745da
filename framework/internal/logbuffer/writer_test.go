package logbuffer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a destination safe to read while the Writer's goroutine writes to it.
type lockedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines stay in memory until a flush, and then reach the destination in one write.
func TestWriterHoldsLinesUntilFlush(t *testing.T) {
	dest := &lockedBuffer{}
	w := New(dest, time.Hour)
	defer w.Close()
	for i := 0; i < 100; i++ {
		if _, err := fmt.Fprintf(w, "line %d\n", i); err != nil {
			t.Fatal(err)
		}
	}
	if got := dest.String(); got != "" {
		t.Fatalf("before a flush the destination has %q; want nothing", got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(dest.String(), "\n"); lines != 100 || dest.writes != 1 {
		t.Fatalf("after Flush: %d lines in %d writes; want 100 in 1", lines, dest.writes)
	}
}

// The goroutine flushes by itself: a line reaches the destination without a Flush.
func TestWriterFlushesPeriodically(t *testing.T) {
	dest := &lockedBuffer{}
	w := New(dest, 10*time.Millisecond)
	defer w.Close()
	if _, err := w.Write([]byte("one line\n")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); dest.String() == ""; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the line did not reach the destination within 10s without a Flush")
		}
	}
}

// Close writes what is buffered and ends the goroutine; concurrent writers' lines stay whole.
func TestWriterCloseWritesEverythingAndLinesStayWhole(t *testing.T) {
	dest := &lockedBuffer{}
	w := New(dest, time.Millisecond)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				if _, err := fmt.Fprintf(w, "writer %d line %d %s\n", g, i, strings.Repeat("x", 40)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(dest.String(), "\n"), "\n")
	if len(lines) != 16000 {
		t.Fatalf("%d lines after Close; want 16000", len(lines))
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "writer ") || !strings.HasSuffix(line, strings.Repeat("x", 40)) {
			t.Fatalf("line %q is not whole", line)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if _, err := w.Write([]byte("after Close\n")); err != nil || !strings.HasSuffix(dest.String(), "after Close\n") {
		t.Fatalf("a Write after Close: %v; want it at the destination at once", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// The destination's error reaches the caller of the next Flush.
func TestWriterReturnsTheDestinationsError(t *testing.T) {
	w := New(failingWriter{}, time.Hour)
	defer func() {
		if err := w.Close(); err == nil {
			t.Error("Close after a failed write: no error")
		}
	}()
	if _, err := w.Write([]byte("line\n")); err != nil {
		t.Fatalf("a buffered Write: %v; want no error before the flush", err)
	}
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Flush: %v; want the destination's error", err)
	}
}
