package linear

import (
	"context"
	"testing"

	"mlw.dev/model"
)

// BenchmarkLogisticFit fits a binary logistic regression with the default
// configuration (L2, C=1, L-BFGS) on synthetic standardised data.
func BenchmarkLogisticFit(b *testing.B) {
	for _, bc := range []struct {
		name       string
		rows, cols int
	}{
		{"rows=2e5/cols=30", 200_000, 30},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := synthetic(bc.rows, bc.cols, 2, 1)
			b.ReportAllocs()
			for b.Loop() {
				var m Logistic
				if err := m.Fit(context.Background(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLogisticEval measures one pass of the loss and gradient.
func BenchmarkLogisticEval(b *testing.B) {
	p := synthetic(200_000, 30, 2, 1)
	pool := newWorkers(0, numBlocks(p.X.Rows))
	defer pool.close()
	o := newLogLoss(p.X, p.Y, nil, 1, true, 1, float64(p.X.Rows), pool)
	theta := make([]float64, o.nParams())
	g := make([]float64, len(theta))
	b.ReportAllocs()
	for b.Loop() {
		o.eval(theta, g)
	}
}

// BenchmarkPredictRow predicts one row at a time, the serving path.
func BenchmarkPredictRow(b *testing.B) {
	for _, bc := range []struct {
		name          string
		cols, classes int
	}{
		{"logistic/cols=30", 30, 2},
		{"multinomial/cols=30/classes=5", 30, 5},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := synthetic(2000, bc.cols, bc.classes, 1)
			var m Logistic
			if err := m.Fit(context.Background(), p); err != nil {
				b.Fatal(err)
			}
			row := model.Matrix{Rows: 1, Cols: bc.cols, Data: p.X.Row(0)}
			dst := make([]float64, bc.classes)
			b.ReportAllocs()
			for b.Loop() {
				m.PredictTo(dst, row)
			}
		})
	}
}
