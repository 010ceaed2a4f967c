package drift

import (
	"math"
	"slices"
	"sort"
	"sync"
)

// Comparing a million-row column with a reference must not sort it: a sort
// costs about 50 ms per column. Instead each current value is located
// among the distinct values of the reference sample in one pass (a grid
// over the sample's range narrows the search to a few values), and per gap
// between consecutive sample values the pass keeps the number of current
// values inside it, their summed distances to both ends, and the number of
// current values equal to each sample value. Both empirical CDFs are then
// known at every sample value, and the current CDF is known to be
// increasing inside each gap, which gives the KS statistic exactly and the
// Wasserstein integral exactly except in the few gaps where the two CDFs
// cross; only the values of those gaps are gathered and sorted.

// kernelBuffers holds reusable per-column buffers; it is not safe for
// concurrent use.
type kernelBuffers struct {
	gap     []uint32  // gap index of each current value (noGap when none)
	gather  []float64 // values of crossing gaps, grouped by gap
	grid    sampleGrid
	gapStat []gapStat
	eq      []int
	offset  []int
	fill    []int
}

// kernelPool recycles kernelBuffers (4 bytes per current row plus the
// reference-sized arrays) across CompareNumeric and Dataset calls.
var kernelPool = sync.Pool{New: func() any { return new(kernelBuffers) }}

const noGap = math.MaxUint32

// gapStat accumulates the current values strictly inside one gap. The sums
// are divided by len(x) so they cannot overflow, and plain: their terms are
// positive, so the relative error stays below n·2⁻⁵³ and in practice near
// √n·2⁻⁵³.
type gapStat struct {
	n      int
	fromLo float64 // Σ (y − lower end)/len(x); for gap 0, Σ (u_0 − y)/len(x)
	toHi   float64 // Σ (upper end − y)/len(x), inner gaps only
}

// sampleGrid locates values among the k distinct values u of a sorted
// sample. Gap j is (u[j−1], u[j]), gap 0 is below u[0] and gap k above
// u[k−1].
type sampleGrid struct {
	u     []float64 // distinct values, ascending, followed by gridProbe +Infs
	k     int       // number of distinct values
	cum   []int     // cum[t] = number of sample values <= u[t]
	m     int       // sample size
	scale float64   // cells per unit
	table []int32   // table[c] = number of u values <= the start of cell c
}

// gridProbe is the number of values find compares without branching.
const gridProbe = 4

// reset indexes the sorted non-empty sample.
func (g *sampleGrid) reset(sample []float64) {
	g.u, g.cum = g.u[:0], g.cum[:0]
	for i, v := range sample {
		if i > 0 && v == sample[i-1] {
			g.cum[len(g.cum)-1] = i + 1
			continue
		}
		g.u = append(g.u, v)
		g.cum = append(g.cum, i+1)
	}
	g.m = len(sample)
	k := len(g.u)
	g.k = k
	for range gridProbe {
		g.u = append(g.u, math.Inf(1))
	}
	// About four cells per value keeps most cells to at most gridProbe
	// values even where the sample is dense.
	cells := 4 * k
	lo, hi := g.u[0], g.u[k-1]
	g.scale = float64(cells) / (hi - lo)
	g.table = g.table[:0]
	if k == 1 || math.IsInf(g.scale, 0) || math.IsNaN(g.scale) || g.scale == 0 {
		return
	}
	g.table = slices.Grow(g.table, cells+1)[:cells+1]
	t := 0
	for c := 0; c <= cells; c++ {
		start := lo + float64(c)/g.scale
		for t < k && g.u[t] <= start {
			t++
		}
		g.table[c] = int32(t)
	}
}

