package gbdt

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

// testBundle holds the synthetic problems the tests fit.
type testBundle struct {
	ctx context.Context
}

func setup(tb testing.TB) *testBundle {
	tb.Helper()
	return &testBundle{ctx: context.Background()}
}

// synthClassification returns n rows of cols features: features are uniform
// in [-1, 1) and the label is 1 when a noisy nonlinear score is positive.
func synthClassification(tb testing.TB, n, cols int, seed uint64) *model.Problem {
	tb.Helper()
	r := newRNG(seed, 99)
	x := model.NewMatrix(n, cols)
	y := make([]float64, n)
	for i := range n {
		row := x.Row(i)
		for j := range row {
			row[j] = 2*r.float64() - 1
		}
		s := 0.3 * (r.float64() - 0.5)
		for j := range min(cols, 8) {
			s += row[j] * float64(j%3+1) * (1 - 2*float64(j%2))
		}
		if cols > 1 {
			s += row[0] * row[1] * 2
		}
		if s > 0 {
			y[i] = 1
		}
	}
	return &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: features(cols), X: x, Y: y}
}

func features(n int) []model.Feature {
	fs := make([]model.Feature, n)
	for i := range fs {
		fs[i] = model.Feature{Name: "f" + string(rune('a'+i%26))}
	}
	return fs
}

func accuracy(m *Model, p *model.Problem) float64 {
	return score(p.Task, p.Y, m.PredictTo(nil, p.X), m.Outputs())
}

func TestFindThresholdsMatchesSklearn(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	require.NotEmpty(t, ref.Binning)
	for _, tc := range ref.Binning {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			var vals []float64
			for _, v := range tc.Values {
				if v != nil { // NaN is ignored, as scikit-learn does
					vals = append(vals, *v)
				}
			}
			got := findThresholds(vals, tc.MaxBins, nil)
			require.Len(t, got, len(tc.Thresholds))
			for i, want := range tc.Thresholds {
				require.InEpsilon(t, want, got[i], 1e-12, "threshold %d", i)
			}
		})
	}
}

// TestFindThresholdsInfinite checks that infinite values give no NaN
// threshold (scikit-learn refuses them; mlw bins them at the ends).
func TestFindThresholdsInfinite(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	many := make([]float64, 0, 1000)
	for i := range 1000 {
		switch i % 4 {
		case 0:
			many = append(many, -inf)
		case 1:
			many = append(many, inf)
		default:
			many = append(many, float64(i))
		}
	}
	for _, tc := range []struct {
		name string
		vals []float64
		bins int
		want []float64
	}{
		{"both infinities", []float64{-inf, inf, inf}, 255, []float64{0}},
		{"with finite", []float64{-inf, 1, 3, inf}, 255, []float64{-inf, 2, almostInf}},
	} {
		require.Equal(t, tc.want, findThresholds(slices.Clone(tc.vals), tc.bins, nil), tc.name)
	}
	// Quantiles: a quarter of the values at each infinity.
	got := findThresholds(many, 16, nil)
	require.Len(t, got, 15)
	for i, v := range got {
		require.False(t, math.IsNaN(v), "threshold %d", i)
	}
	require.Equal(t, -inf, got[0])
	require.Equal(t, almostInf, got[14])
}

func TestBinOf(t *testing.T) {
	t.Parallel()
	th := []float64{1, 2, 3}
	for _, tc := range []struct {
		x    float64
		want uint8
	}{
		{0, 0}, {1, 0}, {1.5, 1}, {2, 1}, {3, 2}, {3.5, 3}, {math.Inf(1), 3}, {math.Inf(-1), 0}, {math.NaN(), missingBin},
	} {
		require.Equal(t, tc.want, binOf(th, tc.x), "x=%g", tc.x)
	}
}

func TestMissingValuesAreLearned(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	// y is 1 when x0 < 0.3 or x0 is missing: the best first split sends
	// missing values left with the small values of x0.
	make := func(n int, seed uint64) *model.Problem {
		r := newRNG(seed, 1)
		x := model.NewMatrix(n, 2)
		y := make([]float64, n)
		for i := range n {
			v := r.float64()
			x.Row(i)[1] = r.float64()
			if r.float64() < 0.25 {
				v = math.NaN()
			}
			x.Row(i)[0] = v
			if math.IsNaN(v) || v < 0.3 {
				y[i] = 1
			}
		}
		return &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: features(2), X: x, Y: y}
	}
	var m Model
	m.MaxIter = 20
	require.NoError(t, m.Fit(tb.ctx, make(2000, 1)))
	root := m.fit.nodes[m.fit.roots[0]]
	require.Equal(t, int32(0), root.feature)
	require.True(t, root.missingLeft, "missing values should go left with x0 < 0.3")
	require.InDelta(t, 0.3, root.thr, 0.02)
	require.GreaterOrEqual(t, accuracy(&m, make(2000, 2)), 0.995)
	// A row with only missing values predicts class 1.
	p := m.PredictTo(nil, model.Matrix{Rows: 1, Cols: 2, Data: []float64{math.NaN(), math.NaN()}})
	require.Greater(t, p[1], 0.9)
}

