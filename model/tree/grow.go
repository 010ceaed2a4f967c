package tree

import (
	"context"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

const (
	// featureThreshold is scikit-learn's FEATURE_THRESHOLD: two values closer
	// than this are never split apart, and a feature whose values in a node
	// span less than this is constant there.
	featureThreshold = 1e-7
	// epsilon is scikit-learn's EPSILON (the float64 machine epsilon): a node
	// with an impurity at most this is a leaf.
	epsilon = 0x1p-52
	// checkEvery is how many nodes are grown between checks of ctx.
	checkEvery = 256
	// radixMin is the smallest node sorted by radix instead of comparisons
	// (pdqsort is faster below it).
	radixMin = 256
)

// criterion codes, resolved once per fit.
const (
	critGini = iota
	critEntropy
	critMSE
	critFriedman
	critPoisson
)

// wy is a row's weight in the tree being grown and its target (the class code
// for classification). Grower.pay holds them in the order of Grower.samples,
// and applySplit partitions both alike, so that passes over a node's rows
// read them sequentially.
type wy struct{ w, y float64 }

// bnode is a node of the tree being grown.
type bnode struct {
	left, right int32 // children; -1 for a leaf
	feature     int32
	missLeft    bool
	threshold   float64
	impurity    float64
	wN          float64 // weighted number of rows
}

// split is a candidate split of a node.
type split struct {
	found     bool
	feature   int
	proxy     float64 // the criterion's proxy of the impurity decrease
	nm        int     // rows of the node where the feature is not missing
	pos       int     // non-missing rows sent left (best splitter)
	rLo, rHi  uint32  // ranks either side of the cut (best splitter)
	threshold float64
	missLeft  bool
	missOnly  bool // all non-missing rows left, the missing rows right
	// Set by applySplit.
	nLeft       int
	improvement float64
}

// frame is a node waiting to be grown.
type frame struct {
	start, end int32
	depth      int32
	parent     int32
	isLeft     bool
	constMask  uint64 // features known constant in the node (features < 64)
}

// frontier is a node of best-first growth waiting to be expanded.
type frontier struct {
	id          int32
	start, end  int32
	depth       int32
	leaf        bool
	improvement float64
	s           split
	constMask   uint64
}

// Grower holds the scratch buffers of tree growing and reuses them from one
// tree to the next, so that a forest worker allocates them once. The zero
// value is ready to use. A Grower is not safe for concurrent use.
type Grower struct {
	// The tree being grown and its resolved parameters.
	d                   *Dataset
	p                   Params
	k                   int // class count, or 2 (sum, sum of squares) for regression
	cls                 bool
	crit                int
	maxFeatures         int
	minLeaf             int
	minSplit            int
	maxDepth            int
	minWeightLeaf       float64
	totalW              float64
	minImpurityDecrease float64
	pcg                 rand.PCG
	rng                 *rand.Rand

	// Rows: a node owns samples[start:end] and pay[start:end].
	samples []uint32 // the node's rows, in increasing order within a node
	pay     []wy     // the weight and target of each row of samples

	// Scratch.
	right      []uint32    // applySplit
	payR       []wy        // applySplit
	vals32     []float32   // evalRandom
	buf        [2][]uint64 // sort keys, indexed by curB and tmpB
	curB, tmpB int
	feats      []int
	counts     []int32
	tot        []float64 // the node's statistics
	left       []float64
	miss       []float64
	tmp        []float64

	// Output.
	nodes []bnode
	vals  []float64 // k values per node: class weights, or the mean (regression)
	stack []frame
	heap  []frontier
}

// reset prepares g for growing a tree on d with row weights w (nil: all 1).
func (g *Grower) reset(d *Dataset, p Params, w []float64) {
	g.d, g.p = d, p
	g.cls = d.task.IsClassification()
	g.k = 2
	if g.cls {
		g.k = d.classes
	}
	switch p.Criterion {
	case Gini:
		g.crit = critGini
	case Entropy, LogLoss:
		g.crit = critEntropy
	case SquaredError:
		g.crit = critMSE
	case FriedmanMSE:
		g.crit = critFriedman
	case Poisson:
		g.crit = critPoisson
	}
	g.maxFeatures = p.MaxFeatures.Resolve(d.cols)
	g.minLeaf = p.MinSamplesLeaf
	g.minSplit = max(p.MinSamplesSplit, 2*p.MinSamplesLeaf)
	g.maxDepth = p.MaxDepth
	if g.maxDepth == 0 {
		g.maxDepth = math.MaxInt32
	}
	g.minImpurityDecrease = p.MinImpurityDecrease
	if g.rng == nil {
		g.rng = rand.New(&g.pcg)
	}
	g.pcg.Seed(p.Seed, 0x9e3779b97f4a7c15)

	n := d.rows
	g.samples = g.samples[:0]
	g.pay = g.pay[:0]
	g.totalW = 0
	for i := range n {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		if wi > 0 {
			g.samples = append(g.samples, uint32(i))
			g.pay = append(g.pay, wy{w: wi, y: d.target[i]})
			g.totalW += wi
		}
	}
	g.minWeightLeaf = p.MinWeightFractionLeaf * g.totalW
	m := len(g.samples)
	for i := range g.buf {
		g.buf[i] = grow(g.buf[i], m)
	}
	g.curB, g.tmpB = 0, 1
	g.right = grow(g.right, m)[:0]
	g.payR = grow(g.payR, m)[:0]
	if p.Splitter == Random {
		g.vals32 = grow(g.vals32, m)
	}
	g.feats = grow(g.feats, d.cols)
	g.counts = grow(g.counts, 1<<11)
	g.tot = grow(g.tot, g.k)
	g.left = grow(g.left, g.k)
	g.miss = grow(g.miss, g.k)
	g.tmp = grow(g.tmp, g.k)
	g.nodes = g.nodes[:0]
	g.vals = g.vals[:0]
	g.stack = g.stack[:0]
	g.heap = g.heap[:0]
}

// grow returns s with length n, reallocating only when it is too short.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// build grows the tree depth-first, or best-first when MaxLeafNodes is set.
func (g *Grower) build(ctx context.Context) error {
	root := frame{start: 0, end: int32(len(g.samples)), parent: -1}
	if g.p.MaxLeafNodes > 0 {
		return g.buildBestFirst(ctx, root)
	}
	g.stack = append(g.stack, root)
	for count := 0; len(g.stack) > 0; count++ {
		if count%checkEvery == checkEvery-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		fr := g.stack[len(g.stack)-1]
		g.stack = g.stack[:len(g.stack)-1]
		id, s, mask, leaf := g.addNode(fr)
		if leaf {
			continue
		}
		g.setSplit(id, &s)
		pos := fr.start + int32(s.nLeft)
		g.stack = append(g.stack,
			frame{start: pos, end: fr.end, depth: fr.depth + 1, parent: id, constMask: mask},
			frame{start: fr.start, end: pos, depth: fr.depth + 1, parent: id, isLeft: true, constMask: mask})
	}
	return nil
}

// buildBestFirst grows the tree expanding the node with the largest
// improvement first, up to MaxLeafNodes leaves (scikit-learn's
// BestFirstTreeBuilder).
func (g *Grower) buildBestFirst(ctx context.Context, root frame) error {
	g.pushFrontier(root)
	maxSplits := g.p.MaxLeafNodes - 1
	for count := 0; len(g.heap) > 0; count++ {
		if count%checkEvery == checkEvery-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		f := g.popHeap()
		if f.leaf || maxSplits <= 0 {
			continue
		}
		maxSplits--
		g.setSplit(f.id, &f.s)
		pos := f.start + int32(f.s.nLeft)
		g.pushFrontier(frame{start: f.start, end: pos, depth: f.depth + 1, parent: f.id, isLeft: true, constMask: f.constMask})
		g.pushFrontier(frame{start: pos, end: f.end, depth: f.depth + 1, parent: f.id, constMask: f.constMask})
	}
	return nil
}

// pushFrontier adds the node fr, evaluates its split and queues it.
func (g *Grower) pushFrontier(fr frame) {
	id, s, mask, leaf := g.addNode(fr)
	f := frontier{id: id, start: fr.start, end: fr.end, depth: fr.depth, leaf: leaf, s: s, constMask: mask}
	if !leaf {
		f.improvement = s.improvement
	}
	g.heap = append(g.heap, f)
	// Sift up: larger improvement first, then lower id.
	i := len(g.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !g.heapLess(i, p) {
			break
		}
		g.heap[i], g.heap[p] = g.heap[p], g.heap[i]
		i = p
	}
}

// heapLess reports whether heap entry i comes out before entry j.
func (g *Grower) heapLess(i, j int) bool {
	a, b := &g.heap[i], &g.heap[j]
	if a.improvement != b.improvement {
		return a.improvement > b.improvement
	}
	return a.id < b.id
}

// popHeap removes and returns the first frontier node.
func (g *Grower) popHeap() frontier {
	h := g.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	g.heap = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		c := l
		if r := l + 1; r < last && g.heapLess(r, l) {
			c = r
		}
		if !g.heapLess(c, i) {
			break
		}
		g.heap[i], g.heap[c] = g.heap[c], g.heap[i]
		i = c
	}
	return top
}

