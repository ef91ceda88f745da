package contract

import (
	"errors"
	"time"
)

// DistributedKey is the container key of the Distributed service.
const DistributedKey = "hade:distributed"

// ErrTickClosed is returned (wrapped) by Distributed.ClaimTick when a tick can no longer be claimed: a
// later tick of the same service has already been claimed (the fence has moved past it), or the backend's
// clock is outside the tick's claim window. The caller must not run the tick. Test with errors.Is.
var ErrTickClosed = errors.New("tick is closed")

// Distributed selects one process among all processes that share a backend (the local host's files, or
// one Redis) for a named service.
//
// # Guarantee for cron ticks
//
// A tick is one scheduled fire time of a service, computed from the job's spec; every process computes the
// same ticks. For each service the backend keeps a fence: the latest tick claimed and its winner. A claim
// for tick T succeeds only if T is later than the fence and the backend's clock reads within
// [T-holdTime, T+holdTime]; it moves the fence to T atomically. Therefore:
//   - a tick is won at most once, however late, early or slow any process is, and ticks are won in
//     increasing order (the fence only grows);
//   - a tick is won exactly once if at least one live process claims it within holdTime of T (by the
//     backend's clock) before any process claims a later tick of the same service;
//   - a process that cannot reach the backend gets an error and must skip the tick (fail closed): a
//     missed run is preferred to a doubled one.
//
// The winner runs the job once; it is not told whether the run succeeded, so jobs should be idempotent
// for the case where a process dies mid-run. Processes using different backends (another Redis, another
// host's files) see different fences and do not exclude each other.
type Distributed interface {
	// ClaimTick claims tick for appID on serviceName and returns the app id that holds the tick.
	//
	// serviceName must satisfy ValidateServiceName; appID must be non-empty; tick must be non-zero;
	// holdTime (> 0) is the claim window on each side of tick and how long the backend keeps the claim.
	// It returns appID when this call won the tick, another app's id when that app already won the same
	// tick (no error), a wrapped ErrTickClosed when the tick can no longer be claimed, and any other error
	// when the input is invalid or the backend could not be reached or answered badly. It never retries a
	// claim.
	ClaimTick(serviceName string, appID string, tick time.Time, holdTime time.Duration) (selectedAppID string, err error)

	// Select elects one app for serviceName for the current holdTime-long window, as in the hade design:
	// time is cut into windows of holdTime aligned to the Unix epoch, and the first app to call Select in
	// a window holds serviceName until the window ends. It returns the holder (appID if this call won) and
	// an error only when the input is invalid (holdTime <= 0, an invalid service name, an empty appID) or
	// the backend fails; not being selected is not an error. It is ClaimTick with tick = now truncated to
	// holdTime, so Select and ClaimTick must not share a service name.
	Select(serviceName string, appID string, holdTime time.Duration) (selectedAppID string, err error)
}
