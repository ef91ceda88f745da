package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// markSignal asks a node for a usage mark: `hadeload compare` sends it at the start and at the end of the
// measured window, so that what the node spent before the window (start-up, warm-up) is not counted.
const markSignal = syscall.SIGUSR1

// markMsg is the msg of the JSON line a node writes for each usage mark, after its runs ended.
const markMsg = "usage mark"

// usageMark is a process's resource usage (getrusage RUSAGE_SELF) at one mark.
type usageMark struct {
	CPUNs     int64 `json:"cpu_ns"`     // user + system CPU time since the process started, ns
	MaxRSSKiB int64 `json:"maxrss_kib"` // peak resident set size so far, KiB
}

// usageNow returns the process's usage now.
func usageNow() (usageMark, error) {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return usageMark{}, err
	}
	return usageMark{CPUNs: usage.Utime.Nano() + usage.Stime.Nano(), MaxRSSKiB: usage.Maxrss}, nil
}

// markRecorder takes a usageMark at each markSignal the process receives, on a goroutine of its own,
// from startMarks until stop.
type markRecorder struct {
	signals    chan os.Signal
	quit, done chan struct{}
	marks      []usageMark
	err        error
}

// startMarks starts taking a mark at each markSignal; call stop before the process exits.
func startMarks() *markRecorder {
	m := &markRecorder{signals: make(chan os.Signal, 4), quit: make(chan struct{}), done: make(chan struct{})}
	signal.Notify(m.signals, markSignal)
	go m.loop()
	return m
}

// loop takes the marks until quit is closed, then those of the signals already received.
func (m *markRecorder) loop() {
	defer close(m.done)
	for {
		select {
		case <-m.signals:
			m.take()
		case <-m.quit:
			for len(m.signals) > 0 {
				<-m.signals
				m.take()
			}
			return
		}
	}
}

func (m *markRecorder) take() {
	mark, err := usageNow()
	if err != nil {
		m.err = errors.Join(m.err, err)
		return
	}
	m.marks = append(m.marks, mark)
}

// stop ends the recording and writes one JSON line per mark to w: {"msg":"usage mark","cpu_ns":…,
// "maxrss_kib":…}, in the order they were taken. It returns the errors of the marks and of the writes.
func (m *markRecorder) stop(w io.Writer) error {
	signal.Stop(m.signals)
	close(m.quit)
	<-m.done
	encoder := json.NewEncoder(w)
	err := m.err
	for _, mark := range m.marks {
		err = errors.Join(err, encoder.Encode(struct {
			Msg string `json:"msg"`
			usageMark
		}{markMsg, mark}))
	}
	return err
}
