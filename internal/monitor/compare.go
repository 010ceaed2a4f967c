package monitor

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"mlw.dev/drift"
)

// inputs parses the inputs of the primary rows and fills the data quality,
// the drift of every feature and the drift per bucket.
func (a *analysis) inputs(r *Report, ref *modelInfo) error {
	var refs []drift.Reference
	if ref.b.Reference != nil {
		refs = ref.b.Reference.Features
	}
	cols := newColumns(signature(ref.b), refs)
	byName := make(map[string]int, len(cols))
	for j, c := range cols {
		byName[c.name] = j
	}
	for _, m := range a.models {
		sig := signature(m.b)
		m.mapping = rowMap{cols: make([]int, len(sig))}
		covered := make([]bool, len(cols))
		for k, s := range sig {
			j, ok := byName[s.name]
			if !ok {
				j = -1
			} else {
				covered[j] = true
			}
			m.mapping.cols[k] = j
		}
		for j, in := range covered {
			if !in {
				m.mapping.absent = append(m.mapping.absent, j)
			}
		}
	}

	// Order the rows with a known bundle by bucket (stable), so each
	// bucket's values are one contiguous slice of every column.
	start := make([]int, a.nb+1)
	for k := range a.primary {
		if a.groups[a.pgroup[k]].model >= 0 {
			start[a.pbucket[k]+1]++
		}
	}
	for b := range a.nb {
		start[b+1] += start[b]
	}
	n := start[a.nb]
	order := make([]int32, n)
	model := make([]int32, n)
	pos := slices.Clone(start[:a.nb])
	for k, i := range a.primary {
		m := a.groups[a.pgroup[k]].model
		if m < 0 {
			continue
		}
		b := a.pbucket[k]
		order[pos[b]], model[pos[b]] = i, int32(m)
		pos[b]++
	}
	ok := make([]bool, n)
	bad, first := parseInputs(cols, a.in.Predictions, order, func(p int) *rowMap { return &a.models[model[p]].mapping }, ok)
	r.SchemaViolations = bad
	if bad > 0 {
		a.note("%s the input signature and %s left out of drift and data quality; the first: %s.", counted(bad, "row breaks", "rows break"), plural(bad, "is", "are"), first)
	}
	valid := make([]int, a.nb)
	for b := range a.nb {
		for _, good := range ok[start[b]:start[b+1]] {
			if good {
				valid[b]++
			}
		}
	}

	for _, c := range cols {
		r.DataQuality = append(r.DataQuality, quality(c))
	}
	return a.compareAll(r, cols, start, valid)
}

// quality summarises the data quality of one parsed column.
func quality(c *column) Quality {
	q := Quality{Feature: c.name, Values: c.present, OutOfRange: c.outOfRange, TypeErrors: c.typeErrors}
	if c.present > 0 {
		q.MissingRate = float64(c.missing) / float64(c.present)
	}
	if c.ref != nil {
		count, missing := 0, 0
		if nr := c.ref.Numeric; nr != nil {
			count, missing = nr.Count, nr.Missing
		} else if cr := c.ref.Categorical; cr != nil {
			count, missing = cr.Count, cr.Missing
		}
		if count+missing > 0 {
			q.ReferenceMissingRate = ptr(float64(missing) / float64(count+missing))
		}
	}
	if c.kind == colCategorical && c.known != nil {
		var unseen []int
		for code, cnt := range c.counts {
			if cnt > 0 && !c.known[c.names[code]] {
				q.UnseenCategories += cnt
				unseen = append(unseen, code)
			}
		}
		slices.SortFunc(unseen, func(x, y int) int {
			return cmp.Or(cmp.Compare(c.counts[y], c.counts[x]), cmp.Compare(c.names[x], c.names[y]))
		})
		for _, code := range unseen[:min(len(unseen), MaxExamples)] {
			q.UnseenExamples = append(q.UnseenExamples, c.names[code])
		}
	}
	return q
}

// driftTask is one comparison: a column over the window (bucket −1) or
// over one bucket.
type driftTask struct {
	col, bucket int
	res         drift.Result
	err         error
}

