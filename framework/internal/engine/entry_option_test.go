package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func TestJobNamesAreUniqueAndStable(t *testing.T) {
	job := runnable("report", func(*cobra.Command, []string) error { return nil })
	other := runnable("tidy", func(*cobra.Command, []string) error { return nil })
	s := New()
	s.AddCronCommand("0 3 * * *", job)                                    // #1 report
	s.AddCronCommand("0 4 * * *", job)                                    // #2 report again: refused
	s.AddCronCommand("0 5 * * *", job, WithName("report-5am"))            // #3
	s.AddDistributedCronCommand("billing", "0 * * * *", job, time.Second) // #4 billing
	s.AddCronCommand("0 6 * * *", other, WithName("billing"))             // #5 taken by the service
	s.AddCronCommand("0 7 * * *", other, WithName("two words"))           // #6 invalid
	s.AddDistributedCronCommand("cleanup", "0 * * * *", other, time.Second, WithName("cleanup-hourly"))
	var names []string
	for _, spec := range s.Entries() {
		names = append(names, spec.Name)
	}
	if got, want := strings.Join(names, ","), "report,report-5am,billing,cleanup-hourly"; got != want {
		t.Fatalf("job names %s, want %s", got, want)
	}
	errText := s.Err().Error()
	for _, want := range []string{
		`#2 (AddCronCommand "0 4 * * *", command "report"): job name "report" is already used by registration #1`,
		`scheduler.WithName`,
		`#5 (AddCronCommand "0 6 * * *", command "tidy"): job name "billing" is already used by registration #4`,
		`#6 (AddCronCommand "0 7 * * *", command "tidy"): job name "two words" contains white space`,
	} {
		if !strings.Contains(errText, want) {
			t.Errorf("Err() does not mention %q:\n%s", want, errText)
		}
	}
}
