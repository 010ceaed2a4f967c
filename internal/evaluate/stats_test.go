package evaluate

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"

	"mlw.dev/frame"
	"mlw.dev/internal/stats"
)

// reference holds testdata/reference.json, written by
// testdata/gen_reference.py (numpy 1.24.2, scipy 1.10.1).
type reference struct {
	Binomial []struct {
		K, N   int
		P      float64
		PValue float64 `json:"pvalue"`
	} `json:"binomial"`
	BH []struct {
		P, Q []float64
	} `json:"bh"`
	Percentile struct {
		X, Q, Want []float64
	} `json:"percentile"`
	Fairness struct {
		Group []string `json:"group"`
		Y     []int    `json:"y"`
		Pred  []int    `json:"pred"`
		Rates map[string]struct {
			PositiveRate float64 `json:"positive_rate"`
			TPR          float64 `json:"tpr"`
			FPR          float64 `json:"fpr"`
		} `json:"rates"`
		DPD float64 `json:"demographic_parity_difference"`
		DPR float64 `json:"demographic_parity_ratio"`
		EOD float64 `json:"equalized_odds_difference"`
	} `json:"fairness"`
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	require.NoError(t, err)
	var ref reference
	require.NoError(t, json.Unmarshal(data, &ref))
	return &ref
}

func TestBinomialGreaterMatchesScipy(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	require.NotEmpty(t, ref.Binomial)
	for _, c := range ref.Binomial {
		got := binomialGreater(c.K, c.N, c.P)
		require.True(t, scalar.EqualWithinAbsOrRel(got, c.PValue, 1e-9, 1e-9),
			"binomtest(%d, %d, %g, greater) = %g, want %g (scipy 1.10.1)", c.K, c.N, c.P, got, c.PValue)
	}
	for _, tc := range []struct {
		k, n int
		p    float64
		want float64
	}{
		{0, 5, 0.5, 1}, {3, 5, 0, 0}, {3, 5, 1, 1}, {6, 5, 0.5, 0},
		{1, 1, 0.25, 0.25}, // P(X >= 1) = p for one trial
		{2, 2, 0.5, 0.25},  // both successes
	} {
		require.InDelta(t, tc.want, binomialGreater(tc.k, tc.n, tc.p), 1e-15, "%+v", tc)
	}
}

func TestBenjaminiHochbergMatchesReference(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	for _, c := range ref.BH {
		got := benjaminiHochberg(c.P)
		require.Len(t, got, len(c.Q))
		for i := range got {
			require.True(t, scalar.EqualWithinAbsOrRel(got[i], c.Q[i], 1e-12, 1e-12), "q[%d] = %g, want %g (numpy)", i, got[i], c.Q[i])
		}
	}
	// By hand: m = 4, sorted p = .01 .02 .03 .5 → 4p/rank = .04 .04 .04 .5.
	require.Equal(t, []float64{0.04, 0.5, 0.04, 0.04}, benjaminiHochberg([]float64{0.03, 0.5, 0.01, 0.02}))
	require.Empty(t, benjaminiHochberg(nil))
}

func TestPercentileMatchesNumpy(t *testing.T) {
	t.Parallel()
	ref := loadReference(t).Percentile
	for i, q := range ref.Q {
		require.True(t, scalar.EqualWithinAbsOrRel(stats.Quantile(ref.X, q), ref.Want[i], 1e-12, 1e-12), "q=%g", q)
	}
	lo, hi := percentileInterval([]float64{math.NaN(), 1, 2, 3, 4, 5}, 0.5)
	require.Equal(t, 2.0, lo)
	require.Equal(t, 4.0, hi)
	lo, _ = percentileInterval([]float64{math.NaN(), math.NaN(), 1}, 0.05)
	require.True(t, math.IsNaN(lo), "null when most resamples are undefined")
}

