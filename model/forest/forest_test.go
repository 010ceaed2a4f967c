package forest_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/testutil"
	"mlw.dev/model"
	"mlw.dev/model/forest"
)

// The reference values in testdata/sklearn_reference.json were computed by
// scikit-learn 1.2.1 (numpy 1.24.2) with testdata/sklearn_reference.py on the
// folds of testdata/folds.json; the file records the versions.

const (
	// scoreTol is how far a 5-fold mean accuracy or R² may be from
	// scikit-learn's.
	scoreTol = 0.015
	// oobTol is how far an out-of-bag score may be from scikit-learn's.
	oobTol = 0.02
)

type reference struct {
	SklearnVersion string `json:"sklearn_version"`
	// Seeds is the number of random_state values (0..Seeds-1) the means are
	// over.
	Seeds int `json:"seeds"`
	CV    []struct {
		Dataset  string            `json:"dataset"`
		Variant  string            `json:"variant"`
		Name     string            `json:"name"`
		Params   map[string]string `json:"params"`
		Score    float64           `json:"score"`
		SeedMean float64           `json:"seed_mean"`
		SeedSD   float64           `json:"seed_sd"`
	} `json:"cv"`
	OOB []struct {
		Dataset  string  `json:"dataset"`
		Score    float64 `json:"score"`
		SeedMean float64 `json:"seed_mean"`
		SeedSD   float64 `json:"seed_sd"`
	} `json:"oob"`
}

var loadReference = sync.OnceValues(func() (*reference, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "sklearn_reference.json"))
	if err != nil {
		return nil, err
	}
	var ref reference
	return &ref, json.Unmarshal(b, &ref)
})

// testBundle holds the fixtures of a test.
type testBundle struct {
	ref *reference
}

// setup loads the scikit-learn reference.
func setup(tb testing.TB) *testBundle {
	tb.Helper()
	ref, err := loadReference()
	require.NoError(tb, err)
	require.Equal(tb, "1.2.1", ref.SklearnVersion)
	return &testBundle{ref: ref}
}

// newForest returns a forest of the given kind with the parameters set by
// name.
func newForest(tb testing.TB, kind string, params map[string]string) *forest.Model {
	tb.Helper()
	m := new(forest.Model)
	if kind == forest.KindExtraTrees {
		m.Variant = forest.ExtraTrees
	}
	for k, v := range params {
		require.NoError(tb, m.SetParam(k, v), k)
	}
	return m
}

// score returns the accuracy (classification) or R² (regression) of m on p.
func score(m model.Predictor, p *model.Problem) float64 {
	pred := m.PredictTo(nil, p.X)
	k := m.Outputs()
	if !p.Task.IsClassification() {
		mean := 0.0
		for _, y := range p.Y {
			mean += y
		}
		mean /= float64(len(p.Y))
		var res, tot float64
		for i, y := range p.Y {
			res += (y - pred[i]) * (y - pred[i])
			tot += (y - mean) * (y - mean)
		}
		return 1 - res/tot
	}
	correct := 0
	for i, y := range p.Y {
		row := pred[i*k : (i+1)*k]
		best := 0
		for c := range row {
			if row[c] > row[best] {
				best = c
			}
		}
		if best == int(y) {
			correct++
		}
	}
	return float64(correct) / float64(len(p.Y))
}

// ourSeeds is how many seeds mlw's cross-validation scores are averaged over
// (scikit-learn's over the reference's 5): a forest's score depends on its
// random draws (scikit-learn's standard deviation over seeds is at most
// 0.0076 here), and mlw draws from other random streams than scikit-learn.
const ourSeeds = 3

// TestCrossValidationMatchesSklearn compares 5-fold mean scores by their mean
// over seeds.
func TestCrossValidationMatchesSklearn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range b.ref.CV {
		t.Run(tc.Dataset+"/"+tc.Variant+"/"+tc.Name, func(t *testing.T) {
			t.Parallel()
			ds := testutil.LoadDataset(t, tc.Dataset)
			folds := testutil.Folds(t, tc.Dataset)
			var first, sum float64
			for seed := range ourSeeds {
				fold := 0.0
				for _, f := range folds {
					m := newForest(t, tc.Variant, tc.Params)
					m.Config.Tree.Seed = uint64(seed)
					m.Config.NJobs = 1
					require.NoError(t, m.Fit(context.Background(), ds.Subset(f.Train)))
					fold += score(m, ds.Subset(f.Test))
				}
				fold /= float64(len(folds))
				if seed == 0 {
					first = fold
				}
				sum += fold
			}
			mean := sum / ourSeeds
			t.Logf("seed 0: mlw %.4f, scikit-learn %.4f; mean over seeds: mlw %.4f (%d), scikit-learn %.4f (%d, sd %.4f)",
				first, tc.Score, mean, ourSeeds, tc.SeedMean, b.ref.Seeds, tc.SeedSD)
			require.InDelta(t, tc.SeedMean, mean, scoreTol)
		})
	}
}

