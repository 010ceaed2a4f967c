package storetest

import (
	"context"
	"fmt"
	"math"
	"strconv"
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
			batch := BenchPredictions(0, n)
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				require.NoError(b, s.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: batch}))
			}
			reportPerRecord(b, b.N*n, cpuTime()-cpu)
		})
	}
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("ListPredictions/records=%.0e", float64(n)), func(b *testing.B) {
			s := newStore(b)
			const batch = 1000
			var fs []mlw.Feedback
			for i := 0; i < n; i += batch {
				recs := BenchPredictions(i, batch)
				require.NoError(b, s.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: recs}))
				// One request in ten is labeled.
				for k, p := range recs {
					if (i+k)/10%10 == 0 {
						fs = append(fs, mlw.Feedback{Endpoint: p.Endpoint, RequestID: p.RequestID, Row: p.Row, Label: "yes"})
					}
				}
			}
			require.NoError(b, s.RecordFeedback(ctx, &store.RecordFeedbackParams{Feedback: fs}))
			for _, tt := range []struct {
				name string
				p    store.ListPredictionsParams
				want int
			}{
				{"all", store.ListPredictionsParams{Endpoint: "web"}, n},
				{"window", store.ListPredictionsParams{Endpoint: "web", Since: benchTime(0), Until: benchTime(n)}, n},
				{"window=tenth", store.ListPredictionsParams{Endpoint: "web", Since: benchTime(4 * n / 10), Until: benchTime(5 * n / 10)}, n / 10},
				{"limit=1000", store.ListPredictionsParams{Endpoint: "web", Limit: 1000}, 1000},
			} {
				b.Run(tt.name, func(b *testing.B) {
					b.ReportAllocs()
					cpu := cpuTime()
					for b.Loop() {
						got, err := s.ListPredictions(ctx, &tt.p)
						require.NoError(b, err)
						require.Len(b, got, tt.want)
					}
					reportPerRecord(b, b.N*tt.want, cpuTime()-cpu)
				})
			}
		})
	}
}

// reportPerRecord reports the wall time and, where the system tells, the
// CPU time of the process per record, for n records handled in all.
func reportPerRecord(b *testing.B, n int, cpu time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/record")
	}
}

// benchTime is when record i of the benchmarks' log was predicted: a
// millisecond after record i-1 (the rows of a request share the time of its
// first row).
func benchTime(i int) time.Time { return at(0).Add(time.Duration(i) * time.Millisecond) }

// BenchPredictions returns records first to first+n-1 of endpoint "web" as
// a server logs them: requests of 10 rows of 30 features each (six decimals,
// as the server writes a client's values), with class probabilities.
func BenchPredictions(first, n int) []mlw.Prediction {
	recs := make([]mlw.Prediction, n)
	for k := range recs {
		i := first + k
		inputs := []byte("[")
		for f := range 30 {
			if f > 0 {
				inputs = append(inputs, ',')
			}
			inputs = strconv.AppendFloat(inputs, math.Mod(float64(i*30+f)*0.6180339887, 1), 'f', 6, 64)
		}
		inputs = append(inputs, ']')
		score := math.Mod(float64(i)*0.7548776662, 1)
		recs[k] = mlw.Prediction{
			RequestID: fmt.Sprintf("req-%08d", i/10), Row: i % 10, Endpoint: "web", Model: "churn", Version: 3,
			Variant: "champion", At: benchTime(i - i%10), Latency: 2345 * time.Microsecond, Inputs: inputs,
			Output: map[bool]string{true: "yes", false: "no"}[score >= 0.5], Score: score,
		}
		proba := strconv.AppendFloat([]byte("["), 1-score, 'f', -1, 64)
		proba = strconv.AppendFloat(append(proba, ','), score, 'f', -1, 64)
		recs[k].Proba = append(proba, ']')
	}
	return recs
}
