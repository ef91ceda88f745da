package backend

import (
	"fmt"
	"time"
)

// Retention bounds the run history a backend keeps (contract.RunHistory): at most PerJob records of each
// job, the newest by tick, and none whose tick is older than MaxAge.
type Retention struct {
	PerJob int           // > 0; 1000 when 0
	MaxAge time.Duration // > 0; 30 days when 0
}

// defaultRetention keeps 1000 records per job for at most 30 days.
var defaultRetention = Retention{PerJob: 1000, MaxAge: 30 * 24 * time.Hour}

// WithDefaults returns r with its zero fields set to the defaults (1000 records per job, 30 days), or an
// error naming a negative one.
func (r Retention) WithDefaults() (Retention, error) {
	if r.PerJob < 0 || r.MaxAge < 0 {
		return r, fmt.Errorf("run history retention of %d runs per job and %s: both must be positive (0 for the defaults, %d runs and %s)",
			r.PerJob, r.MaxAge, defaultRetention.PerJob, defaultRetention.MaxAge)
	}
	if r.PerJob == 0 {
		r.PerJob = defaultRetention.PerJob
	}
	if r.MaxAge == 0 {
		r.MaxAge = defaultRetention.MaxAge
	}
	return r, nil
}
