package kernel

import (
	"fmt"
	"slices"
	"strings"
)

// JobNames returns the job names of the registered cron entries, in registration order; empty when none
// is registered.
func (r *Root) JobNames() []string {
	specs := r.Scheduler.Entries()
	names := make([]string, 0, len(specs))
	for _, spec := range specs {
		names = append(names, spec.Name)
	}
	return names
}

// CheckJob returns nil when job names a registered cron entry, else an error naming job and listing the
// registered jobs (or saying that there is none).
func (r *Root) CheckJob(job string) error {
	names := r.JobNames()
	if slices.Contains(names, job) {
		return nil
	}
	if len(names) == 0 {
		return fmt.Errorf("job %q is unknown: this application registers no cron entry", job)
	}
	return fmt.Errorf("job %q is unknown: the jobs are %s", job, strings.Join(names, ", "))
}
