package record_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// A run survives its body to the µs whatever its fields: zero times, the fields most runs share left out
// or not, a zone other than UTC; the fields the backend reads are the run's.
func TestRunBodyRoundTrip(t *testing.T) {
	tick := time.Date(2026, 11, 28, 19, 50, 1, 123456000, time.FixedZone("CET", 3600))
	full := fullRun("report", tick)
	runs := []record.Run{
		full,
		{Job: "a", Type: "normal", Tick: tick, Outcome: "skipped", Count: 1, LastTick: tick},
		{Job: "b", Service: "b", Tick: tick, Outcome: `we"ird`, Started: tick.Add(-time.Hour), Late: -time.Second},
		{Job: "c", Type: "distributed", Service: "other", Tick: tick, Outcome: "missed", Count: 660,
			LastTick: tick.Add(time.Hour), Finished: tick},
		{Job: "d", Type: "", Tick: tick, Started: tick.Add(time.Hour), Attempt: 3, PID: 7},
		{Job: "e", Type: "distributed", Service: "e", Started: tick, Finished: tick.Add(time.Microsecond), Attempt: 1},
		{Job: "f"},
	}
	for _, want := range runs {
		stored, err := record.EncodeRun(want)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Job != want.Job || !stored.Tick.Equal(want.Tick) || !stored.LastTick.Equal(want.LastTick) ||
			stored.Outcome != want.Outcome {
			t.Fatalf("EncodeRun(%+v) gives the backend %+v; want the run's job, tick, last tick and outcome", want, stored)
		}
		got, err := record.DecodeRun(stored.Body)
		if err != nil {
			t.Fatalf("DecodeRun(%s): %v", stored.Body, err)
		}
		if !sameRun(got, want) || got.Tick.Location() != time.UTC && !got.Tick.IsZero() {
			t.Fatalf("%s decodes to %+v; want %+v, in UTC", stored.Body, got, want)
		}
	}
}

// The body of a run of a distributed every-second job is small: it is written once per run.
func TestRunBodyIsCompact(t *testing.T) {
	run := fullRun("report", time.Now().Truncate(time.Second))
	run.Service, run.Attempt, run.Error, run.Outcome = "report", 1, "", "ok"
	stored, err := record.EncodeRun(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Body) > 150 {
		t.Fatalf("the body of an ok run is %d bytes: %s; want at most 150", len(stored.Body), stored.Body)
	}
}

// Bodies that this framework did not write as a run (the previous formats, other JSON, garbage) do not
// decode; a body with keys this version does not know does.
func TestDecodeRunRefusesOtherFormats(t *testing.T) {
	for _, body := range []string{
		// the etcd backend's former record, the Redis backend's former member body, a process
		`{"job":"a","type":"distributed","tick":1700000000000000,"outcome":"ok"}`,
		`{"t":-3,"a":"app","h":"host"}`,
		`{"a":"app","h":"host","p":1}`,
		`["a"]`, `"a"`, ``, "\x00\xff",
	} {
		if run, err := record.DecodeRun([]byte(body)); err == nil {
			t.Errorf("DecodeRun(%q) = %+v; want an error", body, run)
		}
	}
	run, err := record.DecodeRun([]byte(`{"j":"a","t":1700000000000000,"o":"ok","w":5000,"jitter":{"x":1}}`))
	if err != nil || run.Job != "a" || run.Outcome != "ok" || run.Tick.UnixMicro() != 1700000000000000 {
		t.Fatalf("a body with unknown keys decodes to %+v, %v; want its known fields", run, err)
	}
}

// A process survives its body to the µs; a body that is not one (the previous format included) does not
// decode.
func TestProcessBody(t *testing.T) {
	now := time.Now()
	want := record.Process{AppID: "app-a", Hostname: "host", PID: 100, BaseFolder: "/srv/a", Provider: "redis redis://h:6379/0",
		Version: "v1.2.3", Started: now.Add(-time.Hour), Heartbeat: now, LostRecords: 7,
		Running: []record.RunningTick{{Job: "report", Tick: now.Add(-time.Second), Since: now.Add(-900 * time.Millisecond)}}}
	stored, err := record.EncodeProcess(want)
	if err != nil || stored.AppID != want.AppID {
		t.Fatalf("EncodeProcess = %+v, %v; want the app id as the key", stored, err)
	}
	got, err := record.DecodeProcess(stored.Body)
	if err != nil || text(got) != text(want) {
		t.Fatalf("%s decodes to %s, %v; want %s", stored.Body, text(got), err, text(want))
	}
	for _, body := range []string{`{"AppID":"a","Hostname":"h","PID":1,"Started":"2026-01-01T00:00:00Z"}`,
		`{"j":"a","t":1}`, `[]`, ``} {
		if p, err := record.DecodeProcess([]byte(body)); err == nil {
			t.Errorf("DecodeProcess(%q) = %+v; want an error", body, p)
		}
	}
}

// Runs, LastRuns and Processes leave out what does not decode, and read the rest.
func TestReadersSkipForeignRecords(t *testing.T) {
	backend := memory.NewStore(nil).Open(backend.Retention{})
	ctx := context.Background()
	tick := time.Now().Add(-time.Minute).Truncate(time.Second)
	good := fullRun("a", tick)
	appendRuns(t, backend, good)
	foreign := []contract.RunRecord{{Job: "a", Tick: tick.Add(time.Second), LastTick: tick.Add(time.Second), Outcome: "ok",
		Body: []byte(`{"job":"a"}`)}, {Job: "b", Tick: tick, LastTick: tick, Outcome: "ok", Body: []byte("garbage")}}
	if err := backend.AppendRuns(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	runs, err := record.Runs(ctx, backend, contract.RunQuery{})
	if err != nil || len(runs) != 1 || !sameRun(runs[0], good) {
		t.Fatalf("Runs = %+v, %v; want the one run that decodes", runs, err)
	}
	last, err := record.LastRuns(ctx, backend, []string{"a", "b"})
	if err != nil || len(last) != 0 {
		t.Fatalf("LastRuns = %+v, %v; want none: the newest records of a and b do not decode", last, err)
	}
	heartbeat(t, backend, record.Process{AppID: "app", Hostname: "host"})
	if _, err := backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "old", Body: []byte(`{"AppID":"old"}`)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	processes, err := record.Processes(ctx, backend)
	if err != nil || len(processes) != 1 || processes[0].AppID != "app" || !strings.Contains(text(processes[0]), "host") {
		t.Fatalf("Processes = %+v, %v; want app's only", processes, err)
	}
}