func TestCategoricalSplit(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	// y is 1 when the category (0..9) is 1, 4 or 7; x1 is noise.
	make := func(n int, seed uint64) *model.Problem {
		r := newRNG(seed, 2)
		x := model.NewMatrix(n, 2)
		y := make([]float64, n)
		for i := range n {
			c := r.intn(10)
			x.Row(i)[0] = float64(c)
			x.Row(i)[1] = r.float64()
			if c == 1 || c == 4 || c == 7 {
				y[i] = 1
			}
		}
		fs := features(2)
		fs[0] = model.Feature{Name: "cat", Categorical: true, Categories: 10}
		return &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: fs, X: x, Y: y}
	}
	var m Model
	m.MaxIter = 10
	require.NoError(t, m.Fit(tb.ctx, make(3000, 1)))
	root := m.fit.nodes[m.fit.roots[0]]
	require.Equal(t, int32(0), root.feature)
	require.GreaterOrEqual(t, root.cat, int32(0))
	var left []int
	for c := range 10 {
		if m.fit.bitsets[root.cat].has(c) {
			left = append(left, c)
		}
	}
	if len(left) > 3 { // the complement is as good a partition
		require.Equal(t, []int{0, 2, 3, 5, 6, 8, 9}, left)
	} else {
		require.Equal(t, []int{1, 4, 7}, left)
	}
	require.Equal(t, 1.0, accuracy(&m, make(2000, 2)))
	// Unknown categories go right; they must not panic.
	m.PredictTo(nil, model.Matrix{Rows: 3, Cols: 2, Data: []float64{42, 0, -1, 0, 2.5, 0}})
}

func TestEarlyStoppingKeepsBestIteration(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	p := synthClassification(t, 3000, 10, 1)
	// Flip a third of the labels so that boosting overfits quickly.
	r := newRNG(5, 5)
	for i := range p.Y {
		if r.float64() < 0.33 {
			p.Y[i] = 1 - p.Y[i]
		}
	}
	var m Model
	m.MaxIter, m.LearningRate, m.MaxLeafNodes, m.MinSamplesLeaf = 500, 0.5, 63, 2
	m.EarlyStopping = EarlyStoppingOn
	require.NoError(t, m.Fit(tb.ctx, p))
	curves := m.Curves()
	require.Len(t, curves, 2)
	require.Equal(t, "valid_loss", curves[1].Name)
	valid := curves[1].Values
	require.Less(t, len(valid), 500, "early stopping did not stop")
	require.GreaterOrEqual(t, len(valid), m.NIterNoChange+1)
	require.Len(t, curves[0].Values, len(valid))
	best := slices.Index(valid, slices.Min(valid))
	require.Equal(t, best+1, m.NIter(), "the model keeps the iteration with the lowest validation loss")
	require.Len(t, m.fit.roots, m.NIter())
	// Without early stopping all iterations run.
	var full Model
	full.MaxIter, full.EarlyStopping = 30, EarlyStoppingOff
	require.NoError(t, full.Fit(tb.ctx, p))
	require.Equal(t, 30, full.NIter())
	require.Len(t, full.Curves(), 1)
}

