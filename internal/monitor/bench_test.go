package monitor

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/model/bundle"
)

// benchTraffic returns n single-row requests of s over one hour, as the
// server logs them (numbers in shortest round-trip form), and the bundle
// whose reference (refRows training rows) they are compared with.
func benchTraffic(b *testing.B, s spec, n, refRows int) Input {
	b.Helper()
	bu := testBundle(b, s, refRows, 1)
	rng := rand.New(rand.NewPCG(2, 2))
	preds := make([]mlw.Prediction, n)
	ptrs := make([]*mlw.Prediction, n)
	var buf []byte
	arena := make([]byte, 0, n*s.numeric*20)
	for i := range preds {
		buf = append(buf[:0], '[')
		for j := range s.numeric {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, rng.NormFloat64()+0.01*float64(j), 'g', -1, 64)
		}
		buf = append(buf, ']')
		start := len(arena)
		arena = append(arena, buf...)
		p := rng.Float64()
		preds[i] = mlw.Prediction{RequestID: "r-" + strconv.Itoa(i), Endpoint: "bench", Model: "m", Version: 1, Variant: "main",
			At: t0.Add(time.Duration(i) * time.Hour / time.Duration(n)), Latency: time.Duration(1+rng.IntN(20)) * time.Millisecond,
			Inputs: arena[start:len(arena):len(arena)], Output: "no", Score: p}
		ptrs[i] = &preds[i]
	}
	return Input{Endpoint: "bench", From: t0, To: t0.Add(time.Hour), Predictions: ptrs, Models: map[string]*bundle.Bundle{"m@1": bu}}
}

// BenchmarkAnalyze1M analyses one hour of 1e6 single-row requests with 30
// numeric features: drift over the window and per bucket (24 buckets),
// data quality, latency. The reference has 5000 training rows (auto:
// normalised Wasserstein) or 1000 (auto: KS). Run with -benchtime=3x:
// building the records takes a few seconds.
func BenchmarkAnalyze1M(b *testing.B) {
	for _, refRows := range []int{5000, 1000} {
		b.Run(fmt.Sprintf("rows=1e6/features=30/reference=%d", refRows), func(b *testing.B) {
			in := benchTraffic(b, spec{numeric: 30}, 1_000_000, refRows)
			b.ReportAllocs()
			cpu0 := processCPUSeconds()
			for b.Loop() {
				r, err := Analyze(in)
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Drift) != 30 || r.Rows != 1_000_000 {
					b.Fatalf("drift of %d features over %d rows", len(r.Drift), r.Rows)
				}
			}
			b.ReportMetric((processCPUSeconds()-cpu0)/float64(b.N), "cpu-s/op")
		})
	}
}
