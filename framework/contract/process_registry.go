package contract

import (
	"context"
	"time"
)

// ProcessRecord is a live cron process as the registry keeps it: its AppID, the record's key, and Body,
// the record itself (host, pid, runs in progress, …), which the framework encodes (see
// framework/internal/record) and the backend stores and returns byte for byte without reading it.
type ProcessRecord struct {
	AppID string // the process's App.AppID()
	Body  []byte // the encoded record
}

// ProcessRegistry keeps the live cron processes of every host sharing a backend (part of every
// Backend). A record lives ttl after its last Heartbeat, so a killed process drops out by itself.
type ProcessRegistry interface {
	// Heartbeat registers record (a copy of its Body), or replaces the record of its AppID, and keeps it
	// until ttl (> 0, at least one second) after this call unless refreshed; in the same round trip it
	// returns the orders of the operators (see JobControl). It returns an error when record.AppID is
	// empty or ttl is out of range, ctx's error when ctx ends first, and an error naming the backend when
	// it fails.
	Heartbeat(ctx context.Context, record ProcessRecord, ttl time.Duration) (Orders, error)
	// Processes returns the live records (not expired, not deregistered), in no particular order.
	// Errors as for Heartbeat.
	Processes(ctx context.Context) ([]ProcessRecord, error)
	// Deregister removes appID's record; removing a missing record is not an error.
	Deregister(ctx context.Context, appID string) error
}