func TestEarlyStoppingAutoAndValid(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	p := synthClassification(t, 1000, 5, 3)
	p.Valid = synthClassification(t, 300, 5, 4)
	p.Valid.Task, p.Valid.Classes, p.Valid.Features = 0, 0, nil // the training data's
	var m Model
	m.MaxIter = 20
	require.NoError(t, m.Fit(tb.ctx, p))
	// auto is off below 10000 rows, but the validation curve is recorded.
	require.Equal(t, 20, m.NIter())
	curves := m.Curves()
	require.Len(t, curves, 2)
	require.Len(t, curves[1].Values, 20)
	require.Less(t, curves[0].Values[19], curves[0].Values[0])
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	p := synthClassification(t, 3000, 12, 7)
	fit := func(seed uint64, jobs int) []byte {
		var m Model
		m.MaxIter, m.Subsample, m.Colsample, m.Seed, m.NJobs = 20, 0.7, 0.6, seed, jobs
		m.EarlyStopping = EarlyStoppingOn
		require.NoError(t, m.Fit(tb.ctx, p))
		m.NJobs = 0 // does not change the model, only its recorded Config
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		return b
	}
	a := fit(1, 1)
	require.Equal(t, a, fit(1, 1))
	require.Equal(t, a, fit(1, 4), "the number of workers changes the model")
	require.NotEqual(t, a, fit(2, 1))
	// Enough rows for the parallel partition and gathering.
	p = synthClassification(t, 40000, 5, 9)
	a = fit(3, 1)
	require.Equal(t, a, fit(3, 3), "the number of workers changes the model")
}

// cancelAfter is a context whose Err turns to Canceled after n calls.
type cancelAfter struct {
	context.Context
	mu sync.Mutex
	n  int
}

func (c *cancelAfter) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

func TestFitCancelled(t *testing.T) {
	t.Parallel()
	p := synthClassification(t, 500, 4, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var m Model
	require.ErrorIs(t, m.Fit(ctx, p), context.Canceled)
	require.Zero(t, m.Outputs(), "a cancelled fit leaves the model unfitted")
	require.ErrorIs(t, m.Fit(&cancelAfter{Context: context.Background(), n: 3}, p), context.Canceled)
	require.Zero(t, m.Outputs())
}

func TestRegressionAndMulticlass(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	n := 2000
	r := newRNG(3, 3)
	x := model.NewMatrix(n, 3)
	yReg := make([]float64, n)
	yCls := make([]float64, n)
	for i := range n {
		row := x.Row(i)
		for j := range row {
			row[j] = r.float64()
		}
		yReg[i] = 3*row[0] + math.Sin(6*row[1]) + 0.05*r.float64()
		yCls[i] = float64(min(int(row[0]*3), 2))
	}
	for _, tc := range []struct {
		name string
		p    *model.Problem
		loss Loss
		min  float64
	}{
		{"squared_error", &model.Problem{Task: model.Regression, Features: features(3), X: x, Y: yReg}, "", 0.97},
		{"absolute_error", &model.Problem{Task: model.Regression, Features: features(3), X: x, Y: yReg}, LossAbsoluteError, 0.95},
		{"multiclass", &model.Problem{Task: model.MulticlassClassification, Classes: 3, Features: features(3), X: x, Y: yCls}, "", 0.98},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m Model
			m.Loss = tc.loss
			require.NoError(t, m.Fit(tb.ctx, tc.p))
			require.Equal(t, tc.p.Outputs(), m.Outputs())
			require.GreaterOrEqual(t, score(tc.p.Task, tc.p.Y, m.PredictTo(nil, tc.p.X), m.Outputs()), tc.min)
			imp := m.FeatureImportances()
			require.InDelta(t, 1, imp[0]+imp[1]+imp[2], 1e-12)
			require.Less(t, imp[2], 0.1, "feature 2 is noise")
			if tc.p.Task.IsClassification() {
				pred := m.PredictTo(nil, tc.p.X)
				for i := range n {
					var s float64
					for _, v := range pred[i*3 : i*3+3] {
						s += v
					}
					require.InDelta(t, 1, s, 1e-12)
				}
			}
		})
	}
}

func TestWeights(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	p := synthClassification(t, 1000, 4, 11)
	// Weight 2 is the same as repeating the row.
	p.Weights = make([]float64, p.X.Rows)
	for i := range p.Weights {
		p.Weights[i] = 1 + float64(i%2)
	}
	var m Model
	m.MaxIter, m.MinSamplesLeaf = 10, 1
	require.NoError(t, m.Fit(tb.ctx, p))
	require.GreaterOrEqual(t, accuracy(&m, p), 0.9)
}