// setSplit turns node id into an internal node with split s.
func (g *Grower) setSplit(id int32, s *split) {
	nd := &g.nodes[id]
	nd.feature = int32(s.feature)
	nd.threshold = s.threshold
	nd.missLeft = s.missLeft
}

// addNode appends the node fr, links it to its parent and, unless it is a
// leaf, finds and applies its best split. It returns the node's id, the split,
// the features known constant in its children, and whether it is a leaf.
func (g *Grower) addNode(fr frame) (int32, split, uint64, bool) {
	start, end := int(fr.start), int(fr.end)
	n := end - start
	wN, imp := g.nodeStats(start, end)
	id := int32(len(g.nodes))
	g.nodes = append(g.nodes, bnode{left: -1, right: -1, feature: -1, impurity: imp, wN: wN})
	if g.cls {
		g.vals = append(g.vals, g.tot...)
	} else {
		g.vals = append(g.vals, g.tot[0]/wN, 0)
	}
	if fr.parent >= 0 {
		if fr.isLeft {
			g.nodes[fr.parent].left = id
		} else {
			g.nodes[fr.parent].right = id
		}
	}
	leaf := int(fr.depth) >= g.maxDepth || n < g.minSplit || wN < 2*g.minWeightLeaf || imp <= epsilon
	var s split
	mask := fr.constMask
	if !leaf {
		s, mask = g.findSplit(start, end, fr.constMask)
		if s.found {
			g.applySplit(start, end, &s, wN, imp)
		}
		leaf = !s.found || s.improvement+epsilon < g.minImpurityDecrease
	}
	return id, s, mask, leaf
}

