package drift

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAutoMethodSelection(t *testing.T) {
	t.Parallel()
	discrete := func(seed uint64, n, k int) []float64 {
		x := normalSample(seed, n, 0, 1)
		for i := range x {
			x[i] = math.Mod(math.Abs(math.Floor(x[i]*3)), float64(k))
		}
		return x
	}
	tests := []struct {
		name    string
		ref     []float64
		current []float64
		want    Method
	}{
		{"small continuous", normalSample(1, 1000, 0, 1), normalSample(2, 50, 0, 1), MethodKS},
		{"small discrete", discrete(3, 1000, 5), discrete(4, 300, 5), MethodChiSquare},
		{"small discrete, new values in current", discrete(5, 500, 5), []float64{0, 1, 7}, MethodKS},
		{"large continuous", normalSample(6, 1001, 0, 1), normalSample(7, 50, 0, 1), MethodWasserstein},
		{"large discrete", discrete(8, 5000, 3), discrete(9, 100, 3), MethodJensenShannon},
		{"missing values do not count", append(normalSample(10, 1000, 0, 1), math.NaN(), math.NaN()), normalSample(11, 10, 0, 1), MethodKS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ref := NewNumericReference(tc.ref, SketchConfig{})
			res, err := CompareNumeric(ref, tc.current, Config{})
			require.NoError(t, err)
			require.Equal(t, tc.want, res.Method)
		})
	}

	small := NewCategoricalReference(map[string]int{"a": 500, "b": 500}, 0)
	res, err := CompareCategorical(small, map[string]int{"a": 10, "b": 12}, Config{})
	require.NoError(t, err)
	require.Equal(t, MethodChiSquare, res.Method)
	large := NewCategoricalReference(map[string]int{"a": 500, "b": 501}, 0)
	res, err = CompareCategorical(large, map[string]int{"a": 10, "b": 12}, Config{})
	require.NoError(t, err)
	require.Equal(t, MethodJensenShannon, res.Method)
}

func TestDriftRulesAndThresholds(t *testing.T) {
	t.Parallel()
	ref := NewNumericReference(normalSample(20, 800, 0, 1), SketchConfig{})
	cur := normalSample(21, 800, 0.12, 1)

	res, err := CompareNumeric(ref, cur, Config{})
	require.NoError(t, err)
	require.Equal(t, MethodKS, res.Method)
	require.Equal(t, DefaultKSThreshold, res.Threshold)
	require.Equal(t, *res.PValue, res.Value)
	require.Equal(t, res.Value <= res.Threshold, res.Drifted)

	// Thresholds are per method: raising KS's flips the decision.
	p := res.Value
	for _, thr := range []float64{p / 2, p, math.Min(2*p, 0.99)} {
		r, err := CompareNumeric(ref, cur, Config{KSThreshold: thr})
		require.NoError(t, err)
		require.Equal(t, thr, r.Threshold)
		require.Equal(t, p <= thr, r.Drifted, "threshold %v", thr)
	}

	w, err := CompareNumeric(ref, cur, Config{Method: MethodWasserstein})
	require.NoError(t, err)
	require.Nil(t, w.PValue)
	require.InDelta(t, w.Statistic/ref.Std, w.Value, 1e-15)
	require.Equal(t, DefaultWassersteinThreshold, w.Threshold)
	r, err := CompareNumeric(ref, cur, Config{Method: MethodWasserstein, WassersteinThreshold: w.Value})
	require.NoError(t, err)
	require.True(t, r.Drifted, "distance drifts at value >= threshold")

	psi, err := CompareNumeric(ref, cur, Config{Method: MethodPSI, PSIThreshold: 0.25})
	require.NoError(t, err)
	require.Equal(t, 0.25, psi.Threshold)
	require.Equal(t, psi.Statistic, psi.Value)

	// Chi-square drifts on p < threshold, strictly (Evidently).
	cref := NewCategoricalReference(map[string]int{"a": 50, "b": 50}, 0)
	c, err := CompareCategorical(cref, map[string]int{"a": 60, "b": 40}, Config{})
	require.NoError(t, err)
	c2, err := CompareCategorical(cref, map[string]int{"a": 60, "b": 40}, Config{ChiSquareThreshold: c.Value})
	require.NoError(t, err)
	require.False(t, c2.Drifted)
}

