package drift

import (
	"math"
	"slices"
)

// ksMaxExactN is the largest sample size for which KS uses the exact
// distribution of the two-sample statistic, as scipy's method='auto'.
const ksMaxExactN = 10000

// KS returns the two-sided two-sample Kolmogorov–Smirnov statistic
//
//	D = max_x |F_a(x) − F_b(x)|
//
// over the empirical CDFs of a and b, and its p-value, exactly as
// scipy.stats.ks_2samp(a, b) with its defaults (alternative='two-sided',
// method='auto'): when both samples have at most 10000 values the p-value
// comes from the exact distribution of D under the null hypothesis (and D is
// reported as h/lcm(len(a), len(b)), the lattice value scipy reports);
// otherwise from the one-sample distribution of D_n (scipy.stats.kstwo) with
// n = round(len(a)·len(b)/(len(a)+len(b))). Ties are handled as scipy does,
// by evaluating both CDFs at every observed value.
//
// The inputs are not modified and must not contain NaN. If either sample is
// empty, KS returns NaN, NaN.
func KS(a, b []float64) (statistic, pValue float64) {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN(), math.NaN()
	}
	sa := slices.Clone(a)
	sb := slices.Clone(b)
	slices.Sort(sa)
	slices.Sort(sb)
	return ksPValue(ksStatSorted(sa, sb), len(a), len(b))
}

// ksStatSorted returns the two-sided KS statistic of two sorted, non-empty
// samples, computed as scipy does: the empirical CDFs are evaluated (as
// count/n) at every observed value and the largest positive or negative
// difference is returned.
func ksStatSorted(a, b []float64) float64 {
	n1, n2 := float64(len(a)), float64(len(b))
	var i, j int
	maxS, minS := math.Inf(-1), math.Inf(1)
	for i < len(a) || j < len(b) {
		var v float64
		switch {
		case j == len(b) || (i < len(a) && a[i] <= b[j]):
			v = a[i]
		default:
			v = b[j]
		}
		for i < len(a) && a[i] <= v {
			i++
		}
		for j < len(b) && b[j] <= v {
			j++
		}
		d := float64(i)/n1 - float64(j)/n2
		maxS = max(maxS, d)
		minS = min(minS, d)
	}
	negS := min(max(-minS, 0), 1)
	if negS > maxS {
		return negS
	}
	return maxS
}

// ksPValue returns the statistic (rounded to the lattice when the exact
// distribution is used) and the two-sided p-value for a two-sample KS
// statistic d from samples of sizes n1 and n2, following scipy 1.10's
// ks_2samp with method='auto'.
func ksPValue(d float64, n1, n2 int) (statistic, pValue float64) {
	g := gcd(n1, n2)
	if max(n1, n2) <= ksMaxExactN {
		lcm := int64(n1/g) * int64(n2)
		h := int64(math.RoundToEven(d * float64(lcm)))
		d = float64(h) / float64(lcm)
		if h == 0 {
			return d, 1
		}
		var p float64
		if n1 == n2 {
			p = ksProbOutsideSquare(int64(n1), h)
		} else {
			p = ksOuterProbInside(int64(n1), int64(n2), int64(g), h)
		}
		if p >= 0 && p <= 1 {
			return d, p
		}
		// As scipy: an unsuccessful exact computation falls back to the
		// asymptotic distribution, keeping the rounded statistic.
	}
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	en := m * n / (m + n)
	p := kstwoSF(d, int(math.RoundToEven(en)))
	return d, min(max(p, 0), 1)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ksProbOutsideSquare returns Pr(D_{n,n} >= h/n), the proportion of lattice
// paths that leave the band |x−y| < h (scipy's _compute_prob_outside_square).
func ksProbOutsideSquare(n, h int64) float64 {
	// P = 2·A0·(1 − A1·(1 − A2·(1 − …))) evaluated Horner-like to avoid
	// subtractive cancellation.
	var p float64
	for k := n / h; k >= 0; k-- {
		p1 := 1.0
		for j := int64(0); j < h; j++ {
			p1 = float64(n-k*h-j) * p1 / float64(n+k*h+j+1)
		}
		p = p1 * (1 - p)
	}
	return 2 * p
}

// ksOuterProbInside returns the proportion of lattice paths from (0,0) to
// (m,n) that do not stay strictly inside |x/m − y/n| < h/lcm(m,n): scipy's
// _compute_outer_prob_inside_method, which follows Hodges (1958) with the
// recursion for 1−p of Viehmann (2021, arXiv:2102.08037).
func ksOuterProbInside(m, n, g, h int64) float64 {
	if m < n {
		m, n = n, m
	}
	mg := m / g
	ng := n / g
	minj, maxj := int64(0), min(int64(math.Ceil(float64(h)/float64(mg))), n+1)
	curlen := maxj - minj
	lenA := min(2*maxj+2, n+1)
	a := make([]float64, lenA)
	for i := range a {
		a[i] = 1
	}
	for i := minj; i < maxj && i < lenA; i++ {
		a[i] = 0
	}
	for i := int64(1); i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = max(int64(math.Floor(float64(ng*i-h)/float64(mg)))+1, 0)
		minj = min(minj, n)
		maxj = min(int64(math.Ceil(float64(ng*i+h)/float64(mg))), n+1)
		if maxj <= minj {
			return 1
		}
		val := 1.0
		if minj == 0 {
			val = 0
		}
		fi := float64(i)
		for jj := int64(0); jj < maxj-minj; jj++ {
			j := jj + minj
			val = (a[jj+minj-lastminj]*fi + val*float64(j)) / float64(i+j)
			a[jj] = val
		}
		curlen = maxj - minj
		if lastlen > curlen {
			for k := maxj - minj; k < maxj-minj+(lastlen-curlen) && k < lenA; k++ {
				a[k] = 1
			}
		}
	}
	return a[maxj-minj-1]
}