// nodeStats fills g.tot with the node's class weights (classification) or
// its weighted sum and sum of squares (regression), and returns its weight
// and impurity.
func (g *Grower) nodeStats(start, end int) (wN, imp float64) {
	tot := g.tot
	clear(tot)
	pay := g.pay[start:end]
	if g.cls {
		for _, e := range pay {
			tot[int(e.y)] += e.w
			wN += e.w
		}
		return wN, g.classImpurity(tot, wN)
	}
	var sum, sq float64
	for _, e := range pay {
		sum += e.w * e.y
		sq += e.w * e.y * e.y
		wN += e.w
	}
	tot[0], tot[1] = sum, sq
	if g.crit == critPoisson {
		return wN, poissonLoss(pay, sum, wN)
	}
	return wN, sq/wN - (sum/wN)*(sum/wN)
}

// classImpurity returns the Gini impurity or the entropy (base 2) of class
// weights c summing to w.
func (g *Grower) classImpurity(c []float64, w float64) float64 {
	if g.crit == critEntropy {
		h := 0.0
		for _, v := range c {
			if v > 0 {
				p := v / w
				h -= p * math.Log2(p)
			}
		}
		return h
	}
	sq := 0.0
	for _, v := range c {
		sq += v * v
	}
	return 1 - sq/(w*w)
}

// poissonLoss returns the mean half Poisson deviance of the rows around
// their weighted mean sum/w, as scikit-learn's Poisson criterion.
func poissonLoss(pay []wy, sum, w float64) float64 {
	mean := sum / w
	loss := 0.0
	for _, e := range pay {
		if e.y > 0 {
			loss += e.w * e.y * math.Log(e.y/mean)
		}
	}
	return loss / w
}

