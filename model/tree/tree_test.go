package tree_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"

	"mlw.dev/internal/testutil"
	"mlw.dev/model"
	"mlw.dev/model/tree"
)

// The reference values in testdata/sklearn_reference.json were computed by
// scikit-learn 1.2.1 (numpy 1.24.2) with testdata/sklearn_reference.py on the
// folds of testdata/folds.json; the file records the versions.

// scoreTol is how far a 5-fold mean accuracy or R² may be from
// scikit-learn's.
const scoreTol = 0.015

type reference struct {
	SklearnVersion string `json:"sklearn_version"`
	CV             []struct {
		Dataset string            `json:"dataset"`
		Name    string            `json:"name"`
		Params  map[string]string `json:"params"`
		Score   float64           `json:"score"`
		// SeedMean and SeedSD are the mean and standard deviation of the
		// score over random_state 0..seeds-1.
		SeedMean float64 `json:"seed_mean"`
		SeedSD   float64 `json:"seed_sd"`
	} `json:"cv"`
	Structure []struct {
		Dataset  string            `json:"dataset"`
		Params   map[string]string `json:"params"`
		Variants []struct {
			RandomState int `json:"random_state"`
			Tree        struct {
				Feature   []int       `json:"feature"`
				Threshold []float64   `json:"threshold"`
				Left      []int       `json:"left"`
				Right     []int       `json:"right"`
				Value     [][]float64 `json:"value"`
			} `json:"tree"`
			Predictions        [][]float64 `json:"predictions"`
			FeatureImportances []float64   `json:"feature_importances"`
		} `json:"variants"`
	} `json:"structure"`
	Pruning []struct {
		Dataset  string `json:"dataset"`
		CCPAlpha string `json:"ccp_alpha"`
		// NLeaves holds the number of leaves for each random_state.
		NLeaves []int `json:"n_leaves"`
	} `json:"pruning"`
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

// newTree returns a tree with the given parameters set by name.
func newTree(tb testing.TB, params map[string]string) *tree.Model {
	tb.Helper()
	m := new(tree.Model)
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

// cvScore returns the mean score over the dataset's 5 reference folds of the
// estimators newModel returns.
func cvScore(tb testing.TB, name string, newModel func() model.Estimator) float64 {
	tb.Helper()
	ds := testutil.LoadDataset(tb, name)
	sum := 0.0
	folds := testutil.Folds(tb, name)
	for _, f := range folds {
		m := newModel()
		require.NoError(tb, m.Fit(context.Background(), ds.Subset(f.Train)))
		sum += score(m, ds.Subset(f.Test))
	}
	return sum / float64(len(folds))
}

// Cross-validation scores are compared by their mean over seeds: scikit-learn
// and mlw break ties between equally good splits in a random feature order,
// from different random streams, so a setting whose trees meet ties has a
// score that depends on the seed (a fully grown tree on diabetes: a standard
// deviation of 0.023 R² over seeds in scikit-learn). The reference averages
// random_state 0..29; mlw averages fewSeeds seeds, or manySeeds where
// scikit-learn's standard deviation exceeds noisySD.
const (
	fewSeeds  = 10
	manySeeds = 30
	noisySD   = 0.01
)

func TestCrossValidationMatchesSklearn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range b.ref.CV {
		t.Run(tc.Dataset+"/"+tc.Name, func(t *testing.T) {
			t.Parallel()
			seeds := fewSeeds
			if tc.SeedSD > noisySD {
				seeds = manySeeds
			}
			var first, sum float64
			for seed := range seeds {
				got := cvScore(t, tc.Dataset, func() model.Estimator {
					m := newTree(t, tc.Params)
					m.Config.Seed = uint64(seed)
					return m
				})
				if seed == 0 {
					first = got
				}
				sum += got
			}
			mean := sum / float64(seeds)
			t.Logf("%s %s: seed 0: mlw %.4f, scikit-learn %.4f; mean over %d seeds: mlw %.4f, scikit-learn %.4f (sd %.4f)",
				tc.Dataset, tc.Name, first, tc.Score, seeds, mean, tc.SeedMean, tc.SeedSD)
			require.InDelta(t, tc.SeedMean, mean, scoreTol)
		})
	}
}

// TestDepth3TreeMatchesSklearn compares the tree grown on every row with
// max_depth=3 node by node, and its predictions for every row and feature
// importances, with scikit-learn's. On breast_cancer scikit-learn's tree
// depends on random_state: at three nodes several features split equally well
// (6, 2 and 4 of them) and the first in a random feature order wins, which
// gives 16 distinct trees for random_state 0..19, and the two choices at node
// 8 send different rows left, so predictions depend on the seed too. mlw
// breaks such ties the same way from a different random stream. So every node
// of every mlw tree must be a split scikit-learn chooses at that node for
// some seed, and at least one of mlw's seeds 0..9 must grow exactly one of
// scikit-learn's trees, with the same predictions and importances. Thresholds
// match to 1e-6 because scikit-learn computes them from float32 copies of X.
func TestDepth3TreeMatchesSklearn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range b.ref.Structure {
		t.Run(tc.Dataset, func(t *testing.T) {
			t.Parallel()
			ds := testutil.LoadDataset(t, tc.Dataset)
			exact := 0
			for seed := range 10 {
				m := newTree(t, tc.Params)
				m.Config.Seed = uint64(seed)
				require.NoError(t, m.Fit(context.Background(), ds.Problem()))
				got := m.Preorder()
				for i := range got.Feature {
					found := false
					for _, v := range tc.Variants {
						found = found || sameNode(got, i, v.Tree.Feature, v.Tree.Threshold, v.Tree.Left, v.Tree.Right, v.Tree.Value)
					}
					require.True(t, found, "seed %d node %d: feature %d at %g is no split of scikit-learn's",
						seed, i, got.Feature[i], got.Threshold[i])
				}
				match := -1
				for vi, v := range tc.Variants {
					same := true
					for i := range got.Feature {
						same = same && sameNode(got, i, v.Tree.Feature, v.Tree.Threshold, v.Tree.Left, v.Tree.Right, v.Tree.Value)
					}
					if same {
						match = vi
						break
					}
				}
				if match < 0 {
					t.Logf("seed %d: a combination of tied splits scikit-learn did not draw for random_state 0..19", seed)
					continue
				}
				exact++
				want := tc.Variants[match]
				t.Logf("seed %d: scikit-learn's tree for random_state=%d", seed, want.RandomState)
				pred := m.PredictTo(nil, ds.X)
				k := m.Outputs()
				for i, w := range want.Predictions {
					for c := range w {
						require.True(t, scalar.EqualWithinAbsOrRel(pred[i*k+c], w[c], 1e-9, 1e-9),
							"row %d output %d: mlw %g, scikit-learn %g", i, c, pred[i*k+c], w[c])
					}
				}
				imp := m.FeatureImportances()
				for j, w := range want.FeatureImportances {
					require.InDelta(t, w, imp[j], 1e-9, "importance of feature %d", j)
				}
			}
			require.Positive(t, exact, "no seed grew one of scikit-learn's trees")
		})
	}
}

