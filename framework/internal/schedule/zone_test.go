package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestHostZoneHasARealName(t *testing.T) {
	cases := map[string]string{"UTC": "UTC", "Etc/UTC": "UTC", "Zulu": "UTC", "Asia/Kolkata": "Asia/Kolkata",
		":Europe/Berlin": "Europe/Berlin", "": "UTC", "Nowhere/Else": "UTC"}
	for tz, want := range cases {
		t.Setenv("TZ", tz)
		if got := HostZone().name; got != want {
			t.Errorf("TZ=%q: host zone %q, want %q", tz, got, want)
		}
	}
	if got := describeUnnamedZone(time.FixedZone("IST", 5*3600+1800)); got != "Local(IST+05:30,IST+05:30)" {
		t.Errorf("unnamed zone described as %q", got)
	}
}

func TestLoadZone(t *testing.T) {
	for name, want := range map[string]string{"Etc/UTC": "UTC", "GMT": "UTC", "Europe/Berlin": "Europe/Berlin"} {
		zone, err := LoadZone(name)
		if err != nil || zone.name != want {
			t.Errorf("LoadZone(%q) = %q, %v; want %q", name, zone.name, err, want)
		}
	}
	for _, name := range []string{"Mars/Olympus", "Local"} {
		if _, err := LoadZone(name); err == nil || !strings.Contains(err.Error(), "unknown") || strings.Contains(err.Error(), "--") {
			t.Errorf("LoadZone(%q) = %v; want an error naming no flag", name, err)
		}
	}
	t.Setenv("TZ", "Asia/Kolkata")
	if zone, err := LoadZone(""); err != nil || zone.name != "Asia/Kolkata" {
		t.Errorf(`LoadZone("") = %q, %v; want the host's zone Asia/Kolkata`, zone.name, err)
	}
}