// findSplit returns the best split of the node's rows samples[start:end]
// among the features drawn for it, and the features known constant in the
// node.
func (g *Grower) findSplit(start, end int, constMask uint64) (split, uint64) {
	best := split{proxy: math.Inf(-1)}
	p := g.d.cols
	feats := g.feats
	for i := range feats {
		feats[i] = i
	}
	random := g.p.Splitter == Random
	visited, nonConst := 0, 0
	for i := 0; i < p; i++ {
		if visited >= g.maxFeatures && nonConst > 0 {
			break
		}
		// Draw the features in a random order even when all are considered:
		// as in scikit-learn, ties between equally good splits go to the
		// first feature drawn.
		if i < p-1 {
			j := i + g.rng.IntN(p-i)
			feats[i], feats[j] = feats[j], feats[i]
		}
		f := feats[i]
		visited++
		if f < 64 && constMask>>uint(f)&1 != 0 {
			continue
		}
		var constant bool
		if random {
			constant = g.evalRandom(f, start, end, &best)
		} else {
			constant = g.evalBest(f, start, end, &best)
		}
		if constant {
			if f < 64 {
				constMask |= 1 << uint(f)
			}
			continue
		}
		nonConst++
	}
	if best.found && !random {
		switch {
		case best.missOnly:
			best.threshold = math.Inf(1)
		default:
			best.threshold = midpoint(g.d.uniq[best.feature][best.rLo], g.d.uniq[best.feature][best.rHi])
		}
	}
	return best, constMask
}

// midpoint returns the threshold between consecutive values a < b:
// scikit-learn's, their mean (a when the mean rounds to b or overflows),
// raised by a relative 2⁻⁴⁰ while it stays below b. A value equal to the mean
// up to rounding then goes left, as it does in scikit-learn, which compares
// float32 copies of the values: on a feature that is a scaled grid (integer
// codes times a constant, such as diabetes's), a value halfway between two
// training values would otherwise go left or right by one ulp of rounding.
func midpoint(a, b float64) float64 {
	t := a/2 + b/2
	if t == b || math.IsInf(t, 0) {
		t = a
	}
	if math.IsInf(t, 0) {
		return t
	}
	if up := t + math.Abs(t)*0x1p-40; up < b {
		return up
	}
	return t
}

// gather writes the keys (rank<<32 | j) of feature f for the node's rows
// samples[start+j] into g.buf[g.curB]: the non-missing ones first, the
// missing ones at the end.
// It returns the number of non-missing rows and their smallest and largest
// rank.
func (g *Grower) gather(f, start, end int) (nm int, lo, hi uint32) {
	d := g.d
	rank := d.rank[f*d.rows : (f+1)*d.rows]
	samples := g.samples[start:end]
	cur := g.buf[g.curB][:len(samples)]
	lo, hi = math.MaxUint32, 0
	if !d.hasNaN[f] {
		for j, s := range samples {
			r := rank[s]
			cur[j] = uint64(r)<<32 | uint64(j)
			lo = min(lo, r)
			hi = max(hi, r)
		}
		return len(samples), lo, hi
	}
	back := len(samples)
	for j, s := range samples {
		r := rank[s]
		if r == missingRank {
			back--
			cur[back] = uint64(r)<<32 | uint64(j)
			continue
		}
		cur[nm] = uint64(r)<<32 | uint64(j)
		nm++
		lo = min(lo, r)
		hi = max(hi, r)
	}
	return nm, lo, hi
}

// missStats fills g.miss with the statistics of the rows in keys (the
// missing ones; pay is the node's payload) and returns their weight.
func (g *Grower) missStats(keys []uint64, pay []wy) float64 {
	miss := g.miss
	clear(miss)
	w := 0.0
	for _, key := range keys {
		e := pay[uint32(key)]
		w += e.w
		if g.cls {
			miss[int(e.y)] += e.w
		} else {
			miss[0] += e.w * e.y
		}
	}
	return w
}

