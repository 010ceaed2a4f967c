package metrics

import (
	"math"
	"slices"
	"sort"
)

// LogLossEps is the clipping bound of LogLoss and LogLossMulti: the machine
// epsilon of float64, 2⁻⁵² ≈ 2.22e-16. It is the default of
// sklearn.metrics.log_loss in scikit-learn 1.2 (eps="auto", which is
// np.finfo(float64).eps); earlier releases clipped at 1e-15.
const LogLossEps = 0x1p-52

// LogLoss returns the mean negative log-likelihood of a binary problem given
// the probability p_i of class 1 for each row,
//
//	log loss = −Σ w_i log(q_i) / Σ w_i,  q_i = p̂_i if yTrue_i = 1 else 1 − p̂_i,
//
// where p̂ is p clipped to [LogLossEps, 1 − LogLossEps] and the row (1 − p̂,
// p̂) is then renormalised to sum to one, exactly as sklearn.metrics.log_loss
// of scikit-learn 1.2 with labels=[0, 1] (so a single class in yTrue is
// fine). It returns NaN for empty input or weights summing to zero. Labels
// must be 0 or 1.
func LogLoss(yTrue []int, prob, weights []float64) float64 {
	checkLen(len(yTrue), len(prob))
	checkWeights(len(yTrue), weights)
	if len(yTrue) == 0 {
		return math.NaN()
	}
	var sum, total float64
	for i, y := range yTrue {
		checkBinary(y)
		p := min(max(prob[i], LogLossEps), 1-LogLossEps)
		q := 1 - p
		norm := q + p
		if y == 1 {
			q = p
		}
		w := weightAt(weights, i)
		sum -= w * math.Log(q/norm)
		total += w
	}
	return sum / total
}

// LogLossMulti returns the multiclass log loss, the mean of −log of the
// probability given to each row's true class,
//
//	log loss = −Σ w_i log(p̂_{i,yTrue_i}) / Σ w_i,
//
// where every probability is first clipped to [LogLossEps, 1 − LogLossEps]
// and each row is then divided by its sum, as sklearn.metrics.log_loss of
// scikit-learn 1.2 with labels=range(k). proba is row-major with k columns.
// It returns NaN for empty input or weights summing to zero. Labels must
// lie in [0, k) and len(proba) must be len(yTrue)*k.
func LogLossMulti(yTrue []int, proba []float64, k int, weights []float64) float64 {
	n := len(yTrue)
	if len(proba) != n*k {
		panic("metrics: len(proba) != len(yTrue)*k")
	}
	checkWeights(n, weights)
	if n == 0 {
		return math.NaN()
	}
	var sum, total float64
	for i, y := range yTrue {
		checkLabel(y, k)
		row := proba[i*k : (i+1)*k]
		var norm float64
		for _, p := range row {
			norm += min(max(p, LogLossEps), 1-LogLossEps)
		}
		p := min(max(row[y], LogLossEps), 1-LogLossEps)
		w := weightAt(weights, i)
		sum -= w * math.Log(p/norm)
		total += w
	}
	return sum / total
}

// Brier returns the Brier score of a binary problem, the mean squared
// difference between the probability of class 1 and the outcome,
//
//	Brier = Σ w_i (yTrue_i − p_i)² / Σ w_i,
//
// as sklearn.metrics.brier_score_loss. It returns NaN when a probability lies
// outside [0, 1] (scikit-learn raises), for empty input and for weights
// summing to zero. Labels must be 0 or 1.
func Brier(yTrue []int, prob, weights []float64) float64 {
	checkLen(len(yTrue), len(prob))
	checkWeights(len(yTrue), weights)
	if len(yTrue) == 0 {
		return math.NaN()
	}
	var sum, total float64
	for i, y := range yTrue {
		checkBinary(y)
		p := prob[i]
		if !(p >= 0 && p <= 1) {
			return math.NaN()
		}
		d := float64(y) - p
		w := weightAt(weights, i)
		sum += w * d * d
		total += w
	}
	return sum / total
}

// DefaultBins is the number of bins of the registered "ece" metric.
const DefaultBins = 10

// uniformEdges returns the nBins-1 inner edges of nBins equal-width bins on
// [0, 1], computed like numpy.linspace(0, 1, nBins+1)[1:-1].
func uniformEdges(nBins int) []float64 {
	step := 1 / float64(nBins)
	edges := make([]float64, nBins-1)
	for i := range edges {
		edges[i] = float64(i+1) * step
	}
	return edges
}

// binOf returns the bin of p given the sorted inner edges: the number of
// edges strictly below p, like numpy.searchsorted(edges, p, side="left").
func binOf(edges []float64, p float64) int {
	return sort.SearchFloat64s(edges, p)
}

