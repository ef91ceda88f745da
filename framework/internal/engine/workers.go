package engine

import "time"

// workerIdle is how long a worker waits for its next task before it ends: longer than a second, so the
// workers of every-second entries are reused from one tick to the next.
const workerIdle = 10 * time.Second

// workers handle tasks (the scheduler's: ticks) on goroutines kept for later tasks. robfig/cron calls each
// run on a fresh goroutine, whose stack would grow again at every run to what handling a tick needs
// (copying it each time it doubles); a worker's stack has grown once. A task goes to a worker waiting for
// one, else to a new worker. A worker ends once idle for workerIdle, or after its task once stop was
// called.
type workers[T any] struct {
	do    func(T)
	tasks chan T // unbuffered: a send succeeds only when a worker waits
	quit  chan struct{}
}

func newWorkers[T any](do func(T)) *workers[T] {
	return &workers[T]{do: do, tasks: make(chan T), quit: make(chan struct{})}
}

// handle hands task to a waiting worker, or starts one for it.
func (w *workers[T]) handle(task T) {
	select {
	case w.tasks <- task:
	default:
		go w.work(task)
	}
}

// work does task, then the tasks it is handed, until it is idle for workerIdle or stop was called.
func (w *workers[T]) work(task T) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		w.do(task)
		idle.Reset(workerIdle)
		select {
		case task = <-w.tasks:
		case <-idle.C:
			return
		case <-w.quit:
			return
		}
	}
}

// stop makes the workers end once their task is done; waiting ones end at once.
func (w *workers[T]) stop() {
	close(w.quit)
}

// workerTick is a tick for a worker: its entry, its active run (nil once Stop started) and when robfig/cron
// called the entry.
type workerTick struct {
	job     *job
	state   *running
	run     *activeRun
	tick    time.Time
	started time.Time
}

// handle handles the tick on the calling goroutine.
func (t workerTick) handle() {
	t.job.handleRun(t.state, t.run, t.tick, t.started, runMode{})
}
