// Package engine is the cron scheduler of a hade process: it runs cobra commands as cron jobs, deriving each
// run's tick (the scheduled fire time) from the entry's schedule (see package schedule), claiming
// distributed ticks from the backend, running the command in-process and logging and recording one line
// per run. The timing loop is github.com/robfig/cron/v3. Applications reach it through console.Root and
// configure entries with package scheduler's options.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/name"
	"github.com/hadeframe/hade/framework/internal/observe"
	"github.com/hadeframe/hade/framework/internal/record"
	"github.com/hadeframe/hade/framework/internal/schedule"
)

// minHoldTime is the shortest hold time a distributed entry accepts. A claim must reach the backend within
// the hold time of its tick; measured here, claims arrive a few ms after their tick and up to ~50 ms under
// load (1000 jobs per process on 2 cores), so shorter windows would close before the claims arrive.
const minHoldTime = 100 * time.Millisecond

// Environment is what runs need from the process; Start receives it.
type Environment struct {
	// Context carries the values of every run's context (e.g. the service container). Its cancellation
	// is not passed on: runs and claims end only through Stop, so that a tick already won still runs.
	Context context.Context
	// Logger receives one line per run, at the level of its outcome (see outcomeOK and the others).
	Logger *slog.Logger
	// AppID identifies this process in claims and log lines.
	AppID string
	// Backend, shared with the other processes, claims the ticks of distributed entries and holds their
	// run leases; it also receives a record of every tick this process handled (every outcome but
	// not_selected; a distributed entry's ticks this process was too late for are not its to record),
	// written in batches by a goroutine, never on a run's path (Stop writes what is left, for at most 2s);
	// it holds this process's record (Process, with AppID, the start time, the runs in progress and the
	// records lost) from Start, refreshed every second, until Stop removes it; and it carries the
	// operators' orders the heartbeat brings: paused jobs skip their ticks (outcome paused), a run request is
	// taken by one process and run at once, a kill request cancels the job's runs here. It may be nil when
	// no entry is distributed: then nothing is recorded nor ordered.
	Backend contract.Backend
	// Output, when set, receives what runs write through their command's OutOrStdout and ErrOrStderr,
	// each line prefixed with the time (UTC, ms), the job and the tick:
	// "2026-11-28T19:50:01.012Z job=foo tick=2026-11-28T19:50:01Z | text" ("stderr |" for ErrOrStderr).
	// Lines of concurrent runs never interleave; a partial last line is written when the run ends. The
	// command's own writers are replaced during runs. When nil, commands write where they would anyway.
	Output io.Writer
	// Process describes this process in its records: Hostname, PID, BaseFolder, Provider, Version.
	Process record.Process
	// Observer, when set, is told of every attempt, settled tick, claim, heartbeat and lost record (for
	// metrics and alerts), on the scheduler's goroutines.
	Observer observe.Observer
}

// Scheduler holds the cron entries of an application (see Entries) and times them. Entries are
// registered before Start; a registration error is kept and reported by Err and Start, so a bad
// registration is never silently ignored.
type Scheduler struct {
	cron     *cron.Cron // times the entries: seconds optional in its parser, descriptors accepted
	runner   *commandRunner
	jobs     []*job        // one per registered entry, in registration order (failed registrations excluded)
	zone     schedule.Zone // the zone of specs that name none
	errs     []error
	services map[string]int // service name -> registration number
	names    map[string]int // job name -> registration number
	count    int            // registrations seen, failed ones included

	startMu sync.Mutex
	state   atomic.Pointer[running]
}

// New returns a Scheduler with no entries.
func New() *Scheduler {
	return &Scheduler{
		cron:     cron.New(cron.WithParser(schedule.CronParser())),
		runner:   newCommandRunner(),
		services: map[string]int{},
		names:    map[string]int{},
		zone:     schedule.HostZone(),
	}
}

