package evaluate

import (
	"math"
	"slices"
	"sort"

	"mlw.dev/internal/stats"
	"mlw.dev/metrics"
)

// ConfusionMatrix counts rows by true class (row) and predicted class
// (column).
type ConfusionMatrix struct {
	Labels []string    `json:"labels"`
	Counts [][]float64 `json:"counts"`
}

// Calibration is the reliability of the probabilities of class 1.
type Calibration struct {
	// Bins are the non-empty bins of CalibrationBins equal-width bins on
	// [0, 1], as sklearn.calibration.calibration_curve (strategy "uniform"):
	// bin b holds Lo < p <= Hi, the first also p = 0.
	Bins []CalibrationBin `json:"bins"`
	// ECE is the expected calibration error over the same bins.
	ECE float64 `json:"ece"`
	// Brier is the mean squared error of the probabilities.
	Brier float64 `json:"brier"`
}

// CalibrationBin is one bin of a reliability diagram.
type CalibrationBin struct {
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	Rows int     `json:"rows"`
	// MeanPredicted is the mean probability of the bin's rows and
	// FractionPositive the share of them that are positive.
	MeanPredicted    float64 `json:"mean_predicted"`
	FractionPositive float64 `json:"fraction_positive"`
}

// ROCCurve is the ROC curve of the probability of class 1, downsampled to at
// most Options.CurvePoints points that keep both ends.
type ROCCurve struct {
	FPR        []Float `json:"fpr"`
	TPR        []Float `json:"tpr"`
	Thresholds []Float `json:"thresholds"`
	AUC        Float   `json:"auc"`
}

// PRCurve is the precision-recall curve, in increasing order of threshold
// and downsampled like ROCCurve; the last point (recall 0, precision 1) has
// a null threshold.
type PRCurve struct {
	Precision        []Float `json:"precision"`
	Recall           []Float `json:"recall"`
	Thresholds       []Float `json:"thresholds"`
	AveragePrecision Float   `json:"average_precision"`
}

// Threshold compares decision thresholds on the probability of class 1.
type Threshold struct {
	// Costs are the canvas costs the cost figures use.
	Costs Costs `json:"costs"`
	// Current is the model's own threshold.
	Current OperatingPoint `json:"current"`
	// MinCost is the threshold with the lowest total cost; absent when both
	// costs are zero.
	MinCost *OperatingPoint `json:"min_cost,omitempty"`
	// Targets are the thresholds asked for by a target precision or recall.
	Targets []TargetThreshold `json:"targets,omitempty"`
}

// Costs are the costs of each kind of error.
type Costs struct {
	FalsePositive float64 `json:"false_positive"`
	FalseNegative float64 `json:"false_negative"`
}

// OperatingPoint is the classifier "positive when p >= Threshold".
type OperatingPoint struct {
	// Threshold is null when no row is predicted positive.
	Threshold Float   `json:"threshold"`
	TP        float64 `json:"tp"`
	FP        float64 `json:"fp"`
	TN        float64 `json:"tn"`
	FN        float64 `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// Cost is FP·cost_fp + FN·cost_fn and MeanCost the cost per row.
	Cost     float64 `json:"cost"`
	MeanCost float64 `json:"mean_cost"`
}

// TargetThreshold is the threshold that meets a target precision (the one
// with the highest recall) or recall (the highest precision).
type TargetThreshold struct {
	Metric string  `json:"metric"`
	Target float64 `json:"target"`
	// Met is false when no threshold meets the target; Point is then
	// absent.
	Met   bool            `json:"met"`
	Point *OperatingPoint `json:"point,omitempty"`
}

// Residuals summarise the residuals true − predicted of a regression model.
type Residuals struct {
	Mean   float64 `json:"mean"`
	Std    float64 `json:"std"`
	MAE    float64 `json:"mae"`
	Median float64 `json:"median"`
	P05    float64 `json:"p05"`
	P95    float64 `json:"p95"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// Histogram counts the residuals in 20 equal-width bins (edges as
	// numpy.histogram).
	Histogram Histogram `json:"histogram"`
	// Predicted and Residual are points of the residual plot, at most
	// Options.ResidualPoints evenly spaced rows.
	Predicted []float64 `json:"predicted"`
	Residual  []float64 `json:"residual"`
}

// Histogram is counts over bins with len(Edges) == len(Counts)+1.
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts []int     `json:"counts"`
}

// calibration fills Calibration from metrics.CalibrationCurve, adding the
// edges and size of each bin.
func (e *evaluation) calibration() {
	nb := e.opts.CalibrationBins
	frac, mean := metrics.CalibrationCurve(e.y, e.prob, nb, metrics.Uniform)
	if frac == nil {
		return
	}
	// The binning of metrics.CalibrationCurve: inner edges (b+1)/nb, bin =
	// number of edges strictly below p.
	step := 1 / float64(nb)
	edges := make([]float64, nb-1)
	for i := range edges {
		edges[i] = float64(i+1) * step
	}
	counts := make([]int, nb)
	for _, p := range e.prob {
		counts[sort.SearchFloat64s(edges, p)]++
	}
	c := &Calibration{ECE: metrics.ECE(e.y, e.prob, nil, nb), Brier: metrics.Brier(e.y, e.prob, nil)}
	j := 0
	for b, n := range counts {
		if n == 0 || j >= len(frac) {
			continue
		}
		lo, hi := float64(b)*step, 1.0
		if b < len(edges) {
			hi = edges[b]
		}
		c.Bins = append(c.Bins, CalibrationBin{Lo: lo, Hi: hi, Rows: n, MeanPredicted: mean[j], FractionPositive: frac[j]})
		j++
	}
	e.r.Calibration = c
}

