package tree

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"mlw.dev/model"
)

// missingRank is the rank of a missing (NaN) value.
const missingRank = math.MaxUint32

// Dataset is a training problem prepared for growing trees: per feature, each
// row's rank among the feature's distinct values, so that a node sorts small
// integers instead of floats. A forest prepares its problem once and grows
// every tree from the same Dataset; it is read-only and safe for concurrent
// use once built.
type Dataset struct {
	task    model.Task
	classes int
	rows    int
	cols    int
	// rank[f*rows+i] is row i's rank in uniq[f], or missingRank.
	rank []uint32
	// uniq[f] holds feature f's distinct non-NaN values in ascending order.
	uniq   [][]float64
	hasNaN []bool
	// close[f] says whether two of feature f's distinct values are within
	// featureThreshold of each other; when not, a scan need not check.
	close []bool
	// target holds class codes (classification) or targets (regression).
	target []float64
	// weight is the problem's sample weights; nil means all 1.
	weight []float64

	// values holds the features column-major for the random splitter, each
	// rounded up to a float32 (NaN for missing), built on first use.
	valuesOnce sync.Once
	values     []float32
}

// NewDataset validates p (Problem.Validate) and prepares it, ranking the
// features with up to workers goroutines (workers <= 0 means GOMAXPROCS). p is
// not modified and not retained, except that the Dataset shares p.Y and
// p.Weights. Beyond Problem.Validate, it rejects weights that sum to zero.
func NewDataset(p *model.Problem, workers int) (*Dataset, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.X.Rows >= math.MaxUint32 {
		return nil, fmt.Errorf("%d rows: at most %d are supported", p.X.Rows, math.MaxUint32-1)
	}
	total := 0.0
	for _, w := range p.Weights {
		total += w
	}
	if p.Weights != nil && !(total > 0) {
		return nil, fmt.Errorf("the sample weights sum to %g, want > 0", total)
	}
	d := &Dataset{
		task:    p.Task,
		classes: p.Classes,
		rows:    p.X.Rows,
		cols:    p.X.Cols,
		rank:    make([]uint32, p.X.Rows*p.X.Cols),
		uniq:    make([][]float64, p.X.Cols),
		hasNaN:  make([]bool, p.X.Cols),
		close:   make([]bool, p.X.Cols),
		target:  p.Y,
		weight:  p.Weights,
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, d.cols)
	var wg sync.WaitGroup
	next := make(chan int, d.cols)
	for f := range d.cols {
		next <- f
	}
	close(next)
	for range workers {
		wg.Go(func() {
			keys := make([]uint64, d.rows)
			idx := make([]uint32, d.rows)
			tmpK := make([]uint64, d.rows)
			tmpI := make([]uint32, d.rows)
			for f := range next {
				d.rankFeature(p.X, f, keys, idx, tmpK, tmpI)
			}
		})
	}
	wg.Wait()
	return d, nil
}

// Rows returns the number of rows.
func (d *Dataset) Rows() int { return d.rows }

// Cols returns the number of features.
func (d *Dataset) Cols() int { return d.cols }

// Task returns the learning task.
func (d *Dataset) Task() model.Task { return d.task }

// Classes returns the number of classes (0 for regression).
func (d *Dataset) Classes() int { return d.classes }

// column returns feature f's values row by row, each rounded up to the
// nearest float32 (NaN for missing); the first call builds every column from
// the ranks. With a threshold t that is a float32, ceil32(v) <= t exactly
// when v <= t, so the random splitter partitions the float32 copies as
// prediction will route the float64 values, with half the memory traffic.
func (d *Dataset) column(f int) []float32 {
	d.valuesOnce.Do(func() {
		d.values = make([]float32, len(d.rank))
		for f := range d.cols {
			uniq := d.uniq[f]
			col := d.values[f*d.rows : (f+1)*d.rows]
			for i, r := range d.rank[f*d.rows : (f+1)*d.rows] {
				if r == missingRank {
					col[i] = float32(math.NaN())
					continue
				}
				col[i] = ceil32(uniq[r])
			}
		}
	})
	return d.values[f*d.rows : (f+1)*d.rows]
}

// ceil32 returns the smallest float32 at least v.
func ceil32(v float64) float32 {
	c := float32(v)
	if float64(c) < v {
		c = math.Nextafter32(c, float32(math.Inf(1)))
	}
	return c
}

// rankFeature fills column f of d.rank and d.uniq[f], using the scratch
// buffers (each of length d.rows).
func (d *Dataset) rankFeature(X model.Matrix, f int, keys []uint64, idx []uint32, tmpK []uint64, tmpI []uint32) {
	rank := d.rank[f*d.rows : (f+1)*d.rows]
	n := 0
	for i := range d.rows {
		v := X.Data[i*X.Cols+f]
		if v != v {
			rank[i] = missingRank
			d.hasNaN[f] = true
			continue
		}
		keys[n] = floatKey(v)
		idx[n] = uint32(i)
		n++
	}
	keys, idx = radixSort64(keys[:n], idx[:n], tmpK[:n], tmpI[:n])
	uniq := make([]float64, 0, 16)
	r := uint32(0)
	for j := range n {
		if j == 0 || keys[j] != keys[j-1] {
			if j > 0 {
				r++
			}
			uniq = append(uniq, keyFloat(keys[j]))
		}
		rank[idx[j]] = r
	}
	d.uniq[f] = uniq[:len(uniq):len(uniq)]
	for j := 1; j < len(uniq); j++ {
		if uniq[j] <= uniq[j-1]+featureThreshold {
			d.close[f] = true
			break
		}
	}
}

// floatKey maps a non-NaN float64 to a uint64 with the same order (-0 and +0
// map to the same key).
func floatKey(v float64) uint64 {
	if v == 0 {
		v = 0
	}
	b := math.Float64bits(v)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// keyFloat inverts floatKey.
func keyFloat(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// radixSort64 sorts keys, moving idx along, with an LSD radix sort of 8-bit
// digits that skips digits all keys share. It returns the sorted slices,
// which are either the inputs or the scratch buffers.
func radixSort64(keys []uint64, idx []uint32, tmpK []uint64, tmpI []uint32) ([]uint64, []uint32) {
	if len(keys) < 2 {
		return keys, idx
	}
	var counts [8][256]int
	for _, k := range keys {
		for d := range 8 {
			counts[d][byte(k>>(8*d))]++
		}
	}
	for d := range 8 {
		c := &counts[d]
		if c[byte(keys[0]>>(8*d))] == len(keys) {
			continue
		}
		sum := 0
		for b := range c {
			c[b], sum = sum, sum+c[b]
		}
		shift := uint(8 * d)
		for j, k := range keys {
			b := byte(k >> shift)
			tmpK[c[b]] = k
			tmpI[c[b]] = idx[j]
			c[b]++
		}
		keys, tmpK = tmpK, keys
		idx, tmpI = tmpI, idx
	}
	return keys, idx
}
