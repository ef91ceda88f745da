package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// etcdKillGrace is how long after an etcd member's kill the cluster and its clients have to recover: the
// ticks from kill+etcdKillGrace on must all run once (the issue "etcd failover within one election").
const etcdKillGrace = 3 * time.Second

// checkMemberKill checks -kill-etcd-leader-at, -kill-etcd-member-at and -kill-etcd-member, and turns the
// first into the second. The error names the flags.
func (o *loadOptions) checkMemberKill() error {
	switch {
	case o.killLeaderAt != 0 && o.killMemberAt != 0:
		return errors.New("-kill-etcd-leader-at and -kill-etcd-member-at: choose one")
	case o.killLeaderAt != 0:
		o.killMemberAt, o.killMember = o.killLeaderAt, "leader"
	}
	if o.killMemberAt == 0 {
		return nil
	}
	if o.backend != "etcd" || o.killMemberAt >= o.duration-etcdKillGrace-time.Second {
		return errors.New("-kill-etcd-member-at (or -kill-etcd-leader-at) needs -backend etcd and a time at " +
			"least 4s before the end of the window")
	}
	if index, err := strconv.Atoi(o.killMember); o.killMember != "leader" && o.killMember != "follower" &&
		(err != nil || index < 0 || index > 2) {
		return fmt.Errorf("-kill-etcd-member %q: want leader, follower or a member's index, 0 to 2", o.killMember)
	}
	return nil
}

// memberToKill returns the index of the member -kill-etcd-member names now, and what it is ("leader",
// "follower"); the error says when there is no leader to tell them apart.
func (r *loadRun) memberToKill() (int, string, error) {
	leader := r.cluster.Leader()
	if leader < 0 {
		return 0, "", errors.New("no etcd leader: cannot tell the leader from the followers")
	}
	index, err := strconv.Atoi(r.options.killMember)
	switch {
	case r.options.killMember == "leader":
		index = leader
	case r.options.killMember == "follower":
		index = (leader + 1) % len(r.cluster.Members)
	case err != nil:
		return 0, "", err
	}
	if index == leader {
		return index, "leader", nil
	}
	return index, "follower", nil
}

// killMemberEvent is the event of -kill-etcd-member-at: kill -9 the member it names, as the disruption;
// before loses that member's request counters (they go with it).
func (r *loadRun) killMemberEvent(before *etcdRequests) event {
	return event{at: r.windowStart.Add(r.options.killMemberAt), do: func() error {
		index, role, err := r.memberToKill()
		if err != nil {
			return err
		}
		member := r.cluster.Members[index]
		r.disruption = fmt.Sprintf("etcd %s %s (member %d of %d) killed with SIGKILL", role, member.Name, index,
			len(r.cluster.Members))
		r.grace = etcdKillGrace
		*before = before.minus(r.memberRequests(index))
		r.disruptionStart = time.Now()
		member.Kill()
		r.disruptionEnd = r.disruptionStart
		return nil
	}}
}
