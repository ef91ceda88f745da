package engine

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// lineCounter counts the lines written to it.
type lineCounter struct{ lines atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// BenchmarkTickBurst measures a tick of 1000 every-second entries as robfig/cron fires it: a goroutine
// per entry calling Run at once, each writing its log line. ns/op is per run.
func BenchmarkTickBurst(b *testing.B) {
	const entries = 1000
	s := New()
	for i := 0; i < entries; i++ {
		s.AddCronCommand("* * * * * *", &cobra.Command{Use: fmt.Sprintf("job-%d", i),
			RunE: func(*cobra.Command, []string) error { return nil }})
	}
	if err := s.Err(); err != nil {
		b.Fatal(err)
	}
	counter := &lineCounter{}
	env := Environment{Context: context.Background(), Logger: slog.New(slog.NewJSONHandler(counter, nil)), AppID: "bench"}
	state := newRunning(env)
	defer state.cancelRuns()
	s.state.Store(state)
	base := time.Now().Truncate(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += entries {
		tick := base.Add(time.Duration(i) * time.Second)
		var wg sync.WaitGroup
		for _, j := range s.jobs {
			j.ticks.mu.Lock()
			j.ticks.pending = append(j.ticks.pending, tick)
			j.ticks.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				j.Run()
			}()
		}
		wg.Wait()
		if counter.lines.Load() < int64(i+entries) {
			b.Fatalf("%d lines after %d runs", counter.lines.Load(), i+entries)
		}
	}
}
