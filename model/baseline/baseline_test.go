package baseline

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/testutil"
	"mlw.dev/model"
)

// reference is testdata/sklearn_reference.json, written by
// testdata/sklearn_reference.py with scikit-learn 1.2.1.
type reference struct {
	SklearnVersion string `json:"sklearn_version"`
	Scores         map[string]map[string]struct {
		Folds []float64 `json:"folds"`
		Mean  float64   `json:"mean"`
	} `json:"scores"`
	Full map[string]map[string]map[string]json.RawMessage `json:"full"`
}

func loadReference(tb testing.TB) *reference {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sklearn_reference.json"))
	require.NoError(tb, err)
	var r reference
	require.NoError(tb, json.Unmarshal(b, &r))
	require.Equal(tb, "1.2.1", r.SklearnVersion)
	return &r
}

func newEstimator(kind string) model.Estimator {
	switch kind {
	case KindMostFrequent:
		return &MostFrequent{}
	case KindPrior:
		return &Prior{}
	case KindMean:
		return &Mean{}
	case KindMedian:
		return &Median{}
	}
	panic("unknown kind " + kind)
}

// score returns the accuracy (classification) or R² (regression) of pred.
func score(p *model.Problem, pred []float64) float64 {
	n := len(p.Y)
	if p.Task.IsClassification() {
		k, correct := p.Classes, 0
		for i := range n {
			best := 0
			for c := 1; c < k; c++ {
				if pred[i*k+c] > pred[i*k+best] {
					best = c
				}
			}
			if float64(best) == p.Y[i] {
				correct++
			}
		}
		return float64(correct) / float64(n)
	}
	mean := 0.0
	for _, y := range p.Y {
		mean += y
	}
	mean /= float64(n)
	var ssr, sst float64
	for i, y := range p.Y {
		ssr += (y - pred[i]) * (y - pred[i])
		sst += (y - mean) * (y - mean)
	}
	return 1 - ssr/sst
}

// TestParity compares the 5-fold mean score with scikit-learn's Dummy
// estimators on the same folds. The baselines are deterministic, so the
// scores agree to rounding, far within the 1.5-point parity bound.
func TestParity(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	for _, tc := range []struct{ dataset, kind string }{
		{"iris", KindMostFrequent}, {"iris", KindPrior},
		{"wine", KindMostFrequent}, {"wine", KindPrior},
		{"breast_cancer", KindMostFrequent}, {"breast_cancer", KindPrior},
		{"diabetes", KindMean}, {"diabetes", KindMedian},
	} {
		t.Run(tc.dataset+"/"+tc.kind, func(t *testing.T) {
			t.Parallel()
			d := testutil.LoadDataset(t, tc.dataset)
			want := ref.Scores[tc.dataset][tc.kind]
			var sum float64
			for i, f := range testutil.Folds(t, tc.dataset) {
				m := newEstimator(tc.kind)
				require.NoError(t, m.Fit(context.Background(), d.Subset(f.Train)))
				te := d.Subset(f.Test)
				s := score(te, m.PredictTo(nil, te.X))
				require.InDelta(t, want.Folds[i], s, 1e-12, "fold %d", i)
				sum += s
			}
			require.InDelta(t, want.Mean, sum/5, 1e-12)
		})
	}
}

// TestFull compares the fitted prediction on whole datasets, with and
// without sample weights 1 + (i % 3), with scikit-learn's.
func TestFull(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	for _, ds := range []string{"iris", "wine", "breast_cancer", "diabetes"} {
		for kind, byWeight := range ref.Full[ds] {
			for label, raw := range byWeight {
				t.Run(ds+"/"+kind+"/"+label, func(t *testing.T) {
					t.Parallel()
					d := testutil.LoadDataset(t, ds)
					p := d.Problem()
					if label == "weighted" {
						p.Weights = make([]float64, len(p.Y))
						for i := range p.Weights {
							p.Weights[i] = 1 + float64(i%3)
						}
					}
					var want []float64
					if ds == "diabetes" {
						var v float64
						require.NoError(t, json.Unmarshal(raw, &v))
						want = []float64{v}
					} else {
						require.NoError(t, json.Unmarshal(raw, &want))
					}
					m := newEstimator(kind)
					require.NoError(t, m.Fit(context.Background(), p))
					got := m.PredictTo(nil, model.Matrix{Rows: 1, Cols: p.X.Cols, Data: p.X.Row(0)})
					require.InDeltaSlice(t, want, got, 1e-12)
				})
			}
		}
	}
}

func classProblem(y []float64, classes int) *model.Problem {
	task := model.BinaryClassification
	if classes > 2 {
		task = model.MulticlassClassification
	}
	return &model.Problem{
		Task: task, Classes: classes, Features: []model.Feature{{Name: "x"}},
		X: model.Matrix{Rows: len(y), Cols: 1, Data: make([]float64, len(y))}, Y: y,
	}
}

