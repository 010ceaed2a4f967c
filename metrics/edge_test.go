package metrics_test

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"

	"mlw.dev/metrics"
)

// Hand-checked values: each expected number is worked out in the comment
// next to it.

func requireClose(t testing.TB, want, got float64, msg ...any) {
	t.Helper()
	require.Truef(t, scalar.EqualWithinAbsOrRel(got, want, 1e-12, 1e-12), "got %.17g, want %.17g %v", got, want, msg)
}

func requireOperating(t testing.TB, want, got metrics.OperatingPoint) {
	t.Helper()
	requireClose(t, want.Threshold, got.Threshold, "threshold")
	requireClose(t, want.TP, got.TP, "TP")
	requireClose(t, want.FP, got.FP, "FP")
	requireClose(t, want.TN, got.TN, "TN")
	requireClose(t, want.FN, got.FN, "FN")
	requireClose(t, want.Precision, got.Precision, "precision")
	requireClose(t, want.Recall, got.Recall, "recall")
}

func TestEmptyInput(t *testing.T) {
	t.Parallel()
	var yi []int
	var yf []float64
	nan := map[string]float64{
		"Accuracy":          metrics.Accuracy(yi, yi, nil),
		"BalancedAccuracy":  metrics.BalancedAccuracy(yi, yi, nil),
		"Precision":         metrics.Precision(yi, yi, nil, metrics.Binary),
		"RecallMacro":       metrics.Recall(yi, yi, nil, metrics.Macro),
		"F1Weighted":        metrics.F1(yi, yi, nil, metrics.Weighted),
		"Specificity":       metrics.Specificity(yi, yi, nil),
		"MCC":               metrics.MCC(yi, yi, nil),
		"MeanCost":          metrics.MeanCost(yi, yi, nil, metrics.Costs{FP: 1, FN: 1}),
		"ROCAUC":            metrics.ROCAUC(yi, yf, nil),
		"ROCAUCOvR":         metrics.ROCAUCOvR(yi, yf, 3, nil, metrics.Macro),
		"AveragePrecision":  metrics.AveragePrecision(yi, yf, nil),
		"LogLoss":           metrics.LogLoss(yi, yf, nil),
		"LogLossMulti":      metrics.LogLossMulti(yi, yf, 3, nil),
		"Brier":             metrics.Brier(yi, yf, nil),
		"ECE":               metrics.ECE(yi, yf, nil, 10),
		"MAE":               metrics.MAE(yf, yf, nil),
		"MSE":               metrics.MSE(yf, yf, nil),
		"RMSE":              metrics.RMSE(yf, yf, nil),
		"R2":                metrics.R2(yf, yf, nil),
		"MAPE":              metrics.MAPE(yf, yf, nil),
		"MedianAE":          metrics.MedianAE(yf, yf, nil),
		"MedianAEWeighted":  metrics.MedianAE(yf, yf, []float64{}),
		"ExplainedVariance": metrics.ExplainedVariance(yf, yf, nil),
		"MaxError":          metrics.MaxError(yf, yf),
	}
	for name, v := range nan {
		require.True(t, math.IsNaN(v), "%s(empty) = %v, want NaN", name, v)
	}
	require.Zero(t, metrics.TotalCost(yi, yi, nil, metrics.Costs{FP: 1, FN: 1}))
	require.Equal(t, [][]float64{{0, 0}, {0, 0}}, metrics.ConfusionMatrix(2, yi, yi, nil))
	require.Empty(t, metrics.PerClass(0, yi, yi, nil))
	fpr, tpr, thr := metrics.ROCCurve(yi, yf, nil)
	require.Nil(t, fpr)
	require.Nil(t, tpr)
	require.Nil(t, thr)
	p, r, thr := metrics.PRCurve(yi, yf, nil)
	require.Nil(t, p)
	require.Nil(t, r)
	require.Nil(t, thr)
	frac, mean := metrics.CalibrationCurve(yi, yf, 5, metrics.Quantile)
	require.Nil(t, frac)
	require.Nil(t, mean)
	_, ok := metrics.ThresholdForPrecision(yi, yf, nil, 0.5)
	require.False(t, ok)
	_, ok = metrics.ThresholdForRecall(yi, yf, nil, 0.5)
	require.False(t, ok)
	_, ok = metrics.ThresholdForCost(yi, yf, nil, metrics.Costs{FP: 1, FN: 1})
	require.False(t, ok)
}

