package drift

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/stat"
)

// normalSample returns n seeded N(mean, sd) draws.
func normalSample(seed uint64, n int, mean, sd float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	x := make([]float64, n)
	for i := range x {
		x[i] = mean + sd*rng.NormFloat64()
	}
	return x
}

func TestNewNumericReferenceSmallColumnIsExact(t *testing.T) {
	t.Parallel()
	x := []float64{3, math.NaN(), 1, 2, math.Inf(1), 2, 5, math.Inf(-1), 4, 2}
	orig := slices.Clone(x)
	r := NewNumericReference(x, SketchConfig{PSIBins: 4})
	require.NoError(t, r.Validate())
	require.Equal(t, len(orig), len(x))
	for i := range x {
		require.True(t, x[i] == orig[i] || math.IsNaN(orig[i]), "input modified")
	}

	finite := []float64{1, 2, 2, 2, 3, 4, 5}
	require.Equal(t, 7, r.Count)
	require.Equal(t, 3, r.Missing)
	require.Equal(t, 5, r.Distinct)
	require.Equal(t, 1.0, r.Min)
	require.Equal(t, 5.0, r.Max)
	require.Equal(t, finite, r.Sample)
	mean, std := stat.PopMeanStdDev(finite, nil)
	require.InDelta(t, mean, r.Mean, 1e-15)
	require.InDelta(t, std, r.Std, 1e-15)
	// numpy.quantile([1,2,2,2,3,4,5], [0, .25, .5, .75, 1]) = [1, 2, 2, 3.5, 5].
	require.Equal(t, []float64{1, 2, 3.5, 5}, r.Edges)
	// Bins: below 1 | [1,2) | [2,3.5) | [3.5,5] | above 5.
	require.Equal(t, []int{0, 1, 4, 2, 0}, r.BinCounts)
	require.Equal(t, []float64{1, 2, 3, 4, 5}, r.Values)
	require.Equal(t, []int{1, 3, 1, 1, 1}, r.ValueCounts)
}

func TestNewNumericReferenceEmpty(t *testing.T) {
	t.Parallel()
	r := NewNumericReference([]float64{math.NaN(), math.NaN()}, SketchConfig{})
	require.NoError(t, r.Validate())
	require.Equal(t, 0, r.Count)
	require.Equal(t, 2, r.Missing)
	_, err := json.Marshal(r)
	require.NoError(t, err)
	_, err = CompareNumeric(r, []float64{1}, Config{})
	require.ErrorIs(t, err, ErrEmpty)
}

func TestNewNumericReferenceSketch(t *testing.T) {
	t.Parallel()
	x := normalSample(1, 10007, 2, 3)
	r := NewNumericReference(x, SketchConfig{SampleSize: 100, MaxValues: -1})
	require.NoError(t, r.Validate())
	require.Len(t, r.Sample, 100)
	require.Nil(t, r.Values)
	require.Equal(t, 10007, r.Distinct)
	sorted := slices.Sorted(slices.Values(x))
	require.Equal(t, sorted[0], r.Min)
	require.Equal(t, sorted[len(sorted)-1], r.Max)
	// Mid-rank order statistics: the sample ECDF is within 1/(2m) of the
	// column's at every sample point.
	for i, v := range r.Sample {
		require.Equal(t, sorted[(2*i+1)*10007/200], v)
		full := float64(sortUpper(sorted, v)) / 10007
		require.InDelta(t, float64(i+1)/100, full, 1.0/200+1e-12)
	}
	require.Equal(t, 10007, sumInts(r.BinCounts))
	require.Len(t, r.BinCounts, len(r.Edges)+1)
}

// sortUpper returns the number of values of the sorted x that are <= v.
func sortUpper(x []float64, v float64) int {
	n, _ := slices.BinarySearch(x, math.Nextafter(v, math.Inf(1)))
	return n
}

func TestNumericReferenceJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r := NewNumericReference(normalSample(2, 5000, 0, 1), SketchConfig{SampleSize: 64})
	b, err := json.Marshal(r)
	require.NoError(t, err)
	for _, key := range []string{`"count"`, `"missing"`, `"distinct"`, `"sample"`, `"edges"`, `"bin_counts"`, `"std"`} {
		require.Contains(t, string(b), key)
	}
	require.NotContains(t, string(b), `"values"`, "continuous column keeps no value counts")
	var got NumericReference
	require.NoError(t, json.Unmarshal(b, &got))
	require.Equal(t, *r, got)

	c := NewCategoricalReference(map[string]int{"b": 2, "a": 1, "z": 0}, 4)
	b, err = json.Marshal(c)
	require.NoError(t, err)
	require.JSONEq(t, `{"count":3,"missing":4,"counts":{"a":1,"b":2}}`, string(b))
}

