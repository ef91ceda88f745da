package schedule

import (
	"testing"
	"time"
)

func TestWithinBoundsTheTicks(t *testing.T) {
	hourly, err := Parse("0 * * * *", Zone{name: "UTC", location: time.UTC}, EveryFromEpoch)
	if err != nil {
		t.Fatal(err)
	}
	at := func(hour int) time.Time { return time.Date(2027, 3, 1, hour, 0, 0, 0, time.UTC) }
	window := hourly.Within(at(5).Add(-time.Minute), at(8))
	cases := []struct {
		after time.Time
		want  time.Time
	}{
		{at(1), at(5)},                   // before the start: the first tick at or after it
		{at(5), at(6)},                   // inside
		{at(7), time.Time{}},             // the tick at the end is outside: [start, end)
		{at(9), time.Time{}},             // after the end
		{at(5).Add(-time.Minute), at(5)}, // exactly at the start
	}
	for _, c := range cases {
		if got := window.Next(c.after); !got.Equal(c.want) {
			t.Errorf("Next(%s) = %s, want %s", c.after, got, c.want)
		}
	}
	if first, last, count := window.Between(at(0), at(12)); count != 3 || !first.Equal(at(5)) || !last.Equal(at(7)) {
		t.Errorf("Between = %s, %s, %d; want 05:00, 07:00, 3", first, last, count)
	}
	if !hourly.Next(at(100)).Equal(at(101)) {
		t.Error("an open window ends: want the hourly ticks to go on")
	}
	if want := `spec "0 * * * *" zone UTC from 2027-03-01T04:59:00Z until 2027-03-01T08:00:00Z`; window.Definition() != want {
		t.Errorf("Definition = %q, want %q", window.Definition(), want)
	}
	if hourly.Definition() != `spec "0 * * * *" zone UTC` {
		t.Errorf("an open window changes the definition: %q", hourly.Definition())
	}
	berlin, err := LoadZone("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if got := window.Next(at(1).In(berlin.location)); got.Location() != berlin.location {
		t.Errorf("Next returned a tick in %s, want t's location", got.Location())
	}
}

func TestMatches(t *testing.T) {
	berlin, err := LoadZone("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	christmas, err := Parse("0 0 25 12 *", berlin, EveryFromEpoch)
	if err != nil {
		t.Fatal(err)
	}
	midnight := time.Date(2027, 12, 25, 0, 0, 0, 0, berlin.location)
	if !christmas.Matches(midnight) || !christmas.Matches(midnight.UTC()) {
		t.Error("Matches: Christmas midnight in Berlin (also given in UTC) does not match 0 0 25 12 *")
	}
	if christmas.Matches(midnight.Add(time.Second)) || christmas.Matches(time.Date(2027, 12, 25, 0, 0, 0, 0, time.UTC)) {
		t.Error("Matches: a second later, or midnight UTC, matches 0 0 25 12 * in Berlin")
	}
	if (Schedule{}).Matches(midnight) {
		t.Error("the zero Schedule matches a time")
	}
	if !christmas.Within(time.Time{}, midnight).Matches(midnight) {
		t.Error("Matches considers the window; it must not")
	}
}
