package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestCompareSampleMatchesSorted checks the one-pass kernel against the
// sort-and-merge computation of KS and W1 on random samples with ties,
// missing values and values outside the sample range.
func TestCompareSampleMatchesSorted(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	var kb kernelBuffers
	crossed := 0
	for trial := range 300 {
		m := 1 + rng.IntN(300)
		n := 1 + rng.IntN(3000)
		digits := []float64{0, 1, 10, 1e6}[trial%4] // 0: no rounding
		shift := []float64{0, 0, 0.1, 2}[rng.IntN(4)]
		draw := func(k int, loc float64) []float64 {
			x := make([]float64, k)
			for i := range x {
				x[i] = loc + rng.NormFloat64()
				if digits != 0 {
					x[i] = math.Round(x[i]*digits) / digits
				}
			}
			return x
		}
		sample := draw(m, 0)
		slices.Sort(sample)
		cur := draw(n, shift)
		if trial%5 == 0 {
			cur[0] = math.NaN()
			cur[len(cur)-1] = math.Inf(-1)
		}
		var finite []float64
		for _, v := range cur {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				finite = append(finite, v)
			}
		}
		slices.Sort(finite)

		got := kb.compareSample(sample, cur)
		require.Equal(t, len(finite), got.n)
		if len(finite) == 0 {
			continue
		}
		require.Equal(t, ksStatSorted(sample, finite), got.ks, "trial %d", trial)
		want := wassersteinSorted(sample, nil, finite, nil)
		require.True(t, scalar.EqualWithinAbsOrRel(want, got.wasserstein, 1e-15, 1e-12),
			"trial %d: W1 %v, want %v", trial, got.wasserstein, want)
		for _, s := range kb.gapStat {
			if s.n < 0 {
				crossed++
				break
			}
		}
	}
	require.Greater(t, crossed, 50, "the crossing-gap path must be exercised")
}

func TestCompareSampleEdgeCases(t *testing.T) {
	t.Parallel()
	var kb kernelBuffers
	tests := []struct {
		name        string
		sample, cur []float64
	}{
		{"single sample value", []float64{1}, []float64{0, 1, 1, 2, 3}},
		{"constant sample", []float64{2, 2, 2}, []float64{2, 2}},
		{"current equal to sample", []float64{1, 2, 3}, []float64{3, 2, 1}},
		{"current below", []float64{10, 11}, []float64{-1, -2}},
		{"current above", []float64{10, 11}, []float64{100}},
		{"tiny range", []float64{1, math.Nextafter(1, 2)}, []float64{1, 1, math.Nextafter(1, 2), 0.5}},
		{"huge range", []float64{-1e300, 1e300}, []float64{0, 1e299, -5e299}},
	}
	for _, tc := range tests {
		finite := slices.Sorted(slices.Values(tc.cur))
		got := kb.compareSample(tc.sample, tc.cur)
		require.Equal(t, ksStatSorted(tc.sample, finite), got.ks, tc.name)
		want := wassersteinSorted(tc.sample, nil, finite, nil)
		require.True(t, scalar.EqualWithinAbsOrRel(want, got.wasserstein, 1e-300, 1e-12), "%s: %v vs %v", tc.name, got.wasserstein, want)
	}
	got := kb.compareSample([]float64{1, 2}, []float64{math.NaN()})
	require.Equal(t, 0, got.n)
}
