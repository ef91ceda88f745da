package engine

import (
	"testing"

	"github.com/spf13/cobra"
)

// TestEntriesAreCopies checks that Entries returns the registered entries in order, with their commands'
// paths as of the call, and that changing what it returned changes nothing in the scheduler.
func TestEntriesAreCopies(t *testing.T) {
	s := New()
	report := runnable("report", func(*cobra.Command, []string) error { return nil })
	s.AddCronCommand("0 * * * *", report)
	s.AddDistributedCronCommand("tidy", "0 3 * * *", runnable("tidy", func(*cobra.Command, []string) error { return nil }), minHoldTime)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	(&cobra.Command{Use: "app"}).AddCommand(report)
	entries := s.Entries()
	if len(entries) != 2 || entries[0].Name != "report" || entries[0].Type != normal || entries[0].Command != "app report" ||
		entries[1].Name != "tidy" || entries[1].Type != distributed || entries[1].ServiceName != "tidy" || entries[1].HoldTime != minHoldTime {
		t.Fatalf("entries %+v, want report (normal, app report) then tidy (distributed, hold %s)", entries, minHoldTime)
	}
	if entries[0].Definition != "" || entries[1].Definition == "" ||
		entries[0].Next == nil || entries[1].Next == nil {
		t.Fatalf("entries %+v: want a definition for the distributed one only, and a Next for both", entries)
	}
	entries[0].Name, entries[0].Spec = "changed", "@yearly"
	if again := s.Entries(); again[0].Name != "report" || again[0].Spec != "0 * * * *" || s.jobs[0].spec.Name != "report" {
		t.Fatalf("changing a returned entry changed the scheduler's: %+v", again[0])
	}
}