// sameNode reports whether node i of p is node i of scikit-learn's tree
// given by its arrays: the same children, and the same split feature and
// threshold or the same leaf values.
func sameNode(p tree.Preorder, i int, feature []int, threshold []float64, left, right []int, value [][]float64) bool {
	if len(p.Feature) != len(feature) || p.Feature[i] != feature[i] || p.Left[i] != left[i] || p.Right[i] != right[i] {
		return false
	}
	if feature[i] >= 0 {
		return scalar.EqualWithinAbsOrRel(p.Threshold[i], threshold[i], 1e-6, 1e-6)
	}
	for c := range value[i] {
		if !scalar.EqualWithinAbsOrRel(p.Value[i][c], value[i][c], 1e-9, 1e-9) {
			return false
		}
	}
	return true
}

func TestCostComplexityPruningMatchesSklearn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range b.ref.Pruning {
		t.Run(tc.Dataset+"/"+tc.CCPAlpha, func(t *testing.T) {
			t.Parallel()
			ds := testutil.LoadDataset(t, tc.Dataset)
			m := newTree(t, map[string]string{"ccp_alpha": tc.CCPAlpha})
			require.NoError(t, m.Fit(context.Background(), ds.Problem()))
			// Where ties make scikit-learn's full tree depend on the seed, so
			// may the pruned one (diabetes at the smallest alpha: 422 or 423
			// leaves).
			require.GreaterOrEqual(t, m.LeafCount(), slices.Min(tc.NLeaves))
			require.LessOrEqual(t, m.LeafCount(), slices.Max(tc.NLeaves))
		})
	}
}