func TestOOBScoreMatchesSklearn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range b.ref.OOB {
		t.Run(tc.Dataset, func(t *testing.T) {
			t.Parallel()
			ds := testutil.LoadDataset(t, tc.Dataset)
			m := newForest(t, forest.KindRandomForest, map[string]string{"oob_score": "true", "n_jobs": "1"})
			require.NoError(t, m.Fit(context.Background(), ds.Problem()))
			got, ok := m.OOBScore()
			require.True(t, ok)
			t.Logf("mlw %.4f, scikit-learn %.4f (mean over seeds %.4f, sd %.4f)", got, tc.Score, tc.SeedMean, tc.SeedSD)
			require.InDelta(t, tc.SeedMean, got, oobTol)
		})
	}
}

func TestSameBytesWhateverTheWorkers(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "breast_cancer")
	fit := func(kind, jobs, seed string) []byte {
		m := newForest(t, kind, map[string]string{"n_estimators": "12", "n_jobs": jobs, "random_state": seed,
			"oob_score": "true", "bootstrap": "true"})
		require.NoError(t, m.Fit(context.Background(), ds.Problem()))
		// n_jobs is encoded too: compare the forests with it reset.
		m.Config.NJobs = 0
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		return b
	}
	for _, kind := range []string{forest.KindRandomForest, forest.KindExtraTrees} {
		first := fit(kind, "1", "9")
		require.Equal(t, first, fit(kind, "1", "9"), kind)
		for _, jobs := range []string{"2", "5"} {
			require.Equal(t, first, fit(kind, jobs, "9"), "%s with n_jobs=%s", kind, jobs)
		}
		require.NotEqual(t, first, fit(kind, "2", "10"), kind)
	}
}

// countdownCtx is a context whose Err turns to context.Canceled after n
// calls, so that a test can cancel a fit in the middle.
type countdownCtx struct {
	context.Context
	mu sync.Mutex
	n  int
}

func (c *countdownCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n--
	if c.n < 0 {
		return context.Canceled
	}
	return nil
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "breast_cancer")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := newForest(t, forest.KindRandomForest, nil)
	require.ErrorIs(t, m.Fit(ctx, ds.Problem()), context.Canceled)
	for _, n := range []int{1, 3, 20} {
		m := newForest(t, forest.KindRandomForest, map[string]string{"n_jobs": "2"})
		err := m.Fit(&countdownCtx{Context: context.Background(), n: n}, ds.Problem())
		require.ErrorIs(t, err, context.Canceled, "cancelled after %d checks", n)
		require.Zero(t, m.Outputs(), "a cancelled fit leaves the model alone")
	}
}

// TestPredictToAllocatesNothing is the one test without t.Parallel():
// testing.AllocsPerRun reads process-wide counters and panics in a parallel
// test.
func TestPredictToAllocatesNothing(t *testing.T) {
	ds := testutil.LoadDataset(t, "wine")
	m := newForest(t, forest.KindRandomForest, map[string]string{"n_estimators": "20"})
	require.NoError(t, m.Fit(context.Background(), ds.Problem()))
	dst := make([]float64, ds.X.Rows*m.Outputs())
	require.Zero(t, testing.AllocsPerRun(10, func() { m.PredictTo(dst, ds.X) }))
	one := model.Matrix{Rows: 1, Cols: ds.X.Cols, Data: ds.X.Row(3)}
	require.Zero(t, testing.AllocsPerRun(100, func() { m.PredictTo(dst, one) }))
}

func TestPredictToIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "diabetes")
	m := newForest(t, forest.KindExtraTrees, map[string]string{"n_estimators": "10"})
	require.NoError(t, m.Fit(context.Background(), ds.Problem()))
	want := m.PredictTo(nil, ds.X)
	got := make([][]float64, 4)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = m.PredictTo(nil, ds.X) })
	}
	wg.Wait()
	for _, g := range got {
		require.Equal(t, want, g)
	}
}

