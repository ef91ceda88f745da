package engine

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// The process's registry record is refreshed every heartbeatInterval and lives heartbeatTTL after the last
// refresh, so a killed process drops out of `cron state` within heartbeatTTL. It lists at most
// maxRunningListed runs in progress, the oldest first.
const (
	heartbeatInterval = time.Second
	heartbeatTTL      = 5 * time.Second
	maxRunningListed  = 100
	orphanCheckBeats  = 5 // every 5th heartbeat, ticks left waiting by a dead holder are taken (takeOrphans)
)

// heartbeat keeps this process's record in the registry until stop, then removes it.
type heartbeat struct {
	registry contract.ProcessRegistry
	process  record.Process // AppID, Hostname, PID, … and Started
	state    *running
	logger   *slog.Logger
	stopped  chan struct{}
	done     chan struct{}
}

// startHeartbeat registers process, and learns the orders, once before it returns (so that a restarted
// process knows the paused jobs before its first tick), then every heartbeatInterval until stop.
func startHeartbeat(registry contract.ProcessRegistry, process record.Process, state *running) *heartbeat {
	h := &heartbeat{registry: registry, process: process, state: state, logger: state.env.Logger,
		stopped: make(chan struct{}), done: make(chan struct{})}
	down := h.report(h.beat(), false)
	go h.loop(down)
	return h
}

func (h *heartbeat) loop(down bool) {
	defer close(h.done)
	ticker := time.NewTicker(heartbeatInterval)
	defer ticker.Stop()
	for beats := 1; ; beats++ {
		select {
		case <-ticker.C:
		case <-h.stopped:
			return
		}
		down = h.report(h.beat(), down)
		if beats%orphanCheckBeats == 0 {
			h.state.takeOrphans()
		}
	}
}

// report logs the first failed heartbeat of an outage and the first one that works after it; it returns
// whether the heartbeat is now failing.
func (h *heartbeat) report(err error, down bool) bool {
	switch {
	case err != nil && !down:
		h.logger.Error("process registry: the heartbeat failed; this process is missing from `cron state` and "+
			"does not learn pauses and requests until it works again", "error", err.Error())
	case err == nil && down:
		h.logger.Info("process registry: the heartbeat works again")
	}
	return err != nil
}

// beat writes the record with the runs in progress and the records lost so far, and applies the orders
// it brings back.
func (h *heartbeat) beat() error {
	process := h.process
	process.Heartbeat = time.Now()
	process.Running = h.state.inProgress()
	process.Buffered = h.state.buffered()
	if h.state.recorder != nil {
		process.LostRecords = h.state.recorder.lost.Load()
	}
	stored, err := record.EncodeProcess(process)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), heartbeatInterval)
	defer cancel()
	orders, err := h.registry.Heartbeat(ctx, stored, heartbeatTTL)
	if observer := h.state.env.Observer; observer != nil {
		observer.BackendChecked(err)
	}
	if err == nil {
		h.state.applyOrders(orders)
	}
	return err
}

// stop ends the heartbeats and removes the record (the error of the removal is logged).
func (h *heartbeat) stop() {
	close(h.stopped)
	<-h.done
	ctx, cancel := context.WithTimeout(context.Background(), heartbeatInterval)
	defer cancel()
	if err := h.registry.Deregister(ctx, h.process.AppID); err != nil {
		h.logger.Warn("process registry: removing this process's record failed; it expires by itself",
			"error", err.Error(), "expires_in", heartbeatTTL.String())
	}
}

// inProgress lists the runs whose command started and has not returned, oldest first, at most
// maxRunningListed.
func (r *running) inProgress() []record.RunningTick {
	r.mu.Lock()
	var runs []record.RunningTick
	for run := range r.active {
		if since := run.since.Load(); since != 0 {
			runs = append(runs, record.RunningTick{Job: run.job.spec.Name, Tick: run.tick, Since: time.Unix(0, since)})
		}
	}
	r.mu.Unlock()
	sort.Slice(runs, func(i, k int) bool { return runs[i].Since.Before(runs[k].Since) })
	if len(runs) > maxRunningListed {
		runs = runs[:maxRunningListed]
	}
	return runs
}
