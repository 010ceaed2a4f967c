package linear

import (
	"context"
	"math"
)

// smoothFunc evaluates a smooth objective at x, writes its gradient into grad
// and returns its value.
type smoothFunc func(x, grad []float64) float64

// lbfgsSettings configure minimize.
type lbfgsSettings struct {
	// maxIter bounds the iterations (one line search each).
	maxIter int
	// gtol: converged when the largest absolute component of the (pseudo-)
	// gradient is at most gtol.
	gtol float64
	// ftol: converged when an iteration lowers the objective F by at most
	// ftol*max(|F_old|, |F_new|, fmin), as scipy's L-BFGS-B factr test.
	ftol, fmin float64
	// l1 holds a per-coordinate L1 penalty weight, added to the smooth
	// objective; nil means none. With any weight, minimize runs OWL-QN.
	l1 []float64
	// mem is the number of correction pairs kept (scipy's maxcor).
	mem int
}

// lbfgsResult reports how minimize ended.
type lbfgsResult struct {
	iters int
	// converged is false when maxIter was reached or the line search failed.
	converged bool
	f         float64
}

const (
	wolfeC1  = 1e-4 // sufficient decrease
	wolfeC2  = 0.9  // curvature (weak enough for quasi-Newton)
	maxEvals = 40   // function evaluations per line search
)

// minimize minimises fn(x) + sum_i l1[i]*|x[i]| from x, in place, with
// L-BFGS (Nocedal and Wright, algorithm 7.5, strong Wolfe line search) or,
// when some l1 weight is positive, OWL-QN (Andrew and Gao 2007: L-BFGS on
// the pseudo-gradient, directions and steps kept in the orthant of the
// current point, so that coefficients become exactly zero). It checks ctx
// once per iteration.
func minimize(ctx context.Context, fn smoothFunc, x []float64, s lbfgsSettings) (lbfgsResult, error) {
	n := len(x)
	owl := false
	for _, w := range s.l1 {
		owl = owl || w > 0
	}
	if !owl {
		s.l1 = nil
	}
	m := &lbfgs{
		fn: fn, l1: s.l1, n: n,
		g: make([]float64, n), pg: make([]float64, n), d: make([]float64, n),
		xt: make([]float64, n), gt: make([]float64, n),
		sh: make([][]float64, s.mem), yh: make([][]float64, s.mem),
		rho: make([]float64, s.mem), alpha: make([]float64, s.mem),
	}
	for i := range s.mem {
		m.sh[i] = make([]float64, n)
		m.yh[i] = make([]float64, n)
	}
	f := fn(x, m.g)
	F := f + m.penalty(x)
	m.pseudo(x)
	res := lbfgsResult{f: F}
	retried := false
	for res.iters < s.maxIter {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if maxAbs(m.pg) <= s.gtol {
			res.converged = true
			return res, nil
		}
		m.direction()
		dg := dot(m.d, m.pg)
		if !(dg < 0) {
			// Not a descent direction: restart from steepest descent.
			m.count = 0
			for i, v := range m.pg {
				m.d[i] = -v
			}
			dg = -dot(m.pg, m.pg)
		}
		step := 1.0
		if m.count == 0 {
			step = 1 / math.Sqrt(dot(m.d, m.d))
		}
		var ft float64
		var ok bool
		if owl {
			ft, ok = m.backtrack(x, F, step)
		} else {
			ft, ok = m.wolfe(x, f, dg, step)
		}
		if !ok {
			if m.count > 0 && !retried {
				// Forget the curvature pairs and try steepest descent once.
				m.count = 0
				retried = true
				continue
			}
			return res, nil
		}
		retried = false
		m.push(x)
		Fold := F
		copy(x, m.xt)
		copy(m.g, m.gt)
		f = ft
		F = f + m.penalty(x)
		m.pseudo(x)
		res.iters++
		res.f = F
		if Fold-F <= s.ftol*max(math.Abs(Fold), math.Abs(F), s.fmin) {
			res.converged = true
			return res, nil
		}
	}
	res.converged = maxAbs(m.pg) <= s.gtol
	return res, nil
}

