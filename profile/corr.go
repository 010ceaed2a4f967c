package profile

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
)

// blockRows is the number of rows centred at a time in the cross-product
// sums of complete columns; 2×k blocks of it fit in cache.
const blockRows = 1024

// maxChunks bounds the number of row chunks whose partial sums are kept; the
// chunks depend only on the number of rows, so the sums do not depend on the
// number of workers.
const maxChunks = 256

// gram accumulates the centred cross products of complete numeric columns
// (every value finite) by chunks of rows: values centred at their mean for
// Pearson's r, doubled ranks centred at n+1 for Spearman's ρ.
type gram struct {
	cols    []*colData
	n       int
	chunk   int       // rows per chunk, a multiple of blockRows
	partial []float64 // per chunk: npairs Pearson sums then npairs Spearman sums
	bufs    [][]float64
}

func newGram(cols []*colData, n, workers int) *gram {
	chunk := blockRows
	for (n+chunk-1)/chunk > maxChunks {
		chunk *= 2
	}
	k := len(cols)
	g := &gram{cols: cols, n: n, chunk: chunk}
	g.partial = make([]float64, g.chunks()*k*(k+1))
	g.bufs = make([][]float64, workers)
	return g
}

func (g *gram) chunks() int {
	if g.n == 0 || len(g.cols) == 0 {
		return 0
	}
	return (g.n + g.chunk - 1) / g.chunk
}

// run accumulates chunk c with the scratch of worker w.
func (g *gram) run(w, c int) {
	k := len(g.cols)
	npairs := k * (k + 1) / 2
	if g.bufs[w] == nil {
		g.bufs[w] = make([]float64, 2*k*blockRows)
	}
	buf := g.bufs[w]
	out := g.partial[c*2*npairs : (c+1)*2*npairs]
	center := float64(g.n + 1)
	end := min(g.n, (c+1)*g.chunk)
	for r0 := c * g.chunk; r0 < end; r0 += blockRows {
		r1 := min(end, r0+blockRows)
		l := r1 - r0
		for j, cd := range g.cols {
			x := buf[j*blockRows : j*blockRows+l]
			mean := cd.mean
			for i, v := range cd.vals[r0:r1] {
				x[i] = v - mean
			}
			y := buf[(k+j)*blockRows : (k+j)*blockRows+l]
			for i, r := range cd.rank2[r0:r1] {
				y[i] = float64(r) - center
			}
		}
		p := 0
		for a := range k {
			xa := buf[a*blockRows : a*blockRows+l]
			ya := buf[(k+a)*blockRows : (k+a)*blockRows+l]
			for b := a; b < k; b++ {
				out[p] += floats.Dot(xa, buf[b*blockRows:b*blockRows+l])
				out[npairs+p] += floats.Dot(ya, buf[(k+b)*blockRows:(k+b)*blockRows+l])
				p++
			}
		}
	}
}

// result sums the chunks in order and returns the two correlation matrices
// of the complete columns, indexed as g.cols.
func (g *gram) result() (pearson, spearman [][]float64) {
	k := len(g.cols)
	npairs := k * (k + 1) / 2
	sum := make([]float64, 2*npairs)
	for c := range g.chunks() {
		floats.Add(sum, g.partial[c*2*npairs:(c+1)*2*npairs])
	}
	pearson, spearman = square(k), square(k)
	diag := func(a int) int { return a*k - a*(a-1)/2 } // index of (a, a)
	p := 0
	for a := range k {
		for b := a; b < k; b++ {
			r := corrFrom(sum[p], sum[diag(a)], sum[diag(b)], g.n)
			rho := corrFrom(sum[npairs+p], sum[npairs+diag(a)], sum[npairs+diag(b)], g.n)
			pearson[a][b], pearson[b][a] = r, r
			spearman[a][b], spearman[b][a] = rho, rho
			p++
		}
	}
	return pearson, spearman
}

func square(k int) [][]float64 {
	m := make([][]float64, k)
	for i := range m {
		m[i] = make([]float64, k)
	}
	return m
}

// corrFrom returns sxy/√(sxx·syy), clamped to [-1, 1], or NaN for fewer than
// two rows or a zero sum of squares.
func corrFrom(sxy, sxx, syy float64, n int) float64 {
	if n < 2 || sxx <= 0 || syy <= 0 {
		return nan
	}
	return max(-1, min(1, sxy/math.Sqrt(sxx*syy)))
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return v-v == 0 }

