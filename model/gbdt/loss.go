package gbdt

import (
	"math"
	"slices"
)

// The losses follow scikit-learn's _loss module: HalfSquaredError,
// AbsoluteError, HalfBinomialLoss and HalfMultinomialLoss. Raw scores of
// output k of row i are at raw[k*n+i].

// probEps clips class priors away from 0 and 1 for the log-odds baseline.
const probEps = 10 * 2.220446049250313e-16 // 10 machine epsilons, as scikit-learn

// baseline returns the constant raw score of each output that minimises the
// loss: the weighted mean (squared error), the weighted median (absolute
// error), the log-odds of the positive class (binary) or the centred log
// priors (multiclass).
func baseline(loss Loss, nOut int, y, w []float64) []float64 {
	b := make([]float64, nOut)
	switch loss {
	case LossSquaredError:
		var s, sw float64
		for i, v := range y {
			wi := weight(w, i)
			s += wi * v
			sw += wi
		}
		b[0] = s / sw
	case LossAbsoluteError:
		b[0] = median(slices.Clone(y), cloneOrNil(w), nil)
	case LossLogLoss:
		prior := make([]float64, max(nOut, 2))
		var sw float64
		for i, v := range y {
			wi := weight(w, i)
			prior[int(v)] += wi
			sw += wi
		}
		for k := range prior {
			prior[k] = min(max(prior[k]/sw, probEps), 1-probEps)
		}
		if nOut == 1 {
			b[0] = math.Log(prior[1] / (1 - prior[1]))
			break
		}
		var mean float64
		for k := range b {
			b[k] = math.Log(prior[k])
			mean += b[k]
		}
		mean /= float64(nOut)
		for k := range b {
			b[k] -= mean
		}
	}
	return b
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

func cloneOrNil(w []float64) []float64 {
	if w == nil {
		return nil
	}
	return slices.Clone(w)
}

// median returns the median of v, reordering v (and w with it): numpy's
// median when w is nil, scikit-learn's _weighted_percentile(50) otherwise.
// order is scratch of len(v) or nil.
func median(v, w []float64, order []int32) float64 {
	if len(v) == 0 {
		return 0
	}
	if w == nil {
		slices.Sort(v)
		n := len(v)
		if n%2 == 1 {
			return v[n/2]
		}
		return (v[n/2-1] + v[n/2]) / 2
	}
	if cap(order) < len(v) {
		order = make([]int32, len(v))
	}
	order = order[:len(v)]
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		switch {
		case v[a] < v[b]:
			return -1
		case v[a] > v[b]:
			return 1
		}
		return 0
	})
	var total float64
	for _, wi := range w {
		total += wi
	}
	half := 0.5 * total
	var cdf float64
	for _, i := range order {
		cdf += w[i]
		if cdf >= half {
			return v[i]
		}
	}
	return v[order[len(order)-1]]
}

// sigmoid returns 1/(1+exp(-x)) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// gradChunk is the number of rows per task when gradients are computed in
// parallel; loss partial sums are added in chunk order, so the result does not
// depend on the number of workers.
const gradChunk = 8192

// gradients writes the gradient and hessian of rows [lo, hi) of every output
// into gh[k][i], weighted, and returns the weighted loss sum of those rows at
// the current raw scores.
func gradients(loss Loss, nOut, n int, y, w, raw []float64, gh [][]gpair, lo, hi int) float64 {
	var sum float64
	switch {
	case loss == LossSquaredError:
		g := gh[0]
		for i := lo; i < hi; i++ {
			d := raw[i] - y[i]
			wi := weight(w, i)
			g[i] = gpair{float32(wi * d), float32(wi)}
			sum += wi * 0.5 * d * d
		}
	case loss == LossAbsoluteError:
		g := gh[0]
		for i := lo; i < hi; i++ {
			d := raw[i] - y[i]
			wi := weight(w, i)
			s := wi
			if d < 0 {
				s = -wi
			}
			g[i] = gpair{float32(s), float32(wi)}
			sum += wi * math.Abs(d)
		}
	case nOut == 1:
		var wc []float64
		if w != nil {
			wc = w[lo:hi]
		} else if useLogisticAsm {
			return logisticBlocks(raw[lo:hi], y[lo:hi], gh[0][lo:hi])
		}
		sum = logisticRows(raw[lo:hi], y[lo:hi], wc, gh[0][lo:hi])
	default:
		for i := lo; i < hi; i++ {
			wi := weight(w, i)
			yi := int(y[i])
			mx := math.Inf(-1)
			for k := range nOut {
				mx = max(mx, raw[k*n+i])
			}
			var z float64
			for k := range nOut {
				z += expNonPos(raw[k*n+i] - mx)
			}
			sum += wi * (mx + math.Log(z) - raw[yi*n+i])
			for k := range nOut {
				p := expNonPos(raw[k*n+i]-mx) / z
				t := p
				if k == yi {
					t = p - 1
				}
				gh[k][i] = gpair{float32(wi * t), float32(wi * p * (1 - p))}
			}
		}
	}
	return sum
}

