package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/hadeframe/hade/framework/internal/order"
)

// maxPauseNoteError bounds the part of a pause-on-failure note that quotes the run's error, in bytes.
const maxPauseNoteError = 300

// failed reports whether outcome is a failure of the job itself: what WithRetry retries and
// WithPauseOnFailure pauses on.
func failed(outcome string) bool {
	return outcome == outcomeError || outcome == outcomePanic || outcome == outcomeTimeout
}

// pauseOnFailure pauses the job for every process sharing the backend, with a note naming tick and its
// error, when the entry has WithPauseOnFailure and result, its last attempt, failed. This process skips
// the job's ticks from now on, the others from their next heartbeat. A run request's failure pauses
// nothing. It logs the pause, or why it failed, and returns the note of a pause it made ("" for none).
func (j *job) pauseOnFailure(state *running, tick time.Time, mode runMode, result attemptResult) string {
	if !j.spec.options.pauseOnFailure || !failed(result.outcome) || mode.request != nil {
		return ""
	}
	logger := j.entryLogger(state.env)
	if state.env.Backend == nil {
		logger.Error("cron pause on failure", "tick", tick.Format(time.RFC3339),
			"error", "no backend keeps the job control: the job was not paused")
		return ""
	}
	note := pauseNote(tick, result.outcome, errorText(result.attrs), state.env)
	ctx, cancel := context.WithTimeout(context.Background(), controlCallTimeout)
	defer cancel()
	if err := state.env.Backend.SetPaused(ctx, j.spec.Name, true, note); err != nil {
		logger.Error("cron pause on failure", "tick", tick.Format(time.RFC3339),
			"error", "the job could not be paused: "+err.Error())
		return ""
	}
	state.notePaused(j.spec.Name, note)
	logger.LogAttrs(context.Background(), slog.LevelWarn, "cron pause on failure", slog.String("tick", tick.Format(time.RFC3339)),
		slog.String("note", note))
	return note
}

// pauseNote is the note of a pause on the failure of tick: when, where, the outcome and the start of the
// error, e.g. "paused on failure: tick 2026-12-04T10:00:00Z failed (error) on web-1/4242: no route".
func pauseNote(tick time.Time, outcome, errText string, env *Environment) string {
	if len(errText) > maxPauseNoteError {
		errText = cutText(errText, maxPauseNoteError)
	}
	return order.CleanPauseNote(fmt.Sprintf("paused on failure: tick %s failed (%s) on %s/%d: %s",
		tick.UTC().Format(time.RFC3339), outcome, env.Process.Hostname, env.Process.PID, errText))
}

// cutText returns text cut to at most max bytes on a character boundary, ending with "…".
func cutText(text string, max int) string {
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}
