package mlp

import (
	"context"
	"testing"

	"mlw.dev/model"
)

// BenchmarkPredictRow predicts one row at a time, the serving path.
func BenchmarkPredictRow(b *testing.B) {
	for _, bc := range []struct {
		name    string
		hidden  []int
		classes int
	}{
		{"hidden=100/cols=30/binary", []int{100}, 2},
		{"hidden=64,32/cols=30/classes=5", []int{64, 32}, 5},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := synthetic(500, 30, bc.classes, 1)
			m := Model{Config: Config{HiddenLayerSizes: bc.hidden, MaxIter: 2}}
			if err := m.Fit(context.Background(), p); err != nil {
				b.Fatal(err)
			}
			row := model.Matrix{Rows: 1, Cols: 30, Data: p.X.Row(0)}
			dst := make([]float64, bc.classes)
			b.ReportAllocs()
			for b.Loop() {
				m.PredictTo(dst, row)
			}
		})
	}
}

// BenchmarkFit trains for 20 epochs on 10,000 rows.
func BenchmarkFit(b *testing.B) {
	p := synthetic(10_000, 30, 2, 1)
	b.Run("rows=1e4/cols=30/hidden=100/epochs=20", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := Model{Config: Config{MaxIter: 20}}
			if err := m.Fit(context.Background(), p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
