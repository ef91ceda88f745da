package secret

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestURLPasswords(t *testing.T) {
	for raw, want := range map[string][]string{
		"redis://:s3cret@host:6379/0":      {"s3cret"},
		"redis://user:p%40ss@host:6379/0":  {"p%40ss", "p@ss"},
		"redis://:s3cret%zz@host:6379/0":   {"s3cret%zz"}, // malformed escape: url.Parse fails
		"redis://:pw@host:notaport/0":      {"pw"},
		"redis://user@host:6379/0":         nil,
		"redis://host:6379/0":              nil,
		"host:6379":                        nil,
		"redis://:a:b@c@host:6379/0?x=1&y": {"a:b@c"},
	} {
		if got := URLPasswords(raw); !slices.Equal(got, want) {
			t.Errorf("URLPasswords(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://:s3cret@host:6379/0":         "redis://:xxxxx@host:6379/0",
		"redis://host:6379/0?dial_timeout=1s": "redis://host:6379/0?…",
		"redis://:s3cret%zz@host:6379/0":      "<unparsable URL>",
		"rediss://user:p%40ss@host:6379/1":    "rediss://user:xxxxx@host:6379/1",
		"redis://127.0.0.1:6379/0":            "redis://127.0.0.1:6379/0",
	} {
		if got := RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestScrubErrorKeepsTheChain(t *testing.T) {
	cause := errors.New("cause")
	err := fmt.Errorf("parse %q: %w", "redis://:s3cret%zz@host", cause)
	scrubbed := ScrubError(err, URLPasswords("redis://:s3cret%zz@host"))
	if strings.Contains(scrubbed.Error(), "s3cret") || !strings.Contains(scrubbed.Error(), "xxxxx") || !errors.Is(scrubbed, cause) {
		t.Fatalf("ScrubError = %q (is cause: %v)", scrubbed, errors.Is(scrubbed, cause))
	}
	if ScrubError(cause, []string{"s3cret"}) != cause || ScrubError(nil, nil) != nil {
		t.Fatal("an error without secrets must be returned as is")
	}
}