// sortCur sorts the first nm keys of g.buf[g.curB] by rank, keeping the
// missing keys after them.
func (g *Grower) sortCur(nm, n int, lo, hi uint32) {
	cur := g.buf[g.curB][:n]
	keys := cur[:nm]
	if nm < radixMin {
		slices.Sort(keys)
		return
	}
	span := bits.Len32(hi - lo)
	if span == 0 {
		return
	}
	digitMax := 11
	if nm < 2048 {
		digitMax = 8 // fewer buckets to clear and scan
	}
	passes := (span + digitMax - 1) / digitMax
	digit := uint((span + passes - 1) / passes)
	mask := uint64(1)<<digit - 1
	src, dst := keys, g.buf[g.tmpB][:nm]
	counts := g.counts[:1<<digit]
	base := uint64(lo)
	for pass := range passes {
		shift := uint(pass) * digit
		clear(counts)
		for _, k := range src {
			counts[(k>>32-base)>>shift&mask]++
		}
		sum := int32(0)
		for i, c := range counts {
			counts[i], sum = sum, sum+c
		}
		for _, k := range src {
			b := (k>>32 - base) >> shift & mask
			dst[counts[b]] = k
			counts[b]++
		}
		src, dst = dst, src
	}
	if passes%2 == 1 {
		// The sorted keys are in the tmp buffer: move the missing keys there
		// too and swap the buffers' roles.
		tmp := g.buf[g.tmpB][:n]
		copy(tmp[nm:], cur[nm:])
		g.curB, g.tmpB = g.tmpB, g.curB
	}
}

// evalBest scans every threshold of feature f in the node and updates best.
// It reports whether the feature is constant in the node.
func (g *Grower) evalBest(f, start, end int, best *split) (constant bool) {
	n := end - start
	pay := g.pay[start:end]
	nm, lo, hi := g.gather(f, start, end)
	nMiss := n - nm
	uniq := g.d.uniq[f]
	if nm == 0 {
		return true
	}
	flat := uniq[hi] <= uniq[lo]+featureThreshold
	if flat && nMiss == 0 {
		return true
	}
	wMiss := 0.0
	if nMiss > 0 {
		wMiss = g.missStats(g.buf[g.curB][nm:n], pay)
	}
	if !flat {
		g.sortCur(nm, n, lo, hi)
		switch {
		case g.cls && g.k == 2 && g.crit == critGini && nMiss == 0:
			g.scanGini2(f, n, pay, best)
		case g.cls:
			g.scanClass(f, n, nm, wMiss, pay, best)
		default:
			g.scanReg(f, n, nm, wMiss, pay, best)
		}
	}
	if nMiss > 0 && nm >= g.minLeaf && nMiss >= g.minLeaf {
		// All non-missing rows left, the missing ones right.
		g.evalMissOnly(f, n, nm, wMiss, best)
	}
	return false
}

// evalMissOnly evaluates the split sending the non-missing rows left and the
// missing ones right, records it in best if it is better and reports whether
// it was.
func (g *Grower) evalMissOnly(f, n, nm int, wMiss float64, best *split) bool {
	wN := g.nodes[len(g.nodes)-1].wN
	wL, wR := wN-wMiss, wMiss
	if wL < g.minWeightLeaf || wR < g.minWeightLeaf || wL <= 0 || wR <= 0 {
		return false
	}
	l := g.tmp
	for k := range l {
		l[k] = g.tot[k] - g.miss[k]
	}
	var proxy float64
	if g.cls {
		proxy = g.classProxy(l, wL, wR)
	} else {
		proxy = g.regProxy(l[0], wL, wR)
	}
	if proxy > best.proxy {
		*best = split{found: true, feature: f, proxy: proxy, nm: nm, pos: nm, missOnly: true, rLo: math.MaxUint32}
		return true
	}
	return false
}

// classProxy returns the criterion's proxy of the impurity decrease of a
// split whose left child has class weights l (summing to wL); the right child
// has g.tot - l.
func (g *Grower) classProxy(l []float64, wL, wR float64) float64 {
	tot := g.tot[:len(l)]
	if g.crit == critEntropy {
		var hl, hr float64
		for k, v := range l {
			if v > 0 {
				hl -= v * math.Log2(v/wL)
			}
			if r := tot[k] - v; r > 0 {
				hr -= r * math.Log2(r/wR)
			}
		}
		return -(hl + hr)
	}
	var sl, sr float64
	for k, v := range l {
		r := tot[k] - v
		sl += v * v
		sr += r * r
	}
	return sl/wL + sr/wR
}

