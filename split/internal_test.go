package split

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"

	"mlw.dev/frame"
	"mlw.dev/metrics"
)

// Tests of unexported kernels whose properties the public API cannot reach
// directly.

func TestPartSizes(t *testing.T) {
	t.Parallel()
	for _, r := range []Ratios{DefaultRatios, {Train: 0.8, Test: 0.2}, {Train: 1.0 / 3, Validation: 1.0 / 3, Test: 1.0 / 3}} {
		for n := range 200 {
			size := partSizes(n, r)
			require.Equal(t, n, size[0]+size[1]+size[2])
			for p := range Part(NumParts) {
				require.Less(t, math.Abs(float64(size[p])-float64(n)*r.of(p)), 1.0, "n=%d part %s", n, p)
			}
		}
	}
}

func TestRoundTable(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	ratios := [][NumParts]float64{{0.7, 0.15, 0.15}, {0.8, 0, 0.2}, {0.5, 0.25, 0.25}, {0.34, 0.33, 0.33}, {0.6, 0.3, 0.1}}
	for trial := range 400 {
		r := ratios[trial%len(ratios)]
		n := make([]int, 1+rng.IntN(60))
		for c := range n {
			n[c] = 3 + rng.IntN([]int{5, 40, 1000}[rng.IntN(3)])
		}
		x := roundTable(n, r, rng.Perm(len(n)))
		var colSum [NumParts]float64
		var colGot [NumParts]int
		for c := range n {
			rowSum := 0
			for p := range NumParts {
				a := float64(n[c]) * r[p]
				require.Less(t, math.Abs(float64(x[c][p])-a), 1.0, "trial %d class %d part %d", trial, c, p)
				rowSum += x[c][p]
				colSum[p] += a
				colGot[p] += x[c][p]
			}
			require.Equal(t, n[c], rowSum)
		}
		for p := range NumParts {
			require.Less(t, math.Abs(float64(colGot[p])-colSum[p]), 1.0, "trial %d part %d", trial, p)
		}
	}
}

func TestMatchRowsIgnoresHashCollisions(t *testing.T) {
	t.Parallel()
	// Every row gets the same hash: only rows equal value by value match.
	x := frame.NewNumeric([]float64{1, 2, 3, math.NaN(), 1, 2.5, math.NaN(), 0})
	s := frame.NewText([]string{"a", "b", "c", "d", "a", "b", "d", "e"}, nil)
	z := frame.NewNumeric([]float64{0, 0, 0, 0, 0, 0, 0, math.Copysign(0, -1)})
	cols := []frame.Column{x, s, z}
	h := make([]uint64, x.Len())
	train := sortByHash(h, []int{0, 1, 2, 3})
	eval := sortByHash(h, []int{4, 5, 6, 7})
	require.Equal(t, []int32{0, 1, 2, 3}, train.rows, "ties keep their order")
	m := matchRows(cols, train, eval)
	require.Equal(t, 2, m.count, "rows 4 (= row 0) and 6 (= row 3, NaN equal to NaN)")
	require.Equal(t, []int{4, 6}, m.examples)
	require.Equal(t, [2]int{4, 0}, m.pair)
}

func TestAUCNumericMatchesMetrics(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := range 60 {
		n := 30 + rng.IntN(300)
		k := 2 + trial%3
		x := make([]float64, n)
		y := make([]int32, n)
		levels := []int{3, 20, 1000}[trial%3] // few levels make ties
		for i := range x {
			y[i] = int32(rng.IntN(k))
			x[i] = float64(rng.IntN(levels)) + float64(y[i])*rng.Float64()*float64(trial%4)
			if rng.IntN(10) == 0 {
				x[i] = math.NaN()
			}
		}
		count := make([]int, k)
		for _, c := range y {
			count[c]++
		}
		got := aucNumeric(x, y, k, scoredClasses(count))
		// Reference: metrics.ROCAUC of each class against the rest, with the
		// missing values replaced by -Inf and then by +Inf.
		want := math.NaN()
		wantClass := -1
		first := 0
		if k == 2 {
			first = 1
		}
		for c := first; c < k; c++ {
			yc := make([]int, n)
			pos := 0
			for i := range y {
				if y[i] == int32(c) {
					yc[i] = 1
					pos++
				}
			}
			if pos < minClassRows || n-pos < minClassRows {
				continue
			}
			for _, fill := range []float64{math.Inf(-1), math.Inf(1)} {
				s := make([]float64, n)
				for i, v := range x {
					s[i] = v
					if v != v {
						s[i] = fill
					}
				}
				auc := metrics.ROCAUC(yc, s, nil)
				auc = math.Max(auc, 1-auc)
				if math.IsNaN(want) || auc > want {
					want, wantClass = auc, c
				}
			}
		}
		require.Truef(t, scalar.EqualWithinAbsOrRel(got.score, want, 1e-12, 1e-12), "trial %d: got %v want %v", trial, got.score, want)
		require.Equal(t, wantClass, got.class, "trial %d", trial)
	}
}

