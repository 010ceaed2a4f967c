package mlp

import (
	"encoding/json"
	"math"
	"math/rand/v2"
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
	Scores         map[string]struct {
		Folds []float64 `json:"folds"`
		Mean  float64   `json:"mean"`
		NIter []int     `json:"n_iter"`
		Seeds []float64 `json:"seeds"`
	} `json:"scores"`
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

// scaler standardises columns with the mean and population standard
// deviation of the rows it was fitted on, as scikit-learn's StandardScaler
// and mlw's feature pipeline do.
type scaler struct{ mean, scale []float64 }

func fitScaler(x model.Matrix) scaler {
	s := scaler{mean: make([]float64, x.Cols), scale: make([]float64, x.Cols)}
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			s.mean[j] += v
		}
	}
	for j := range s.mean {
		s.mean[j] /= float64(x.Rows)
	}
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			s.scale[j] += (v - s.mean[j]) * (v - s.mean[j])
		}
	}
	for j := range s.scale {
		s.scale[j] = math.Sqrt(s.scale[j] / float64(x.Rows))
		if s.scale[j] == 0 {
			s.scale[j] = 1
		}
	}
	return s
}

func (s scaler) transform(x model.Matrix) model.Matrix {
	out := model.NewMatrix(x.Rows, x.Cols)
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			out.Data[i*x.Cols+j] = (v - s.mean[j]) / s.scale[j]
		}
	}
	return out
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

// score returns the accuracy (classification) or R² (regression) of pred.
func score(p *model.Problem, pred []float64) float64 {
	n := len(p.Y)
	if p.Task.IsClassification() {
		k, correct := p.Classes, 0
		for i := range n {
			if argmax(pred[i*k:(i+1)*k]) == int(p.Y[i]) {
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

// synthetic returns n rows of d Gaussian features with a nonlinear target:
// classes > 0 labels by which of `classes` sectors of the plane of the first
// two features a row falls in, classes == 0 a smooth nonlinear function.
func synthetic(n, d, classes int, seed uint64) *model.Problem {
	r := rand.New(rand.NewPCG(seed, 3))
	x := model.NewMatrix(n, d)
	for i := range x.Data {
		x.Data[i] = r.NormFloat64()
	}
	p := &model.Problem{Features: make([]model.Feature, d), X: x, Y: make([]float64, n), Classes: classes}
	for j := range p.Features {
		p.Features[j].Name = string(rune('a' + j))
	}
	switch {
	case classes == 0:
		p.Task = model.Regression
	case classes == 2:
		p.Task = model.BinaryClassification
	default:
		p.Task = model.MulticlassClassification
	}
	for i := range n {
		a, b := x.At(i, 0), x.At(i, 1)
		if classes == 0 {
			p.Y[i] = math.Sin(2*a) + b*b + 0.1*r.NormFloat64()
			continue
		}
		angle := math.Atan2(b, a) + math.Pi
		p.Y[i] = float64(int(angle/(2*math.Pi)*float64(classes)) % classes)
	}
	return p
}
