// Package scheduler holds the options of cron entries: what an application passes to
// console.Root.AddCronCommand and AddDistributedCronCommand besides the spec, e.g.
//
//	root.AddDistributedCronCommand("report", "0 3 * * *", cmd, 10*time.Second,
//		scheduler.WithTimeout(time.Hour), scheduler.WithRetry(3, time.Minute))
//
// An invalid option value is a registration error, which the root command reports before running
// anything (console.Root.Execute). docs/policies.md describes the policies in operation.
package scheduler

import (
	"time"

	"github.com/hadeframe/hade/framework/internal/engine"
)

// EntryOption configures one entry at its registration.
type EntryOption engine.EntryOption

// WithName names the entry's job: the name its runs are recorded and shown under (`cron list`, `cron
// history`). By default a distributed entry's job is named after its service and a normal entry's after
// its command; a command registered twice needs a name for one of them. A job name has 1 to 128 ASCII
// letters, digits, '_', '-' or '.', starting with a letter or digit; an invalid or repeated name is a
// registration error.
func WithName(name string) EntryOption { return EntryOption(engine.WithName(name)) }

// WithTimeout bounds each run: its context ends timeout after the command starts, and a run that has not
// returned by then ends with outcome "timeout". A command that ignores its context is waited for one more
// second, then abandoned: logged and recorded as a timeout, left running, and the entry's next ticks are
// skipped until it returns. timeout <= 0 is a registration error.
func WithTimeout(timeout time.Duration) EntryOption { return EntryOption(engine.WithTimeout(timeout)) }

// WithRetry runs a tick up to attempts times in all while its run fails (error, panic or timeout; not
// when it was killed or the process is stopping), on the process that ran it, waiting backoff before the
// second attempt and twice as long before each next one; an attempt that would start after the entry's
// next tick is not made. Every attempt is logged and recorded with its number. attempts < 1 or backoff < 0
// is a registration error.
func WithRetry(attempts int, backoff time.Duration) EntryOption {
	return EntryOption(engine.WithRetry(attempts, backoff))
}

// WithCatchUp makes a distributed entry catch up after the whole cluster was down over a tick: a starting
// process claims at once the latest tick before its start, if that tick is at most grace old, and runs it
// if it wins; the fence lets it win only if no process claimed that tick or a later one, so the tick runs
// once for the whole cluster (its log line says catch_up). Off by default (grace 0). A negative grace, or
// the option on a normal entry (only the fence knows whether the cluster ran a tick), is a registration
// error.
func WithCatchUp(grace time.Duration) EntryOption { return EntryOption(engine.WithCatchUp(grace)) }

// OverlapPolicy says what a tick of a distributed entry does while the job's previous run still goes on,
// on any process (see WithOverlap). The policies follow Temporal's schedule overlap policies; docs/policies.md
// compares them.
type OverlapPolicy engine.OverlapPolicy

const (
	// OverlapForbid (the default; Temporal's Skip, Kubernetes' Forbid): a tick is skipped (outcome
	// skipped, naming the process that still runs the previous run) while the previous run of the job holds
	// the service's run lease. The lease is taken with the tick's claim, renewed every second by its holder
	// and given back when the run ends; a holder that cannot renew it ends its run (outcome lease_lost)
	// before another process can take it.
	OverlapForbid = OverlapPolicy(engine.OverlapForbid)
	// OverlapAllow (AllowAll; Kubernetes' Allow): every tick runs on the process that wins it, whatever
	// runs elsewhere.
	OverlapAllow = OverlapPolicy(engine.OverlapAllow)
	// OverlapBufferOne: a tick that comes while the previous run goes on waits in the backend (its line says
	// buffered) and runs right after that run ends, on the process that ran it, or, if that process died, on
	// another within about 10 s of its lease's end. At most one tick waits; later ones are skipped.
	OverlapBufferOne = OverlapPolicy(engine.OverlapBufferOne)
	// OverlapBufferAll: as OverlapBufferOne, but every such tick waits (up to 1000) and they run in tick
	// order, one at a time.
	OverlapBufferAll = OverlapPolicy(engine.OverlapBufferAll)
	// OverlapCancelOther (Kubernetes' Replace): a tick that comes while the previous run goes on cancels that
	// run's context (outcome killed, naming the tick), wherever it runs, and runs once it has ended; it is
	// skipped if that has not happened by the entry's next tick.
	OverlapCancelOther = OverlapPolicy(engine.OverlapCancelOther)
	// OverlapTerminateOther: as OverlapCancelOther, but a cancelled command that ignores its context is
	// abandoned 1 s later, left running, and gives back the run lease, so the new tick starts on another
	// process at once; on the same process it waits for the abandoned command (a process never runs two runs
	// of one entry at once).
	OverlapTerminateOther = OverlapPolicy(engine.OverlapTerminateOther)
)

// WithOverlap sets a distributed entry's overlap policy (OverlapForbid by default). A process never runs
// two runs of one entry at once, whatever the policy; a normal entry's tick that comes while its previous
// run goes on is skipped. An unknown policy is a registration error.
func WithOverlap(policy OverlapPolicy) EntryOption {
	return EntryOption(engine.WithOverlap(engine.OverlapPolicy(policy)))
}

// WithPauseOnFailure pauses the job for every process sharing the backend once a scheduled tick's run
// has failed (error, panic or timeout) after its retries, as `cron pause` does, with a note that names
// the tick, the process and the error; `cron list`, `cron state`, the status page, the failed alert and
// the records of the paused ticks show it, and `cron resume` clears it. The process that failed skips the
// next tick; the others from their next heartbeat (within a second). A `cron run` request that fails
// pauses nothing.
func WithPauseOnFailure() EntryOption { return EntryOption(engine.WithPauseOnFailure()) }
