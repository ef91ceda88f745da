package backendtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// controlAnswer returns an answer of appID with a body that names outcome and holds bytes of every kind.
func controlAnswer(appID, outcome string) contract.ControlAnswer {
	return contract.ControlAnswer{AppID: appID, Body: fmt.Appendf(nil, "{\"o\":%q}\x00\xff\n", outcome)}
}

func answer(t *testing.T, control contract.JobControl, id string, a contract.ControlAnswer) {
	t.Helper()
	if err := control.Answer(context.Background(), id, a); err != nil {
		t.Fatalf("Answer(%s, %s): %v", id, a.AppID, err)
	}
}

// checkAnswers fails t unless the answers to id that control returns are want, in order: the same app
// ids and bodies byte for byte.
func checkAnswers(t *testing.T, what string, control contract.JobControl, id string,
	want []contract.ControlAnswer) []contract.ControlAnswer {
	t.Helper()
	got, err := control.Answers(context.Background(), id)
	if err != nil {
		t.Fatalf("%s: Answers(%s): %v", what, id, err)
	}
	text := func(answers []contract.ControlAnswer) string {
		var out []string
		for _, a := range answers {
			out = append(out, fmt.Sprintf("%s %q", a.AppID, a.Body))
		}
		return strings.Join(out, ", ")
	}
	if text(got) != text(want) {
		t.Fatalf("%s: Answers(%s) = %s; want %s", what, id, text(got), text(want))
	}
	return got
}

// testControlAnswers: the answers to a request, of several processes and several of one process, come back
// to any client in the order given, each with its app id; a request without answers (unknown, or
// answered before it was stored) has none, and answers need no stored request.
func testControlAnswers(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	operator, a, b := newClient(), newClient(), newClient()
	addRequest(t, operator, controlRequest("r1", time.Now()))
	given := []struct {
		client contract.Backend
		answer contract.ControlAnswer
	}{
		{a, controlAnswer("app-a", "started")},
		{b, controlAnswer("app-b", "killed")},
		{a, controlAnswer("app-a", "ok")},
		{a, controlAnswer("app-a", "ok")}, // the same answer again is kept again
	}
	var want []contract.ControlAnswer
	for _, g := range given {
		answer(t, g.client, "r1", g.answer)
		want = append(want, g.answer)
	}
	checkAnswers(t, "three answers of app-a, one of app-b", operator, "r1", want)
	checkAnswers(t, "another client", newClient(), "r1", want)
	checkAnswers(t, "an unknown request", operator, "unknown", nil)
	answer(t, b, "never-stored", controlAnswer("app-b", "ok"))
	checkAnswers(t, "a request never stored", operator, "never-stored",
		[]contract.ControlAnswer{controlAnswer("app-b", "ok")})
}

// testControlAnswerBodies: answer bodies come back byte for byte; the store keeps copies, neither the
// caller's buffer nor what it returned to another caller.
func testControlAnswerBodies(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	operator, process := newClient(), newClient()
	binary := contract.ControlAnswer{AppID: "app-a"}
	for c := range 256 {
		binary.Body = append(binary.Body, byte(c))
	}
	reused := controlAnswer("app-a", "ok")
	sent := reused
	sent.Body = slices.Clone(reused.Body)
	answer(t, process, "r1", binary)
	answer(t, process, "r1", sent)
	clear(sent.Body) // the caller reuses its buffer
	got := checkAnswers(t, "bodies", operator, "r1", []contract.ControlAnswer{binary, reused})
	for _, a := range got {
		clear(a.Body) // a reader changes what it was given
	}
	checkAnswers(t, "bodies after a reader changed its copies", operator, "r1",
		[]contract.ControlAnswer{binary, reused})
}
