package verify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/hadeframe/hade/internal/etcdserver"
)

// etcd fault kinds.
const (
	faultEtcdMemberKill = "etcd-member-kill"  // kill -9 of a follower, restarted with its data after 0.5–2 × hold
	faultEtcdLeaderKill = "etcd-leader-kill"  // kill -9 of the leader, restarted with its data after 0.5–2 × hold
	faultEtcdPause      = "etcd-member-pause" // SIGSTOP of a member (maybe the leader) for 0.5–3 × hold
)

// etcdBackend is a private cluster of three etcd members on free loopback ports (internal/etcdserver), data
// on disk; the nodes know every member's endpoint. A fault hits one member, so a quorum survives it.
type etcdBackend struct {
	cluster *etcdserver.Cluster
}

func (b *etcdBackend) start(dir string) error {
	cluster, err := etcdserver.Start(dir, etcdserver.Options{Members: 3})
	if err != nil {
		return err
	}
	b.cluster = cluster
	return nil
}

func (b *etcdBackend) stop() {
	if b.cluster != nil {
		b.cluster.Stop()
	}
}

func (b *etcdBackend) endpoints() []string {
	var addrs []string
	for _, m := range b.cluster.Members {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", m.ClientPort))
	}
	return addrs
}

// nodeFlags gives the node every member's client URL through its proxies (the cluster has no TLS).
func (b *etcdBackend) nodeFlags(base string, via []string) []string {
	return []string{"--base-folder", base, "--distributed", "etcd", "--etcd-endpoints", "http://" + strings.Join(via, ",http://"),
		"--etcd-prefix", "/hadeverify/"}
}

func (*etcdBackend) sharedBase() bool   { return false }
func (*etcdBackend) claimerClock() bool { return true }

func (*etcdBackend) faultKinds() []string {
	return []string{faultEtcdMemberKill, faultEtcdLeaderKill, faultEtcdPause}
}

func (b *etcdBackend) inject(kind string, rng *rand.Rand, hold time.Duration, f *Record) error {
	leader := b.cluster.Leader()
	if leader < 0 {
		return fmt.Errorf("no etcd member leads before fault %s", kind)
	}
	target := leader
	switch kind {
	case faultEtcdMemberKill:
		target = (leader + 1 + rng.IntN(len(b.cluster.Members)-1)) % len(b.cluster.Members)
	case faultEtcdPause:
		target = rng.IntN(len(b.cluster.Members))
	case faultEtcdLeaderKill:
	default:
		return fmt.Errorf("the etcd backend has no fault %q", kind)
	}
	m := b.cluster.Members[target]
	f.Service = "etcd " + m.Name
	if target == leader {
		f.Service += " (leader)"
	}
	if kind == faultEtcdPause {
		pause := between(rng, hold/2, 3*hold)
		f.Error = fmt.Sprintf("SIGSTOP for %s", pause)
		if err := m.Pause(); err != nil {
			return err
		}
		time.Sleep(pause)
		if err := m.Resume(); err != nil {
			return err
		}
		return b.waitMember(m)
	}
	down := between(rng, hold/2, 2*hold)
	f.Error = fmt.Sprintf("SIGKILL, down %s, restarted with its data", down)
	m.Kill()
	time.Sleep(down)
	if err := m.Restart(); err != nil {
		return err
	}
	return b.waitMember(m)
}

// waitMember waits, at most 20s, until m answers a status request and the cluster has a leader. A member
// whose restarted process exited at once (e.g. its port was taken meanwhile by another process of the
// machine) is launched again, twice at most; the error then ends with the tail of its log.
func (b *etcdBackend) waitMember(m *etcdserver.Member) error {
	client, err := b.cluster.Client()
	if err != nil {
		return err
	}
	defer client.Close()
	deadline := time.Now().Add(20 * time.Second)
	relaunches := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		status, err := client.Status(ctx, m.ClientURL())
		cancel()
		switch {
		case err == nil && status.Leader != 0:
			return nil
		case !m.Running() && relaunches < 2:
			relaunches++
			if err := m.Restart(); err != nil {
				return err
			}
		case !m.Running() || time.Now().After(deadline):
			return fmt.Errorf("etcd member %s does not answer after its fault (running %v, relaunched %d times): %v; its log ends:\n%s",
				m.Name, m.Running(), relaunches, err, logTail(m.Log(), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logTail returns the last lines of log.
func logTail(log string, lines int) string {
	parts := strings.Split(strings.TrimRight(log, "\n"), "\n")
	return strings.Join(parts[max(0, len(parts)-lines):], "\n")
}
