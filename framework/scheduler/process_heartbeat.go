package scheduler

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// The process's registry record is refreshed every heartbeatInterval and lives heartbeatTTL after the last
// refresh, so a killed process drops out of `cron state` within heartbeatTTL. It lists at most
// maxRunningListed runs in progress, the oldest first.
const (
	heartbeatInterval = time.Second
	heartbeatTTL      = 5 * time.Second
	maxRunningListed  = 100
)

// heartbeat keeps this process's record in the registry until stop, then removes it.
type heartbeat struct {
	registry contract.ProcessRegistry
	record   contract.ProcessRecord // AppID, Hostname, PID, … and Started
	state    *running
	logger   *slog.Logger
	stopped  chan struct{}
	done     chan struct{}
}

// startHeartbeat registers record at once and every heartbeatInterval until stop.
func startHeartbeat(registry contract.ProcessRegistry, record contract.ProcessRecord, state *running) *heartbeat {
	h := &heartbeat{registry: registry, record: record, state: state, logger: state.env.Logger,
		stopped: make(chan struct{}), done: make(chan struct{})}
	go h.loop()
	return h
}

func (h *heartbeat) loop() {
	defer close(h.done)
	ticker := time.NewTicker(heartbeatInterval)
	defer ticker.Stop()
	down := false
	for {
		err := h.beat()
		switch {
		case err != nil && !down:
			h.logger.Error("process registry: the heartbeat failed; this process is missing from `cron state` until it works again",
				"error", err.Error())
		case err == nil && down:
			h.logger.Info("process registry: the heartbeat works again")
		}
		down = err != nil
		select {
		case <-ticker.C:
		case <-h.stopped:
			return
		}
	}
}

// beat writes the record with the runs in progress and the records lost so far.
func (h *heartbeat) beat() error {
	record := h.record
	record.Heartbeat = time.Now()
	record.Running = h.state.inProgress()
	if h.state.recorder != nil {
		record.LostRecords = h.state.recorder.lost.Load()
	}
	ctx, cancel := context.WithTimeout(context.Background(), heartbeatInterval)
	defer cancel()
	return h.registry.Heartbeat(ctx, record, heartbeatTTL)
}

// stop ends the heartbeats and removes the record (the error of the removal is logged).
func (h *heartbeat) stop() {
	close(h.stopped)
	<-h.done
	ctx, cancel := context.WithTimeout(context.Background(), heartbeatInterval)
	defer cancel()
	if err := h.registry.Deregister(ctx, h.record.AppID); err != nil {
		h.logger.Warn("process registry: removing this process's record failed; it expires by itself",
			"error", err.Error(), "expires_in", heartbeatTTL.String())
	}
}

// inProgress lists the runs whose command started and has not returned, oldest first, at most
// maxRunningListed.
func (r *running) inProgress() []contract.RunningTick {
	r.mu.Lock()
	var runs []contract.RunningTick
	for run := range r.active {
		if since := run.since.Load(); since != 0 {
			runs = append(runs, contract.RunningTick{Job: run.job.spec.Name, Tick: run.tick, Since: time.Unix(0, since)})
		}
	}
	r.mu.Unlock()
	sort.Slice(runs, func(i, k int) bool { return runs[i].Since.Before(runs[k].Since) })
	if len(runs) > maxRunningListed {
		runs = runs[:maxRunningListed]
	}
	return runs
}