func TestPanics(t *testing.T) {
	t.Parallel()
	two, three := []int{0, 1}, []int{0, 1, 1}
	s2, s3 := []float64{0.2, 0.8}, []float64{0.2, 0.8, 0.5}
	tests := []struct {
		name string
		msg  string
		f    func()
	}{
		{"Accuracy", "metrics: len(yTrue) != len(yPred)", func() { metrics.Accuracy(two, three, nil) }},
		{"AccuracyWeights", "metrics: len(weights) != len(yTrue)", func() { metrics.Accuracy(two, two, s3) }},
		{"PrecisionBinary", "metrics: binary label not 0 or 1", func() { metrics.Precision([]int{0, 2}, two, nil, metrics.Binary) }},
		{"PrecisionAverage", "metrics: invalid Average", func() { metrics.Precision(two, two, nil, metrics.Average(9)) }},
		{"F1Negative", "metrics: negative label", func() { metrics.F1([]int{0, -1}, two, nil, metrics.Macro) }},
		{"ConfusionMatrix", "metrics: label out of range [0, k)", func() { metrics.ConfusionMatrix(2, []int{0, 2}, two, nil) }},
		{"PerClass", "metrics: label out of range [0, k)", func() { metrics.PerClass(1, two, two, nil) }},
		{"ROCAUC", "metrics: len(yTrue) != len(yPred)", func() { metrics.ROCAUC(two, s3, nil) }},
		{"ROCAUCLabel", "metrics: binary label not 0 or 1", func() { metrics.ROCAUC([]int{0, 3}, s2, nil) }},
		{"ROCAUCOvRShape", "metrics: len(proba) != len(yTrue)*k", func() { metrics.ROCAUCOvR(two, s3, 2, nil, metrics.Macro) }},
		{"ROCAUCOvRAverage", "metrics: ROCAUCOvR supports Macro and Weighted averages only", func() {
			metrics.ROCAUCOvR(two, []float64{1, 0, 0, 1}, 2, nil, metrics.Micro)
		}},
		{"LogLossMulti", "metrics: label out of range [0, k)", func() { metrics.LogLossMulti([]int{0, 2}, []float64{1, 0, 0, 1}, 2, nil) }},
		{"ECEBins", "metrics: nBins < 1", func() { metrics.ECE(two, s2, nil, 0) }},
		{"CalibrationBinning", "metrics: invalid Binning", func() { metrics.CalibrationCurve(two, s2, 5, metrics.Binning(7)) }},
		{"MAE", "metrics: len(yTrue) != len(yPred)", func() { metrics.MAE(s2, s3, nil) }},
		{"MaxError", "metrics: len(yTrue) != len(yPred)", func() { metrics.MaxError(s3, s2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.PanicsWithValue(t, tt.msg, tt.f)
		})
	}
}

func TestClassificationByHand(t *testing.T) {
	t.Parallel()
	//          TN TN FP FN TP TP
	yTrue := []int{0, 0, 0, 1, 1, 1}
	yPred := []int{0, 0, 1, 0, 1, 1}
	requireClose(t, 4.0/6, metrics.Accuracy(yTrue, yPred, nil))
	requireClose(t, 2.0/3, metrics.Precision(yTrue, yPred, nil, metrics.Binary)) // 2 TP / 3 predicted
	requireClose(t, 2.0/3, metrics.Recall(yTrue, yPred, nil, metrics.Binary))    // 2 TP / 3 positives
	requireClose(t, 2.0/3, metrics.Specificity(yTrue, yPred, nil))               // 2 TN / 3 negatives
	requireClose(t, 1.0/3, metrics.MCC(yTrue, yPred, nil))                       // (2·2 − 1·1) / sqrt(3·3·3·3)
	require.Equal(t, [][]float64{{2, 1}, {1, 2}}, metrics.ConfusionMatrix(2, yTrue, yPred, nil))
	// Weight 3 on the false negative: TP 2, FP 1, FN 3, TN 2.
	w := []float64{1, 1, 1, 3, 1, 1}
	requireClose(t, 2.0/5, metrics.Recall(yTrue, yPred, w, metrics.Binary))
	requireClose(t, 1*2+3*10, metrics.TotalCost(yTrue, yPred, w, metrics.Costs{FP: 2, FN: 10}))
	requireClose(t, 32.0/8, metrics.MeanCost(yTrue, yPred, w, metrics.Costs{FP: 2, FN: 10}))

	// No predicted positives: precision and F1 are 0 (zero_division=0).
	none := []int{0, 0, 0, 0, 0, 0}
	require.Zero(t, metrics.Precision(yTrue, none, nil, metrics.Binary))
	require.Zero(t, metrics.F1(yTrue, none, nil, metrics.Binary))
	// A single class in yTrue: recall of class 1 is 0, MCC 0, balanced
	// accuracy the recall of class 0 alone.
	zeros := []int{0, 0, 0, 0}
	requireClose(t, 0.75, metrics.BalancedAccuracy(zeros, []int{0, 1, 0, 0}, nil))
	require.Zero(t, metrics.Recall(zeros, []int{0, 1, 0, 0}, nil, metrics.Binary))
	require.Zero(t, metrics.MCC(zeros, []int{0, 1, 0, 0}, nil))

	// Multiclass: class 2 occurs only in yPred; class 3 nowhere.
	yt := []int{0, 0, 1, 1}
	yp := []int{0, 2, 1, 1}
	// Per class P: 1, 1, 0 (class 2 predicted once, wrongly); R: 1/2, 1, 0.
	// F1: 2/3, 1, 0. Macro over the three present classes.
	requireClose(t, 2.0/3, metrics.Precision(yt, yp, nil, metrics.Macro))
	requireClose(t, 0.5, metrics.Recall(yt, yp, nil, metrics.Macro))
	requireClose(t, (2.0/3+1)/3, metrics.F1(yt, yp, nil, metrics.Macro))
	// Weighted by support 2, 2, 0.
	requireClose(t, (2*2.0/3+2*1)/4, metrics.F1(yt, yp, nil, metrics.Weighted))
	requireClose(t, 0.75, metrics.F1(yt, yp, nil, metrics.Micro))
	// Balanced accuracy ignores class 2, which has no support: (1/2 + 1) / 2.
	requireClose(t, 0.75, metrics.BalancedAccuracy(yt, yp, nil))
	per := metrics.PerClass(4, yt, yp, nil)
	require.Len(t, per, 4)
	for _, c := range []struct {
		got, want metrics.ClassScore
	}{
		{per[0], metrics.ClassScore{Precision: 1, Recall: 0.5, F1: 2.0 / 3, Support: 2}},
		{per[2], metrics.ClassScore{Precision: 0, Recall: 0, F1: 0, Support: 0}},
		{per[3], metrics.ClassScore{}},
	} {
		requireClose(t, c.want.Precision, c.got.Precision)
		requireClose(t, c.want.Recall, c.got.Recall)
		requireClose(t, c.want.F1, c.got.F1)
		requireClose(t, c.want.Support, c.got.Support)
	}
}

func TestRankingByHand(t *testing.T) {
	t.Parallel()
	// The example of sklearn.metrics.roc_auc_score's documentation: of the 4
	// positive-negative pairs, 3 are ordered correctly.
	y := []int{0, 0, 1, 1}
	s := []float64{0.1, 0.4, 0.35, 0.8}
	requireClose(t, 0.75, metrics.ROCAUC(y, s, nil))
	// AP: thresholds 0.8 (P 1, R 1/2), 0.4 (P 2/3), 0.35 (P 2/3, R 1), 0.1.
	requireClose(t, 0.5*1+0.5*2.0/3, metrics.AveragePrecision(y, s, nil))
	// A tie between a positive and a negative counts one half.
	requireClose(t, 0.5, metrics.ROCAUC([]int{0, 1}, []float64{0.3, 0.3}, nil))
	requireClose(t, 0.75, metrics.ROCAUC([]int{0, 1, 1}, []float64{0.3, 0.3, 0.9}, nil))
	// Weights act as repeated rows: weight 2 on the misordered negative 0.4.
	requireClose(t, 4.0/6, metrics.ROCAUC(y, s, []float64{1, 2, 1, 1}))
	// Only the order matters: scores need not be probabilities.
	requireClose(t, 0.75, metrics.ROCAUC(y, []float64{-10, 4, 3.5, 80}, nil))
	// A single class or a NaN score: undefined.
	require.True(t, math.IsNaN(metrics.ROCAUC([]int{1, 1}, []float64{0.1, 0.2}, nil)))
	require.True(t, math.IsNaN(metrics.ROCAUC(y, []float64{0.1, math.NaN(), 0.3, 0.4}, nil)))
	require.True(t, math.IsNaN(metrics.ROCAUC(y, s, []float64{0, 0, 1, 1})))
	// No positives: AP is 0, as in scikit-learn.
	require.Zero(t, metrics.AveragePrecision([]int{0, 0}, []float64{0.1, 0.2}, nil))

	// Multiclass OvR, perfect ranking for every class.
	proba := []float64{
		0.8, 0.1, 0.1,
		0.1, 0.7, 0.2,
		0.2, 0.2, 0.6,
		0.6, 0.3, 0.1,
	}
	requireClose(t, 1, metrics.ROCAUCOvR([]int{0, 1, 2, 0}, proba, 3, nil, metrics.Macro))
	// Class 2 absent from yTrue: its AUC, hence the average, is undefined.
	require.True(t, math.IsNaN(metrics.ROCAUCOvR([]int{0, 1, 1, 0}, proba, 3, nil, metrics.Macro)))

	fpr, tpr, thr := metrics.ROCCurve(y, s, nil)
	require.InDeltaSlice(t, []float64{0, 0, 0.5, 0.5, 1}, fpr, 1e-15)
	require.InDeltaSlice(t, []float64{0, 0.5, 0.5, 1, 1}, tpr, 1e-15)
	require.InDeltaSlice(t, []float64{1.8, 0.8, 0.4, 0.35, 0.1}, thr, 1e-15)
	p, r, thr := metrics.PRCurve(y, s, nil)
	require.InDeltaSlice(t, []float64{0.5, 2.0 / 3, 0.5, 1, 1}, p, 1e-15)
	require.InDeltaSlice(t, []float64{1, 1, 0.5, 0.5, 0}, r, 1e-15)
	require.InDeltaSlice(t, []float64{0.1, 0.35, 0.4, 0.8}, thr, 1e-15)
}

func TestThresholdsByHand(t *testing.T) {
	t.Parallel()
	//              threshold: +Inf  0.9  0.8  0.7  0.6  0.5  0.4
	y := []int{1, 1, 0, 1, 0, 0}
	s := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4}
	// Precision >= 0.75: thresholds 0.9 (1/1), 0.8 (2/2), 0.6 (3/4);
	// 0.6 has the highest recall.
	op, ok := metrics.ThresholdForPrecision(y, s, nil, 0.75)
	require.True(t, ok)
	requireOperating(t, metrics.OperatingPoint{Threshold: 0.6, TP: 3, FP: 1, TN: 2, FN: 0, Precision: 0.75, Recall: 1}, op)
	// Recall >= 0.5: 0.8 (P 1) beats 0.7 (2/3), 0.6 (3/4) and lower.
	op, ok = metrics.ThresholdForRecall(y, s, nil, 0.5)
	require.True(t, ok)
	requireClose(t, 0.8, op.Threshold)
	requireClose(t, 1, op.Precision)
	// Precision 1.5 is impossible.
	_, ok = metrics.ThresholdForPrecision(y, s, nil, 1.5)
	require.False(t, ok)
	// Costs FP 1, FN 5: +Inf costs 15, 0.9 costs 10, 0.8 costs 5, 0.7 costs
	// 6, 0.6 costs 1, 0.5 costs 2, 0.4 costs 3.
	c := metrics.Costs{FP: 1, FN: 5}
	op, ok = metrics.ThresholdForCost(y, s, nil, c)
	require.True(t, ok)
	requireClose(t, 0.6, op.Threshold)
	requireClose(t, 1, op.Cost(c))
	requireClose(t, 1.0/6, op.MeanCost(c))
	// False positives so costly that predicting nothing wins: +Inf costs 1,
	// 0.9 costs 100 + 1, 0.1 costs 100.
	op, ok = metrics.ThresholdForCost([]int{0, 1}, []float64{0.9, 0.1}, nil, metrics.Costs{FP: 100, FN: 1})
	require.True(t, ok)
	requireOperating(t, metrics.OperatingPoint{Threshold: math.Inf(1), TN: 1, FN: 1}, op)
}

