package linear

import (
	"math"

	"mlw.dev/model"
)

// logLoss is the penalised log loss of a logistic regression, divided by the
// sum of the sample weights S:
//
//	f(θ) = (Σ_i w_i ℓ(y_i, x_i·W + b) + l2/2 ||W||²) / S
//
// with ℓ the binary log loss of the positive class (outputs = 1) or the
// multinomial log loss of a softmax (outputs = classes). θ holds W row-major
// (outputs × d) followed, with an intercept, by b (outputs). It is scikit-
// learn's objective divided by S, which has the same minimiser.
type logLoss struct {
	x         model.Matrix
	y         []float64
	w         []float64 // nil means all 1
	outputs   int
	intercept bool
	l2        float64 // on the summed scale
	invS      float64
	pool      *workers
	// partial holds each block's loss (index 0) and gradient (1:).
	partial [][]float64
	// scratch holds each block's per-row logits (multinomial only).
	scratch [][]float64
}

func newLogLoss(x model.Matrix, y, w []float64, outputs int, intercept bool, l2, sumW float64, pool *workers) *logLoss {
	o := &logLoss{x: x, y: y, w: w, outputs: outputs, intercept: intercept, l2: l2, invS: 1 / sumW, pool: pool}
	nb := numBlocks(x.Rows)
	o.partial = make([][]float64, nb)
	o.scratch = make([][]float64, nb)
	for b := range nb {
		o.partial[b] = make([]float64, 1+o.nParams())
		o.scratch[b] = make([]float64, outputs)
	}
	return o
}

// nParams returns the length of θ.
func (o *logLoss) nParams() int {
	n := o.outputs * o.x.Cols
	if o.intercept {
		n += o.outputs
	}
	return n
}

// eval returns f(θ) and writes its gradient into grad. Blocks of rows are
// evaluated in parallel, each summing the loss and the gradient of its rows
// in one pass, and the blocks' sums are added in block order.
func (o *logLoss) eval(theta, grad []float64) float64 {
	nb := len(o.partial)
	o.pool.run(nb, func(b int) {
		lo, hi := blockRange(b, o.x.Rows)
		if o.outputs == 1 {
			o.binaryBlock(theta, o.partial[b], lo, hi)
		} else {
			o.multinomialBlock(theta, o.partial[b], o.scratch[b], lo, hi)
		}
	})
	loss := 0.0
	clear(grad)
	for _, p := range o.partial {
		loss += p[0]
		g := p[1:]
		for j := range grad {
			grad[j] += g[j]
		}
	}
	nw := o.outputs * o.x.Cols
	if o.l2 > 0 {
		sq := 0.0
		for j, v := range theta[:nw] {
			sq += v * v
			grad[j] += o.l2 * v
		}
		loss += o.l2 / 2 * sq
	}
	for j := range grad {
		grad[j] *= o.invS
	}
	return loss * o.invS
}

// binaryBlock sums the weighted binary log loss and its gradient over rows
// [lo, hi) into part.
func (o *logLoss) binaryBlock(theta, part []float64, lo, hi int) {
	d := o.x.Cols
	coef := theta[:d]
	b := 0.0
	if o.intercept {
		b = theta[d]
	}
	clear(part)
	g := part[1 : 1+d]
	gb := 0.0
	loss := 0.0
	for i := lo; i < hi; i++ {
		row := o.x.Data[i*d : i*d+d]
		z := b + dot(coef, row)
		y := o.y[i]
		// ℓ = log(1 + e^z) - y z and p = σ(z), from one exponential.
		var l, p float64
		if z > 0 {
			e := math.Exp(-z)
			l = z + math.Log1p(e)
			p = 1 / (1 + e)
		} else {
			e := math.Exp(z)
			l = math.Log1p(e)
			p = e / (1 + e)
		}
		l -= y * z
		r := p - y
		if o.w != nil {
			wi := o.w[i]
			l *= wi
			r *= wi
		}
		loss += l
		axpy(r, row, g)
		gb += r
	}
	part[0] = loss
	if o.intercept {
		part[1+d] = gb
	}
}

// multinomialBlock sums the weighted multinomial log loss and its gradient
// over rows [lo, hi) into part; z is scratch for one row's logits.
func (o *logLoss) multinomialBlock(theta, part, z []float64, lo, hi int) {
	d, k := o.x.Cols, o.outputs
	clear(part)
	g := part[1:]
	loss := 0.0
	for i := lo; i < hi; i++ {
		row := o.x.Data[i*d : i*d+d]
		zmax := math.Inf(-1)
		for c := range k {
			v := dot(theta[c*d:c*d+d], row)
			if o.intercept {
				v += theta[k*d+c]
			}
			z[c] = v
			zmax = max(zmax, v)
		}
		y := int(o.y[i])
		zy := z[y] - zmax
		sum := 0.0
		for c := range k {
			z[c] = math.Exp(z[c] - zmax)
			sum += z[c]
		}
		wi := 1.0
		if o.w != nil {
			wi = o.w[i]
		}
		// ℓ = log Σ e^z - z_y; z now holds e^(z - zmax).
		loss += wi * (math.Log(sum) - zy)
		inv := wi / sum
		for c := range k {
			r := z[c] * inv
			if c == y {
				r -= wi
			}
			axpy(r, row, g[c*d:c*d+d])
			if o.intercept {
				g[k*d+c] += r
			}
		}
	}
	part[0] = loss
}
