package drift

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// ChiSquare returns Pearson's chi-square goodness-of-fit statistic
//
//	χ² = Σ_i (o_i − e_i)² / e_i
//
// and its p-value Pr(χ²_{k−1} >= χ²), like scipy.stats.chisquare(observed,
// expected). Unlike scipy, which requires both to have the same total,
// expected is first rescaled to the total of observed, so it may hold
// reference counts or proportions.
//
// Edge cases: a category with zero expected and positive observed count makes
// the statistic +Inf and the p-value 0 (as scipy); a category where both are
// zero is dropped and does not count towards the k−1 degrees of freedom
// (scipy returns NaN). With fewer than two categories left the statistic is
// 0 and the p-value 1. If observed or expected sums to zero or the inputs are
// empty, ChiSquare returns NaN, NaN.
//
// ChiSquare panics if len(observed) != len(expected). The inputs are not
// modified.
func ChiSquare(observed, expected []float64) (statistic, pValue float64) {
	if len(observed) != len(expected) {
		panic("drift: len(observed) != len(expected)")
	}
	var so, se float64
	for i := range observed {
		so += observed[i]
		se += expected[i]
	}
	if len(observed) == 0 || so <= 0 || se <= 0 {
		return math.NaN(), math.NaN()
	}
	scale := so / se
	k := 0
	for i, o := range observed {
		e := expected[i] * scale
		if e == 0 {
			if o == 0 {
				continue
			}
			statistic = math.Inf(1)
			k++
			continue
		}
		d := o - e
		statistic += d * d / e
		k++
	}
	return statistic, chi2SF(statistic, k-1)
}

// chi2SF returns Pr(χ²_dof >= x), as scipy.special.chdtrc; for dof < 1 it
// returns 1.
func chi2SF(x float64, dof int) float64 {
	switch {
	case dof < 1:
		return 1
	case math.IsInf(x, 1):
		return 0
	case x <= 0:
		return 1
	}
	return mathext.GammaIncRegComp(float64(dof)/2, x/2)
}
