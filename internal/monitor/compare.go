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

// inputs fills the data quality, the drift of every feature and the drift
// per bucket of the primary rows, as the reference version ref reads them.
func (a *Accumulator) inputs(r *Report, ref *modelInfo, notes *notes) error {
	r.SchemaViolations = a.bad
	if a.bad > 0 {
		notes.add("%s the input signature and %s left out of drift and data quality; the first: %s.", counted(a.bad, "row breaks", "rows break"), plural(a.bad, "is", "are"), a.badFirst)
	}
	missed := 0
	for _, c := range ref.cols {
		r.DataQuality = append(r.DataQuality, quality(c))
		missed = max(missed, c.f.missed)
		if c.rng != nil {
			missed = max(missed, c.rng.missed)
		}
	}
	if missed > 0 {
		notes.add("%s started serving after %s: its out-of-range counts, and the features it reads as another type, start with its first row.",
			ref.ref, counted(missed, "row with inputs", "rows with inputs"))
	}
	return a.compareAll(r, ref.cols, notes)
}

// quality summarises the data quality of one column.
func quality(c *column) Quality {
	f := c.f
	q := Quality{Feature: c.name, Values: f.present, TypeErrors: f.typeErrors}
	if c.rng != nil {
		q.OutOfRange = c.rng.n
	}
	if f.present > 0 {
		q.MissingRate = float64(f.missing) / float64(f.present)
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
		for code, cnt := range f.counts {
			if cnt > 0 && !c.known[f.names[code]] {
				q.UnseenCategories += cnt
				unseen = append(unseen, code)
			}
		}
		q.UnseenCategories += f.other // beyond MaxCategories: never a reference's
		slices.SortFunc(unseen, func(x, y int) int {
			return cmp.Or(cmp.Compare(f.counts[y], f.counts[x]), cmp.Compare(f.names[x], f.names[y]))
		})
		for _, code := range unseen[:min(len(unseen), MaxExamples)] {
			q.UnseenExamples = append(q.UnseenExamples, f.names[code])
		}
	}
	return q
}

// columnDrift is the drift of one column over the window and over each
// bucket with enough rows.
type columnDrift struct {
	col     int
	res     drift.Result
	err     error
	buckets []bucketDrift
}

type bucketDrift struct {
	bucket int
	res    drift.Result
}

