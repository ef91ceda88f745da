package verify

import (
	"testing"
	"time"
)

func TestNetExcuseOnlyFailedClaimsOfTheFaultedNode(t *testing.T) {
	s := int64(time.Second)
	h := &history{faults: []Record{{Kind: kindFault, Proc: faultNetCut, Service: "n1.0", Mono: 10 * s, EndMono: 12 * s}}}
	claimAt := func(proc string, at int64, result string) []*claim {
		c := &claim{invoke: Record{Kind: kindInvoke, Proc: proc, Mono: at}}
		if result != "" {
			c.ret = &Record{Kind: kindReturn, Proc: proc, Mono: at + s/10, Result: result}
		}
		return []*claim{c}
	}
	cases := []struct {
		name   string
		claims []*claim
		want   string
	}{
		{"failed during the cut", claimAt("n1.0", 11*s, resultError), faultNetCut + ": claim failed (it may have won)"},
		{"no return during the cut", claimAt("n1.0", 11*s, ""), faultNetCut + ": claim failed (it may have won)"},
		{"failed within reconnect after it", claimAt("n1.0", 13*s, resultError), faultNetCut + ": claim failed (it may have won)"},
		{"answered during the cut", claimAt("n1.0", 11*s, resultHeld), ""},
		{"another node failed", claimAt("n2.0", 11*s, resultError), ""},
		{"failed long after", claimAt("n1.0", 20*s, resultError), ""},
		{"failed before", claimAt("n1.0", 5*s, resultError), ""},
	}
	for _, c := range cases {
		if got := netExcuse(h, c.claims); got != c.want {
			t.Errorf("%s: excuse %q, want %q", c.name, got, c.want)
		}
	}
}

// With settling, a node's claims of a tick are its first claim and the re-sends of a failed one: only the
// last (highest Op) may excuse the tick, when it failed under the node's network fault.
func TestNetExcuseOnlyTheLastClaimOfANode(t *testing.T) {
	s := int64(time.Second)
	n1, n2 := "n1.0", "n2.0"
	delay := Record{Kind: kindFault, Proc: faultNetDelay, Service: n1, Mono: 10 * s, EndMono: 12 * s}
	h := &history{faults: []Record{delay}}
	type sent struct {
		proc   string
		op     int64
		at     int64
		result string // "": no return
	}
	failed, excused := resultError, faultNetDelay+": claim failed (it may have won)"
	cases := []struct {
		name  string
		sends []sent
		want  string
	}{
		{"failed, re-sent and answered won", []sent{{n1, 1, 11 * s, failed}, {n1, 2, 11*s + s/5, resultWon}}, ""},
		{"failed, re-sent and answered held", []sent{{n1, 1, 11 * s, failed}, {n1, 2, 11*s + s/5, resultHeld}}, ""},
		{"failed, every re-send failed", []sent{{n1, 1, 11 * s, failed}, {n1, 2, 11*s + 4*s/5, failed}}, excused},
		{"failed, the re-send never returned", []sent{{n1, 1, 11 * s, failed}, {n1, 2, 11*s + s/5, ""}}, excused},
		{"the last listed first", []sent{{n1, 2, 11*s + s/5, failed}, {n1, 1, 11 * s, resultHeld}}, excused},
		{"another node answered", []sent{{n1, 1, 11 * s, failed}, {n2, 1, 11 * s, resultWon}}, excused},
		{"the last re-send failed long after", []sent{{n1, 1, 11 * s, failed}, {n1, 2, 20 * s, failed}}, ""},
	}
	for _, c := range cases {
		var claims []*claim
		for _, send := range c.sends {
			invoke := Record{Kind: kindInvoke, Proc: send.proc, Op: send.op, Mono: send.at}
			claims = append(claims, &claim{invoke: invoke})
			if send.result != "" {
				claims[len(claims)-1].ret = &Record{Kind: kindReturn, Proc: send.proc, Op: send.op, Mono: send.at + s/10,
					Result: send.result}
			}
		}
		if got := netExcuse(h, claims); got != c.want {
			t.Errorf("%s: excuse %q, want %q", c.name, got, c.want)
		}
	}
}

