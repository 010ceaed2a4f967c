package gbdt

import (
	"container/heap"
	"slices"
	"unsafe"
)

const (
	// minHessianToSplit is scikit-learn's min_hessian_to_split: a child whose
	// hessian sum is smaller is not allowed.
	minHessianToSplit = 1e-3
	// minCatSupport is scikit-learn's MIN_CAT_SUPPORT (LightGBM's cat_smooth):
	// categories with less hessian are not ordered and always go right, and it
	// smooths the gradient/hessian ratio that orders the others.
	minCatSupport = 10.0
	// valueEps keeps leaf values finite, as scikit-learn's compute_node_value.
	valueEps = 1e-15
	// parallelMinWork is the number of histogram updates (rows × features)
	// below which a node's histograms are built without the worker pool.
	parallelMinWork = 1 << 13
	// parallelMinRows is the number of rows below which a node's rows are
	// partitioned and its gradients gathered without the worker pool.
	parallelMinRows = 1 << 12
)

// split describes the best split found for a node.
type split struct {
	gain        float64
	feature     int32
	bin         uint8 // numerical: rows with bin <= bin go left
	missingLeft bool
	categorical bool
	cats        bitset // categorical: bins that go left (missingBin included)
	gL, hL      float64
	nL          int
}

// gnode is a node of the tree being grown.
type gnode struct {
	start, end  int // rows idx[start:end]
	sumG, sumH  float64
	depth       int
	hist        []histBin // one hist per feature while the node may split
	split       split
	left, right int32 // children, or -1 for a leaf
}

// trainer holds the binned training data and the buffers reused by every
// tree of a fit.
type trainer struct {
	w           *workers
	n, nf       int
	bins        []uint8 // column-major: feature f is bins[f*n:(f+1)*n]
	nb          []int   // non-missing bins of each feature
	hasMissing  []bool
	categorical []bool
	thresholds  [][]float64

	lambda              float64
	minLeaf             int
	maxLeaves, maxDepth int

	// Per-tree state and buffers.
	gh         []gpair // gradients and hessians of the tree's output
	identity   bool    // idx is 0..n-1
	idx, tmp   []int32
	ogh        []gpair // gh gathered in the order of the rows being histogrammed
	feats      []int32 // features drawn for the tree that can split
	nodes      []gnode
	splittable nodeHeap
	free       [][]histBin
	cand       [2][]split
	leftTable  [256]bool
	nLeaves    int     // nodes made leaves for good
	chunkLeft  []int   // per worker: rows going left in a parallel partition
	pad        []*hist // per worker: the histogram that pads a group of features
}

// getHist returns a histogram buffer from the pool.
func (t *trainer) getHist() []histBin {
	if k := len(t.free); k > 0 {
		h := t.free[k-1]
		t.free = t.free[:k-1]
		return h
	}
	return newHists(t.nf)
}

func (t *trainer) putHist(h []histBin) {
	if h != nil {
		t.free = append(t.free, h)
	}
}

func featHist(h []histBin, f int32) *hist {
	return (*hist)(h[int(f)*256 : int(f)*256+256])
}

// grow grows one tree on the rows idx[:m] with gradients gh, leaf-wise, and
// returns its nodes (t.nodes, root first).
func (t *trainer) grow(gh []gpair, m int) []gnode {
	t.gh = gh
	t.nodes = t.nodes[:0]
	t.splittable = t.splittable[:0]
	t.nLeaves = 0
	rows := t.idx[:m]
	var G, H float64
	if t.identity {
		for _, p := range gh[:m] {
			G += float64(p.g)
			H += float64(p.h)
		}
	} else {
		for _, r := range rows {
			G += float64(gh[r].g)
			H += float64(gh[r].h)
		}
	}
	t.nodes = append(t.nodes, gnode{start: 0, end: m, sumG: G, sumH: H, left: -1, right: -1})
	if m < 2*t.minLeaf || H < minHessianToSplit || len(t.feats) == 0 {
		return t.nodes
	}
	root := &t.nodes[0]
	root.hist = t.getHist()
	if !t.identity {
		t.gather(rows)
	}
	t.buildAndFind(0, -1, root.hist, nil, true, false)
	t.pushOrFinalize(0)
	for len(t.splittable) > 0 {
		t.splitNext()
	}
	return t.nodes
}

