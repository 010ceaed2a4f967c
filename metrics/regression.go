package metrics

import (
	"math"
	"slices"
)

// checkRegression panics on a shape mismatch and reports whether the input is
// empty.
func checkRegression(yTrue, yPred, weights []float64) (empty bool) {
	checkLen(len(yTrue), len(yPred))
	checkWeights(len(yTrue), weights)
	return len(yTrue) == 0
}

// weightedMean returns Σ w_i f(i) / Σ w_i over n rows, NaN when n is 0 or the
// weights sum to zero.
func weightedMean(n int, weights []float64, f func(i int) float64) float64 {
	var sum, total float64
	for i := range n {
		w := weightAt(weights, i)
		sum += w * f(i)
		total += w
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / total
}

// MAE returns the mean absolute error Σ w_i |yTrue_i − yPred_i| / Σ w_i, as
// sklearn.metrics.mean_absolute_error. It returns NaN for empty input and for
// weights summing to zero.
func MAE(yTrue, yPred, weights []float64) float64 {
	checkRegression(yTrue, yPred, weights)
	return weightedMean(len(yTrue), weights, func(i int) float64 {
		return math.Abs(yTrue[i] - yPred[i])
	})
}

// MSE returns the mean squared error Σ w_i (yTrue_i − yPred_i)² / Σ w_i, as
// sklearn.metrics.mean_squared_error. It returns NaN for empty input and for
// weights summing to zero.
func MSE(yTrue, yPred, weights []float64) float64 {
	checkRegression(yTrue, yPred, weights)
	return weightedMean(len(yTrue), weights, func(i int) float64 {
		d := yTrue[i] - yPred[i]
		return d * d
	})
}

// RMSE returns the square root of MSE, as sklearn.metrics.mean_squared_error
// with squared=False. It returns NaN where MSE does.
func RMSE(yTrue, yPred, weights []float64) float64 {
	return math.Sqrt(MSE(yTrue, yPred, weights))
}

// MAPE returns the mean absolute percentage error as a fraction (not ×100),
//
//	MAPE = Σ w_i |yTrue_i − yPred_i| / max(|yTrue_i|, ε) / Σ w_i,
//
// with ε the float64 machine epsilon 2⁻⁵², as
// sklearn.metrics.mean_absolute_percentage_error: a zero in yTrue yields a
// huge but finite term. It returns NaN for empty input and for weights
// summing to zero.
func MAPE(yTrue, yPred, weights []float64) float64 {
	checkRegression(yTrue, yPred, weights)
	return weightedMean(len(yTrue), weights, func(i int) float64 {
		return math.Abs(yPred[i]-yTrue[i]) / max(math.Abs(yTrue[i]), 0x1p-52)
	})
}

// MaxError returns the largest absolute error max_i |yTrue_i − yPred_i|, as
// sklearn.metrics.max_error (which takes no weights). It returns NaN for
// empty input and when an error is NaN.
func MaxError(yTrue, yPred []float64) float64 {
	checkRegression(yTrue, yPred, nil)
	if len(yTrue) == 0 {
		return math.NaN()
	}
	var m float64
	for i, y := range yTrue {
		d := math.Abs(y - yPred[i])
		if math.IsNaN(d) {
			return math.NaN()
		}
		m = max(m, d)
	}
	return m
}

// MedianAE returns the median absolute error, as
// sklearn.metrics.median_absolute_error. With nil weights it is the median
// of |yTrue_i − yPred_i|, the mean of the two middle values for an even
// count (numpy.median). With weights it is scikit-learn's weighted
// percentile: the smallest error whose cumulative weight, in increasing
// order of error, reaches half the total weight; this is a lower median, so
// unit weights can give a different value than nil weights, as in
// scikit-learn. It returns NaN for empty input and when an error is NaN.
func MedianAE(yTrue, yPred, weights []float64) float64 {
	if checkRegression(yTrue, yPred, weights) {
		return math.NaN()
	}
	n := len(yTrue)
	if weights == nil {
		errs := make([]float64, n)
		for i, y := range yTrue {
			errs[i] = math.Abs(yPred[i] - y)
			if math.IsNaN(errs[i]) {
				return math.NaN()
			}
		}
		slices.Sort(errs)
		if n%2 == 1 {
			return errs[n/2]
		}
		return (errs[n/2-1] + errs[n/2]) / 2
	}
	type errWeight struct{ e, w float64 }
	ew := make([]errWeight, n)
	for i, y := range yTrue {
		ew[i] = errWeight{math.Abs(yPred[i] - y), weights[i]}
		if math.IsNaN(ew[i].e) {
			return math.NaN()
		}
	}
	slices.SortFunc(ew, func(a, b errWeight) int {
		switch {
		case a.e < b.e:
			return -1
		case a.e > b.e:
			return 1
		}
		return 0
	})
	var total float64
	for _, x := range ew {
		total += x.w
	}
	half := 0.5 * total
	if half == 0 {
		// scikit-learn nudges a zero target up to skip zero-weight rows.
		half = math.Nextafter(0, 1)
	}
	var cum float64
	for _, x := range ew {
		cum += x.w
		if cum >= half {
			return x.e
		}
	}
	return ew[n-1].e
}

// mean returns the weighted mean of x, computed around x[0] so that a
// constant x yields exactly that constant. n must be > 0.
func mean(x, weights []float64) float64 {
	var sum, total float64
	x0 := x[0]
	for i, v := range x {
		w := weightAt(weights, i)
		sum += w * (v - x0)
		total += w
	}
	return x0 + sum/total
}

// finiteScore assembles R² and explained variance from their numerator and
// denominator with scikit-learn's force_finite=True: 1 − num/den, except 1
// when num is 0 and 0 when den is 0 but num is not.
func finiteScore(num, den float64) float64 {
	switch {
	case num == 0:
		return 1
	case den == 0:
		return 0
	}
	return 1 - num/den
}

// R2 returns the coefficient of determination,
//
//	R² = 1 − Σ w_i (yTrue_i − yPred_i)² / Σ w_i (yTrue_i − ȳ)²,
//
// with ȳ the weighted mean of yTrue, as sklearn.metrics.r2_score with
// force_finite=True. For a constant yTrue (zero denominator) it returns 1
// if the predictions are perfect and 0 otherwise; a constant yTrue is
// detected exactly here, while scikit-learn's rounding of the mean of, say,
// [0.1, 0.1, 0.1] can leave a tiny denominator and return a huge negative
// number. It returns NaN for fewer than two rows (as scikit-learn does) and
// for weights summing to zero.
func R2(yTrue, yPred, weights []float64) float64 {
	checkRegression(yTrue, yPred, weights)
	if len(yTrue) < 2 {
		return math.NaN()
	}
	yBar := mean(yTrue, weights)
	if math.IsNaN(yBar) {
		return math.NaN()
	}
	var num, den float64
	for i, y := range yTrue {
		w := weightAt(weights, i)
		d := y - yPred[i]
		c := y - yBar
		num += w * d * d
		den += w * c * c
	}
	if math.IsNaN(num) {
		return math.NaN()
	}
	return finiteScore(num, den)
}

// ExplainedVariance returns the explained variance score,
//
//	EV = 1 − Var_w(yTrue − yPred) / Var_w(yTrue),
//
// with weighted (biased) variances, as
// sklearn.metrics.explained_variance_score with force_finite=True: for a
// zero Var_w(yTrue) it returns 1 if Var_w(yTrue − yPred) is 0 and 0
// otherwise, and constants are detected exactly as in R2. Unlike R2 it is
// defined for a single row (1). It returns NaN for empty input and for
// weights summing to zero.
func ExplainedVariance(yTrue, yPred, weights []float64) float64 {
	if checkRegression(yTrue, yPred, weights) {
		return math.NaN()
	}
	n := len(yTrue)
	resid := make([]float64, n)
	for i, y := range yTrue {
		resid[i] = y - yPred[i]
	}
	rBar := mean(resid, weights)
	yBar := mean(yTrue, weights)
	if math.IsNaN(rBar) || math.IsNaN(yBar) {
		return math.NaN()
	}
	num := weightedMean(n, weights, func(i int) float64 {
		d := resid[i] - rBar
		return d * d
	})
	den := weightedMean(n, weights, func(i int) float64 {
		d := yTrue[i] - yBar
		return d * d
	})
	if math.IsNaN(num) {
		return math.NaN()
	}
	return finiteScore(num, den)
}
