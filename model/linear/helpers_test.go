package linear

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/testutil"
	"mlw.dev/model"
)

// reference is testdata/sklearn_reference.json, written by
// testdata/sklearn_reference.py with scikit-learn 1.2.1.
type reference struct {
	SklearnVersion string `json:"sklearn_version"`
	Scores         map[string]map[string]struct {
		Folds []float64 `json:"folds"`
		Mean  float64   `json:"mean"`
	} `json:"scores"`
	Full map[string]struct {
		Coef      json.RawMessage `json:"coef"`
		Intercept json.RawMessage `json:"intercept"`
		Proba     [][]float64     `json:"proba"`
		Pred      []float64       `json:"pred"`
		NIter     int             `json:"n_iter"`
	} `json:"full"`
}

func loadReference(tb testing.TB) *reference {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sklearn_reference.json"))
	require.NoError(tb, err)
	var r reference
	require.NoError(tb, json.Unmarshal(b, &r))
	require.Equal(tb, "1.2.1", r.SklearnVersion)
	return &r
}

// floats decodes a JSON number or (nested) array of numbers into a flat
// slice, row-major.
func floats(tb testing.TB, raw json.RawMessage) []float64 {
	tb.Helper()
	var v any
	require.NoError(tb, json.Unmarshal(raw, &v))
	var out []float64
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case float64:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		default:
			tb.Fatalf("unexpected JSON value %v", v)
		}
	}
	walk(v)
	return out
}

// scaler standardises columns with the mean and (population) standard
// deviation of the rows it was fitted on, as scikit-learn's StandardScaler
// and mlw's feature pipeline do; a constant column is only centred.
type scaler struct{ mean, scale []float64 }

func fitScaler(x model.Matrix) scaler {
	s := scaler{mean: make([]float64, x.Cols), scale: make([]float64, x.Cols)}
	for j := range x.Cols {
		m := 0.0
		for i := range x.Rows {
			m += x.At(i, j)
		}
		m /= float64(x.Rows)
		v := 0.0
		for i := range x.Rows {
			d := x.At(i, j) - m
			v += d * d
		}
		sd := math.Sqrt(v / float64(x.Rows))
		if sd == 0 {
			sd = 1
		}
		s.mean[j], s.scale[j] = m, sd
	}
	return s
}

func (s scaler) transform(x model.Matrix) model.Matrix {
	out := model.NewMatrix(x.Rows, x.Cols)
	for i := range x.Rows {
		for j := range x.Cols {
			out.Data[i*x.Cols+j] = (x.At(i, j) - s.mean[j]) / s.scale[j]
		}
	}
	return out
}

// scaledProblem returns the whole dataset standard-scaled on all its rows.
func scaledProblem(tb testing.TB, name string) *model.Problem {
	tb.Helper()
	d := testutil.LoadDataset(tb, name)
	p := d.Problem()
	p.X = fitScaler(p.X).transform(p.X)
	return p
}

// foldProblems returns the training and test problems of each of the 5
// reference folds, standard-scaled on the training fold.
func foldProblems(tb testing.TB, name string) (train, test []*model.Problem) {
	tb.Helper()
	d := testutil.LoadDataset(tb, name)
	for _, f := range testutil.Folds(tb, name) {
		tr, te := d.Subset(f.Train), d.Subset(f.Test)
		s := fitScaler(tr.X)
		tr.X, te.X = s.transform(tr.X), s.transform(te.X)
		train, test = append(train, tr), append(test, te)
	}
	return train, test
}

// score returns the accuracy (classification) or R² (regression) of pred
// (X.Rows × outputs) against p.Y.
func score(p *model.Problem, pred []float64) float64 {
	n := len(p.Y)
	if p.Task.IsClassification() {
		k := p.Classes
		correct := 0
		for i := range n {
			best := 0
			for c := 1; c < k; c++ {
				if pred[i*k+c] > pred[i*k+best] {
					best = c
				}
			}
			if float64(best) == p.Y[i] {
				correct++
			}
		}
		return float64(correct) / float64(n)
	}
	mean := 0.0
	for _, y := range p.Y {
		mean += y
	}
	mean /= float64(n)
	var ssr, sst float64
	for i, y := range p.Y {
		ssr += (y - pred[i]) * (y - pred[i])
		sst += (y - mean) * (y - mean)
	}
	return 1 - ssr/sst
}

// requireClose requires |got-want| <= atol + rtol*|want| element-wise.
func requireClose(tb testing.TB, want, got []float64, atol, rtol float64, msg string) {
	tb.Helper()
	require.Len(tb, got, len(want), msg)
	for i := range want {
		if math.Abs(got[i]-want[i]) > atol+rtol*math.Abs(want[i]) {
			require.Failf(tb, "values differ", "%s: element %d: got %.10g, want %.10g (atol %g, rtol %g)", msg, i, got[i], want[i], atol, rtol)
		}
	}
}