// TestPredictToAllocatesNothing is the one test that does not call
// t.Parallel: testing.AllocsPerRun panics in parallel tests, since other
// tests' allocations would be counted.
func TestPredictToAllocatesNothing(t *testing.T) {
	tb := setup(t)
	bin := synthClassification(t, 1000, 6, 1)
	multi := synthClassification(t, 1000, 6, 2)
	multi.Task, multi.Classes = model.MulticlassClassification, 3
	for i := range multi.Y {
		multi.Y[i] = float64(i % 3)
	}
	reg := synthClassification(t, 1000, 6, 3)
	reg.Task, reg.Classes = model.Regression, 0
	for _, p := range []*model.Problem{bin, multi, reg} {
		var m Model
		m.MaxIter = 10
		require.NoError(t, m.Fit(tb.ctx, p))
		dst := make([]float64, p.X.Rows*m.Outputs())
		row := model.Matrix{Rows: 1, Cols: p.X.Cols, Data: p.X.Row(0)}
		require.Zero(t, testing.AllocsPerRun(20, func() { m.PredictTo(dst, p.X) }))
		require.Zero(t, testing.AllocsPerRun(100, func() { m.PredictTo(dst, row) }))
	}
}

func TestConcurrentPredict(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	p := synthClassification(t, 2000, 8, 5)
	var m Model
	m.MaxIter = 20
	require.NoError(t, m.Fit(tb.ctx, p))
	want := m.PredictTo(nil, p.X)
	var wg sync.WaitGroup
	got := make([][]float64, max(4, runtime.GOMAXPROCS(0)))
	for g := range got {
		wg.Go(func() {
			for range 5 {
				got[g] = m.PredictTo(got[g], p.X)
			}
		})
	}
	wg.Wait()
	for _, g := range got {
		require.Equal(t, want, g)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	for _, p := range []*model.Problem{synthClassification(t, 1000, 5, 1), categoricalProblem(t)} {
		var m Model
		m.MaxIter, m.MaxDepth, m.Seed = 15, 4, 9
		p.Valid = synthClassification(t, 200, p.X.Cols, 2)
		p.Valid.Features = p.Features
		require.NoError(t, m.Fit(tb.ctx, p))
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		var back Model
		require.NoError(t, back.UnmarshalBinary(b))
		require.Equal(t, m.Config, back.Config)
		require.Equal(t, m.PredictTo(nil, p.X), back.PredictTo(nil, p.X))
		require.Equal(t, m.Curves(), back.Curves())
		require.Equal(t, m.FeatureImportances(), back.FeatureImportances())
		b2, err := back.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, b2)
		for cut := 0; cut < len(b); cut += 1 + cut/64 { // every byte of the header, then sparser
			require.Error(t, back.UnmarshalBinary(b[:cut]), "truncated at %d", cut)
		}
		require.Error(t, back.UnmarshalBinary(append(b, 0)))
	}
	// An unfitted model round-trips its Config.
	var u Model
	u.MaxIter = 7
	b, err := u.MarshalBinary()
	require.NoError(t, err)
	var back Model
	require.NoError(t, back.UnmarshalBinary(b))
	require.Equal(t, u.Config, back.Config)
	require.Zero(t, back.Outputs())
}

func categoricalProblem(tb testing.TB) *model.Problem {
	tb.Helper()
	p := synthClassification(tb, 1000, 5, 4)
	p.Features[2] = model.Feature{Name: "cat", Categorical: true, Categories: 6}
	for i := range p.X.Rows {
		v := float64(i % 6)
		if i%17 == 0 {
			v = math.NaN()
		}
		p.X.Row(i)[2] = v
		if i%6 == 2 {
			p.Y[i] = 1
		}
	}
	return p
}

func FuzzUnmarshal(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzz seeds skipped in -short mode")
	}
	for _, p := range []*model.Problem{synthClassification(f, 300, 3, 1), categoricalProblem(f), missingProblem(f, 300, 3, 2)} {
		var m Model
		m.MaxIter, m.MaxLeafNodes = 3, 4
		require.NoError(f, m.Fit(context.Background(), p))
		b, err := m.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := slices.Clone(data)
		var m Model
		if err := m.UnmarshalBinary(data); err != nil {
			require.Equal(t, in, data, "UnmarshalBinary changed its input")
			return
		}
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, b, "a decoded model encodes to other bytes")
		if m.Outputs() > 0 {
			// One block of lanes rows and one row alone, with missing,
			// infinite and extreme values: the fast walk (when it serves the
			// model) and the general walk agree to the bit.
			x := model.NewMatrix(lanes+1, m.fit.nFeatures)
			special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -0.5, 1e300, -math.MaxFloat64, math.MaxFloat64, 3}
			for i := range x.Data {
				x.Data[i] = special[i%len(special)]
			}
			bits := func(v []float64) []uint64 {
				b := make([]uint64, len(v))
				for i, f := range v {
					b[i] = math.Float64bits(f)
				}
				return b
			}
			require.Equal(t, bits(generalWalkModel(&m).PredictTo(nil, x)), bits(m.PredictTo(nil, x)))
		}
	})
}

