package gbdt

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/testutil"
	"mlw.dev/model"
)

// sklearnReference is testdata/sklearn_reference.json, written by
// testdata/sklearn_reference.py (scikit-learn 1.2.1, numpy 1.24.2).
type sklearnReference struct {
	SklearnVersion string                        `json:"sklearn_version"`
	Settings       map[string]map[string]any     `json:"settings"`
	CV             map[string]map[string]float64 `json:"cv"`
	Binning        []struct {
		Name       string     `json:"name"`
		MaxBins    int        `json:"max_bins"`
		Values     []*float64 `json:"values"` // null is NaN
		Thresholds []float64  `json:"thresholds"`
	} `json:"binning"`
}

func loadReference(tb testing.TB) *sklearnReference {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sklearn_reference.json"))
	require.NoError(tb, err)
	var ref sklearnReference
	require.NoError(tb, json.Unmarshal(b, &ref))
	return &ref
}

// cvScore returns the mean over the dataset's 5 folds of the test accuracy
// (classification) or R² (regression) of a Model configured by set.
func cvScore(tb testing.TB, name string, set func(m *Model)) float64 {
	tb.Helper()
	d := testutil.LoadDataset(tb, name)
	var total float64
	folds := testutil.Folds(tb, name)
	for _, fold := range folds {
		var m Model
		m.EarlyStopping = EarlyStoppingOff
		set(&m)
		require.NoError(tb, m.Fit(context.Background(), d.Subset(fold.Train)))
		test := d.Subset(fold.Test)
		pred := m.PredictTo(nil, test.X)
		total += score(d.Task, test.Y, pred, m.Outputs())
	}
	return total / float64(len(folds))
}

// score is the accuracy of the most probable class, or R² for regression.
func score(task model.Task, y, pred []float64, out int) float64 {
	if task == model.Regression {
		var mean float64
		for _, v := range y {
			mean += v
		}
		mean /= float64(len(y))
		var ssRes, ssTot float64
		for i, v := range y {
			ssRes += (v - pred[i]) * (v - pred[i])
			ssTot += (v - mean) * (v - mean)
		}
		return 1 - ssRes/ssTot
	}
	correct := 0
	for i, v := range y {
		row := pred[i*out : (i+1)*out]
		best := 0
		for k := range row {
			if row[k] > row[best] {
				best = k
			}
		}
		if best == int(v) {
			correct++
		}
	}
	return float64(correct) / float64(len(y))
}

func TestParityWithSklearn(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	settings := map[string]func(m *Model){
		"default":         func(m *Model) {},
		"leaves15_lr0.05": func(m *Model) { m.MaxLeafNodes, m.LearningRate = 15, 0.05 },
		"depth3":          func(m *Model) { m.MaxDepth = 3 },
		"l2_1_leaf10":     func(m *Model) { m.L2Regularization, m.MinSamplesLeaf = 1, 10 },
	}
	require.Len(t, ref.Settings, len(settings), "settings in the Go test and the reference script differ")
	for _, name := range []string{"iris", "wine", "breast_cancer", "diabetes"} {
		for sname, set := range settings {
			t.Run(name+"/"+sname, func(t *testing.T) {
				t.Parallel()
				want, ok := ref.CV[name][sname]
				require.True(t, ok, "no reference score")
				got := cvScore(t, name, set)
				t.Logf("%s %s: gbdt %.4f, scikit-learn %s %.4f", name, sname, got, ref.SklearnVersion, want)
				require.InDelta(t, want, got, 0.015)
			})
		}
	}
}