// missingProblem returns a classification problem whose class is 1 exactly
// when feature 0 is missing; feature 0 is otherwise noise, and so is feature
// 1.
func missingProblem(n int, seed uint64) *model.Problem {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := &model.Problem{
		Task: model.BinaryClassification, Classes: 2,
		Features: []model.Feature{{Name: "a"}, {Name: "b"}},
		X:        model.NewMatrix(n, 2), Y: make([]float64, n),
	}
	for i := range n {
		p.X.Data[2*i] = rng.NormFloat64()
		p.X.Data[2*i+1] = rng.NormFloat64()
		if rng.IntN(3) == 0 {
			p.X.Data[2*i] = math.NaN()
			p.Y[i] = 1
		}
	}
	return p
}

func TestMissingValuesAreLearned(t *testing.T) {
	t.Parallel()
	for _, splitter := range []string{"best", "random"} {
		t.Run(splitter, func(t *testing.T) {
			t.Parallel()
			m := newTree(t, map[string]string{"splitter": splitter, "max_depth": "4"})
			require.NoError(t, m.Fit(context.Background(), missingProblem(600, 1)))
			test := missingProblem(400, 2)
			require.Equal(t, 1.0, score(m, test))
			if splitter == "best" {
				// The root separates missing from present values.
				require.Equal(t, 3, m.NodeCount())
			}
		})
	}
}

func TestMissingValuesFollowLargerChildWhenUnseen(t *testing.T) {
	t.Parallel()
	// scikit-learn's test_missing_values_on_equal_nodes_no_missing.
	x := []float64{0, 1, 2, 3, 8, 9, 11, 12, 15}
	y := []float64{0.1, 0.2, 0.3, 0.2, 1.4, 1.4, 1.5, 1.6, 2.6}
	for _, tc := range []struct {
		name string
		n    int
		want float64
	}{
		{"larger right child", 9, (1.4 + 1.4 + 1.5 + 1.6 + 2.6) / 5},
		{"tie goes right", 8, (1.4 + 1.4 + 1.5 + 1.6) / 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &model.Problem{Task: model.Regression, Features: []model.Feature{{Name: "x"}},
				X: model.Matrix{Rows: tc.n, Cols: 1, Data: x[:tc.n]}, Y: y[:tc.n]}
			m := newTree(t, map[string]string{"max_depth": "1"})
			require.NoError(t, m.Fit(context.Background(), p))
			got := m.PredictTo(nil, model.Matrix{Rows: 1, Cols: 1, Data: []float64{math.NaN()}})
			require.InDelta(t, tc.want, got[0], 1e-12)
		})
	}
}

func TestWeightsEqualDuplicatedRows(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "wine")
	p := ds.Problem()
	rng := rand.New(rand.NewPCG(3, 3))
	w := make([]float64, p.X.Rows)
	var rows []int
	for i := range w {
		w[i] = float64(rng.IntN(3))
		for range int(w[i]) {
			rows = append(rows, i)
		}
	}
	weighted := *p
	weighted.Weights = w
	a := newTree(t, map[string]string{"max_depth": "4"})
	require.NoError(t, a.Fit(context.Background(), &weighted))
	dup := newTree(t, map[string]string{"max_depth": "4"})
	require.NoError(t, dup.Fit(context.Background(), ds.Subset(rows)))
	require.Equal(t, a.PredictTo(nil, p.X), dup.PredictTo(nil, p.X))
}

func TestDeterministicBytes(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "breast_cancer")
	for _, params := range []map[string]string{
		{},
		{"max_features": "sqrt", "random_state": "7"},
		{"splitter": "random", "random_state": "7"},
		{"max_leaf_nodes": "10", "criterion": "entropy"},
	} {
		var first []byte
		for range 3 {
			m := newTree(t, params)
			require.NoError(t, m.Fit(context.Background(), ds.Problem()))
			b, err := m.MarshalBinary()
			require.NoError(t, err)
			if first == nil {
				first = b
			}
			require.Equal(t, first, b)
		}
	}
}

