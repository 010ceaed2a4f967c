package drift

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Defaults for SketchConfig.
const (
	// DefaultSampleSize is the number of values a NumericReference keeps.
	DefaultSampleSize = 2000
	// DefaultMaxValues is the largest number of distinct values for which
	// a NumericReference keeps exact value counts.
	DefaultMaxValues = 20
)

// SketchConfig sets how much of a numeric training column a
// NumericReference keeps. The zero value means the defaults.
type SketchConfig struct {
	// SampleSize is the number of quantile points kept in Sample; 0 means
	// DefaultSampleSize. Columns with at most SampleSize values are kept
	// whole, so every statistic is then exact.
	SampleSize int
	// PSIBins is the number of reference-quantile bins for PSI (see PSI);
	// 0 means DefaultPSIBins.
	PSIBins int
	// MaxValues is the largest number of distinct values for which exact
	// value counts are kept (used by chi-square and Jensen–Shannon on a
	// discrete numeric column); 0 means DefaultMaxValues and a negative
	// value keeps none.
	MaxValues int
}

// WithDefaults returns c with zero fields replaced by their defaults.
func (c SketchConfig) WithDefaults() SketchConfig {
	if c.SampleSize == 0 {
		c.SampleSize = DefaultSampleSize
	}
	if c.PSIBins == 0 {
		c.PSIBins = DefaultPSIBins
	}
	if c.MaxValues == 0 {
		c.MaxValues = DefaultMaxValues
	}
	return c
}

// Validate reports whether c, after WithDefaults, is usable.
func (c SketchConfig) Validate() error {
	if c.SampleSize < 1 {
		return fmt.Errorf("drift: sample size %d < 1", c.SampleSize)
	}
	if c.PSIBins < 1 {
		return fmt.Errorf("drift: PSI bins %d < 1", c.PSIBins)
	}
	return nil
}

