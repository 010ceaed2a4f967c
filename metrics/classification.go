package metrics

import "math"

// Average selects how per-class precision, recall and F1 are combined.
type Average int

const (
	// Binary scores class 1 only. Labels must be 0 or 1; this is
	// scikit-learn's average="binary" with pos_label=1.
	Binary Average = iota
	// Micro pools the true positives, predictions and supports of all classes
	// before dividing; for single-label data precision, recall and F1 then
	// all equal the accuracy.
	Micro
	// Macro is the unweighted mean of the per-class scores over the classes
	// that occur in yTrue or yPred (scikit-learn's default labels); classes
	// that occur in neither are left out.
	Macro
	// Weighted is the mean of the per-class scores weighted by each class's
	// (weighted) support in yTrue.
	Weighted
)

// String returns the scikit-learn name of the average.
func (a Average) String() string {
	switch a {
	case Binary:
		return "binary"
	case Micro:
		return "micro"
	case Macro:
		return "macro"
	case Weighted:
		return "weighted"
	}
	return "Average(invalid)"
}

func checkLen(nTrue, nPred int) {
	if nTrue != nPred {
		panic("metrics: len(yTrue) != len(yPred)")
	}
}

func checkWeights(n int, weights []float64) {
	if weights != nil && len(weights) != n {
		panic("metrics: len(weights) != len(yTrue)")
	}
}

// weightAt returns the weight of row i, 1 when weights is nil.
func weightAt(weights []float64, i int) float64 {
	if weights == nil {
		return 1
	}
	return weights[i]
}

func checkBinary(label int) {
	if label != 0 && label != 1 {
		panic("metrics: binary label not 0 or 1")
	}
}

// numClasses returns 1 + the largest label in yTrue and yPred, and panics on
// a negative label.
func numClasses(yTrue, yPred []int) int {
	k := 0
	for _, ys := range [2][]int{yTrue, yPred} {
		for _, y := range ys {
			if y < 0 {
				panic("metrics: negative label")
			}
			k = max(k, y+1)
		}
	}
	return k
}

func checkLabel(y, k int) {
	if y < 0 || y >= k {
		panic("metrics: label out of range [0, k)")
	}
}

// Accuracy returns the weighted fraction of rows with yPred[i] == yTrue[i]:
//
//	accuracy = Σ w_i [yTrue_i == yPred_i] / Σ w_i
//
// It returns NaN for empty input or weights summing to zero, as
// sklearn.metrics.accuracy_score does (or raises).
func Accuracy(yTrue, yPred []int, weights []float64) float64 {
	checkLen(len(yTrue), len(yPred))
	checkWeights(len(yTrue), weights)
	if len(yTrue) == 0 {
		return math.NaN()
	}
	var hit, total float64
	for i, y := range yTrue {
		w := weightAt(weights, i)
		if y == yPred[i] {
			hit += w
		}
		total += w
	}
	return hit / total
}

// confusion holds the per-class sums that the label metrics need.
type confusion struct {
	tp      []float64 // weight of rows with yTrue == yPred == c
	pred    []float64 // weight of rows with yPred == c
	true_   []float64 // weight of rows with yTrue == c (the support)
	present []bool    // c occurs in yTrue or yPred, whatever its weight
}

func newConfusion(k int, yTrue, yPred []int, weights []float64) confusion {
	c := confusion{
		tp:      make([]float64, k),
		pred:    make([]float64, k),
		true_:   make([]float64, k),
		present: make([]bool, k),
	}
	for i, t := range yTrue {
		p := yPred[i]
		checkLabel(t, k)
		checkLabel(p, k)
		w := weightAt(weights, i)
		c.true_[t] += w
		c.pred[p] += w
		if t == p {
			c.tp[t] += w
		}
		c.present[t] = true
		c.present[p] = true
	}
	return c
}

// divOrZero returns num/den, or 0 when den is 0 (zero_division=0).
func divOrZero(num, den float64) float64 {
	if den == 0 {
		return 0
	}
	return num / den
}

// f1 returns the harmonic mean of p and r, 0 when both are 0.
func f1(p, r float64) float64 {
	den := p + r
	if den == 0 {
		return 0
	}
	return 2 * p * r / den
}

// ClassScore holds the precision, recall, F1 and support of one class.
type ClassScore struct {
	Precision float64 // TP / (TP + FP), 0 when nothing is predicted as the class
	Recall    float64 // TP / (TP + FN), 0 when the class has no support
	F1        float64 // 2PR / (P + R), 0 when P + R == 0
	Support   float64 // weighted count of rows whose true class is the class
}