func TestConstantReferenceWasserstein(t *testing.T) {
	t.Parallel()
	ref := NewNumericReference(slices.Repeat([]float64{2}, 2000), SketchConfig{})
	require.Equal(t, 0.0, ref.Std)
	res, err := CompareNumeric(ref, []float64{2, 2, 2.001, 2}, Config{Method: MethodWasserstein})
	require.NoError(t, err)
	require.InDelta(t, 0.00025, res.Statistic, 1e-15)
	require.InDelta(t, 0.25, res.Value, 1e-12, "divided by MinWassersteinNorm")
	require.True(t, res.Drifted)
}

func TestCategoricalUnseen(t *testing.T) {
	t.Parallel()
	ref := NewCategoricalReference(map[string]int{"a": 300, "b": 500, "c": 200}, 7)

	// One unseen value among many is not drift; the pseudo-count keeps the
	// statistic finite.
	few, err := CompareCategorical(ref, map[string]int{"a": 301, "b": 499, "c": 200, "new": 1}, Config{})
	require.NoError(t, err)
	require.Equal(t, MethodChiSquare, few.Method)
	require.False(t, math.IsInf(few.Statistic, 0))
	require.False(t, few.Drifted, "p=%v", few.Value)
	// Same as ChiSquare with the pooled cell at UnseenPseudoCount.
	s, p := ChiSquare([]float64{301, 499, 200, 1}, []float64{300, 500, 200, UnseenPseudoCount})
	require.Equal(t, s, few.Statistic)
	require.Equal(t, p, few.Value)

	// A large unseen share drifts.
	many, err := CompareCategorical(ref, map[string]int{"a": 200, "b": 400, "c": 200, "x": 100, "y": 100}, Config{})
	require.NoError(t, err)
	require.True(t, many.Drifted)

	// Jensen–Shannon is the same whether unseen categories are pooled.
	cur := map[string]int{"a": 100, "b": 120, "x": 30, "y": 50}
	js, err := CompareCategorical(ref, cur, Config{Method: MethodJensenShannon})
	require.NoError(t, err)
	want := JensenShannon([]float64{300, 500, 200, 0, 0}, []float64{100, 120, 0, 30, 50}, 0)
	require.InDelta(t, want, js.Statistic, 1e-15)

	// PSI treats categories as bins.
	psi, err := CompareCategorical(ref, cur, Config{Method: MethodPSI})
	require.NoError(t, err)
	require.InDelta(t, psiFromCounts([]float64{300, 500, 200, 0}, []float64{100, 120, 0, 80}), psi.Statistic, 1e-15)
}

func TestNumericDiscreteCells(t *testing.T) {
	t.Parallel()
	ref := NewNumericReference([]float64{0, 0, 1, 1, 1, 2, 2, 2, 2, 2}, SketchConfig{})
	res, err := CompareNumeric(ref, []float64{0, 1, 1, 2, 2, 2, 5, 5}, Config{})
	require.NoError(t, err)
	require.Equal(t, MethodChiSquare, res.Method)
	s, p := ChiSquare([]float64{1, 2, 3, 2}, []float64{2, 3, 5, UnseenPseudoCount})
	require.Equal(t, s, res.Statistic)
	require.Equal(t, p, res.Value)

	js, err := CompareNumeric(ref, []float64{0, 1, 1, 2, 2, 2, 5, 5}, Config{Method: MethodJensenShannon})
	require.NoError(t, err)
	require.InDelta(t, JensenShannon([]float64{2, 3, 5, 0}, []float64{1, 2, 3, 2}, 0), js.Statistic, 1e-15)

	// Without kept values, chi-square runs on the PSI bins.
	binned := NewNumericReference(normalSample(30, 3000, 0, 1), SketchConfig{MaxValues: -1})
	cur := normalSample(31, 500, 0, 1)
	res, err = CompareNumeric(binned, cur, Config{Method: MethodChiSquare})
	require.NoError(t, err)
	refCounts := make([]float64, len(binned.BinCounts))
	for i, c := range binned.BinCounts {
		refCounts[i] = float64(c)
	}
	curCounts := countBins(binned.Edges, cur)
	var obs, exp []float64
	for i := range refCounts {
		if refCounts[i] == 0 && curCounts[i] == 0 {
			continue
		}
		obs = append(obs, curCounts[i])
		exp = append(exp, max(refCounts[i], UnseenPseudoCount))
	}
	s, p = ChiSquare(obs, exp)
	require.InDelta(t, s, res.Statistic, 1e-12)
	require.InDelta(t, p, res.Value, 1e-12)
}

