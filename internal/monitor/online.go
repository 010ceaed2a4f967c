package monitor

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"mlw.dev/metrics"
)

// The metrics computed from labelled traffic, the first being the one
// followed over time.
var (
	classificationMetrics = []string{"accuracy", "f1_macro", "roc_auc"}
	regressionMetrics     = []string{"rmse", "mae", "r2"}
)

// OnlineMetrics returns the names of the metrics Analyze computes from
// labelled rows for a task (regression, binary or multiclass), the first
// being the one of the time series.
func OnlineMetrics(task string) []string {
	if task == "regression" {
		return slices.Clone(regressionMetrics)
	}
	return slices.Clone(classificationMetrics)
}

// isOnlineMetric reports whether any task computes the metric online.
func isOnlineMetric(name string) bool {
	return slices.Contains(classificationMetrics, name) || slices.Contains(regressionMetrics, name)
}

// compute evaluates a registered metric; NaN when undefined.
func compute(name string, in metrics.Input) float64 {
	info, ok := metrics.Lookup(name)
	if !ok {
		return math.NaN()
	}
	return info.Compute(in)
}

// online computes the metrics of the labelled primary rows, over the window
// and, for the primary metric, per bucket. Rows whose label cannot be read
// (a regression label that is not a number) are left out.
func (a *analysis) online(r *Report, ref *modelInfo) {
	task := ref.b.Task
	names := OnlineMetrics(task)
	r.Online.Primary = names[0]
	for _, name := range names {
		if v, ok := a.in.Expected[name]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			r.Online.Expected[name] = v
		}
	}
	var rows []int // positions in a.primary
	for k, i := range a.primary {
		if a.in.Predictions[i].Labeled {
			rows = append(rows, k)
		}
	}
	if len(rows) == 0 {
		return
	}
	set := func(name string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			r.Online.Metrics[name] = v
		}
	}
	perBucket := make([][]int, a.nb) // indices into the metric inputs
	if task == "regression" {
		var target, pred []float64
		bad := 0
		for _, k := range rows {
			p := a.in.Predictions[a.primary[k]]
			y, err := strconv.ParseFloat(strings.TrimSpace(p.Label), 64)
			if err != nil || math.IsNaN(y) || math.IsInf(y, 0) || math.IsNaN(p.Score) || math.IsInf(p.Score, 0) {
				bad++
				continue
			}
			b := a.pbucket[k]
			perBucket[b] = append(perBucket[b], len(target))
			target, pred = append(target, y), append(pred, p.Score)
		}
		if bad > 0 {
			a.note("%s a label or prediction that is not a number and %s left out of the online metrics.", counted(bad, "labelled row has", "labelled rows have"), plural(bad, "is", "are"))
		}
		r.Online.LabeledRows = len(target)
		in := metrics.Input{Target: target, Predicted: pred}
		for _, name := range names {
			set(name, compute(name, in))
		}
		for b, ix := range perBucket {
			if len(ix) == 0 {
				continue
			}
			bt, bp := make([]float64, len(ix)), make([]float64, len(ix))
			for j, i := range ix {
				bt[j], bp[j] = target[i], pred[i]
			}
			r.Series[b].LabeledRows = len(ix)
			r.Series[b].Online = finitePtr(compute(names[0], metrics.Input{Target: bt, Predicted: bp}))
		}
		return
	}

	// Classification: labels are coded in the order of the model's classes,
	// then in order of appearance.
	codes := map[string]int{}
	for i, c := range ref.b.Classes {
		codes[c] = i
	}
	code := func(s string) int {
		c, ok := codes[s]
		if !ok {
			c = len(codes)
			codes[s] = c
		}
		return c
	}
	yTrue, yPred := make([]int, len(rows)), make([]int, len(rows))
	for j, k := range rows {
		p := a.in.Predictions[a.primary[k]]
		yTrue[j], yPred[j] = code(p.Label), code(p.Output)
		b := a.pbucket[k]
		perBucket[b] = append(perBucket[b], j)
	}
	r.Online.LabeledRows = len(rows)
	in := metrics.Input{YTrue: yTrue, YPred: yPred}
	set("accuracy", compute("accuracy", in))
	set("f1_macro", compute("f1_macro", in))
	if task == "binary" && len(ref.b.Classes) == 2 {
		// ROC AUC over the rows labelled with one of the two classes, with
		// the score of the positive class; undefined with one class.
		var yb []int
		var score []float64
		seen := [2]bool{}
		for j, k := range rows {
			s := a.in.Predictions[a.primary[k]].Score
			if yTrue[j] > 1 || math.IsNaN(s) {
				continue
			}
			yb, score = append(yb, yTrue[j]), append(score, s)
			seen[yTrue[j]] = true
		}
		if seen[0] && seen[1] {
			set("roc_auc", compute("roc_auc", metrics.Input{YTrue: yb, Score: score}))
		}
	}
	for b, ix := range perBucket {
		if len(ix) == 0 {
			continue
		}
		bt, bp := make([]int, len(ix)), make([]int, len(ix))
		for j, i := range ix {
			bt[j], bp[j] = yTrue[i], yPred[i]
		}
		r.Series[b].LabeledRows = len(ix)
		r.Series[b].Online = finitePtr(compute(names[0], metrics.Input{YTrue: bt, YPred: bp}))
	}
}
