package forest_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
	"mlw.dev/model/forest"
)

// synthetic returns a binary classification problem of n rows and cols
// standard normal features, 15 of them informative through a linear score
// with an interaction, and 5% label noise, in the spirit of scikit-learn's
// make_classification.
func synthetic(n, cols int, seed uint64) *model.Problem {
	rng := rand.New(rand.NewPCG(seed, 11))
	p := &model.Problem{Task: model.BinaryClassification, Classes: 2,
		Features: make([]model.Feature, cols), X: model.NewMatrix(n, cols), Y: make([]float64, n)}
	w := make([]float64, cols)
	for j := range min(15, cols) {
		w[j] = rng.NormFloat64()
	}
	for i := range n {
		row := p.X.Row(i)
		s := 0.0
		for j := range row {
			row[j] = math.Round(rng.NormFloat64()*1e6) / 1e6 // six decimals, like the CSV
			s += w[j] * row[j]
		}
		s += math.Sin(3 * row[0] * row[1])
		if (s > 0) != (rng.Float64() < 0.05) {
			p.Y[i] = 1
		}
	}
	return p
}

// BenchmarkFit grows 10 fully grown trees with scikit-learn's defaults on 2
// workers (bench/forest/run.sh times 100 trees against scikit-learn).
func BenchmarkFit(b *testing.B) {
	p := synthetic(200_000, 30, 1)
	for _, v := range []forest.Variant{forest.RandomForest, forest.ExtraTrees} {
		b.Run("rows=2e5/cols=30/"+v.String()+"/trees=10", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := forest.Model{Variant: v}
				m.Config.NEstimators = 10
				m.Config.NJobs = 2
				require.NoError(b, m.Fit(context.Background(), p))
			}
		})
	}
}

// BenchmarkPredictRow predicts one row with a 100-tree random forest of
// 20,000 rows; it allocates nothing.
func BenchmarkPredictRow(b *testing.B) {
	p := synthetic(20_000, 30, 2)
	var m forest.Model
	require.NoError(b, m.Fit(context.Background(), p))
	dst := make([]float64, m.Outputs())
	b.Run("cols=30/trees=100", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.PredictTo(dst, model.Matrix{Rows: 1, Cols: 30, Data: p.X.Row(i)})
			i = (i + 1) % p.X.Rows
		}
	})
}
