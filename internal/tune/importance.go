package tune

import (
	"cmp"
	"math"
	"slices"
)

// ParamImportance is how much of the objective's variation over a study's
// complete trials one parameter explains.
type ParamImportance struct {
	Name string `json:"name"`
	// Importance is Explained normalised so that the space's parameters sum
	// to 1 (all 0 when none explains anything).
	Importance float64 `json:"importance"`
	// Explained is the bias-corrected share of the variance of the
	// objective's ranks explained by the parameter's bins (epsilon-squared),
	// in [0, 1].
	Explained float64 `json:"explained"`
	// Trials is the number of complete trials where the parameter was active.
	Trials int `json:"trials"`
}

// Importance estimates each parameter's importance from the complete
// trials, with a one-way analysis of variance per parameter rather than
// fANOVA's random forest (which needs many more trials than a tuning budget
// gives and a forest of its own):
//
//  1. Take the complete trials where the parameter is active and replace
//     their objective values by their ranks (ties get their mean rank), so
//     that a diverged trial with a huge loss does not dominate.
//  2. Put the trials into bins of the parameter's value: one per choice of a
//     categorical parameter; for a numeric one, B = round(√n) clamped to
//     [2, 10] bins of equal counts (quantiles, so the log scale does not
//     matter), equal values always in the same bin.
//  3. The parameter's score is epsilon-squared, (SS_between − (k−1)·MS_within)
//     / SS_total clamped at 0 with k the number of non-empty bins: the share
//     of the ranks' variance the bins explain, minus what k bins would
//     explain by chance.
//
// Scores are normalised to sum to 1. Like fANOVA's main effects, the
// estimate sees each parameter alone: two parameters that matter only
// together score low, and with TPE's trials concentrated near the optimum
// the scores describe the region explored rather than the whole space.
// Parameters with fewer than 3 such trials, and fixed ones, score 0. The
// result follows the space's order, most important first.
func Importance(space *Space, trials []TrialRecord) []ParamImportance {
	out := make([]ParamImportance, 0, len(space.Params))
	total := 0.0
	for i := range space.Params {
		p := &space.Params[i]
		imp := ParamImportance{Name: p.Name}
		if !p.Fixed() {
			var xs, ys []float64
			for _, t := range trials {
				if t.State != StateComplete || math.IsNaN(t.Value) {
					continue
				}
				s, ok := t.Params[p.Name]
				if !ok {
					continue
				}
				x, ok := p.internal(s)
				if !ok {
					continue
				}
				xs, ys = append(xs, x), append(ys, t.Value)
			}
			imp.Trials = len(xs)
			imp.Explained = epsilonSquared(bins(p, xs), ranks(ys))
		}
		total += imp.Explained
		out = append(out, imp)
	}
	for i := range out {
		if total > 0 {
			out[i].Importance = out[i].Explained / total
		}
	}
	slices.SortStableFunc(out, func(a, b ParamImportance) int { return cmp.Compare(b.Explained, a.Explained) })
	return out
}

// ranks returns the ranks (1..n, ties get their mean) of v.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(v[a], v[b]) })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		mean := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = mean
		}
		i = j + 1
	}
	return r
}

// bins returns each value's bin: the choice index for a categorical
// parameter, a quantile bin for a numeric one.
func bins(p *Param, xs []float64) []int {
	out := make([]int, len(xs))
	if p.Type == Categorical {
		for i, x := range xs {
			out[i] = int(x)
		}
		return out
	}
	n := len(xs)
	b := min(max(int(math.Round(math.Sqrt(float64(n)))), 2), 10)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, c int) int { return cmp.Compare(xs[a], xs[c]) })
	first := 0
	for pos, i := range idx {
		if pos == 0 || xs[i] != xs[idx[pos-1]] {
			first = pos
		}
		out[i] = first * b / n
	}
	return out
}

// epsilonSquared returns the bias-corrected share of y's variance explained
// by the groups, clamped to [0, 1]; 0 with fewer than 3 values, one group, or
// as many groups as values.
func epsilonSquared(group []int, y []float64) float64 {
	n := len(y)
	if n < 3 {
		return 0
	}
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	sum := map[int]float64{}
	cnt := map[int]int{}
	ssTotal := 0.0
	for i, v := range y {
		sum[group[i]] += v
		cnt[group[i]]++
		ssTotal += (v - mean) * (v - mean)
	}
	k := len(cnt)
	if k < 2 || k >= n || ssTotal == 0 {
		return 0
	}
	ssBetween := 0.0
	groups := make([]int, 0, k)
	for g := range cnt {
		groups = append(groups, g)
	}
	slices.Sort(groups) // a fixed summation order: the same trials give the same bits
	for _, g := range groups {
		c := cnt[g]
		m := sum[g] / float64(c)
		ssBetween += float64(c) * (m - mean) * (m - mean)
	}
	msWithin := (ssTotal - ssBetween) / float64(n-k)
	return min(max((ssBetween-float64(k-1)*msWithin)/ssTotal, 0), 1)
}