func TestClockExcuseALaterTickWonFirstByANodeAhead(t *testing.T) {
	s := int64(time.Second)
	key := tickKey{service: "svc", tick: 100 * s}
	closed := &claim{invoke: Record{Proc: "n2.0", Service: "svc", Tick: 100 * s, Mono: 50 * s},
		ret: &Record{Proc: "n2.0", Mono: 50*s + s/10, Result: resultClosed}}
	later := func(offset, answered int64, result string) *history {
		won := &claim{invoke: Record{Proc: "n1.0", Service: "svc", Tick: 101 * s, Offset: offset, Mono: answered - s/10},
			ret: &Record{Proc: "n1.0", Mono: answered, Result: result}}
		return &history{claims: []*claim{won, closed}}
	}
	cases := []struct {
		name string
		h    *history
		want string
	}{
		{"won first by a node ahead", later(s/2, 49*s, resultWon), faultClockOffset + ": a node whose clock is ahead won a later tick first"},
		{"won first by a node on time", later(0, 49*s, resultWon), ""},
		{"won after the claim of the tick", later(s/2, 51*s, resultWon), ""},
		{"sent while the claim of the tick was in flight", later(s/2, 50*s+s/10+s/20, resultWon), faultClockOffset + ": a node whose clock is ahead won a later tick first"},
		{"held, not won", later(s/2, 49*s, resultHeld), ""},
	}
	for _, c := range cases {
		if got := clockExcuse(c.h, key, []*claim{closed}); got != c.want {
			t.Errorf("%s: excuse %q, want %q", c.name, got, c.want)
		}
	}
}

func TestBackendFaultExcusesOnlyBackendKinds(t *testing.T) {
	backend := []string{faultRedisKill, faultRedisWipe, faultRedisPause, faultEtcdMemberKill, faultEtcdLeaderKill, faultEtcdPause}
	node := []string{faultNodeKill, faultNodePause, faultRollRestart, faultClockOffset, faultNetCut, faultNetDelay, faultNetCutMember}
	for _, kind := range backend {
		if !backendFault(kind) {
			t.Errorf("backendFault(%q) = false, want true", kind)
		}
	}
	for _, kind := range node {
		if backendFault(kind) {
			t.Errorf("backendFault(%q) = true, want false: a node's fault must not excuse every node's ticks", kind)
		}
	}
}

// A node's last claim of a tick that failed, or never returned, while that node was paused may have been
// applied: the tick is excused. One answered, one of another node, or one outside the pause is not.
func TestPauseExcuseOnlyAFailedLastClaimOfThePausedNode(t *testing.T) {
	s := int64(time.Second)
	pause := Record{Kind: kindFault, Proc: faultNodePause, Service: "n1.0", Mono: 10 * s, EndMono: 12 * s}
	h := &history{faults: []Record{pause}}
	claimAt := func(proc string, at, returned int64, result string) []*claim {
		c := &claim{invoke: Record{Kind: kindInvoke, Proc: proc, Mono: at}}
		if result != "" {
			c.ret = &Record{Kind: kindReturn, Proc: proc, Mono: returned, Result: result}
		}
		return []*claim{c}
	}
	excused := "node-pause: claimer paused mid-claim (it may have won)"
	cases := []struct {
		name   string
		claims []*claim
		want   string
	}{
		{"sent before the pause, failed after it", claimAt("n1.0", 10*s-s/10, 12*s+s/10, resultError), excused},
		{"sent, then paused, never returned", claimAt("n1.0", 11*s, 0, ""), excused},
		{"answered after the pause", claimAt("n1.0", 10*s-s/10, 12*s+s/10, resultWon), ""},
		{"another node's failed claim", claimAt("n2.0", 11*s, 11*s+s/10, resultError), ""},
		{"failed before the pause", claimAt("n1.0", 5*s, 5*s+s/10, resultError), ""},
		{"failed after the pause", claimAt("n1.0", 13*s, 13*s+s/10, resultError), ""},
	}
	for _, c := range cases {
		if got := pauseExcuse(h, c.claims); got != c.want {
			t.Errorf("%s: excuse %q, want %q", c.name, got, c.want)
		}
	}
}
