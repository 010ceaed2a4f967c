package evaluate

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"mlw.dev/internal/stats"
	"mlw.dev/internal/train"
	"mlw.dev/metrics"
	"mlw.dev/model/bundle"
)

// lift fills Lift and Bootstrap.
func (e *evaluation) lift(ctx context.Context) error {
	r := e.r
	r.Bootstrap = Bootstrap{Method: "paired percentile bootstrap over rows", Resamples: e.opts.Resamples,
		Confidence: e.opts.Confidence, Seed: e.in.Seed}
	if e.in.Baseline == nil {
		return nil
	}
	var names []string
	for name := range r.Metrics {
		if _, ok := r.BaselineMetrics[name]; ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)

	// Put the rows in decreasing order of the model's score, so that every
	// resample, whose rows come in increasing order, is already sorted for
	// the ranking metrics.
	order := make([]int, e.n)
	for i := range order {
		order[i] = i
	}
	if e.prob != nil {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(e.prob[b], e.prob[a]) })
	}
	task := e.in.Task
	y := make([]float64, e.n)
	for i, o := range order {
		y[i] = e.in.Target[o]
	}
	pm, pb := subset(e.pred, order), subset(e.in.Baseline, order)

	stats, err := pairedBootstrap(ctx, e.n, e.opts.Resamples, len(names), e.opts.Workers, e.in.Seed, func() func([]int, []float64) {
		var yr []float64
		var mr, br bundle.Predictions
		return func(rows []int, dst []float64) {
			yr = yr[:0]
			for _, i := range rows {
				yr = append(yr, y[i])
			}
			subsetTo(&mr, pm, rows)
			subsetTo(&br, pb, rows)
			sm, sb := train.Score(task, yr, &mr), train.Score(task, yr, &br)
			for j, name := range names {
				a, okA := sm[name]
				b, okB := sb[name]
				dst[j] = math.NaN()
				if okA && okB && finite(a-b) {
					dst[j] = a - b
				}
			}
		}
	})
	if err != nil {
		return err
	}
	alpha := 1 - e.opts.Confidence
	for j, name := range names {
		info, _ := metrics.Lookup(name)
		l := Lift{Model: r.Metrics[name], Baseline: r.BaselineMetrics[name], HigherIsBetter: info.HigherIsBetter}
		l.Lift = l.Model - l.Baseline
		lo, hi := percentileInterval(stats[j], alpha)
		l.Low, l.High = Float(lo), Float(hi)
		l.Verdict = verdict(lo, hi, info.HigherIsBetter)
		r.Lift[name] = l
	}
	return nil
}

// verdict tells on which side of zero the interval [lo, hi] lies.
func verdict(lo, hi float64, higherIsBetter bool) string {
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi):
		return Inconclusive
	case lo > 0:
		if higherIsBetter {
			return Better
		}
		return Worse
	case hi < 0:
		if higherIsBetter {
			return Worse
		}
		return Better
	}
	return Inconclusive
}

// subsetTo sets dst to the predictions of the given rows of p, reusing
// dst's buffers.
func subsetTo(dst, p *bundle.Predictions, rows []int) {
	dst.Rows, dst.Outputs = len(rows), p.Outputs
	dst.Values = dst.Values[:0]
	for _, r := range rows {
		dst.Values = append(dst.Values, p.Values[r*p.Outputs:(r+1)*p.Outputs]...)
	}
	dst.Codes = dst.Codes[:0]
	if p.Codes != nil {
		for _, r := range rows {
			dst.Codes = append(dst.Codes, p.Codes[r])
		}
	}
}

// pairedBootstrap draws resamples of n rows with replacement and returns k
// statistics of each: out[j][b] is statistic j of resample b. Resample b
// draws from its own PCG stream seeded with (seed, b), so the result does not
// depend on the number of workers. Each worker calls newStat once for a
// statistic function of its own (which may keep buffers); that function gets
// the rows of a resample in increasing order, a row repeated as often as it
// was drawn, and writes its k statistics to dst. It returns ctx's error when
// ctx is done.
func pairedBootstrap(ctx context.Context, n, resamples, k, workers int, seed uint64, newStat func() func(rows []int, dst []float64)) ([][]float64, error) {
	out := make([][]float64, k)
	for j := range out {
		out[j] = make([]float64, resamples)
	}
	workers = max(1, min(workers, resamples))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			stat := newStat()
			counts := make([]int, n)
			rows := make([]int, 0, n)
			dst := make([]float64, k)
			for b := w; b < resamples; b += workers {
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				rows = resample(rows, counts, uint64(b), seed)
				stat(rows, dst)
				for j, v := range dst {
					out[j][b] = v
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// resample draws len(counts) rows with replacement from the stream (seed,
// b) and returns them in increasing order in rows.
func resample(rows, counts []int, b, seed uint64) []int {
	n := len(counts)
	clear(counts)
	rng := rand.New(rand.NewPCG(seed, b))
	for range n {
		counts[rng.IntN(n)]++
	}
	rows = rows[:0]
	for i, c := range counts {
		for range c {
			rows = append(rows, i)
		}
	}
	return rows
}

// percentileInterval returns the alpha/2 and 1−alpha/2 percentiles of the
// non-NaN values of x, or NaNs when more than half of x is NaN.
func percentileInterval(x []float64, alpha float64) (lo, hi float64) {
	v := make([]float64, 0, len(x))
	for _, s := range x {
		if !math.IsNaN(s) {
			v = append(v, s)
		}
	}
	if len(v) == 0 || 2*len(v) < len(x) {
		return math.NaN(), math.NaN()
	}
	slices.Sort(v)
	return stats.Quantile(v, alpha/2), stats.Quantile(v, 1-alpha/2)
}
