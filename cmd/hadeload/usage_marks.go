package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// markSignal asks a node for a usage mark: `hadeload compare` sends it at the start and at the end of the
// measured window, so that what the node spent before the window (start-up, warm-up) is not counted.
const markSignal = syscall.SIGUSR1

// markMsg is the msg of the JSON line a node writes for each usage mark, after its runs ended.
const markMsg = "usage mark"

// usageMark is a process's resource usage at one mark.
type usageMark struct {
	CPUNs      int64 `json:"cpu_ns"`    // user + system CPU time since the process started (getrusage), ns
	PeakRSSKiB int64 `json:"vmhwm_kib"` // peak resident set size so far (VmHWM), KiB
}

// usageNow returns the process's usage now. The peak RSS is VmHWM, the high-water mark of the process's
// own address space, not getrusage's ru_maxrss: on Linux exec keeps in ru_maxrss the high-water mark of
// the address space it replaces, here the load tool's (Go starts a process with vfork, sharing the
// parent's), so a node started after the tool has read a large log would report the tool's peak.
func usageNow() (usageMark, error) {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return usageMark{}, err
	}
	peak, err := peakRSSKiB()
	return usageMark{CPUNs: usage.Utime.Nano() + usage.Stime.Nano(), PeakRSSKiB: peak}, err
}

// peakRSSKiB returns the VmHWM line of /proc/self/status, KiB.
func peakRSSKiB() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if value, found := strings.CutPrefix(line, "VmHWM:"); found {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(value, "kB")), 10, 64)
		}
	}
	return 0, errors.New("/proc/self/status has no VmHWM line")
}

// markRecorder takes a usageMark when it starts, then at each markSignal the process receives, on a
// goroutine of its own, until stop.
type markRecorder struct {
	signals    chan os.Signal
	quit, done chan struct{}
	marks      []usageMark
	err        error
	// atMark, when set, is called after each mark taken at a signal with the count of such marks so far.
	atMark func(n int) error
}

// startMarks takes a first mark, the process's usage before it registers any job (for the nodes of
// `hadeload compare`, the footprint of this binary, the same for both), and starts taking a mark at each
// markSignal; call stop before the process exits. atMark, when not nil, is called after each mark taken
// at a signal with the count of those marks so far.
func startMarks(atMark func(n int) error) *markRecorder {
	m := &markRecorder{atMark: atMark, signals: make(chan os.Signal, 4), quit: make(chan struct{}), done: make(chan struct{})}
	m.take()
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
			m.signalled()
		case <-m.quit:
			for len(m.signals) > 0 {
				<-m.signals
				m.take()
				m.signalled()
			}
			return
		}
	}
}

// signalled calls atMark, when set, after a mark taken at a signal.
func (m *markRecorder) signalled() {
	if m.atMark != nil {
		m.err = errors.Join(m.err, m.atMark(len(m.marks)-1))
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
// "vmhwm_kib":…}, in the order they were taken. It returns the errors of the marks and of the writes.
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
