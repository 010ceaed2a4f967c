package metrics

import (
	"math"
	"slices"
)

// ranked is one row of a ranking: its score, weight and whether it is
// positive.
type ranked struct {
	s   float64
	w   float64
	pos bool
}

// byScoreDesc orders ranked rows by decreasing score.
func byScoreDesc(a, b ranked) int {
	switch {
	case a.s > b.s:
		return -1
	case a.s < b.s:
		return 1
	}
	return 0
}

// rankBinary fills buf (reused when its capacity suffices) with the rows of a
// binary problem, leaving out zero-weight rows, and sorts it by decreasing
// score. It returns ok == false when a score is NaN.
func rankBinary(buf []ranked, yTrue []int, score, weights []float64) ([]ranked, bool) {
	checkLen(len(yTrue), len(score))
	checkWeights(len(yTrue), weights)
	buf = slices.Grow(buf[:0], len(yTrue))
	for i, y := range yTrue {
		checkBinary(y)
		s := score[i]
		if math.IsNaN(s) {
			return buf, false
		}
		w := weightAt(weights, i)
		if w == 0 {
			continue
		}
		buf = append(buf, ranked{s: s, w: w, pos: y == 1})
	}
	slices.SortFunc(buf, byScoreDesc)
	return buf, true
}

// rankClass is rankBinary for class c against the rest of a multiclass
// problem, with scores taken from column c of proba.
func rankClass(buf []ranked, yTrue []int, proba []float64, k, c int, weights []float64) ([]ranked, bool) {
	buf = buf[:0]
	for i, y := range yTrue {
		s := proba[i*k+c]
		if math.IsNaN(s) {
			return buf, false
		}
		w := weightAt(weights, i)
		if w == 0 {
			continue
		}
		buf = append(buf, ranked{s: s, w: w, pos: y == c})
	}
	slices.SortFunc(buf, byScoreDesc)
	return buf, true
}

// aucSorted returns the area under the ROC curve of rows sorted by decreasing
// score: the trapezoidal rule over the points of the distinct thresholds, so
// that tied scores form one diagonal step.
func aucSorted(buf []ranked) float64 {
	var tp, fp, tpPrev, fpPrev, area float64
	for i, r := range buf {
		if r.pos {
			tp += r.w
		} else {
			fp += r.w
		}
		if i+1 == len(buf) || buf[i+1].s != r.s {
			area += (fp - fpPrev) * (tp + tpPrev)
			tpPrev, fpPrev = tp, fp
		}
	}
	if tp <= 0 || fp <= 0 {
		return math.NaN()
	}
	return area / (2 * tp * fp)
}

// ROCAUC returns the area under the ROC curve of a binary problem, as
// sklearn.metrics.roc_auc_score: the trapezoidal rule over the (FPR, TPR)
// points of the distinct score thresholds, so that a run of tied scores
// contributes one diagonal segment (a tie between a positive and a negative
// counts one half). Equivalently,
//
//	AUC = Σ_{i pos, j neg} w_i w_j ([s_i > s_j] + ½[s_i = s_j]) / (Σ_pos w · Σ_neg w).
//
// It returns NaN when yTrue holds a single class (or the weights of one class
// sum to zero), for empty input, and when a score is NaN. Labels must be 0 or
// 1. It sorts a copy of the rows: O(n log n) time and one buffer of n rows.
func ROCAUC(yTrue []int, score, weights []float64) float64 {
	buf, ok := rankBinary(nil, yTrue, score, weights)
	if !ok {
		return math.NaN()
	}
	return aucSorted(buf)
}