func TestNumericReferenceValidate(t *testing.T) {
	t.Parallel()
	good := func() *NumericReference {
		return NewNumericReference([]float64{1, 2, 3, 4, 5, 5}, SketchConfig{})
	}
	tests := []struct {
		name   string
		mutate func(r *NumericReference)
		want   string
	}{
		{"unsorted sample", func(r *NumericReference) { r.Sample[0], r.Sample[1] = r.Sample[1], r.Sample[0] }, "not sorted"},
		{"empty sample", func(r *NumericReference) { r.Sample = nil }, "sample has 0 values"},
		{"bin counts", func(r *NumericReference) { r.BinCounts = r.BinCounts[1:] }, "bin counts for"},
		{"bin sum", func(r *NumericReference) { r.BinCounts[1]++ }, "bin counts sum"},
		{"edges", func(r *NumericReference) { r.Edges[1] = r.Edges[0] }, "edges"},
		{"values", func(r *NumericReference) { r.ValueCounts = r.ValueCounts[1:] }, "differ in length"},
		{"value sum", func(r *NumericReference) { r.ValueCounts[0]++ }, "value counts sum"},
		{"negative", func(r *NumericReference) { r.Missing = -1 }, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := good()
			require.NoError(t, r.Validate())
			tc.mutate(r)
			err := r.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			_, err = CompareNumeric(r, []float64{1, 2}, Config{})
			require.Error(t, err)
		})
	}
	var nilRef *NumericReference
	require.Error(t, nilRef.Validate())
}

func TestCategoricalReference(t *testing.T) {
	t.Parallel()
	counts, missing := CountCategories([]string{"a", "b", "", "a", "c"}, []bool{false, false, true, false, false})
	require.Equal(t, map[string]int{"a": 2, "b": 1, "c": 1}, counts)
	require.Equal(t, 1, missing)
	r := NewCategoricalReference(counts, missing)
	require.NoError(t, r.Validate())
	require.Equal(t, 4, r.Count)
	counts["a"] = 100
	require.Equal(t, 2, r.Counts["a"], "counts are copied")
	r.Count++
	require.Error(t, r.Validate())
	require.Panics(t, func() { CountCategories([]string{"a"}, []bool{}) })
	require.Panics(t, func() { NewCategoricalReference(map[string]int{"a": -1}, 0) })
}

// TestSketchApproachesExact checks the documented bounds of the sketch
// against the raw-sample statistics on the full training column, and that
// the error shrinks as the sketch grows.
func TestSketchApproachesExact(t *testing.T) {
	t.Parallel()
	train := normalSample(3, 100_000, 0, 1)
	// A long right tail makes Wasserstein's sketch error visible.
	for i := 0; i < len(train); i += 100 {
		train[i] = math.Exp(train[i] + 2)
	}
	current := normalSample(4, 20_000, 0.05, 1.1)
	wantD, _ := KS(train, current)
	wantW := Wasserstein(train, current, nil, nil)
	wantPSI := PSI(train, current, DefaultPSIBins)
	_, sd := stat.PopMeanStdDev(train, nil)

	prevW := math.Inf(1)
	for _, m := range []int{250, 1000, 4000, 16000} {
		ref := NewNumericReference(train, SketchConfig{SampleSize: m})
		ks, err := CompareNumeric(ref, current, Config{Method: MethodKS})
		require.NoError(t, err)
		require.InDelta(t, wantD, ks.Statistic, 1/(2*float64(m))+1e-12, "m=%d", m)
		require.NotNil(t, ks.PValue)
		// Same regime (asymptotic, n = round(100000·20000/120000)).
		_, pAtD := ksPValue(ks.Statistic, len(train), len(current))
		require.Equal(t, pAtD, *ks.PValue)

		w, err := CompareNumeric(ref, current, Config{Method: MethodWasserstein})
		require.NoError(t, err)
		errW := math.Abs(w.Statistic - wantW)
		require.LessOrEqual(t, errW, (ref.Max-ref.Min)/(2*float64(m)), "m=%d", m)
		require.Less(t, errW, prevW, "m=%d: error should shrink", m)
		prevW = errW
		require.InDelta(t, wantW/sd, w.Value, errW/sd+1e-12)

		psi, err := CompareNumeric(ref, current, Config{Method: MethodPSI})
		require.NoError(t, err)
		require.True(t, scalar.EqualWithinAbsOrRel(wantPSI, psi.Statistic, 1e-15, 1e-12), "PSI is exact: %v vs %v", psi.Statistic, wantPSI)
	}
	// The heavy tail converges slowly: 11% relative error at m=250, 0.35%
	// at m=16000.
	require.Less(t, prevW/wantW, 0.01, "W1 relative error at m=16000")
}

// TestSketchExactWhenSmall checks that a reference kept whole reproduces
// scipy exactly through CompareNumeric.
func TestSketchExactWhenSmall(t *testing.T) {
	t.Parallel()
	for _, tc := range mustReference(t).KS2Samp {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			ref := NewNumericReference(tc.A, SketchConfig{SampleSize: len(tc.A)})
			res, err := CompareNumeric(ref, tc.B, Config{Method: MethodKS})
			require.NoError(t, err)
			requireClose(t, tc.Statistic, res.Statistic, "statistic")
			requireClose(t, tc.PValue, *res.PValue, "p-value")
		})
	}
	for _, tc := range mustReference(t).Wasserstein {
		if tc.UWeights != nil || tc.VWeights != nil {
			continue
		}
		ref := NewNumericReference(tc.U, SketchConfig{})
		res, err := CompareNumeric(ref, tc.V, Config{Method: MethodWasserstein})
		require.NoError(t, err)
		requireClose(t, tc.Distance, res.Statistic, tc.Name)
	}
	for _, tc := range mustReference(t).PSI {
		ref := NewNumericReference(tc.Reference, SketchConfig{PSIBins: tc.Bins})
		require.Equal(t, tc.Edges, ref.Edges, tc.Name)
		res, err := CompareNumeric(ref, tc.Current, Config{Method: MethodPSI})
		require.NoError(t, err)
		requireClose(t, tc.PSI, res.Statistic, tc.Name)
	}
}
