package metrics_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"

	"mlw.dev/metrics"
)

// The reference values in testdata/reference.json were computed by
// scikit-learn 1.2.1 (numpy 1.24.2, scipy 1.10.1) with
// testdata/gen_reference.py; the file records the versions it was built with.
// Metrics scikit-learn lacks (ece, specificity, the threshold searches) are
// defined in numpy in that script.

// tol is the absolute and relative tolerance of comparisons with scikit-learn.
const tol = 1e-9

// num is a float64 decoded from reference.json, where null stands for NaN
// (scikit-learn raised or returned NaN) and "inf"/"-inf" for infinities.
type num float64

func (x *num) UnmarshalJSON(b []byte) error {
	switch s := string(b); s {
	case "null":
		*x = num(math.NaN())
	case `"inf"`:
		*x = num(math.Inf(1))
	case `"-inf"`:
		*x = num(math.Inf(-1))
	default:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("decode number %s: %w", s, err)
		}
		*x = num(v)
	}
	return nil
}

type reference struct {
	SklearnVersion  string                   `json:"sklearn_version"`
	Costs           struct{ FP, FN float64 } `json:"costs"`
	PrecisionTarget float64                  `json:"precision_target"`
	RecallTarget    float64                  `json:"recall_target"`
	Binary          []binaryRef              `json:"binary"`
	Multiclass      []multiclassRef          `json:"multiclass"`
	Regression      []regressionRef          `json:"regression"`
}

type binaryRef struct {
	Name        string             `json:"name"`
	YTrue       []int              `json:"y_true"`
	YPred       []int              `json:"y_pred"`
	Score       []float64          `json:"score"`
	Weights     []float64          `json:"weights"`
	Expect      map[string]num     `json:"expect"`
	Confusion   []num              `json:"confusion"`
	Thresholds  *thresholdsRef     `json:"thresholds"`
	ROCCurve    [][]num            `json:"roc_curve"`
	PRCurve     [][]num            `json:"pr_curve"`
	Calibration map[string][][]num `json:"calibration"`
}

type thresholdsRef struct {
	Precision *operatingRef `json:"precision"`
	Recall    *operatingRef `json:"recall"`
	Cost      *operatingRef `json:"cost"`
}

type operatingRef struct {
	Threshold num `json:"threshold"`
	TP        num `json:"tp"`
	FP        num `json:"fp"`
	TN        num `json:"tn"`
	FN        num `json:"fn"`
	Precision num `json:"precision"`
	Recall    num `json:"recall"`
}

type multiclassRef struct {
	Name      string           `json:"name"`
	K         int              `json:"k"`
	YTrue     []int            `json:"y_true"`
	YPred     []int            `json:"y_pred"`
	Proba     []float64        `json:"proba"`
	Weights   []float64        `json:"weights"`
	Expect    map[string]num   `json:"expect"`
	Confusion []num            `json:"confusion"`
	PerClass  map[string][]num `json:"per_class"`
}

type regressionRef struct {
	Name    string         `json:"name"`
	YTrue   []float64      `json:"y_true"`
	YPred   []float64      `json:"y_pred"`
	Weights []float64      `json:"weights"`
	Expect  map[string]num `json:"expect"`
}

// loadReference decodes testdata/reference.json once for all tests.
var loadReference = sync.OnceValues(func() (*reference, error) {
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		return nil, err
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		return nil, fmt.Errorf("decode testdata/reference.json: %w", err)
	}
	return &ref, nil
})

// diffStats records how many values were compared and the largest
// differences seen: absolute for values of magnitude up to 1, relative for
// larger ones (such as MAPE with a zero in yTrue, about 1e15).
type diffStats struct {
	mu       sync.Mutex
	n        int
	maxAbs   float64
	maxRel   float64
	whereAbs string
	whereRel string
}

