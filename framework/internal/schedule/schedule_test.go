package schedule

import (
	"testing"
	"time"
)

func TestScheduleZoneAndDefinition(t *testing.T) {
	berlin, err := LoadZone("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		spec, zone, definition string
		namesZone              bool
	}{
		{"0 * * * *", "Europe/Berlin", `spec "0 * * * *" zone Europe/Berlin`, false},
		{" @daily ", "Europe/Berlin", `spec " @daily " zone Europe/Berlin`, false},
		{"CRON_TZ=Etc/UTC 0 * * * *", "UTC", `spec "CRON_TZ=Etc/UTC 0 * * * *" zone UTC`, true},
		{"TZ=Asia/Tokyo @every 1m", "Asia/Tokyo", `spec "TZ=Asia/Tokyo @every 1m" zone Asia/Tokyo`, true},
	}
	for _, c := range cases {
		parsed, err := Parse(c.spec, berlin, EveryFromEpoch)
		if err != nil {
			t.Fatal(err)
		}
		if parsed.Zone() != c.zone || parsed.NamesZone() != c.namesZone || parsed.Definition() != c.definition {
			t.Errorf("Parse(%q): zone %q, names zone %t, definition %q; want %q, %t, %q", c.spec,
				parsed.Zone(), parsed.NamesZone(), parsed.Definition(), c.zone, c.namesZone, c.definition)
		}
	}
}

func TestZeroScheduleNeverFires(t *testing.T) {
	var zero Schedule
	if next := zero.Next(time.Now()); !next.IsZero() {
		t.Fatalf("zero Schedule fires at %s", next)
	}
	if _, _, count := zero.Between(time.Unix(0, 0), time.Now()); count != 0 {
		t.Fatalf("zero Schedule has %d ticks", count)
	}
}
