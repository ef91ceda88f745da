package backendtest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// controlRequest returns request id made at made, with a body that names it and holds bytes of every
// kind: what a framework encodes is opaque to the backend.
func controlRequest(id string, made time.Time) contract.ControlRequest {
	body := fmt.Appendf(nil, "{\"j\":\"report\",\"i\":%q}\x00\xff\n", id)
	return contract.ControlRequest{ID: id, Made: made, Body: body}
}

func addRequest(t *testing.T, control contract.JobControl, request contract.ControlRequest) {
	t.Helper()
	if err := control.AddRequest(context.Background(), request); err != nil {
		t.Fatalf("AddRequest(%s): %v", request.ID, err)
	}
}

// checkRequests fails t unless got holds want, in order: the same IDs and bodies byte for byte, Made to the
// millisecond.
func checkRequests(t *testing.T, what string, got, want []contract.ControlRequest) {
	t.Helper()
	text := func(requests []contract.ControlRequest) string {
		var out []string
		for _, r := range requests {
			out = append(out, fmt.Sprintf("%s@%d %q", r.ID, r.Made.UnixMilli(), r.Body))
		}
		return strings.Join(out, ", ")
	}
	if text(got) != text(want) {
		t.Fatalf("%s: requests %s; want %s", what, text(got), text(want))
	}
}

// testControlRequests: a heartbeat returns the requests made within ControlRequestTTL, oldest first (by
// Made, then ID), to every client; one made earlier is never returned.
func testControlRequests(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	operator, process := newClient(), newClient()
	now := time.Now().Truncate(time.Millisecond)
	r1, r2 := controlRequest("r1", now.Add(-2*time.Second)), controlRequest("r2", now.Add(-time.Second))
	r3a, r3b := controlRequest("r3a", now), controlRequest("r3b", now)
	old := controlRequest("old", now.Add(-2*contract.ControlRequestTTL))
	for _, r := range []contract.ControlRequest{r2, r3b, old, r3a, r1} {
		addRequest(t, operator, r)
	}
	want := []contract.ControlRequest{r1, r2, r3a, r3b}
	checkRequests(t, "a heartbeat's orders", orders(t, process).Requests, want)
	checkRequests(t, "another client's heartbeat", orders(t, newClient()).Requests, want)
}

// testControlRequestBodies: request bodies come back byte for byte: every byte value, 4 KiB long; the
// store keeps copies, neither the caller's buffer nor what it returned to a heartbeat.
func testControlRequestBodies(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	operator, process := newClient(), newClient()
	now := time.Now().Truncate(time.Millisecond)
	binary := contract.ControlRequest{ID: "binary", Made: now.Add(-time.Second)}
	for range 16 {
		for c := range 256 {
			binary.Body = append(binary.Body, byte(c))
		}
	}
	reused := controlRequest("reused", now)
	sent := reused
	sent.Body = slices.Clone(reused.Body)
	addRequest(t, operator, binary)
	addRequest(t, operator, sent)
	clear(sent.Body) // the caller reuses its buffer
	got := orders(t, process).Requests
	checkRequests(t, "bodies", got, []contract.ControlRequest{binary, reused})
	for _, r := range got {
		clear(r.Body) // a reader changes what it was given
	}
	checkRequests(t, "bodies after a reader changed its copies", orders(t, process).Requests,
		[]contract.ControlRequest{binary, reused})
	if !bytes.Equal(orders(t, newClient()).Requests[0].Body, binary.Body) {
		t.Fatal("a 4 KiB body of every byte value did not come back byte for byte")
	}
}
