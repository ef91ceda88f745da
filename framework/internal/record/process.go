package record

import "time"

// Process describes one live cron process, as it registers itself in the backend it shares.
type Process struct {
	AppID      string // the process's App.AppID(), the record's key
	Hostname   string
	PID        int
	BaseFolder string    // the application's base folder on its host
	Provider   string    // the Distributed backend, e.g. "redis redis://host:6379/0" (no secret)
	Version    string    // the application's version, or the build's module version
	Started    time.Time // when the process started its scheduler
	Heartbeat  time.Time // when the process last refreshed this record
	Running    []RunningTick
	// LostRecords counts the run records this process could not write to the history since it started.
	LostRecords int64
	// Buffered is, by job, how many ticks wait in the job's queue (OverlapBufferOne, OverlapBufferAll), as
	// this process last saw them; jobs with none are left out.
	Buffered map[string]int
}

// RunningTick is a run in progress on a process.
type RunningTick struct {
	Job   string
	Tick  time.Time // the tick being run
	Since time.Time // when its run started
}
