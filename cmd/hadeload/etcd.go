package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// etcdRequestMetric is the members' counter of the gRPC requests they received, by method: a unary call
// (Range, Txn, LeaseGrant, …) or a stream opened (LeaseKeepAlive: the client's KeepAliveOnce opens one).
const etcdRequestMetric = "grpc_server_started_total"

// etcdKVMethods are the methods of etcd's KV service; the other methods are the Lease service's and the
// rest (Watch, Maintenance, Auth, Cluster).
var etcdKVMethods = []string{"Range", "Put", "DeleteRange", "Txn", "Compact"}

// etcdRequests counts requests by gRPC method (method names are unique across etcd's services).
type etcdRequests map[string]float64

// minus returns r - other, method by method.
func (r etcdRequests) minus(other etcdRequests) etcdRequests {
	difference := maps.Clone(r)
	for method, n := range other {
		difference[method] -= n
	}
	return difference
}

// etcdEvents are the events of a run against the etcd cluster hadeload started: request counters around
// the window (from the members' /metrics) and the kill of a member.
func (r *loadRun) etcdEvents() []event {
	r.requests = nil
	if r.cluster == nil {
		return nil
	}
	before := etcdRequests{}
	events := []event{
		{at: r.windowStart.Add(-500 * time.Millisecond), do: func() (err error) { before, err = r.etcdRequests(); return err }},
		{at: r.windowEnd.Add(-500 * time.Millisecond), do: func() error {
			after, err := r.etcdRequests()
			r.requests = after.minus(before)
			return err
		}},
	}
	for at := time.Duration(0); at <= r.options.duration; at += 30 * time.Second {
		events = append(events, event{at: r.windowStart.Add(at), do: func() error {
			r.dbSizes = append(r.dbSizes, r.dbSize(at))
			return nil
		}})
	}
	if r.options.killMemberAt > 0 {
		events = append(events, r.killMemberEvent(&before))
	}
	return events
}

// etcdRequests returns the requests the running members have received, by method.
func (r *loadRun) etcdRequests() (etcdRequests, error) {
	sum := etcdRequests{}
	for _, m := range r.cluster.Members {
		if !m.Running() {
			continue
		}
		counts, err := m.MetricBy(etcdRequestMetric, "grpc_method")
		if err != nil {
			return nil, fmt.Errorf("etcd member %s /metrics: %w", m.Name, err)
		}
		for method, n := range counts {
			sum[method] += n
		}
	}
	return sum, nil
}

// memberRequests returns the requests member i has received, by method; none when it does not answer.
func (r *loadRun) memberRequests(i int) etcdRequests {
	counts, err := r.cluster.Members[i].MetricBy(etcdRequestMetric, "grpc_method")
	if err != nil {
		return etcdRequests{}
	}
	return counts
}

// reportEtcdRequests writes the requests of the window: KV requests (every method of etcd's KV service)
// in all and by method, then the others by service, each per executed tick and per node per second.
func reportEtcdRequests(out io.Writer, requests etcdRequests, executed, nodes int, window time.Duration) {
	rate := func(n float64) string {
		return fmt.Sprintf("%.0f (%.4f per executed tick, %.2f per node per second)", n, n/float64(executed),
			n/float64(nodes)/window.Seconds())
	}
	groups := []struct {
		name    string
		methods []string
	}{{"KV", etcdKVMethods}, {"Lease", nil}, {"other", nil}}
	for method := range requests {
		switch {
		case slices.Contains(etcdKVMethods, method):
		case strings.HasPrefix(method, "Lease"):
			groups[1].methods = append(groups[1].methods, method)
		default:
			groups[2].methods = append(groups[2].methods, method)
		}
	}
	fmt.Fprintf(out, "\netcd: requests in the window (%s from the members' /metrics, by gRPC method):\n", etcdRequestMetric)
	for _, group := range groups {
		slices.Sort(group.methods)
		var total float64
		var lines []string
		for _, method := range group.methods {
			if n := requests[method]; n != 0 {
				total += n
				lines = append(lines, fmt.Sprintf("    %-15s %s", method, rate(n)))
			}
		}
		if group.name == "KV" || total != 0 {
			fmt.Fprintf(out, "  %-17s %s\n%s", group.name+" requests", rate(total), strings.Join(append(lines, ""), "\n"))
		}
	}
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
