package pidfile

import (
	"testing"
	"time"
)

func TestLatestDaemonIsTheRunningDaemonStartedLast(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	if _, ok, err := folder.LatestDaemon(); ok || err != nil {
		t.Fatalf("LatestDaemon of an empty folder = %v, %v; want none", ok, err)
	}
	now := time.Now()
	records := []Record{
		{PID: 1 << 22, Mode: ModeDaemon, StartedAt: now.Add(-time.Hour)},
		{PID: 1<<22 + 1, Mode: ModeDaemon, StartedAt: now.Add(-time.Minute)},
		{PID: 1<<22 + 2, Mode: ModeForeground, StartedAt: now}, // the latest, but not a daemon
	}
	for _, record := range records {
		held, err := folder.Acquire(record, AcquireOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := held.Release(); err != nil {
				t.Error(err)
			}
		})
	}
	latest, ok, err := folder.LatestDaemon()
	if err != nil || !ok || latest.PID != records[1].PID {
		t.Fatalf("LatestDaemon = %+v, %v, %v; want pid %d", latest, ok, err, records[1].PID)
	}
}
