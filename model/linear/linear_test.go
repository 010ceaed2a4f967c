package linear

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

// synthetic returns a standardised-looking problem of n rows and d features:
// Gaussian features, and labels from a noisy linear rule (classes > 0) or a
// noisy linear target (classes == 0).
func synthetic(n, d, classes int, seed uint64) *model.Problem {
	r := rand.New(rand.NewPCG(seed, 7))
	x := model.NewMatrix(n, d)
	for i := range x.Data {
		x.Data[i] = r.NormFloat64()
	}
	beta := make([]float64, d*max(classes, 1))
	for i := range beta {
		beta[i] = r.NormFloat64()
	}
	feats := make([]model.Feature, d)
	for j := range feats {
		feats[j] = model.Feature{Name: "f" + string(rune('a'+j%26))}
	}
	p := &model.Problem{Features: feats, X: x, Y: make([]float64, n), Classes: classes}
	switch {
	case classes == 0:
		p.Task = model.Regression
	case classes == 2:
		p.Task = model.BinaryClassification
	default:
		p.Task = model.MulticlassClassification
	}
	for i := range n {
		row := x.Row(i)
		switch classes {
		case 0:
			p.Y[i] = dot(beta[:d], row) + r.NormFloat64()
		case 2:
			if dot(beta[:d], row)+r.NormFloat64() > 0 {
				p.Y[i] = 1
			}
		default:
			best, bestV := 0, math.Inf(-1)
			for c := range classes {
				if v := dot(beta[c*d:(c+1)*d], row) + r.NormFloat64(); v > bestV {
					best, bestV = c, v
				}
			}
			p.Y[i] = float64(best)
		}
	}
	return p
}

func TestFitErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clf := synthetic(50, 3, 2, 1)
	reg := synthetic(50, 3, 0, 1)
	withNaN := synthetic(50, 3, 2, 1)
	withNaN.X.Data[7] = math.NaN()
	oneClass := synthetic(50, 3, 2, 1)
	clear(oneClass.Y)
	negWeight := synthetic(50, 3, 0, 1)
	negWeight.Weights = make([]float64, 50)
	negWeight.Weights[3] = -1
	for _, tc := range []struct {
		name string
		m    model.Estimator
		p    *model.Problem
		want string
	}{
		{"logistic on regression", &Logistic{}, reg, "needs a classification task"},
		{"linear on classification", &Linear{}, clf, "needs a regression task"},
		{"lasso on classification", &Lasso{}, clf, "needs a regression task"},
		{"NaN feature", &Logistic{}, withNaN, `row 2, feature "fb" is missing (NaN): linear models need imputed`},
		{"single class", &Logistic{}, oneClass, "single class"},
		{"negative weight", &Linear{}, negWeight, "row 3: weight -1"},
		{"bad penalty", &Logistic{LogisticConfig: LogisticConfig{Penalty: "l3"}}, clf, `penalty is "l3"`},
		{"bad C", &Logistic{LogisticConfig: LogisticConfig{C: -1}}, clf, "C is -1"},
		{"bad alpha", &Linear{LinearConfig: LinearConfig{Alpha: -1}}, reg, "alpha is -1"},
		{"bad l1_ratio", &ElasticNet{ElasticNetConfig: ElasticNetConfig{L1Ratio: 2}}, reg, "l1_ratio is 2"},
		{"invalid problem", &Lasso{}, &model.Problem{Task: model.Regression}, "no training rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorContains(t, tc.m.Fit(ctx, tc.p), tc.want)
			require.Zero(t, tc.m.Outputs(), "a failed fit leaves the model unfitted")
		})
	}
}

func TestFitCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := synthetic(200, 5, 3, 2)
	r := synthetic(200, 5, 0, 2)
	for _, tc := range []struct {
		m model.Estimator
		p *model.Problem
	}{{&Logistic{}, p}, {&Linear{}, r}, {&Lasso{}, r}, {&ElasticNet{}, r}} {
		err := tc.m.Fit(ctx, tc.p)
		require.ErrorIs(t, err, context.Canceled, tc.m.Kind())
		require.Zero(t, tc.m.Outputs())
	}
}