// gather copies the gradients of rows, in order, into t.ogh, in parallel
// for many rows.
func (t *trainer) gather(rows []int32) {
	m := len(rows)
	chunks := 1
	if m >= parallelMinRows {
		chunks = t.w.n
	}
	ogh, gh := t.ogh[:m], t.gh
	t.w.run(chunks, func(_, c int) {
		lo, hi := c*m/chunks, (c+1)*m/chunks
		dst := ogh[lo:hi]
		for j, r := range rows[lo:hi] {
			dst[j] = gh[r]
		}
	})
}

// buildAndFind builds the histograms of node a (from its rows; t.ogh holds
// their gradients unless the rows are the identity) into ha; when b >= 0,
// subtracts ha from hb (the parent's histograms) to make b's. It then finds
// the best split of a (when findA) and of b (when findB). The work is spread
// over the pool by groups of four features.
func (t *trainer) buildAndFind(a, b int32, ha, hb []histBin, findA, findB bool) {
	na := &t.nodes[a]
	rows := t.idx[na.start:na.end]
	m := len(rows)
	ident := t.identity && m == t.n
	for c := range t.cand {
		if cap(t.cand[c]) < t.nf {
			t.cand[c] = make([]split, t.nf)
		}
		t.cand[c] = t.cand[c][:t.nf]
	}
	// finish finds the best splits of feature f once a's histogram h is
	// built, making b's by subtraction from the parent's.
	finish := func(f int32, h *hist) {
		if findA {
			t.cand[0][f] = t.bestSplit(f, h, na)
		}
		if b >= 0 {
			hp := featHist(hb, f)
			subHist(hp, h)
			if findB {
				t.cand[1][f] = t.bestSplit(f, hp, &t.nodes[b])
			}
		}
	}
	// The columns of four features at a time stream through, their
	// histograms staying in the L1 cache.
	groups := (len(t.feats) + 3) / 4
	task := func(wi, gi int) {
		feats := t.feats[gi*4 : min(len(t.feats), gi*4+4)]
		// A group of fewer than four features is padded with the worker's
		// scratch histogram, fed from the first column.
		var hs [4]*hist
		var cols [4][]uint8
		for k := range hs {
			if k < len(feats) {
				f := feats[k]
				hs[k] = featHist(ha, f)
				cols[k] = t.bins[int(f)*t.n : int(f)*t.n+t.n]
			} else {
				hs[k] = t.pad[wi]
				cols[k] = cols[0]
			}
			clear(hs[k][:])
		}
		if ident {
			histIdentity4(&hs, &cols, t.gh[:m])
		} else {
			histRows4(&hs, &cols, rows, t.ogh[:m])
		}
		for k, f := range feats {
			finish(f, hs[k])
		}
	}
	if m*len(t.feats) >= parallelMinWork {
		t.w.run(groups, task)
	} else {
		for gi := range groups {
			task(0, gi)
		}
	}
	if findA {
		t.nodes[a].split = t.reduce(0)
	}
	if findB {
		t.nodes[b].split = t.reduce(1)
	}
}

// reduce returns the best of the candidate splits c, the first feature
// winning ties.
func (t *trainer) reduce(c int) split {
	best := split{gain: -1}
	for _, f := range t.feats {
		if s := &t.cand[c][f]; s.gain > best.gain {
			best = *s
		}
	}
	return best
}

// pushOrFinalize queues node i for splitting if its best split has a
// positive gain, and makes it a leaf otherwise.
func (t *trainer) pushOrFinalize(i int32) {
	if t.nodes[i].split.gain > 0 {
		heap.Push(&t.splittable, heapItem{i, t.nodes[i].split.gain})
		return
	}
	t.finalize(i)
}

