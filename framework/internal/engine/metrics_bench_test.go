package engine

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/metrics"
)

// BenchmarkTickPathWithMetrics is BenchmarkTickPath with the metrics observer of `cron start --http` (the
// run's record goes to it: a counter, two histograms, two gauges).
func BenchmarkTickPathWithMetrics(b *testing.B) {
	s := New()
	s.AddCronCommand("* * * * * *", &cobra.Command{Use: "instant", RunE: func(*cobra.Command, []string) error { return nil }})
	if err := s.Err(); err != nil {
		b.Fatal(err)
	}
	env := Environment{Context: context.Background(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), AppID: "bench",
		Observer: metrics.New()}
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