// ROCAUCOvR returns the one-vs-rest ROC AUC of a multiclass problem: the
// binary ROCAUC of each class c against the rest, scored by column c of
// proba, averaged with avg, which must be Macro (the plain mean) or Weighted
// (weighted by each class's support in yTrue). This is
// sklearn.metrics.roc_auc_score with multi_class="ovr" and labels=range(k);
// scikit-learn also requires each row of proba to sum to one, this function
// does not. It returns NaN when a class has no positive or no negative rows,
// for empty input and when a score is NaN. Labels must lie in [0, k) and
// len(proba) must be len(yTrue)*k.
func ROCAUCOvR(yTrue []int, proba []float64, k int, weights []float64, avg Average) float64 {
	n := len(yTrue)
	if len(proba) != n*k {
		panic("metrics: len(proba) != len(yTrue)*k")
	}
	checkWeights(n, weights)
	if avg != Macro && avg != Weighted {
		panic("metrics: ROCAUCOvR supports Macro and Weighted averages only")
	}
	support := make([]float64, k)
	for i, y := range yTrue {
		checkLabel(y, k)
		support[y] += weightAt(weights, i)
	}
	if n == 0 {
		return math.NaN()
	}
	buf := make([]ranked, 0, n)
	var sum, total float64
	for c := range k {
		var ok bool
		buf, ok = rankClass(buf, yTrue, proba, k, c, weights)
		if !ok {
			return math.NaN()
		}
		auc := aucSorted(buf)
		if avg == Macro {
			sum += auc
			total++
		} else {
			sum += support[c] * auc
			total += support[c]
		}
	}
	return sum / total
}

// binaryCurve returns, for each distinct threshold of rows sorted by
// decreasing score, the weighted false and true positive counts of the rule
// "score >= threshold", as scikit-learn's _binary_clf_curve.
func binaryCurve(buf []ranked) (fps, tps, thresholds []float64) {
	var tp, fp float64
	for i, r := range buf {
		if r.pos {
			tp += r.w
		} else {
			fp += r.w
		}
		if i+1 == len(buf) || buf[i+1].s != r.s {
			fps = append(fps, fp)
			tps = append(tps, tp)
			thresholds = append(thresholds, r.s)
		}
	}
	return fps, tps, thresholds
}

// ROCCurve returns the points of the ROC curve of a binary problem, for plots,
// as sklearn.metrics.roc_curve of scikit-learn 1.2 with
// drop_intermediate=True: thresholds are the distinct scores in decreasing
// order, a row being predicted positive when its score >= the threshold;
// points collinear with their neighbours are dropped; the point (0, 0) is
// prepended with the threshold max(score)+1 (scikit-learn 1.3 uses +Inf).
// fpr is all NaN when there are no negatives and tpr is all NaN when there are
// no positives. It returns nil slices for empty input (after dropping
// zero-weight rows) and when a score is NaN. Labels must be 0 or 1.
func ROCCurve(yTrue []int, score, weights []float64) (fpr, tpr, thresholds []float64) {
	buf, ok := rankBinary(nil, yTrue, score, weights)
	if !ok || len(buf) == 0 {
		return nil, nil, nil
	}
	fps, tps, thr := binaryCurve(buf)
	if len(fps) > 2 {
		// Keep the ends and every point where either count bends: its second
		// difference, computed as numpy.diff(x, 2), is non-zero.
		keep := 1
		for i := 1; i < len(fps)-1; i++ {
			d2f := (fps[i+1] - fps[i]) - (fps[i] - fps[i-1])
			d2t := (tps[i+1] - tps[i]) - (tps[i] - tps[i-1])
			if d2f != 0 || d2t != 0 {
				fps[keep], tps[keep], thr[keep] = fps[i], tps[i], thr[i]
				keep++
			}
		}
		last := len(fps) - 1
		fps[keep], tps[keep], thr[keep] = fps[last], tps[last], thr[last]
		fps, tps, thr = fps[:keep+1], tps[:keep+1], thr[:keep+1]
	}
	m := len(fps) + 1
	fpr = make([]float64, m)
	tpr = make([]float64, m)
	thresholds = make([]float64, m)
	thresholds[0] = thr[0] + 1
	copy(thresholds[1:], thr)
	fpTotal, tpTotal := fps[len(fps)-1], tps[len(tps)-1]
	for i := 1; i < m; i++ {
		fpr[i] = fps[i-1] / fpTotal
		tpr[i] = tps[i-1] / tpTotal
	}
	if fpTotal <= 0 {
		fillNaN(fpr)
	}
	if tpTotal <= 0 {
		fillNaN(tpr)
	}
	return fpr, tpr, thresholds
}

