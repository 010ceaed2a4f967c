package evaluate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
)

// benchInput simulates a binary model on n rows with four columns, without
// fitting one.
func benchInput(b *testing.B, n int) *Input {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	cats := []string{"a", "b", "c", "d", "e"}
	c1, c2 := make([]string, n), make([]string, n)
	x1, x2, y := make([]float64, n), make([]float64, n), make([]float64, n)
	pred := &bundle.Predictions{Rows: n, Outputs: 2, Codes: make([]int, n)}
	base := &bundle.Predictions{Rows: n, Outputs: 2, Codes: make([]int, n)}
	for i := range n {
		c1[i], c2[i] = cats[rng.IntN(5)], cats[rng.IntN(5)]
		x1[i], x2[i] = rng.NormFloat64(), rng.NormFloat64()
		p := 1 / (1 + math.Exp(-2*x1[i]))
		if rng.Float64() < p {
			y[i] = 1
		}
		pred.Values = append(pred.Values, 1-p, p)
		if p >= 0.5 {
			pred.Codes[i] = 1
		}
		base.Values = append(base.Values, 0.5, 0.5)
	}
	f, err := frame.New([]string{"c1", "c2", "x1", "x2"}, []frame.Column{frame.NewCategoricalFromStrings(c1, nil),
		frame.NewCategoricalFromStrings(c2, nil), frame.NewNumeric(x1), frame.NewNumeric(x2)})
	require.NoError(b, err)
	return &Input{Task: model.BinaryClassification, Classes: []string{"0", "1"}, Target: y, Pred: pred, Baseline: base, Rows: f}
}

func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, resamples := range []int{1, 1000} {
			b.Run(fmt.Sprintf("rows=%d/resamples=%d", n, resamples), func(b *testing.B) {
				in := benchInput(b, n)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Evaluate(context.Background(), in, Options{Resamples: resamples, Workers: 1}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
