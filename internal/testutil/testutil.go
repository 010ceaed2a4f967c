// Package testutil holds helpers shared by tests: the bundled reference
// datasets, the cross-validation folds their scikit-learn references use, and
// float comparisons.
package testutil

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"mlw.dev/model"
)

// Root returns the module's root directory (where go.mod is).
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("testutil: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Dataset is one of the bundled reference datasets (testdata/datasets).
type Dataset struct {
	Name     string
	Task     model.Task
	Classes  int
	Features []string
	X        model.Matrix
	Y        []float64
}

// Problem returns the whole dataset as a training problem.
func (d *Dataset) Problem() *model.Problem {
	feats := make([]model.Feature, len(d.Features))
	for i, f := range d.Features {
		feats[i] = model.Feature{Name: f}
	}
	return &model.Problem{Task: d.Task, Classes: d.Classes, Features: feats, X: d.X, Y: d.Y}
}

// Subset returns the problem restricted to the given rows.
func (d *Dataset) Subset(rows []int) *model.Problem {
	p := d.Problem()
	x := model.NewMatrix(len(rows), d.X.Cols)
	y := make([]float64, len(rows))
	for i, r := range rows {
		copy(x.Row(i), d.X.Row(r))
		y[i] = d.Y[r]
	}
	p.X, p.Y = x, y
	return p
}

// LoadDataset reads testdata/datasets/NAME.csv: numeric columns, the last one
// ("target") the label. iris, wine and breast_cancer are classification,
// diabetes regression.
func LoadDataset(tb testing.TB, name string) *Dataset {
	tb.Helper()
	path := filepath.Join(Root(tb), "testdata", "datasets", name+".csv")
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	d := &Dataset{Name: name, Task: model.Regression}
	var data []float64
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), ",")
		if line == 1 {
			d.Features = fields[:len(fields)-1]
			continue
		}
		for i, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				tb.Fatalf("%s line %d column %d: %v", path, line, i+1, err)
			}
			if i == len(fields)-1 {
				d.Y = append(d.Y, v)
			} else {
				data = append(data, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	d.X = model.Matrix{Rows: len(d.Y), Cols: len(d.Features), Data: data}
	if name != "diabetes" {
		classes := 0
		for _, y := range d.Y {
			classes = max(classes, int(y)+1)
		}
		d.Classes = classes
		d.Task = model.MulticlassClassification
		if classes == 2 {
			d.Task = model.BinaryClassification
		}
	}
	return d
}

// Fold is one cross-validation fold's row indices.
type Fold struct {
	Train []int `json:"train"`
	Test  []int `json:"test"`
}

var (
	foldsOnce sync.Once
	folds     map[string][]Fold
	foldsErr  error
)

// Folds returns the 5 folds of a dataset from testdata/folds.json
// (testdata/gen_folds.py: StratifiedKFold or KFold, shuffle, random_state=0),
// the same folds the scikit-learn reference scores were computed on.
func Folds(tb testing.TB, name string) []Fold {
	tb.Helper()
	foldsOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(Root(tb), "testdata", "folds.json"))
		if err != nil {
			foldsErr = err
			return
		}
		var doc struct {
			Datasets map[string]struct {
				Folds []Fold `json:"folds"`
			} `json:"datasets"`
		}
		if foldsErr = json.Unmarshal(b, &doc); foldsErr != nil {
			return
		}
		folds = map[string][]Fold{}
		for k, v := range doc.Datasets {
			folds[k] = v.Folds
		}
	})
	if foldsErr != nil {
		tb.Fatal(foldsErr)
	}
	f, ok := folds[name]
	if !ok {
		tb.Fatalf("no folds for dataset %q", name)
	}
	return f
}