// AddCronCommand registers cmd to run at every tick of spec on this process, with options (WithName,
// WithTimeout, WithRetry; WithCatchUp is for distributed entries). A spec has 5 fields or 6 with seconds
// first, or is a descriptor, optionally prefixed by CRON_TZ=<zone> (see schedule.SpecHelp); it is
// evaluated in that zone, else in the scheduler's (see SetZone), with cronie's daylight saving rules.
// cmd stays a plain command, runnable from the CLI too. The job is named after cmd unless WithName names
// it. An invalid spec, a nil or non-runnable cmd, or a job name that is invalid or already taken is kept
// as a registration error (see Err).
func (s *Scheduler) AddCronCommand(spec string, cmd *cobra.Command, options ...EntryOption) {
	s.count++
	where := fmt.Sprintf("cron registration #%d (AddCronCommand %q, %s)", s.count, spec, commandName(cmd))
	opts, err := collectOptions(options)
	if err == nil && opts.catchUp > 0 {
		err = errors.New("WithCatchUp needs a distributed entry (AddDistributedCronCommand): only the fence knows whether the cluster ran a tick")
	}
	if err == nil && opts.limit > 0 {
		err = errors.New("WithLimitedRuns needs a distributed entry (AddDistributedCronCommand): the count is the cluster's, kept in the backend")
	}
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s: %w", where, err))
		return
	}
	if opts.name == "" && cmd != nil {
		opts.name = cmd.Name()
	}
	s.add(where, registration{Type: normal, Name: opts.name, Spec: spec, command: cmd, options: opts})
}

// AddDistributedCronCommand registers cmd to run at every tick of spec on exactly one of the processes
// that share the backend, with options (WithName, WithTimeout, WithRetry, WithCatchUp): before each run
// the process claims the tick under serviceName (see contract.Claims.ClaimTick), within ±holdTime of it
// (holdTime > 0; the hold window) by the backend's clock. "@every" specs are aligned to the Unix epoch. An invalid spec, service name (see
// name.ValidateService) or hold time, a service name registered twice, a nil or non-runnable cmd,
// or a job name that is invalid or already taken is kept as a registration error (see Err). The job is
// named after the service unless WithName names it.
func (s *Scheduler) AddDistributedCronCommand(serviceName, spec string, cmd *cobra.Command, holdTime time.Duration, options ...EntryOption) {
	s.count++
	where := fmt.Sprintf("cron registration #%d (AddDistributedCronCommand %q, %q, %s, %s)", s.count, serviceName, spec, commandName(cmd), holdTime)
	if err := name.ValidateService(serviceName); err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s: %w", where, err))
		return
	}
	if first, taken := s.services[serviceName]; taken {
		s.errs = append(s.errs, fmt.Errorf("%s: service name %q is already used by registration #%d: each distributed entry needs its own", where, serviceName, first))
		return
	}
	if holdTime < minHoldTime {
		s.errs = append(s.errs, fmt.Errorf("%s: hold time %s is below the minimum %s: it is the window around each tick in which a process may claim it, and a claim arrives tens of ms after its tick under load, e.g. 2*time.Second", where, holdTime, minHoldTime))
		return
	}
	opts, err := collectOptions(options)
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s: %w", where, err))
		return
	}
	if opts.name == "" {
		opts.name = serviceName
	}
	entry := registration{Type: distributed, Name: opts.name, Spec: spec, ServiceName: serviceName, HoldTime: holdTime,
		command: cmd, options: opts}
	if s.add(where, entry) {
		s.services[serviceName] = s.count
	}
}

// add registers spec, made by the registration described by where; it returns false, keeping a
// registration error, when the command, the spec or the job name is invalid.
func (s *Scheduler) add(where string, spec registration) bool {
	switch {
	case spec.command == nil:
		s.errs = append(s.errs, fmt.Errorf("%s: the command is nil", where))
		return false
	case spec.command.Run == nil && spec.command.RunE == nil:
		s.errs = append(s.errs, fmt.Errorf("%s: command %q has neither Run nor RunE", where, spec.command.Name()))
		return false
	}
	spec, err := parseTicks(spec, s.zone)
	if err == nil {
		err = s.checkName(spec.Name)
	}
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s: %w", where, err))
		return false
	}
	s.names[spec.Name] = s.count
	j := &job{ticks: &tickSchedule{schedule: spec.schedule}, scheduler: s}
	j.ticks.missed = j.logMissed
	s.cron.Schedule(j.ticks, j)
	j.spec = spec
	s.jobs = append(s.jobs, j)
	return true
}