func TestParams(t *testing.T) {
	t.Parallel()
	var m Model
	specs := m.ParamSpecs()
	params := m.Params()
	require.Len(t, params, len(specs))
	for _, s := range specs {
		require.Equal(t, s.Default, params[s.Name], s.Name)
		require.NotEmpty(t, s.Doc)
		require.NoError(t, m.SetParam(s.Name, s.Default), s.Name)
	}
	require.Equal(t, params, m.Params())
	for _, tc := range []struct{ name, value, want string }{
		{"max_iter", "50", "50"},
		{"learning_rate", "0.05", "0.05"},
		{"max_depth", "3", "3"},
		{"max_depth", "None", "none"},
		{"early_stopping", "false", "false"},
		{"loss", "absolute_error", "absolute_error"},
		{"random_state", "42", "42"},
		{"tol", "0", "5e-324"},
	} {
		require.NoError(t, m.SetParam(tc.name, tc.value))
		require.Equal(t, tc.want, m.Params()[tc.name])
	}
	require.Equal(t, 42, int(m.Seed))
	for _, tc := range []struct{ name, value string }{
		{"max_iter", "0"}, {"learning_rate", "0"}, {"learning_rate", "x"}, {"max_bins", "256"},
		{"max_leaf_nodes", "1"}, {"subsample", "1.5"}, {"validation_fraction", "1"},
		{"early_stopping", "maybe"}, {"loss", "hinge"}, {"random_state", "-1"}, {"n_jobs", "-1"},
		{"nope", "1"},
	} {
		before := m.Config
		require.Error(t, m.SetParam(tc.name, tc.value), "%s=%s", tc.name, tc.value)
		require.Equal(t, before, m.Config)
	}
	require.Equal(t, "gbdt", m.Kind())
}

func TestFitErrors(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	good := func() *model.Problem { return synthClassification(t, 200, 3, 1) }
	for _, tc := range []struct {
		name   string
		mutate func(m *Model, p *model.Problem)
	}{
		{"bad config", func(m *Model, p *model.Problem) { m.MaxBins = 300 }},
		{"squared error on classification", func(m *Model, p *model.Problem) { m.Loss = LossSquaredError }},
		{"log loss on regression", func(m *Model, p *model.Problem) { p.Task, p.Classes, m.Loss = model.Regression, 0, LossLogLoss }},
		{"bad category code", func(m *Model, p *model.Problem) {
			p.Features[0] = model.Feature{Name: "c", Categorical: true, Categories: 3}
		}},
		{"too many categories", func(m *Model, p *model.Problem) {
			p.Features[0] = model.Feature{Name: "c", Categorical: true, Categories: 300}
			for i := range p.X.Rows {
				p.X.Row(i)[0] = float64(i % 3)
			}
		}},
		{"negative weight", func(m *Model, p *model.Problem) {
			p.Weights = make([]float64, p.X.Rows)
			p.Weights[3] = -1
		}},
		{"zero weights", func(m *Model, p *model.Problem) { p.Weights = make([]float64, p.X.Rows) }},
		{"infinite target", func(m *Model, p *model.Problem) {
			p.Task, p.Classes = model.Regression, 0
			p.Y[0] = math.Inf(1)
		}},
		{"validation shape", func(m *Model, p *model.Problem) { p.Valid = &model.Problem{Task: p.Task, Classes: 2} }},
		{"validation task", func(m *Model, p *model.Problem) {
			v := good()
			v.Task, v.Classes = model.Regression, 0
			p.Valid = v
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m Model
			m.MaxIter = 2
			p := good()
			tc.mutate(&m, p)
			require.Error(t, m.Fit(tb.ctx, p))
			require.Zero(t, m.Outputs())
		})
	}
}

func TestPredictPanicsOnMisuse(t *testing.T) {
	t.Parallel()
	var m Model
	require.Panics(t, func() { m.PredictTo(nil, model.NewMatrix(1, 3)) })
	require.NoError(t, m.Fit(context.Background(), synthClassification(t, 100, 3, 1)))
	require.Panics(t, func() { m.PredictTo(nil, model.NewMatrix(1, 4)) })
}