// PerClass returns the precision, recall, F1 and support of each class
// 0..k-1, as sklearn.metrics.precision_recall_fscore_support with
// labels=range(k), average=None and zero_division=0. A class that occurs in
// neither yTrue nor yPred scores 0 everywhere. Labels must lie in [0, k).
func PerClass(k int, yTrue, yPred []int, weights []float64) []ClassScore {
	checkLen(len(yTrue), len(yPred))
	checkWeights(len(yTrue), weights)
	c := newConfusion(k, yTrue, yPred, weights)
	out := make([]ClassScore, k)
	for j := range out {
		p := divOrZero(c.tp[j], c.pred[j])
		r := divOrZero(c.tp[j], c.true_[j])
		out[j] = ClassScore{Precision: p, Recall: r, F1: f1(p, r), Support: c.true_[j]}
	}
	return out
}

// prf returns precision, recall and F1 averaged as avg, following
// sklearn.metrics.precision_recall_fscore_support with zero_division=0.
func prf(yTrue, yPred []int, weights []float64, avg Average) (p, r, f float64) {
	checkLen(len(yTrue), len(yPred))
	checkWeights(len(yTrue), weights)
	nan := math.NaN()
	if len(yTrue) == 0 {
		return nan, nan, nan
	}
	switch avg {
	case Binary:
		var tp, pred, true_ float64
		for i, t := range yTrue {
			checkBinary(t)
			checkBinary(yPred[i])
			w := weightAt(weights, i)
			if t == 1 {
				true_ += w
			}
			if yPred[i] == 1 {
				pred += w
				if t == 1 {
					tp += w
				}
			}
		}
		p, r = divOrZero(tp, pred), divOrZero(tp, true_)
		return p, r, f1(p, r)
	case Micro, Macro, Weighted:
	default:
		panic("metrics: invalid Average")
	}
	c := newConfusion(numClasses(yTrue, yPred), yTrue, yPred, weights)
	var tp, total float64
	for j := range c.tp {
		tp += c.tp[j]
		total += c.true_[j]
	}
	switch avg {
	case Micro:
		// Pooled over classes: Σ pred == Σ true == Σ w.
		p = divOrZero(tp, total)
		return p, p, f1(p, p)
	case Macro:
		var n float64
		for j, ok := range c.present {
			if !ok {
				continue
			}
			pj := divOrZero(c.tp[j], c.pred[j])
			rj := divOrZero(c.tp[j], c.true_[j])
			p += pj
			r += rj
			f += f1(pj, rj)
			n++
		}
		return p / n, r / n, f / n
	default: // Weighted
		if total == 0 {
			return 0, 0, 0
		}
		for j, ok := range c.present {
			if !ok {
				continue
			}
			pj := divOrZero(c.tp[j], c.pred[j])
			rj := divOrZero(c.tp[j], c.true_[j])
			p += c.true_[j] * pj
			r += c.true_[j] * rj
			f += c.true_[j] * f1(pj, rj)
		}
		return p / total, r / total, f / total
	}
}

// Precision returns TP / (TP + FP) averaged as avg (see Average), as
// sklearn.metrics.precision_score. A class with no predicted rows has
// precision 0 (zero_division=0; scikit-learn's default "warn" also returns
// 0). Weighted returns 0 when the supports sum to zero. Empty input returns
// NaN.
func Precision(yTrue, yPred []int, weights []float64, avg Average) float64 {
	p, _, _ := prf(yTrue, yPred, weights, avg)
	return p
}

// Recall returns TP / (TP + FN) averaged as avg (see Average), as
// sklearn.metrics.recall_score. A class with no support has recall 0
// (zero_division=0). Empty input returns NaN.
func Recall(yTrue, yPred []int, weights []float64, avg Average) float64 {
	_, r, _ := prf(yTrue, yPred, weights, avg)
	return r
}

// F1 returns the harmonic mean 2PR/(P+R) of each class's precision and
// recall, averaged as avg (see Average), as sklearn.metrics.f1_score in
// scikit-learn 1.2: a class with P + R == 0 scores 0. Empty input returns
// NaN.
func F1(yTrue, yPred []int, weights []float64, avg Average) float64 {
	_, _, f := prf(yTrue, yPred, weights, avg)
	return f
}

// Specificity returns the true negative rate of a binary problem,
//
//	specificity = TN / (TN + FP),
//
// that is the recall of class 0 (sklearn.metrics.recall_score with
// pos_label=0). It returns 0 when there are no negatives (zero_division=0)
// and NaN for empty input. Labels must be 0 or 1.
func Specificity(yTrue, yPred []int, weights []float64) float64 {
	checkLen(len(yTrue), len(yPred))
	checkWeights(len(yTrue), weights)
	if len(yTrue) == 0 {
		return math.NaN()
	}
	var tn, neg float64
	for i, t := range yTrue {
		checkBinary(t)
		checkBinary(yPred[i])
		if t == 0 {
			w := weightAt(weights, i)
			neg += w
			if yPred[i] == 0 {
				tn += w
			}
		}
	}
	return divOrZero(tn, neg)
}