func fillNaN(x []float64) {
	for i := range x {
		x[i] = math.NaN()
	}
}

// PRCurve returns the points of the precision-recall curve of a binary
// problem, for plots, as sklearn.metrics.precision_recall_curve of
// scikit-learn 1.2: thresholds are the distinct scores in increasing order,
// a row being predicted positive when its score >= the threshold, and
// precision[i], recall[i] belong to thresholds[i]. The final point
// (precision 1, recall 0) has no threshold, so len(precision) ==
// len(recall) == len(thresholds)+1. Precision is 0 where no row is predicted
// positive; recall is 1 everywhere when there are no positives. It returns
// nil slices for empty input (after dropping zero-weight rows) and when a
// score is NaN. Labels must be 0 or 1.
func PRCurve(yTrue []int, score, weights []float64) (precision, recall, thresholds []float64) {
	buf, ok := rankBinary(nil, yTrue, score, weights)
	if !ok || len(buf) == 0 {
		return nil, nil, nil
	}
	fps, tps, thr := binaryCurve(buf)
	m := len(fps)
	precision = make([]float64, m+1)
	recall = make([]float64, m+1)
	thresholds = make([]float64, m)
	tpTotal := tps[m-1]
	for i := range m {
		j := m - 1 - i // increasing thresholds
		precision[i] = divOrZero(tps[j], tps[j]+fps[j])
		recall[i] = 1
		if tpTotal != 0 {
			recall[i] = tps[j] / tpTotal
		}
		thresholds[i] = thr[j]
	}
	precision[m] = 1
	recall[m] = 0
	return precision, recall, thresholds
}

// AveragePrecision returns the average precision of a binary problem, as
// sklearn.metrics.average_precision_score: the step-wise (not interpolated)
// area under the precision-recall curve,
//
//	AP = Σ_k (R_k − R_{k−1}) P_k,
//
// over the distinct thresholds k in decreasing order, with R_{−1} = 0. It
// returns 0 when there are no positives and 1 when every row is positive (as
// scikit-learn does), and NaN for empty input and when a score is NaN.
// Labels must be 0 or 1.
func AveragePrecision(yTrue []int, score, weights []float64) float64 {
	buf, ok := rankBinary(nil, yTrue, score, weights)
	if !ok || len(buf) == 0 {
		return math.NaN()
	}
	var pos float64
	for _, r := range buf {
		if r.pos {
			pos += r.w
		}
	}
	if pos == 0 {
		return 0
	}
	var tp, fp, rPrev, ap float64
	for i, r := range buf {
		if r.pos {
			tp += r.w
		} else {
			fp += r.w
		}
		if i+1 == len(buf) || buf[i+1].s != r.s {
			rec := tp / pos
			ap += (rec - rPrev) * divOrZero(tp, tp+fp)
			rPrev = rec
		}
	}
	return ap
}

// OperatingPoint describes the binary classifier "predict 1 when score >=
// Threshold" on a labelled data set.
type OperatingPoint struct {
	// Threshold is the decision threshold: one of the scores, or +Inf when
	// no row is predicted positive.
	Threshold      float64
	TP, FP, TN, FN float64 // weighted counts
	Precision      float64 // TP / (TP + FP), 0 when nothing is predicted positive
	Recall         float64 // TP / (TP + FN), 0 when there are no positives
}

// Cost returns the total cost FP·c.FP + FN·c.FN of the operating point.
func (o OperatingPoint) Cost(c Costs) float64 {
	return o.FP*c.FP + o.FN*c.FN
}

// MeanCost returns the cost per unit of weight (per row when unweighted),
// the expected cost of a row: Cost(c) / (TP + FP + TN + FN).
func (o OperatingPoint) MeanCost(c Costs) float64 {
	return o.Cost(c) / (o.TP + o.FP + o.TN + o.FN)
}

