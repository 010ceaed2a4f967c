package metrics

import (
	"math"
	"slices"
	"strings"
)

// Task is the kind of problem a metric scores. Its values are the task
// names of mlw.yaml.
type Task string

// Tasks.
const (
	Classification Task = "classification"
	Regression     Task = "regression"
)

// Need lists the fields of Input that a metric reads, besides Weights.
type Need int

// Needs; a classification metric reads YTrue and one of these.
const (
	// NeedLabels: YTrue and YPred (class labels).
	NeedLabels Need = iota + 1
	// NeedScores: YTrue and either Score (binary) or Proba with K columns.
	NeedScores
	// NeedValues: Target and Predicted (regression).
	NeedValues
)

// Input is what a registered metric is computed from. A metric reads only
// the fields its Info.Needs names, plus Weights.
type Input struct {
	// YTrue and YPred are class labels 0..K-1 (classification).
	YTrue, YPred []int
	// Score is, for a binary problem, the probability (or any score) of
	// class 1 for each row.
	Score []float64
	// Proba holds class probabilities, row-major with K columns:
	// Proba[i*K+j] is the probability that row i is class j.
	Proba []float64
	// K is the number of columns of Proba.
	K int
	// Target and Predicted are the true and predicted values (regression).
	Target, Predicted []float64
	// Weights are optional sample weights; nil means uniform.
	Weights []float64
}

// binaryScore returns the score of class 1: Score, or column 1 of a
// two-column Proba. It panics when neither is present.
func (in Input) binaryScore(name string) []float64 {
	if in.Score != nil {
		return in.Score
	}
	if in.Proba != nil && in.K == 2 {
		if len(in.Proba) != 2*len(in.YTrue) {
			panic("metrics: len(proba) != len(yTrue)*k")
		}
		s := make([]float64, len(in.YTrue))
		for i := range s {
			s[i] = in.Proba[2*i+1]
		}
		return s
	}
	panic("metrics: " + name + " needs Input.Score or a two-column Input.Proba")
}

// Info describes a metric that mlw.yaml may name.
type Info struct {
	Name string // as written in mlw.yaml, e.g. "f1_macro"
	Task Task
	// HigherIsBetter tells which direction is an improvement.
	HigherIsBetter bool
	// Min and Max bound the metric's values (inclusive; ±Inf when
	// unbounded). A target outside [Min, Max] can never be met.
	Min, Max float64
	// Needs names the Input fields Compute reads.
	Needs Need
	// BinaryOnly marks metrics defined for binary classification only:
	// Compute panics on a label other than 0 or 1.
	BinaryOnly bool
	// Doc is a one-line description.
	Doc string
	// Compute computes the metric. It panics, like the functions it calls,
	// on a shape mismatch or when the Input lacks a field Needs names, and
	// returns NaN where the metric is undefined (see the package doc).
	Compute func(in Input) float64
}

// InRange reports whether v is a possible value of the metric: Min <= v <=
// Max. NaN is never in range.
func (i Info) InRange(v float64) bool {
	return v >= i.Min && v <= i.Max
}