// lbfgs is the state of one minimize call.
type lbfgs struct {
	fn smoothFunc
	l1 []float64
	n  int
	// g is the smooth gradient at the current point, pg the pseudo-gradient
	// (g itself without L1), d the search direction, xt and gt the trial
	// point of the line search and its gradient.
	g, pg, d, xt, gt []float64
	// sh, yh and rho hold the last count correction pairs in a ring ending at
	// head-1.
	sh, yh     [][]float64
	rho, alpha []float64
	count      int
	head       int
}

func (m *lbfgs) penalty(x []float64) float64 {
	p := 0.0
	for i, w := range m.l1 {
		p += w * math.Abs(x[i])
	}
	return p
}

// pseudo sets pg to the pseudo-gradient of the objective at x: the gradient
// where it exists, otherwise the one-sided derivative of least magnitude, or 0
// when x[i] = 0 is optimal along coordinate i.
func (m *lbfgs) pseudo(x []float64) {
	copy(m.pg, m.g)
	for i, w := range m.l1 {
		if w == 0 {
			continue
		}
		g := m.g[i]
		switch {
		case x[i] > 0:
			m.pg[i] = g + w
		case x[i] < 0:
			m.pg[i] = g - w
		case g+w < 0:
			m.pg[i] = g + w
		case g-w > 0:
			m.pg[i] = g - w
		default:
			m.pg[i] = 0
		}
	}
}

// direction sets d to -H*pg by the two-loop recursion; with L1 weights, the
// components that do not point against pg are zeroed (OWL-QN).
func (m *lbfgs) direction() {
	d := m.d
	for i, v := range m.pg {
		d[i] = -v
	}
	mem := len(m.sh)
	for k := range m.count {
		j := (m.head - 1 - k + 2*mem) % mem
		m.alpha[j] = m.rho[j] * dot(m.sh[j], d)
		axpy(-m.alpha[j], m.yh[j], d)
	}
	if m.count > 0 {
		j := (m.head - 1 + mem) % mem
		yy := dot(m.yh[j], m.yh[j])
		gamma := 1 / (m.rho[j] * yy)
		for i := range d {
			d[i] *= gamma
		}
	}
	for k := m.count - 1; k >= 0; k-- {
		j := (m.head - 1 - k + 2*mem) % mem
		b := m.rho[j] * dot(m.yh[j], d)
		axpy(m.alpha[j]-b, m.sh[j], d)
	}
	for i, w := range m.l1 {
		if w > 0 && d[i]*m.pg[i] >= 0 {
			d[i] = 0
		}
	}
}

// push stores the correction pair of the step from x to xt, unless its
// curvature s'y is not safely positive.
func (m *lbfgs) push(x []float64) {
	mem := len(m.sh)
	if mem == 0 {
		return
	}
	s, y := m.sh[m.head], m.yh[m.head]
	for i := range x {
		s[i] = m.xt[i] - x[i]
		y[i] = m.gt[i] - m.g[i]
	}
	sy, yy := dot(s, y), dot(y, y)
	if !(sy > 1e-10*yy) || !(yy > 0) {
		return
	}
	m.rho[m.head] = 1 / sy
	m.head = (m.head + 1) % mem
	m.count = min(m.count+1, mem)
}

// eval evaluates the smooth objective at xt = x + a*d, its gradient into gt,
// and returns the value and the directional derivative along d.
func (m *lbfgs) eval(x []float64, a float64) (float64, float64) {
	for i := range x {
		m.xt[i] = x[i] + a*m.d[i]
	}
	f := m.fn(m.xt, m.gt)
	return f, dot(m.gt, m.d)
}

