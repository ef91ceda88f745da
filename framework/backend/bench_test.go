package backend_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend/local"
	"github.com/hadeframe/hade/framework/backend/redis"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redistest"
)

// reportLatencies adds the p50 and p99 of one claim, in microseconds, to the benchmark's result.
func reportLatencies(b *testing.B, durations []time.Duration) {
	if len(durations) == 0 {
		return
	}
	slices.Sort(durations)
	at := func(q float64) float64 {
		return float64(durations[min(len(durations)-1, int(q*float64(len(durations))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// benchmarkClaims claims b.N new ticks one after the other: each claim wins and moves the fence.
func benchmarkClaims(b *testing.B, backend contract.Backend) {
	durations := make([]time.Duration, 0, b.N)
	base := time.Now().Truncate(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		started := time.Now()
		if _, err := claim(backend, "bench", "app", base.Add(time.Duration(i)*time.Microsecond), time.Hour); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(started))
	}
	b.StopTimer()
	reportLatencies(b, durations)
}

// benchmarkParallelClaims has 100 goroutines claim ticks of 100 services at once, as 100 due jobs of
// one process do at a tick.
func benchmarkParallelClaims(b *testing.B, backend contract.Backend) {
	const services = 100
	base := time.Now().Truncate(time.Second)
	var mu sync.Mutex
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := (b.N + services - 1) / services
	for s := 0; s < services; s++ {
		wg.Add(1)
		go func(service string) {
			defer wg.Done()
			local := make([]time.Duration, 0, per)
			for i := 0; i < per; i++ {
				started := time.Now()
				if _, err := claim(backend, service, "app", base.Add(time.Duration(i)*time.Microsecond), time.Hour); err != nil {
					b.Error(err)
					return
				}
				local = append(local, time.Since(started))
			}
			mu.Lock()
			durations = append(durations, local...)
			mu.Unlock()
		}(fmt.Sprintf("bench-%d", s))
	}
	wg.Wait()
	b.StopTimer()
	reportLatencies(b, durations)
}

func BenchmarkClaimLocal(b *testing.B) {
	local, err := local.New(filepath.Join(b.TempDir(), "distributed"), defaultRetention)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) { benchmarkClaims(b, local) })
	b.Run("parallel-100", func(b *testing.B) { benchmarkParallelClaims(b, local) })
}

func BenchmarkClaimRedis(b *testing.B) {
	server := redistest.Start(b, "")
	backend, err := redis.New(context.Background(), redis.Config{URL: server.URL(), Prefix: "bench:"})
	if err != nil {
		b.Fatal(err)
	}
	defer backend.Close()
	b.Run("serial", func(b *testing.B) { benchmarkClaims(b, backend) })
	b.Run("parallel-100", func(b *testing.B) { benchmarkParallelClaims(b, backend) })
}
