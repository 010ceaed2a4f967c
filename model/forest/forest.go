// Package forest implements random forests and extremely randomised trees
// (extra trees) for regression and binary and multiclass classification, with
// scikit-learn's hyperparameters and defaults (RandomForestClassifier,
// RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor), on top of
// the CART trees of model/tree.
//
// Trees grow in parallel on a bounded pool of NJobs workers. Each tree draws
// its bootstrap sample and its splits from its own random stream, derived from
// random_state and the tree's index, so the fitted forest and its bytes do not
// depend on the number of workers or on scheduling. Classification predicts
// the mean of the trees' class probabilities, regression the mean of their
// predictions, as scikit-learn does.
//
// As in scikit-learn, a bootstrap sample is given to a tree as row weights
// (how many times each row was drawn), so min_samples_leaf and
// min_samples_split count distinct rows.
package forest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"mlw.dev/model"
	"mlw.dev/model/tree"
)

// Variant is the kind of forest.
type Variant uint8

// Variants.
const (
	// RandomForest grows trees on bootstrap samples with the best split among
	// max_features random features (Kind "forest").
	RandomForest Variant = iota
	// ExtraTrees grows trees on all rows with one random threshold per
	// candidate feature (Kind "extratrees").
	ExtraTrees
)

// Registry names of the variants.
const (
	KindRandomForest = "forest"
	KindExtraTrees   = "extratrees"
)

// String returns the variant's registry name.
func (v Variant) String() string {
	if v == ExtraTrees {
		return KindExtraTrees
	}
	return KindRandomForest
}

// Model is a random forest or an extra-trees ensemble, fitted in place:
//
//	m := forest.Model{Variant: forest.ExtraTrees}
//	m.Config.NEstimators = 300
//	err := m.Fit(ctx, p)
//	proba := m.PredictTo(nil, X)
//
// A fitted Model is safe for concurrent use by PredictTo.
type Model struct {
	// Variant chooses a random forest (zero) or extra trees.
	Variant Variant
	// Config holds the hyperparameters used by the next Fit. (The field cannot
	// be called Params: model.Configurable's Params method has that name.)
	Config Params

	task        model.Task
	outputs     int
	nFeatures   int
	trees       []tree.Model
	importances []float64
	oob         float64
	hasOOB      bool
}

var (
	_ model.Estimator   = (*Model)(nil)
	_ model.Importancer = (*Model)(nil)
)

// Kind returns "forest" or "extratrees".
func (m *Model) Kind() string { return m.Variant.String() }

// Outputs returns the number of values PredictTo writes per row: the number
// of classes for classification, 1 for regression, 0 before Fit.
func (m *Model) Outputs() int { return m.outputs }

// Trees returns the fitted trees; they must not be modified.
func (m *Model) Trees() []tree.Model { return m.trees }

// OOBScore returns the out-of-bag score (accuracy for classification, R² for
// regression) computed by Fit when oob_score is set, and whether there is
// one. Rows that every tree drew are left out of it.
func (m *Model) OOBScore() (float64, bool) { return m.oob, m.hasOOB }

// FeatureImportances returns the mean of the trees' impurity-decrease
// importances (trees that are a single leaf left out), normalised to sum to
// 1, as scikit-learn's feature_importances_. The slice is a copy; it is nil
// before Fit.
func (m *Model) FeatureImportances() []float64 {
	if m.importances == nil {
		return nil
	}
	return append([]float64(nil), m.importances...)
}

