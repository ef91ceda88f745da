package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// Processes whose hosts are in different zones compute the same ticks of a spec without CRON_TZ once
// the cron zone is set, and different ones (with different definitions, which the backends refuse to
// run side by side) when it is not.
func TestZoneOfSpecsWithoutCronTZ(t *testing.T) {
	report := runnable("report", func(*cobra.Command, []string) error { return nil })
	from := utc("2026-11-28T10:10:00Z")
	next := map[string]time.Time{}
	definitions := map[string]string{}
	for _, tz := range []string{"UTC", "Asia/Kolkata"} {
		t.Setenv("TZ", tz)
		for _, cronZone := range []string{"", "Europe/Berlin"} {
			s := New()
			s.AddDistributedCronCommand("report", "0 * * * *", report, time.Second)
			if err := s.SetZone(cronZone); err != nil {
				t.Fatal(err)
			}
			key := tz + "/" + cronZone
			next[key] = s.Entries()[0].Next(from)
			definitions[key] = s.Entries()[0].Definition
		}
	}
	if !next["UTC/"].Equal(utc("2026-11-28T11:00:00Z")) || !next["Asia/Kolkata/"].Equal(utc("2026-11-28T10:30:00Z")) {
		t.Errorf("host zones: next ticks %v and %v, want 11:00Z and 10:30Z", next["UTC/"], next["Asia/Kolkata/"])
	}
	if definitions["UTC/"] == definitions["Asia/Kolkata/"] {
		t.Errorf("different host zones give one definition %q", definitions["UTC/"])
	}
	if !next["UTC/Europe/Berlin"].Equal(next["Asia/Kolkata/Europe/Berlin"]) ||
		definitions["UTC/Europe/Berlin"] != definitions["Asia/Kolkata/Europe/Berlin"] {
		t.Errorf("one cron zone: ticks %v / %v, definitions %q / %q, want the same",
			next["UTC/Europe/Berlin"], next["Asia/Kolkata/Europe/Berlin"], definitions["UTC/Europe/Berlin"], definitions["Asia/Kolkata/Europe/Berlin"])
	}
	if want := `spec "0 * * * *" zone Europe/Berlin hold 1s`; definitions["UTC/Europe/Berlin"] != want {
		t.Errorf("definition %q, want %q", definitions["UTC/Europe/Berlin"], want)
	}
}

func TestSetZone(t *testing.T) {
	job := runnable("job", func(*cobra.Command, []string) error { return nil })
	s := New()
	s.AddCronCommand("0 3 * * *", job)
	s.AddCronCommand("CRON_TZ=Asia/Tokyo 0 3 * * *", job, WithName("job-tokyo"))
	if err := s.SetZone("Mars/Olympus"); err == nil || !strings.Contains(err.Error(), `"Mars/Olympus" is unknown`) {
		t.Fatalf("SetZone of an unknown zone: %v", err)
	}
	if err := s.SetZone("Local"); err == nil {
		t.Fatal(`SetZone("Local") accepted a zone without a name`)
	}
	if err := s.SetZone("America/New_York"); err != nil {
		t.Fatal(err)
	}
	if s.Entries()[0].Zone != "America/New_York" || s.Entries()[1].Zone != "Asia/Tokyo" {
		t.Fatalf("zones %q and %q, want America/New_York and the spec's own Asia/Tokyo", s.Entries()[0].Zone, s.Entries()[1].Zone)
	}
	from := utc("2026-11-28T00:00:00Z")
	if got := s.Entries()[0].Next(from); !got.Equal(utc("2026-11-28T08:00:00Z")) {
		t.Errorf("03:00 New York = %s, want 08:00Z", got.UTC())
	}
	if got := s.jobs[0].ticks.Next(from); !got.Equal(utc("2026-11-28T08:00:00Z")) {
		t.Errorf("the running schedule kept the old zone: %s", got.UTC())
	}
	if got := s.Entries()[1].Next(from); !got.Equal(utc("2026-11-28T18:00:00Z")) {
		t.Errorf("03:00 Tokyo = %s, want 18:00Z", got.UTC())
	}
}

func TestHoldTimeFloor(t *testing.T) {
	job := runnable("job", func(*cobra.Command, []string) error { return nil })
	s := New()
	s.AddDistributedCronCommand("a", "* * * * * *", job, time.Nanosecond)
	s.AddDistributedCronCommand("b", "* * * * * *", job, 999*time.Nanosecond)
	s.AddDistributedCronCommand("c", "* * * * * *", job, 99*time.Millisecond)
	s.AddDistributedCronCommand("d", "* * * * * *", job, minHoldTime)
	if len(s.Entries()) != 1 || s.Entries()[0].ServiceName != "d" {
		t.Fatalf("registered %d entries, want only d (hold = the minimum)", len(s.Entries()))
	}
	for _, want := range []string{"hold time 1ns is below the minimum 100ms", "hold time 999ns", "hold time 99ms"} {
		if err := s.Err(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Err() = %v, want it to say %q", err, want)
		}
	}
}

// The names of UTC make one definition: a host whose /etc/localtime says Etc/UTC and one with TZ=UTC agree;
// a spec's own CRON_TZ=Etc/UTC is shown as UTC.
func TestUTCAliasesMakeOneDefinition(t *testing.T) {
	job := runnable("job", func(*cobra.Command, []string) error { return nil })
	definitions := map[string]bool{}
	for _, c := range []struct{ spec, cronZone string }{
		{"0 * * * *", "UTC"}, {"0 * * * *", "Etc/UTC"}, {"0 * * * *", "Etc/GMT"}, {"0 * * * *", ""},
	} {
		t.Setenv("TZ", "Zulu")
		s := New()
		s.AddDistributedCronCommand("svc", c.spec, job, time.Second)
		if err := s.SetZone(c.cronZone); err != nil {
			t.Fatal(err)
		}
		definitions[s.Entries()[0].Definition] = true
	}
	if len(definitions) != 1 {
		t.Fatalf("definitions %v, want one", definitions)
	}
	own := New()
	own.AddCronCommand("CRON_TZ=Etc/UTC 0 * * * *", job)
	if own.Entries()[0].Zone != "UTC" {
		t.Fatalf("CRON_TZ=Etc/UTC shown as zone %q, want UTC", own.Entries()[0].Zone)
	}
}
