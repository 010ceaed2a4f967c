package forest_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"mlw.dev/model"
	"mlw.dev/model/forest"
)

func TestProfPredict(t *testing.T) {
	n, cols := 50000, 30
	rng := rand.New(rand.NewPCG(1, 2))
	p := &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: make([]model.Feature, cols), X: model.NewMatrix(n, cols), Y: make([]float64, n)}
	for i := range n {
		s := 0.0
		for j := range cols { v := rng.NormFloat64(); p.X.Data[i*cols+j] = v; if j < 10 { s += v * float64(j%3-1) } }
		if s+rng.NormFloat64() > 0 { p.Y[i] = 1 }
	}
	m := &forest.Model{}
	m.Config.NEstimators = 30
	if err := m.Fit(context.Background(), p); err != nil { t.Fatal(err) }
	dst := make([]float64, n*2)
	t0 := time.Now()
	for range 5 { m.PredictTo(dst, p.X) }
	t.Logf("predict %v per row-tree", time.Since(t0)/time.Duration(5*n*30))
}
