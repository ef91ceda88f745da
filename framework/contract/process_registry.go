package contract

import (
	"context"
	"time"
)

// ProcessRecord describes one live cron process, as it registers itself in the backend it shares.
type ProcessRecord struct {
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
}

// RunningTick is a run in progress on a process.
type RunningTick struct {
	Job   string
	Tick  time.Time // the tick being run
	Since time.Time // when its run started
}

// ProcessRegistry keeps the live cron processes of every host sharing a backend (part of every
// Backend). A record lives ttl after its last Heartbeat, so a killed process drops out by itself.
type ProcessRegistry interface {
	// Heartbeat registers record, or replaces the record of its AppID, and keeps it until ttl (> 0, at
	// least one second) after this call unless refreshed; in the same round trip it returns the orders of
	// the operators (see JobControl). It returns an error when record.AppID is empty or ttl is out of
	// range, ctx's error when ctx ends first, and an error naming the backend when it fails.
	Heartbeat(ctx context.Context, record ProcessRecord, ttl time.Duration) (Orders, error)
	// Processes returns the live records (not expired, not deregistered), ordered by Hostname then
	// Started. Errors as for Heartbeat.
	Processes(ctx context.Context) ([]ProcessRecord, error)
	// Deregister removes appID's record; removing a missing record is not an error.
	Deregister(ctx context.Context, appID string) error
}