// finalize makes node i a leaf for good.
func (t *trainer) finalize(i int32) {
	t.putHist(t.nodes[i].hist)
	t.nodes[i].hist = nil
	t.nLeaves++
}

// splitNext splits the queued node with the highest gain, as
// scikit-learn's TreeGrower.split_next.
func (t *trainer) splitNext() {
	pi := heap.Pop(&t.splittable).(heapItem).node
	p := &t.nodes[pi]
	s := &p.split
	if !t.hasMissing[s.feature] {
		// No missing values at fit time: at prediction they follow the
		// larger child.
		s.missingLeft = s.nL > (p.end-p.start)-s.nL
	}
	mid := t.partition(p.start, p.end, s)
	depth := p.depth + 1
	li, ri := int32(len(t.nodes)), int32(len(t.nodes)+1)
	p.left, p.right = li, ri
	left := gnode{start: p.start, end: mid, sumG: s.gL, sumH: s.hL, depth: depth, left: -1, right: -1}
	right := gnode{start: mid, end: p.end, sumG: p.sumG - s.gL, sumH: p.sumH - s.hL, depth: depth, left: -1, right: -1}
	parentHist := p.hist
	p.hist = nil
	t.nodes = append(t.nodes, left, right)

	nLeaves := t.nLeaves + len(t.splittable) + 2
	canL, canR := true, true
	switch {
	case nLeaves >= t.maxLeaves:
		canL, canR = false, false
		for _, it := range t.splittable {
			t.finalize(it.node)
		}
		t.splittable = t.splittable[:0]
	case t.maxDepth > 0 && depth >= t.maxDepth:
		canL, canR = false, false
	default:
		canL = left.end-left.start >= 2*t.minLeaf
		canR = right.end-right.start >= 2*t.minLeaf
	}
	if !canL && !canR {
		t.putHist(parentHist)
		t.finalize(li)
		t.finalize(ri)
		return
	}
	small, large := li, ri
	findSmall, findLarge := canL, canR
	if left.end-left.start >= right.end-right.start {
		small, large = ri, li
		findSmall, findLarge = canR, canL
	}
	hs := t.getHist()
	sn := &t.nodes[small]
	if !(t.identity && sn.end-sn.start == t.n) {
		t.gather(t.idx[sn.start:sn.end])
	}
	t.buildAndFind(small, large, hs, parentHist, findSmall, findLarge)
	t.nodes[small].hist = hs
	t.nodes[large].hist = parentHist
	for _, c := range [2]int32{li, ri} {
		if (c == li && canL) || (c == ri && canR) {
			t.pushOrFinalize(c)
		} else {
			t.finalize(c)
		}
	}
}

// partition reorders idx[start:end] stably so that the rows that go left
// come first, and returns the first row index of the right child.
func (t *trainer) partition(start, end int, s *split) int {
	tab := &t.leftTable
	if s.categorical {
		for b := range tab {
			tab[b] = s.cats.has(b)
		}
	} else {
		for b := range tab {
			tab[b] = b <= int(s.bin)
		}
		tab[missingBin] = s.missingLeft
	}
	col := t.bins[int(s.feature)*t.n : int(s.feature)*t.n+t.n]
	rows := t.idx[start:end]
	tmp := t.tmp[start:end]
	m := len(rows)
	chunks := 1
	if m >= parallelMinRows {
		chunks = t.w.n
	}
	if chunks == 1 {
		if nl := partitionFast(rows, tmp, col, tab); nl != s.nL {
			panic("gbdt: partition does not match the histogram counts")
		}
		return start + s.nL
	}
	// Every chunk partitions its rows in place; then the chunks' left and
	// right parts are copied to their places through tmp. The order is the
	// same as a single stable partition's.
	nl := t.chunkLeft[:chunks]
	t.w.run(chunks, func(_, c int) {
		lo, hi := c*m/chunks, (c+1)*m/chunks
		nl[c] = partitionFast(rows[lo:hi], tmp[lo:hi], col, tab)
	})
	total := 0
	for _, v := range nl {
		total += v
	}
	if total != s.nL {
		panic("gbdt: partition does not match the histogram counts")
	}
	t.w.run(chunks, func(_, c int) {
		lo, hi := c*m/chunks, (c+1)*m/chunks
		left, right := 0, total
		for k := range c {
			left += nl[k]
			right += (k+1)*m/chunks - k*m/chunks - nl[k]
		}
		copy(tmp[left:], rows[lo:lo+nl[c]])
		copy(tmp[right:], rows[lo+nl[c]:hi])
	})
	t.w.run(chunks, func(_, c int) {
		lo, hi := c*m/chunks, (c+1)*m/chunks
		copy(rows[lo:hi], tmp[lo:hi])
	})
	return start + total
}

