package claimqueue

import (
	"log/slog"
	"sync/atomic"
)

// Outage logs the start of a backend's outage (a call failed after one that did not, or the first call
// failed) and its end (a call answered after one that failed), once each, whatever the number of calls
// and of goroutines making them. Backend names the backend in the messages ("etcd", "postgres", "redis")
// and Where holds the attributes that name the server (slog key-value pairs).
type Outage struct {
	Logger  *slog.Logger
	Backend string
	Where   []any
	down    atomic.Bool
}

// Note notes the outcome of one call: err is nil when the backend answered.
func (o *Outage) Note(err error) {
	switch {
	case err != nil && o.down.CompareAndSwap(false, true):
		o.Logger.Warn(o.Backend+" does not answer: distributed claims fail (fail closed) until it does",
			append(o.Where[:len(o.Where):len(o.Where)], "error", err.Error())...)
	case err == nil && o.down.CompareAndSwap(true, false):
		o.Logger.Info(o.Backend+" answers again: distributed claims resume", o.Where...)
	}
}