// wolfe finds a step along d satisfying the strong Wolfe conditions
// (Nocedal and Wright, algorithms 3.5 and 3.6, cubic interpolation); the
// accepted point is left in xt and gt.
func (m *lbfgs) wolfe(x []float64, f0, dg0, a float64) (float64, bool) {
	aPrev, fPrev, dPrev := 0.0, f0, dg0
	evals := 0
	for evals < maxEvals {
		fa, da := m.eval(x, a)
		evals++
		if !isFinite(fa) {
			// Overflow: shrink the step.
			a = aPrev + (a-aPrev)/4
			continue
		}
		if fa > f0+wolfeC1*a*dg0 || (aPrev > 0 && fa >= fPrev) {
			return m.zoom(x, f0, dg0, aPrev, fPrev, dPrev, a, fa, da, evals)
		}
		if math.Abs(da) <= -wolfeC2*dg0 {
			return fa, true
		}
		if da >= 0 {
			return m.zoom(x, f0, dg0, a, fa, da, aPrev, fPrev, dPrev, evals)
		}
		aPrev, fPrev, dPrev = a, fa, da
		a *= 4
	}
	return 0, false
}

// zoom narrows the bracket between lo (sufficient decrease) and hi.
func (m *lbfgs) zoom(x []float64, f0, dg0, lo, flo, dlo, hi, fhi, dhi float64, evals int) (float64, bool) {
	for ; evals < maxEvals; evals++ {
		a := cubicMin(lo, flo, dlo, hi, fhi, dhi)
		width := math.Abs(hi - lo)
		if width <= 1e-16*max(math.Abs(lo), math.Abs(hi)) {
			break
		}
		if lb, ub := min(lo, hi)+0.1*width, max(lo, hi)-0.1*width; !(a >= lb && a <= ub) {
			a = (lo + hi) / 2
		}
		fa, da := m.eval(x, a)
		if !isFinite(fa) || fa > f0+wolfeC1*a*dg0 || fa >= flo {
			hi, fhi, dhi = a, fa, da
			continue
		}
		if math.Abs(da) <= -wolfeC2*dg0 {
			return fa, true
		}
		if da*(hi-lo) >= 0 {
			hi, fhi, dhi = lo, flo, dlo
		}
		lo, flo, dlo = a, fa, da
	}
	// No point meets the curvature condition; accept the best one with
	// sufficient decrease, if any.
	if lo > 0 && flo < f0 {
		fa, _ := m.eval(x, lo)
		return fa, true
	}
	return 0, false
}

// cubicMin returns the minimiser of the cubic interpolating the values and
// derivatives at a and b (NaN when it has none).
func cubicMin(a, fa, da, b, fb, db float64) float64 {
	d1 := da + db - 3*(fa-fb)/(a-b)
	disc := d1*d1 - da*db
	if disc < 0 {
		return math.NaN()
	}
	d2 := math.Copysign(math.Sqrt(disc), b-a)
	return b - (b-a)*(db+d2-d1)/(db-da+2*d2)
}

// backtrack halves the step along d, projected onto the orthant of x (or of
// -pg where x is 0), until the penalised objective decreases enough (OWL-QN);
// the accepted point is left in xt and gt.
func (m *lbfgs) backtrack(x []float64, F0, a float64) (float64, bool) {
	for range maxEvals {
		for i := range x {
			v := x[i] + a*m.d[i]
			if w := m.l1[i]; w > 0 {
				orth := x[i]
				if orth == 0 {
					orth = -m.pg[i]
				}
				if v*orth <= 0 {
					v = 0
				}
			}
			m.xt[i] = v
		}
		f := m.fn(m.xt, m.gt)
		dec := 0.0
		for i := range x {
			dec += m.pg[i] * (m.xt[i] - x[i])
		}
		if isFinite(f) && f+m.penalty(m.xt) <= F0+wolfeC1*dec {
			return f, true
		}
		a /= 2
	}
	return 0, false
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