// regProxy returns the criterion's proxy of the impurity decrease of a split
// whose left child has weighted target sum sL and weight wL.
func (g *Grower) regProxy(sL, wL, wR float64) float64 {
	sR := g.tot[0] - sL
	switch g.crit {
	case critFriedman:
		d := wR*sL - wL*sR
		return d * d / (wL * wR)
	case critPoisson:
		if sL <= epsilon || sR <= epsilon {
			return math.Inf(-1)
		}
		return sL*math.Log(sL/wL) + sR*math.Log(sR/wR)
	}
	return sL*sL/wL + sR*sR/wR
}

// scanGini2 is scanClass for the common case of binary classification with
// the Gini criterion and no missing value, with the proxy inlined:
// Σ_k l_k²/w_L + Σ_k r_k²/w_R.
func (g *Grower) scanGini2(f, n int, pay []wy, best *split) {
	keys := g.buf[g.curB][:n]
	uniq := g.d.uniq[f]
	checkClose := g.d.close[f]
	wN := g.nodes[len(g.nodes)-1].wN
	t1 := g.tot[1]
	lo, hi := g.minLeaf, n-g.minLeaf // a split needs lo <= nL <= hi
	minW := g.minWeightLeaf
	bestProxy := best.proxy
	bestJ := -1
	wL, l1 := 0.0, 0.0
	for j := 0; j < n-1; j++ {
		key := keys[j]
		e := pay[uint32(key)]
		wL += e.w
		l1 += e.w * e.y
		nL := j + 1
		if nL < lo {
			continue
		}
		if nL > hi {
			break
		}
		r, rn := uint32(key>>32), uint32(keys[j+1]>>32)
		if r == rn || checkClose && uniq[rn] <= uniq[r]+featureThreshold {
			continue
		}
		wR := wN - wL
		if wL < minW || wR < minW || wR <= 0 {
			continue
		}
		l0 := wL - l1
		r1 := t1 - l1
		r0 := wR - r1
		if proxy := (l0*l0+l1*l1)/wL + (r0*r0+r1*r1)/wR; proxy > bestProxy {
			bestProxy, bestJ = proxy, j
		}
	}
	if bestJ >= 0 {
		*best = split{found: true, feature: f, proxy: bestProxy, nm: n, pos: bestJ + 1,
			rLo: uint32(keys[bestJ] >> 32), rHi: uint32(keys[bestJ+1] >> 32)}
	}
}

// scanClass scans the sorted keys of a classification node for the best
// threshold, trying the missing rows on either side, and updates best.
func (g *Grower) scanClass(f, n, nm int, wMiss float64, pay []wy, best *split) {
	keys := g.buf[g.curB][:nm]
	uniq := g.d.uniq[f]
	checkClose := g.d.close[f]
	l := g.left
	clear(l)
	tmp := g.tmp
	wN := g.nodes[len(g.nodes)-1].wN
	nMiss := n - nm
	minLeaf, minW := g.minLeaf, g.minWeightLeaf
	wL := 0.0
	for j := 0; j < nm-1; j++ {
		key := keys[j]
		e := pay[uint32(key)]
		l[int(e.y)] += e.w
		wL += e.w
		r, rn := uint32(key>>32), uint32(keys[j+1]>>32)
		if r == rn {
			continue
		}
		nL := j + 1
		okR := nL >= minLeaf && n-nL >= minLeaf
		okL := nMiss > 0 && nL+nMiss >= minLeaf && n-nL-nMiss >= minLeaf
		if !okR && !okL || checkClose && uniq[rn] <= uniq[r]+featureThreshold {
			continue
		}
		if okR {
			if wR := wN - wL; wL >= minW && wR >= minW && wR > 0 {
				if proxy := g.classProxy(l, wL, wR); proxy > best.proxy {
					*best = split{found: true, feature: f, proxy: proxy, nm: nm, pos: nL, rLo: r, rHi: rn}
				}
			}
		}
		if okL {
			wL2 := wL + wMiss
			if wR := wN - wL2; wL2 >= minW && wR >= minW && wR > 0 {
				for k := range tmp {
					tmp[k] = l[k] + g.miss[k]
				}
				if proxy := g.classProxy(tmp, wL2, wR); proxy > best.proxy {
					*best = split{found: true, feature: f, proxy: proxy, nm: nm, pos: nL, rLo: r, rHi: rn, missLeft: true}
				}
			}
		}
	}
}