func TestProbabilityByHand(t *testing.T) {
	t.Parallel()
	// Log loss of the true class: −(ln 0.9 + ln 0.8) / 2.
	requireClose(t, -(math.Log(0.9)+math.Log(0.8))/2, metrics.LogLoss([]int{1, 0}, []float64{0.9, 0.2}, nil))
	// A confident wrong prediction is clipped at eps = 2⁻⁵²: −ln(2⁻⁵²).
	requireClose(t, 52*math.Ln2, metrics.LogLoss([]int{1}, []float64{0}, nil))
	requireClose(t, 52*math.Ln2, metrics.LogLossMulti([]int{2}, []float64{0.5, 0.5, 0}, 3, nil))
	// Rows are renormalised: (0.2, 0.2, 0.4) becomes (1/4, 1/4, 1/2).
	requireClose(t, math.Log(4), metrics.LogLossMulti([]int{0}, []float64{0.2, 0.2, 0.4}, 3, nil))
	// Clipping comes first: (1, 1, 2) becomes (1−eps, 1−eps, 1−eps), then 1/3 each.
	requireClose(t, math.Log(3), metrics.LogLossMulti([]int{0}, []float64{1, 1, 2}, 3, nil))

	requireClose(t, (0.01+0.04)/2, metrics.Brier([]int{1, 0}, []float64{0.9, 0.2}, nil))
	require.True(t, math.IsNaN(metrics.Brier([]int{1, 0}, []float64{1.2, 0.2}, nil)))

	// Bins of width 0.1: 0.15 (y 0) in bin 1, 0.85 twice (y 1) in bin 8,
	// 0.35 (y 0) in bin 3: ¼·0.15 + ½·0.15 + ¼·0.35.
	y := []int{0, 1, 1, 0}
	p := []float64{0.15, 0.85, 0.85, 0.35}
	requireClose(t, 0.2, metrics.ECE(y, p, nil, 10))
	// One bin: |mean(y) − mean(p)| = |0.5 − 0.55|.
	requireClose(t, 0.05, metrics.ECE(y, p, nil, 1))
	// Perfectly calibrated in every bin.
	require.Zero(t, metrics.ECE([]int{0, 1, 1, 0}, []float64{0.5, 0.5, 1, 0}, nil, 10))
	require.True(t, math.IsNaN(metrics.ECE(y, []float64{0.1, 0.2, -0.1, 0.3}, nil, 10)))

	frac, mean := metrics.CalibrationCurve(y, p, 2, metrics.Uniform)
	require.InDeltaSlice(t, []float64{0, 1}, frac, 1e-15)
	require.InDeltaSlice(t, []float64{0.25, 0.85}, mean, 1e-15)
	frac, mean = metrics.CalibrationCurve(y, []float64{0.1, math.NaN(), 0.2, 0.3}, 2, metrics.Uniform)
	require.Nil(t, frac)
	require.Nil(t, mean)
}