// compareAll compares every column with its reference over the window and over
// each bucket with enough rows, in parallel.
func (a *analysis) compareAll(r *Report, cols []*column, start, valid []int) error {
	var tasks []driftTask
	var noRef []string
	for j, c := range cols {
		if c.ref == nil {
			noRef = append(noRef, c.name)
			continue
		}
		tasks = append(tasks, driftTask{col: j, bucket: -1})
		for b := range a.nb {
			if valid[b] >= MinBucketRows {
				tasks = append(tasks, driftTask{col: j, bucket: b})
			}
		}
	}
	if len(noRef) > 0 && len(noRef) < len(cols) {
		a.note("No training reference for %s: not compared for drift.", joinMax(noRef, 5))
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(tasks))) {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= len(tasks) {
					return
				}
				t := &tasks[k]
				c := cols[t.col]
				lo, hi := 0, start[a.nb]
				if t.bucket >= 0 {
					lo, hi = start[t.bucket], start[t.bucket+1]
				}
				t.res, t.err = a.compare(c, lo, hi, t.bucket < 0)
			}
		})
	}
	wg.Wait()

	compared, drifted := 0, 0
	bucketCompared := make([]int, a.nb)
	bucketDrifted := make([]int, a.nb)
	for _, t := range tasks {
		c := cols[t.col]
		if t.bucket >= 0 {
			if t.err != nil {
				continue // the window's comparison reports it
			}
			pt := &r.Series[t.bucket]
			bucketCompared[t.bucket]++
			if t.res.Drifted {
				bucketDrifted[t.bucket]++
			}
			if v := t.res.Value; !math.IsNaN(v) && !math.IsInf(v, 0) {
				if pt.Drift == nil {
					pt.Drift = map[string]float64{}
				}
				pt.Drift[c.name] = v
			}
			continue
		}
		if t.err != nil {
			if errors.Is(t.err, drift.ErrEmpty) {
				r.Drift = append(r.Drift, Drift{Feature: c.name, Note: "no values to compare"})
				continue
			}
			return fmt.Errorf("monitor: drift of %s against the reference of %s: %w", c.name, r.Reference, t.err)
		}
		compared++
		if t.res.Drifted {
			drifted++
		}
		r.Drift = append(r.Drift, driftOf(c.name, t.res))
	}
	if compared > 0 {
		r.DriftShare = float64(drifted) / float64(compared)
		r.DatasetDrift = r.DriftShare >= a.setup.cfg.DatasetShare
	}
	for b := range a.nb {
		if bucketCompared[b] > 0 {
			r.Series[b].DriftShare = ptr(float64(bucketDrifted[b]) / float64(bucketCompared[b]))
		}
	}
	return nil
}

// compare compares positions [lo, hi) of a column with its reference.
func (a *analysis) compare(c *column, lo, hi int, whole bool) (drift.Result, error) {
	if c.ref.Numeric != nil {
		return drift.CompareNumeric(c.ref.Numeric, c.values[lo:hi], a.setup.method(true))
	}
	counts := c.counts
	if !whole {
		counts = make([]int, len(c.names))
		for _, code := range c.codes[lo:hi] {
			if code >= 0 {
				counts[code]++
			}
		}
	}
	cur := make(map[string]int, len(counts))
	for code, n := range counts {
		if n > 0 {
			cur[c.names[code]] = n
		}
	}
	return drift.CompareCategorical(c.ref.Categorical, cur, a.setup.method(false))
}

// driftOf converts a drift result.
func driftOf(feature string, res drift.Result) Drift {
	d := Drift{Feature: feature, Method: string(res.Method), Statistic: res.Statistic, Value: res.Value,
		Threshold: res.Threshold, Drifted: res.Drifted}
	if res.PValue != nil {
		d.PValue = ptr(*res.PValue)
	}
	// JSON has no infinities; a statistic can only be infinite when the
	// value already says "drifted".
	d.Statistic = clampFinite(d.Statistic)
	d.Value = clampFinite(d.Value)
	return d
}

func clampFinite(v float64) float64 {
	switch {
	case math.IsInf(v, 1):
		return math.MaxFloat64
	case math.IsInf(v, -1):
		return -math.MaxFloat64
	case math.IsNaN(v):
		return 0
	}
	return v
}

// predictionDrift compares the predictions of the primary rows with the
// model's predictions on its training rows: the score (regression value or
// binary positive probability) when the reference has it, the predicted
// class otherwise.
func (a *analysis) predictionDrift(r *Report, ref *modelInfo) error {
	rr := ref.b.Reference
	if rr == nil || rr.Prediction == nil && rr.PredictedClass == nil {
		return nil
	}
	var (
		res drift.Result
		err error
	)
	if rr.Prediction != nil {
		x := make([]float64, len(a.primary))
		for k, i := range a.primary {
			x[k] = a.in.Predictions[i].Score
		}
		res, err = drift.CompareNumeric(rr.Prediction, x, a.setup.method(true))
	} else {
		cur := map[string]int{}
		for _, i := range a.primary {
			if out := a.in.Predictions[i].Output; out != "" {
				cur[out]++
			}
		}
		res, err = drift.CompareCategorical(rr.PredictedClass, cur, a.setup.method(false))
	}
	switch {
	case errors.Is(err, drift.ErrEmpty):
		r.PredictionDrift = &Drift{Feature: "prediction", Note: "no values to compare"}
	case err != nil:
		return fmt.Errorf("monitor: prediction drift against the reference of %s: %w", r.Reference, err)
	default:
		d := driftOf("prediction", res)
		r.PredictionDrift = &d
	}
	return nil
}
