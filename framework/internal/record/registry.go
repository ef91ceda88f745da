package record

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/hadeframe/hade/framework/contract"
)

// EncodeProcess returns process as a backend stores it.
func EncodeProcess(process Process) (contract.ProcessRecord, error) {
	stored := contract.ProcessRecord{AppID: process.AppID, Hostname: process.Hostname, PID: process.PID,
		BaseFolder: process.BaseFolder, Provider: process.Provider, Version: process.Version,
		Started: process.Started, Heartbeat: process.Heartbeat, LostRecords: process.LostRecords}
	for _, r := range process.Running {
		stored.Running = append(stored.Running, contract.RunningTick{Job: r.Job, Tick: r.Tick, Since: r.Since})
	}
	return stored, nil
}

// decodeProcess is the inverse of EncodeProcess; it returns an error when stored is not a process record.
func decodeProcess(stored contract.ProcessRecord) (Process, error) {
	if stored.AppID == "" {
		return Process{}, errors.New("process record without an app id")
	}
	process := Process{AppID: stored.AppID, Hostname: stored.Hostname, PID: stored.PID,
		BaseFolder: stored.BaseFolder, Provider: stored.Provider, Version: stored.Version,
		Started: stored.Started, Heartbeat: stored.Heartbeat, LostRecords: stored.LostRecords}
	for _, r := range stored.Running {
		process.Running = append(process.Running, RunningTick{Job: r.Job, Tick: r.Tick, Since: r.Since})
	}
	return process, nil
}

// Processes returns the live processes of registry (contract.ProcessRegistry.Processes), decoded and
// ordered by Hostname, then Started, then AppID; a record that does not decode (not written by this
// framework) is left out. Errors are registry's.
func Processes(ctx context.Context, registry contract.ProcessRegistry) ([]Process, error) {
	stored, err := registry.Processes(ctx)
	if err != nil {
		return nil, err
	}
	processes := make([]Process, 0, len(stored))
	for _, s := range stored {
		if process, err := decodeProcess(s); err == nil {
			processes = append(processes, process)
		}
	}
	slices.SortFunc(processes, func(a, b Process) int {
		return cmp.Or(cmp.Compare(a.Hostname, b.Hostname), a.Started.Compare(b.Started), cmp.Compare(a.AppID, b.AppID))
	})
	return processes, nil
}