// compareAll compares every column with its reference over the window and
// over each bucket with enough rows, the columns in parallel.
func (a *Accumulator) compareAll(r *Report, cols []*column, notes *notes) error {
	var tasks []columnDrift
	var noRef []string
	for j, c := range cols {
		if c.ref == nil {
			noRef = append(noRef, c.name)
			continue
		}
		tasks = append(tasks, columnDrift{col: j})
	}
	if len(noRef) > 0 && len(noRef) < len(cols) {
		notes.add("No training reference for %s: not compared for drift.", joinMax(noRef, 5))
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(tasks))) {
		wg.Go(func() {
			var sc scratch
			for {
				k := int(next.Add(1) - 1)
				if k >= len(tasks) {
					return
				}
				a.compareColumn(cols[tasks[k].col], &tasks[k], &sc)
			}
		})
	}
	wg.Wait()

	compared, drifted := 0, 0
	bucketCompared := make([]int, a.nb)
	bucketDrifted := make([]int, a.nb)
	for _, t := range tasks {
		c := cols[t.col]
		for _, bd := range t.buckets {
			pt := &r.Series[bd.bucket]
			bucketCompared[bd.bucket]++
			if bd.res.Drifted {
				bucketDrifted[bd.bucket]++
			}
			if v := bd.res.Value; !math.IsNaN(v) && !math.IsInf(v, 0) {
				if pt.Drift == nil {
					pt.Drift = map[string]float64{}
				}
				pt.Drift[c.name] = v
			}
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

// scratch is one comparing goroutine's buffers.
type scratch struct {
	vals, bucket []float64
	start        []int
}

// compareColumn compares a column with its reference over the window and
// over each bucket with at least MinBucketRows valid rows (a bucket whose
// comparison fails is left out: the window's reports the error).
func (a *Accumulator) compareColumn(c *column, t *columnDrift, sc *scratch) {
	f := c.f
	cfg := a.setup.method(c.ref.Numeric != nil)
	if c.ref.Numeric != nil {
		// The sample grouped by bucket, the buckets in order, as the
		// values of the window are; while it holds every value, with one
		// NaN per missing value of the rows too, so that the comparison is
		// that of the rows to the last bit (its sums are scaled by the
		// number of rows, missing ones included).
		exact := !f.window.full()
		x, start := f.window.byTag(sc.vals, sc.start, a.nb)
		sc.start = start
		if exact && a.parsedRows <= NumericSample {
			x = padMissing(x, a.parsedRows-len(x))
		}
		sc.vals = x
		t.res, t.err = drift.CompareNumeric(c.ref.Numeric, x, cfg)
		for b := range a.nb {
			xb := x[start[b]:start[b+1]]
			switch {
			case a.valid[b] < MinBucketRows:
				continue
			case exact && a.parsed[b] <= NumericSample:
				xb = padMissing(append(sc.bucket[:0], xb...), a.parsed[b]-len(xb))
				sc.bucket = xb
			case !exact && len(xb) < MinBucketRows:
				continue // too few of the bucket's values in the sample
			}
			if res, err := drift.CompareNumeric(c.ref.Numeric, xb, cfg); err == nil {
				t.buckets = append(t.buckets, bucketDrift{b, res})
			}
		}
		return
	}
	t.res, t.err = drift.CompareCategorical(c.ref.Categorical, categoryCounts(c, f.counts, f.other), cfg)
	for b := range a.nb {
		if a.valid[b] < MinBucketRows {
			continue
		}
		if res, err := drift.CompareCategorical(c.ref.Categorical, categoryCounts(c, f.bucketCounts[b], f.bucketOther[b]), cfg); err == nil {
			t.buckets = append(t.buckets, bucketDrift{b, res})
		}
	}
}

// categoryCounts returns the category counts of a column: counts by code,
// and other for the categories beyond MaxCategories, which are never the
// reference's, so they fall in its pooled cell of unseen categories.
func categoryCounts(c *column, counts []int, other int) map[string]int {
	cur := make(map[string]int, len(counts)+1)
	for code, n := range counts {
		if n > 0 {
			cur[c.f.names[code]] = n
		}
	}
	if other > 0 {
		cur[unusedKey(c.ref.Categorical.Counts, c.f.dict)] = other
	}
	return cur
}

// padMissing appends n NaN to x.
func padMissing(x []float64, n int) []float64 {
	for range n {
		x = append(x, math.NaN())
	}
	return x
}

// unusedKey returns a string that is a key of neither map.
func unusedKey[V, W any](m map[string]V, n map[string]W) string {
	k := "\x00other"
	for {
		_, inM := m[k]
		_, inN := n[k]
		if !inM && !inN {
			return k
		}
		k += "\x00"
	}
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
func (a *Accumulator) predictionDrift(r *Report, ref *modelInfo) error {
	rr := ref.b.Reference
	if rr == nil || rr.Prediction == nil && rr.PredictedClass == nil {
		return nil
	}
	var (
		res drift.Result
		err error
	)
	if rr.Prediction != nil {
		x := a.scores.vals
		if !a.scores.full() && a.rows <= NumericSample {
			x = padMissing(slices.Clone(x), a.rows-len(x)) // as for the features
		}
		res, err = drift.CompareNumeric(rr.Prediction, x, a.setup.method(true))
	} else {
		cur := make(map[string]int, len(a.outputs.names)+1)
		for i, s := range a.outputs.names {
			cur[s] = a.outputs.counts[i]
		}
		if a.outputs.other > 0 {
			cur[unusedKey(rr.PredictedClass.Counts, a.outputs.index)] = a.outputs.other
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
