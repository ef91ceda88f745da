package scheduler

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// BenchmarkTickPath measures the framework's own cost of one run, without a backend: the job wrapper
// takes the tick, runs an instant command through the command runner (flags, hooks, context) and writes
// the JSON log line (to io.Discard).
func BenchmarkTickPath(b *testing.B) {
	s := New()
	s.AddCronCommand("* * * * * *", &cobra.Command{Use: "instant", RunE: func(*cobra.Command, []string) error { return nil }})
	if err := s.Err(); err != nil {
		b.Fatal(err)
	}
	env := Environment{Context: context.Background(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), AppID: "bench"}
	state := newRunning(env)
	defer state.cancelRuns()
	s.state.Store(state)
	base := time.Now().Truncate(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fire(s, 0, base.Add(time.Duration(i)*time.Second))
	}
}
