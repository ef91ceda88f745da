package report

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/hadeframe/hade/framework/internal/record"
)

// ageUnit is what the ages of heartbeats and runs in progress are rounded to.
const ageUnit = 100 * time.Millisecond

// ClusterTable returns the rows `cron state` prints of processes, one each in their order: "*" for a
// process of this host and baseFolder (else ""), host, pid, app id (its first 8 characters), base folder,
// version, start in the local zone, the heartbeat's age at now ("1.2s ago"), the count of runs in
// progress and of records lost.
func ClusterTable(processes []record.Process, baseFolder string, now time.Time) Table {
	table := Table{Header: []string{"", "HOST", "PID", "APP ID", "BASE FOLDER", "VERSION", "STARTED",
		"HEARTBEAT", "RUNNING", "RECORDS LOST"}}
	for _, p := range processes {
		mark := ""
		if ownFolder(p, baseFolder) {
			mark = "*"
		}
		table.add(mark, p.Hostname, strconv.Itoa(p.PID), shortID(p.AppID), p.BaseFolder, p.Version,
			p.Started.Local().Format(time.RFC3339), now.Sub(p.Heartbeat).Round(ageUnit).String()+" ago",
			strconv.Itoa(len(p.Running)), strconv.FormatInt(p.LostRecords, 10))
	}
	return table
}

// runningOn is a run in progress and the process running it.
type runningOn struct {
	run     record.RunningTick
	process record.Process
}

// RunningTable returns the runs in progress of processes, the oldest first: job, tick, host, pid, and
// since when in the local zone with its age at now, e.g. "2026-12-03T21:00:00Z (1.2s)". No row: none
// runs.
func RunningTable(processes []record.Process, now time.Time) Table {
	var runs []runningOn
	for _, p := range processes {
		for _, r := range p.Running {
			runs = append(runs, runningOn{r, p})
		}
	}
	sort.Slice(runs, func(i, k int) bool { return runs[i].run.Since.Before(runs[k].run.Since) })
	table := Table{Header: []string{"JOB", "TICK", "HOST", "PID", "SINCE"}}
	for _, r := range runs {
		since := r.run.Since.Local().Format(time.RFC3339)
		table.add(r.run.Job, r.run.Tick.Local().Format(time.RFC3339), r.process.Hostname,
			strconv.Itoa(r.process.PID), fmt.Sprintf("%s (%s)", since, now.Sub(r.run.Since).Round(ageUnit)))
	}
	return table
}
