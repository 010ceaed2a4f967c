package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

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
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("LogPredictions/batch=%d", n), func(b *testing.B) {
			s := newStore(b)
			batch := benchPredictions(n)
			b.ReportAllocs()
			for b.Loop() {
				require.NoError(b, s.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: batch}))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
	b.Run("ListPredictions/records=1e4", func(b *testing.B) {
		s := newStore(b)
		batch := benchPredictions(1000)
		for range 10 {
			require.NoError(b, s.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: batch}))
		}
		// Half of the rows of the first batch are labeled.
		fs := make([]mlw.Feedback, 0, len(batch)/2)
		for _, p := range batch[:len(batch)/2] {
			fs = append(fs, mlw.Feedback{Endpoint: p.Endpoint, RequestID: p.RequestID, Row: p.Row, Label: "yes"})
		}
		require.NoError(b, s.RecordFeedback(ctx, &store.RecordFeedbackParams{Feedback: fs}))
		for _, tt := range []struct {
			name string
			p    store.ListPredictionsParams
		}{
			{"all", store.ListPredictionsParams{Endpoint: "web"}},
			{"window", store.ListPredictionsParams{Endpoint: "web", Since: at(0), Until: at(1000)}},
		} {
			b.Run(tt.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					got, err := s.ListPredictions(ctx, &tt.p)
					require.NoError(b, err)
					require.Len(b, got, 10000)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/record")
			})
		}
	})
}

// benchPredictions returns n records of endpoint "web" as a server logs them:
// requests of 10 rows of 20 features each, with class probabilities.
func benchPredictions(n int) []mlw.Prediction {
	recs := make([]mlw.Prediction, n)
	for i := range recs {
		inputs := []byte("[")
		for f := range 20 {
			if f > 0 {
				inputs = append(inputs, ',')
			}
			inputs = fmt.Appendf(inputs, "%.4f", float64(i*20+f)/7)
		}
		inputs = append(inputs, ']')
		recs[i] = mlw.Prediction{
			RequestID: fmt.Sprintf("req-%08d", i/10), Row: i % 10, Endpoint: "web", Model: "churn", Version: 3,
			Variant: "champion", At: at(i / 10), Latency: 2345 * time.Microsecond, Inputs: inputs,
			Output: "yes", Score: 0.75, Proba: raw(`[0.25,0.75]`),
		}
	}
	return recs
}
