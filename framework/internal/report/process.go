package report

import (
	"context"
	"os"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// ReadProcesses returns the live cron processes registered in registry (record.Processes), read within
// 5s; the error is registry's, or the deadline's.
func ReadProcesses(ctx context.Context, registry contract.ProcessRegistry) ([]record.Process, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	return record.Processes(ctx, registry)
}

// ownFolder reports whether p is a process of this host (os.Hostname; none is when it cannot be read) and
// of baseFolder.
func ownFolder(p record.Process, baseFolder string) bool {
	hostname, err := os.Hostname()
	return err == nil && p.Hostname == hostname && p.BaseFolder == baseFolder
}

// Process is a registered cron process as `cron state --output json` prints it: times in UTC RFC 3339,
// ThisFolder for a process of this host and base folder, Running never nil (JSON []).
type Process struct {
	AppID       string        `json:"app_id"`
	Hostname    string        `json:"hostname"`
	PID         int           `json:"pid"`
	BaseFolder  string        `json:"base_folder"`
	ThisFolder  bool          `json:"this_base_folder"`
	Provider    string        `json:"provider"`
	Version     string        `json:"version"`
	Started     string        `json:"started"`
	Heartbeat   string        `json:"heartbeat"`
	Running     []RunningTick `json:"running"`
	LostRecords int64         `json:"records_lost"`
}

// RunningTick is a run in progress of a Process: its job, the tick it runs and since when.
type RunningTick struct {
	Job   string `json:"job"`
	Tick  string `json:"tick"`
	Since string `json:"since"`
}

// Processes returns processes, in their order, as `cron state --output json` prints them, those of this
// host and baseFolder marked: never nil, so that none prints as [].
func Processes(processes []record.Process, baseFolder string) []Process {
	out := make([]Process, 0, len(processes))
	for _, p := range processes {
		j := Process{AppID: p.AppID, Hostname: p.Hostname, PID: p.PID, BaseFolder: p.BaseFolder,
			ThisFolder: ownFolder(p, baseFolder), Provider: p.Provider, Version: p.Version,
			Started: rfc3339(p.Started), Heartbeat: rfc3339(p.Heartbeat), Running: []RunningTick{},
			LostRecords: p.LostRecords}
		for _, r := range p.Running {
			j.Running = append(j.Running, RunningTick{Job: r.Job, Tick: rfc3339(r.Tick), Since: rfc3339(r.Since)})
		}
		out = append(out, j)
	}
	return out
}
