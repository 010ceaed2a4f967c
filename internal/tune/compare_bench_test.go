//go:build bench

package tune_test

// The comparison of the samplers on the synthetic set (30 seeds) and on
// real datasets with cross-validated scores (10 seeds): slow, so behind the
// bench build tag. bench/tune/run.sh runs it and prints the table:
//
//	go test -tags bench -run TestCompareSamplers -v -timeout 60m ./internal/tune/

import (
	"context"
	"fmt"
	"math"
	"testing"

	"mlw.dev/internal/testutil"
	"mlw.dev/internal/tune"
	"mlw.dev/metrics"
	"mlw.dev/model"
	"mlw.dev/model/gbdt"
	"mlw.dev/model/linear"
)

func TestCompareSamplers(t *testing.T) {
	var cs []*comparison
	for _, s := range syntheticSet() {
		cs = append(cs, compare(t.Context(), t, syntheticProblem(s), 30, 40, 0.05, comparedSamplers))
		t.Log("\n" + table(cs[len(cs)-1:], comparedSamplers))
	}
	for _, c := range []struct{ dataset, kind string }{
		{"breast_cancer", "logistic"},
		{"diabetes", "gbdt"},
	} {
		d := testutil.LoadDataset(t, c.dataset)
		space, err := tune.DefaultSpace(c.kind, d.Task)
		if err != nil {
			t.Fatal(err)
		}
		p := problem{
			name:  fmt.Sprintf("%s/%s CV %s", c.dataset, c.kind, map[bool]string{true: "accuracy", false: "R²"}[d.Task.IsClassification()]),
			space: space, dir: tune.Maximize, f: cvObjective(d, testutil.Folds(t, c.dataset), c.kind),
		}
		cs = append(cs, compare(t.Context(), t, p, 10, 40, 0.05, comparedSamplers))
		t.Log("\n" + table(cs[len(cs)-1:], comparedSamplers))
	}
	t.Log("\n" + table(cs, comparedSamplers))
}

// cvObjective returns the cross-validated score of an estimator kind on a
// dataset's reference folds (testutil.Folds): mean accuracy for
// classification, mean R² for regression, to maximise. Features are
// standardised with each fold's training rows for the linear models.
func cvObjective(d *testutil.Dataset, folds []testutil.Fold, kind string) func(ctx context.Context, p tune.Params) (float64, error) {
	return func(ctx context.Context, p tune.Params) (float64, error) {
		sum := 0.0
		for _, f := range folds {
			est, err := newEstimator(kind)
			if err != nil {
				return 0, err
			}
			if err := p.Apply(est); err != nil {
				return 0, err
			}
			train, test := d.Subset(f.Train), d.Subset(f.Test)
			if kind != "gbdt" {
				standardize(train.X, test.X)
			}
			if err := est.Fit(ctx, train); err != nil {
				return 0, err
			}
			pred := est.PredictTo(nil, test.X)
			var score float64
			if d.Task.IsClassification() {
				yt, yp := make([]int, len(test.Y)), make([]int, len(test.Y))
				c := est.Outputs()
				for i := range test.Y {
					yt[i] = int(test.Y[i])
					best := 0
					for j := 1; j < c; j++ {
						if pred[i*c+j] > pred[i*c+best] {
							best = j
						}
					}
					yp[i] = best
				}
				score = metrics.Accuracy(yt, yp, nil)
			} else {
				score = metrics.R2(test.Y, pred, nil)
			}
			sum += score
		}
		return sum / float64(len(folds)), nil
	}
}

func newEstimator(kind string) (model.Estimator, error) {
	switch kind {
	case "gbdt":
		m := &gbdt.Model{}
		return m, m.SetParam("n_jobs", "1")
	case "logistic":
		m := &linear.Logistic{}
		return m, m.SetParam("n_jobs", "1")
	case "lasso":
		return &linear.Lasso{}, nil
	case "linear":
		return &linear.Linear{}, nil
	}
	return nil, fmt.Errorf("no estimator %q", kind)
}

// standardize scales train's columns to mean 0 and variance 1 and applies
// the same transformation to test, in place.
func standardize(train, test model.Matrix) {
	for j := range train.Cols {
		mean, sq := 0.0, 0.0
		for i := range train.Rows {
			mean += train.At(i, j)
		}
		mean /= float64(train.Rows)
		for i := range train.Rows {
			d := train.At(i, j) - mean
			sq += d * d
		}
		sd := math.Sqrt(sq / float64(train.Rows))
		if sd == 0 {
			sd = 1
		}
		for _, m := range []model.Matrix{train, test} {
			for i := range m.Rows {
				m.Data[i*m.Cols+j] = (m.Data[i*m.Cols+j] - mean) / sd
			}
		}
	}
}