func TestRegressionByHand(t *testing.T) {
	t.Parallel()
	yTrue := []float64{3, -0.5, 2, 7}
	yPred := []float64{2.5, 0, 2, 8}
	// Examples of scikit-learn's documentation.
	requireClose(t, 0.5, metrics.MAE(yTrue, yPred, nil))
	requireClose(t, 0.375, metrics.MSE(yTrue, yPred, nil))
	requireClose(t, math.Sqrt(0.375), metrics.RMSE(yTrue, yPred, nil))
	requireClose(t, 0.9486081370449679, metrics.R2(yTrue, yPred, nil))
	requireClose(t, 0.9571734475374732, metrics.ExplainedVariance(yTrue, yPred, nil))
	requireClose(t, 0.5, metrics.MedianAE(yTrue, yPred, nil))
	requireClose(t, 1, metrics.MaxError(yTrue, yPred))
	// (0.5/3 + 0.5/0.5 + 0 + 1/7) / 4.
	requireClose(t, (0.5/3+1+1.0/7)/4, metrics.MAPE(yTrue, yPred, nil))
	// A zero in yTrue divides by eps = 2⁻⁵² instead.
	requireClose(t, 0x1p52, metrics.MAPE([]float64{0}, []float64{1}, nil))

	// Constant yTrue: R² is 1 for a perfect prediction, else 0, even when
	// numpy's mean of the constant is inexact (scikit-learn then returns
	// about −1.7e31 for the imperfect case).
	c := []float64{0.1, 0.1, 0.1}
	requireClose(t, 1, metrics.R2(c, c, nil))
	requireClose(t, 0, metrics.R2(c, []float64{0.2, 0.1, 0.1}, nil))
	requireClose(t, 0, metrics.ExplainedVariance(c, []float64{0.2, 0.1, 0.1}, nil))
	// R² needs two rows; explained variance does not.
	require.True(t, math.IsNaN(metrics.R2([]float64{1}, []float64{2}, nil)))
	requireClose(t, 1, metrics.ExplainedVariance([]float64{1}, []float64{2}, nil))
	// Weights summing to zero.
	require.True(t, math.IsNaN(metrics.MAE(yTrue, yPred, []float64{0, 0, 0, 0})))
	// NaN propagates.
	require.True(t, math.IsNaN(metrics.MaxError([]float64{1, math.NaN()}, []float64{1, 2})))
	require.True(t, math.IsNaN(metrics.MedianAE([]float64{1, math.NaN()}, []float64{1, 2}, nil)))
	// Weighted median is scikit-learn's lower weighted percentile.
	requireClose(t, 2, metrics.MedianAE([]float64{1, 2, 3, 4}, []float64{0, 0, 0, 0}, []float64{1, 1, 1, 1}))
	requireClose(t, 2.5, metrics.MedianAE([]float64{1, 2, 3, 4}, []float64{0, 0, 0, 0}, nil))
}

