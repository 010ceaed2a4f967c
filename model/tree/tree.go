// Package tree implements CART decision trees for regression and binary and
// multiclass classification, with scikit-learn's hyperparameters, defaults and
// split rules (DecisionTreeClassifier and DecisionTreeRegressor).
//
// A split sends a row left when its feature value is at most the threshold.
// The best splitter sorts the node's rows by each candidate feature and tries
// every threshold halfway between consecutive distinct values; the random
// splitter (extremely randomised trees) draws one threshold per feature.
// Sorting works on per-feature ranks computed once per fit (Dataset), by radix
// sort for large nodes, so a node of n rows costs O(n log n) or less per
// feature and the inner loops allocate nothing.
//
// Missing values (NaN) are handled natively, like scikit-learn 1.3 and later:
// at each threshold the missing rows are tried on the left and on the right,
// a split "non-missing left, missing right" is tried too, and the direction
// is remembered; at prediction a NaN follows it. When a node saw no missing
// value of its split feature during training, NaN goes to the child that had
// more rows (the right one on a tie).
//
// Categorical features (model.Feature.Categorical) are treated as ordered
// numbers: the codes 0..Categories-1 are split by threshold like any other
// value. The feature pipeline one-hot encodes categories when their order
// carries no meaning.
//
// Differences from scikit-learn: the best splitter compares float64 values
// where scikit-learn converts X to float32 (a value equal to a threshold up to
// rounding still goes left, as in float32); the random splitter, like
// scikit-learn, works on float32 copies (rounded up) and draws float32
// thresholds, so prediction routes float64 values exactly as training split
// them; ties between equally good splits go to the first feature in a random
// order, as in scikit-learn, but the random streams differ, so a tree that
// depends on ties differs from scikit-learn's for the same seed; and the seed
// defaults to 0 rather than to a fresh entropy source.
package tree

import (
	"context"
	"errors"
	"fmt"

	"mlw.dev/model"
)

// Kind is the registry name of a decision tree.
const Kind = "tree"

// node is one node of a fitted tree, 16 bytes.
type node struct {
	threshold float64
	// feature is the split feature; its top bit is set when missing values
	// go left.
	feature uint32
	// child is the left child's index (the right child follows it) for an
	// internal node, and minus the leaf's index for a leaf.
	child int32
}

// missLeftBit marks node.feature when missing values go left.
const missLeftBit = 1 << 31

// Model is a CART decision tree, fitted in place:
//
//	var m tree.Model
//	m.Config.MaxDepth = 3
//	err := m.Fit(ctx, p)
//	proba := m.PredictTo(nil, X)
//
// A fitted Model is safe for concurrent use by PredictTo.
type Model struct {
	// Config holds the hyperparameters used by the next Fit. (The field cannot
	// be called Params: model.Configurable's Params method has that name.)
	Config Params

	task      model.Task
	outputs   int
	nFeatures int
	nodes     []node
	// values holds outputs values per leaf: class probabilities, or the
	// regression prediction.
	values      []float64
	importances []float64
}

var (
	_ model.Estimator   = (*Model)(nil)
	_ model.Importancer = (*Model)(nil)
)

// Kind returns "tree".
func (m *Model) Kind() string { return Kind }

// Outputs returns the number of values PredictTo writes per row: the number
// of classes for classification, 1 for regression, 0 before Fit.
func (m *Model) Outputs() int { return m.outputs }

// Task returns the task the model was fitted for, 0 before Fit.
func (m *Model) Task() model.Task { return m.task }

// NumFeatures returns the number of features the model was fitted on, 0
// before Fit.
func (m *Model) NumFeatures() int { return m.nFeatures }

// Fit grows the tree on p. It returns an error if p is invalid (see
// NewDataset), if the parameters do not apply to the task, or ctx.Err() if ctx
// is cancelled while growing.
func (m *Model) Fit(ctx context.Context, p *model.Problem) error {
	d, err := NewDataset(p, 1)
	if err != nil {
		return err
	}
	return m.FitDataset(ctx, d, nil, nil)
}

