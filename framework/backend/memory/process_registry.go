package memory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// process is a registered process record and when it expires, by the Store's clock.
type process struct {
	record  contract.ProcessRecord
	expires time.Time
}

// Heartbeat implements contract.ProcessRegistry.Heartbeat: it deletes the expired records, stores a copy
// of record and its body (replacing the record of its AppID) to expire ttl from now by the Store's clock,
// and returns the orders (see control.orders). It returns an error for an empty record.AppID or a ttl under
// one second, a wrapped ctx error when ctx has ended, and an error when the client is closed.
func (c *client) Heartbeat(ctx context.Context, record contract.ProcessRecord, ttl time.Duration) (contract.Orders, error) {
	switch {
	case record.AppID == "":
		return contract.Orders{}, errors.New("process registry: heartbeat of a record without an AppID: the AppID is its key")
	case ttl < time.Second:
		return contract.Orders{}, fmt.Errorf("process registry: heartbeat of %q with a ttl of %s: it must be at least 1s", record.AppID, ttl)
	}
	if err := c.begin(ctx, fmt.Sprintf("process registry: heartbeat of %q", record.AppID)); err != nil {
		return contract.Orders{}, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	for appID, p := range s.records {
		if !p.expires.After(now) {
			delete(s.records, appID)
		}
	}
	record.Body = slices.Clone(record.Body)
	s.records[record.AppID] = process{record: record, expires: now.Add(ttl)}
	return s.control.orders(now), nil
}

// Processes implements contract.ProcessRegistry.Processes: copies of the records not expired by the
// Store's clock, ordered by AppID. It returns a wrapped ctx error when ctx
// has ended and an error when the client is closed.
func (c *client) Processes(ctx context.Context) ([]contract.ProcessRecord, error) {
	if err := c.begin(ctx, "process registry: list"); err != nil {
		return nil, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	var records []contract.ProcessRecord
	for _, p := range s.records {
		if p.expires.After(now) {
			record := p.record
			record.Body = slices.Clone(record.Body)
			records = append(records, record)
		}
	}
	slices.SortFunc(records, func(a, b contract.ProcessRecord) int { return cmp.Compare(a.AppID, b.AppID) })
	return records, nil
}

// Deregister implements contract.ProcessRegistry.Deregister: it deletes appID's record; a missing record
// is not an error. It returns an error for an empty appID, and errors as Processes'.
func (c *client) Deregister(ctx context.Context, appID string) error {
	if appID == "" {
		return errors.New("process registry: deregister of an empty AppID: give the AppID of a process")
	}
	if err := c.begin(ctx, fmt.Sprintf("process registry: deregister %q", appID)); err != nil {
		return err
	}
	s := c.store
	s.lock()
	defer s.mu.Unlock()
	delete(s.records, appID)
	return nil
}
