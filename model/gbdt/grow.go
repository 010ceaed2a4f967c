package gbdt

import (
	"container/heap"
	"slices"
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
	parallelMinWork = 1 << 15
)

// gpair is the gradient and hessian of one row.
type gpair struct{ g, h float32 }

// histBin accumulates the gradients, hessians and row count of one bin.
type histBin struct {
	g, h float64
	n    uint32
}

// hist is one feature's histogram; bin 255 holds missing values.
type hist = [256]histBin

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
	constHess   bool // every hessian is 1: histograms count rows instead

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
	nLeaves    int // nodes made leaves for good
}

// getHist returns a histogram buffer from the pool.
func (t *trainer) getHist() []histBin {
	if k := len(t.free); k > 0 {
		h := t.free[k-1]
		t.free = t.free[:k-1]
		return h
	}
	return make([]histBin, t.nf*256)
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

// gather copies the gradients of rows, in order, into t.ogh.
func (t *trainer) gather(rows []int32) {
	ogh := t.ogh[:len(rows)]
	gh := t.gh
	for j, r := range rows {
		ogh[j] = gh[r]
	}
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
	groups := (len(t.feats) + 3) / 4
	task := func(gi int) {
		feats := t.feats[gi*4 : min(len(t.feats), gi*4+4)]
		var hs [4]*hist
		var cols [4][]uint8
		for k, f := range feats {
			hs[k] = featHist(ha, f)
			clear(hs[k][:])
			cols[k] = t.bins[int(f)*t.n : int(f)*t.n+t.n]
		}
		switch {
		case len(feats) == 4 && ident && t.constHess:
			histIdentityConst4(&hs, &cols, t.gh[:m])
		case len(feats) == 4 && ident:
			histIdentity4(&hs, &cols, t.gh[:m])
		case len(feats) == 4 && t.constHess:
			histRowsConst4(&hs, &cols, rows, t.ogh[:m])
		case len(feats) == 4:
			histRows4(&hs, &cols, rows, t.ogh[:m])
		case len(feats) >= 2:
			var hs2 [2]*hist
			var cols2 [2][]uint8
			for q := 0; q+1 < len(feats); q += 2 {
				hs2[0], hs2[1] = hs[q], hs[q+1]
				cols2[0], cols2[1] = cols[q], cols[q+1]
				switch {
				case ident && t.constHess:
					histIdentityConst2(&hs2, &cols2, t.gh[:m])
				case ident:
					histIdentity2(&hs2, &cols2, t.gh[:m])
				case t.constHess:
					histRowsConst2(&hs2, &cols2, rows, t.ogh[:m])
				default:
					histRows2(&hs2, &cols2, rows, t.ogh[:m])
				}
			}
			if len(feats) == 3 {
				t.hist1(hs[2], cols[2], rows, ident)
			}
		default:
			t.hist1(hs[0], cols[0], rows, ident)
		}
		for k, f := range feats {
			h := hs[k]
			if t.constHess {
				for i := range h {
					h[i].h = float64(h[i].n)
				}
			}
			if findA {
				t.cand[0][f] = t.bestSplit(f, h, na)
			}
			if b >= 0 {
				hp := featHist(hb, f)
				for i := range hp {
					hp[i].g -= h[i].g
					hp[i].h -= h[i].h
					hp[i].n -= h[i].n
				}
				if findB {
					t.cand[1][f] = t.bestSplit(f, hp, &t.nodes[b])
				}
			}
		}
	}
	if m*len(t.feats) < parallelMinWork {
		for gi := range groups {
			task(gi)
		}
	} else {
		t.w.run(groups, func(_, gi int) { task(gi) })
	}
	if findA {
		t.nodes[a].split = t.reduce(0)
	}
	if findB {
		t.nodes[b].split = t.reduce(1)
	}
}

// hist1 builds one feature's histogram h from column col.
func (t *trainer) hist1(h *hist, col []uint8, rows []int32, ident bool) {
	m := len(rows)
	switch {
	case ident && t.constHess:
		histIdentityConst(h, col, t.gh[:m])
	case ident:
		histIdentity(h, col, t.gh[:m])
	case t.constHess:
		histRowsConst(h, col, rows, t.ogh[:m])
	default:
		histRows(h, col, rows, t.ogh[:m])
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
	tmp := t.tmp[:len(rows)]
	// Branch-free: every row is written to both sides and the side it
	// belongs to advances.
	l, k := 0, 0
	for _, r := range rows {
		left := b2i(tab[col[r]])
		rows[l] = r
		tmp[k] = r
		l += int(left)
		k += 1 - int(left)
	}
	copy(rows[l:], tmp[:k])
	if l != s.nL {
		panic("gbdt: partition does not match the histogram counts")
	}
	return start + l
}

// bestSplit returns the best split of node nd on feature f from its
// histogram h, or a split with gain -1 when none is allowed.
func (t *trainer) bestSplit(f int32, h *hist, nd *gnode) split {
	if t.categorical[f] {
		return t.bestCategorical(f, h, nd)
	}
	best := split{gain: -1, feature: f}
	n := nd.end - nd.start
	G, H := nd.sumG, nd.sumH
	lam := t.lambda + valueEps
	parent := G * G / (H + lam)
	minLeaf := t.minLeaf
	nb := t.nb[f]
	end := nb - 1
	if t.hasMissing[f] {
		end++
	}
	var gL, hL float64
	nL := 0
	for b := range end {
		e := &h[b]
		if e.n == 0 {
			continue // same split as the previous bin
		}
		nL += int(e.n)
		gL += e.g
		hL += e.h
		nR := n - nL
		hR := H - hL
		if nL < minLeaf {
			continue
		}
		if nR < minLeaf {
			break
		}
		if hL < minHessianToSplit {
			continue
		}
		if hR < minHessianToSplit {
			break
		}
		gR := G - gL
		gain := gL*gL/(hL+lam) + gR*gR/(hR+lam) - parent
		if gain > best.gain && gain > 0 {
			best = split{gain: gain, feature: f, bin: uint8(b), gL: gL, hL: hL, nL: nL}
		}
	}
	if !t.hasMissing[f] {
		return best
	}
	// Scan right to left: missing values go left.
	var gR, hR float64
	nR := 0
	for b := nb - 2; b >= 0; b-- {
		e := &h[b+1]
		if e.n == 0 {
			continue // same split as the previous bin
		}
		nR += int(e.n)
		gR += e.g
		hR += e.h
		nL := n - nR
		hL := H - hR
		if nR < minLeaf {
			continue
		}
		if nL < minLeaf {
			break
		}
		if hR < minHessianToSplit {
			continue
		}
		if hL < minHessianToSplit {
			break
		}
		gL := G - gR
		gain := gL*gL/(hL+lam) + gR*gR/(hR+lam) - parent
		if gain > best.gain && gain > 0 {
			best = split{gain: gain, feature: f, bin: uint8(b), missingLeft: true, gL: gL, hL: hL, nL: nL}
		}
	}
	return best
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
			gain := gL*gL/(hL+lam) + gR*gR/(hR+lam) - parent
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

// The histogram kernels add rows to per-feature histograms. The identity
// kernels take every row in order (the root of a tree grown on all rows) and
// read gh directly; the others take the rows listed in rows, whose gradients
// and hessians ogh holds in the same order. The 4-wide kernels fill the
// histograms of four features in one pass over the rows, which reads the row
// indices and gradients once for four features; the 2-wide ones do two. The Const kernels, for
// constant hessians, do not read them: the caller sets h from the counts.

func histIdentity(h *hist, col []uint8, gh []gpair) {
	gh = gh[:len(col)]
	for i, b := range col {
		e := &h[b]
		e.g += float64(gh[i].g)
		e.h += float64(gh[i].h)
		e.n++
	}
}

func histIdentityConst(h *hist, col []uint8, gh []gpair) {
	gh = gh[:len(col)]
	for i, b := range col {
		e := &h[b]
		e.g += float64(gh[i].g)
		e.n++
	}
}

func histRows(h *hist, col []uint8, rows []int32, ogh []gpair) {
	ogh = ogh[:len(rows)]
	for j, r := range rows {
		e := &h[col[r]]
		e.g += float64(ogh[j].g)
		e.h += float64(ogh[j].h)
		e.n++
	}
}

func histRowsConst(h *hist, col []uint8, rows []int32, ogh []gpair) {
	ogh = ogh[:len(rows)]
	for j, r := range rows {
		e := &h[col[r]]
		e.g += float64(ogh[j].g)
		e.n++
	}
}

func histIdentity4(h *[4]*hist, c *[4][]uint8, gh []gpair) {
	h0, h1, h2, h3 := h[0], h[1], h[2], h[3]
	c0 := c[0]
	c1, c2, c3 := c[1][:len(c0)], c[2][:len(c0)], c[3][:len(c0)]
	gh = gh[:len(c0)]
	for i, b0 := range c0 {
		g, hh := float64(gh[i].g), float64(gh[i].h)
		e := &h0[b0]
		e.g += g
		e.h += hh
		e.n++
		e = &h1[c1[i]]
		e.g += g
		e.h += hh
		e.n++
		e = &h2[c2[i]]
		e.g += g
		e.h += hh
		e.n++
		e = &h3[c3[i]]
		e.g += g
		e.h += hh
		e.n++
	}
}

func histIdentityConst4(h *[4]*hist, c *[4][]uint8, gh []gpair) {
	h0, h1, h2, h3 := h[0], h[1], h[2], h[3]
	c0 := c[0]
	c1, c2, c3 := c[1][:len(c0)], c[2][:len(c0)], c[3][:len(c0)]
	gh = gh[:len(c0)]
	for i, b0 := range c0 {
		g := float64(gh[i].g)
		e := &h0[b0]
		e.g += g
		e.n++
		e = &h1[c1[i]]
		e.g += g
		e.n++
		e = &h2[c2[i]]
		e.g += g
		e.n++
		e = &h3[c3[i]]
		e.g += g
		e.n++
	}
}

func histRows4(h *[4]*hist, c *[4][]uint8, rows []int32, ogh []gpair) {
	h0, h1, h2, h3 := h[0], h[1], h[2], h[3]
	c0 := c[0]
	c1, c2, c3 := c[1][:len(c0)], c[2][:len(c0)], c[3][:len(c0)]
	ogh = ogh[:len(rows)]
	for j, r := range rows {
		b0 := c0[r]
		g, hh := float64(ogh[j].g), float64(ogh[j].h)
		e := &h0[b0]
		e.g += g
		e.h += hh
		e.n++
		e = &h1[c1[r]]
		e.g += g
		e.h += hh
		e.n++
		e = &h2[c2[r]]
		e.g += g
		e.h += hh
		e.n++
		e = &h3[c3[r]]
		e.g += g
		e.h += hh
		e.n++
	}
}

func histRowsConst4(h *[4]*hist, c *[4][]uint8, rows []int32, ogh []gpair) {
	h0, h1, h2, h3 := h[0], h[1], h[2], h[3]
	c0 := c[0]
	c1, c2, c3 := c[1][:len(c0)], c[2][:len(c0)], c[3][:len(c0)]
	ogh = ogh[:len(rows)]
	for j, r := range rows {
		b0 := c0[r]
		g := float64(ogh[j].g)
		e := &h0[b0]
		e.g += g
		e.n++
		e = &h1[c1[r]]
		e.g += g
		e.n++
		e = &h2[c2[r]]
		e.g += g
		e.n++
		e = &h3[c3[r]]
		e.g += g
		e.n++
	}
}

func histIdentity2(h *[2]*hist, c *[2][]uint8, gh []gpair) {
	h0, h1 := h[0], h[1]
	c0 := c[0]
	c1 := c[1][:len(c0)]
	gh = gh[:len(c0)]
	for i, b0 := range c0 {
		g, hh := float64(gh[i].g), float64(gh[i].h)
		e := &h0[b0]
		e.g += g
		e.h += hh
		e.n++
		e = &h1[c1[i]]
		e.g += g
		e.h += hh
		e.n++
	}
}

func histIdentityConst2(h *[2]*hist, c *[2][]uint8, gh []gpair) {
	h0, h1 := h[0], h[1]
	c0 := c[0]
	c1 := c[1][:len(c0)]
	gh = gh[:len(c0)]
	for i, b0 := range c0 {
		g := float64(gh[i].g)
		e := &h0[b0]
		e.g += g
		e.n++
		e = &h1[c1[i]]
		e.g += g
		e.n++
	}
}

func histRows2(h *[2]*hist, c *[2][]uint8, rows []int32, ogh []gpair) {
	h0, h1 := h[0], h[1]
	c0 := c[0]
	c1 := c[1][:len(c0)]
	ogh = ogh[:len(rows)]
	for j, r := range rows {
		b0 := c0[r]
		g, hh := float64(ogh[j].g), float64(ogh[j].h)
		e := &h0[b0]
		e.g += g
		e.h += hh
		e.n++
		e = &h1[c1[r]]
		e.g += g
		e.h += hh
		e.n++
	}
}

func histRowsConst2(h *[2]*hist, c *[2][]uint8, rows []int32, ogh []gpair) {
	h0, h1 := h[0], h[1]
	c0 := c[0]
	c1 := c[1][:len(c0)]
	ogh = ogh[:len(rows)]
	for j, r := range rows {
		b0 := c0[r]
		g := float64(ogh[j].g)
		e := &h0[b0]
		e.g += g
		e.n++
		e = &h1[c1[r]]
		e.g += g
		e.n++
	}
}
