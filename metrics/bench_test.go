package metrics_test

import (
	"math/rand/v2"
	"testing"

	"mlw.dev/metrics"
)

// benchData returns n binary labels and scores in [0, 1] rounded to 1e-4,
// so that the ranking has many ties, and weights in [0.5, 1.5).
func benchData(n int) (y []int, score, weights []float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	y = make([]int, n)
	score = make([]float64, n)
	weights = make([]float64, n)
	for i := range y {
		if rng.Float64() < 0.3 {
			y[i] = 1
		}
		s := 0.3*float64(y[i]) + 0.7*rng.Float64()
		score[i] = float64(int(s*1e4)) / 1e4
		weights[i] = 0.5 + rng.Float64()
	}
	return y, score, weights
}

// BenchmarkROCAUC allocates one sort buffer per call (1 alloc/op).
func BenchmarkROCAUC(b *testing.B) {
	y, s, w := benchData(1_000_000)
	b.Run("rows=1e6", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			metrics.ROCAUC(y, s, nil)
		}
	})
	b.Run("rows=1e6/weighted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			metrics.ROCAUC(y, s, w)
		}
	})
}

// BenchmarkLogLoss allocates nothing.
func BenchmarkLogLoss(b *testing.B) {
	y, s, w := benchData(1_000_000)
	b.Run("rows=1e6", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			metrics.LogLoss(y, s, nil)
		}
	})
	b.Run("rows=1e6/weighted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			metrics.LogLoss(y, s, w)
		}
	})
}
