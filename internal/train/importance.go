package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"mlw.dev/frame"
	"mlw.dev/metrics"
	"mlw.dev/model/bundle"
)

// Importance is the permutation importance of one input column: how much the
// metric gets worse when the column's values are shuffled across rows.
type Importance struct {
	Column string  `json:"column"`
	Mean   float64 `json:"mean"` // mean drop of the metric (positive: the column helps)
	Std    float64 `json:"std"`
}

// PermutationImportance shuffles each input column of f (the rows the model is
// scored on, with true targets y as class codes or values) repeats times and
// returns the mean and standard deviation of the drop in metric, sorted by
// mean drop. It works for any model, through the bundle's pipeline, on raw
// columns (a one-hot encoded column is shuffled as one).
func PermutationImportance(b *bundle.Bundle, f *frame.Frame, y []float64, metric string, repeats int, seed uint64) ([]Importance, error) {
	task, err := b.TaskOf()
	if err != nil {
		return nil, err
	}
	info, ok := metrics.Lookup(metric)
	if !ok {
		return nil, fmt.Errorf("unknown metric %q", metric)
	}
	sign := 1.0
	if !info.HigherIsBetter {
		sign = -1
	}
	preds, err := b.PredictFrame(f)
	if err != nil {
		return nil, err
	}
	base, ok := Score(task, y, preds)[metric]
	if !ok {
		return nil, nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x7065726d))
	n := f.NumRows()
	perm := make([]int, n)
	var out []Importance
	for _, in := range b.Pipeline.Inputs {
		j := f.ColumnIndex(in.Name)
		if j < 0 {
			continue
		}
		drops := make([]float64, 0, repeats)
		for range repeats {
			for i := range perm {
				perm[i] = i
			}
			rng.Shuffle(n, func(a, c int) { perm[a], perm[c] = perm[c], perm[a] })
			shuffled := f.ColumnAt(j)
			g, err := replaceColumn(f, j, shuffled, perm)
			if err != nil {
				return nil, err
			}
			p, err := b.PredictFrame(g)
			if err != nil {
				return nil, err
			}
			v := Score(task, y, p)[metric]
			drops = append(drops, sign*(base-v))
		}
		mean, std := meanStd(drops)
		out = append(out, Importance{Column: in.Name, Mean: mean, Std: std})
	}
	sort.SliceStable(out, func(a, c int) bool { return out[a].Mean > out[c].Mean })
	return out, nil
}

// replaceColumn returns f with column j's rows permuted.
func replaceColumn(f *frame.Frame, j int, col frame.Column, perm []int) (*frame.Frame, error) {
	one, err := frame.New([]string{f.Name(j)}, []frame.Column{col})
	if err != nil {
		return nil, err
	}
	shuffled := one.Take(perm).ColumnAt(0)
	names := f.Names()
	cols := make([]frame.Column, f.NumCols())
	for i := range cols {
		cols[i] = f.ColumnAt(i)
	}
	cols[j] = shuffled
	return frame.New(names, cols)
}

func meanStd(v []float64) (float64, float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	if len(v) == 1 {
		return m, 0
	}
	ss := 0.0
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(v)-1))
}
