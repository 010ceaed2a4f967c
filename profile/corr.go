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
// starting at position s (0-based) is v = 2s+L+1, and (v-1)/2 = s+⌊L/2⌋ lies
// inside the run, so it indexes the run. If k values of the run and P values
// of earlier runs are dropped, the run's doubled rank among the rows kept is
// v - (2P+k). A shift table holds 2P+k at every run index; building it costs
// one sequential pass, and the ranks of the kept rows are then one lookup
// each, with no second sort.

// shiftTable fills t, of length len(r), so that the doubled rank of row i
// among the rows with r[i] != 0 and keep[i] != 0 is r[i] - t[(r[i]-1)/2].
// It returns the number of ranked rows dropped; when that is 0, t is not
// needed and not filled.
func shiftTable(t, r, keep []uint32) int {
	clear(t)
	dropped := 0
	for i, v := range r {
		if v != 0 && keep[i] == 0 {
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
func prefixShift(t []uint32) {
	var acc uint32
	for j, c := range t {
		t[j] = 2*acc + c
		acc += c
	}
}

// grow returns (*buf)[:n], reallocating when it is too short.
func grow(buf *[]uint32, n int) []uint32 {
	if cap(*buf) < n {
		*buf = make([]uint32, n)
	}
	return (*buf)[:n]
}

// pairCorr returns Pearson's r and Spearman's ρ of two numeric columns over
// the rows where both are finite, in three passes: one to count the rows each
// column drops, one to turn the counts into shift tables, and one to sum.
// Values are shifted by the column means before summing (the "shifted data"
// algorithm) so that one pass gives the centred sums accurately.
func pairCorr(a, b *colData, sc *scratch) (r, rho float64) {
	ra, rb := a.rank2, b.rank2
	n := len(ra)
	ta, tb := grow(&sc.ta, n), grow(&sc.tb, n)
	clear(ta)
	clear(tb)
	var ea, eb int
	for i, u := range ra {
		v := rb[i]
		switch {
		case u != 0 && v == 0:
			ta[(u-1)/2]++
			ea++
		case v != 0 && u == 0:
			tb[(v-1)/2]++
			eb++
		}
	}
	m := a.finite - ea
	if m < 2 {
		return nan, nan
	}
	if ea > 0 {
		prefixShift(ta)
	}
	if eb > 0 {
		prefixShift(tb)
	}
	c := float64(m + 1)
	ka, kb := a.mean, b.mean
	xa, xb := a.vals, b.vals
	var sx, sy, sxx, syy, sxy, suu, svv, suv float64
	umin, umax, vmin, vmax := uint32(math.MaxUint32), uint32(0), uint32(math.MaxUint32), uint32(0)
	for i, u := range ra {
		v := rb[i]
		if u == 0 || v == 0 {
			continue
		}
		if ea > 0 {
			u -= ta[(u-1)/2]
		}
		if eb > 0 {
			v -= tb[(v-1)/2]
		}
		umin, umax = min(umin, u), max(umax, u)
		vmin, vmax = min(vmin, v), max(vmax, v)
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
	if umin == umax || vmin == vmax {
		return nan, nan // constant on these rows
	}
	fm := float64(m)
	r = corrFrom(sxy-sx*sy/fm, sxx-sx*sx/fm, syy-sy*sy/fm, m)
	return r, corrFrom(suv, suu, svv, m)
}

// cramersV returns Cramér's V of the codes of a and b over the rows where
// both are present; see the package documentation.
func cramersV(a, b *colData) float64 {
	la, lb := a.levels, b.levels
	ca, cb := a.codes, b.codes
	rowSum, colSum := make([]int, la), make([]int, lb)
	n := 0
	var chi2 float64
	if la*lb <= 1<<22 {
		t := make([]int, la*lb)
		for i, x := range ca {
			if y := cb[i]; x >= 0 && y >= 0 {
				t[int(x)*lb+int(y)]++
				rowSum[x]++
				colSum[y]++
				n++
			}
		}
		fn := float64(n)
		for x, rs := range rowSum {
			if rs == 0 {
				continue
			}
			for y, cs := range colSum {
				if cs == 0 {
					continue
				}
				e := float64(rs) * float64(cs) / fn
				d := float64(t[x*lb+y]) - e
				chi2 += d * d / e
			}
		}
	} else {
		keys := make([]uint64, 0, len(ca))
		for i, x := range ca {
			if y := cb[i]; x >= 0 && y >= 0 {
				keys = append(keys, uint64(x)<<32|uint64(y))
				rowSum[x]++
				colSum[y]++
			}
		}
		n = len(keys)
		slices.Sort(keys)
		var s float64
		for j := 0; j < len(keys); {
			j1 := j + 1
			for j1 < len(keys) && keys[j1] == keys[j] {
				j1++
			}
			o := float64(j1 - j)
			x, y := keys[j]>>32, keys[j]&(1<<32-1)
			s += o * o / (float64(rowSum[x]) * float64(colSum[y]))
			j = j1
		}
		chi2 = float64(n) * (s - 1)
	}
	r, c := 0, 0
	for _, v := range rowSum {
		r += min(v, 1)
	}
	for _, v := range colSum {
		c += min(v, 1)
	}
	k := min(r, c) - 1
	if n == 0 || k <= 0 {
		return nan
	}
	return math.Sqrt(max(chi2, 0) / float64(n) / float64(k))
}