// TestInputsUnchanged runs every function on one data set and checks that no
// input slice was modified.
func TestInputsUnchanged(t *testing.T) {
	t.Parallel()
	y := []int{1, 0, 1, 1, 0, 0, 1, 0}
	yp := []int{1, 0, 0, 1, 1, 0, 1, 0}
	s := []float64{0.9, 0.1, 0.4, 0.8, 0.6, 0.3, 0.7, 0.3}
	w := []float64{1, 2, 1, 0.5, 1, 0, 1, 3}
	ym := []int{2, 0, 1, 1, 0, 2, 1, 0}
	proba := make([]float64, 3*len(ym))
	for i := range ym {
		proba[3*i+ym[i]] = 0.5
		proba[3*i+(ym[i]+1)%3] = 0.3
		proba[3*i+(ym[i]+2)%3] = 0.2
	}
	yt := []float64{3, 1, 4, 1, 5, 9, 2, 6}
	ypr := []float64{2, 7, 1, 8, 2, 8, 1, 8}
	inputs := [][]float64{s, w, proba, yt, ypr}
	labels := [][]int{y, yp, ym}
	saved := make([][]float64, len(inputs))
	for i, x := range inputs {
		saved[i] = slices.Clone(x)
	}
	savedLabels := make([][]int, len(labels))
	for i, x := range labels {
		savedLabels[i] = slices.Clone(x)
	}

	for _, avg := range []metrics.Average{metrics.Binary, metrics.Micro, metrics.Macro, metrics.Weighted} {
		metrics.F1(y, yp, w, avg)
	}
	metrics.BalancedAccuracy(ym, yp, w)
	metrics.MCC(ym, yp, w)
	metrics.PerClass(3, ym, yp, w)
	metrics.ROCAUC(y, s, w)
	metrics.ROCAUCOvR(ym, proba, 3, w, metrics.Weighted)
	metrics.ROCCurve(y, s, w)
	metrics.PRCurve(y, s, w)
	metrics.AveragePrecision(y, s, w)
	metrics.ThresholdForCost(y, s, w, metrics.Costs{FP: 1, FN: 2})
	metrics.LogLoss(y, s, w)
	metrics.LogLossMulti(ym, proba, 3, w)
	metrics.ECE(y, s, w, 4)
	metrics.CalibrationCurve(y, s, 3, metrics.Quantile)
	metrics.MedianAE(yt, ypr, nil)
	metrics.MedianAE(yt, ypr, w)
	metrics.R2(yt, ypr, w)
	metrics.ExplainedVariance(yt, ypr, w)

	for i, x := range inputs {
		require.Equal(t, saved[i], x, "float input %d modified", i)
	}
	for i, x := range labels {
		require.Equal(t, savedLabels[i], x, "label input %d modified", i)
	}
}