// operatingPoints calls yield with every candidate operating point of rows
// sorted by decreasing score, from the highest threshold (+Inf: nothing
// positive) down to the lowest score (everything positive). The totals are
// summed in the same order as the running counts, so the last point has
// FN == TN == 0 exactly.
func operatingPoints(buf []ranked, yield func(OperatingPoint)) {
	var pos, neg float64
	for _, r := range buf {
		if r.pos {
			pos += r.w
		} else {
			neg += r.w
		}
	}
	point := func(thr, tp, fp float64) OperatingPoint {
		return OperatingPoint{
			Threshold: thr,
			TP:        tp, FP: fp, TN: neg - fp, FN: pos - tp,
			Precision: divOrZero(tp, tp+fp),
			Recall:    divOrZero(tp, pos),
		}
	}
	yield(point(math.Inf(1), 0, 0))
	var tp, fp float64
	for i, r := range buf {
		if r.pos {
			tp += r.w
		} else {
			fp += r.w
		}
		if i+1 == len(buf) || buf[i+1].s != r.s {
			yield(point(r.s, tp, fp))
		}
	}
}

// ThresholdForPrecision returns the operating point with the highest recall
// among those whose precision is >= target; among points of equal recall it
// returns the one with the highest threshold, which has the highest
// precision. Since recall only grows as the threshold falls, this is the
// lowest threshold that meets the target, raised to the top of its recall
// level. Candidate thresholds are the distinct scores of rows with non-zero
// weight, plus +Inf (nothing predicted positive, precision 0). It returns
// ok == false when no threshold meets the target, for empty input and when
// a score is NaN. Labels must be 0 or 1.
func ThresholdForPrecision(yTrue []int, score, weights []float64, target float64) (op OperatingPoint, ok bool) {
	buf, valid := rankBinary(nil, yTrue, score, weights)
	if !valid || len(buf) == 0 {
		return OperatingPoint{}, false
	}
	operatingPoints(buf, func(p OperatingPoint) {
		if p.Precision >= target && (!ok || p.TP > op.TP) {
			op, ok = p, true
		}
	})
	return op, ok
}

// ThresholdForRecall returns the operating point with the highest precision
// among those whose recall is >= target; among points of equal precision it
// returns the one with the highest threshold. Candidate thresholds are as in
// ThresholdForPrecision. It returns ok == false when no threshold meets the
// target (always, for a positive target, when there are no positives), for
// empty input and when a score is NaN. Labels must be 0 or 1.
func ThresholdForRecall(yTrue []int, score, weights []float64, target float64) (op OperatingPoint, ok bool) {
	buf, valid := rankBinary(nil, yTrue, score, weights)
	if !valid || len(buf) == 0 {
		return OperatingPoint{}, false
	}
	operatingPoints(buf, func(p OperatingPoint) {
		if p.Recall >= target && (!ok || p.Precision > op.Precision) {
			op, ok = p, true
		}
	})
	return op, ok
}

// ThresholdForCost returns the operating point with the lowest cost
// FP·c.FP + FN·c.FN, which also minimises the expected cost per row; among
// points of equal cost it returns the one with the highest threshold.
// Candidate thresholds are as in ThresholdForPrecision, so predicting every
// row negative (+Inf) and every row positive (the lowest score) are both
// considered. It returns ok == false for empty input and when a score is NaN.
// Labels must be 0 or 1.
func ThresholdForCost(yTrue []int, score, weights []float64, c Costs) (op OperatingPoint, ok bool) {
	buf, valid := rankBinary(nil, yTrue, score, weights)
	if !valid || len(buf) == 0 {
		return OperatingPoint{}, false
	}
	best := math.Inf(1)
	operatingPoints(buf, func(p OperatingPoint) {
		if cost := p.Cost(c); !ok || cost < best {
			op, ok, best = p, true, cost
		}
	})
	return op, ok
}
