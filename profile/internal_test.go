package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRadixSort(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 17, 5000} {
		vals := make([]float64, n)
		for i := range vals {
			switch i % 4 {
			case 0:
				vals[i] = rng.NormFloat64() * 1e6
			case 1:
				vals[i] = math.Round(rng.NormFloat64() * 3) // ties
			case 2:
				vals[i] = -rng.ExpFloat64() * 1e-300
			default:
				vals[i] = math.Inf(1 - 2*rng.IntN(2))
			}
		}
		keys, idx := make([]uint64, n), make([]uint32, n)
		for i, v := range vals {
			keys[i], idx[i] = floatKey(v), uint32(i)
		}
		sk, si := radixSort(keys, idx, make([]uint64, n), make([]uint32, n))
		want := slices.Clone(vals)
		slices.Sort(want)
		for j := range sk {
			require.Equal(t, want[j], keyFloat(sk[j]))
			require.Equal(t, want[j], vals[si[j]])
			if j > 0 && sk[j] == sk[j-1] {
				require.Less(t, si[j-1], si[j], "stable")
			}
		}
	}
}

// bruteRanks returns twice the average rank of every value of v among the
// values with keep[i], and 0 elsewhere.
func bruteRanks(v []float64, keep []bool) []uint32 {
	out := make([]uint32, len(v))
	for i := range v {
		if !keep[i] {
			continue
		}
		less, eq := 0, 0
		for j := range v {
			if keep[j] && v[j] < v[i] {
				less++
			} else if keep[j] && v[j] == v[i] {
				eq++
			}
		}
		out[i] = uint32(2*less + eq + 1)
	}
	return out
}

func TestShiftTable(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	n := 300
	v := make([]float64, n)
	all, some := make([]bool, n), make([]bool, n)
	other := make([]uint32, n)
	for i := range v {
		v[i] = float64(rng.IntN(40))
		all[i] = rng.IntN(10) > 0
		if rng.IntN(4) > 0 {
			other[i] = 1
		}
		some[i] = all[i] && other[i] != 0
	}
	r := bruteRanks(v, all)
	want := bruteRanks(v, some)
	tab := make([]uint32, n)
	dropped := shiftTable(tab, r, other)
	require.Positive(t, dropped)
	for i := range r {
		if some[i] {
			require.Equal(t, want[i], r[i]-tab[(r[i]-1)/2], "row %d", i)
		}
	}
	require.Zero(t, shiftTable(tab, r, r), "nothing dropped")
}

func TestQuantile(t *testing.T) {
	t.Parallel()
	// numpy.quantile([1, 2, 4, 8], p), linear.
	s := []float64{1, 2, 4, 8}
	for p, want := range map[float64]float64{0: 1, 0.05: 1.15, 0.25: 1.75, 0.5: 3, 0.75: 5, 0.95: 7.4, 1: 8} {
		require.InDelta(t, want, quantile(s, p), 1e-12, "p=%v", p)
	}
	require.Equal(t, 5.0, quantile([]float64{5}, 0.3))
}

// textbookV is Cramér's V from the full contingency table.
func textbookV(a, b []int32, la, lb int) float64 {
	t := make([][]float64, la)
	for i := range t {
		t[i] = make([]float64, lb)
	}
	n := 0.0
	for i := range a {
		if a[i] >= 0 && b[i] >= 0 {
			t[a[i]][b[i]]++
			n++
		}
	}
	rs, cs := make([]float64, la), make([]float64, lb)
	for i := range t {
		for j := range t[i] {
			rs[i] += t[i][j]
			cs[j] += t[i][j]
		}
	}
	chi2, r, c := 0.0, 0, 0
	for i := range rs {
		if rs[i] > 0 {
			r++
		}
	}
	for j := range cs {
		if cs[j] > 0 {
			c++
		}
	}
	for i := range t {
		for j := range t[i] {
			if rs[i] > 0 && cs[j] > 0 {
				e := rs[i] * cs[j] / n
				chi2 += (t[i][j] - e) * (t[i][j] - e) / e
			}
		}
	}
	return math.Sqrt(chi2 / n / float64(min(r, c)-1))
}

func TestCramersVSparse(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	n := 2000
	a, b := make([]int32, n), make([]int32, n)
	for i := range a {
		a[i] = int32(rng.IntN(60)) * 50 // codes up to 3000: 3000×3000 cells is over the dense limit
		b[i] = (a[i] + int32(rng.IntN(3))*7) % 2999
		if rng.IntN(20) == 0 {
			b[i] = -1
		}
	}
	ca := &colData{codes: a, levels: 3000}
	cb := &colData{codes: b, levels: 3000}
	require.Greater(t, ca.levels*cb.levels, 1<<22, "takes the sparse path")
	require.InDelta(t, textbookV(a, b, 3000, 3000), cramersV(ca, cb), 1e-12)
	small := &colData{codes: []int32{0, 1, 0, 1, -1}, levels: 2}
	other := &colData{codes: []int32{1, 0, 1, 1, 0}, levels: 2}
	require.InDelta(t, textbookV(small.codes, other.codes, 2, 2), cramersV(small, other), 1e-12)
	one := &colData{codes: []int32{0, 0, 0, 0, 0}, levels: 1}
	require.True(t, math.IsNaN(cramersV(one, other)), "a single category")
}

func TestMutualInfoEdges(t *testing.T) {
	t.Parallel()
	require.True(t, math.IsNaN(mutualInfo([]int32{-1, -1}, 1, []int32{0, 1}, 2)), "no rows")
	require.Equal(t, 0.0, mutualInfo([]int32{0, 0, 0}, 1, []int32{0, 1, 1}, 2), "one category")
	// Identical binary codes of equal halves: log 2.
	require.InDelta(t, math.Ln2, mutualInfo([]int32{0, 1, 0, 1}, 2, []int32{0, 1, 0, 1}, 2), 1e-15)
}