func TestFairness(t *testing.T) {
	t.Parallel()
	ref := loadReference(t).Fairness
	for _, tc := range []struct {
		name          string
		group         []string
		y, pred       []int
		minRows       int
		dpd, dpr, eod float64
		rates         map[string][3]float64 // positive rate, TPR, FPR
	}{
		{
			// By hand: a has 4 rows (y 1 1 0 0, pred 1 0 1 0): selection 2/4,
			// TPR 1/2, FPR 1/2; b has 4 rows (y 1 0 0 0, pred 1 0 0 0):
			// selection 1/4, TPR 1, FPR 0. DPD = 1/4, DPR = 1/2,
			// EOD = max(|1/2−1|, |1/2−0|) = 1/2.
			name:  "hand",
			group: []string{"a", "a", "a", "a", "b", "b", "b", "b"},
			y:     []int{1, 1, 0, 0, 1, 0, 0, 0}, pred: []int{1, 0, 1, 0, 1, 0, 0, 0},
			minRows: 1, dpd: 0.25, dpr: 0.5, eod: 0.5,
			rates: map[string][3]float64{"a": {0.5, 0.5, 0.5}, "b": {0.25, 1, 0}},
		},
		{
			// numpy reference (fairlearn's definitions) over groups with >= 20
			// rows; group d (9 rows) is listed but left out.
			name: "numpy", group: ref.Group, y: ref.Y, pred: ref.Pred, minRows: 20,
			dpd: ref.DPD, dpr: ref.DPR, eod: ref.EOD,
			rates: func() map[string][3]float64 {
				m := map[string][3]float64{}
				for g, r := range ref.Rates {
					m[g] = [3]float64{r.PositiveRate, r.TPR, r.FPR}
				}
				return m
			}(),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			col := frame.NewCategoricalFromStrings(tc.group, nil)
			g, ok := groupBy("g", col, Options{}.WithDefaults())
			require.True(t, ok)
			f := fairnessOf(g, tc.y, tc.pred, tc.minRows)
			require.InDelta(t, tc.dpd, float64(f.DemographicParityDifference), 1e-12)
			require.InDelta(t, tc.dpr, float64(f.DemographicParityRatio), 1e-12)
			require.InDelta(t, tc.eod, float64(f.EqualizedOddsDifference), 1e-12)
			require.Len(t, f.Groups, len(tc.rates))
			for _, fg := range f.Groups {
				name := fg.Group[len("g = "):]
				want := tc.rates[name]
				require.InDelta(t, want[0], float64(fg.PositiveRate), 1e-12, name)
				require.InDelta(t, want[1], float64(fg.TruePositiveRate), 1e-12, name)
				require.InDelta(t, want[2], float64(fg.FalsePositiveRate), 1e-12, name)
				require.Equal(t, fg.Rows >= tc.minRows, fg.Included, name)
			}
		})
	}
}

// TestBootstrapCoverage checks the coverage of the percentile interval of a
// difference of means, whose true value is known: over many synthetic data
// sets, the 95% interval holds it about 95% of the time.
func TestBootstrapCoverage(t *testing.T) {
	t.Parallel()
	const (
		datasets  = 300
		n         = 100
		resamples = 400
		trueLift  = 0.1 // P(model right) − P(baseline right)
	)
	rng := rand.New(rand.NewPCG(3, 4))
	covered := 0
	for d := range datasets {
		a, b := make([]float64, n), make([]float64, n)
		for i := range n {
			if rng.Float64() < 0.8 {
				a[i] = 1
			}
			if rng.Float64() < 0.7 {
				b[i] = 1
			}
		}
		stats, err := pairedBootstrap(context.Background(), n, resamples, 1, 1, uint64(d), func() func([]int, []float64) {
			return func(rows []int, dst []float64) {
				var s float64
				for _, i := range rows {
					s += a[i] - b[i]
				}
				dst[0] = s / float64(len(rows))
			}
		})
		require.NoError(t, err)
		lo, hi := percentileInterval(stats[0], 0.05)
		if lo <= trueLift && trueLift <= hi {
			covered++
		}
	}
	coverage := float64(covered) / datasets
	// The standard error of the estimate is about 0.013.
	require.InDelta(t, 0.95, coverage, 0.04, "coverage of the 95%% interval")
}

