package verify

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Record kinds written by the node processes (claims and runs) and by the tool (node lifecycle, faults).
const (
	kindInvoke   = "invoke"    // a claim is about to be sent
	kindReturn   = "return"    // the claim returned
	kindRunStart = "run_start" // a job body started
	kindRunEnd   = "run_end"   // a job body returned
	kindNode     = "node"      // a node process's life, written by the tool when it ended or the run ended
	kindFault    = "fault"     // one injected fault, written by the tool when it ended
)

// Claim results.
const (
	resultWon      = "won"      // the claimer holds the tick (won now, or learned it had won)
	resultHeld     = "held"     // another app holds the tick
	resultClosed   = "closed"   // contract.ErrTickClosed
	resultConflict = "conflict" // contract.ErrDefinitionConflict
	resultError    = "error"    // any other error: the claim may have been applied
)

// Record is one line of a records file (JSON). Times are nanoseconds: Mono on the host's CLOCK_MONOTONIC
// (comparable across processes of one host), Wall since the Unix epoch.
type Record struct {
	Kind      string `json:"kind"`
	Proc      string `json:"proc"`              // node process name: node index and restart generation, "n1.2"
	Op        int64  `json:"op,omitempty"`      // per-process claim number, joins invoke and return
	Service   string `json:"service,omitempty"` // service (claims, runs) or the fault's target
	Tick      int64  `json:"tick,omitempty"`    // the tick, Unix ns
	App       string `json:"app,omitempty"`     // the claiming or running app id
	Hold      int64  `json:"hold,omitempty"`    // the claim's hold time, ns
	Mono      int64  `json:"mono"`
	Wall      int64  `json:"wall"`
	EndMono   int64  `json:"end_mono,omitempty"` // node and fault records: when it ended
	EndWall   int64  `json:"end_wall,omitempty"`
	Result    string `json:"result,omitempty"`   // return records: one of the results; node records: how it ended
	Selected  string `json:"selected,omitempty"` // return records: the app id the backend answered
	Busy      string `json:"busy,omitempty"`     // return records: the holder of the run lease that made the winner skip
	Error     string `json:"error,omitempty"`
	ReadyMono int64  `json:"ready_mono,omitempty"` // node records: when its log said "cron started"
	Offset    int64  `json:"offset,omitempty"`     // node and invoke records: the node's clock offset, ns

	ref string // file:line, set when read
}

// stamp returns the monotonic and wall clocks now, in ns.
func stamp() (mono, wall int64) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(fmt.Sprintf("clock_gettime(CLOCK_MONOTONIC): %v", err)) // cannot fail on Linux
	}
	return ts.Nano(), time.Now().UnixNano()
}

// recorder appends records to a file opened with O_APPEND, one write(2) per record, so the records of a
// process killed afterwards survive whole.
type recorder struct {
	mu   sync.Mutex
	file *os.File
	err  error // the first write error, reported by close
}

func openRecorder(path string) (*recorder, error) {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open records file: %w", err)
	}
	return &recorder{file: file}, nil
}

// write appends r as one line; a failure is kept for close.
func (w *recorder) write(r Record) {
	line, err := json.Marshal(r)
	if err == nil {
		line = append(line, '\n')
		w.mu.Lock()
		_, err = w.file.Write(line)
		if err != nil && w.err == nil {
			w.err = err
		}
		w.mu.Unlock()
	}
}

func (w *recorder) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return errors.Join(w.err, w.file.Close())
}

// readRecords reads every *.jsonl file of dir. A torn or unreadable line (a process killed mid-write) is
// skipped and counted.
func readRecords(dir string) (records []Record, torn int, err error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, 0, err
	}
	sort.Strings(paths)
	for _, path := range paths {
		file, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		scanner := bufio.NewScanner(file)
		scanner.Buffer(make([]byte, 64<<10), 1<<20)
		for line := 1; scanner.Scan(); line++ {
			var r Record
			if json.Unmarshal(scanner.Bytes(), &r) != nil || r.Kind == "" {
				torn++
				continue
			}
			r.ref = fmt.Sprintf("%s:%d", strings.TrimPrefix(path, filepath.Dir(dir)+"/"), line)
			records = append(records, r)
		}
		err = errors.Join(scanner.Err(), file.Close())
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", path, err)
		}
	}
	return records, torn, nil
}