func TestCompareErrors(t *testing.T) {
	t.Parallel()
	ref := NewNumericReference([]float64{1, 2, 3}, SketchConfig{})
	_, err := CompareNumeric(ref, []float64{math.NaN(), math.Inf(1)}, Config{})
	require.ErrorIs(t, err, ErrEmpty)
	_, err = CompareNumeric(ref, nil, Config{})
	require.ErrorIs(t, err, ErrEmpty)
	_, err = CompareNumeric(ref, []float64{1}, Config{Method: "bogus"})
	require.ErrorContains(t, err, "unknown method")
	_, err = CompareNumeric(ref, []float64{1}, Config{KSThreshold: 1.5})
	require.ErrorContains(t, err, "outside (0, 1)")
	_, err = CompareNumeric(ref, []float64{1}, Config{PSIThreshold: -1})
	require.Error(t, err)

	cref := NewCategoricalReference(map[string]int{"a": 1}, 0)
	_, err = CompareCategorical(cref, map[string]int{"a": 1}, Config{Method: MethodKS})
	require.ErrorIs(t, err, ErrMethod)
	_, err = CompareCategorical(cref, map[string]int{"a": 0}, Config{})
	require.ErrorIs(t, err, ErrEmpty)
	_, err = CompareCategorical(cref, map[string]int{"a": -1}, Config{})
	require.ErrorContains(t, err, "negative")
	_, err = CompareCategorical(NewCategoricalReference(nil, 3), map[string]int{"a": 1}, Config{})
	require.ErrorIs(t, err, ErrEmpty)

	// A single reference category and no unseen one: no degrees of freedom.
	res, err := CompareCategorical(cref, map[string]int{"a": 5}, Config{})
	require.NoError(t, err)
	require.Equal(t, 1.0, res.Value)
	require.False(t, res.Drifted)
}

func TestCompareDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	cur := normalSample(40, 3000, 0, 1)
	cur[5] = math.NaN()
	orig := slices.Clone(cur)
	ref := NewNumericReference(normalSample(41, 3000, 0, 1), SketchConfig{})
	for _, m := range []Method{MethodKS, MethodWasserstein, MethodPSI, MethodChiSquare, MethodJensenShannon} {
		_, err := CompareNumeric(ref, cur, Config{Method: m})
		require.NoError(t, err)
	}
	require.True(t, math.IsNaN(cur[5]))
	cur[5], orig[5] = 0, 0
	require.Equal(t, orig, cur)
}

func TestResultJSON(t *testing.T) {
	t.Parallel()
	p := 0.0
	b, err := json.Marshal(Result{Method: MethodKS, Statistic: 1, PValue: &p, Value: 0, Threshold: 0.05, Drifted: true})
	require.NoError(t, err)
	require.JSONEq(t, `{"method":"ks","statistic":1,"p_value":0,"value":0,"threshold":0.05,"drifted":true}`, string(b))
	b, err = json.Marshal(ColumnResult{Column: "age", Result: Result{Method: MethodPSI, Statistic: 0.3, Value: 0.3, Threshold: 0.1, Drifted: true}})
	require.NoError(t, err)
	require.JSONEq(t, `{"column":"age","method":"psi","statistic":0.3,"value":0.3,"threshold":0.1,"drifted":true}`, string(b))
}

func TestRawFunctionEdgeCases(t *testing.T) {
	t.Parallel()
	d, p := KS(nil, []float64{1})
	require.True(t, math.IsNaN(d) && math.IsNaN(p))
	s, p := ChiSquare([]float64{0, 5}, []float64{1, 0})
	require.True(t, math.IsInf(s, 1))
	require.Equal(t, 0.0, p)
	s, p = ChiSquare([]float64{0, 5, 5}, []float64{0, 1, 1})
	require.Equal(t, 0.0, s, "0/0 cell dropped")
	require.Equal(t, 1.0, p)
	s, p = ChiSquare(nil, nil)
	require.True(t, math.IsNaN(s) && math.IsNaN(p))
	require.Panics(t, func() { ChiSquare([]float64{1}, nil) })
	require.Panics(t, func() { JensenShannon([]float64{1}, nil, 0) })
	require.True(t, math.IsNaN(JensenShannon([]float64{0}, []float64{1}, 0)))
	require.Panics(t, func() { Wasserstein([]float64{1}, []float64{1}, []float64{1, 2}, nil) })
	require.True(t, math.IsNaN(Wasserstein(nil, []float64{1}, nil, nil)))
	require.True(t, math.IsNaN(Wasserstein([]float64{1}, []float64{1}, []float64{0}, nil)))
	require.True(t, math.IsNaN(PSI(nil, []float64{1}, 0)))
	require.InDelta(t, math.Sqrt(math.Ln2), JensenShannon([]float64{1, 0}, []float64{0, 1}, 0), 1e-15)
}