func TestAUCCategoricalCrossFitted(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(31, 32))
	n := 2000
	y := make([]int32, n)
	leak := make([]int32, n)  // 4 categories, each all one class
	ids := make([]int32, n)   // one category per row: no information out of sample
	pairs := make([]int32, n) // rows 2i and 2i+1 share a category and a class
	noise := make([]int32, n) // unrelated to y
	for i := range y {
		y[i] = int32(rng.IntN(2))
		leak[i] = y[i]*2 + int32(rng.IntN(2))
		ids[i] = int32(i)
		noise[i] = int32(rng.IntN(5))
	}
	for i := 0; i < n; i += 2 {
		y[i+1] = y[i]
		leak[i+1] = y[i]*2 + int32(rng.IntN(2))
		pairs[i], pairs[i+1] = int32(i/2), int32(i/2)
	}
	tests := []struct {
		name  string
		codes []int32
		lo    float64
		hi    float64
	}{
		{"leak", leak, 1, 1},
		{"ids", ids, 0.5, 0.5},
		{"pairs", pairs, 1, 1}, // rows that come in pairs of one class reveal it
		{"noise", noise, 0.5, 0.56},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := aucCategorical(tt.codes, y, []int{1})
			require.GreaterOrEqual(t, got.score, tt.lo)
			require.LessOrEqual(t, got.score, tt.hi)
		})
	}
}

func TestScoredClasses(t *testing.T) {
	t.Parallel()
	require.Equal(t, []int{1}, scoredClasses([]int{50, 10}))
	require.Empty(t, scoredClasses([]int{50, 9}), "too few positives")
	require.Equal(t, []int{2, 0}, scoredClasses([]int{30, 5, 40}), "largest first, small classes skipped")
	many := make([]int, 100)
	for c := range many {
		many[c] = 10 + c
	}
	got := scoredClasses(many)
	require.Len(t, got, maxScoredClasses)
	require.Equal(t, 99, got[0])
	require.Equal(t, 80, got[maxScoredClasses-1])
}

func TestR2Kernels(t *testing.T) {
	t.Parallel()
	x := []float64{1, 2, 3, 4, math.NaN(), math.NaN(), math.Inf(1), 5}
	y := []float64{3, 5, 7, 9, 100, 100, 100, 11} // y = 2x+1, and 100 where x is not finite
	require.InDelta(t, 1, r2Linear(x, y).score, 1e-12)
	codes := []int32{1, 1, 2, 2, 3, 3, 1, 1}
	yc := []float64{5, 5, 8, 8, -1, -1, 5, 5}
	require.InDelta(t, 1, r2Categorical(codes, yc).score, 1e-12)
	ids := []int32{1, 2, 3, 4, 5, 6, 7, 8}
	require.Less(t, r2Categorical(ids, yc).score, 0.5, "unseen categories predict the other half's mean")
}

func TestPct(t *testing.T) {
	t.Parallel()
	for share, want := range map[float64]string{0: "0%", 0.48: "48%", 0.025: "2.5%", 0.1049: "10.5%", 0.0001: "<0.1%", 1: "100%"} {
		require.Equal(t, want, pct(share), fmt.Sprint(share))
	}
}

func TestRadixSort(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(41, 42))
	for _, n := range []int{0, 1, 2, 17, 1000, 50_000} {
		keys := make([]uint64, n)
		vals := make([]int32, n)
		for i := range keys {
			switch i % 3 {
			case 0:
				keys[i] = rng.Uint64()
			case 1:
				keys[i] = uint64(rng.IntN(50)) // ties, and high bytes all zero
			default:
				keys[i] = floatKey(rng.NormFloat64())
			}
			vals[i] = int32(i)
		}
		want := make([][2]uint64, n)
		for i := range keys {
			want[i] = [2]uint64{keys[i], uint64(vals[i])}
		}
		slices.SortFunc(want, func(a, b [2]uint64) int { // by key, then by position: stable
			if c := cmp.Compare(a[0], b[0]); c != 0 {
				return c
			}
			return cmp.Compare(a[1], b[1])
		})
		radixSort(keys, vals)
		for i := range keys {
			require.Equal(t, want[i], [2]uint64{keys[i], uint64(vals[i])}, "n=%d i=%d", n, i)
		}
	}
}