// NumericReference is the compact reference of one numeric training column
// stored in a model bundle, so the training data is never re-read. Missing
// values are NaN and ±Inf; every other field describes the non-missing
// values only.
//
// Count, Missing, Distinct, Min, Max, Mean, Std, Edges, BinCounts, Values and
// ValueCounts are exact. Sample is a quantile sketch: when Count <=
// SampleSize it is the whole sorted column; otherwise it holds the
// SampleSize order statistics at the mid-ranks ⌊(i+½)·Count/SampleSize⌋,
// i = 0…SampleSize−1, so its empirical CDF is within 1/(2·SampleSize) of the
// column's everywhere (a random sample of that size would only be within
// about 1/√SampleSize). See CompareNumeric for how each method uses it.
type NumericReference struct {
	Count    int     `json:"count"`
	Missing  int     `json:"missing"`
	Distinct int     `json:"distinct"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Mean     float64 `json:"mean"`
	// Std is the population standard deviation (ddof 0, as numpy.std).
	Std float64 `json:"std"`
	// Sample is sorted ascending.
	Sample []float64 `json:"sample"`
	// Edges are the distinct reference quantiles at k/bins and BinCounts
	// the reference counts of the PSI bins they define (see PSI): the
	// first and last bins, outside [Min, Max], are always zero.
	Edges     []float64 `json:"edges"`
	BinCounts []int     `json:"bin_counts"`
	// Values are the distinct values in ascending order and ValueCounts
	// their counts, kept when Distinct <= SketchConfig.MaxValues.
	Values      []float64 `json:"values,omitempty"`
	ValueCounts []int     `json:"value_counts,omitempty"`
}

// NewNumericReference returns the reference of the numeric column x (NaN
// and ±Inf are missing). It sorts a copy of x; x is not modified. It panics
// if cfg is invalid.
func NewNumericReference(x []float64, cfg SketchConfig) *NumericReference {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	sorted := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			sorted = append(sorted, v)
		}
	}
	slices.Sort(sorted)
	r := &NumericReference{Count: len(sorted), Missing: len(x) - len(sorted)}
	if r.Count == 0 {
		return r
	}
	n := r.Count
	r.Min, r.Max = sorted[0], sorted[n-1]
	r.Mean = sum(sorted) / float64(n)
	var ss, comp float64
	for _, v := range sorted {
		d := v - r.Mean
		ss, comp = neumaier(ss, comp, d*d)
	}
	r.Std = math.Sqrt((ss + comp) / float64(n))

	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			r.Distinct++
		}
	}
	if r.Distinct <= cfg.MaxValues {
		r.Values = make([]float64, 0, r.Distinct)
		r.ValueCounts = make([]int, 0, r.Distinct)
		for i, v := range sorted {
			if i == 0 || v != sorted[i-1] {
				r.Values = append(r.Values, v)
				r.ValueCounts = append(r.ValueCounts, 0)
			}
			r.ValueCounts[len(r.ValueCounts)-1]++
		}
	}

	if n <= cfg.SampleSize {
		r.Sample = slices.Clone(sorted)
	} else {
		m := cfg.SampleSize
		r.Sample = make([]float64, m)
		for i := range r.Sample {
			r.Sample[i] = sorted[(int64(2*i+1)*int64(n))/int64(2*m)]
		}
	}

	r.Edges = quantileEdges(sorted, cfg.PSIBins)
	counts := binCountsSorted(r.Edges, sorted)
	r.BinCounts = make([]int, len(counts))
	for i, c := range counts {
		r.BinCounts[i] = int(c)
	}
	return r
}

// Validate reports whether r is internally consistent, for example after
// decoding it from a bundle.
func (r *NumericReference) Validate() error {
	switch {
	case r == nil:
		return errors.New("drift: nil numeric reference")
	case r.Count < 0 || r.Missing < 0:
		return errors.New("drift: negative count in numeric reference")
	case r.Count == 0:
		return nil
	case len(r.Sample) == 0 || len(r.Sample) > r.Count:
		return fmt.Errorf("drift: numeric reference sample has %d values for count %d", len(r.Sample), r.Count)
	case !slices.IsSorted(r.Sample):
		return errors.New("drift: numeric reference sample is not sorted")
	case !isFinite(r.Sample[0]) || !isFinite(r.Sample[len(r.Sample)-1]):
		// Sorted, so NaN would come first: the ends bound every value.
		return errors.New("drift: numeric reference sample is not finite")
	case len(r.Edges) == 0 || !isStrictlyIncreasing(r.Edges):
		return errors.New("drift: numeric reference edges are not strictly increasing")
	case len(r.BinCounts) != numBins(r.Edges):
		return fmt.Errorf("drift: numeric reference has %d bin counts for %d edges", len(r.BinCounts), len(r.Edges))
	case len(r.Values) != len(r.ValueCounts):
		return errors.New("drift: numeric reference values and value counts differ in length")
	case len(r.Values) > 0 && !isStrictlyIncreasing(r.Values):
		return errors.New("drift: numeric reference values are not strictly increasing")
	}
	if s := sumInts(r.BinCounts); s != r.Count {
		return fmt.Errorf("drift: numeric reference bin counts sum to %d, not %d", s, r.Count)
	}
	if len(r.Values) > 0 {
		if s := sumInts(r.ValueCounts); s != r.Count {
			return fmt.Errorf("drift: numeric reference value counts sum to %d, not %d", s, r.Count)
		}
	}
	return nil
}

// CategoricalReference is the reference of one categorical training column:
// the count of every category seen in training and the number of missing
// values.
type CategoricalReference struct {
	// Count is the number of non-missing values, the sum of Counts.
	Count   int            `json:"count"`
	Missing int            `json:"missing"`
	Counts  map[string]int `json:"counts"`
}

// NewCategoricalReference returns the reference with the given category
// counts (copied; zero counts are dropped) and number of missing values. It
// panics on a negative count.
func NewCategoricalReference(counts map[string]int, missing int) *CategoricalReference {
	r := &CategoricalReference{Missing: missing, Counts: make(map[string]int, len(counts))}
	if missing < 0 {
		panic("drift: negative missing count")
	}
	for k, c := range counts {
		if c < 0 {
			panic("drift: negative category count")
		}
		if c > 0 {
			r.Counts[k] = c
			r.Count += c
		}
	}
	return r
}

// Validate reports whether r is internally consistent.
func (r *CategoricalReference) Validate() error {
	if r == nil {
		return errors.New("drift: nil categorical reference")
	}
	total := 0
	for k, c := range r.Counts {
		if c < 0 {
			return fmt.Errorf("drift: negative count for category %q", k)
		}
		total += c
	}
	if total != r.Count || r.Missing < 0 {
		return fmt.Errorf("drift: categorical reference counts sum to %d, not %d", total, r.Count)
	}
	return nil
}

// CountCategories returns the count of each category in values and the
// number of missing values. missing, if not nil, marks the missing rows and
// must have the same length as values (it panics otherwise).
func CountCategories(values []string, missing []bool) (counts map[string]int, nMissing int) {
	if missing != nil && len(missing) != len(values) {
		panic("drift: len(missing) != len(values)")
	}
	counts = make(map[string]int)
	for i, v := range values {
		if missing != nil && missing[i] {
			nMissing++
			continue
		}
		counts[v]++
	}
	return counts, nMissing
}

func isFinite(v float64) bool { return v-v == 0 }

func isStrictlyIncreasing(x []float64) bool {
	for i := 1; i < len(x); i++ {
		if !(x[i] > x[i-1]) {
			return false
		}
	}
	return true
}

func sumInts(x []int) int {
	s := 0
	for _, v := range x {
		s += v
	}
	return s
}

// sum returns the compensated sum of x.
func sum(x []float64) float64 {
	var s, c float64
	for _, v := range x {
		s, c = neumaier(s, c, v)
	}
	return s + c
}

// neumaier adds v to the running sum s with compensation c.
func neumaier(s, c, v float64) (float64, float64) {
	t := s + v
	if math.IsInf(t, 0) {
		return t, 0
	}
	if math.Abs(s) >= math.Abs(v) {
		c += (s - t) + v
	} else {
		c += (v - t) + s
	}
	return t, c
}
