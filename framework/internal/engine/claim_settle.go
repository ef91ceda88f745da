package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
)

// A claim whose call failed may have been applied (a timeout, a connection cut after the request was
// sent): the engine re-sends it every settlePause, as long as an answer can still come settleMargin before
// the entry's next tick. Claiming a tick again with the same app id is idempotent: the re-send learns
// whether the fence names this process, and a tick it had won runs, late; one it had not is not run.
const (
	settlePause  = 75 * time.Millisecond
	settleMargin = 100 * time.Millisecond
)

// claimResendsKey is the log line's key of the count of a claim's re-sends after its first call failed.
const claimResendsKey = "claim_resends"

// settled is what settling a failed claim took: the first call's error and the sends after it (0: the
// first call answered, or was not re-sent).
type settled struct {
	firstErr error
	resends  int
}

// attrs are the attributes of the run's log line that say a claim was settled: its first call's error
// and the re-sends; none when the first call answered.
func (s settled) attrs() []slog.Attr {
	if s.resends == 0 {
		return nil
	}
	return []slog.Attr{slog.Int(claimResendsKey, s.resends), slog.String("claim_first_error", s.firstErr.Error())}
}

// claimTick claims claim through the claims context and settles a failed call (see settlePause): it
// returns the last answer, its error, and what settling took.
func (j *job) claimTick(state *running, claim contract.Claim) (contract.Claimed, error, settled) {
	claimed, err := state.env.Backend.ClaimTick(state.claims, claim)
	if !mayHaveApplied(err, state.claims) {
		return claimed, err, settled{}
	}
	deadline := j.settleDeadline(claim)
	s := settled{firstErr: err}
	for time.Now().Add(settlePause).Before(deadline) {
		if !clock.Sleep(state.claims, settlePause) {
			break
		}
		s.resends++
		claimed, err = state.env.Backend.ClaimTick(state.claims, claim)
		if !mayHaveApplied(err, state.claims) {
			break
		}
	}
	return claimed, err, s
}

// settleDeadline is when re-sending claim stops: settleMargin before the entry's next tick, or when its
// hold window closes for an entry without a next tick.
func (j *job) settleDeadline(claim contract.Claim) time.Time {
	if next := j.spec.Next(claim.Tick); !next.IsZero() {
		return next.Add(-settleMargin)
	}
	return claim.Tick.Add(claim.HoldTime)
}

// mayHaveApplied reports whether a claim call that returned err may have been applied without this
// process learning it: any error but the fence's answers (closed, conflict) and the end of claims (the
// process is stopping).
func mayHaveApplied(err error, claims context.Context) bool {
	switch {
	case err == nil, errors.Is(err, contract.ErrTickClosed), errors.Is(err, contract.ErrDefinitionConflict):
		return false
	case claims.Err() != nil:
		return false
	}
	return true
}