// packLeft[m] lists the set bits of the 8-bit mask m in increasing order
// (then zeros): the permutation that packs the lanes of m to the front.
var packLeft = func() (t [256][8]int32) {
	for m := range t {
		j := 0
		for b := range 8 {
			if m>>b&1 != 0 {
				t[m][j] = int32(b)
				j++
			}
		}
	}
	return t
}()

// partitionFast is partitionStable eight rows at a time with AVX2 where
// the processor has it. It panics if a row is outside col.
func partitionFast(rows, tmp []int32, col []uint8, tab *[256]bool) int {
	n8 := len(rows) &^ 7
	if !useAVX2 || n8 == 0 {
		return partitionStable(rows, tmp, col, tab)
	}
	tmp = tmp[:len(rows)]
	l := partitionAVX2(&rows[0], &tmp[0], n8, unsafe.SliceData(col), len(col), tab, &packLeft)
	if l < 0 {
		panic("gbdt: partition row out of range")
	}
	l, k := splitRows(rows, n8, tmp, l, n8-l, col, tab)
	copy(rows[l:], tmp[:k])
	return l
}

// partitionStable reorders rows so that those whose bin in col is marked in
// tab come first, in their order, and returns how many they are. tmp is
// scratch of len(rows).
func partitionStable(rows, tmp []int32, col []uint8, tab *[256]bool) int {
	tmp = tmp[:len(rows)]
	l, k := splitRows(rows, 0, tmp, 0, 0, col, tab)
	copy(rows[l:], tmp[:k])
	return l
}

// splitRows goes on with a stable partition from rows[from:]: of the rows
// before, l went left (to rows[:l]) and k right (to tmp[:k]). It writes
// every row to both sides and advances the side it belongs to, without a
// branch, and returns the new l and k. The writes to rows land at or before
// the row being read.
func splitRows(rows []int32, from int, tmp []int32, l, k int, col []uint8, tab *[256]bool) (int, int) {
	for _, r := range rows[from:] {
		left := b2i(tab[col[r]])
		rows[l] = r
		tmp[k] = r
		l += int(left)
		k += 1 - int(left)
	}
	return l, k
}

// bestSplit returns the best split of node nd on feature f from its
// histogram h, or a split with gain -1 when none is allowed.
func (t *trainer) bestSplit(f int32, h *hist, nd *gnode) split {
	if t.categorical[f] {
		return t.bestCategorical(f, h, nd)
	}
	// The scans carry their sums, counts included, as float64: the loop is
	// bound by the latency of these additions, and a conversion of the count
	// to int would lengthen it.
	best := split{gain: -1, feature: f}
	n := float64(nd.end - nd.start)
	minLeaf := float64(t.minLeaf)
	G, H := nd.sumG, nd.sumH
	lam := t.lambda + valueEps
	parent := G * G / (H + lam)
	nb := t.nb[f]
	end := nb - 1
	if t.hasMissing[f] {
		end++
	}
	// The scan keeps the best gain and bin only; the split is rebuilt
	// after it.
	sc := scan{G: G, H: H, lam: lam, parent: parent, n: n, minLeaf: minLeaf}
	bestGain, bestBin := sc.leftToRight(h, end)
	if bestBin >= 0 {
		// Sum again to the best bin, in the same order.
		var gL, hL, nL float64
		for _, e := range h[:bestBin+1] {
			gL += e.g
			hL += e.h
			nL += e.n
		}
		best = split{gain: bestGain, feature: f, bin: uint8(bestBin), gL: gL, hL: hL, nL: int(nL)}
	}
	if !t.hasMissing[f] || h[missingBin].n == 0 {
		// No missing value in the node: scanning right to left would only
		// find the same splits again.
		return best
	}
	// Scan right to left, adding up the right side: missing values go left.
	// The split after j steps leaves bins <= nb-2-j (and missing) on the left.
	rtlBin := -1
	if g, j := sc.walkGo(h, nb-1, -1, nb-1, bestGain); j >= 0 {
		bestGain, rtlBin = g, nb-2-j
	}
	if rtlBin >= 0 {
		var gR, hR, nR float64
		for b := nb - 1; b > rtlBin; b-- {
			e := &h[b]
			gR += e.g
			hR += e.h
			nR += e.n
		}
		best = split{gain: bestGain, feature: f, bin: uint8(rtlBin), missingLeft: true, gL: G - gR, hL: H - hR, nL: int(n - nR)}
	}
	return best
}