// curves fills ROCCurve and PRCurve.
func (e *evaluation) curves() {
	m := e.opts.CurvePoints
	if fpr, tpr, thr := metrics.ROCCurve(e.y, e.prob, nil); fpr != nil {
		keep := evenRows(len(fpr), m)
		e.r.ROCCurve = &ROCCurve{FPR: pick(fpr, keep), TPR: pick(tpr, keep), Thresholds: pick(thr, keep),
			AUC: Float(metrics.ROCAUC(e.y, e.prob, nil))}
	}
	if prec, rec, thr := metrics.PRCurve(e.y, e.prob, nil); prec != nil {
		thr = append(slices.Clip(thr), math.NaN())
		keep := evenRows(len(prec), m)
		e.r.PRCurve = &PRCurve{Precision: pick(prec, keep), Recall: pick(rec, keep), Thresholds: pick(thr, keep),
			AveragePrecision: Float(metrics.AveragePrecision(e.y, e.prob, nil))}
	}
}

// pick returns x at the given indices.
func pick(x []float64, idx []int) []Float {
	out := make([]Float, len(idx))
	for i, j := range idx {
		out[i] = Float(x[j])
	}
	return out
}

// threshold fills Threshold.
func (e *evaluation) threshold() {
	c := e.in.Costs
	t := &Threshold{Costs: Costs{FalsePositive: c.FP, FalseNegative: c.FN}}
	cur := 0.5
	if e.in.Model != nil && e.in.Model.Threshold != 0 {
		cur = e.in.Model.Threshold
	}
	cm := metrics.ConfusionMatrix(2, e.y, e.pred.Codes, nil)
	t.Current = operatingPoint(metrics.OperatingPoint{Threshold: cur, TN: cm[0][0], FP: cm[0][1], FN: cm[1][0], TP: cm[1][1],
		Precision: metrics.Precision(e.y, e.pred.Codes, nil, metrics.Binary), Recall: metrics.Recall(e.y, e.pred.Codes, nil, metrics.Binary)}, c)
	if c.FP != 0 || c.FN != 0 {
		if op, ok := metrics.ThresholdForCost(e.y, e.prob, nil, c); ok {
			p := operatingPoint(op, c)
			t.MinCost = &p
		}
	}
	for _, target := range []struct {
		metric string
		v      float64
		find   func([]int, []float64, []float64, float64) (metrics.OperatingPoint, bool)
	}{{"precision", e.in.TargetPrecision, metrics.ThresholdForPrecision}, {"recall", e.in.TargetRecall, metrics.ThresholdForRecall}} {
		if target.v <= 0 {
			continue
		}
		tt := TargetThreshold{Metric: target.metric, Target: target.v}
		if op, ok := target.find(e.y, e.prob, nil, target.v); ok {
			p := operatingPoint(op, c)
			tt.Met, tt.Point = true, &p
		}
		t.Targets = append(t.Targets, tt)
	}
	e.r.Threshold = t
}

// operatingPoint converts a metrics.OperatingPoint, with its costs. Recall
// and precision undefined for the data (NaN) are reported as 0, as
// metrics.OperatingPoint does.
func operatingPoint(op metrics.OperatingPoint, c metrics.Costs) OperatingPoint {
	z := func(v float64) float64 {
		if math.IsNaN(v) {
			return 0
		}
		return v
	}
	return OperatingPoint{Threshold: Float(op.Threshold), TP: op.TP, FP: op.FP, TN: op.TN, FN: op.FN,
		Precision: z(op.Precision), Recall: z(op.Recall), Cost: op.Cost(c), MeanCost: op.MeanCost(c)}
}

// residuals fills Residuals (regression).
func (e *evaluation) residuals() {
	n := e.n
	res := make([]float64, n)
	var sum, abs float64
	for i, y := range e.in.Target {
		res[i] = y - e.pred.Values[i]
		sum += res[i]
		abs += math.Abs(res[i])
	}
	sorted := slices.Clone(res)
	slices.Sort(sorted)
	if slices.ContainsFunc(sorted, func(v float64) bool { return !finite(v) }) {
		return
	}
	mean := sum / float64(n)
	var ss float64
	for _, v := range res {
		ss += (v - mean) * (v - mean)
	}
	std := 0.0
	if n > 1 {
		std = math.Sqrt(ss / float64(n-1))
	}
	r := &Residuals{Mean: mean, Std: std, MAE: abs / float64(n), Median: stats.Quantile(sorted, 0.5),
		P05: stats.Quantile(sorted, 0.05), P95: stats.Quantile(sorted, 0.95), Min: sorted[0], Max: sorted[n-1],
		Histogram: histogram(sorted, 20)}
	for _, i := range evenRows(n, e.opts.ResidualPoints) {
		r.Predicted = append(r.Predicted, e.pred.Values[i])
		r.Residual = append(r.Residual, res[i])
	}
	e.r.Residuals = r
}

// histogram counts finite values in bins equal-width bins from their minimum
// to their maximum, the last bin closed, as numpy.histogram.
func histogram(x []float64, bins int) Histogram {
	lo, hi := slices.Min(x), slices.Max(x)
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	h := Histogram{Edges: make([]float64, bins+1), Counts: make([]int, bins)}
	for i := range h.Edges {
		h.Edges[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	h.Edges[bins] = hi
	for _, v := range x {
		b := int(float64(bins) * (v - lo) / (hi - lo))
		b = max(0, min(b, bins-1))
		h.Counts[b]++
	}
	return h
}
