package claimqueue

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Many failed calls from many goroutines log one start of the outage, and the calls that answer after
// them one end; a second outage is logged again.
func TestOutageIsLoggedOncePerOutage(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil)) // the handler serializes its writes
	outage := &Outage{Logger: logger, Backend: "redis", Where: []any{"server", "db:6379"}}
	for round := 0; round < 2; round++ {
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); outage.Note(errors.New("i/o timeout")) }()
		}
		wg.Wait()
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); outage.Note(nil) }()
		}
		wg.Wait()
	}
	text := out.String()
	down := strings.Count(text, `msg="redis does not answer: distributed claims fail (fail closed) until it does" server=db:6379 error="i/o timeout"`)
	up := strings.Count(text, `msg="redis answers again: distributed claims resume" server=db:6379`)
	if down != 2 || up != 2 {
		t.Fatalf("2 outages logged %d starts and %d ends; want 2 and 2:\n%s", down, up, text)
	}
}
