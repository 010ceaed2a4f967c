package gbdt

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

func BenchmarkFit(b *testing.B) {
	for _, size := range []struct {
		name       string
		rows, cols int
	}{
		{"rows=2e4/cols=30", 20_000, 30},
		{"rows=2e5/cols=30", 200_000, 30},
	} {
		b.Run(size.name, func(b *testing.B) {
			p := synthClassification(b, size.rows, size.cols, 1)
			b.ReportAllocs()
			for b.Loop() {
				var m Model
				m.EarlyStopping = EarlyStoppingOff
				require.NoError(b, m.Fit(context.Background(), p))
			}
		})
	}
}

// fittedBench returns a default 100-iteration model fitted on 2e4 × 30 rows
// and the rows.
func fittedBench(b *testing.B) (*Model, *model.Problem) {
	b.Helper()
	p := synthClassification(b, 20_000, 30, 1)
	var m Model
	m.EarlyStopping = EarlyStoppingOff
	require.NoError(b, m.Fit(context.Background(), p))
	return &m, p
}

func BenchmarkPredictRow(b *testing.B) {
	m, p := fittedBench(b)
	dst := make([]float64, 2)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.PredictTo(dst, model.Matrix{Rows: 1, Cols: p.X.Cols, Data: p.X.Row(i % p.X.Rows)})
		i++
	}
}

func BenchmarkPredictBatch(b *testing.B) {
	m, p := fittedBench(b)
	for _, rows := range []int{1000, 20000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			x := model.Matrix{Rows: rows, Cols: p.X.Cols, Data: p.X.Data[:rows*p.X.Cols]}
			dst := make([]float64, 2*rows)
			b.ReportAllocs()
			for b.Loop() {
				m.PredictTo(dst, x)
			}
		})
	}
}