func TestSortFloats(t *testing.T) {
	t.Parallel()
	r := newRNG(1, 1)
	for _, n := range []int{0, 1, 10, 511, 512, 5000} {
		v := make([]float64, n)
		for i := range v {
			switch i % 7 {
			case 0:
				v[i] = float64(r.intn(5)) // ties
			case 1:
				v[i] = -r.float64() * 1e10
			case 2:
				v[i] = math.Inf(1 - 2*(i%2))
			case 3:
				v[i] = math.Copysign(0, -1)
			case 4:
				v[i] = 1e3 + r.float64()*1e-9 // long runs of the same top 32 bits
			default:
				v[i] = r.float64()*2 - 1
			}
		}
		want := slices.Clone(v)
		slices.Sort(want)
		sortFloats(v, nil)
		for i := range v {
			require.True(t, v[i] == want[i], "n=%d i=%d: %g != %g", n, i, v[i], want[i])
		}
	}
}

func TestBinningSubsample(t *testing.T) {
	t.Parallel()
	p := synthClassification(t, 3000, 3, 1)
	p.X.Row(5)[1] = math.NaN()
	w := newWorkers(2)
	defer w.close()
	// Thresholds from 500 of the 3000 rows (scikit-learn subsamples 2e5).
	tr := newTrainer(w, rowSet{X: p.X}, make([]int, 3), Config{}.WithDefaults(), newRNG(1, 1), 500)
	for f := range 3 {
		th := tr.thresholds[f]
		require.Len(t, th, 254, "500 distinct values give max_bins-1 quantiles")
		require.True(t, slices.IsSorted(th))
		require.Equal(t, len(th)+1, tr.nb[f])
		for i := range p.X.Rows {
			require.Equal(t, binOf(th, p.X.At(i, f)), tr.bins[f*tr.n+i])
		}
	}
	require.Equal(t, []bool{false, true, false}, tr.hasMissing)
	require.Equal(t, uint8(missingBin), tr.bins[1*tr.n+5])
}

func TestFitDoesNotMutateInputs(t *testing.T) {
	t.Parallel()
	p := categoricalProblem(t)
	p.Weights = make([]float64, p.X.Rows)
	for i := range p.Weights {
		p.Weights[i] = 1 + float64(i%3)
	}
	p.X.Row(3)[0] = math.NaN()
	x, y, w := slices.Clone(p.X.Data), slices.Clone(p.Y), slices.Clone(p.Weights)
	var m Model
	m.MaxIter, m.Subsample, m.EarlyStopping = 5, 0.5, EarlyStoppingOn
	require.NoError(t, m.Fit(context.Background(), p))
	require.Equal(t, len(x), len(p.X.Data))
	for i := range x {
		require.True(t, x[i] == p.X.Data[i] || math.IsNaN(x[i]) && math.IsNaN(p.X.Data[i]))
	}
	require.Equal(t, y, p.Y)
	require.Equal(t, w, p.Weights)
}

func TestPredictDoesNotDependOnBatch(t *testing.T) {
	t.Parallel()
	for _, p := range []*model.Problem{synthClassification(t, 500, 6, 8), categoricalProblem(t)} {
		var m Model
		m.MaxIter = 30
		require.NoError(t, m.Fit(context.Background(), p))
		all := m.PredictTo(nil, p.X)
		out := m.Outputs()
		for i := range p.X.Rows {
			one := m.PredictTo(nil, model.Matrix{Rows: 1, Cols: p.X.Cols, Data: p.X.Row(i)})
			require.Equal(t, all[i*out:(i+1)*out], one, "row %d", i)
		}
	}
}

func TestBinnerMatchesBinOf(t *testing.T) {
	t.Parallel()
	r := newRNG(4, 4)
	vals := make([]float64, 3000)
	for i := range vals {
		switch i % 5 {
		case 0:
			vals[i] = float64(r.intn(7)) - 3
		case 1:
			vals[i] = (r.float64() - 0.5) * 1e-3
		case 2:
			vals[i] = math.Copysign(0, -1)
		default:
			vals[i] = (r.float64() - 0.5) * 100
		}
	}
	for _, maxBins := range []int{2, 10, 255} {
		th := findThresholds(slices.Clone(vals), maxBins, nil)
		b := newBinner(th, make([]uint8, lutSize))
		probe := append(slices.Clone(vals), th...)
		probe = append(probe, math.Inf(1), math.Inf(-1), math.NaN(), 0, 1e300, -1e300, math.MaxFloat64)
		for _, x := range probe {
			require.Equal(t, binOf(th, x), b.bin(x), "x=%g maxBins=%d", x, maxBins)
		}
	}
}