// checkName returns why job cannot name a new job: it is invalid or another registration took it.
func (s *Scheduler) checkName(job string) error {
	if err := name.ValidateJob(job); err != nil {
		return fmt.Errorf("%w; name the job with scheduler.WithName", err)
	}
	if first, taken := s.names[job]; taken {
		return fmt.Errorf("job name %q is already used by registration #%d: each entry needs its own; name one "+
			"of them with scheduler.WithName(\"…\")", job, first)
	}
	return nil
}

// SetZone sets the zone in which the specs that name none (no CRON_TZ=) are evaluated: an IANA name such
// as "UTC" or "Europe/Berlin", or "" for the host's zone ($TZ, else /etc/localtime), the default. It
// returns an error naming the zone when it is unknown, or when the scheduler was started.
func (s *Scheduler) SetZone(name string) error {
	zone, err := schedule.LoadZone(name)
	if err != nil {
		return err
	}
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.state.Load() != nil {
		return errors.New("the cron zone cannot change once the scheduler started")
	}
	s.zone = zone
	for _, j := range s.jobs {
		if j.spec.schedule.NamesZone() {
			continue
		}
		spec, err := parseTicks(j.spec, zone)
		if err != nil { // it parsed in another zone; a zone cannot make it invalid
			return err
		}
		j.spec, j.ticks.schedule = spec, spec.schedule
	}
	return nil
}

func commandName(cmd *cobra.Command) string {
	if cmd == nil {
		return "<nil command>"
	}
	return fmt.Sprintf("command %q", cmd.Name())
}

// startServices returns the running state of env with its services started: the run recorder (with a
// backend), the heartbeat (with a backend) and the lease keeper (with an entry under OverlapForbid).
func (s *Scheduler) startServices(env Environment) *running {
	state := newRunning(env)
	for _, j := range s.jobs {
		state.jobs[j.spec.Name] = j
	}
	if env.Backend != nil {
		var onLost func(int)
		if env.Observer != nil {
			onLost = env.Observer.RecordsLost
		}
		state.recorder = startRecorder(env.Backend, env.Logger, onLost)
		process := env.Process
		process.AppID, process.Started = env.AppID, time.Now()
		state.heartbeat = startHeartbeat(env.Backend, process, state)
	}
	for _, j := range s.jobs {
		if j.forbidsOverlap() && state.leases == nil {
			state.leases = startLeaseKeeper(state)
		}
	}
	return state
}

// Err returns the registration errors joined (one line each), or nil when every registration is valid.
func (s *Scheduler) Err() error {
	return errors.Join(s.errs...)
}

// Start starts timing the entries in the background and returns. It returns an error, starting nothing,
// when a registration failed (Err), when there is no entry, when a distributed entry has no
// env.Backend, when env lacks a Context, Logger or AppID, or when the scheduler was started before.
// Stop stops it.
func (s *Scheduler) Start(env Environment) error {
	if err := s.Err(); err != nil {
		return err
	}
	if len(s.jobs) == 0 {
		return errors.New("no cron entries are registered: add them with AddCronCommand or AddDistributedCronCommand")
	}
	if env.Context == nil || env.Logger == nil || env.AppID == "" {
		return errors.New("scheduler environment needs a Context, a Logger and an AppID")
	}
	for _, j := range s.jobs {
		if j.spec.Type == distributed && env.Backend == nil {
			return fmt.Errorf("entry %q (service %q) is distributed but no Distributed service was given", j.spec.Spec, j.spec.ServiceName)
		}
	}
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.state.Load() != nil {
		return errors.New("the scheduler was already started; a Scheduler runs once")
	}
	state := s.startServices(env)
	s.state.Store(state)
	s.catchUp(state, time.Now())
	s.cron.Start()
	return nil
}