// FitDataset grows the tree on d with per-row weights w (nil means the
// problem's weights), reusing g's buffers (nil means fresh ones). Rows with a
// zero weight are left out, as in scikit-learn. A forest calls it for each tree
// with its bootstrap weights. It returns the same errors as Fit; it panics if
// len(w) != d.Rows().
func (m *Model) FitDataset(ctx context.Context, d *Dataset, w []float64, g *Grower) error {
	p := m.Config.WithDefaults(d.task)
	if err := p.Validate(d.task); err != nil {
		return err
	}
	if w == nil {
		w = d.weight
	} else if len(w) != d.rows {
		panic("tree: len(w) != d.Rows()")
	}
	if p.Criterion == Poisson {
		sum := 0.0
		for i, y := range d.target {
			if y < 0 {
				return fmt.Errorf("criterion poisson: row %d has the negative target %g", i, y)
			}
			if w == nil {
				sum += y
			} else {
				sum += w[i] * y
			}
		}
		if !(sum > 0) {
			return errors.New("criterion poisson: the targets' weighted sum is not positive")
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if g == nil {
		g = new(Grower)
	}
	g.reset(d, p, w)
	if len(g.samples) == 0 {
		return errors.New("no row has a positive weight")
	}
	if err := g.build(ctx); err != nil {
		return err
	}
	if p.CCPAlpha > 0 {
		g.prune(p.CCPAlpha)
	}
	m.task = d.task
	m.outputs = 1
	if d.task.IsClassification() {
		m.outputs = d.classes
	}
	m.nFeatures = d.cols
	m.compact(g)
	return nil
}

// compact turns the grown (and pruned) tree of g into the flat prediction
// layout, with children stored next to each other, and computes the feature
// importances.
func (m *Model) compact(g *Grower) {
	bn := g.nodes
	k := g.k
	// Fresh slices: a copy of the previous model may still be in use.
	leaves := (len(bn) + 1) / 2
	m.nodes = make([]node, 0, len(bn))
	m.values = make([]float64, 0, leaves*m.outputs)
	m.importances = make([]float64, m.nFeatures)
	type item struct{ b, o int32 }
	stack := []item{{0, 0}}
	m.nodes = append(m.nodes, node{})
	leaf := int32(0)
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		b := &bn[it.b]
		if b.left < 0 {
			m.nodes[it.o] = node{child: -leaf}
			leaf++
			v := g.vals[int(it.b)*k : int(it.b)*k+k]
			if g.cls {
				sum := 0.0
				for _, c := range v {
					sum += c
				}
				for _, c := range v {
					m.values = append(m.values, c/sum)
				}
			} else {
				m.values = append(m.values, v[0])
			}
			continue
		}
		l, r := &bn[b.left], &bn[b.right]
		m.importances[b.feature] += b.wN*b.impurity - l.wN*l.impurity - r.wN*r.impurity
		c := int32(len(m.nodes))
		m.nodes = append(m.nodes, node{}, node{})
		f := uint32(b.feature)
		if b.missLeft {
			f |= missLeftBit
		}
		m.nodes[it.o] = node{threshold: b.threshold, feature: f, child: c}
		stack = append(stack, item{b.right, c + 1}, item{b.left, c})
	}
	normalize(m.importances)
}

// normalize scales v to sum to 1, leaving it alone when the sum is not
// positive.
func normalize(v []float64) {
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	if sum > 0 {
		for i := range v {
			v[i] /= sum
		}
	}
}

// leaf returns the index of the leaf row falls in.
func (m *Model) leaf(row []float64) int {
	nodes := m.nodes
	i := int32(0)
	for {
		nd := &nodes[i]
		c := nd.child
		if c <= 0 {
			return int(-c)
		}
		i = nd.next(row[nd.feature&^missLeftBit])
	}
}

// next returns the child of the internal node nd that a row with value x
// of its feature goes to, without a branch (the comparison is
// unpredictable): the right one unless x <= threshold; a NaN goes left
// when the missLeftBit is set.
func (nd *node) next(x float64) int32 {
	right := int32(0)
	if !(x <= nd.threshold) {
		right = 1
	}
	if x != x {
		right = int32(nd.feature>>31) ^ 1
	}
	return nd.child + right
}

// PredictTo writes X.Rows*Outputs() values into dst, row-major: the class
// probabilities (the weighted class frequencies of the row's leaf) or the
// regression prediction. It allocates only when cap(dst) is too small and is
// safe for concurrent use. It panics if the model is not fitted or X has the
// wrong number of columns.
func (m *Model) PredictTo(dst []float64, X model.Matrix) []float64 {
	m.check(X)
	dst = resize(dst, X.Rows*m.outputs)
	clear(dst)
	m.AddPredictTo(dst, X)
	return dst
}

// AddRowTo adds the prediction for one row (len(row) features) to
// dst[:Outputs()]. A forest sums its trees' predictions with it; it allocates
// nothing and is safe for concurrent use.
func (m *Model) AddRowTo(dst, row []float64) {
	k := m.outputs
	l := m.leaf(row)
	v := m.values[l*k : (l+1)*k]
	for j, x := range v {
		dst[j] += x
	}
}

// rowLanes is the number of trees AddRowToEach walks at once.
const rowLanes = 8

// rowChunk bounds the trees of which AddRowToEach keeps the leaves on the
// stack before it adds their values in tree order.
const rowChunk = 256

// AddRowToEach adds the predictions of every tree for one row to
// dst[:Outputs()], in tree order, as calling AddRowTo tree after tree does
// (to the bit): a forest's prediction for a single row. It walks rowLanes
// trees at once, a lane starting the next tree when its tree reaches a leaf,
// so that the trees' memory accesses (a forest seldom fits in cache)
// overlap instead of waiting one after the other. The trees must have the
// same outputs and number of features; it allocates nothing and is safe
// for concurrent use.
func AddRowToEach(trees []Model, dst, row []float64) {
	var leaf [rowChunk]int32
	for start := 0; start < len(trees); start += rowChunk {
		ts := trees[start:min(start+rowChunk, len(trees))]
		var (
			tree  [rowLanes]int32  // the lane's tree in ts, -1 when idle
			nodes [rowLanes][]node // its nodes
			at    [rowLanes]int32  // its node
		)
		next, active := int32(0), 0
		for l := range rowLanes {
			tree[l] = -1
			if int(next) < len(ts) {
				tree[l], nodes[l] = next, ts[next].nodes
				next++
				active++
			}
		}
		for active > 0 {
			for l := range rowLanes {
				t := tree[l]
				if t < 0 {
					continue
				}
				nd := &nodes[l][at[l]]
				c := nd.child
				if c <= 0 {
					leaf[t] = -c
					at[l] = 0
					if int(next) < len(ts) {
						tree[l], nodes[l] = next, ts[next].nodes
						next++
					} else {
						tree[l] = -1
						active--
					}
					continue
				}
				at[l] = nd.next(row[nd.feature&^missLeftBit])
			}
		}
		for t := range ts {
			k := ts[t].outputs
			l := int(leaf[t])
			for j, x := range ts[t].values[l*k : (l+1)*k] {
				dst[j] += x
			}
		}
	}
}

// AddPredictTo adds the predictions for every row of X to dst, row-major
// (len(dst) >= X.Rows*Outputs()). A forest sums its trees' predictions with
// it. It walks several rows down the tree at once, so that their memory
// accesses overlap; it allocates nothing and is safe for concurrent use. It
// panics if the model is not fitted or X has the wrong number of columns.
func (m *Model) AddPredictTo(dst []float64, X model.Matrix) {
	m.check(X)
	k, cols := m.outputs, X.Cols
	if len(dst) < X.Rows*k {
		panic("tree: len(dst) < X.Rows*Outputs()")
	}
	nodes := m.nodes
	const lanes = 8
	var at [lanes]int32
	i := 0
	for ; i+lanes <= X.Rows; i += lanes {
		at = [lanes]int32{}
		for {
			moved := false
			for r := range lanes {
				nd := &nodes[at[r]]
				c := nd.child
				if c <= 0 {
					continue
				}
				moved = true
				at[r] = nd.next(X.Data[(i+r)*cols+int(nd.feature&^missLeftBit)])
			}
			if !moved {
				break
			}
		}
		for r := range lanes {
			l := int(-nodes[at[r]].child)
			v := m.values[l*k : (l+1)*k]
			d := dst[(i+r)*k : (i+r+1)*k]
			for j, x := range v {
				d[j] += x
			}
		}
	}
	for ; i < X.Rows; i++ {
		m.AddRowTo(dst[i*k:(i+1)*k], X.Data[i*cols:(i+1)*cols])
	}
}

// check panics unless m is fitted and X has its number of columns.
func (m *Model) check(X model.Matrix) {
	if len(m.nodes) == 0 {
		panic("tree: PredictTo on an unfitted model")
	}
	if X.Cols != m.nFeatures {
		panic(fmt.Sprintf("tree: X has %d columns, the model %d", X.Cols, m.nFeatures))
	}
	if len(X.Data) < X.Rows*X.Cols {
		panic("tree: len(X.Data) < X.Rows*X.Cols")
	}
}

// resize returns dst with length n, allocating only when cap(dst) < n.
func resize(dst []float64, n int) []float64 {
	if cap(dst) < n {
		return make([]float64, n)
	}
	return dst[:n]
}

// FeatureImportances returns the impurity-decrease importance of each
// feature (scikit-learn's feature_importances_): the weighted impurity
// decrease of the splits on it, normalised to sum to 1 (all zero for a
// single-leaf tree). The slice is a copy; it is nil before Fit.
func (m *Model) FeatureImportances() []float64 {
	if m.importances == nil {
		return nil
	}
	return append([]float64(nil), m.importances...)
}

// NodeCount returns the number of nodes, internal and leaves.
func (m *Model) NodeCount() int { return len(m.nodes) }

// LeafCount returns the number of leaves.
func (m *Model) LeafCount() int { return (len(m.nodes) + 1) / 2 }

// Depth returns the depth of the deepest leaf (0 for a single leaf, -1 before
// Fit).
func (m *Model) Depth() int {
	if len(m.nodes) == 0 {
		return -1
	}
	depth := make([]int32, len(m.nodes))
	deepest := int32(0)
	for i, nd := range m.nodes {
		if nd.child > 0 {
			depth[nd.child] = depth[i] + 1
			depth[nd.child+1] = depth[i] + 1
			deepest = max(deepest, depth[i]+1)
		}
	}
	return int(deepest)
}

// ParamSpecs lists the hyperparameters with their defaults.
func (m *Model) ParamSpecs() []model.ParamSpec { return ParamSpecs() }

// SetParam parses and sets one hyperparameter by scikit-learn's name; an
// unknown name or a value out of range gives an error naming the parameter
// and the allowed values.
func (m *Model) SetParam(name, value string) error { return m.Config.Set(name, value) }

// Params returns every hyperparameter's effective value. Before Fit the
// criterion is "auto" (gini for classification, squared_error for regression).
func (m *Model) Params() map[string]string { return m.Config.Values(m.task) }