// find returns the number of distinct sample values <= x, for finite x.
func (g *sampleGrid) find(x float64) int {
	u := g.u
	k := g.k
	switch {
	case x < u[0]:
		return 0
	case x >= u[k-1]:
		return k
	}
	lo, hi := 0, k
	if len(g.table) > 0 {
		c := int((x - u[0]) * g.scale)
		c = min(max(c, 0), len(g.table)-2)
		l, h := int(g.table[c]), int(g.table[c+1])
		// u[h] > x holds for h == k too (u[k] = +Inf). Rounding may put x
		// one cell off; then search everything.
		if (l == 0 || u[l-1] <= x) && u[h] > x {
			if h-l <= gridProbe {
				// Values beyond h are > x, so probing past it is harmless.
				p := u[l : l+gridProbe : l+gridProbe]
				return l + b2i(p[0] <= x) + b2i(p[1] <= x) + b2i(p[2] <= x) + b2i(p[3] <= x)
			}
			lo, hi = l, h
		}
	}
	// First index in [lo, hi] with u[i] > x.
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if u[mid] <= x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sampleVsCurrent holds KS and Wasserstein between a sorted reference
// sample and the finite values of a current column.
type sampleVsCurrent struct {
	n           int     // finite current values
	ks          float64 // two-sided KS statistic as scipy computes it
	wasserstein float64 // W1 between the two empirical distributions
}

// compareSample computes KS and W1 between the sorted non-empty sample and
// the finite values of x without sorting x. It returns n == 0 when x has
// no finite value.
func (b *kernelBuffers) compareSample(sample, x []float64) sampleVsCurrent {
	g := &b.grid
	g.reset(sample)
	k := g.k
	b.gapStat = slices.Grow(b.gapStat[:0], k+1)[:k+1]
	clear(b.gapStat)
	b.eq = slices.Grow(b.eq[:0], k)[:k]
	clear(b.eq)
	b.gap = slices.Grow(b.gap[:0], len(x))[:len(x)]

	n := 0
	u := g.u
	inv := 1 / float64(len(x))
	for i, v := range x {
		if v-v != 0 { // NaN or ±Inf
			b.gap[i] = noGap
			continue
		}
		n++
		j := g.find(v)
		if j > 0 && u[j-1] == v {
			b.eq[j-1]++
			b.gap[i] = noGap
			continue
		}
		b.gap[i] = uint32(j)
		s := &b.gapStat[j]
		s.n++
		switch {
		case j == 0:
			s.fromLo += (u[0] - v) * inv
		case j == k:
			s.fromLo += (v - u[k-1]) * inv
		default:
			s.fromLo += (v - u[j-1]) * inv
			s.toHi += (u[j] - v) * inv
		}
	}
	if n == 0 {
		return sampleVsCurrent{}
	}

	fm, fn := float64(g.m), float64(n)
	rescale := float64(len(x)) / fn // gapStat sums → sums divided by n
	maxS, minS := math.Inf(-1), math.Inf(1)
	var w, wc float64
	// Below the sample: F_s = 0.
	base := b.gapStat[0].n
	if base > 0 {
		maxS = max(maxS, 0-1/fn)
		minS = min(minS, 0-float64(base)/fn)
		w, wc = neumaier(w, wc, b.gapStat[0].fromLo*rescale)
	}
	crossing := 0
	for t := range k {
		// At u[t]: both CDFs include the values equal to u[t].
		base += b.eq[t]
		a := float64(g.cum[t]) / fm
		d := a - float64(base)/fn
		maxS, minS = max(maxS, d), min(minS, d)

		s := &b.gapStat[t+1]
		if s.n > 0 {
			// Current values inside the gap: F_c steps from base+1 to
			// base+n; F_s stays at a.
			maxS = max(maxS, a-float64(base+1)/fn)
			minS = min(minS, a-float64(base+s.n)/fn)
		}
		if t == k-1 {
			// Above the sample: F_s = 1.
			w, wc = neumaier(w, wc, s.fromLo*rescale)
			break
		}
		length := u[t+1] - u[t]
		b0 := float64(base) / fn
		b1 := float64(base+s.n) / fn
		switch {
		case a <= b0:
			w, wc = neumaier(w, wc, (b0-a)*length+s.toHi*rescale)
		case a >= b1:
			w, wc = neumaier(w, wc, (a-b1)*length+s.fromLo*rescale)
		default:
			crossing += s.n
			s.n = -s.n // mark: integrate from the gathered values
		}
		base += abs(s.n)
	}
	if crossing > 0 {
		cw, ccomp := b.crossingIntegral(x, crossing, fn)
		w, wc = neumaier(w, wc, cw)
		wc += ccomp
	}
	negS := min(max(-minS, 0), 1)
	ks := maxS
	if negS > maxS {
		ks = negS
	}
	return sampleVsCurrent{n: n, ks: ks, wasserstein: w + wc}
}

// crossingIntegral gathers the values of the gaps marked as crossing
// (negative gapStat.n), sorts each gap and integrates |F_s − F_c| over it.
func (b *kernelBuffers) crossingIntegral(x []float64, total int, fn float64) (w, wc float64) {
	g := &b.grid
	k := g.k
	b.offset = slices.Grow(b.offset[:0], k+1)[:k+1]
	next := 0
	for j := range b.gapStat {
		b.offset[j] = next
		if s := b.gapStat[j].n; s < 0 {
			next -= s
		}
	}
	b.gather = slices.Grow(b.gather[:0], total)[:total]
	b.fill = append(b.fill[:0], b.offset...)
	fill := b.fill
	for i, v := range x {
		j := b.gap[i]
		if j == noGap || b.gapStat[j].n >= 0 {
			continue
		}
		b.gather[fill[j]] = v
		fill[j]++
	}
	base := b.gapStat[0].n
	for t := range k - 1 {
		base += b.eq[t]
		s := b.gapStat[t+1]
		if s.n >= 0 {
			base += s.n
			continue
		}
		vals := b.gather[b.offset[t+1] : b.offset[t+1]-s.n]
		sort.Float64s(vals)
		a := float64(g.cum[t]) / float64(g.m)
		prev := g.u[t]
		for c, y := range vals {
			w, wc = neumaier(w, wc, math.Abs(a-float64(base+c)/fn)*(y-prev))
			prev = y
		}
		w, wc = neumaier(w, wc, math.Abs(a-float64(base+len(vals))/fn)*(g.u[t+1]-prev))
		base += len(vals)
	}
	return w, wc
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// countBins returns the PSI bin counts of the finite values of x.
func countBins(edges, x []float64) []float64 {
	counts := make([]float64, numBins(edges))
	for _, v := range x {
		if v-v == 0 { // finite
			counts[binIndex(edges, v)]++
		}
	}
	return counts
}