func TestSeedChangesRandomTrees(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "breast_cancer")
	fit := func(seed string) []byte {
		m := newTree(t, map[string]string{"splitter": "random", "random_state": seed})
		require.NoError(t, m.Fit(context.Background(), ds.Problem()))
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		return b
	}
	require.NotEqual(t, fit("1"), fit("2"))
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
	p := missingProblem(20000, 4)
	p.Y = make([]float64, p.X.Rows) // noise labels: a deep tree
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range p.Y {
		p.Y[i] = float64(rng.IntN(2))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var m tree.Model
	require.ErrorIs(t, m.Fit(ctx, p), context.Canceled)
	// Cancelled after the first check inside the growing loop.
	require.ErrorIs(t, m.Fit(&countdownCtx{Context: context.Background(), n: 1}, p), context.Canceled)
	m.Config.MaxLeafNodes = 5000
	require.ErrorIs(t, m.Fit(&countdownCtx{Context: context.Background(), n: 1}, p), context.Canceled)
}

// TestPredictToAllocatesNothing is the one test without t.Parallel():
// testing.AllocsPerRun reads process-wide counters and panics in a parallel
// test.
func TestPredictToAllocatesNothing(t *testing.T) {
	ds := testutil.LoadDataset(t, "iris")
	var m tree.Model
	require.NoError(t, m.Fit(context.Background(), ds.Problem()))
	dst := make([]float64, ds.X.Rows*m.Outputs())
	allocs := testing.AllocsPerRun(20, func() { m.PredictTo(dst, ds.X) })
	require.Zero(t, allocs)
	row := make([]float64, m.Outputs())
	allocs = testing.AllocsPerRun(20, func() { m.AddRowTo(row, ds.X.Row(0)) })
	require.Zero(t, allocs)
}

func TestPredictToIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "diabetes")
	var m tree.Model
	require.NoError(t, m.Fit(context.Background(), ds.Problem()))
	want := m.PredictTo(nil, ds.X)
	var wg sync.WaitGroup
	got := make([][]float64, 4)
	for i := range got {
		wg.Go(func() { got[i] = m.PredictTo(nil, ds.X) })
	}
	wg.Wait()
	for _, g := range got {
		require.Equal(t, want, g)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"iris", "breast_cancer", "diabetes"} {
		ds := testutil.LoadDataset(t, name)
		m := newTree(t, map[string]string{"max_depth": "6", "max_features": "0.5", "random_state": "3"})
		require.NoError(t, m.Fit(context.Background(), ds.Problem()))
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		var back tree.Model
		require.NoError(t, back.UnmarshalBinary(b))
		require.Equal(t, m.PredictTo(nil, ds.X), back.PredictTo(nil, ds.X))
		require.Equal(t, m.Params(), back.Params())
		require.Equal(t, m.FeatureImportances(), back.FeatureImportances())
		b2, err := back.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, b2)
		for n := range len(b) {
			require.Error(t, new(tree.Model).UnmarshalBinary(b[:n]), "truncated to %d bytes", n)
		}
	}
	// An unfitted model keeps its parameters.
	m := newTree(t, map[string]string{"max_depth": "4", "criterion": "entropy"})
	b, err := m.MarshalBinary()
	require.NoError(t, err)
	var back tree.Model
	require.NoError(t, back.UnmarshalBinary(b))
	require.Equal(t, m.Params(), back.Params())
}

