package contract

import (
	"context"
	"errors"
	"time"
)

// ErrTickClosed is returned (wrapped) by Claims.ClaimTick when a tick can no longer be claimed: a
// later tick of the same service has already been claimed (the fence has moved past it), or the backend's
// clock is outside the tick's hold window. The caller must not run the tick. Test with errors.Is.
var ErrTickClosed = errors.New("tick is closed")

// ErrDefinitionConflict is returned (wrapped) by Claims.ClaimTick when the service's fence was last
// moved by a claim of another definition (another spec, zone or hold time) that is still live. The
// message names both definitions. The caller must not run the tick. Test with errors.Is.
var ErrDefinitionConflict = errors.New("another definition of the service is live")

// Claim is one claim of a tick of a distributed service.
type Claim struct {
	// Service is the service name: 1 to 128 bytes of ASCII letters, digits, '_', '-' and '.', starting
	// with a letter or digit (it becomes part of file names and keys); a backend refuses another.
	Service string
	// AppID identifies the claiming process; it must be non-empty.
	AppID string
	// Tick is the scheduled fire time claimed; it must be non-zero.
	Tick time.Time
	// HoldTime (> 0) bounds the hold window [Tick-HoldTime, Tick+HoldTime], in which the tick may be
	// claimed by the backend's clock.
	HoldTime time.Duration
	// Definition names the schedule Tick comes from, e.g. `spec "0 * * * *" zone UTC hold 2s`; every
	// process registering the service the same way sends the same text. Empty is a definition too.
	Definition string
	// LiveUntil is when this definition will next have claimed if a process of it is alive: its next
	// tick after Tick plus HoldTime. It must not be before Tick.
	LiveUntil time.Time
	// RunLease, when > 0, asks for the service's run lease with the tick (the OverlapForbid policy): the
	// claim that wins the tick also takes the lease for (AppID, Tick), to live RunLease after the claim by
	// the backend's clock, unless another run holds it; then the tick is still won (the fence moves) but
	// Claimed.Busy names that run and the caller skips the tick. See RunLeases. 0: no lease.
	RunLease time.Duration
}

// Claimed is the answer to a claim the backend decided.
type Claimed struct {
	// Holder is the app id that holds the tick: Claim.AppID when this call (or an earlier one of the same
	// app) won it, another app's id when that app won it.
	Holder string
	// Previous is set on the call whose claim moved the fence: the tick the fence held before, when that
	// tick was won with the same definition. Zero otherwise: the service's first claim, a fence of another
	// definition, a tick held by another app, or a re-sent claim learning that it had won. The ticks of the
	// definition strictly between Previous and Claim.Tick were won by no process: they were missed.
	Previous time.Time
	// Busy is set when the claim asked for the run lease and won the tick while another run held the
	// lease: that run (its Holder and Tick). The caller skips the tick. A re-sent claim of a won tick
	// is busy too, naming that run, or "(a run that has ended)" when it has released the lease since.
	Busy RunLease
}

// Claims decide, among all processes that share a backend, which one runs each tick of a named service.
//
// # Guarantee for cron ticks
//
// A tick is one scheduled fire time of a service, computed from the job's definition (spec, zone); every
// process with that definition computes the same ticks. For each service the backend keeps a fence: the
// latest tick claimed, its winner, the winner's definition and its LiveUntil. The fence never expires. A
// claim for tick T succeeds only if T is later than the fence's tick, the backend's clock reads within
// [T-HoldTime, T+HoldTime], and the claim has the fence's definition or the backend's clock is past the
// fence's LiveUntil; it moves the fence to T atomically. Therefore:
//   - a tick is won at most once, however late, early or slow any process is, and ticks are won in
//     increasing order (the fence only grows);
//   - two definitions of one service never both win ticks while both are live: the one that holds the
//     fence keeps it until it misses its own next tick, and the other is refused with
//     ErrDefinitionConflict;
//   - a tick is won exactly once if at least one live process claims it within HoldTime of T (by the
//     backend's clock) before any process claims a later tick of the same service;
//   - a process that cannot reach the backend gets an error and must skip the tick (fail closed): a
//     missed run is preferred to a doubled one.
//
// A claim is idempotent for its claimer: claiming again the tick one holds returns one's own app id, so a
// claim whose reply was lost may be sent again while the window is open. The winner runs the job once; it
// is not told whether the run succeeded, so jobs should be idempotent for the case where a process dies
// mid-run. Processes using different backends see different fences and do not exclude each other.
type Claims interface {
	// ClaimTick claims claim.Tick for claim.AppID and returns who holds the tick (see Claimed): claim.AppID
	// when this call (or an earlier one of the same app) won it, another app's id when that app won it (no
	// error). It returns a wrapped ErrTickClosed when the tick can no longer be claimed, a wrapped
	// ErrDefinitionConflict when another live definition holds the service, ctx's error when ctx ended
	// before the claim reached the backend, and any other error when the input is invalid or the backend
	// could not be reached or answered badly.
	ClaimTick(ctx context.Context, claim Claim) (Claimed, error)
}
