package gbdt

import (
	"cmp"
	"math"
	"slices"
	"sync"
)

// fastNode is a node of the fast walk, 16 bytes: a step goes from node i
// to left + (thr < x), where x is value feat of the expanded row. A row of
// n features is expanded to 2n+1 values: value j is feature j with NaN as
// -Inf; value n+j is feature j with NaN as +Inf and +Inf as the largest
// float; value 2n is -Inf. A split whose missing values go left reads the
// first copy, one whose missing values go right the second (a threshold of
// +Inf becoming the largest float there), so that x <= thr decides every
// row, missing or infinite or not, as the node would. A leaf is its own
// left child, reads value 2n and holds its output in thr: nothing is below
// -Inf, so the walk stays, and the leaf's output is at hand in the node the
// walk ends on.
//
// The fast walk serves models whose splits are all numerical with
// thresholds that are not NaN, and not the largest float where missing
// values go right (only a corrupt file could hold either; the general walk
// reads such models as the node says).
type fastNode struct {
	thr  float64
	feat int32
	left int32
}

// chunkTrees bounds the trees of one chunk of a walk plan: the leaves a
// row reaches in a chunk are kept on the stack, then summed in tree order.
const chunkTrees = 256

// treeGroup is lanes trees walked in lockstep for one row. Lane l starts
// at node roots[l]; the leaf it reaches belongs to the tree at position
// slot[l] of the chunk. A group of fewer trees fills its other lanes with
// copies of its first lane, which reach the same leaf.
type treeGroup struct {
	roots [lanes]int32
	slot  [lanes]uint16
	steps int32
}

// treeChunk is up to chunkTrees consecutive trees of one output, walked as
// groups of trees of about the same depth, so that a group's steps (its
// deepest tree's depth) are few more than each of its trees needs.
type treeChunk struct {
	n      int
	groups []treeGroup
}

// plan is the prepared form of a fitted model's trees for prediction:
// built once after fitting or decoding, never serialised.
type plan struct {
	// fast holds the nodes of the fast walk, one per node of the model,
	// or is nil when the model needs the general walk.
	fast []fastNode
	// chunks[c] are the trees of output c for predictRow.
	chunks [][]treeChunk
}

// prepare derives what prediction needs from the nodes: each tree's depth
// and the plan.
func (f *fitted) prepare() {
	f.depth = treeDepths(f.nodes, f.roots)
	f.plan = plan{fast: fastNodes(f.nodes, f.nFeatures), chunks: make([][]treeChunk, f.nOut)}
	k := f.nOut
	for c := range k {
		var trees []int // of output c, in tree order
		for t := c; t < len(f.roots); t += k {
			trees = append(trees, t)
		}
		for len(trees) > 0 {
			n := min(len(trees), chunkTrees)
			f.plan.chunks[c] = append(f.plan.chunks[c], f.chunk(trees[:n]))
			trees = trees[n:]
		}
	}
}

// chunk groups the trees (indices into roots) deepest first.
func (f *fitted) chunk(trees []int) treeChunk {
	pos := make([]int, len(trees))
	for i := range pos {
		pos[i] = i
	}
	slices.SortStableFunc(pos, func(a, b int) int { return cmp.Compare(f.depth[trees[b]], f.depth[trees[a]]) })
	ch := treeChunk{n: len(trees)}
	for len(pos) > 0 {
		g := treeGroup{}
		for l := range lanes {
			p := pos[0] // lanes past the group's trees walk its first again
			if l < len(pos) {
				p = pos[l]
			}
			t := trees[p]
			g.roots[l], g.slot[l] = f.roots[t], uint16(p)
			g.steps = max(g.steps, f.depth[t])
		}
		ch.groups = append(ch.groups, g)
		pos = pos[min(lanes, len(pos)):]
	}
	return ch
}

// fastNodes returns the fast walk's nodes for rows of nf features, or nil
// when a node rules the fast walk out (see fastNode).
func fastNodes(nodes []node, nf int) []fastNode {
	fast := make([]fastNode, len(nodes))
	for i, nd := range nodes {
		if nd.left == int32(i) {
			fast[i] = fastNode{thr: nd.out, feat: int32(2 * nf), left: nd.left}
			continue
		}
		if nd.cat >= 0 || math.IsNaN(nd.thr) || nd.thr == math.MaxFloat64 && !nd.missingLeft {
			return nil
		}
		fast[i] = fastNode{thr: nd.thr, feat: nd.feature, left: nd.left}
		if !nd.missingLeft {
			fast[i].feat += int32(nf)
			fast[i].thr = min(nd.thr, math.MaxFloat64)
		}
	}
	return fast
}

// expanded is the length of a row of nf features expanded for the fast walk.
func expanded(nf int) int { return 2*nf + 1 }

// expand writes row's expanded(len(row)) values of the fast walk into dst.
func expand(dst, row []float64) {
	n := len(row)
	dst = dst[:expanded(n)]
	dst[2*n] = math.Inf(-1)
	for j, v := range row {
		lo, hi := v, v
		if v != v {
			lo, hi = math.Inf(-1), math.Inf(1)
		} else if v > math.MaxFloat64 {
			hi = math.MaxFloat64
		}
		dst[j], dst[n+j] = lo, hi
	}
}

// walkFast is walk on the fast nodes: lane l walks the expanded row at
// data[offs[l]:] from node at[l] for steps steps.
func walkFast(nodes []fastNode, at *[lanes]int32, data []float64, offs *[lanes]int, steps int32) {
	if useAsmWalk && steps > 0 {
		if !walkFastAsm(&nodes[0], len(nodes), at, &data[0], offs, steps) {
			panic("gbdt: node index out of range")
		}
		return
	}
	walkFastGo(nodes, at, data, offs, steps)
}

// walkRow is walkFast with every lane on the one expanded row data.
func walkRow(nodes []fastNode, at *[lanes]int32, data []float64, steps int32) {
	if useAsmWalk && steps > 0 {
		if !walkRowAsm(&nodes[0], len(nodes), at, &data[0], steps) {
			panic("gbdt: node index out of range")
		}
		return
	}
	var offs [lanes]int
	walkFastGo(nodes, at, data, &offs, steps)
}

// walkFastGo is walkFast in Go, the reference of the assembly walks.
func walkFastGo(nodes []fastNode, at *[lanes]int32, data []float64, offs *[lanes]int, steps int32) {
	for range steps {
		for l := range at {
			nd := &nodes[at[l]]
			at[l] = nd.left + b2i(nd.thr < data[offs[l]+int(nd.feat)])
		}
	}
}

// rowScratch holds expanded rows: for blocks of lanes rows, and for one row
// wider than stackFeatures.
var rowScratch = sync.Pool{New: func() any { return new([]float64) }}

// getRows returns scratch of at least n values from rowScratch; give it
// back with rowScratch.Put.
func getRows(n int) *[]float64 {
	p := rowScratch.Get().(*[]float64)
	if cap(*p) < n {
		*p = make([]float64, n)
	}
	*p = (*p)[:n]
	return p
}