// scan holds what a node's split scan over one feature's histogram needs.
type scan struct {
	G, H, lam, parent, n, minLeaf float64
}

// leftToRight returns the best positive gain of a split between bins
// (rows with bin <= b going left) for b < end, and its bin (the first of
// equal gains), or 0 and -1 when no split is allowed or none has a positive
// gain. A split is allowed when both sides have at least minLeaf rows and
// minHessianToSplit hessian. Its gain is splitGain - parent. The vector
// kernel (scanAVX2) computes the same sums in the same order, so the same
// bits, as leftToRightGo.
func (sc *scan) leftToRight(h *hist, end int) (float64, int) {
	if !useAVX2 || end <= 0 {
		return sc.leftToRightGo(h, end)
	}
	k := [scanConsts][4]float64{scanConsts - 1: {0, 1, 2, 3}}
	for j, v := range [scanConsts - 1]float64{sc.G, sc.H, sc.lam, sc.parent, sc.n, sc.minLeaf, minHessianToSplit, float64(end), 4} {
		k[j] = [4]float64{v, v, v, v}
	}
	var out [8]float64
	scanAVX2(h, (end+3)/4, &k, &out)
	bestGain, bestBin := 0.0, -1
	for l := range 4 {
		g, b := out[l], int(out[4+l])
		if g > bestGain || g == bestGain && g > 0 && b < bestBin {
			bestGain, bestBin = g, b
		}
	}
	return bestGain, bestBin
}

// scanConsts is the number of constant vectors scanAVX2 reads: G, H, lam,
// parent, n, minLeaf, minHessianToSplit, end and 4 in every lane, then the
// bins of the lanes' first group (0, 1, 2, 3).
const scanConsts = 10

// leftToRightGo is leftToRight in Go.
func (sc *scan) leftToRightGo(h *hist, end int) (float64, int) {
	return sc.walkGo(h, 0, 1, end, 0)
}

// walkGo adds up one side of the split bin by bin, from h[first] by step,
// count bins, and returns the best gain above bestGain (>= 0) of a split
// after j bins, with that j (the first of equal gains), or bestGain and -1.
// The gain is symmetric in the sides, so either side may be the one added
// up. It divides only where num > bar·den, bar being the best gain so far
// plus the parent's term lowered by a relative 1e-9, far more than the
// rounding of these few operations: every split whose gain beats the best
// passes, and the division then decides exactly as without the bar.
func (sc *scan) walkGo(h *hist, first, step, count int, bestGain float64) (float64, int) {
	G, H, lam, parent, n, minLeaf := sc.G, sc.H, sc.lam, sc.parent, sc.n, sc.minLeaf
	best := -1
	bar := lowerBar(bestGain + parent)
	var gA, hA, nA float64
	for j := range count {
		e := &h[first+j*step]
		gA += e.g
		hA += e.h
		nA += e.n
		if nA < minLeaf || hA < minHessianToSplit {
			continue
		}
		hB := H - hA
		if n-nA < minLeaf || hB < minHessianToSplit {
			break // the other side only shrinks
		}
		a, c, gB := hA+lam, hB+lam, G-gA
		num, den := gA*gA*c+gB*gB*a, a*c
		if num <= bar*den {
			continue
		}
		if gain := num/den - parent; gain > bestGain {
			bestGain, best = gain, j
			bar = lowerBar(gain + parent)
		}
	}
	return bestGain, best
}