func FuzzUnmarshal(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is slow")
	}
	p := missingProblem(200, 5)
	for _, params := range []tree.Params{{}, {MaxDepth: 2}, {Splitter: tree.Random}} {
		m := tree.Model{Config: params}
		require.NoError(f, m.Fit(context.Background(), p))
		b, err := m.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte("mlwT"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m tree.Model
		if m.UnmarshalBinary(b) != nil || m.Outputs() == 0 {
			return
		}
		// A model that decodes predicts without panicking.
		x := model.NewMatrix(3, len(m.FeatureImportances()))
		x.Data[0] = math.NaN()
		m.PredictTo(nil, x)
		_ = m.Depth()
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func TestParams(t *testing.T) {
	t.Parallel()
	var m tree.Model
	want := map[string]string{
		"criterion": "auto", "splitter": "best", "max_depth": "none", "min_samples_split": "2",
		"min_samples_leaf": "1", "min_weight_fraction_leaf": "0", "max_features": "none",
		"max_leaf_nodes": "none", "min_impurity_decrease": "0", "ccp_alpha": "0", "random_state": "0",
	}
	require.Equal(t, want, m.Params())
	specs := m.ParamSpecs()
	require.Len(t, specs, len(want))
	for _, s := range specs {
		require.Equal(t, want[s.Name], s.Default, s.Name)
		require.NotEmpty(t, s.Doc, s.Name)
	}
	for _, tc := range []struct{ name, value, read string }{
		{"criterion", "entropy", "entropy"},
		{"criterion", "log_loss", "log_loss"},
		{"max_depth", "5", "5"},
		{"max_depth", "none", "none"},
		{"max_features", "sqrt", "sqrt"},
		{"max_features", "0.5", "0.5"},
		{"max_features", "1.0", "1.0"},
		{"max_features", "3", "3"},
		{"max_leaf_nodes", "12", "12"},
		{"ccp_alpha", "0.01", "0.01"},
		{"random_state", "42", "42"},
		{"splitter", "random", "random"},
	} {
		var m tree.Model
		require.NoError(t, m.SetParam(tc.name, tc.value), tc.name)
		require.Equal(t, tc.read, m.Params()[tc.name], tc.name)
	}
	for _, tc := range []struct{ name, value string }{
		{"criterion", "mse"}, {"max_depth", "0"}, {"max_depth", "x"}, {"min_samples_split", "1"},
		{"min_samples_leaf", "0"}, {"max_features", "0"}, {"max_features", "1.5"}, {"max_leaf_nodes", "1"},
		{"ccp_alpha", "-1"}, {"min_weight_fraction_leaf", "0.6"}, {"random_state", "-1"},
		{"splitter", "worst"}, {"n_estimators", "10"},
	} {
		var m tree.Model
		err := m.SetParam(tc.name, tc.value)
		require.Error(t, err, "%s=%s", tc.name, tc.value)
		require.Contains(t, err.Error(), tc.name)
	}

	// The criterion must suit the task.
	ds := testutil.LoadDataset(t, "diabetes")
	bad := newTree(t, map[string]string{"criterion": "gini"})
	require.Error(t, bad.Fit(context.Background(), ds.Problem()))
	fitted := new(tree.Model)
	require.NoError(t, fitted.Fit(context.Background(), ds.Problem()))
	require.Equal(t, "squared_error", fitted.Params()["criterion"])
	require.Equal(t, "tree", fitted.Kind())
}

func TestInvalidProblems(t *testing.T) {
	t.Parallel()
	p := missingProblem(50, 6)
	for _, tc := range []struct {
		name   string
		mutate func(p *model.Problem)
	}{
		{"negative weight", func(p *model.Problem) { p.Weights = make([]float64, p.X.Rows); p.Weights[0] = -1 }},
		{"zero weights", func(p *model.Problem) { p.Weights = make([]float64, p.X.Rows) }},
		{"NaN weight", func(p *model.Problem) { p.Weights = make([]float64, p.X.Rows); p.Weights[3] = math.NaN() }},
		{"bad class", func(p *model.Problem) { p.Y[0] = 2 }},
		{"NaN target", func(p *model.Problem) { p.Task, p.Classes = model.Regression, 0; p.Y[0] = math.NaN() }},
		{"poisson negative", func(p *model.Problem) { p.Task, p.Classes = model.Regression, 0; p.Y[0] = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := *p
			q.Y = append([]float64(nil), p.Y...)
			tc.mutate(&q)
			m := new(tree.Model)
			if tc.name == "poisson negative" {
				m.Config.Criterion = tree.Poisson
			}
			require.Error(t, m.Fit(context.Background(), &q))
		})
	}
}

func TestImportancesAndRegressionCriteria(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "diabetes")
	for _, crit := range []string{"squared_error", "friedman_mse", "poisson"} {
		m := newTree(t, map[string]string{"criterion": crit, "max_depth": "4"})
		require.NoError(t, m.Fit(context.Background(), ds.Problem()))
		imp := m.FeatureImportances()
		require.Len(t, imp, ds.X.Cols)
		sum := 0.0
		for _, v := range imp {
			require.GreaterOrEqual(t, v, 0.0)
			sum += v
		}
		require.InDelta(t, 1, sum, 1e-12, crit)
		require.Greater(t, score(m, ds.Problem()), 0.4, crit)
		require.Equal(t, 4, m.Depth())
	}
}

func TestCategoricalCodesAreOrderedNumbers(t *testing.T) {
	t.Parallel()
	// Class 1 is category codes 2 and 3 of 4: one threshold separates them.
	n := 200
	p := &model.Problem{Task: model.BinaryClassification, Classes: 2,
		Features: []model.Feature{{Name: "c", Categorical: true, Categories: 4}},
		X:        model.NewMatrix(n, 1), Y: make([]float64, n)}
	for i := range n {
		c := float64(i % 4)
		p.X.Data[i] = c
		if c >= 2 {
			p.Y[i] = 1
		}
	}
	var m tree.Model
	require.NoError(t, m.Fit(context.Background(), p))
	require.Equal(t, 3, m.NodeCount())
	require.Equal(t, 1.0, score(&m, p))
	require.InDelta(t, 1.5, m.Preorder().Threshold[0], 1e-9)
}

// TestTrainingRowsReachTheirLeaves checks that prediction routes every
// training row to a leaf that held it during training, on values that stress
// the thresholds: large magnitudes whose neighbours differ below float32
// precision (the random splitter works on float32 copies), values 1e-8 apart
// (never split, as in scikit-learn), values on a grid with midpoints on other
// values, infinities and NaN.
func TestTrainingRowsReachTheirLeaves(t *testing.T) {
	t.Parallel()
	n := 3000
	rng := rand.New(rand.NewPCG(8, 8))
	p := &model.Problem{Task: model.BinaryClassification, Classes: 2,
		Features: make([]model.Feature, 5), X: model.NewMatrix(n, 5), Y: make([]float64, n)}
	for i := range n {
		row := p.X.Row(i)
		row[0] = 1e9 + float64(rng.IntN(1000))    // float32 spacing is 64
		row[1] = 0.5 + float64(rng.IntN(50))*1e-8 // closer than 1e-7
		row[2] = float64(rng.IntN(20)) * 0.1      // a grid
		row[3] = rng.NormFloat64()
		switch rng.IntN(20) {
		case 0:
			row[3] = math.Inf(1)
		case 1:
			row[3] = math.Inf(-1)
		case 2:
			row[3] = math.NaN()
		}
		row[4] = rng.NormFloat64() * 1e-30
		if rng.IntN(2) == 0 {
			p.Y[i] = 1
		}
	}
	for _, splitter := range []string{"best", "random"} {
		for seed := range 3 {
			m := newTree(t, map[string]string{"splitter": splitter, "random_state": strconv.Itoa(seed)})
			require.NoError(t, m.Fit(context.Background(), p))
			pred := m.PredictTo(nil, p.X)
			for i, y := range p.Y {
				require.Positive(t, pred[2*i+int(y)], "%s seed %d: row %d reaches a leaf without its class", splitter, seed, i)
			}
		}
	}
}

// TestAddRowToEach checks the interleaved walk of several trees against
// adding each tree's prediction in turn, to the bit, with missing values.
func TestAddRowToEach(t *testing.T) {
	t.Parallel()
	ds := testutil.LoadDataset(t, "wine")
	p := ds.Problem()
	x := model.NewMatrix(p.X.Rows, p.X.Cols)
	copy(x.Data, p.X.Data)
	for i := range x.Data {
		if i%7 == 0 {
			x.Data[i] = math.NaN()
		}
	}
	var trees []tree.Model
	for _, depth := range []string{"1", "2", "3", "5", "none", "4", "none", "2", "6", "3", "none"} {
		trees = append(trees, *newTree(t, map[string]string{"max_depth": depth}))
		require.NoError(t, trees[len(trees)-1].Fit(context.Background(), &model.Problem{Task: p.Task, Classes: p.Classes, Features: p.Features, X: x, Y: p.Y}))
	}
	k := trees[0].Outputs()
	for i := range x.Rows {
		want := make([]float64, k)
		for j := range trees {
			trees[j].AddRowTo(want, x.Row(i))
		}
		got := make([]float64, k)
		tree.AddRowToEach(trees, got, x.Row(i))
		require.Equal(t, want, got, "row %d", i)
	}
}