// treeSeed returns tree i's seed, derived from the forest's seed by
// SplitMix64 so that neighbouring seeds and indices give unrelated streams.
func treeSeed(seed uint64, i int) uint64 {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Fit grows the forest on p. It returns an error if p is invalid (see
// tree.NewDataset) or the parameters do not apply to it, or ctx.Err() if ctx
// is cancelled; ctx is checked between trees and while each tree grows.
func (m *Model) Fit(ctx context.Context, p *model.Problem) error {
	prm := m.Config.WithDefaults(m.Variant, p.Task)
	if err := prm.Validate(p.Task); err != nil {
		return err
	}
	if m.Variant > ExtraTrees {
		return fmt.Errorf("unknown forest variant %d", m.Variant)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	jobs := prm.NJobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	d, err := tree.NewDataset(p, jobs)
	if err != nil {
		return err
	}
	n := p.X.Rows
	draws := 0
	if prm.Bootstrap == BootstrapOn {
		draws = n
		switch {
		case prm.MaxSamples > 1:
			draws = int(prm.MaxSamples)
			if draws > n {
				return fmt.Errorf("max_samples %d: more than the %d rows", draws, n)
			}
		case prm.MaxSamples > 0:
			draws = max(int(math.Round(prm.MaxSamples*float64(n))), 1)
		}
	}

	trees := make([]tree.Model, prm.NEstimators)
	var inBag [][]uint64 // per tree, a bitset of the rows it drew
	if prm.OOBScore {
		inBag = make([][]uint64, len(trees))
	}
	var (
		next     atomic.Int64
		stop     atomic.Bool // set by the first failing tree
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(jobs, len(trees)) {
		wg.Go(func() {
			var g tree.Grower
			var w []float64
			if draws > 0 {
				w = make([]float64, n)
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(trees) || stop.Load() || ctx.Err() != nil {
					return
				}
				seed := treeSeed(prm.Tree.Seed, i)
				if draws > 0 {
					bag := bootstrap(w, p.Weights, draws, seed)
					if inBag != nil {
						inBag[i] = bag
					}
				}
				t := &trees[i]
				t.Config = prm.Tree
				t.Config.Seed = seed
				if err := t.FitDataset(ctx, d, w, &g); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("tree %d: %w", i, err)
					}
					mu.Unlock()
					stop.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if firstErr != nil {
		return firstErr
	}

	out := Model{Variant: m.Variant, Config: m.Config, task: p.Task, nFeatures: p.X.Cols, trees: trees}
	out.outputs = p.Outputs()
	out.importances = meanImportances(trees, p.X.Cols)
	if inBag != nil {
		out.oob, out.hasOOB = oobScore(trees, inBag, p, jobs)
	}
	*m = out
	return nil
}

// bootstrap fills w with the bootstrap weights of one tree: how many of the
// draws picked each row (times the row's weight, if any), from the tree's
// own random stream. It returns the bitset of rows drawn at least once.
func bootstrap(w, weights []float64, draws int, seed uint64) []uint64 {
	clear(w)
	n := len(w)
	rng := rand.New(rand.NewPCG(seed, 0x6a09e667f3bcc909))
	for range draws {
		w[rng.IntN(n)]++
	}
	bag := make([]uint64, (n+63)/64)
	for i, c := range w {
		if c > 0 {
			bag[i/64] |= 1 << uint(i%64)
		}
		if weights != nil {
			w[i] = c * weights[i]
		}
	}
	return bag
}

// meanImportances averages the importances of the trees that split at least
// once and normalises the mean to sum to 1.
func meanImportances(trees []tree.Model, cols int) []float64 {
	imp := make([]float64, cols)
	for i := range trees {
		if trees[i].NodeCount() <= 1 {
			continue
		}
		for j, v := range trees[i].FeatureImportances() {
			imp[j] += v
		}
	}
	sum := 0.0
	for _, v := range imp {
		sum += v
	}
	if sum > 0 {
		for j := range imp {
			imp[j] /= sum
		}
	}
	return imp
}

// oobScore returns the accuracy (classification) or R² (regression) of the
// out-of-bag predictions: each row predicted by the mean of the trees that
// did not draw it. Rows every tree drew are left out; it reports false when
// no row is left. Rows are split among jobs workers, and each row sums its
// trees in order, so the score does not depend on scheduling.
func oobScore(trees []tree.Model, inBag [][]uint64, p *model.Problem, jobs int) (float64, bool) {
	n, k := p.X.Rows, p.Outputs()
	pred := make([]float64, n*k)
	counts := make([]int, n)
	var wg sync.WaitGroup
	chunk := (n + jobs - 1) / jobs
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		wg.Go(func() {
			for i := start; i < end; i++ {
				dst := pred[i*k : (i+1)*k]
				row := p.X.Row(i)
				for t := range trees {
					if inBag[t][i/64]>>uint(i%64)&1 != 0 {
						continue
					}
					trees[t].AddRowTo(dst, row)
					counts[i]++
				}
			}
		})
	}
	wg.Wait()
	used := 0
	if p.Task.IsClassification() {
		correct := 0
		for i, c := range counts {
			if c == 0 {
				continue
			}
			used++
			if argmax(pred[i*k:(i+1)*k]) == int(p.Y[i]) {
				correct++
			}
		}
		if used == 0 {
			return 0, false
		}
		return float64(correct) / float64(used), true
	}
	mean := 0.0
	for i, c := range counts {
		if c > 0 {
			used++
			mean += p.Y[i]
		}
	}
	if used == 0 {
		return 0, false
	}
	mean /= float64(used)
	var res, tot float64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		e := p.Y[i] - pred[i]/float64(c)
		res += e * e
		tot += (p.Y[i] - mean) * (p.Y[i] - mean)
	}
	if tot == 0 {
		return 0, false
	}
	return 1 - res/tot, true
}

// argmax returns the index of the largest value, the first on ties.
func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// predictBlock is how many rows PredictTo runs through each tree before
// moving to the next tree: a tree's nodes then serve many rows while they
// are in cache (one tree at a time, not the whole forest, must fit), and
// the block's rows stream from memory once per tree.
const predictBlock = 4096

// rowsTogether is the number of rows from which PredictTo walks rows
// together down each tree (tree.Model.AddPredictTo walks eight at a time).
const rowsTogether = 8

// PredictTo writes X.Rows*Outputs() values into dst, row-major: the mean of
// the trees' class probabilities, or of their regression predictions. It
// allocates only when cap(dst) is too small and is safe for concurrent use.
// It panics if the model is not fitted or X has the wrong number of columns.
func (m *Model) PredictTo(dst []float64, X model.Matrix) []float64 {
	if len(m.trees) == 0 {
		panic("forest: PredictTo on an unfitted model")
	}
	if X.Cols != m.nFeatures {
		panic(fmt.Sprintf("forest: X has %d columns, the model %d", X.Cols, m.nFeatures))
	}
	if len(X.Data) < X.Rows*X.Cols {
		panic("forest: len(X.Data) < X.Rows*X.Cols")
	}
	k := m.outputs
	n := X.Rows * k
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	clear(dst)
	if X.Rows < rowsTogether {
		// Too few rows to walk several down each tree: walk several trees
		// for each row instead.
		for i := range X.Rows {
			tree.AddRowToEach(m.trees, dst[i*k:(i+1)*k], X.Data[i*X.Cols:(i+1)*X.Cols])
		}
	} else {
		for start := 0; start < X.Rows; start += predictBlock {
			end := min(start+predictBlock, X.Rows)
			block := model.Matrix{Rows: end - start, Cols: X.Cols, Data: X.Data[start*X.Cols : end*X.Cols]}
			for t := range m.trees {
				m.trees[t].AddPredictTo(dst[start*k:end*k], block)
			}
		}
	}
	scale := 1 / float64(len(m.trees))
	for i := range dst {
		dst[i] *= scale
	}
	return dst
}

// ParamSpecs lists the hyperparameters with their defaults.
func (m *Model) ParamSpecs() []model.ParamSpec { return ParamSpecs() }

// SetParam parses and sets one hyperparameter by scikit-learn's name; an
// unknown name or a value out of range gives an error naming the parameter
// and the allowed values.
func (m *Model) SetParam(name, value string) error { return m.Config.Set(name, value) }

// Params returns every hyperparameter's effective value. Before Fit,
// criterion and max_features are "auto" unless set, since their defaults
// depend on the task.
func (m *Model) Params() map[string]string { return m.Config.Values(m.Variant, m.task) }