func TestPredictionsAreMeanOfTrees(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "iris")
	m := newForest(t, forest.KindRandomForest, map[string]string{"n_estimators": "7"})
	require.NoError(t, m.Fit(context.Background(), ds.Problem()))
	got := m.PredictTo(nil, ds.X)
	want := make([]float64, len(got))
	for _, tr := range m.Trees() {
		p := tr.PredictTo(nil, ds.X)
		for i := range want {
			want[i] += p[i] / 7
		}
	}
	require.InDeltaSlice(t, want, got, 1e-12)
	for i := range ds.X.Rows {
		sum := got[3*i] + got[3*i+1] + got[3*i+2]
		require.InDelta(t, 1, sum, 1e-12)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dataset, kind string }{
		{"iris", forest.KindRandomForest},
		{"diabetes", forest.KindExtraTrees},
	} {
		ds := testutil.LoadDataset(t, tc.dataset)
		m := newForest(t, tc.kind, map[string]string{"n_estimators": "4", "max_depth": "4", "oob_score": "true", "bootstrap": "true"})
		require.NoError(t, m.Fit(context.Background(), ds.Problem()))
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		var back forest.Model
		require.NoError(t, back.UnmarshalBinary(b))
		require.Equal(t, m.PredictTo(nil, ds.X), back.PredictTo(nil, ds.X))
		require.Equal(t, m.Params(), back.Params())
		require.Equal(t, m.Kind(), back.Kind())
		require.Equal(t, m.FeatureImportances(), back.FeatureImportances())
		oob, ok := back.OOBScore()
		require.True(t, ok)
		want, _ := m.OOBScore()
		require.Equal(t, want, oob)
		b2, err := back.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, b2)
		for n := range len(b) {
			require.Error(t, new(forest.Model).UnmarshalBinary(b[:n]), "truncated to %d bytes", n)
		}
	}
	m := newForest(t, forest.KindExtraTrees, map[string]string{"n_estimators": "50", "max_features": "log2"})
	b, err := m.MarshalBinary()
	require.NoError(t, err)
	var back forest.Model
	require.NoError(t, back.UnmarshalBinary(b))
	require.Equal(t, m.Params(), back.Params())
	require.Equal(t, "extratrees", back.Kind())
}

