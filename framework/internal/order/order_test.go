package order_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/order"
)

// A request survives its encoding: the backend keeps its ID and Made, the body the rest; a kind this
// version does not know decodes (a newer version's), and is the caller's to ignore.
func TestRequestRoundTrip(t *testing.T) {
	made := time.Date(2026, 11, 28, 19, 50, 1, 123456789, time.FixedZone("CET", 3600))
	for _, want := range []order.Request{
		{ID: "0d5c6a1e-8f1b-4c57-9f0e-2b9c7d3e4a11", Job: "report", Kind: order.Run, Made: made},
		{ID: "id-of-kill", Job: `we"ird/job ✓`, Kind: order.Kill, Made: made},
		{ID: "id-of-replace", Job: "report", Kind: order.Kill, Made: made, Reason: "replaced by tick x", Target: "app-b"},
		{ID: "id-of-buffered-run", Job: "report", Kind: order.Run, Made: made, Overlap: order.OverlapBufferAll},
		{ID: "id-of-backfill", Job: "report", Kind: order.Backfill, Made: made, From: made.Add(-time.Hour).UTC().Truncate(time.Microsecond),
			To: made.UTC().Truncate(time.Microsecond), Overlap: order.OverlapAllow},
	} {
		stored, err := order.EncodeRequest(want)
		if err != nil || stored.ID != want.ID || !stored.Made.Equal(want.Made) ||
			strings.Contains(string(stored.Body), want.ID) {
			t.Fatalf("EncodeRequest(%+v) = %+v, %v; want the ID and Made beside a body without them",
				want, stored, err)
		}
		got, err := order.DecodeRequest(stored)
		if err != nil || got != want {
			t.Fatalf("DecodeRequest(%s) = %+v, %v; want %+v", stored.Body, got, err, want)
		}
	}
	newer := contract.ControlRequest{ID: "n", Made: made, Body: []byte(`{"j":"a","k":"rewind","r":[1,2]}`)}
	got, err := order.DecodeRequest(newer)
	if err != nil || got.Kind != "rewind" || got.Job != "a" {
		t.Fatalf("a request of a kind this version does not know decodes to %+v, %v; want its job and kind",
			got, err)
	}
}

// Bodies this framework did not write as a request (the backends' previous formats, other JSON, garbage)
// do not decode.
func TestDecodeRequestRefusesOtherFormats(t *testing.T) {
	for _, body := range []string{
		`{"ID":"r1","Job":"report","Kind":"run","Made":"2026-01-01T00:00:00Z"}`, // etcd's former value
		`{"i":"r1","j":"report","m":1700000000000}`,                             // no kind
		`{"k":"run"}`, `{"o":"ok"}`, `["a"]`, `"a"`, ``, "\x00\xff",
	} {
		stored := contract.ControlRequest{ID: "r1", Made: time.Now(), Body: []byte(body)}
		if r, err := order.DecodeRequest(stored); err == nil {
			t.Errorf("DecodeRequest(%q) = %+v; want an error", body, r)
		}
	}
}

// An invalid request is refused before it is encoded, naming what is wrong.
func TestEncodeRequestValidates(t *testing.T) {
	made := time.Now()
	for want, request := range map[string]order.Request{
		"Request.ID":  {Job: "j", Kind: order.Run, Made: made},
		"Request.Job": {ID: "x", Kind: order.Run, Made: made},
		`unknown kind "explode", want "run", "kill" or "backfill"`: {ID: "x", Job: "j", Kind: "explode", Made: made},
		"the end must be after the start":                          {ID: "x", Job: "j", Kind: order.Backfill, Made: made, From: made, To: made},
		"on a run or backfill request":                             {ID: "x", Job: "j", Kind: order.Kill, Made: made, Overlap: order.OverlapAllow},
		"Request.Made":                                             {ID: "x", Job: "j", Kind: order.Kill},
	} {
		if _, err := order.EncodeRequest(request); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("EncodeRequest(%+v): %v; want an error naming %s", request, err, want)
		}
	}
	if request := order.New("report", order.Kill); request.Validate() != nil || len(request.ID) != 36 {
		t.Fatalf("New = %+v, %v; want a valid request with a UUID", request, request.Validate())
	}
}

