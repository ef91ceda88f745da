package scheduler

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/schedule"
)

// Type says how an entry's ticks are run.
type Type string

const (
	// Normal entries run every tick on every process that schedules them.
	Normal Type = "normal"
	// Distributed entries run each tick on the one process that claims it through contract.Claims.
	Distributed Type = "distributed"
)

// every says where the "@every" ticks of an entry of type t start: at the epoch for a distributed entry,
// so every process claims the same ticks; from the scheduler's start for a normal one, as in robfig/cron.
func every(t Type) schedule.Every {
	if t == Distributed {
		return schedule.EveryFromEpoch
	}
	return schedule.EveryFromNow
}

// CronSpec describes one registered cron entry, for `cron list` and for the job that runs it.
type CronSpec struct {
	Type        Type
	Name        string         // the job name, unique in the scheduler (see WithName)
	Spec        string         // as registered, e.g. "*/5 * * * * *"
	Zone        string         // the IANA zone the spec is evaluated in: its CRON_TZ=, else the scheduler's
	Command     *cobra.Command // the command each tick runs
	ServiceName string         // distributed entries only: the name ticks are claimed under
	HoldTime    time.Duration  // distributed entries only: the claim window on each side of a tick
	EntryID     cron.EntryID   // the entry in Scheduler.Cron

	schedule schedule.Schedule // the parsed spec, without tick recording
	options  entryOptions      // the run policies of the registration
}

// Next returns the entry's first fire time after now, or the zero time if it never fires again. For a
// normal "@every" entry it counts from now, as the running scheduler counts from its start.
func (s CronSpec) Next(now time.Time) time.Time {
	return s.schedule.Next(now)
}

// Definition names what makes a distributed entry's ticks, as claims carry it: the spec, its zone and the
// hold time, e.g. `spec "0 * * * *" zone UTC hold 2s`. Processes whose definitions of one service differ
// never both run it (see contract.Claim).
func (s CronSpec) Definition() string {
	return fmt.Sprintf("%s hold %s", s.schedule.Definition(), s.HoldTime)
}