func FuzzUnmarshal(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is slow")
	}
	ds := testutil.LoadDataset(f, "iris")
	for _, kind := range []string{forest.KindRandomForest, forest.KindExtraTrees} {
		m := newForest(f, kind, map[string]string{"n_estimators": "2", "max_depth": "2"})
		require.NoError(f, m.Fit(context.Background(), ds.Problem()))
		b, err := m.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte("mlwF\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m forest.Model
		if m.UnmarshalBinary(b) != nil || m.Outputs() == 0 {
			return
		}
		x := model.NewMatrix(2, len(m.FeatureImportances()))
		x.Data[0] = math.NaN()
		m.PredictTo(nil, x)
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func TestParams(t *testing.T) {
	t.Parallel()
	m := new(forest.Model)
	want := map[string]string{
		"n_estimators": "100", "bootstrap": "true", "max_samples": "none", "oob_score": "false", "n_jobs": "0",
		"criterion": "auto", "max_depth": "none", "min_samples_split": "2", "min_samples_leaf": "1",
		"min_weight_fraction_leaf": "0", "max_features": "auto", "max_leaf_nodes": "none",
		"min_impurity_decrease": "0", "ccp_alpha": "0", "random_state": "0",
	}
	require.Equal(t, want, m.Params())
	for _, s := range m.ParamSpecs() {
		_, ok := want[s.Name]
		require.True(t, ok, s.Name)
		require.NotEmpty(t, s.Doc, s.Name)
	}
	require.Len(t, m.ParamSpecs(), len(want))
	et := forest.Model{Variant: forest.ExtraTrees}
	require.Equal(t, "false", et.Params()["bootstrap"])
	require.Equal(t, "extratrees", et.Kind())
	require.Equal(t, "forest", m.Kind())

	for _, tc := range []struct{ name, value string }{
		{"n_estimators", "0"}, {"bootstrap", "maybe"}, {"max_samples", "1.5"}, {"max_samples", "-1"},
		{"oob_score", "x"}, {"n_jobs", "-2"}, {"splitter", "random"}, {"max_depth", "0"}, {"nope", "1"},
	} {
		err := m.SetParam(tc.name, tc.value)
		require.Error(t, err, "%s=%s", tc.name, tc.value)
		require.Contains(t, err.Error(), tc.name)
	}

	// Fitted: the task's defaults are resolved.
	ds := testutil.LoadDataset(t, "diabetes")
	r := newForest(t, forest.KindRandomForest, map[string]string{"n_estimators": "3"})
	require.NoError(t, r.Fit(context.Background(), ds.Problem()))
	require.Equal(t, "1.0", r.Params()["max_features"])
	require.Equal(t, "squared_error", r.Params()["criterion"])
	c := newForest(t, forest.KindRandomForest, map[string]string{"n_estimators": "3"})
	require.NoError(t, c.Fit(context.Background(), testutil.LoadDataset(t, "iris").Problem()))
	require.Equal(t, "sqrt", c.Params()["max_features"])
	require.Equal(t, "gini", c.Params()["criterion"])
}

func TestFitErrors(t *testing.T) {
	t.Parallel()
	p := testutil.LoadDataset(t, "iris").Problem()
	for _, tc := range []struct {
		kind   string
		params map[string]string
	}{
		{forest.KindExtraTrees, map[string]string{"oob_score": "true"}},
		{forest.KindRandomForest, map[string]string{"bootstrap": "false", "max_samples": "0.5"}},
		{forest.KindRandomForest, map[string]string{"max_samples": "1000"}},
		{forest.KindRandomForest, map[string]string{"criterion": "squared_error"}},
	} {
		m := newForest(t, tc.kind, tc.params)
		require.Error(t, m.Fit(context.Background(), p), "%v", tc.params)
	}
}

func TestImportancesSumToOne(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "breast_cancer")
	for _, kind := range []string{forest.KindRandomForest, forest.KindExtraTrees} {
		m := newForest(t, kind, map[string]string{"n_estimators": "20"})
		require.NoError(t, m.Fit(context.Background(), ds.Problem()))
		imp := m.FeatureImportances()
		require.Len(t, imp, ds.X.Cols)
		sum := 0.0
		for _, v := range imp {
			require.GreaterOrEqual(t, v, 0.0)
			sum += v
		}
		require.InDelta(t, 1, sum, 1e-12)
		// "worst" features carry most of the signal in breast_cancer.
		top := 0
		for j := range imp {
			if imp[j] > imp[top] {
				top = j
			}
		}
		require.GreaterOrEqual(t, top, 20, "the most important feature is one of the worst_* ones")
	}
}

func TestMissingValuesAreLearned(t *testing.T) {
	t.Parallel()
	gen := func(n int, seed uint64) *model.Problem {
		rng := rand.New(rand.NewPCG(seed, 7))
		p := &model.Problem{Task: model.BinaryClassification, Classes: 2,
			Features: []model.Feature{{Name: "a"}, {Name: "b"}, {Name: "c"}},
			X:        model.NewMatrix(n, 3), Y: make([]float64, n)}
		for i := range n {
			for j := range 3 {
				p.X.Data[3*i+j] = rng.NormFloat64()
			}
			if rng.IntN(4) == 0 {
				p.X.Data[3*i+1] = math.NaN()
				p.Y[i] = 1
			}
		}
		return p
	}
	for _, kind := range []string{forest.KindRandomForest, forest.KindExtraTrees} {
		m := newForest(t, kind, map[string]string{"n_estimators": "20", "max_features": "none"})
		require.NoError(t, m.Fit(context.Background(), gen(500, 1)))
		require.Equal(t, 1.0, score(m, gen(300, 2)), kind)
	}
}

// TestPredictDoesNotDependOnBatch checks that a row's prediction is the
// same to the bit alone (trees walked together for the row) and in a batch
// (rows walked together down each tree), with missing values and more trees
// than one chunk of the row walk.
func TestPredictDoesNotDependOnBatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dataset, kind, trees string }{
		{"wine", forest.KindRandomForest, "300"},
		{"diabetes", forest.KindExtraTrees, "20"},
	} {
		ds := testutil.LoadDataset(t, tc.dataset)
		p := ds.Problem()
		p.X = model.Matrix{Rows: p.X.Rows, Cols: p.X.Cols, Data: slices.Clone(p.X.Data)}
		for i := range p.X.Data {
			if i%11 == 0 {
				p.X.Data[i] = math.NaN()
			}
		}
		m := newForest(t, tc.kind, map[string]string{"n_estimators": tc.trees})
		require.NoError(t, m.Fit(context.Background(), p))
		all := m.PredictTo(nil, p.X)
		k := m.Outputs()
		for i := range p.X.Rows {
			one := m.PredictTo(nil, model.Matrix{Rows: 1, Cols: p.X.Cols, Data: p.X.Row(i)})
			require.Equal(t, all[i*k:(i+1)*k], one, "%s: row %d", tc.dataset, i)
		}
		few := m.PredictTo(nil, model.Matrix{Rows: 7, Cols: p.X.Cols, Data: p.X.Data[:7*p.X.Cols]})
		require.Equal(t, all[:7*k], few, tc.dataset)
	}
}
