package backendtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hadeframe/hade/framework/contract"
)

// testJobControl runs the conformance suite of contract.JobControl, and of the orders that
// contract.ProcessRegistry.Heartbeat returns, against the stores open makes: pauses with their notes
// byte for byte, requests and answers with their bodies byte for byte, the requests' order and ttl,
// answers of several processes, take-once, bad input and closed clients.
func testJobControl(t *testing.T, open Open) {
	t.Run("PauseAndResume", func(t *testing.T) { testControlPause(t, open) })
	t.Run("PauseNotes", func(t *testing.T) { testControlPauseNotes(t, open) })
	t.Run("PauseNoteBytes", func(t *testing.T) { testControlPauseNoteBytes(t, open) })
	t.Run("Requests", func(t *testing.T) { testControlRequests(t, open) })
	t.Run("RequestBodies", func(t *testing.T) { testControlRequestBodies(t, open) })
	t.Run("Answers", func(t *testing.T) { testControlAnswers(t, open) })
	t.Run("AnswerBodies", func(t *testing.T) { testControlAnswerBodies(t, open) })
	t.Run("BadInput", func(t *testing.T) { testControlBadInput(t, open) })
	t.Run("TakeAndPaused", func(t *testing.T) { testControlTakeAndPaused(t, open) })
	t.Run("Closed", func(t *testing.T) { testControlClosed(t, open) })
}

func orders(t *testing.T, store contract.Backend) contract.Orders {
	t.Helper()
	got, err := store.Heartbeat(context.Background(), processRecord("poller"), time.Minute)
	if err != nil {
		t.Fatalf("Heartbeat: %v", err)
	}
	return got
}

func setPaused(t *testing.T, store contract.Backend, job string, paused bool, note string) {
	t.Helper()
	if err := store.SetPaused(context.Background(), job, paused, note); err != nil {
		t.Fatalf("SetPaused(%q, %v, %q): %v", job, paused, note, err)
	}
}

// checkPaused checks that client reads the paused jobs want (job -> note), byte for byte, both with
// Paused and in the orders of a heartbeat; nil and an empty map are alike.
func checkPaused(t *testing.T, client contract.Backend, want map[string]string, when string) {
	t.Helper()
	paused, err := client.Paused(context.Background())
	if err != nil {
		t.Fatalf("Paused %s: %v", when, err)
	}
	if !maps.Equal(paused, want) {
		t.Fatalf("Paused %s: %s", when, diffNotes(paused, want))
	}
	if got := orders(t, client).Paused; !maps.Equal(got, want) {
		t.Fatalf("a heartbeat's Orders.Paused %s: %s", when, diffNotes(got, want))
	}
}

// diffNotes says how the paused jobs got (job -> note) differ from want: each job paused in one but not
// the other, and each note that differs.
func diffNotes(got, want map[string]string) string {
	jobs := slices.Collect(maps.Keys(want))
	for job := range got {
		if _, wanted := want[job]; !wanted {
			jobs = append(jobs, job)
		}
	}
	slices.Sort(jobs)
	var diffs []string
	for _, job := range jobs {
		note, paused := got[job]
		wanted, wantPaused := want[job]
		switch {
		case paused != wantPaused:
			diffs = append(diffs, fmt.Sprintf("job %q paused %v, want %v", job, paused, wantPaused))
		case note != wanted:
			diffs = append(diffs, fmt.Sprintf("job %q: %s", job, diffNote(note, wanted)))
		}
	}
	return strings.Join(diffs, "; ")
}

// diffNote says how note differs from want: both lengths and up to 40 bytes of each from the first byte
// that differs.
func diffNote(note, want string) string {
	at := 0
	for at < min(len(note), len(want)) && note[at] == want[at] {
		at++
	}
	return fmt.Sprintf("a note of %d bytes, want %d; from byte %d: %q, want %q", len(note), len(want), at,
		note[at:min(len(note), at+40)], want[at:min(len(want), at+40)])
}