// TestDeterministic fits the same data twice, with one goroutine and with
// four, and requires identical bytes: the parallel sums are added in an
// order fixed by the data's shape.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		make func(jobs int) model.Estimator
		p    *model.Problem
	}{
		{"binary", func(j int) model.Estimator { return &Logistic{LogisticConfig: LogisticConfig{NJobs: j}} }, synthetic(5000, 8, 2, 3)},
		{"multinomial l1", func(j int) model.Estimator {
			return &Logistic{LogisticConfig: LogisticConfig{NJobs: j, Penalty: PenaltyL1, C: 0.05}}
		}, synthetic(3000, 6, 4, 4)},
		{"ridge", func(j int) model.Estimator { return &Linear{LinearConfig: LinearConfig{NJobs: j, Alpha: 2}} }, synthetic(5000, 8, 0, 5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			one, four, again := tc.make(1), tc.make(4), tc.make(1)
			for _, m := range []model.Estimator{one, four, again} {
				require.NoError(t, m.Fit(ctx, tc.p))
			}
			require.Equal(t, one.PredictTo(nil, tc.p.X), four.PredictTo(nil, tc.p.X), "1 and 4 goroutines")
			b1, err := one.MarshalBinary()
			require.NoError(t, err)
			b2, err := again.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, b1, b2)
		})
	}
}

func TestMultinomialRecoversClasses(t *testing.T) {
	t.Parallel()
	p := synthetic(3000, 5, 4, 9)
	var m Logistic
	require.NoError(t, m.Fit(context.Background(), p))
	require.True(t, m.Converged())
	require.Len(t, m.Coef(), 4*5)
	require.Len(t, m.Intercept(), 4)
	pred := m.PredictTo(nil, p.X)
	for i := range p.X.Rows {
		s := 0.0
		for _, v := range pred[i*4 : i*4+4] {
			s += v
		}
		require.InDelta(t, 1, s, 1e-12)
	}
	require.Greater(t, score(p, pred), 0.6, "chance is 0.25")
	imp := m.FeatureImportances()
	s := 0.0
	for _, v := range imp {
		s += v
	}
	require.InDelta(t, 1, s, 1e-12)
}

// TestMinimumNorm checks that ordinary least squares on duplicated columns
// splits the coefficient evenly, as scikit-learn's least-squares solver
// (the minimum-norm solution), while ridge stays exact.
func TestMinimumNorm(t *testing.T) {
	t.Parallel()
	n := 100
	x := model.NewMatrix(n, 3)
	y := make([]float64, n)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range n {
		a, b := r.NormFloat64(), r.NormFloat64()
		copy(x.Row(i), []float64{a, a, b})
		y[i] = 4*a - b + 3
	}
	p := &model.Problem{Task: model.Regression, Features: make([]model.Feature, 3), X: x, Y: y}
	var m Linear
	require.NoError(t, m.Fit(context.Background(), p))
	requireClose(t, []float64{2, 2, -1}, m.Coef(), 1e-9, 0, "coef")
	require.InDelta(t, 3, m.Intercept(), 1e-9)

	m = Linear{LinearConfig: LinearConfig{NoIntercept: true}}
	require.NoError(t, m.Fit(context.Background(), p))
	require.Zero(t, m.Intercept())
}

func TestWeights(t *testing.T) {
	t.Parallel()
	// Integer weights equal repeated rows.
	p := synthetic(300, 4, 2, 11)
	rep := &model.Problem{Task: p.Task, Classes: 2, Features: p.Features, X: model.Matrix{Cols: 4}}
	p.Weights = make([]float64, 300)
	for i := range p.Weights {
		p.Weights[i] = float64(1 + i%3)
		for range 1 + i%3 {
			rep.X.Data = append(rep.X.Data, p.X.Row(i)...)
			rep.X.Rows++
			rep.Y = append(rep.Y, p.Y[i])
		}
	}
	for _, mk := range []func() model.Estimator{
		func() model.Estimator { return &Logistic{LogisticConfig: LogisticConfig{Tol: 1e-10}} },
		func() model.Estimator {
			return &Logistic{LogisticConfig: LogisticConfig{Tol: 1e-10, Penalty: PenaltyL1}}
		},
	} {
		a, b := mk(), mk()
		require.NoError(t, a.Fit(context.Background(), p))
		require.NoError(t, b.Fit(context.Background(), rep))
		requireClose(t, b.PredictTo(nil, p.X), a.PredictTo(nil, p.X), 1e-6, 0, "weighted vs repeated")
	}
	r := synthetic(300, 4, 0, 12)
	rrep := &model.Problem{Task: model.Regression, Features: r.Features, X: model.Matrix{Cols: 4}}
	r.Weights = make([]float64, 300)
	for i := range r.Weights {
		r.Weights[i] = float64(1 + i%3)
		for range 1 + i%3 {
			rrep.X.Data = append(rrep.X.Data, r.X.Row(i)...)
			rrep.X.Rows++
			rrep.Y = append(rrep.Y, r.Y[i])
		}
	}
	for _, mk := range []func() model.Estimator{
		func() model.Estimator { return &Linear{LinearConfig: LinearConfig{Alpha: 3}} },
		func() model.Estimator { return &Lasso{LassoConfig: LassoConfig{Alpha: 0.1, Tol: 1e-12}} },
	} {
		a, b := mk(), mk()
		require.NoError(t, a.Fit(context.Background(), r))
		require.NoError(t, b.Fit(context.Background(), rrep))
		requireClose(t, b.PredictTo(nil, r.X), a.PredictTo(nil, r.X), 1e-8, 1e-8, "weighted vs repeated")
	}
}