// logisticRows writes the gradients and hessians of the binary log-loss
// of rows with raw scores raw, labels y and weights w (nil: all 1) into gh
// and returns their weighted loss sum.
func logisticRows(raw, y, w []float64, gh []gpair) float64 {
	y, gh = y[:len(raw)], gh[:len(raw)]
	var sum float64
	// The loss is log(1+e) + max(r, 0) - y*r with e = exp(-|r|). Without
	// weights the logs are taken of products of up to 32 factors 1+e in
	// (1, 2], which is exact to a few ulps and 32 times cheaper.
	prod, k := 1.0, 0
	for i, r := range raw {
		e := expNonPos(-math.Abs(r))
		// p = 1/(1+e) for r >= 0 and e/(1+e) otherwise, without a branch on
		// the sign, which the processor cannot predict.
		pos := float64(b2i(r >= 0))
		p := (pos + (1-pos)*e) / (1 + e)
		yi := y[i]
		if w == nil {
			sum += max(r, 0) - yi*r
			prod *= 1 + e
			if k++; k == 32 {
				sum += math.Log(prod)
				prod, k = 1, 0
			}
			gh[i] = gpair{float32(p - yi), float32(p * (1 - p))}
			continue
		}
		wi := w[i]
		sum += wi * (math.Log1p(e) + max(r, 0) - yi*r)
		gh[i] = gpair{float32(wi * (p - yi)), float32(wi * p * (1 - p))}
	}
	return sum + math.Log(prod)
}

// logisticBlock is the number of rows of one call of the vector kernel:
// each of its four lanes multiplies 32 factors 1+e <= 2, whose product
// cannot overflow.
const logisticBlock = 128

// logisticBlocks is logisticRows without weights through the vector kernel
// (logisticAVX2, whose Go twin is logisticLanes in the tests), the rows
// after the last multiple of four through logisticRows. Its exponential is
// the kernel's own (a Taylor polynomial of degree 13 after the reduction
// to |r| <= ln2/2, within 2 ulps of math.Exp), so its gradients can differ
// from logisticRows' in the last bit of a float32, rarely.
func logisticBlocks(raw, y []float64, gh []gpair) float64 {
	n4 := len(raw) &^ 3
	y, gh = y[:len(raw)], gh[:len(raw)]
	var sum float64
	for lo := 0; lo < n4; lo += logisticBlock {
		hi := min(lo+logisticBlock, n4)
		acc := [8]float64{0, 0, 0, 0, 1, 1, 1, 1}
		logisticAVX2(&raw[lo], &y[lo], &gh[lo], hi-lo, &acc)
		sum += (acc[0] + acc[1]) + (acc[2] + acc[3]) + (math.Log(acc[4]*acc[5]) + math.Log(acc[6]*acc[7]))
	}
	if n4 < len(raw) {
		sum += logisticRows(raw[n4:], y[n4:], nil, gh[n4:])
	}
	return sum
}

// lossSum returns the weighted loss sum of all rows at raw scores raw
// (n rows, nOut outputs).
func lossSum(loss Loss, nOut, n int, y, w, raw []float64) float64 {
	var sum float64
	for i := range n {
		wi := weight(w, i)
		switch {
		case loss == LossSquaredError:
			d := raw[i] - y[i]
			sum += wi * 0.5 * d * d
		case loss == LossAbsoluteError:
			sum += wi * math.Abs(raw[i]-y[i])
		case nOut == 1:
			r := raw[i]
			sum += wi * (math.Log1p(expNonPos(-math.Abs(r))) + max(r, 0) - y[i]*r)
		default:
			mx := math.Inf(-1)
			for k := range nOut {
				mx = max(mx, raw[k*n+i])
			}
			var z float64
			for k := range nOut {
				z += expNonPos(raw[k*n+i] - mx)
			}
			sum += wi * (mx + math.Log(z) - raw[int(y[i])*n+i])
		}
	}
	return sum
}
