package main

import (
	"strings"
	"testing"
	"time"
)

// -kill-etcd-leader-at is -kill-etcd-member-at with the leader; the member is leader, follower or an
// index; both need -backend etcd and 4 s of window after the kill.
func TestMemberKillOptions(t *testing.T) {
	base := []string{"-backend", "etcd", "-duration", "20s"}
	cases := []struct {
		args       []string
		at         time.Duration
		member     string
		wantErrSub string
	}{
		{args: []string{"-kill-etcd-leader-at", "8s"}, at: 8 * time.Second, member: "leader"},
		{args: []string{"-kill-etcd-member-at", "8s", "-kill-etcd-member", "follower"}, at: 8 * time.Second, member: "follower"},
		{args: []string{"-kill-etcd-member-at", "8s", "-kill-etcd-member", "2"}, at: 8 * time.Second, member: "2"},
		{args: []string{"-kill-etcd-member-at", "8s", "-kill-etcd-member", "3"}, wantErrSub: "want leader, follower or a member's index"},
		{args: []string{"-kill-etcd-member-at", "17s"}, wantErrSub: "at least 4s before the end"},
		{args: []string{"-kill-etcd-member-at", "8s", "-kill-etcd-leader-at", "8s"}, wantErrSub: "choose one"},
		{args: []string{"-kill-etcd-member-at", "8s", "-kill-at", "9s"}, wantErrSub: "choose one"},
	}
	for _, c := range cases {
		o, err := parseLoadOptions(append(append([]string{}, base...), c.args...))
		switch {
		case c.wantErrSub != "" && (err == nil || !strings.Contains(err.Error(), c.wantErrSub)):
			t.Errorf("%v: error %v, want one saying %q", c.args, err, c.wantErrSub)
		case c.wantErrSub == "" && (err != nil || o.killMemberAt != c.at || o.killMember != c.member):
			t.Errorf("%v: kill %s of %q, %v; want %s of %q", c.args, o.killMemberAt, o.killMember, err, c.at, c.member)
		}
	}
	if _, err := parseLoadOptions([]string{"-backend", "redis", "-kill-etcd-member-at", "8s"}); err == nil {
		t.Error("-kill-etcd-member-at with -backend redis: no error")
	}
}
