package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/stats"
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
	for _, tc := range []struct {
		n, distinct, dropOneIn int
	}{{300, 40, 4}, {300, 300, 50}, {2000, 5, 3}, {2000, 2000, 200}} {
		v := make([]float64, tc.n)
		all, some := make([]bool, tc.n), make([]bool, tc.n)
		keep := make([]int32, tc.n)
		for i := range v {
			v[i] = float64(rng.IntN(tc.distinct))
			all[i] = rng.IntN(10) > 0
			if rng.IntN(tc.dropOneIn) == 0 {
				keep[i] = -1
			}
			some[i] = all[i] && keep[i] >= 0
		}
		r := bruteRanks(v, all)
		want := bruteRanks(v, some)
		tab := make([]uint32, tc.n)
		require.Positive(t, shiftTable(tab, r, keep))
		for i := range r {
			if some[i] {
				require.Equal(t, want[i], r[i]-tab[(r[i]-1)/2], "n=%d row %d", tc.n, i)
			}
		}
		require.Zero(t, shiftTable(tab, r, make([]int32, tc.n)), "nothing dropped")
	}
}

func TestQuantile(t *testing.T) {
	t.Parallel()
	// numpy.quantile([1, 2, 4, 8], p), linear.
	s := []float64{1, 2, 4, 8}
	for p, want := range map[float64]float64{0: 1, 0.05: 1.15, 0.25: 1.75, 0.5: 3, 0.75: 5, 0.95: 7.4, 1: 8} {
		require.InDelta(t, want, stats.Quantile(s, p), 1e-12, "p=%v", p)
	}
	require.Equal(t, 5.0, stats.Quantile([]float64{5}, 0.3))
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
		a[i] = int32(rng.IntN(60)) * 50 // codes up to 3000: 3000×3000 cells is over the dense limit of max(2¹⁶, 2n)
		b[i] = (a[i] + int32(rng.IntN(3))*7) % 2999
		if rng.IntN(20) == 0 {
			b[i] = -1
		}
	}
	ca := &colData{codes: a, levels: 3000}
	cb := &colData{codes: b, levels: 3000}
	require.Nil(t, newContingency(a, 3000, b, 3000).dense, "takes the sparse path")
	require.InDelta(t, mutualInfoDense(a, 3000, b, 3000), mutualInfo(a, 3000, b, 3000), 1e-12)
	require.InDelta(t, textbookV(a, b, 3000, 3000), cramersV(ca, cb), 1e-12)
	small := &colData{codes: []int32{0, 1, 0, 1, -1}, levels: 2}
	other := &colData{codes: []int32{1, 0, 1, 1, 0}, levels: 2}
	require.InDelta(t, textbookV(small.codes, other.codes, 2, 2), cramersV(small, other), 1e-12)
	one := &colData{codes: []int32{0, 0, 0, 0, 0}, levels: 1}
	require.True(t, math.IsNaN(cramersV(one, other)), "a single category")
}

// mutualInfoDense is the mutual information from the full joint table.
func mutualInfoDense(a []int32, la int, b []int32, lb int) float64 {
	joint := make([]float64, la*lb)
	pa, pb := make([]float64, la), make([]float64, lb)
	n := 0.0
	for i := range a {
		if a[i] >= 0 && b[i] >= 0 {
			joint[int(a[i])*lb+int(b[i])]++
			pa[a[i]]++
			pb[b[i]]++
			n++
		}
	}
	mi := 0.0
	for x := range la {
		for y := range lb {
			if o := joint[x*lb+y]; o > 0 {
				mi += o / n * math.Log(o*n/(pa[x]*pb[y]))
			}
		}
	}
	return mi
}

func TestMutualInfoEdges(t *testing.T) {
	t.Parallel()
	require.True(t, math.IsNaN(mutualInfo([]int32{-1, -1}, 1, []int32{0, 1}, 2)), "no rows")
	require.Equal(t, 0.0, mutualInfo([]int32{0, 0, 0}, 1, []int32{0, 1, 1}, 2), "one category")
	// Identical binary codes of equal halves: log 2.
	require.InDelta(t, math.Ln2, mutualInfo([]int32{0, 1, 0, 1}, 2, []int32{0, 1, 0, 1}, 2), 1e-15)
}

// rankedColumn builds the state pairCorr reads for values v.
func rankedColumn(v []float64) *colData {
	keep := make([]bool, len(v))
	cd := &colData{vals: v}
	var sum float64
	for i, x := range v {
		if keep[i] = !math.IsNaN(x); keep[i] {
			cd.finite++
			sum += x
		}
	}
	cd.mean = sum / float64(cd.finite)
	cd.rank2 = bruteRanks(v, keep)
	return cd
}

func TestPairCorrTables(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	n := 1500
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = math.Round(rng.NormFloat64() * 4)
		y[i] = x[i] + rng.NormFloat64()
		if rng.IntN(8) == 0 {
			x[i] = math.NaN()
		}
		if rng.IntN(5) == 0 {
			y[i] = math.NaN()
		}
	}
	a, b := rankedColumn(x), rankedColumn(y)
	// Brute force over the common rows.
	var cx, cy []float64
	both := make([]bool, n)
	for i := range x {
		if both[i] = !math.IsNaN(x[i]) && !math.IsNaN(y[i]); both[i] {
			cx, cy = append(cx, x[i]), append(cy, y[i])
		}
	}
	var rx, ry []float64
	bx, by := bruteRanks(x, both), bruteRanks(y, both)
	for i := range x {
		if both[i] {
			rx, ry = append(rx, float64(bx[i])), append(ry, float64(by[i]))
		}
	}
	wantR, wantRho := pearsonOf(cx, cy), pearsonOf(rx, ry)

	ea, eb := 0, 0
	for i := range x {
		if !math.IsNaN(x[i]) && math.IsNaN(y[i]) {
			ea++
		}
		if math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			eb++
		}
	}
	require.Positive(t, ea)
	require.Positive(t, eb)
	r16, rho16 := pairSums(a, b, make([]uint16, n), make([]uint16, n), ea, eb)
	r32, rho32 := pairSums(a, b, make([]uint32, n), make([]uint32, n), ea, eb)
	require.Equal(t, r16, r32)
	require.Equal(t, rho16, rho32)
	var sc scratch
	r, rho := pairCorr(a, b, &sc)
	require.InDelta(t, wantR, r, 1e-12)
	require.InDelta(t, wantRho, rho, 1e-12)
	r, rho = pairCorr(b, a, &sc)
	require.InDelta(t, wantR, r, 1e-12)
	require.InDelta(t, wantRho, rho, 1e-12)
}

func pearsonOf(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxx, syy, sxy float64
	for i := range x {
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
		sxy += (x[i] - mx) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}
