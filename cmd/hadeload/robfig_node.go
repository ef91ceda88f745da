package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"
)

// envSeconds is how long a robfig node expects to run, in seconds: it sizes the node's record of runs.
const envSeconds = "HADELOAD_SECONDS"

// runRobfigNode is `hadeload robfig-node`, the other side of `hadeload compare`: robfig/cron bare,
// cron.New(cron.WithSeconds()) and HADELOAD_JOBS funcs added with AddFunc("* * * * * *", …), nothing else.
// Each func only notes when it started (startRecorder). It writes {"msg":"cron started"} once the
// scheduler runs and takes usage marks (startMarks); on SIGINT or SIGTERM it stops the scheduler, waits
// for the runs going, and writes a "cron run" line per run, then its usage marks, to stdout.
func runRobfigNode() error {
	jobs, err := positiveEnv(envJobs)
	if err != nil {
		return err
	}
	seconds, err := positiveEnv(envSeconds)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	marks := startMarks(nil)
	starts := newStartRecorder(jobs * seconds)
	out := bufio.NewWriter(os.Stdout)
	err = errors.Join(serveRobfig(ctx, jobs, starts), starts.write(out), marks.stop(out))
	return errors.Join(err, out.Flush())
}

// serveRobfig runs jobs every-second funcs on robfig/cron until ctx is done, then waits for the runs going.
func serveRobfig(ctx context.Context, jobs int, starts *startRecorder) error {
	c := cron.New(cron.WithSeconds())
	for i := 0; i < jobs; i++ {
		if _, err := c.AddFunc("* * * * * *", starts.record); err != nil {
			return err
		}
	}
	c.Start()
	_, err := fmt.Fprintln(os.Stdout, `{"msg":"cron started"}`)
	<-ctx.Done()
	<-c.Stop().Done()
	return err
}

// startRecorder notes the start of each run (Unix ns) in a slice allocated once: a run costs one clock
// read and one atomic add more than robfig's own work, and the pages of the slice become resident as runs
// fill them (8 bytes a run).
type startRecorder struct {
	starts []int64
	next   atomic.Int64 // the index of the next run; past len(starts), runs are counted but not kept
}

// newStartRecorder returns a recorder with room for capacity runs.
func newStartRecorder(capacity int) *startRecorder {
	return &startRecorder{starts: make([]int64, capacity)}
}

// record is the body of every robfig job.
func (r *startRecorder) record() {
	started := time.Now().UnixNano()
	if i := r.next.Add(1) - 1; i < int64(len(r.starts)) {
		r.starts[i] = started
	}
}

// write writes a "cron run" JSON line per run to w, as hade logs them: tick, the second the run started
// in (RFC 3339: the second it was due, while runs start less than 1s late); outcome ok; late_ms, how far
// into that second it started (ms). Call it after the last run. It fails when runs did not fit.
func (r *startRecorder) write(w io.Writer) error {
	runs := min(r.next.Load(), int64(len(r.starts)))
	line := make([]byte, 0, 128)
	for _, started := range r.starts[:runs] {
		tick := started / int64(time.Second)
		line = append(line[:0], `{"msg":"cron run","tick":"`...)
		line = time.Unix(tick, 0).AppendFormat(line, time.RFC3339)
		line = append(line, `","outcome":"ok","late_ms":`...)
		line = strconv.AppendFloat(line, float64(started-tick*int64(time.Second))/1e6, 'f', 3, 64)
		line = append(line, "}\n"...)
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	if dropped := r.next.Load() - runs; dropped > 0 {
		return fmt.Errorf("%d runs beyond the %d the node had room for (%s): not reported", dropped,
			len(r.starts), envSeconds)
	}
	return nil
}