func regressionProblem(y, w []float64) *model.Problem {
	return &model.Problem{
		Task: model.Regression, Features: []model.Feature{{Name: "x"}},
		X: model.Matrix{Rows: len(y), Cols: 1, Data: make([]float64, len(y))}, Y: y, Weights: w,
	}
}

func TestConstantBaselines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		m    model.Estimator
		p    *model.Problem
		want []float64
	}{
		{"most frequent tie goes to the lowest code", &MostFrequent{}, classProblem([]float64{2, 1, 1, 2, 0}, 3), []float64{0, 1, 0}},
		{"most frequent with an absent class", &MostFrequent{}, classProblem([]float64{2, 2, 0}, 3), []float64{0, 0, 1}},
		{"prior", &Prior{}, classProblem([]float64{1, 1, 0, 1}, 2), []float64{0.25, 0.75}},
		{"mean", &Mean{}, regressionProblem([]float64{1, 2, 6}, nil), []float64{3}},
		{"weighted mean", &Mean{}, regressionProblem([]float64{1, 2, 6}, []float64{1, 0, 1}), []float64{3.5}},
		{"median of an even count", &Median{}, regressionProblem([]float64{4, 1, 3, 2}, nil), []float64{2.5}},
		{"median of an odd count", &Median{}, regressionProblem([]float64{5, 1, 3}, nil), []float64{3}},
		{"weighted median", &Median{}, regressionProblem([]float64{1, 2, 3, 4}, []float64{1, 1, 1, 5}), []float64{4}},
		{"weighted median at exactly half", &Median{}, regressionProblem([]float64{1, 2, 3, 4}, []float64{1, 1, 1, 1}), []float64{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Zero(t, tc.m.Outputs())
			require.NoError(t, tc.m.Fit(ctx, tc.p))
			require.Equal(t, len(tc.want), tc.m.Outputs())
			got := tc.m.PredictTo(nil, model.Matrix{Rows: 2, Cols: 1, Data: []float64{math.NaN(), 7}})
			require.Equal(t, append(append([]float64{}, tc.want...), tc.want...), got)
		})
	}
}

func TestTaskErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := regressionProblem([]float64{1, 2}, nil)
	clf := classProblem([]float64{0, 1}, 2)
	require.ErrorContains(t, (&MostFrequent{}).Fit(ctx, reg), "most_frequent needs a classification task")
	require.ErrorContains(t, (&Prior{}).Fit(ctx, reg), "prior needs a classification task")
	require.ErrorContains(t, (&Mean{}).Fit(ctx, clf), "mean needs a regression task")
	require.ErrorContains(t, (&Median{}).Fit(ctx, clf), "median needs a regression task")
	require.ErrorContains(t, (&Mean{}).Fit(ctx, regressionProblem([]float64{1, 2}, []float64{0, 0})), "sum to 0")
	require.ErrorContains(t, (&Prior{}).Fit(ctx, &model.Problem{Task: model.BinaryClassification, Classes: 2}), "no training rows")
	require.ErrorContains(t, (&Mean{}).Fit(ctx, regressionProblem([]float64{1, math.NaN()}, nil)), "target NaN")
	require.Panics(t, func() { (&Mean{}).PredictTo(nil, model.Matrix{Rows: 1, Cols: 1, Data: []float64{0}}) })
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, m := range []model.Estimator{&MostFrequent{}, &Prior{}, &Rule{Expr: "x > 0"}} {
		require.ErrorIs(t, m.Fit(cancelled, clf), context.Canceled)
	}
	for _, m := range []model.Estimator{&Mean{}, &Median{}} {
		require.ErrorIs(t, m.Fit(cancelled, reg), context.Canceled)
	}
}

func TestParams(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{KindMostFrequent, KindPrior, KindMean, KindMedian} {
		m := newEstimator(kind)
		require.Equal(t, kind, m.Kind())
		require.Equal(t, map[string]string{"strategy": kind}, m.Params())
		require.Len(t, m.ParamSpecs(), 1)
		require.NoError(t, m.SetParam("strategy", kind))
		require.ErrorContains(t, m.SetParam("strategy", "uniform"), "fixed by the kind")
		require.ErrorContains(t, m.SetParam("alpha", "1"), `unknown parameter "alpha"`)
	}
}

// TestPredictAllocations is not parallel: testing.AllocsPerRun panics in
// parallel tests.
func TestPredictAllocations(t *testing.T) {
	ctx := context.Background()
	var m Prior
	require.NoError(t, m.Fit(ctx, classProblem([]float64{0, 1, 2, 2}, 3)))
	x := model.NewMatrix(16, 1)
	dst := make([]float64, 16*3)
	require.Zero(t, testing.AllocsPerRun(100, func() { m.PredictTo(dst, x) }))
	r := Rule{Expr: "x > 0.5"}
	p := classProblem([]float64{0, 1}, 2)
	require.NoError(t, r.Fit(ctx, p))
	dst = make([]float64, 16*2)
	require.Zero(t, testing.AllocsPerRun(100, func() { r.PredictTo(dst, x) }))
}