func (s *diffStats) record(where string, got, want float64) {
	d := math.Abs(got - want)
	if math.IsNaN(d) || math.IsInf(want, 0) {
		d = 0 // NaN == NaN and ±Inf == ±Inf compare exactly
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if math.Abs(want) > 1 {
		if r := d / math.Abs(want); r > s.maxRel {
			s.maxRel, s.whereRel = r, where
		}
	} else if d > s.maxAbs {
		s.maxAbs, s.whereAbs = d, where
	}
}

type testBundle struct {
	ref   *reference
	stats *diffStats
}

// setup loads the reference data and, at the end of the test (after its
// parallel subtests), logs how many values matched and the largest
// difference.
func setup(t testing.TB) *testBundle {
	t.Helper()
	ref, err := loadReference()
	require.NoError(t, err)
	tb := &testBundle{ref: ref, stats: &diffStats{}}
	t.Cleanup(func() {
		if tb.stats.n > 0 {
			t.Logf("scikit-learn %s: %d values match; max abs diff %.3g (%s); max rel diff %.3g (%s)",
				ref.SklearnVersion, tb.stats.n, tb.stats.maxAbs, tb.stats.whereAbs, tb.stats.maxRel, tb.stats.whereRel)
		}
	})
	return tb
}

// equal compares got with a reference value within tol; NaN equals NaN.
func (tb *testBundle) equal(t testing.TB, where string, got, want float64) {
	t.Helper()
	if math.IsNaN(want) || math.IsInf(want, 0) {
		require.Equal(t, fmt.Sprint(want), fmt.Sprint(got), where)
	} else {
		require.Truef(t, scalar.EqualWithinAbsOrRel(got, want, tol, tol),
			"%s: got %.17g, want %.17g (diff %.3g)", where, got, want, got-want)
	}
	tb.stats.record(where, got, want)
}

func (tb *testBundle) equalSlice(t testing.TB, where string, got []float64, want []num) {
	t.Helper()
	require.Len(t, got, len(want), where)
	for i := range want {
		tb.equal(t, fmt.Sprintf("%s[%d]", where, i), got[i], float64(want[i]))
	}
}

// binaryScalars returns, for each key of a binary case's expect map, the Go
// computation of that metric.
func binaryScalars() map[string]func(c *binaryRef) float64 {
	table := map[string]func(c *binaryRef) float64{
		"accuracy":          func(c *binaryRef) float64 { return metrics.Accuracy(c.YTrue, c.YPred, c.Weights) },
		"balanced_accuracy": func(c *binaryRef) float64 { return metrics.BalancedAccuracy(c.YTrue, c.YPred, c.Weights) },
		"precision": func(c *binaryRef) float64 {
			return metrics.Precision(c.YTrue, c.YPred, c.Weights, metrics.Binary)
		},
		"recall":            func(c *binaryRef) float64 { return metrics.Recall(c.YTrue, c.YPred, c.Weights, metrics.Binary) },
		"f1":                func(c *binaryRef) float64 { return metrics.F1(c.YTrue, c.YPred, c.Weights, metrics.Binary) },
		"specificity":       func(c *binaryRef) float64 { return metrics.Specificity(c.YTrue, c.YPred, c.Weights) },
		"mcc":               func(c *binaryRef) float64 { return metrics.MCC(c.YTrue, c.YPred, c.Weights) },
		"roc_auc":           func(c *binaryRef) float64 { return metrics.ROCAUC(c.YTrue, c.Score, c.Weights) },
		"average_precision": func(c *binaryRef) float64 { return metrics.AveragePrecision(c.YTrue, c.Score, c.Weights) },
		"log_loss":          func(c *binaryRef) float64 { return metrics.LogLoss(c.YTrue, c.Score, c.Weights) },
		"brier":             func(c *binaryRef) float64 { return metrics.Brier(c.YTrue, c.Score, c.Weights) },
		"ece":               func(c *binaryRef) float64 { return metrics.ECE(c.YTrue, c.Score, c.Weights, metrics.DefaultBins) },
		"ece_5":             func(c *binaryRef) float64 { return metrics.ECE(c.YTrue, c.Score, c.Weights, 5) },
		"total_cost": func(c *binaryRef) float64 {
			return metrics.TotalCost(c.YTrue, c.YPred, c.Weights, testCosts)
		},
		"mean_cost": func(c *binaryRef) float64 {
			return metrics.MeanCost(c.YTrue, c.YPred, c.Weights, testCosts)
		},
	}
	averaged(table, func(c *binaryRef) ([]int, []int, []float64) { return c.YTrue, c.YPred, c.Weights })
	return table
}

// testCosts are the costs gen_reference.py uses (COSTS).
var testCosts = metrics.Costs{FP: 1, FN: 5}

// averaged adds the precision_/recall_/f1_ micro, macro and weighted keys to
// a table, given how to read labels and weights from a case.
func averaged[C any](table map[string]func(C) float64, args func(C) ([]int, []int, []float64)) {
	avgs := map[string]metrics.Average{"micro": metrics.Micro, "macro": metrics.Macro, "weighted": metrics.Weighted}
	for name, avg := range avgs {
		table["precision_"+name] = func(c C) float64 { yt, yp, w := args(c); return metrics.Precision(yt, yp, w, avg) }
		table["recall_"+name] = func(c C) float64 { yt, yp, w := args(c); return metrics.Recall(yt, yp, w, avg) }
		table["f1_"+name] = func(c C) float64 { yt, yp, w := args(c); return metrics.F1(yt, yp, w, avg) }
	}
}

// multiclassScalars is binaryScalars for multiclass cases.
func multiclassScalars() map[string]func(c *multiclassRef) float64 {
	table := map[string]func(c *multiclassRef) float64{
		"accuracy":          func(c *multiclassRef) float64 { return metrics.Accuracy(c.YTrue, c.YPred, c.Weights) },
		"balanced_accuracy": func(c *multiclassRef) float64 { return metrics.BalancedAccuracy(c.YTrue, c.YPred, c.Weights) },
		"mcc":               func(c *multiclassRef) float64 { return metrics.MCC(c.YTrue, c.YPred, c.Weights) },
		"roc_auc": func(c *multiclassRef) float64 {
			return metrics.ROCAUCOvR(c.YTrue, c.Proba, c.K, c.Weights, metrics.Macro)
		},
		"roc_auc_weighted": func(c *multiclassRef) float64 {
			return metrics.ROCAUCOvR(c.YTrue, c.Proba, c.K, c.Weights, metrics.Weighted)
		},
		"log_loss": func(c *multiclassRef) float64 { return metrics.LogLossMulti(c.YTrue, c.Proba, c.K, c.Weights) },
	}
	averaged(table, func(c *multiclassRef) ([]int, []int, []float64) { return c.YTrue, c.YPred, c.Weights })
	return table
}

// regressionScalars is binaryScalars for regression cases.
func regressionScalars() map[string]func(c *regressionRef) float64 {
	return map[string]func(c *regressionRef) float64{
		"mae":                func(c *regressionRef) float64 { return metrics.MAE(c.YTrue, c.YPred, c.Weights) },
		"mse":                func(c *regressionRef) float64 { return metrics.MSE(c.YTrue, c.YPred, c.Weights) },
		"rmse":               func(c *regressionRef) float64 { return metrics.RMSE(c.YTrue, c.YPred, c.Weights) },
		"r2":                 func(c *regressionRef) float64 { return metrics.R2(c.YTrue, c.YPred, c.Weights) },
		"mape":               func(c *regressionRef) float64 { return metrics.MAPE(c.YTrue, c.YPred, c.Weights) },
		"median_ae":          func(c *regressionRef) float64 { return metrics.MedianAE(c.YTrue, c.YPred, c.Weights) },
		"explained_variance": func(c *regressionRef) float64 { return metrics.ExplainedVariance(c.YTrue, c.YPred, c.Weights) },
		"max_error":          func(c *regressionRef) float64 { return metrics.MaxError(c.YTrue, c.YPred) },
	}
}

func TestReferenceBinary(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	require.Equal(t, testCosts, metrics.Costs{FP: tb.ref.Costs.FP, FN: tb.ref.Costs.FN})
	require.NotEmpty(t, tb.ref.Binary)
	binaryScalar := binaryScalars()
	for i := range tb.ref.Binary {
		c := &tb.ref.Binary[i]
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			for key, want := range c.Expect {
				f, ok := binaryScalar[key]
				require.Truef(t, ok, "no Go function for reference key %q", key)
				tb.equal(t, c.Name+"/"+key, f(c), float64(want))
			}
			cm := metrics.ConfusionMatrix(2, c.YTrue, c.YPred, c.Weights)
			tb.equalSlice(t, c.Name+"/confusion", append(cm[0], cm[1]...), c.Confusion)
			if c.ROCCurve != nil {
				fpr, tpr, thr := metrics.ROCCurve(c.YTrue, c.Score, c.Weights)
				tb.equalSlice(t, c.Name+"/roc_curve/fpr", fpr, c.ROCCurve[0])
				tb.equalSlice(t, c.Name+"/roc_curve/tpr", tpr, c.ROCCurve[1])
				tb.equalSlice(t, c.Name+"/roc_curve/thresholds", thr, c.ROCCurve[2])
			}
			if c.PRCurve != nil {
				p, r, thr := metrics.PRCurve(c.YTrue, c.Score, c.Weights)
				tb.equalSlice(t, c.Name+"/pr_curve/precision", p, c.PRCurve[0])
				tb.equalSlice(t, c.Name+"/pr_curve/recall", r, c.PRCurve[1])
				tb.equalSlice(t, c.Name+"/pr_curve/thresholds", thr, c.PRCurve[2])
			}
			for key, want := range c.Calibration {
				var binning metrics.Binning
				var nBins int
				_, err := fmt.Sscanf(key, "uniform_%d", &nBins)
				if err != nil {
					binning = metrics.Quantile
					_, err = fmt.Sscanf(key, "quantile_%d", &nBins)
				}
				require.NoError(t, err, key)
				frac, mean := metrics.CalibrationCurve(c.YTrue, c.Score, nBins, binning)
				tb.equalSlice(t, c.Name+"/calibration/"+key+"/frac", frac, want[0])
				tb.equalSlice(t, c.Name+"/calibration/"+key+"/mean", mean, want[1])
			}
			if c.Thresholds != nil {
				op, ok := metrics.ThresholdForPrecision(c.YTrue, c.Score, c.Weights, tb.ref.PrecisionTarget)
				tb.equalOperating(t, c.Name+"/threshold_precision", op, ok, c.Thresholds.Precision)
				op, ok = metrics.ThresholdForRecall(c.YTrue, c.Score, c.Weights, tb.ref.RecallTarget)
				tb.equalOperating(t, c.Name+"/threshold_recall", op, ok, c.Thresholds.Recall)
				op, ok = metrics.ThresholdForCost(c.YTrue, c.Score, c.Weights, testCosts)
				tb.equalOperating(t, c.Name+"/threshold_cost", op, ok, c.Thresholds.Cost)
			}
		})
	}
}