// An answer survives its encoding, At to the µs in UTC; the backend keeps its app id. A body that is not
// an answer does not decode; an answer without an app id or an outcome is refused.
func TestAnswerRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 28, 19, 50, 1, 123456789, time.FixedZone("CET", 3600))
	for _, want := range []order.Answer{
		{AppID: "app", Outcome: order.Started, At: at},
		{AppID: "app", Outcome: "error", Detail: "exit status 1: naïve\nsecond line", At: at},
		{AppID: "app", Outcome: "killed"},
	} {
		stored, err := order.EncodeAnswer(want)
		if err != nil || stored.AppID != want.AppID {
			t.Fatalf("EncodeAnswer(%+v) = %+v, %v; want the app id beside the body", want, stored, err)
		}
		got, err := order.DecodeAnswer(stored)
		if err != nil || got.AppID != want.AppID || got.Outcome != want.Outcome || got.Detail != want.Detail ||
			!got.At.Equal(want.At.Truncate(time.Microsecond)) || !got.At.IsZero() && got.At.Location() != time.UTC {
			t.Fatalf("DecodeAnswer(%s) = %+v, %v; want %+v, At to the µs in UTC", stored.Body, got, err, want)
		}
	}
	for _, body := range []string{`{"AppID":"a","Outcome":"ok"}`, `{"j":"a","k":"run"}`, `[]`, ``} {
		if a, err := order.DecodeAnswer(contract.ControlAnswer{AppID: "a", Body: []byte(body)}); err == nil {
			t.Errorf("DecodeAnswer(%q) = %+v; want an error", body, a)
		}
	}
	for _, bad := range []order.Answer{{Outcome: "ok"}, {AppID: "a"}} {
		if _, err := order.EncodeAnswer(bad); err == nil {
			t.Errorf("EncodeAnswer(%+v): no error", bad)
		}
	}
}

// Through a backend: Add and Reply store what Requests and Answers read back; what does not decode is
// left out, and an invalid request never reaches the backend.
func TestThroughABackend(t *testing.T) {
	control := memory.NewStore(nil).Open(backend.Retention{})
	ctx := context.Background()
	made := time.Now()
	foreign := contract.ControlRequest{ID: "old", Made: made.Add(-time.Second),
		Body: []byte(`{"ID":"old","Job":"a"}`)}
	if err := control.AddRequest(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	want := order.Request{ID: "r1", Job: "report", Kind: order.Run, Made: made}
	if err := order.Add(ctx, control, want); err != nil {
		t.Fatal(err)
	}
	if err := order.Add(ctx, control, order.Request{ID: "bad", Kind: order.Run, Made: made}); err == nil {
		t.Fatal("Add of a request without a job: no error")
	}
	orders, err := control.Heartbeat(ctx, contract.ProcessRecord{AppID: "p"}, time.Minute)
	if err != nil || len(orders.Requests) != 2 {
		t.Fatalf("Heartbeat = %+v, %v; want the foreign request and r1", orders, err)
	}
	if got := order.Requests(orders); len(got) != 1 || got[0] != want {
		t.Fatalf("Requests = %+v; want r1 only", got)
	}
	previous := contract.ControlAnswer{AppID: "old", Body: []byte(`{"Outcome":"ok"}`)}
	if err := control.Answer(ctx, "r1", previous); err != nil {
		t.Fatal(err)
	}
	if err := order.Reply(ctx, control, "r1", order.Answer{AppID: "a", Outcome: order.Started}); err != nil {
		t.Fatal(err)
	}
	answers, err := order.Answers(ctx, control, "r1")
	if err != nil || len(answers) != 1 || answers[0].AppID != "a" || answers[0].Outcome != order.Started {
		t.Fatalf("Answers = %+v, %v; want a's only", answers, err)
	}
}

func TestPauseNotes(t *testing.T) {
	for _, bad := range []string{strings.Repeat("x", order.MaxPauseNote+1), "bad \xff byte", "nul \x00 byte"} {
		if order.CheckPauseNote(bad) == nil {
			t.Errorf("order.CheckPauseNote(%q) = nil, want an error", bad)
		}
	}
	for _, good := range []string{"", "maintenance: ticket 42", "naïve ✓", strings.Repeat("x", order.MaxPauseNote)} {
		if err := order.CheckPauseNote(good); err != nil {
			t.Errorf("order.CheckPauseNote(%q) = %v, want nil", good, err)
		}
	}
	if got := order.CleanPauseNote("a\x00b\xffc"); got != "ab\uFFFDc" || order.CheckPauseNote(got) != nil {
		t.Errorf("CleanPauseNote = %q, want NUL removed and the bad byte replaced", got)
	}
}

func TestRunRequestOverlap(t *testing.T) {
	request := order.New("report", order.Run)
	request.Overlap = order.OverlapAllow
	stored, err := order.EncodeRequest(request)
	if err != nil {
		t.Fatal(err)
	}
	if decoded, err := order.DecodeRequest(stored); err != nil || decoded.Overlap != order.OverlapAllow {
		t.Fatalf("decoded %+v, %v; want the overlap allow back", decoded, err)
	}
	for _, bad := range []order.Request{{Kind: order.Run, Overlap: "sometimes"}, {Kind: order.Kill, Overlap: order.OverlapForbid}} {
		bad.ID, bad.Job, bad.Made = "id", "report", time.Now()
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "overlap policy") {
			t.Errorf("Validate(%+v) = %v; want an error naming the overlap policy", bad, err)
		}
	}
}
