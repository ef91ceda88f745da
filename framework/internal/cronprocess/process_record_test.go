package cronprocess

import (
	"os"
	"strings"
	"testing"
)

// The record names this host and pid, the base folder and provider given, and a version.
func TestProcessRecord(t *testing.T) {
	record := processRecord("/srv/app", "redis redis://host:6379/0")
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if record.Hostname != hostname || record.PID != os.Getpid() || record.BaseFolder != "/srv/app" ||
		record.Provider != "redis redis://host:6379/0" {
		t.Fatalf("record %+v", record)
	}
	version := record.Version
	if version != "unknown" && !strings.HasPrefix(version, "devel") && !strings.HasPrefix(version, "v") {
		t.Fatalf("version %q: want a module version, devel[+commit] or unknown", version)
	}
}
