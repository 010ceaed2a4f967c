package drift

import (
	"cmp"
	"math"
	"slices"
	"sort"

	"mlw.dev/internal/stats"
)

// JensenShannon returns the Jensen–Shannon distance between the discrete
// distributions p and q,
//
//	JS(p, q) = sqrt( (KL(p‖m) + KL(q‖m)) / 2 ),  m = (p+q)/2,
//
// like scipy.spatial.distance.jensenshannon(p, q, base). p and q are
// normalised to sum to one first, so counts may be passed; a zero entry
// contributes nothing (0·log 0 = 0). The logarithm is natural when base is 0,
// otherwise to the given base; with base 2 the distance lies in [0, 1], with
// the natural logarithm in [0, sqrt(ln 2)].
//
// JensenShannon returns NaN if p or q is empty or sums to zero. It panics if
// len(p) != len(q). The inputs are not modified.
func JensenShannon(p, q []float64, base float64) float64 {
	if len(p) != len(q) {
		panic("drift: len(p) != len(q)")
	}
	var sp, sq float64
	for i := range p {
		sp += p[i]
		sq += q[i]
	}
	if len(p) == 0 || sp <= 0 || sq <= 0 {
		return math.NaN()
	}
	var left, right float64
	for i := range p {
		pi, qi := p[i]/sp, q[i]/sq
		m := (pi + qi) / 2
		left += relEntr(pi, m)
		right += relEntr(qi, m)
	}
	js := left + right
	if base != 0 {
		js /= math.Log(base)
	}
	return math.Sqrt(js / 2)
}

// relEntr is scipy.special.rel_entr: x·log(x/y), 0 for x = 0.
func relEntr(x, y float64) float64 {
	switch {
	case x > 0 && y > 0:
		return x * math.Log(x/y)
	case x == 0 && y >= 0:
		return 0
	}
	return math.Inf(1)
}

// Wasserstein returns the first Wasserstein (earth mover's) distance between
// the empirical distributions of u and v,
//
//	W1 = ∫ |U(x) − V(x)| dx,
//
// where U and V are their (weighted) CDFs, like
// scipy.stats.wasserstein_distance(u, v, uWeights, vWeights). Nil weights
// mean every value has weight one; weights need not sum to one.
//
// Wasserstein returns NaN if u or v is empty or has zero total weight. It
// panics if a non-nil weight slice has a different length from its values.
// The inputs are not modified and must not contain NaN.
func Wasserstein(u, v, uWeights, vWeights []float64) float64 {
	if uWeights != nil && len(uWeights) != len(u) {
		panic("drift: len(uWeights) != len(u)")
	}
	if vWeights != nil && len(vWeights) != len(v) {
		panic("drift: len(vWeights) != len(v)")
	}
	if len(u) == 0 || len(v) == 0 {
		return math.NaN()
	}
	su, cu := sortedWithCumWeights(u, uWeights)
	sv, cv := sortedWithCumWeights(v, vWeights)
	if (cu != nil && cu[len(cu)-1] <= 0) || (cv != nil && cv[len(cv)-1] <= 0) {
		return math.NaN()
	}
	return wassersteinSorted(su, cu, sv, cv)
}

// sortedWithCumWeights returns a sorted copy of x and, when w is not nil, the
// cumulative weights in that order with a leading zero (scipy's
// u_sorted_cumweights).
func sortedWithCumWeights(x, w []float64) (sorted, cum []float64) {
	if w == nil {
		sorted = slices.Clone(x)
		slices.Sort(sorted)
		return sorted, nil
	}
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	sorted = make([]float64, len(x))
	cum = make([]float64, len(x)+1)
	for i, j := range idx {
		sorted[i] = x[j]
		cum[i+1] = cum[i] + w[j]
	}
	return sorted, cum
}

// wassersteinSorted returns W1 between sorted samples u and v with optional
// cumulative weights (nil means uniform), walking their merged values once.
func wassersteinSorted(u, uCum, v, vCum []float64) float64 {
	nu, nv := float64(len(u)), float64(len(v))
	cdf := func(sorted, cum []float64, n float64, i int) float64 {
		if cum == nil {
			return float64(i) / n
		}
		return cum[i] / cum[len(cum)-1]
	}
	var i, j int
	var sum, comp float64
	prev := math.NaN()
	var fu, fv float64
	for i < len(u) || j < len(v) {
		var x float64
		if j == len(v) || (i < len(u) && u[i] <= v[j]) {
			x = u[i]
		} else {
			x = v[j]
		}
		if !math.IsNaN(prev) {
			// Both CDFs are constant on [prev, x).
			sum, comp = neumaier(sum, comp, math.Abs(fu-fv)*(x-prev))
		}
		for i < len(u) && u[i] <= x {
			i++
		}
		for j < len(v) && v[j] <= x {
			j++
		}
		fu = cdf(u, uCum, nu, i)
		fv = cdf(v, vCum, nv, j)
		prev = x
	}
	return sum + comp
}