func TestParams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		m        model.Estimator
		defaults map[string]string
		set      map[string]string
		bad      map[string]string // name -> value that must fail
	}{
		{&Logistic{}, map[string]string{"penalty": "l2", "C": "1", "l1_ratio": "0.5", "max_iter": "1000", "tol": "0.0001", "fit_intercept": "true", "class_weight": "none", "n_jobs": "0"},
			map[string]string{"penalty": "l1", "C": "0.5", "max_iter": "50", "tol": "1e-06", "fit_intercept": "false", "class_weight": "balanced"},
			map[string]string{"penalty": "l3", "C": "0", "max_iter": "0", "class_weight": "auto", "fit_intercept": "maybe", "gamma": "1"}},
		{&Linear{}, map[string]string{"alpha": "0", "fit_intercept": "true", "n_jobs": "0"},
			map[string]string{"alpha": "2.5", "fit_intercept": "false"},
			map[string]string{"alpha": "-1", "C": "1"}},
		{&Lasso{}, map[string]string{"alpha": "1", "max_iter": "1000", "tol": "0.0001", "fit_intercept": "true"},
			map[string]string{"alpha": "0.1", "max_iter": "5000"},
			map[string]string{"alpha": "0", "l1_ratio": "0.5"}},
		{&ElasticNet{}, map[string]string{"alpha": "1", "l1_ratio": "0.5", "max_iter": "1000", "tol": "0.0001", "fit_intercept": "true"},
			map[string]string{"l1_ratio": "0.9"},
			map[string]string{"l1_ratio": "1.5"}},
	} {
		t.Run(tc.m.Kind(), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.defaults, tc.m.Params())
			require.Len(t, tc.m.ParamSpecs(), len(tc.defaults))
			for _, s := range tc.m.ParamSpecs() {
				require.Equal(t, tc.defaults[s.Name], s.Default, s.Name)
				require.NotEmpty(t, s.Doc)
			}
			for k, v := range tc.set {
				require.NoError(t, tc.m.SetParam(k, v))
				require.Equal(t, v, tc.m.Params()[k], k)
			}
			before := tc.m.Params()
			for k, v := range tc.bad {
				err := tc.m.SetParam(k, v)
				require.Error(t, err, "%s=%s", k, v)
				require.Contains(t, err.Error(), k)
			}
			require.Equal(t, before, tc.m.Params(), "a failed SetParam changes nothing")
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clf := synthetic(200, 4, 3, 21)
	reg := synthetic(200, 4, 0, 21)
	for _, tc := range []struct {
		m, empty model.Estimator
		p        *model.Problem
	}{
		{&Logistic{LogisticConfig: LogisticConfig{C: 0.3, ClassWeight: ClassWeightBalanced}}, &Logistic{}, clf},
		{&Linear{LinearConfig: LinearConfig{Alpha: 0.5}}, &Linear{}, reg},
		{&Lasso{LassoConfig: LassoConfig{Alpha: 0.05}}, &Lasso{}, reg},
		{&ElasticNet{ElasticNetConfig: ElasticNetConfig{Alpha: 0.05, L1Ratio: 0.7}}, &ElasticNet{}, reg},
	} {
		t.Run(tc.m.Kind(), func(t *testing.T) {
			t.Parallel()
			unfitted, err := tc.m.MarshalBinary()
			require.NoError(t, err)
			require.NoError(t, tc.empty.UnmarshalBinary(unfitted))
			require.Zero(t, tc.empty.Outputs())

			require.NoError(t, tc.m.Fit(ctx, tc.p))
			b, err := tc.m.MarshalBinary()
			require.NoError(t, err)
			require.NoError(t, tc.empty.UnmarshalBinary(b))
			require.Equal(t, tc.m.Params(), tc.empty.Params())
			require.Equal(t, tc.m.PredictTo(nil, tc.p.X), tc.empty.PredictTo(nil, tc.p.X))
			again, err := tc.empty.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, b, again)
			for cut := range len(b) {
				require.Error(t, tc.empty.UnmarshalBinary(b[:cut]), "cut at %d", cut)
			}
			require.Error(t, tc.empty.UnmarshalBinary(append(b, 1)))
			require.Equal(t, tc.m.PredictTo(nil, tc.p.X), tc.empty.PredictTo(nil, tc.p.X), "failed decodes change nothing")
		})
	}
	var l Logistic
	b, err := (&Linear{}).MarshalBinary()
	require.NoError(t, err)
	require.ErrorContains(t, l.UnmarshalBinary(b), "kind")
}

