package monitor

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"mlw.dev/internal/mlw"
	"mlw.dev/metrics"
	"mlw.dev/model/bundle"
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

// Codes of the labels and outputs beyond MaxCategories distinct names: two
// classes apart, so that they never count as agreeing.
const (
	otherLabel  = -1
	otherOutput = -2
)

// onlineAcc accumulates the labelled primary rows for both kinds of task,
// since the reference model, which decides, is known only at the end.
type onlineAcc struct {
	rows int // labelled rows

	// Classification: labels and outputs coded in order of appearance,
	// the (label, output) counts, and per bucket the rows and the rows
	// whose output is the label. auc samples the scores (NaN left out),
	// tagged with the label's code.
	index      map[string]int32
	names      []string
	cells      map[[2]int32]int
	bucketHits []int
	bucketRows []int
	rng        *wyrand
	auc        reservoir

	// Regression: rows with a numeric label and prediction, kept whole up
	// to OnlineSample; the sums the metrics need beyond, in the order of
	// the rows; per bucket the rows and their squared errors.
	bad       int
	n         int
	target    []float64
	predicted []float64
	overflow  bool
	sse, sae  float64
	mean, m2  float64 // Welford's running mean and squared deviations of the target
	bucketN   []int
	bucketSSE []float64
}

func newOnlineAcc(nb int) onlineAcc {
	return onlineAcc{index: map[string]int32{}, cells: map[[2]int32]int{}, bucketHits: make([]int, nb),
		bucketRows: make([]int, nb), rng: newRand(2), auc: newReservoir(OnlineSample), bucketN: make([]int, nb),
		bucketSSE: make([]float64, nb)}
}

// code returns the code of a label or output, other beyond MaxCategories.
func (o *onlineAcc) code(s string, other int32) int32 {
	if c, ok := o.index[s]; ok {
		return c
	}
	if len(o.names) >= MaxCategories {
		return other
	}
	c := int32(len(o.names))
	s = strings.Clone(s)
	o.index[s] = c
	o.names = append(o.names, s)
	return c
}

// add adds a labelled primary row of bucket b.
func (o *onlineAcc) add(p *mlw.Prediction, b int32) {
	o.rows++
	label, out := o.code(p.Label, otherLabel), o.code(p.Output, otherOutput)
	o.cells[[2]int32{label, out}]++
	o.bucketRows[b]++
	if p.Label == p.Output {
		o.bucketHits[b]++
	}
	if !math.IsNaN(p.Score) {
		o.auc.offer(p.Score, label, true, o.rng)
	}

	y, err := strconv.ParseFloat(strings.TrimSpace(p.Label), 64)
	if err != nil || math.IsNaN(y) || math.IsInf(y, 0) || math.IsNaN(p.Score) || math.IsInf(p.Score, 0) {
		o.bad++
		return
	}
	o.n++
	if !o.overflow {
		if o.n > OnlineSample {
			o.overflow, o.target, o.predicted = true, nil, nil
		} else {
			o.target, o.predicted = append(o.target, y), append(o.predicted, p.Score)
		}
	}
	d := y - p.Score
	o.sse += d * d
	o.sae += math.Abs(d)
	delta := y - o.mean
	o.mean += delta / float64(o.n)
	o.m2 += delta * (y - o.mean)
	o.bucketN[b]++
	o.bucketSSE[b] += d * d
}

// report computes the metrics of the labelled rows, over the window and,
// for the primary metric, per bucket, for the task and classes of the
// reference model. Regression rows whose label cannot be read (not a
// number) are left out.
func (o *onlineAcc) report(r *Report, ref *bundle.Bundle, expected map[string]float64, nb int, notes *notes) {
	task := ref.Task
	names := OnlineMetrics(task)
	r.Online.Primary = names[0]
	for _, name := range names {
		if v, ok := expected[name]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			r.Online.Expected[name] = v
		}
	}
	if o.rows == 0 {
		return
	}
	set := func(name string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			r.Online.Metrics[name] = v
		}
	}
	if task == "regression" {
		if o.bad > 0 {
			notes.add("%s a label or prediction that is not a number and %s left out of the online metrics.", counted(o.bad, "labelled row has", "labelled rows have"), plural(o.bad, "is", "are"))
		}
		r.Online.LabeledRows = o.n
		if o.n == 0 {
			return
		}
		if !o.overflow {
			in := metrics.Input{Target: o.target, Predicted: o.predicted}
			for _, name := range names {
				set(name, compute(name, in))
			}
		} else {
			// The formulas of metrics.RMSE, MAE and R2 over running sums.
			n := float64(o.n)
			set("rmse", math.Sqrt(o.sse/n))
			set("mae", o.sae/n)
			switch {
			case o.sse == 0:
				set("r2", 1)
			case o.m2 == 0:
				set("r2", 0)
			default:
				set("r2", 1-o.sse/o.m2)
			}
		}
		for b := range nb {
			if n := o.bucketN[b]; n > 0 {
				r.Series[b].LabeledRows = n
				r.Series[b].Online = finitePtr(math.Sqrt(o.bucketSSE[b] / float64(n))) // rmse, as metrics.RMSE sums
			}
		}
		return
	}

	// Classification: labels are coded in the order of the model's
	// classes, then in order of appearance, as label then output of each
	// row.
	final := map[string]int{}
	for i, c := range ref.Classes {
		if _, ok := final[c]; !ok {
			final[c] = i
		}
	}
	codes := make([]int, len(o.names))
	for i, s := range o.names {
		c, ok := final[s]
		if !ok {
			c = len(final)
			final[s] = c
		}
		codes[i] = c
	}
	other := map[int32]int{otherLabel: len(final), otherOutput: len(final) + 1}
	finalOf := func(c int32) int {
		if c < 0 {
			return other[c]
		}
		return codes[c]
	}
	var in metrics.Input
	for _, k := range slices.SortedFunc(maps.Keys(o.cells), compareCell) {
		in.YTrue = append(in.YTrue, finalOf(k[0]))
		in.YPred = append(in.YPred, finalOf(k[1]))
		in.Weights = append(in.Weights, float64(o.cells[k]))
	}
	r.Online.LabeledRows = o.rows
	// Integer weights sum exactly, so these equal the metrics of the rows.
	set("accuracy", compute("accuracy", in))
	set("f1_macro", compute("f1_macro", in))
	if task == "binary" && len(ref.Classes) == 2 {
		// ROC AUC over the rows labelled with one of the two classes, with
		// the score of the positive class; undefined with one class.
		var yb []int
		var score []float64
		seen := [2]bool{}
		for i, s := range o.auc.vals {
			y := finalOf(o.auc.tags[i])
			if y > 1 {
				continue
			}
			yb, score = append(yb, y), append(score, s)
			seen[y] = true
		}
		if seen[0] && seen[1] {
			set("roc_auc", compute("roc_auc", metrics.Input{YTrue: yb, Score: score}))
		}
	}
	for b := range nb {
		n := o.bucketRows[b]
		if n == 0 {
			continue
		}
		hits := float64(o.bucketHits[b])
		r.Series[b].LabeledRows = n
		r.Series[b].Online = finitePtr(compute(names[0], metrics.Input{YTrue: []int{0, 0}, YPred: []int{0, 1},
			Weights: []float64{hits, float64(n) - hits}}))
	}
}

func compareCell(x, y [2]int32) int {
	if x[0] != y[0] {
		return int(x[0] - y[0])
	}
	return int(x[1] - y[1])
}
