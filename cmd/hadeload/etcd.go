package main

import (
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