// pearsonPair returns Pearson's r of x and y over the rows where both are
// finite, and the number of those rows. It is NaN when either is constant on
// them or there are fewer than two.
func pearsonPair(x, y []float64) (float64, int) {
	m := 0
	var sx, sy float64
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, a := range x {
		b := y[i]
		if !finite(a) || !finite(b) {
			continue
		}
		m++
		sx += a
		sy += b
		xlo, xhi = min(xlo, a), max(xhi, a)
		ylo, yhi = min(ylo, b), max(yhi, b)
	}
	if m < 2 || xlo == xhi || ylo == yhi {
		return nan, m
	}
	mx, my := sx/float64(m), sy/float64(m)
	var sxx, syy, sxy float64
	for i, a := range x {
		b := y[i]
		if !finite(a) || !finite(b) {
			continue
		}
		dx, dy := a-mx, b-my
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	return corrFrom(sxy, sxx, syy, m), m
}

// Dropping rows from a ranking. The doubled rank of a run of L tied values
// starting at position s (0-based) is v = 2s+L+1, and x = (v-1)/2 = s+⌊L/2⌋
// lies inside the run, so it indexes the run. If k values of the run and P
// values of earlier runs are dropped, the run's doubled rank among the rows
// kept is v − (2P+k). A shift table holds 2P+k at every run index: building
// it costs one count and one prefix pass, and the ranks of the kept rows are
// then one lookup each, with no second sort. (A sparse index of the dropped
// values was tried and measured 2.5 times slower: its lookups chain
// dependent loads and branch unpredictably, while table lookups overlap.)

// shiftTable fills t, of length len(r), so that the doubled rank of row i
// among the rows with r[i] != 0 and keep[i] >= 0 is r[i] - t[(r[i]-1)/2].
// It returns the number of ranked rows dropped; when that is 0, t is not
// needed and not filled.
func shiftTable(t, r []uint32, keep []int32) int {
	clear(t)
	dropped := 0
	for i, v := range r {
		if v != 0 && keep[i] < 0 {
			t[(v-1)/2]++
			dropped++
		}
	}
	if dropped > 0 {
		prefixShift(t)
	}
	return dropped
}

// prefixShift turns counts of dropped values per run index into shifts.
func prefixShift[T uint16 | uint32](t []T) {
	var acc T
	for j, c := range t {
		t[j] = 2*acc + c
		acc += c
	}
}

// grow returns (*buf)[:n], reallocating when it is too short.
func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

// pairCorr returns Pearson's r and Spearman's ρ of two numeric columns over
// the rows where both are finite. A first pass counts the values each column
// loses to the other's missing rows; the sums then take one pass with shift
// tables, 16-bit when the shifts fit, which halves their cache footprint.
func pairCorr(a, b *colData, sc *scratch) (r, rho float64) {
	ea, eb := 0, 0
	for i, u := range a.rank2 {
		v := b.rank2[i]
		if u != 0 && v == 0 {
			ea++
		} else if v != 0 && u == 0 {
			eb++
		}
	}
	n := len(a.rank2)
	if max(ea, eb) < 1<<15 {
		return pairSums(a, b, grow(&sc.sa, n), grow(&sc.sb, n), ea, eb)
	}
	return pairSums(a, b, grow(&sc.ta, n), grow(&sc.tb, n), ea, eb)
}

// pairSums does the work of pairCorr with shift tables ta and tb, given the
// numbers ea and eb of finite values of a and b on rows where the other is
// not finite. Values are shifted by the column means before summing (the
// "shifted data" algorithm) so that one pass gives the centred sums
// accurately.
func pairSums[T uint16 | uint32](a, b *colData, ta, tb []T, ea, eb int) (r, rho float64) {
	m := a.finite - ea
	if m < 2 {
		return nan, nan
	}
	ra, rb := a.rank2, b.rank2
	if ea > 0 || eb > 0 {
		clear(ta)
		clear(tb)
		for i, u := range ra {
			v := rb[i]
			if u != 0 && v == 0 {
				ta[(u-1)/2]++
			} else if v != 0 && u == 0 {
				tb[(v-1)/2]++
			}
		}
		prefixShift(ta)
		prefixShift(tb)
	}
	c := float64(m + 1)
	ka, kb := a.mean, b.mean
	xa, xb := a.vals, b.vals
	var sx, sy, sxx, syy, sxy, suu, svv, suv float64
	for i, u := range ra {
		v := rb[i]
		if u == 0 || v == 0 {
			continue
		}
		if ea > 0 {
			u -= uint32(ta[(u-1)/2])
		}
		if eb > 0 {
			v -= uint32(tb[(v-1)/2])
		}
		x, y := xa[i]-ka, xb[i]-kb
		sx += x
		sy += y
		sxx += x * x
		syy += y * y
		sxy += x * y
		du, dv := float64(u)-c, float64(v)-c
		suu += du * du
		svv += dv * dv
		suv += du * dv
	}
	// The ranks of a column constant on these rows are all m+1, so suu or
	// svv is exactly 0 then, and both correlations are undefined.
	if suu == 0 || svv == 0 {
		return nan, nan
	}
	fm := float64(m)
	r = corrFrom(sxy-sx*sy/fm, sxx-sx*sx/fm, syy-sy*sy/fm, m)
	return r, corrFrom(suv, suu, svv, m)
}

// contingency is the table of counts of two code vectors over the rows
// where both are present.
type contingency struct {
	n          int
	rows, cols []int   // marginal counts per code
	cells      []cell  // the non-zero cells, in (x, y) order
	dense      []int32 // every cell, x-major, when the table is small
	lb         int
}

type cell struct {
	x, y int32
	n    int
}

// newContingency counts a against b. The table is dense when it has at most
// max(2¹⁶, 2n) cells, and built by sorting the (x, y) pairs otherwise.
func newContingency(a []int32, la int, b []int32, lb int) *contingency {
	t := &contingency{rows: make([]int, la), cols: make([]int, lb), lb: lb}
	if la*lb <= max(1<<16, 2*len(a)) {
		t.dense = make([]int32, la*lb)
		for i, x := range a {
			if y := b[i]; x >= 0 && y >= 0 {
				t.dense[int(x)*lb+int(y)]++
				t.rows[x]++
				t.cols[y]++
				t.n++
			}
		}
		for x, r := range t.rows {
			if r == 0 {
				continue
			}
			for y, o := range t.dense[x*lb : (x+1)*lb] {
				if o > 0 {
					t.cells = append(t.cells, cell{int32(x), int32(y), int(o)})
				}
			}
		}
		return t
	}
	keys := make([]uint64, 0, len(a))
	for i, x := range a {
		if y := b[i]; x >= 0 && y >= 0 {
			keys = append(keys, uint64(x)<<32|uint64(y))
			t.rows[x]++
			t.cols[y]++
		}
	}
	t.n = len(keys)
	slices.Sort(keys)
	for j := 0; j < len(keys); {
		j1 := j + 1
		for j1 < len(keys) && keys[j1] == keys[j] {
			j1++
		}
		t.cells = append(t.cells, cell{int32(keys[j] >> 32), int32(keys[j] & (1<<32 - 1)), j1 - j})
		j = j1
	}
	return t
}

// present returns the number of codes with rows in m.
func present(m []int) int {
	k := 0
	for _, v := range m {
		k += min(v, 1)
	}
	return k
}

// cramersV returns Cramér's V of the codes of a and b over the rows where
// both are present; see the package documentation.
func cramersV(a, b *colData) float64 {
	t := newContingency(a.codes, a.levels, b.codes, b.levels)
	k := min(present(t.rows), present(t.cols)) - 1
	if t.n == 0 || k <= 0 {
		return nan
	}
	fn := float64(t.n)
	var chi2 float64
	if t.dense != nil {
		// Σ (o − e)² / e over every cell with non-zero margins.
		for x, rs := range t.rows {
			if rs == 0 {
				continue
			}
			for y, cs := range t.cols {
				if cs == 0 {
					continue
				}
				e := float64(rs) * float64(cs) / fn
				d := float64(t.dense[x*t.lb+y]) - e
				chi2 += d * d / e
			}
		}
	} else {
		// The same sum from the non-zero cells: n (Σ o² / (r c) − 1).
		var s float64
		for _, c := range t.cells {
			o := float64(c.n)
			s += o * o / (float64(t.rows[c.x]) * float64(t.cols[c.y]))
		}
		chi2 = fn * (s - 1)
	}
	return math.Sqrt(max(chi2, 0) / fn / float64(k))
}
