package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRobfigRunsReadAsHadeLines(t *testing.T) {
	// 3 runs, room for 2: the third is counted, not kept, and write says so after the 2 lines
	starts := newStartRecorder(2)
	starts.starts[0] = time.Unix(100, 12_345_000).UnixNano()
	starts.starts[1] = time.Unix(101, 999_000).UnixNano()
	starts.next.Store(3)
	var log strings.Builder
	if err := starts.write(&log); err == nil || !strings.Contains(err.Error(), "1 runs beyond the 2") {
		t.Fatalf("3 runs in room for 2: error %v", err)
	}
	n := &nodeProcess{name: "robfig", log: filepath.Join(t.TempDir(), "node-robfig.log")}
	mark := `{"msg":"usage mark","cpu_ns":7,"vmhwm_kib":8}` + "\n"
	if err := os.WriteFile(n.log, []byte(log.String()+mark), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.readLog(); err != nil {
		t.Fatal(err)
	}
	want := []runRecord{{tick: 100, outcome: "ok", lateMs: 12.345}, {tick: 101, outcome: "ok", lateMs: 0.999}}
	if len(n.runs) != 2 || n.runs[0] != want[0] || n.runs[1] != want[1] {
		t.Fatalf("runs %+v, want %+v", n.runs, want)
	}
	if len(n.marks) != 1 || n.marks[0] != (usageMark{CPUNs: 7, PeakRSSKiB: 8}) {
		t.Fatalf("marks %+v, want one of 7 ns, 8 KiB", n.marks)
	}
}

func TestMarkRecorderTakesOneAtStartAndThoseAskedBeforeStop(t *testing.T) {
	marks := startMarks(nil)
	marks.signals <- markSignal // as signal.Notify delivers them
	marks.signals <- markSignal
	var out strings.Builder
	if err := marks.stop(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], `{"msg":"usage mark","cpu_ns":`) {
		t.Fatalf("marks written:\n%s\nwant 3 usage mark lines", out.String())
	}
}
