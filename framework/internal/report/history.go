package report

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hadeframe/hade/framework/internal/record"
)

// maxErrorCell is the most runes of a run's error `cron history` shows, on one line.
const maxErrorCell = 80

// HistoryTable returns records as `cron history` prints them, one row each in their order: the tick in the
// local zone (a record of several missed ticks adds "(+N to <last tick>)"), job, outcome, host, pid, app
// id (its first 8 characters), duration, lateness and the error on one line.
func HistoryTable(records []record.Run) Table {
	table := Table{Header: []string{"TICK", "JOB", "OUTCOME", "HOST", "PID", "APP ID", "DURATION", "LATE",
		"ERROR"}}
	for _, r := range records {
		tick := r.Tick.Local().Format(time.RFC3339)
		if r.Count > 1 {
			tick += fmt.Sprintf(" (+%d to %s)", r.Count-1, r.LastTick.Local().Format(time.RFC3339))
		}
		table.add(tick, r.Job, string(r.Outcome), r.Hostname, strconv.Itoa(r.PID), shortID(r.AppID),
			shortDuration(r.Finished.Sub(r.Started)), shortDuration(r.Late), OneLine(r.Error, maxErrorCell))
	}
	return table
}
