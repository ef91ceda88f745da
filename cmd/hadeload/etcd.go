package main

import (
	"errors"
	"fmt"
	"time"
)

// etcdEvents are the events of a run against the etcd cluster hadeload started: Txn counters around the
// window (from the members' /metrics) and the leader's kill.
func (r *loadRun) etcdEvents() []event {
	r.txns = -1
	if r.cluster == nil {
		return nil
	}
	var before float64
	events := []event{
		{at: r.windowStart.Add(-500 * time.Millisecond), do: func() (err error) { before, err = r.etcdTxns(); return err }},
		{at: r.windowEnd.Add(-500 * time.Millisecond), do: func() error {
			after, err := r.etcdTxns()
			r.txns = after - before
			return err
		}},
	}
	for at := time.Duration(0); at <= r.options.duration; at += 30 * time.Second {
		events = append(events, event{at: r.windowStart.Add(at), do: func() error {
			r.dbSizes = append(r.dbSizes, r.dbSize(at))
			return nil
		}})
	}
	if r.options.killLeaderAt > 0 {
		events = append(events, event{at: r.windowStart.Add(r.options.killLeaderAt), do: func() error {
			leader := r.cluster.Leader()
			if leader < 0 {
				return fmt.Errorf("no etcd leader to kill")
			}
			r.disruption = fmt.Sprintf("etcd leader (member %d of 3) killed with SIGKILL", leader)
			r.disruptionStart = time.Now()
			before -= r.memberTxns(leader) // its counter goes with it
			r.cluster.Members[leader].Kill()
			r.disruptionEnd = r.disruptionStart
			return nil
		}})
	}
	return events
}

// etcdTxns returns the Txn requests the running members have handled.
func (r *loadRun) etcdTxns() (float64, error) {
	var sum float64
	for _, m := range r.cluster.Members {
		if !m.Running() {
			continue
		}
		value, err := m.Metric("grpc_server_handled_total", `grpc_method="Txn"`)
		if err != nil {
			return 0, fmt.Errorf("etcd member %s /metrics: %w", m.Name, err)
		}
		sum += value
	}
	return sum, nil
}

// memberTxns returns the Txn requests member i has handled, 0 when it does not answer.
func (r *loadRun) memberTxns(i int) float64 {
	value, err := r.cluster.Members[i].Metric("grpc_server_handled_total", `grpc_method="Txn"`)
	if err != nil {
		return 0
	}
	return value
}

// dbSize returns a line of the members' database sizes (total and in use, MiB) at offset into the window.
func (r *loadRun) dbSize(offset time.Duration) string {
	line := fmt.Sprintf("  %4.0fs:", offset.Seconds())
	for _, m := range r.cluster.Members {
		if !m.Running() {
			continue
		}
		total, err := m.Metric("etcd_mvcc_db_total_size_in_bytes")
		inUse, errInUse := m.Metric("etcd_mvcc_db_total_size_in_use_in_bytes")
		if err != nil || errInUse != nil {
			line += fmt.Sprintf("  %s: %v", m.Name, errors.Join(err, errInUse))
			continue
		}
		line += fmt.Sprintf("  %s %.1f MiB (in use %.1f)", m.Name, total/(1<<20), inUse/(1<<20))
	}
	return line
}
