package gbdt

import (
	"math"

	"mlw.dev/model"
)

// node is one node of a compiled tree, 32 bytes. A split sends a row to its
// left child nodes[left] when its feature value x is NaN and missingLeft is
// set, or, for a numerical split (cat < 0), when x <= thr, or, for a
// categorical split, when the category x is in bitsets[cat]; otherwise to its
// right child nodes[left+1]. Siblings are adjacent so that a walk picks a
// child without a branch.
//
// A leaf holds its output (learning rate applied) in out and is its own left
// child, with threshold +Inf on feature 0 and missingLeft set: every row
// "goes left" and stays. A walk can therefore take a fixed number of steps,
// the tree's depth, which lets predictRows and predictRow walk several rows
// or trees in lockstep without a branch per node.
type node struct {
	thr         float64
	out         float64
	feature     int32
	left        int32
	cat         int32
	missingLeft bool
}

// leafNode returns the leaf with output v at index i.
func leafNode(i int32, v float64) node {
	return node{thr: math.Inf(1), out: v, left: i, cat: -1, missingLeft: true}
}

// bitset is a set of category codes 0..254.
type bitset [4]uint64

func (b *bitset) set(c int)      { b[c>>6] |= 1 << (c & 63) }
func (b *bitset) has(c int) bool { return b[c>>6]&(1<<(c&63)) != 0 }

// hasFloat reports whether category x is in the set. Unknown codes
// (negative, fractional, 255 and above) are in no set, so they go right, as
// in scikit-learn.
func (b *bitset) hasFloat(x float64) bool {
	if !(x >= 0 && x < missingBin) {
		return false
	}
	c := int(x)
	return float64(c) == x && b.has(c)
}

func b2i(b bool) int32 {
	var i int32
	if b {
		i = 1
	}
	return i
}

// treeValue returns the output of the tree rooted at nodes[i] for row.
func treeValue(nodes []node, bits []bitset, i int32, row []float64) float64 {
	for {
		nd := &nodes[i]
		if nd.left == i {
			return nd.out
		}
		x := row[nd.feature]
		gt := b2i(!(x <= nd.thr))
		if nd.cat >= 0 {
			gt = b2i(!bits[nd.cat].hasFloat(x))
		}
		i = nd.left + gt - b2i(x != x)&b2i(nd.missingLeft)
	}
}

// lanes is the number of walks run in lockstep: independent chains of loads
// that the processor overlaps (walk_amd64.s has one step per lane).
const lanes = 16

// walk walks the trees at at[l] for the rows at data[offs[l]:], l < lanes,
// for steps steps (at least the depth of every tree), leaving the leaves
// reached in at. A step takes the child left+gt-nl, where gt is 1 when x is
// not <= thr (NaN included) or not in the categorical split's set, and nl is
// 1 when x is NaN and NaN goes left: no branch but on the kind of split,
// which is predictable. Models the fast walk serves (walk.go) take it instead.
func walk(nodes []node, bits []bitset, at *[lanes]int32, data []float64, offs *[lanes]int, steps int32) {
	for range steps {
		for l := range at {
			nd := &nodes[at[l]]
			x := data[offs[l]+int(nd.feature)]
			gt := b2i(!(x <= nd.thr))
			if nd.cat >= 0 {
				gt = b2i(!bits[nd.cat].hasFloat(x))
			}
			at[l] = nd.left + gt - b2i(x != x)&b2i(nd.missingLeft)
		}
	}
}

// PredictTo writes X.Rows*Outputs() values into dst, row-major, and returns
// the slice written: the predicted target for regression, the class
// probabilities for classification. It allocates only when cap(dst) is too
// small and is safe for concurrent use. It panics if the model is not fitted
// or X has the wrong number of columns.
func (m *Model) PredictTo(dst []float64, X model.Matrix) []float64 {
	f := &m.fit
	if f.nOut == 0 {
		panic("gbdt: PredictTo on a model that is not fitted")
	}
	if X.Cols != f.nFeatures {
		panic("gbdt: X.Cols != number of features the model was fitted on")
	}
	out := m.Outputs()
	need := X.Rows * out
	if cap(dst) < need {
		dst = make([]float64, need)
	}
	dst = dst[:need]
	i := 0
	if X.Rows >= lanes {
		var xx []float64 // the expanded rows of the fast walk
		if f.plan.fast != nil {
			p := getRows(lanes * expanded(X.Cols))
			defer rowScratch.Put(p)
			xx = *p
		}
		for ; i+lanes <= X.Rows; i += lanes {
			f.predictRows(dst[i*out:(i+lanes)*out], X, i, xx)
		}
	}
	for ; i < X.Rows; i++ {
		f.predictRow(dst[i*out:(i+1)*out], X.Data[i*X.Cols:(i+1)*X.Cols])
	}
	return dst
}

