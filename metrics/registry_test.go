package metrics_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/metrics"
)

func TestNamesAndLookup(t *testing.T) {
	t.Parallel()
	want := []string{
		"accuracy", "average_precision", "balanced_accuracy", "brier", "ece",
		"explained_variance", "f1", "f1_macro", "f1_weighted", "log_loss", "mae",
		"mape", "max_error", "mcc", "median_ae", "mse", "precision", "r2",
		"recall", "rmse", "roc_auc", "specificity",
	}
	names := metrics.Names()
	require.Equal(t, want, names)
	names[0] = "changed" // the caller owns the slice
	require.Equal(t, "accuracy", metrics.Names()[0])
	for _, name := range want {
		info, ok := metrics.Lookup(name)
		require.True(t, ok, name)
		require.Equal(t, name, info.Name)
		require.Contains(t, []metrics.Task{metrics.Classification, metrics.Regression}, info.Task, name)
		require.NotNil(t, info.Compute, name)
		require.NotEmpty(t, info.Doc, name)
		require.Less(t, info.Min, info.Max, name)
		if info.Task == metrics.Regression {
			require.Equal(t, metrics.NeedValues, info.Needs, name)
		} else {
			require.Contains(t, []metrics.Need{metrics.NeedLabels, metrics.NeedScores}, info.Needs, name)
		}
	}
	for _, name := range []string{"", "AUC", "f2", "accuracy "} {
		_, ok := metrics.Lookup(name)
		require.False(t, ok, name)
	}
}

func TestInfoRanges(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	tests := []struct {
		name           string
		task           metrics.Task
		higherIsBetter bool
		min, max       float64
	}{
		{"accuracy", metrics.Classification, true, 0, 1},
		{"precision", metrics.Classification, true, 0, 1},
		{"roc_auc", metrics.Classification, true, 0, 1},
		{"mcc", metrics.Classification, true, -1, 1},
		{"log_loss", metrics.Classification, false, 0, inf},
		{"brier", metrics.Classification, false, 0, 1},
		{"ece", metrics.Classification, false, 0, 1},
		{"r2", metrics.Regression, true, -inf, 1},
		{"explained_variance", metrics.Regression, true, -inf, 1},
		{"mae", metrics.Regression, false, 0, inf},
		{"mape", metrics.Regression, false, 0, inf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			info, ok := metrics.Lookup(tt.name)
			require.True(t, ok)
			require.Equal(t, tt.task, info.Task)
			require.Equal(t, tt.higherIsBetter, info.HigherIsBetter)
			requireClose(t, tt.min, info.Min, "min")
			requireClose(t, tt.max, info.Max, "max")
		})
	}
	precision, _ := metrics.Lookup("precision")
	require.False(t, precision.InRange(1.5), "precision min 1.5 is impossible")
	require.False(t, precision.InRange(-0.1))
	require.False(t, precision.InRange(math.NaN()))
	require.True(t, precision.InRange(1))
	r2, _ := metrics.Lookup("r2")
	require.True(t, r2.InRange(-1e6))
	require.False(t, r2.InRange(1.01))
	require.Equal(t, "classification", string(metrics.Classification))
	require.Equal(t, "regression", string(metrics.Regression))
}

// TestRegistryReference computes every registered metric through
// Info.Compute on the reference cases (scikit-learn 1.2.1, see
// reference_test.go) and checks that each metric is covered.
func TestRegistryReference(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	covered := map[string]bool{}
	check := func(t *testing.T, where string, expect map[string]num, in metrics.Input, multiclass bool) {
		t.Helper()
		for _, name := range metrics.Names() {
			info, _ := metrics.Lookup(name)
			want, ok := expect[name]
			if !ok || (multiclass && info.BinaryOnly) {
				continue
			}
			covered[name] = true
			tb.equal(t, where+"/"+name, info.Compute(in), float64(want))
		}
	}
	// Subtests run sequentially: covered is shared.
	for _, c := range tb.ref.Binary {
		in := metrics.Input{YTrue: c.YTrue, YPred: c.YPred, Score: c.Score, Weights: c.Weights}
		check(t, "binary/"+c.Name, c.Expect, in, false)
		// The same through a two-column Proba.
		in.Proba = make([]float64, 0, 2*len(c.Score))
		for _, s := range c.Score {
			in.Proba = append(in.Proba, 1-s, s)
		}
		in.Score, in.K = nil, 2
		for _, name := range []string{"roc_auc", "average_precision", "brier", "ece", "log_loss"} {
			info, _ := metrics.Lookup(name)
			tb.equal(t, "binary/"+c.Name+"/proba/"+name, info.Compute(in), float64(c.Expect[name]))
		}
	}
	for _, c := range tb.ref.Multiclass {
		in := metrics.Input{YTrue: c.YTrue, YPred: c.YPred, Proba: c.Proba, K: c.K, Weights: c.Weights}
		check(t, "multiclass/"+c.Name, c.Expect, in, true)
	}
	for _, c := range tb.ref.Regression {
		in := metrics.Input{Target: c.YTrue, Predicted: c.YPred, Weights: c.Weights}
		check(t, "regression/"+c.Name, c.Expect, in, false)
	}
	var missing []string
	for _, name := range metrics.Names() {
		if !covered[name] {
			missing = append(missing, name)
		}
	}
	require.Empty(t, missing, "registered metrics without reference values")
}

func TestRegistryMissingInput(t *testing.T) {
	t.Parallel()
	in := metrics.Input{YTrue: []int{0, 1}, YPred: []int{0, 1}}
	for _, name := range []string{"roc_auc", "average_precision", "brier", "ece", "log_loss"} {
		info, _ := metrics.Lookup(name)
		require.Equal(t, metrics.NeedScores, info.Needs)
		require.PanicsWithValue(t, "metrics: "+name+" needs Input.Score or a two-column Input.Proba",
			func() { info.Compute(in) }, name)
	}
	f1, _ := metrics.Lookup("f1")
	require.True(t, f1.BinaryOnly)
	require.Panics(t, func() { f1.Compute(metrics.Input{YTrue: []int{0, 2}, YPred: []int{0, 1}}) })
	macro, _ := metrics.Lookup("f1_macro")
	require.False(t, macro.BinaryOnly)
	// Classes 0, 1 and 2 occur; only class 0 is right: F1 = (1 + 0 + 0) / 3.
	require.InDelta(t, 1.0/3, macro.Compute(metrics.Input{YTrue: []int{0, 2}, YPred: []int{0, 1}}), 1e-15)
}
