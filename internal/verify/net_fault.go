package verify

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Network fault kinds, between one node and the backend, through the node's proxies (proxy.go). Their
// names start with "node-": they hit one node, not the backend every node shares.
const (
	faultNetCut       = "node-net-cut"        // every link of a node cut (refused or blackholed) for 0.5–3 × hold
	faultNetDelay     = "node-net-delay"      // every link of a node delayed by 0.1–0.5 × hold, for 1–3 × hold
	faultNetCutMember = "node-net-cut-member" // etcd: a node's link to one member cut for 0.5–3 × hold
)

// netFaultKinds are the network fault kinds on backend b: none on the local one (no network).
func netFaultKinds(b backend) []string {
	switch b.(type) {
	case *localBackend:
		return nil
	case *etcdBackend:
		return []string{faultNetCut, faultNetDelay, faultNetCutMember}
	}
	return []string{faultNetCut, faultNetDelay}
}

// startProxies starts one proxy per node and backend endpoint: proxies[node][endpoint]. On failure it
// stops those it started.
func startProxies(endpoints []string, nodes int) ([][]*proxy, error) {
	proxies := make([][]*proxy, nodes)
	for node := range proxies {
		for _, endpoint := range endpoints {
			p, err := startProxy(endpoint)
			if err != nil {
				stopProxies(proxies)
				return nil, fmt.Errorf("start the proxy of node %d to %s: %w", node, endpoint, err)
			}
			proxies[node] = append(proxies[node], p)
		}
	}
	return proxies, nil
}

// stopProxies stops every proxy; their goroutines have ended when it returns.
func stopProxies(proxies [][]*proxy) {
	for _, links := range proxies {
		for _, p := range links {
			p.stop()
		}
	}
}

// proxyAddrs returns the addresses node index dials, one per backend endpoint.
func proxyAddrs(proxies [][]*proxy, index int) []string {
	var addrs []string
	for _, p := range proxies[index] {
		addrs = append(addrs, p.addr())
	}
	return addrs
}

// netFault performs a network fault of kind on node index, with durations drawn from rng.
func (m nemesis) netFault(kind string, index int, rng *rand.Rand, f *Record) error {
	hold := m.run.opts.Hold
	links := m.run.proxies[index]
	f.Service = m.run.nodes[index].proc
	if kind == faultNetDelay {
		delay, lasting := between(rng, hold/10, hold/2), between(rng, hold, 3*hold)
		f.Error = fmt.Sprintf("traffic delayed by %s each way for %s", delay, lasting)
		for _, p := range links {
			p.setDelay(delay)
		}
		time.Sleep(lasting)
		for _, p := range links {
			p.setDelay(0)
		}
		return nil
	}
	mode, how := linkRefused, "refused"
	if rng.IntN(2) == 1 {
		mode, how = linkBlackhole, "blackholed"
	}
	lasting := between(rng, hold/2, 3*hold)
	f.Error = fmt.Sprintf("cut from the backend, new connections %s, for %s", how, lasting)
	if kind == faultNetCutMember {
		member := rng.IntN(len(links))
		links = links[member : member+1]
		f.Error = fmt.Sprintf("cut from etcd member %d only, new connections %s, for %s", member, how, lasting)
	}
	for _, p := range links {
		p.setMode(mode)
	}
	time.Sleep(lasting)
	for _, p := range links {
		p.setMode(linkUp)
	}
	return nil
}

// netExcuse returns why tick claims may not have run because of a network fault, or "": a node's last
// claim of the tick failed or never returned while the node's links were faulted (or within reconnect
// after), so one of its claims may have been applied by the backend without its node learning it. The
// engine re-sends a claim whose call failed until 100 ms before the entry's next tick (it settles it): its
// last claim is the one settling ended with, made as that deadline neared, so the excuse only covers a
// link still down (cut, or delayed past the call's bound) then. A failed claim whose re-send was answered
// excuses nothing: its node learned the fence (a tick it won runs; one another node holds is that node's).
func netExcuse(h *history, claims []*claim) string {
	return unsettledExcuse(h, claims, reconnect, func(f Record) bool { return strings.HasPrefix(f.Proc, "node-net-") },
		": claim failed (it may have won)")
}

// unsettledExcuse returns the excuse of the first of claims that is its process's last claim of the tick and
// failed or never returned while a fault of that process that isFault selects lasted (from lead before the
// claim was sent): the fault's kind followed by cause; "" when there is none.
func unsettledExcuse(h *history, claims []*claim, lead time.Duration, isFault func(Record) bool, cause string) string {
	for _, c := range lastClaims(claims) {
		if c.ret != nil && c.ret.Result != resultError {
			continue
		}
		end := int64(1<<63 - 1)
		if c.ret != nil {
			end = c.ret.Mono
		}
		for _, f := range h.faultsDuring(c.invoke.Mono-lead.Nanoseconds(), end) {
			if isFault(f) && f.Service == c.invoke.Proc {
				return f.Proc + cause
			}
		}
	}
	return ""
}

// lastClaims returns the last claim of each process among claims (the claims of one tick): its claim
// with the highest claim number (Op).
func lastClaims(claims []*claim) []*claim {
	last := map[string]*claim{}
	var procs []string
	for _, c := range claims {
		latest, ok := last[c.invoke.Proc]
		if !ok {
			procs = append(procs, c.invoke.Proc)
		}
		if !ok || c.invoke.Op > latest.invoke.Op {
			last[c.invoke.Proc] = c
		}
	}
	result := make([]*claim, len(procs))
	for i, proc := range procs {
		result[i] = last[proc]
	}
	return result
}