// predictRows writes the predictions of the lanes rows X[i:i+lanes] into o,
// walking every tree for the rows in lockstep. Every row's raw score is the
// baseline plus the tree outputs in tree order, as in predictRow, so that a
// row's prediction does not depend on the rows around it. The fast walk
// expands the rows into xx (lanes*expanded(X.Cols) values); xx is nil for
// the general walk.
func (f *fitted) predictRows(o []float64, X model.Matrix, i int, xx []float64) {
	var offs [lanes]int
	data := X.Data
	for l := range offs {
		offs[l] = (i + l) * X.Cols
		if xx != nil {
			expand(xx[l*expanded(X.Cols):], X.Data[offs[l]:offs[l]+X.Cols])
			offs[l] = l * expanded(X.Cols)
		}
	}
	if xx != nil {
		data = xx
	}
	k := f.nOut
	var acc [lanes]float64
	var at [lanes]int32
	for c := range k {
		for l := range acc {
			acc[l] = f.baseline[c]
		}
		for t := c; t < len(f.roots); t += k {
			for l := range at {
				at[l] = f.roots[t]
			}
			if xx != nil {
				walkFast(f.plan.fast, &at, data, &offs, f.depth[t])
				for l, j := range at {
					acc[l] += f.plan.fast[j].thr
				}
			} else {
				walk(f.nodes, f.bitsets, &at, data, &offs, f.depth[t])
				for l, j := range at {
					acc[l] += f.nodes[j].out
				}
			}
		}
		if k == 1 {
			for l, r := range acc {
				f.output(o[l*f.outputs():(l+1)*f.outputs()], r)
			}
			return
		}
		for l, r := range acc {
			o[l*k+c] = r
		}
	}
	for l := range lanes {
		softmax(o[l*k : (l+1)*k])
	}
}

// stackFeatures bounds the features of a row that predictRow expands on
// the stack; wider rows take scratch from rowScratch.
const stackFeatures = 64

// predictRow writes the prediction of one row into o (len Outputs()),
// walking the plan's groups of trees in lockstep and adding the leaves'
// outputs in tree order.
func (f *fitted) predictRow(o, row []float64) {
	var buf [2*stackFeatures + 1]float64
	var xx []float64 // the expanded row of the fast walk
	if f.plan.fast != nil {
		if len(row) <= stackFeatures {
			xx = buf[:expanded(len(row))]
		} else {
			p := getRows(expanded(len(row)))
			defer rowScratch.Put(p)
			xx = *p
		}
		expand(xx, row)
	}
	var offs [lanes]int // the general walk: every lane reads row
	var leaf [chunkTrees]int32
	k := f.nOut
	for c := range k {
		r := f.baseline[c]
		for ci := range f.plan.chunks[c] {
			ch := &f.plan.chunks[c][ci]
			for gi := range ch.groups {
				g := &ch.groups[gi]
				at := g.roots
				if xx != nil {
					walkRow(f.plan.fast, &at, xx, g.steps)
				} else {
					walk(f.nodes, f.bitsets, &at, row, &offs, g.steps)
				}
				for l, s := range g.slot {
					leaf[s] = at[l]
				}
			}
			if xx != nil {
				for _, j := range leaf[:ch.n] {
					r += f.plan.fast[j].thr
				}
			} else {
				for _, j := range leaf[:ch.n] {
					r += f.nodes[j].out
				}
			}
		}
		if k == 1 {
			f.output(o, r)
			return
		}
		o[c] = r
	}
	softmax(o)
}

// outputs is Model.Outputs.
func (f *fitted) outputs() int {
	if f.task == model.Regression {
		return 1
	}
	return f.classes
}

// output writes the prediction for the raw score r of a one-output model.
func (f *fitted) output(o []float64, r float64) {
	if f.task == model.Regression {
		o[0] = r
		return
	}
	p := sigmoid(r)
	o[0], o[1] = 1-p, p
}

// softmax replaces raw scores by probabilities, in place.
func softmax(o []float64) {
	mx := math.Inf(-1)
	for _, v := range o {
		mx = max(mx, v)
	}
	var z float64
	for i, v := range o {
		o[i] = math.Exp(v - mx)
		z += o[i]
	}
	for i := range o {
		o[i] /= z
	}
}

// treeDepths returns the depth of every tree: the most steps from its root
// to a leaf. It walks iteratively, with stack as scratch.
func treeDepths(nodes []node, roots []int32) []int32 {
	depth := make([]int32, len(roots))
	type item struct{ i, d int32 }
	var stack []item
	for t, r := range roots {
		stack = append(stack[:0], item{r, 0})
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			nd := &nodes[it.i]
			if nd.left == it.i {
				depth[t] = max(depth[t], it.d)
				continue
			}
			stack = append(stack, item{nd.left, it.d + 1}, item{nd.left + 1, it.d + 1})
		}
	}
	return depth
}
