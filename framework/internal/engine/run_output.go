package engine

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// maxPartialLine is how much of a line without a newline a run's writer holds before writing it anyway.
const maxPartialLine = 64 << 10

// outputSink is Environment.Output shared by the runs: each Write to it is whole lines, one writer at a
// time, so lines of concurrent runs never interleave.
type outputSink struct {
	mu     sync.Mutex
	writer io.Writer
}

// forRun returns the out and err writers of one run of job for tick.
func (s *outputSink) forRun(job string, tick time.Time) (*runOutput, []*lineWriter) {
	prefix := " job=" + job + " tick=" + tick.Format(time.RFC3339)
	out := &lineWriter{sink: s, prefix: prefix + " | "}
	errOut := &lineWriter{sink: s, prefix: prefix + " stderr | "}
	return &runOutput{out: out, err: errOut}, []*lineWriter{out, errOut}
}

// writeLines writes each line of lines (each ending in '\n') as "<time> <prefix><line>" in one Write.
func (s *outputSink) writeLines(prefix string, lines []byte) error {
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	var buf bytes.Buffer
	for len(lines) > 0 {
		end := bytes.IndexByte(lines, '\n') + 1
		buf.WriteString(now)
		buf.WriteString(prefix)
		buf.Write(lines[:end])
		lines = lines[end:]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.writer.Write(buf.Bytes())
	return err
}

// lineWriter prefixes every line a run writes; it holds a partial last line until its newline comes, it
// grows past maxPartialLine, or Flush. It is safe for concurrent use.
type lineWriter struct {
	sink   *outputSink
	prefix string

	mu      sync.Mutex
	partial []byte
}

// Write implements io.Writer; it reports len(p) written unless the sink failed.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	last := bytes.LastIndexByte(w.partial, '\n')
	if last < 0 && len(w.partial) < maxPartialLine {
		return len(p), nil
	}
	if last < 0 {
		w.partial = append(w.partial, '\n')
		last = len(w.partial) - 1
	}
	err := w.sink.writeLines(w.prefix, w.partial[:last+1])
	w.partial = append(w.partial[:0], w.partial[last+1:]...)
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes the partial last line, ended with a newline.
func (w *lineWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) == 0 {
		return nil
	}
	line := append(w.partial, '\n')
	w.partial = nil
	return w.sink.writeLines(w.prefix, line)
}
