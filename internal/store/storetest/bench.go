package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// Benchmark measures the store's hot paths through the same harness on every
// driver: newStore opens a fresh, empty store for one benchmark and releases
// it in b.Cleanup.
func Benchmark(ctx context.Context, b *testing.B, newStore func(b *testing.B) store.Store) {
	b.Run("CreateRun", func(b *testing.B) {
		s := newStore(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			id := fmt.Sprintf("r-%d", i)
			_, err := s.CreateRun(ctx, &store.CreateRunParams{
				Run: mlw.Run{ID: id, Kind: "train", Status: mlw.RunRunning, Model: "gbdt",
					Params: map[string]string{"lr": "0.1", "depth": "6", "seed": "1"}, Tags: map[string]string{"team": "fraud"}},
				Audit: &mlw.AuditEvent{Actor: "bench", Action: "run.create", Target: id},
			})
			require.NoError(b, err)
		}
	})
	b.Run("LogMetrics/batch=100", func(b *testing.B) {
		s := newStore(b)
		mkRun(ctx, b, s, "r-1")
		ms := make([]mlw.Metric, 100)
		for i := range ms {
			ms[i] = mlw.Metric{Key: fmt.Sprintf("m%d", i%5), Value: float64(i) / 7, Step: int64(i / 5), Time: at(i)}
		}
		b.ReportAllocs()
		for b.Loop() {
			require.NoError(b, s.LogMetrics(ctx, &store.LogMetricsParams{RunID: "r-1", Metrics: ms}))
		}
	})
	b.Run("AppendAudit", func(b *testing.B) {
		s := newStore(b)
		ev := *event("bench", "x")
		b.ReportAllocs()
		for b.Loop() {
			_, err := s.AppendAudit(ctx, &store.AppendAuditParams{Event: ev})
			require.NoError(b, err)
		}
	})
	b.Run("GetRun", func(b *testing.B) {
		s := newStore(b)
		mkRun(ctx, b, s, "r-1", func(r *mlw.Run) {
			r.Params = map[string]string{"lr": "0.1", "depth": "6", "seed": "1"}
			r.Tags = map[string]string{"team": "fraud"}
		})
		b.ReportAllocs()
		for b.Loop() {
			_, err := s.GetRun(ctx, "r-1")
			require.NoError(b, err)
		}
	})
	b.Run("ListRuns/runs=200/limit=50", func(b *testing.B) {
		s := newStore(b)
		for i := range 200 {
			mkRun(ctx, b, s, fmt.Sprintf("r-%03d", i), func(r *mlw.Run) {
				r.StartedAt = at(i)
				r.Params = map[string]string{"lr": "0.1", "i": fmt.Sprint(i)}
			})
		}
		b.ReportAllocs()
		for b.Loop() {
			runs, err := s.ListRuns(ctx, &store.ListRunsParams{Limit: 50})
			require.NoError(b, err)
			require.Len(b, runs, 50)
		}
	})
}