func (tb *testBundle) equalOperating(t testing.TB, where string, got metrics.OperatingPoint, ok bool, want *operatingRef) {
	t.Helper()
	require.Equal(t, want != nil, ok, where+": ok")
	if want == nil {
		return
	}
	tb.equal(t, where+"/threshold", got.Threshold, float64(want.Threshold))
	tb.equal(t, where+"/tp", got.TP, float64(want.TP))
	tb.equal(t, where+"/fp", got.FP, float64(want.FP))
	tb.equal(t, where+"/tn", got.TN, float64(want.TN))
	tb.equal(t, where+"/fn", got.FN, float64(want.FN))
	tb.equal(t, where+"/precision", got.Precision, float64(want.Precision))
	tb.equal(t, where+"/recall", got.Recall, float64(want.Recall))
}

func TestReferenceMulticlass(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	require.NotEmpty(t, tb.ref.Multiclass)
	multiclassScalar := multiclassScalars()
	for i := range tb.ref.Multiclass {
		c := &tb.ref.Multiclass[i]
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			for key, want := range c.Expect {
				f, ok := multiclassScalar[key]
				require.Truef(t, ok, "no Go function for reference key %q", key)
				tb.equal(t, c.Name+"/"+key, f(c), float64(want))
			}
			var flat []float64
			for _, row := range metrics.ConfusionMatrix(c.K, c.YTrue, c.YPred, c.Weights) {
				flat = append(flat, row...)
			}
			tb.equalSlice(t, c.Name+"/confusion", flat, c.Confusion)
			per := metrics.PerClass(c.K, c.YTrue, c.YPred, c.Weights)
			fields := map[string]func(metrics.ClassScore) float64{
				"precision": func(s metrics.ClassScore) float64 { return s.Precision },
				"recall":    func(s metrics.ClassScore) float64 { return s.Recall },
				"f1":        func(s metrics.ClassScore) float64 { return s.F1 },
				"support":   func(s metrics.ClassScore) float64 { return s.Support },
			}
			require.Len(t, c.PerClass, len(fields))
			for name, want := range c.PerClass {
				got := make([]float64, len(per))
				for j, s := range per {
					got[j] = fields[name](s)
				}
				tb.equalSlice(t, c.Name+"/per_class/"+name, got, want)
			}
		})
	}
}

func TestReferenceRegression(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	require.NotEmpty(t, tb.ref.Regression)
	regressionScalar := regressionScalars()
	for i := range tb.ref.Regression {
		c := &tb.ref.Regression[i]
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			for key, want := range c.Expect {
				f, ok := regressionScalar[key]
				require.Truef(t, ok, "no Go function for reference key %q", key)
				tb.equal(t, c.Name+"/"+key, f(c), float64(want))
			}
		})
	}
}