func TestBootstrapIndependentOfWorkers(t *testing.T) {
	t.Parallel()
	x := make([]float64, 50)
	for i := range x {
		x[i] = float64(i * i % 17)
	}
	run := func(workers int) [][]float64 {
		out, err := pairedBootstrap(context.Background(), len(x), 64, 2, workers, 9, func() func([]int, []float64) {
			return func(rows []int, dst []float64) {
				dst[0], dst[1] = 0, float64(rows[0])
				for _, i := range rows {
					dst[0] += x[i]
				}
			}
		})
		require.NoError(t, err)
		return out
	}
	require.Equal(t, run(1), run(3))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := pairedBootstrap(ctx, 10, 10, 1, 2, 1, func() func([]int, []float64) { return func([]int, []float64) {} })
	require.ErrorIs(t, err, context.Canceled)
}

func TestResampleIsSortedWithReplacement(t *testing.T) {
	t.Parallel()
	counts := make([]int, 1000)
	rows := resample(nil, counts, 7, 1)
	require.Len(t, rows, 1000)
	distinct := 1
	for i := 1; i < len(rows); i++ {
		require.LessOrEqual(t, rows[i-1], rows[i])
		if rows[i] != rows[i-1] {
			distinct++
		}
	}
	// A bootstrap resample holds about 1 − 1/e ≈ 63.2% of the rows.
	require.InDelta(t, 632, distinct, 40)
}

func TestGroupBy(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	opts := Options{QuantileBins: 2, MaxCategories: 2}.WithDefaults()
	for _, tc := range []struct {
		name string
		col  frame.Column
		want []string // descriptions
		rows []int
		ids  []int32
	}{
		{
			name: "few numbers are values",
			col:  frame.NewNumeric([]float64{3, 1, nan, 3, 2}),
			want: []string{"x = 1", "x = 2", "x = 3", "x missing"}, rows: []int{1, 1, 2, 1},
			ids: []int32{2, 0, 3, 2, 1},
		},
		{
			// Median of 1..10 is 5.5: two quantile bins.
			name: "quantile bins",
			col:  frame.NewNumeric([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, nan}),
			want: []string{"x < 5.5", "x ≥ 5.5", "x missing"}, rows: []int{5, 5, 1},
			ids: []int32{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2},
		},
		{
			name: "most frequent categories, then the others, then missing",
			col:  frame.NewCategoricalFromStrings([]string{"b", "a", "b", "c", "d", "a", "", "b"}, []bool{false, false, false, false, false, false, true, false}),
			want: []string{"x = b", "x = a", "x: other values", "x missing"}, rows: []int{3, 2, 2, 1},
			ids: []int32{0, 1, 0, 2, 2, 1, 3, 0},
		},
		{
			name: "booleans",
			col:  frame.NewBool([]bool{true, false, true}, nil),
			want: []string{"x = true", "x = false"}, rows: []int{2, 1},
			ids: []int32{0, 1, 0},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, ok := groupBy("x", tc.col, opts)
			require.True(t, ok)
			var got []string
			var rows []int
			for _, gr := range g.groups {
				got = append(got, gr.cond.String())
				rows = append(rows, gr.rows)
			}
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.rows, rows)
			require.Equal(t, tc.ids, g.ids)
		})
	}
	_, ok := groupBy("t", frame.NewDatetime([]int64{1, 2}), opts)
	require.False(t, ok, "datetime columns are not sliced")
}

func TestConditionString(t *testing.T) {
	t.Parallel()
	lo, hi := 30.0, 45.5
	for _, tc := range []struct {
		c    Condition
		want string
	}{
		{Condition{Column: "age", Op: OpRange, Min: &lo, Max: &hi}, "30 ≤ age < 45.5"},
		{Condition{Column: "age", Op: OpRange, Max: &lo}, "age < 30"},
		{Condition{Column: "age", Op: OpRange, Min: &hi}, "age ≥ 45.5"},
		{Condition{Column: "age", Op: OpMissing}, "age missing"},
		{Condition{Column: "city", Op: OpOther}, "city: other values"},
		{Condition{Column: "city", Op: OpEqual, Value: "Paris"}, "city = Paris"},
	} {
		require.Equal(t, tc.want, tc.c.String())
	}
	require.Equal(t, "12346", fmtNum(12345.6))
	require.Equal(t, "0.1235", fmtNum(0.123456))
}