func TestFloatKeyOrder(t *testing.T) {
	t.Parallel()
	xs := []float64{math.Inf(-1), -math.MaxFloat64, -1e10, -1, -math.SmallestNonzeroFloat64, 0,
		math.SmallestNonzeroFloat64, 1e-300, 0.5, 1, 2, math.MaxFloat64, math.Inf(1)}
	for i := 1; i < len(xs); i++ {
		require.Less(t, floatKey(xs[i-1]), floatKey(xs[i]), "%v < %v", xs[i-1], xs[i])
	}
	require.Equal(t, floatKey(0), floatKey(math.Copysign(0, -1)))
	ts := []int64{math.MinInt64 + 1, -1, 0, 1, math.MaxInt64}
	for i := 1; i < len(ts); i++ {
		require.Less(t, timeKey(ts[i-1]), timeKey(ts[i]))
	}
	keys := []uint64{5, 3, 9, 3}
	radixSort(keys, nil)
	require.Equal(t, []uint64{3, 3, 5, 9}, keys)
}

func TestFactorize(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	tests := []struct {
		name   string
		col    frame.Column
		codes  []int32
		labels []string
	}{
		{"numeric", frame.NewNumeric([]float64{3, -1, nan, 3, math.Copysign(0, -1), 0, 10}),
			[]int32{2, 0, -1, 2, 1, 1, 3}, []string{"-1", "-0", "3", "10"}},
		{"datetime", frame.NewDatetime([]int64{86400e9, frame.NaT, 0, 86400e9}),
			[]int32{1, -1, 0, 1}, []string{"1970-01-01", "1970-01-02"}},
		{"categorical", frame.NewCategorical([]int32{2, 0, -1, 2, 3}, []string{"b", "unused", "a", "10"}),
			[]int32{1, 2, -1, 1, 0}, []string{"10", "a", "b"}},
		{"bool", frame.NewBool([]bool{true, true, false, true}, []bool{false, false, true, false}),
			[]int32{0, 0, -1, 0}, []string{"true"}},
		{"text", frame.NewText([]string{"b", "a", "", "b", "é"}, []bool{false, false, true, false, false}),
			[]int32{1, 0, -1, 1, 2}, []string{"a", "b", "é"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := factorize(tt.col)
			require.Equal(t, tt.codes, k.codes)
			missing := 0
			for _, c := range tt.codes {
				if c < 0 {
					missing++
				}
			}
			require.Equal(t, missing, k.missing)
			require.Equal(t, len(tt.labels), k.n)
			for code, want := range tt.labels {
				require.Equal(t, want, k.label(tt.col, int32(code)), "the first row holding the value names it")
			}
		})
	}
}

func TestRowsEqualTypes(t *testing.T) {
	t.Parallel()
	cols := []frame.Column{
		frame.NewNumeric([]float64{1, 1, 1, 1, 1, 1}),
		frame.NewCategoricalFromStrings([]string{"a", "a", "b", "a", "a", "a"}, nil),
		frame.NewDatetime([]int64{5, 5, 5, 6, 5, 5}),
		frame.NewBool([]bool{true, true, true, true, false, true}, nil),
		frame.NewText([]string{"x", "x", "x", "x", "x", "x"}, []bool{false, false, false, false, false, true}),
	}
	require.True(t, rowsEqual(cols, 0, 1))
	for j := 2; j < 6; j++ {
		require.False(t, rowsEqual(cols, 0, j), "row %d differs in column %d", j, j-1)
	}
}

func TestEvenlySpaced(t *testing.T) {
	t.Parallel()
	rows := make([]int, 10)
	for i := range rows {
		rows[i] = 100 + i
	}
	require.Equal(t, rows, evenlySpaced(rows, 10))
	require.Equal(t, []int{100, 102, 105, 107}, evenlySpaced(rows, 4))
}

func TestSmallClassNoteIsBounded(t *testing.T) {
	t.Parallel()
	y := make([]string, 0, 112)
	for i := range 12 {
		y = append(y, "rare"+strconv.Itoa(i+10))
	}
	for range 100 {
		y = append(y, "common")
	}
	parts := make([]Part, len(y))
	notes, err := splitStratified(parts, frame.NewCategoricalFromStrings(y, nil), "y", DefaultRatios, newRand(1))
	require.NoError(t, err)
	require.Len(t, notes, 1)
	require.Len(t, notes[0].Values, maxValues)
	require.Len(t, notes[0].Rows, maxExamples)
	require.Equal(t, 12, notes[0].Count)
	require.Contains(t, notes[0].Message, `12 classes of "y" have fewer rows`)
	require.Contains(t, notes[0].Message, `"rare19" (1 row) and 2 more`)
}
