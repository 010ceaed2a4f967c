package evaluate

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"mlw.dev/model"
)

// Examples are a few of the model's errors with their feature values: the
// most confident ones, which are the most telling.
type Examples struct {
	// Columns name the values of every example: the columns of the
	// evaluated rows.
	Columns []string `json:"columns"`
	// FalsePositives are negatives with the highest probability of class 1
	// and FalseNegatives positives with the lowest (binary).
	FalsePositives []Example `json:"false_positives,omitempty"`
	FalseNegatives []Example `json:"false_negatives,omitempty"`
	// Misclassified are the errors with the most probable wrong class
	// (multiclass).
	Misclassified []Example `json:"misclassified,omitempty"`
	// LargestErrors are the rows with the largest absolute residuals
	// (regression).
	LargestErrors []Example `json:"largest_errors,omitempty"`
}

// Example is one row the model got wrong.
type Example struct {
	// Row is the index of the row among the evaluated rows.
	Row       int    `json:"row"`
	True      string `json:"true"`
	Predicted string `json:"predicted"`
	// Score is the probability of class 1 (binary), of the predicted class
	// (multiclass), or the residual true − predicted (regression).
	Score float64 `json:"score"`
	// Values are the row's values of Examples.Columns, "" when missing.
	Values []string `json:"values"`
}

// examples fills Examples.
func (e *evaluation) examples() {
	m := e.opts.MaxExamples
	if m <= 0 {
		return
	}
	f := e.in.Rows
	ex := &Examples{Columns: f.Names()}
	example := func(i int, score float64) Example {
		x := Example{Row: i, Score: score, Values: make([]string, f.NumCols())}
		for j := range x.Values {
			x.Values[j] = f.Cell(i, j)
		}
		if e.in.Task.IsClassification() {
			x.True, x.Predicted = e.in.Classes[e.y[i]], e.in.Classes[e.pred.Codes[i]]
		} else {
			x.True = strconv.FormatFloat(e.in.Target[i], 'g', -1, 64)
			x.Predicted = strconv.FormatFloat(e.pred.Values[i], 'g', -1, 64)
		}
		return x
	}
	// top returns the examples of the rows where keep is true with the
	// largest key, at most m of them, ties broken by row.
	top := func(keep func(i int) bool, key func(i int) float64, score func(i int) float64) []Example {
		var rows []int
		for i := range e.n {
			if keep(i) && !math.IsNaN(key(i)) {
				rows = append(rows, i)
			}
		}
		slices.SortStableFunc(rows, func(a, b int) int { return cmp.Compare(key(b), key(a)) })
		var out []Example
		for _, i := range rows[:min(len(rows), m)] {
			out = append(out, example(i, score(i)))
		}
		return out
	}
	switch e.in.Task {
	case model.BinaryClassification:
		p := func(i int) float64 { return e.prob[i] }
		ex.FalsePositives = top(func(i int) bool { return e.y[i] == 0 && e.pred.Codes[i] == 1 }, p, p)
		ex.FalseNegatives = top(func(i int) bool { return e.y[i] == 1 && e.pred.Codes[i] == 0 }, func(i int) float64 { return -e.prob[i] }, p)
	case model.MulticlassClassification:
		conf := func(i int) float64 { return e.pred.Row(i)[e.pred.Codes[i]] }
		ex.Misclassified = top(func(i int) bool { return e.y[i] != e.pred.Codes[i] }, conf, conf)
	default:
		res := func(i int) float64 { return e.in.Target[i] - e.pred.Values[i] }
		ex.LargestErrors = top(func(int) bool { return true }, func(i int) float64 { return math.Abs(res(i)) }, res)
	}
	e.r.Examples = ex
}
