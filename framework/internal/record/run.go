// Package record holds the framework's run and process records: what the scheduler writes, and `cron
// history`, `cron list`, `cron state`, the status page and the alerts read. A backend never reads them: it
// stores each as an opaque body (contract.RunRecord.Body, contract.ProcessRecord.Body) beside the few
// fields it selects, orders and expires by, which EncodeRun and EncodeProcess fill. So a record may grow
// without a change to any backend.
package record

import (
	"time"
	"unicode/utf8"

	"github.com/hadeframe/hade/framework/contract"
)

// Run is one run of a cron entry as the history keeps it: a tick that one process handled, with its
// outcome, or, with Outcome "missed", Count consecutive ticks of a distributed entry that no process ran
// (Tick the first of them, LastTick the last).
type Run struct {
	Job      string    // the entry's job name, unique within the application
	Type     string    // "normal" or "distributed"
	Service  string    // the distributed service name; empty for normal entries
	Tick     time.Time // the scheduled fire time handled (for "missed": the first one missed)
	AppID    string    // the process that handled it (for "missed": the one that saw the gap)
	Hostname string
	PID      int
	Outcome  contract.Outcome // as the run's log line: "ok", "error", "panic", "skipped", "missed", …
	Started  time.Time        // when the process started handling the tick
	Finished time.Time        // when the run ended; Finished-Started is the run's duration
	Late     time.Duration    // how long after Tick+Jitter the command started (or the tick was handled)
	Jitter   time.Duration    // the delay WithJitter gave the tick's run; 0 without jitter
	Error    string           // the run's or claim's error, or why the tick did not run (EncodeRun cuts it)
	Attempt  int              // 1 for the first attempt of a tick
	Count    int              // ticks this record stands for: 1, or for "missed" how many were missed
	LastTick time.Time        // for "missed": the last tick missed; else Tick
	// ClaimResends counts the sends of the tick's claim after its first call failed (its reply may have
	// been lost), made to learn whether it had been applied; 0 when the first call answered.
	ClaimResends int
	// Origin says why the tick ran besides its schedule: "request" (`cron run`), "backfill" (`cron
	// backfill`), "buffered" (a tick that waited its turn, OverlapBufferOne/All); "" for a scheduled tick.
	Origin string
	// Waited is how long a buffered tick waited in its queue, from its tick (plus jitter) to its turn.
	Waited time.Duration
	// PauseNote is the note of the pause WithPauseOnFailure made after this failed tick: set on the record
	// the observers get (so the failed alert says so), not stored in the history.
	PauseNote string
}

// MaxRunErrorLength bounds the Error of a stored Run, in bytes; EncodeRun cuts a longer one, on a
// character boundary, to end with "…", so that no record makes a backend's request too large.
const MaxRunErrorLength = 1024

// cutError returns text cut to MaxRunErrorLength bytes, on a character boundary and ending with "…", when
// it is longer; else text.
func cutError(text string) string {
	if len(text) <= MaxRunErrorLength {
		return text
	}
	cut := MaxRunErrorLength - len("…")
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

// Ran reports whether a record with outcome stands for an attempt that ran, or tried to run, its command
// (a failed claim is an "error" attempt too): skipped, paused, excluded, missed, not_claimed and not_run
// ticks did not.
func Ran(outcome contract.Outcome) bool {
	switch outcome {
	case "skipped", "paused", "excluded", "missed", "not_claimed", "not_run":
		return false
	}
	return true
}
