package kernel

import (
	"slices"
	"testing"
)

func TestCheckJobNamesTheRegisteredJobs(t *testing.T) {
	root, _ := testRoot(t)
	if err := root.CheckJob("job"); err == nil || err.Error() !=
		`job "job" is unknown: this application registers no cron entry` {
		t.Fatalf("CheckJob without entries = %v", err)
	}
	addDistributedEntry(t, root)
	if names := root.JobNames(); !slices.Equal(names, []string{"svc"}) {
		t.Fatalf("JobNames = %q, want the service's name", names)
	}
	if err := root.CheckJob("svc"); err != nil {
		t.Fatalf("CheckJob(svc) = %v", err)
	}
	if err := root.CheckJob("nope"); err == nil || err.Error() != `job "nope" is unknown: the jobs are svc` {
		t.Fatalf("CheckJob(nope) = %v", err)
	}
}