func TestPredictPanics(t *testing.T) {
	t.Parallel()
	var m Logistic
	require.Panics(t, func() { m.PredictTo(nil, model.NewMatrix(1, 2)) })
	require.NoError(t, m.Fit(context.Background(), synthetic(50, 3, 2, 1)))
	require.Panics(t, func() { m.PredictTo(nil, model.NewMatrix(1, 2)) })
}

// TestPredictAllocations is not parallel: testing.AllocsPerRun panics in
// parallel tests.
func TestPredictAllocations(t *testing.T) {
	ctx := context.Background()
	clf := synthetic(100, 6, 3, 5)
	bin := synthetic(100, 6, 2, 5)
	reg := synthetic(100, 6, 0, 5)
	for _, tc := range []struct {
		m model.Estimator
		p *model.Problem
	}{{&Logistic{}, clf}, {&Logistic{}, bin}, {&Linear{}, reg}, {&Lasso{}, reg}, {&ElasticNet{}, reg}} {
		require.NoError(t, tc.m.Fit(ctx, tc.p))
		dst := make([]float64, tc.p.X.Rows*tc.m.Outputs())
		require.Zero(t, testing.AllocsPerRun(50, func() { tc.m.PredictTo(dst, tc.p.X) }), tc.m.Kind())
	}
}

// FuzzUnmarshal checks that decoding arbitrary bytes never panics, and that
// a model that decodes predicts without panicking.
func FuzzUnmarshal(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is slow")
	}
	ctx := context.Background()
	clf := synthetic(60, 3, 3, 1)
	reg := synthetic(60, 3, 0, 1)
	for _, m := range []model.Estimator{&Logistic{}, &Linear{}, &Lasso{}, &ElasticNet{}} {
		p := reg
		if m.Kind() == KindLogistic {
			p = clf
		}
		if err := m.Fit(ctx, p); err != nil {
			f.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range []model.Estimator{&Logistic{}, &Linear{}, &Lasso{}, &ElasticNet{}} {
			if m.UnmarshalBinary(data) != nil || m.Outputs() == 0 {
				continue
			}
			var cols int
			switch m := m.(type) {
			case *Logistic:
				cols = m.fit.nFeatures
			case *Linear:
				cols = m.fit.nFeatures
			case *Lasso:
				cols = m.fit.nFeatures
			case *ElasticNet:
				cols = m.fit.nFeatures
			}
			if cols > 1<<12 {
				continue
			}
			require.Len(t, m.PredictTo(nil, model.NewMatrix(2, cols)), 2*m.Outputs())
		}
	})
}

// TestAbsentClasses fits problems whose training rows lack some classes:
// those get probability 0, and the present classes the model fitted on them
// alone.
func TestAbsentClasses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		classes int
		keep    []float64 // class codes kept, in order
	}{
		{"two of three", 3, []float64{0, 2}},
		{"three of five", 5, []float64{1, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := synthetic(600, 4, len(tc.keep), 13)
			p := &model.Problem{Task: model.MulticlassClassification, Classes: tc.classes, Features: src.Features, X: src.X, Y: make([]float64, len(src.Y))}
			for i, y := range src.Y {
				p.Y[i] = tc.keep[int(y)]
			}
			var full, compact Logistic
			require.NoError(t, full.Fit(ctx, p))
			require.NoError(t, compact.Fit(ctx, src))
			got := full.PredictTo(nil, p.X)
			want := compact.PredictTo(nil, src.X)
			k, kc := tc.classes, len(tc.keep)
			for i := range p.X.Rows {
				for c := range k {
					j := -1
					for jj, kept := range tc.keep {
						if int(kept) == c {
							j = jj
						}
					}
					if j < 0 {
						require.Zero(t, got[i*k+c])
						continue
					}
					require.InDelta(t, want[i*kc+j], got[i*k+c], 1e-12)
				}
			}
			require.Len(t, full.Coef(), k*4)
			b, err := full.MarshalBinary()
			require.NoError(t, err)
			var back Logistic
			require.NoError(t, back.UnmarshalBinary(b))
			require.Equal(t, got, back.PredictTo(nil, p.X))
		})
	}
}

func TestNoIntercept(t *testing.T) {
	t.Parallel()
	p := synthetic(400, 3, 3, 14)
	m := Logistic{LogisticConfig: LogisticConfig{NoIntercept: true}}
	require.NoError(t, m.Fit(context.Background(), p))
	require.Equal(t, []float64{0, 0, 0}, m.Intercept())
	require.Greater(t, score(p, m.PredictTo(nil, p.X)), 0.6)
	var l Lasso
	l.NoIntercept = true
	l.Alpha = 0.01
	r := synthetic(400, 3, 0, 14)
	require.NoError(t, l.Fit(context.Background(), r))
	require.Zero(t, l.Intercept())
}
