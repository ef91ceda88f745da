package record

import (
	"cmp"
	"context"
	"slices"

	"github.com/hadeframe/hade/framework/contract"
)

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
		if process, err := DecodeProcess(s.Body); err == nil {
			processes = append(processes, process)
		}
	}
	slices.SortFunc(processes, func(a, b Process) int {
		return cmp.Or(cmp.Compare(a.Hostname, b.Hostname), a.Started.Compare(b.Started), cmp.Compare(a.AppID, b.AppID))
	})
	return processes, nil
}