// scanReg is scanClass for regression.
func (g *Grower) scanReg(f, n, nm int, wMiss float64, pay []wy, best *split) {
	keys := g.buf[g.curB][:nm]
	uniq := g.d.uniq[f]
	checkClose := g.d.close[f]
	wN := g.nodes[len(g.nodes)-1].wN
	nMiss := n - nm
	sMiss := g.miss[0]
	minLeaf, minW := g.minLeaf, g.minWeightLeaf
	wL, sL := 0.0, 0.0
	for j := 0; j < nm-1; j++ {
		key := keys[j]
		e := pay[uint32(key)]
		wL += e.w
		sL += e.w * e.y
		r, rn := uint32(key>>32), uint32(keys[j+1]>>32)
		if r == rn {
			continue
		}
		nL := j + 1
		okR := nL >= minLeaf && n-nL >= minLeaf
		okL := nMiss > 0 && nL+nMiss >= minLeaf && n-nL-nMiss >= minLeaf
		if !okR && !okL || checkClose && uniq[rn] <= uniq[r]+featureThreshold {
			continue
		}
		if okR {
			if wR := wN - wL; wL >= minW && wR >= minW && wR > 0 {
				if proxy := g.regProxy(sL, wL, wR); proxy > best.proxy {
					*best = split{found: true, feature: f, proxy: proxy, nm: nm, pos: nL, rLo: r, rHi: rn}
				}
			}
		}
		if okL {
			wL2 := wL + wMiss
			if wR := wN - wL2; wL2 >= minW && wR >= minW && wR > 0 {
				if proxy := g.regProxy(sL+sMiss, wL2, wR); proxy > best.proxy {
					*best = split{found: true, feature: f, proxy: proxy, nm: nm, pos: nL, rLo: r, rHi: rn, missLeft: true}
				}
			}
		}
	}
}

// evalRandom draws one threshold of feature f uniformly between its smallest
// and largest value in the node, evaluates it with the missing rows on either
// side and updates best. It reports whether the feature is constant in the
// node. Like scikit-learn's RandomSplitter it works on the feature's values:
// two passes over the node's rows, no sorting.
func (g *Grower) evalRandom(f, start, end int, best *split) (constant bool) {
	samples := g.samples[start:end]
	n := len(samples)
	col := g.d.column(f)
	vals := g.vals32[:n]
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	nMiss := 0
	for j, s := range samples {
		v := col[s]
		vals[j] = v
		switch {
		case v != v:
			nMiss++
		case v < lo:
			lo = v
			if v > hi {
				hi = v
			}
		case v > hi:
			hi = v
		}
	}
	nm := n - nMiss
	if nm == 0 {
		return true
	}
	flat := float64(hi) <= float64(lo)+featureThreshold
	if flat && nMiss == 0 {
		return true
	}
	thr := float32(math.Inf(1)) // flat: only "non-missing left, missing right"
	if !flat {
		// A float32 threshold (see Dataset.column) in [lo, hi); lo when the
		// draw rounds up to hi or the range is infinite.
		thr = float32(float64(lo) + (float64(hi)-float64(lo))*g.rng.Float64())
		if !(thr >= lo && thr < hi) {
			thr = lo
		}
	}
	l, miss := g.left, g.miss
	clear(l)
	clear(miss)
	wL, wMiss, nL := 0.0, 0.0, 0
	for j, e := range g.pay[start:end] {
		v := vals[j]
		switch {
		case v <= thr:
			wL += e.w
			nL++
			if g.cls {
				l[int(e.y)] += e.w
			} else {
				l[0] += e.w * e.y
			}
		case v != v:
			wMiss += e.w
			if g.cls {
				miss[int(e.y)] += e.w
			} else {
				miss[0] += e.w * e.y
			}
		}
	}
	if flat {
		if nm >= g.minLeaf && nMiss >= g.minLeaf && g.evalMissOnly(f, n, nm, wMiss, best) {
			best.threshold = float64(thr)
		}
		return false
	}
	wN := g.nodes[len(g.nodes)-1].wN
	minLeaf, minW := g.minLeaf, g.minWeightLeaf
	for _, missLeft := range [2]bool{false, true} {
		if missLeft && nMiss == 0 {
			break
		}
		nL2, wL2 := nL, wL
		lv := l
		if missLeft {
			nL2 += nMiss
			wL2 += wMiss
			lv = g.tmp
			for k := range lv {
				lv[k] = l[k] + miss[k]
			}
		}
		wR := wN - wL2
		if nL2 < minLeaf || n-nL2 < minLeaf || wL2 < minW || wR < minW || wL2 <= 0 || wR <= 0 {
			continue
		}
		var proxy float64
		if g.cls {
			proxy = g.classProxy(lv, wL2, wR)
		} else {
			proxy = g.regProxy(lv[0], wL2, wR)
		}
		if proxy > best.proxy {
			*best = split{found: true, feature: f, proxy: proxy, nm: nm, pos: nL, threshold: float64(thr), missLeft: missLeft}
		}
	}
	return false
}