// DefaultPSIBins is the default number of reference-quantile bins for PSI.
const DefaultPSIBins = 10

// PSIEpsilon replaces an empty bin's proportion in PSI, so that the
// logarithm stays finite.
const PSIEpsilon = 1e-4

// PSI returns the population stability index of current against reference,
//
//	PSI = Σ_i (c_i − r_i) · ln(c_i / r_i),
//
// over bins defined by the reference quantiles:
//
//   - the edges are the distinct values of the reference quantiles at
//     k/bins, k = 0..bins (numpy.quantile's default 'linear' method), so
//     tied quantiles merge bins: e_0 = min < e_1 < … < e_K = max;
//   - the bins are (−∞, e_0), then [e_0, e_1), …, [e_{K−2}, e_{K−1}),
//     [e_{K−1}, e_K] (a single bin [e_0, e_0] when the reference is
//     constant), then (e_K, +∞): values outside the reference range fall
//     into the two outer bins, which are empty in the reference;
//   - r_i and c_i are the proportions of reference and current values in
//     bin i, and a zero proportion is replaced by PSIEpsilon (1e-4) without
//     renormalising.
//
// bins <= 0 means DefaultPSIBins. PSI returns NaN if either sample is empty.
// The inputs are not modified and must not contain NaN.
func PSI(reference, current []float64, bins int) float64 {
	if len(reference) == 0 || len(current) == 0 {
		return math.NaN()
	}
	if bins <= 0 {
		bins = DefaultPSIBins
	}
	ref := slices.Clone(reference)
	slices.Sort(ref)
	edges := quantileEdges(ref, bins)
	return psiFromCounts(binCountsSorted(edges, ref), countBins(edges, current))
}

// quantileEdges returns the distinct reference quantiles at k/bins,
// k = 0..bins, of the sorted non-empty sample x.
func quantileEdges(x []float64, bins int) []float64 {
	edges := make([]float64, 0, bins+1)
	for k := 0; k <= bins; k++ {
		q := stats.Quantile(x, float64(k)/float64(bins))
		if len(edges) == 0 || q != edges[len(edges)-1] {
			edges = append(edges, q)
		}
	}
	return edges
}

// numBins returns the number of PSI bins for the given edges, including the
// two outer bins.
func numBins(edges []float64) int { return max(len(edges)-1, 1) + 2 }

// binIndex returns the PSI bin of x (see PSI).
func binIndex(edges []float64, x float64) int {
	k := max(len(edges)-1, 1)
	switch {
	case x < edges[0]:
		return 0
	case x > edges[len(edges)-1]:
		return k + 1
	}
	i := sort.SearchFloat64s(edges, x) // first edge >= x
	if i < len(edges) && edges[i] == x {
		i++ // side='right': edges <= x
	}
	return min(max(i, 1), k)
}

// binCountsSorted returns the PSI bin counts of the sorted sample x.
func binCountsSorted(edges, x []float64) []float64 {
	dst := make([]float64, numBins(edges))
	k := max(len(edges)-1, 1)
	// Boundaries: bin 0 is x < e0; bin i in 1..k-1 is [e_{i-1}, e_i); bin k
	// is [e_{k-1}, e_K] (or [e0, e0]); bin k+1 is x > e_K.
	lower := func(t float64) int { return sort.SearchFloat64s(x, t) } // #x < t
	upper := func(t float64) int {                                    // #x <= t
		return sort.Search(len(x), func(i int) bool { return x[i] > t })
	}
	prev := 0
	for i := 0; i < k; i++ {
		end := lower(edges[i])
		dst[i] = float64(end - prev)
		prev = end
	}
	end := upper(edges[len(edges)-1])
	dst[k] = float64(end - prev)
	dst[k+1] = float64(len(x) - end)
	return dst
}

// psiFromCounts returns PSI from bin counts (see PSI).
func psiFromCounts(ref, cur []float64) float64 {
	var nr, nc float64
	for i := range ref {
		nr += ref[i]
		nc += cur[i]
	}
	var s float64
	for i := range ref {
		r, c := ref[i]/nr, cur[i]/nc
		if r == 0 {
			r = PSIEpsilon
		}
		if c == 0 {
			c = PSIEpsilon
		}
		s += (c - r) * math.Log(c/r)
	}
	return s
}
