package engine

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/schedule"
)

// BenchmarkTickPath measures the framework's own cost of one run, without a backend: the job wrapper
// takes the tick, runs an instant command through the command runner (flags, hooks, context) and writes
// the JSON log line (to io.Discard).
func BenchmarkTickPath(b *testing.B) {
	benchmarkTickPath(b, nil)
}

// BenchmarkTickPathRecorded is BenchmarkTickPath with a run history: the record of each run is handed to
// the recorder, whose goroutine writes batches to a store that keeps nothing (the store's own cost is
// measured per backend in framework/backend).
func BenchmarkTickPathRecorded(b *testing.B) {
	benchmarkTickPath(b, &discardHistory{})
}

// discardHistory is a run history that accepts every batch and keeps nothing.
type discardHistory struct{ switchableHistory }

func (*discardHistory) AppendRuns(context.Context, []contract.RunRecord) error { return nil }

func benchmarkTickPath(b *testing.B, history contract.RunHistory) {
	s := New()
	s.AddCronCommand("* * * * * *", &cobra.Command{Use: "instant", RunE: func(*cobra.Command, []string) error { return nil }})
	if err := s.Err(); err != nil {
		b.Fatal(err)
	}
	env := Environment{Context: context.Background(), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), AppID: "bench"}
	state := newRunning(env)
	defer state.cancelRuns()
	if history != nil {
		state.recorder = startRecorder(history, env.Logger, nil)
		defer state.recorder.close()
	}
	s.state.Store(state)
	base := time.Now().Truncate(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fire(s, 0, base.Add(time.Duration(i)*time.Second))
	}
}

// BenchmarkTickScheduleNext measures what robfig/cron's loop asks of an entry once per tick: the next
// tick, with the check for skipped ticks, for a 6-field spec in a zone with daylight saving time.
func BenchmarkTickScheduleNext(b *testing.B) {
	for _, spec := range []string{"* * * * * *", "0 30 1 * * *"} {
		b.Run(spec, func(b *testing.B) {
			newYork, err := schedule.LoadZone("America/New_York")
			if err != nil {
				b.Fatal(err)
			}
			parsed, err := schedule.Parse(spec, newYork, schedule.EveryFromEpoch)
			if err != nil {
				b.Fatal(err)
			}
			ticks := &tickSchedule{schedule: parsed}
			at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				at = ticks.Next(at)
				ticks.pending = ticks.pending[:0]
			}
		})
	}
}