// ECE returns the expected calibration error of the probabilities of class 1
// over nBins equal-width bins,
//
//	ECE = Σ_b (W_b / W) · |ȳ_b − p̄_b|,
//
// where W_b is the total weight of the rows in bin b, W the total weight, and
// ȳ_b and p̄_b the weighted means of the labels and of the probabilities in
// bin b (with nil weights, W_b/W = |B_b|/n). Bin b holds the p with
// e_b < p <= e_{b+1}, for edges e_b = b/nBins, except that the first bin also
// holds p = 0: the binning of sklearn.calibration.calibration_curve with
// strategy="uniform". Empty bins and bins of zero weight contribute nothing.
// scikit-learn has no ECE; testdata/gen_reference.py holds the numpy
// definition this is tested against. It returns NaN when a probability lies
// outside [0, 1], for empty input and for weights summing to zero. It panics
// if nBins < 1. Labels must be 0 or 1.
func ECE(yTrue []int, prob, weights []float64, nBins int) float64 {
	checkLen(len(yTrue), len(prob))
	checkWeights(len(yTrue), weights)
	if nBins < 1 {
		panic("metrics: nBins < 1")
	}
	if len(yTrue) == 0 {
		return math.NaN()
	}
	edges := uniformEdges(nBins)
	// Per bin: total weight, weighted sum of labels, weighted sum of p.
	sums := make([]float64, 3*nBins)
	var total float64
	for i, y := range yTrue {
		checkBinary(y)
		p := prob[i]
		if !(p >= 0 && p <= 1) {
			return math.NaN()
		}
		w := weightAt(weights, i)
		b := 3 * binOf(edges, p)
		sums[b] += w
		sums[b+1] += w * float64(y)
		sums[b+2] += w * p
		total += w
	}
	if total == 0 {
		return math.NaN()
	}
	var ece float64
	for b := 0; b < len(sums); b += 3 {
		wb := sums[b]
		if wb == 0 {
			continue
		}
		ece += wb / total * math.Abs(sums[b+1]/wb-sums[b+2]/wb)
	}
	return ece
}

// Binning selects how CalibrationCurve places its bin edges.
type Binning int

const (
	// Uniform bins have equal widths on [0, 1].
	Uniform Binning = iota
	// Quantile bins hold about the same number of rows: their edges are the
	// quantiles of the probabilities (numpy.percentile, linear method).
	Quantile
)

// CalibrationCurve returns the reliability diagram of the probabilities of
// class 1, as sklearn.calibration.calibration_curve (which has no weights):
// for each non-empty bin, the fraction of positives fracPos and the mean
// probability meanPred of the rows in it, in increasing order of the bins.
// Bins are as in ECE: the p with e_b < p <= e_{b+1}, the first bin also
// holding its lower edge; with Quantile binning the edges are the
// percentiles 100·b/nBins of prob, so tied probabilities share a bin and
// fewer than nBins bins may be returned. It returns nil slices when a
// probability lies outside [0, 1] or is NaN (scikit-learn raises) and for
// empty input. It panics if nBins < 1 or binning is not Uniform or Quantile.
// Labels must be 0 or 1.
func CalibrationCurve(yTrue []int, prob []float64, nBins int, binning Binning) (fracPos, meanPred []float64) {
	checkLen(len(yTrue), len(prob))
	if nBins < 1 {
		panic("metrics: nBins < 1")
	}
	for i, y := range yTrue {
		checkBinary(y)
		if p := prob[i]; !(p >= 0 && p <= 1) {
			return nil, nil
		}
	}
	if len(yTrue) == 0 {
		return nil, nil
	}
	var edges []float64
	switch binning {
	case Uniform:
		edges = uniformEdges(nBins)
	case Quantile:
		edges = quantileEdges(prob, nBins)
	default:
		panic("metrics: invalid Binning")
	}
	count := make([]int, nBins)
	pos := make([]float64, nBins)
	sum := make([]float64, nBins)
	for i, y := range yTrue {
		b := binOf(edges, prob[i])
		count[b]++
		pos[b] += float64(y)
		sum[b] += prob[i]
	}
	for b, c := range count {
		if c == 0 {
			continue
		}
		fracPos = append(fracPos, pos[b]/float64(c))
		meanPred = append(meanPred, sum[b]/float64(c))
	}
	return fracPos, meanPred
}

// quantileEdges returns the inner edges of nBins quantile bins of x,
// numpy.percentile(x, numpy.linspace(0, 1, nBins+1)*100)[1:-1], reproducing
// numpy 1.24's floating-point steps so that values equal to an edge fall in
// the same bin.
func quantileEdges(x []float64, nBins int) []float64 {
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	n := len(sorted)
	last := float64(n - 1)
	step := 1 / float64(nBins)
	edges := make([]float64, nBins-1)
	for i := range edges {
		// linspace, then ×100 in calibration_curve, then ÷100 in percentile.
		q := float64(float64(i+1)*step) * 100 / 100
		v := last * q
		if v >= last {
			edges[i] = sorted[n-1]
			continue
		}
		lo := math.Floor(v)
		g := v - lo
		a, b := sorted[int(lo)], sorted[int(lo)+1]
		d := b - a
		// numpy's _lerp; the explicit conversions forbid fused multiply-adds.
		if g >= 0.5 {
			edges[i] = b - float64(d*(1-g))
		} else {
			edges[i] = a + float64(d*g)
		}
	}
	return edges
}
