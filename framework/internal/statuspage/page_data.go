package statuspage

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
	"github.com/hadeframe/hade/framework/internal/report"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// A page view reads the backend at most 3 + maxHistoryJobs times: the paused jobs, the last runs, the
// processes, and the recent runs of the first maxHistoryJobs jobs (historyRuns each), or of the one job
// the view focuses on (?job=, focusRuns).
const (
	maxHistoryJobs = 20
	historyRuns    = 5
	focusRuns      = 25
)

// page is what the template renders.
type page struct {
	Now         time.Time
	AppID       string
	Token       bool   // a token is configured: actions exist
	SignedIn    bool   // the viewer has a valid session
	Actions     bool   // signed in and the backend keeps a job control: show the buttons
	CSRF        string // the CSRF field of the forms
	Flash       string
	Problems    []string // parts of the backend unavailable or failing, scrubbed
	PausedKnown bool
	Jobs        []jobRow
	Running     []runningRow
	Histories   []jobHistory
	HistoryCut  int    // jobs whose history is left out (beyond maxHistoryJobs)
	Focus       string // the job whose history alone is shown
	Processes   []record.Process
}

type jobRow struct {
	Name, Type, Spec, Zone, Service string
	Options                         string
	Next                            time.Time // zero: never
	Paused                          bool
	PauseNote                       string
	Last                            *record.Run
	Running                         int // runs in progress across the live processes
}

type runningRow struct {
	record.RunningTick
	Process record.Process
}

type jobHistory struct {
	Job  string
	Runs []record.Run
}

// read fills p from the backend within ctx; a part that is unavailable or fails adds a problem.
func (h *Handler) read(ctx context.Context, p *page) {
	paused, last := h.readStates(ctx, p)
	running := h.readProcesses(ctx, p)
	buffered := report.BufferedTicks(p.Processes)
	for _, job := range h.config.Jobs {
		row := jobRow{Name: job.Name, Type: job.Type, Spec: job.Spec, Zone: job.Zone, Service: job.Service,
			Options: job.Options, Next: job.next(p.Now), Running: running[job.Name]}
		row.Options += h.runsLeft(ctx, p, job)
		if n := buffered[job.Name]; n > 0 {
			row.Options += fmt.Sprintf(", %d tick(s) waiting", n)
		}
		row.PauseNote, row.Paused = paused[job.Name]
		if run, ok := last[job.Name]; ok {
			row.Last = &run
		}
		p.Jobs = append(p.Jobs, row)
	}
	h.readHistories(ctx, p)
}

// runsLeft is the text of the runs job has left, " (N left)", when it is a limited distributed job and
// the backend's count can be read; a failure adds a problem.
func (h *Handler) runsLeft(ctx context.Context, p *page, job Job) string {
	if job.Limit == 0 || job.Service == "" || h.config.Leases == nil {
		return ""
	}
	count, err := report.RunCount(ctx, h.config.Leases, job.Service)
	if err != nil {
		h.problem(p, "run count of "+job.Name, err)
		return ""
	}
	return fmt.Sprintf(" (%d left)", max(job.Limit-count, 0))
}

// readStates reads the paused jobs (job -> pause note) and the last run of each job, as `cron list` does.
func (h *Handler) readStates(ctx context.Context, p *page) (paused map[string]string, last map[string]record.Run) {
	if h.config.Control == nil {
		p.Problems = append(p.Problems, "job control: unavailable (this process's backend keeps none); paused states unknown")
	} else if notes, err := h.config.Control.Paused(ctx); err != nil {
		h.problem(p, "paused jobs", err)
	} else {
		p.PausedKnown, paused = true, notes
	}
	switch {
	case h.config.History == nil:
		p.Problems = append(p.Problems, "run history: unavailable (this process's backend keeps none)")
	case len(h.config.Jobs) > 0:
		var err error
		if last, err = record.LastRuns(ctx, h.config.History, h.jobNames()); err != nil {
			h.problem(p, "last runs", err)
		}
	}
	return paused, last
}

// readProcesses fills p's processes and runs in progress, and returns the count of runs by job.
func (h *Handler) readProcesses(ctx context.Context, p *page) map[string]int {
	running := map[string]int{}
	if h.config.Registry == nil {
		p.Problems = append(p.Problems, "process registry: unavailable (this process's backend keeps none)")
		return running
	}
	processes, err := record.Processes(ctx, h.config.Registry)
	if err != nil {
		h.problem(p, "live processes", err)
		return running
	}
	p.Processes = processes
	for _, process := range processes {
		for _, tick := range process.Running {
			p.Running = append(p.Running, runningRow{RunningTick: tick, Process: process})
			running[tick.Job]++
		}
	}
	return running
}

// readHistories reads the recent runs of the focused job, or of the first maxHistoryJobs jobs; it stops
// at the first error.
func (h *Handler) readHistories(ctx context.Context, p *page) {
	if h.config.History == nil {
		return
	}
	jobs, limit := h.jobNames(), historyRuns
	if p.Focus != "" {
		jobs, limit = []string{p.Focus}, focusRuns
	} else if len(jobs) > maxHistoryJobs {
		p.HistoryCut, jobs = len(jobs)-maxHistoryJobs, jobs[:maxHistoryJobs]
	}
	for _, job := range jobs {
		runs, err := record.Runs(ctx, h.config.History, contract.RunQuery{Job: job, Limit: limit})
		if err != nil {
			h.problem(p, "history of "+job, err)
			return
		}
		p.Histories = append(p.Histories, jobHistory{Job: job, Runs: runs})
	}
}

// problem adds a failed read to p, scrubbed of the secrets.
func (h *Handler) problem(p *page, what string, err error) {
	p.Problems = append(p.Problems, what+": "+secret.Scrub(err.Error(), h.config.Secrets))
}

// jobNames returns the names of the registered jobs, in registration order.
func (h *Handler) jobNames() []string {
	names := make([]string, 0, len(h.config.Jobs))
	for _, job := range h.config.Jobs {
		names = append(names, job.Name)
	}
	return names
}