// registry lists the metrics in alphabetical order of name. It is never
// modified.
var registry = [...]Info{
	{Name: "accuracy", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedLabels,
		Doc: "fraction of rows predicted correctly",
		Compute: func(in Input) float64 {
			return Accuracy(in.YTrue, in.YPred, in.Weights)
		}},
	{Name: "average_precision", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedScores, BinaryOnly: true,
		Doc: "step-wise area under the precision-recall curve",
		Compute: func(in Input) float64 {
			return AveragePrecision(in.YTrue, in.binaryScore("average_precision"), in.Weights)
		}},
	{Name: "balanced_accuracy", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedLabels,
		Doc: "mean recall over classes",
		Compute: func(in Input) float64 {
			return BalancedAccuracy(in.YTrue, in.YPred, in.Weights)
		}},
	{Name: "brier", Task: Classification, HigherIsBetter: false, Min: 0, Max: 1, Needs: NeedScores, BinaryOnly: true,
		Doc: "mean squared error of the probability of class 1",
		Compute: func(in Input) float64 {
			return Brier(in.YTrue, in.binaryScore("brier"), in.Weights)
		}},
	{Name: "ece", Task: Classification, HigherIsBetter: false, Min: 0, Max: 1, Needs: NeedScores, BinaryOnly: true,
		Doc: "expected calibration error over 10 equal-width bins",
		Compute: func(in Input) float64 {
			return ECE(in.YTrue, in.binaryScore("ece"), in.Weights, DefaultBins)
		}},
	{Name: "explained_variance", Task: Regression, HigherIsBetter: true, Min: math.Inf(-1), Max: 1, Needs: NeedValues,
		Doc: "1 - Var(residual) / Var(target)",
		Compute: func(in Input) float64 {
			return ExplainedVariance(in.Target, in.Predicted, in.Weights)
		}},
	{Name: "f1", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedLabels, BinaryOnly: true,
		Doc: "F1 of class 1",
		Compute: func(in Input) float64 {
			return F1(in.YTrue, in.YPred, in.Weights, Binary)
		}},
	{Name: "f1_macro", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedLabels,
		Doc: "unweighted mean of the per-class F1",
		Compute: func(in Input) float64 {
			return F1(in.YTrue, in.YPred, in.Weights, Macro)
		}},
	{Name: "f1_weighted", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedLabels,
		Doc: "support-weighted mean of the per-class F1",
		Compute: func(in Input) float64 {
			return F1(in.YTrue, in.YPred, in.Weights, Weighted)
		}},
	{Name: "log_loss", Task: Classification, HigherIsBetter: false, Min: 0, Max: math.Inf(1), Needs: NeedScores,
		Doc: "mean negative log-likelihood of the true class",
		Compute: func(in Input) float64 {
			if in.Score == nil && in.Proba != nil {
				return LogLossMulti(in.YTrue, in.Proba, in.K, in.Weights)
			}
			return LogLoss(in.YTrue, in.binaryScore("log_loss"), in.Weights)
		}},
	{Name: "mae", Task: Regression, HigherIsBetter: false, Min: 0, Max: math.Inf(1), Needs: NeedValues,
		Doc: "mean absolute error",
		Compute: func(in Input) float64 {
			return MAE(in.Target, in.Predicted, in.Weights)
		}},
	{Name: "mape", Task: Regression, HigherIsBetter: false, Min: 0, Max: math.Inf(1), Needs: NeedValues,
		Doc: "mean absolute percentage error, as a fraction",
		Compute: func(in Input) float64 {
			return MAPE(in.Target, in.Predicted, in.Weights)
		}},
	{Name: "max_error", Task: Regression, HigherIsBetter: false, Min: 0, Max: math.Inf(1), Needs: NeedValues,
		Doc: "largest absolute error (ignores weights)",
		Compute: func(in Input) float64 {
			return MaxError(in.Target, in.Predicted)
		}},
	{Name: "mcc", Task: Classification, HigherIsBetter: true, Min: -1, Max: 1, Needs: NeedLabels,
		Doc: "Matthews correlation coefficient",
		Compute: func(in Input) float64 {
			return MCC(in.YTrue, in.YPred, in.Weights)
		}},
	{Name: "median_ae", Task: Regression, HigherIsBetter: false, Min: 0, Max: math.Inf(1), Needs: NeedValues,
		Doc: "median absolute error",
		Compute: func(in Input) float64 {
			return MedianAE(in.Target, in.Predicted, in.Weights)
		}},
	{Name: "mse", Task: Regression, HigherIsBetter: false, Min: 0, Max: math.Inf(1), Needs: NeedValues,
		Doc: "mean squared error",
		Compute: func(in Input) float64 {
			return MSE(in.Target, in.Predicted, in.Weights)
		}},
	{Name: "precision", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedLabels, BinaryOnly: true,
		Doc: "precision of class 1",
		Compute: func(in Input) float64 {
			return Precision(in.YTrue, in.YPred, in.Weights, Binary)
		}},
	{Name: "r2", Task: Regression, HigherIsBetter: true, Min: math.Inf(-1), Max: 1, Needs: NeedValues,
		Doc: "coefficient of determination",
		Compute: func(in Input) float64 {
			return R2(in.Target, in.Predicted, in.Weights)
		}},
	{Name: "recall", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedLabels, BinaryOnly: true,
		Doc: "recall of class 1",
		Compute: func(in Input) float64 {
			return Recall(in.YTrue, in.YPred, in.Weights, Binary)
		}},
	{Name: "rmse", Task: Regression, HigherIsBetter: false, Min: 0, Max: math.Inf(1), Needs: NeedValues,
		Doc: "root mean squared error",
		Compute: func(in Input) float64 {
			return RMSE(in.Target, in.Predicted, in.Weights)
		}},
	{Name: "roc_auc", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedScores,
		Doc: "area under the ROC curve; one-vs-rest macro average for more than two classes",
		Compute: func(in Input) float64 {
			if in.Score == nil && in.Proba != nil && in.K != 2 {
				return ROCAUCOvR(in.YTrue, in.Proba, in.K, in.Weights, Macro)
			}
			return ROCAUC(in.YTrue, in.binaryScore("roc_auc"), in.Weights)
		}},
	{Name: "specificity", Task: Classification, HigherIsBetter: true, Min: 0, Max: 1, Needs: NeedLabels, BinaryOnly: true,
		Doc: "recall of class 0 (true negative rate)",
		Compute: func(in Input) float64 {
			return Specificity(in.YTrue, in.YPred, in.Weights)
		}},
}

// Lookup returns the description of the metric called name in mlw.yaml.
func Lookup(name string) (Info, bool) {
	i, ok := slices.BinarySearchFunc(registry[:], name, func(m Info, name string) int {
		return strings.Compare(m.Name, name)
	})
	if !ok {
		return Info{}, false
	}
	return registry[i], true
}

// Names returns the names of all registered metrics in alphabetical order.
// The caller owns the slice.
func Names() []string {
	names := make([]string, len(registry))
	for i, m := range registry {
		names[i] = m.Name
	}
	return names
}