func testControlPause(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	operator, process := newClient(), newClient()
	if got := orders(t, process); len(got.Paused) != 0 || len(got.Requests) != 0 {
		t.Fatalf("a fresh store's orders: %+v; want none", got)
	}
	checkPaused(t, process, nil, "of a fresh store")
	setPaused(t, operator, "report", true, "paused by ana: the report server is down")
	setPaused(t, operator, "billing", true, "")
	setPaused(t, operator, "billing", true, "") // again: no change, no error
	checkPaused(t, process, map[string]string{"billing": "", "report": "paused by ana: the report server is down"},
		"after pausing report (with a note) and billing (without)")
	setPaused(t, operator, "report", false, "a resume's note is ignored")
	setPaused(t, operator, "never-paused", false, "")
	checkPaused(t, newClient(), map[string]string{"billing": ""}, "after resuming report, seen by any client")
}

// testControlPauseNotes: pausing a paused job replaces its note (with another, or with none); resuming
// drops it, so that the next pause has only its own.
func testControlPauseNotes(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	operator, process := newClient(), newClient()
	setPaused(t, operator, "report", true, "paused by ana")
	setPaused(t, operator, "billing", true, "paused by bob")
	checkPaused(t, process, map[string]string{"report": "paused by ana", "billing": "paused by bob"},
		"after two pauses")
	setPaused(t, operator, "report", true, "tick 2026-12-04T16:22:00Z failed: exit status 1")
	checkPaused(t, process, map[string]string{"report": "tick 2026-12-04T16:22:00Z failed: exit status 1",
		"billing": "paused by bob"}, "after pausing report again with another note")
	setPaused(t, operator, "report", true, "")
	checkPaused(t, process, map[string]string{"report": "", "billing": "paused by bob"},
		"after pausing report again without a note")
	setPaused(t, operator, "report", true, "paused by carol")
	setPaused(t, operator, "report", false, "")
	checkPaused(t, process, map[string]string{"billing": "paused by bob"}, "after resuming report")
	setPaused(t, operator, "report", true, "")
	checkPaused(t, newClient(), map[string]string{"report": "", "billing": "paused by bob"},
		"after resuming report and pausing it without a note (the dropped note must not come back)")
}

// testControlPauseNoteBytes: notes of any UTF-8 text round-trip byte for byte: 2,000 bytes of non-ASCII
// text, quotes, backslashes and line breaks, notes that begin with a line break or are a space only, and
// a note that looks like a timestamp, each to a job of its own (some of odd names), read by another client.
func testControlPauseNoteBytes(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	operator := newClient()
	long := longNote(2000)
	if len(long) != 2000 || !utf8.ValidString(long) || utf8.RuneCountInString(long) > 1500 {
		t.Fatalf("longNote(2000) is %d bytes, %d runes, valid UTF-8 %v; want 2000 bytes of UTF-8, many "+
			"runes multi-byte", len(long), utf8.RuneCountInString(long), utf8.ValidString(long))
	}
	notes := map[string]string{
		"report":          long,
		"naïve/job 100%":  "arrêté par «Zoë» — 日本語のメモ 🙂",
		"billing":         "\nstarts with a line break\r\n\tand \"quotes\", \\backslashes\\, {braces} and 100%",
		"space":           " ",
		"timestamp-alike": "2026-12-04T16:22:05Z",
		"empty":           "",
	}
	for job, note := range notes {
		setPaused(t, operator, job, true, note)
	}
	checkPaused(t, newClient(), notes, "after pausing jobs with notes of every kind")
}

// longNote returns a note of exactly size bytes of valid UTF-8 text, many runes multi-byte: text
// repeated, cut before the first rune that does not fit, then padded with dots.
func longNote(size int) string {
	const text = "Tick 2026-12-04 a échoué: «naïve» 日本語のメモ、失敗しました \"quoted\" \\ \t🙂🚀 Ωμέγα Привет мир\r\n"
	var note strings.Builder
	for {
		for _, r := range text {
			if note.Len()+utf8.RuneLen(r) > size {
				return note.String() + strings.Repeat(".", size-note.Len())
			}
			note.WriteRune(r)
		}
	}
}