// applySplit partitions the node's rows by split s, keeping them in
// increasing row order (so that later gathers read the rank columns
// forwards), decides where missing values go when the node had none, and
// computes the split's impurity improvement.
func (g *Grower) applySplit(start, end int, s *split, wN, imp float64) {
	n := end - start
	dst := g.samples[start:end]
	nm := s.nm
	pay := g.pay[start:end]
	right, payR := g.right[:0], g.payR[:0]
	o := 0
	missLeft := s.missLeft
	if g.p.Splitter == Random {
		// A row goes left when its value is at most the threshold, or when
		// it is missing and missing values go left.
		col := g.d.column(s.feature)
		thr := float32(s.threshold)
		for j, r := range dst {
			if v := col[r]; v <= thr || v != v && missLeft {
				dst[o], pay[o] = r, pay[j]
				o++
			} else {
				right, payR = append(right, r), append(payR, pay[j])
			}
		}
	} else {
		// The same by rank: the threshold lies between ranks rLo and rHi.
		cut := s.rLo
		if s.missOnly {
			cut = missingRank - 1
		}
		rank := g.d.rank[s.feature*g.d.rows : (s.feature+1)*g.d.rows]
		for j, r := range dst {
			if k := rank[r]; k <= cut || k == missingRank && missLeft {
				dst[o], pay[o] = r, pay[j]
				o++
			} else {
				right, payR = append(right, r), append(payR, pay[j])
			}
		}
	}
	copy(dst[o:], right)
	copy(pay[o:], payR)
	g.right, g.payR = right, payR
	s.nLeft = o
	if nm == n {
		// No missing value in training: they follow the larger child.
		s.missLeft = s.nLeft > n-s.nLeft
	}

	// Children statistics and the weighted impurity decrease.
	l := g.left
	clear(l)
	wL := 0.0
	var sqL float64
	for _, e := range pay[:s.nLeft] {
		wL += e.w
		if g.cls {
			l[int(e.y)] += e.w
		} else {
			l[0] += e.w * e.y
			sqL += e.w * e.y * e.y
		}
	}
	wR := wN - wL
	var impL, impR float64
	switch {
	case g.cls:
		r := g.tmp
		for k := range r {
			r[k] = g.tot[k] - l[k]
		}
		impL, impR = g.classImpurity(l, wL), g.classImpurity(r, wR)
	case g.crit == critFriedman:
		sL, sR := l[0], g.tot[0]-l[0]
		d := wR*sL - wL*sR
		s.improvement = d * d / (wL * wR * wN)
		return
	case g.crit == critPoisson:
		impL = poissonLoss(pay[:s.nLeft], l[0], wL)
		impR = poissonLoss(pay[s.nLeft:], g.tot[0]-l[0], wR)
	default:
		sL, sR := l[0], g.tot[0]-l[0]
		impL = sqL/wL - (sL/wL)*(sL/wL)
		impR = (g.tot[1]-sqL)/wR - (sR/wR)*(sR/wR)
	}
	s.improvement = wN / g.totalW * (imp - wR/wN*impR - wL/wN*impL)
}