// BalancedAccuracy returns the mean over classes of the per-class recall,
//
//	balanced accuracy = mean_c C[c][c] / Σ_j C[c][j],
//
// taken over the classes with non-zero (weighted) support in yTrue, as
// sklearn.metrics.balanced_accuracy_score with adjusted=False: classes that
// occur only in yPred are left out. It returns NaN for empty input or when no
// class has support.
func BalancedAccuracy(yTrue, yPred []int, weights []float64) float64 {
	checkLen(len(yTrue), len(yPred))
	checkWeights(len(yTrue), weights)
	if len(yTrue) == 0 {
		return math.NaN()
	}
	c := newConfusion(numClasses(yTrue, yPred), yTrue, yPred, weights)
	var sum, n float64
	for j := range c.tp {
		r := c.tp[j] / c.true_[j]
		if math.IsNaN(r) {
			continue
		}
		sum += r
		n++
	}
	return sum / n
}

// ConfusionMatrix returns the k×k confusion matrix C, where C[i][j] is the
// total weight of the rows of true class i predicted as class j, as
// sklearn.metrics.confusion_matrix with labels=range(k). Labels must lie in
// [0, k). Empty input gives a matrix of zeros.
func ConfusionMatrix(k int, yTrue, yPred []int, weights []float64) [][]float64 {
	checkLen(len(yTrue), len(yPred))
	checkWeights(len(yTrue), weights)
	data := make([]float64, k*k)
	m := make([][]float64, k)
	for i := range m {
		m[i] = data[i*k : (i+1)*k : (i+1)*k]
	}
	for i, t := range yTrue {
		checkLabel(t, k)
		checkLabel(yPred[i], k)
		m[t][yPred[i]] += weightAt(weights, i)
	}
	return m
}

// MCC returns the Matthews correlation coefficient in its multiclass form
// (which reduces to the binary one),
//
//	MCC = (c·s − Σ_k p_k t_k) / sqrt((s² − Σ_k p_k²)(s² − Σ_k t_k²)),
//
// where c is the weight of correct rows, s the total weight, and t_k and p_k
// the weights of true and predicted class k, as
// sklearn.metrics.matthews_corrcoef. It returns 0 when the denominator is
// zero, that is when yTrue or yPred holds a single class (counting only
// classes of non-zero weight), and NaN for empty input (scikit-learn
// returns 0 there).
func MCC(yTrue, yPred []int, weights []float64) float64 {
	checkLen(len(yTrue), len(yPred))
	checkWeights(len(yTrue), weights)
	if len(yTrue) == 0 {
		return math.NaN()
	}
	c := newConfusion(numClasses(yTrue, yPred), yTrue, yPred, weights)
	// A constant yTrue or yPred makes the denominator zero; decide that
	// exactly rather than through s² − Σ t_k², which rounding can leave
	// slightly off zero.
	var trueClasses, predClasses int
	var correct, s, tp, pp, tt float64
	for j := range c.tp {
		if c.true_[j] != 0 {
			trueClasses++
		}
		if c.pred[j] != 0 {
			predClasses++
		}
		correct += c.tp[j]
		s += c.pred[j]
		tp += c.true_[j] * c.pred[j]
		pp += c.pred[j] * c.pred[j]
		tt += c.true_[j] * c.true_[j]
	}
	covTP := correct*s - tp
	covPP := s*s - pp
	covTT := s*s - tt
	if trueClasses < 2 || predClasses < 2 || covPP*covTT == 0 {
		return 0
	}
	return covTP / math.Sqrt(covTT*covPP)
}

// Costs holds the cost of each kind of error of a binary classifier.
type Costs struct {
	FP float64 // cost of predicting 1 for a row whose true class is 0
	FN float64 // cost of predicting 0 for a row whose true class is 1
}

// TotalCost returns the weighted cost of the errors of a binary classifier,
//
//	cost = Σ w_i (FP·[yTrue_i = 0, yPred_i = 1] + FN·[yTrue_i = 1, yPred_i = 0]).
//
// It returns 0 for empty input. Labels must be 0 or 1.
func TotalCost(yTrue, yPred []int, weights []float64, c Costs) float64 {
	total, _ := cost(yTrue, yPred, weights, c)
	return total
}

// MeanCost returns TotalCost divided by the total weight (the number of rows
// when weights is nil): the expected cost per row. It returns NaN for empty
// input or weights summing to zero.
func MeanCost(yTrue, yPred []int, weights []float64, c Costs) float64 {
	total, w := cost(yTrue, yPred, weights, c)
	if len(yTrue) == 0 {
		return math.NaN()
	}
	return total / w
}

func cost(yTrue, yPred []int, weights []float64, c Costs) (total, weight float64) {
	checkLen(len(yTrue), len(yPred))
	checkWeights(len(yTrue), weights)
	var fp, fn float64
	for i, t := range yTrue {
		p := yPred[i]
		checkBinary(t)
		checkBinary(p)
		w := weightAt(weights, i)
		weight += w
		switch {
		case t == 0 && p == 1:
			fp += w
		case t == 1 && p == 0:
			fn += w
		}
	}
	return fp*c.FP + fn*c.FN, weight
}