func testControlBadInput(t *testing.T, open Open) {
	store := connect(t, open, defaultRetention)()
	ctx := context.Background()
	body := []byte(`{"j":"report"}`)
	for _, bad := range []contract.ControlRequest{
		{Made: time.Now(), Body: body},
		{ID: "x", Body: body},
		{ID: "x", Made: time.Now()},
		{ID: "x", Made: time.Now(), Body: []byte{}},
	} {
		if err := store.AddRequest(ctx, bad); err == nil {
			t.Errorf("AddRequest(%+v) succeeded; want an error naming what is missing", bad)
		}
	}
	for id, bad := range map[string]contract.ControlAnswer{
		"":  {AppID: "a", Body: body},
		"x": {Body: body},
		"y": {AppID: "a"},
	} {
		if err := store.Answer(ctx, id, bad); err == nil {
			t.Errorf("Answer(%q, %+v) succeeded; want an error naming what is missing", id, bad)
		}
	}
	if _, err := store.Answers(ctx, ""); err == nil {
		t.Error("Answers of an empty request id succeeded")
	}
	for _, paused := range []bool{true, false} {
		if err := store.SetPaused(ctx, "", paused, "note"); err == nil {
			t.Errorf("SetPaused of an empty job name (paused %v) succeeded", paused)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := store.SetPaused(canceled, "j", true, "note"); err == nil {
		t.Error("SetPaused with a cancelled context succeeded")
	}
}

// testControlTakeAndPaused: of many clients taking one request at once, exactly one gets it; Paused
// reads what SetPaused wrote.
func testControlTakeAndPaused(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	ctx := context.Background()
	clients := make([]contract.Backend, 8)
	for i := range clients {
		clients[i] = newClient()
	}
	results := make(chan bool, len(clients))
	errs := make(chan error, len(clients))
	for i, client := range clients {
		go func() {
			taken, err := client.TakeRequest(ctx, "r1", fmt.Sprintf("app-%d", i))
			results <- taken
			errs <- err
		}()
	}
	taken := 0
	for range clients {
		if <-results {
			taken++
		}
		if err := <-errs; err != nil {
			t.Fatalf("TakeRequest: %v", err)
		}
	}
	if taken != 1 {
		t.Fatalf("%d of %d clients took the request; want exactly 1", taken, len(clients))
	}
	if again, err := clients[0].TakeRequest(ctx, "r1", "late"); err != nil || again {
		t.Fatalf("a late TakeRequest = %v, %v; want false", again, err)
	}
	setPaused(t, clients[0], "b", true, "note of b")
	setPaused(t, clients[0], "a", true, "")
	want := map[string]string{"a": "", "b": "note of b"}
	if paused, err := clients[1].Paused(ctx); err != nil || !maps.Equal(paused, want) {
		t.Fatalf("Paused = %q, %v; want %q", paused, err, want)
	}
}

// testControlClosed: the job control calls of a closed client fail.
func testControlClosed(t *testing.T, open Open) {
	store := closedClient(t, open)
	ctx := context.Background()
	if err := store.SetPaused(ctx, "j", true, ""); err == nil {
		t.Error("SetPaused after Close: no error")
	}
	if err := store.AddRequest(ctx, controlRequest("r", time.Now())); err == nil {
		t.Error("AddRequest after Close: no error")
	}
	if _, err := store.TakeRequest(ctx, "r", "a"); err == nil {
		t.Error("TakeRequest after Close: no error")
	}
	if _, err := store.Paused(ctx); err == nil {
		t.Error("Paused after Close: no error")
	}
	if err := store.Answer(ctx, "r", controlAnswer("a", "ok")); err == nil {
		t.Error("Answer after Close: no error")
	}
	if _, err := store.Answers(ctx, "r"); err == nil {
		t.Error("Answers after Close: no error")
	}
}