// lowerBar returns x lowered by a relative 1e-9 (x >= 0): the bar below
// which a scan skips a bin's division, its gain being certainly no better.
func lowerBar(x float64) float64 { return x * (1 - 1e-9) }

// splitGain returns gL²/a + gR²/c, the loss reduction of a split before the
// parent's loss is subtracted (a and c are the children's hessian sums plus
// the L2 penalty), with one division rather than two: the scans evaluate it
// for every bin of every feature of every node.
func splitGain(gL, a, gR, c float64) float64 {
	return (gL*gL*c + gR*gR*a) / (a * c)
}

type catInfo struct {
	value float64
	bin   int
}

// bestCategorical returns the best partition of the categories of feature f,
// as scikit-learn's _find_best_bin_to_split_category: categories with enough
// support are sorted by gradient/hessian ratio and both ends of the order are
// scanned up to the middle; the chosen prefix goes left.
func (t *trainer) bestCategorical(f int32, h *hist, nd *gnode) split {
	best := split{gain: -1, feature: f}
	n := nd.end - nd.start
	G, H := nd.sumG, nd.sumH
	lam := t.lambda + valueEps
	parent := G * G / (H + lam)
	supportFactor := float64(n) / H
	var infoBuf [256]catInfo
	infos := infoBuf[:0]
	add := func(b int) {
		hb := h[b].h
		if hb*supportFactor >= minCatSupport {
			infos = append(infos, catInfo{h[b].g / (hb + minCatSupport), b})
		}
	}
	for b := range t.nb[f] {
		add(b)
	}
	if t.hasMissing[f] {
		add(missingBin)
	}
	used := len(infos)
	if used <= 1 {
		return best
	}
	slices.SortStableFunc(infos, func(a, b catInfo) int {
		switch {
		case a.value < b.value:
			return -1
		case a.value > b.value:
			return 1
		}
		return 0
	})
	bestAt, bestDir := -1, 0
	for _, dir := range [2]int{1, -1} {
		middle := (used + 1) / 2
		if dir < 0 {
			middle--
		}
		var gL, hL float64
		nL := 0
		for i := range middle {
			at := i
			if dir < 0 {
				at = used - 1 - i
			}
			e := &h[infos[at].bin]
			nL += int(e.n)
			gL += e.g
			hL += e.h
			nR := n - nL
			hR := H - hL
			if nL < t.minLeaf || hL < minHessianToSplit {
				continue
			}
			if nR < t.minLeaf || hR < minHessianToSplit {
				break
			}
			gR := G - gL
			gain := splitGain(gL, hL+lam, gR, hR+lam) - parent
			if gain > best.gain && gain > 0 {
				best = split{gain: gain, feature: f, categorical: true, gL: gL, hL: hL, nL: nL}
				bestAt, bestDir = at, dir
			}
		}
	}
	if bestAt < 0 {
		return best
	}
	lo, hi := 0, bestAt
	if bestDir < 0 {
		lo, hi = bestAt, used-1
	}
	for _, in := range infos[lo : hi+1] {
		best.cats.set(in.bin)
	}
	best.missingLeft = best.cats.has(missingBin)
	return best
}

// heapItem is a node queued for splitting; the heap pops the highest gain
// first, the older node on ties.
type heapItem struct {
	node int32
	gain float64
}

type nodeHeap []heapItem

func (h nodeHeap) Len() int { return len(h) }
func (h nodeHeap) Less(i, j int) bool {
	if h[i].gain != h[j].gain {
		return h[i].gain > h[j].gain
	}
	return h[i].node < h[j].node
}
func (h nodeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)   { *h = append(*h, x.(heapItem)) }
func (h *nodeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
