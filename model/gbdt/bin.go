package gbdt

import (
	"math"
	"slices"
)

// sortFloats sorts v (without NaN) in increasing order: for long slices, a
// radix sort of the order-preserving integer keys of the floats on their
// top 32 bits (sign, exponent and 20 bits of mantissa), 11 bits a pass,
// then a comparison sort of every run of keys that share those bits — short
// runs for continuous values, where the low 32 bits' three passes would
// cost as much again. keys is scratch of 2*len(v) or nil.
func sortFloats(v []float64, keys []uint64) {
	n := len(v)
	if n < 512 {
		slices.Sort(v)
		return
	}
	if len(keys) < 2*n {
		keys = make([]uint64, 2*n)
	}
	a, b := keys[:n], keys[n:2*n]
	for i, x := range v {
		u := math.Float64bits(x)
		if u>>63 != 0 {
			u = ^u
		} else {
			u |= 1 << 63
		}
		a[i] = u
	}
	var count [2048]int
	for shift := uint(32); shift < 64; shift += 11 {
		clear(count[:])
		for _, u := range a {
			count[(u>>shift)&2047]++
		}
		if count[(a[0]>>shift)&2047] == n {
			continue // every key has the same digit
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for _, u := range a {
			d := (u >> shift) & 2047
			b[count[d]] = u
			count[d]++
		}
		a, b = b, a
	}
	for i := 0; i < n; {
		j := i + 1
		for j < n && a[j]>>32 == a[i]>>32 {
			j++
		}
		if j-i > 1 {
			slices.Sort(a[i:j])
		}
		i = j
	}
	for i, u := range a {
		if u>>63 != 0 {
			u &^= 1 << 63
		} else {
			u = ^u
		}
		v[i] = math.Float64frombits(u)
	}
}

const (
	// missingBin is the bin of missing values in every feature.
	missingBin = 255
	// binSubsample is the number of rows thresholds are computed from, as
	// scikit-learn's _BinMapper(subsample=2e5).
	binSubsample = 200_000
	// almostInf caps thresholds as scikit-learn's ALMOST_INF: +Inf is kept for
	// splits between non-missing and missing values.
	almostInf = 1e300
)

// findThresholds returns the bin thresholds of a numerical feature from its
// non-missing values, as scikit-learn's _find_binning_thresholds: the
// midpoints between consecutive distinct values when there are at most
// maxBins of them, otherwise the maxBins-1 inner quantiles (numpy's
// percentile, method "midpoint"). A value x falls in bin i when
// t[i-1] < x <= t[i]. vals is sorted in place; keys, when not nil, is
// scratch of at least 2*len(vals).
func findThresholds(vals []float64, maxBins int, keys []uint64) []float64 {
	if len(vals) == 0 {
		return nil
	}
	sortFloats(vals, keys)
	distinct := 1
	for i := 1; i < len(vals); i++ {
		if vals[i] != vals[i-1] {
			distinct++
		}
	}
	var t []float64
	if distinct <= maxBins {
		t = make([]float64, 0, distinct-1)
		for i := 1; i < len(vals); i++ {
			if vals[i] != vals[i-1] {
				m := (vals[i-1] + vals[i]) * 0.5
				if m != m { // -Inf and +Inf
					m = 0
				}
				t = append(t, m)
			}
		}
	} else {
		t = make([]float64, maxBins-1)
		n := float64(len(vals) - 1)
		step := 100 / float64(maxBins) // numpy.linspace(0, 100, maxBins+1)
		for i := range t {
			q := float64(i+1) * step / 100
			pos := n * q
			lo, hi := math.Floor(pos), math.Ceil(pos)
			if lo == hi {
				t[i] = vals[int(lo)]
				continue
			}
			a, b := vals[int(lo)], vals[int(lo)+1]
			t[i] = b - (b-a)*0.5 // numpy's _lerp with gamma 0.5
			if t[i] != t[i] {    // a and b equal infinities, or -Inf and +Inf
				t[i] = min(max(a, 0), b)
			}
		}
	}
	for i, v := range t {
		if v > almostInf {
			t[i] = almostInf
		}
	}
	return t
}

// floatKey maps floats to integers in the same order (-0 and +0 to the same
// key, as they compare equal).
func floatKey(x float64) uint64 {
	if x == 0 {
		x = 0
	}
	u := math.Float64bits(x)
	if u>>63 != 0 {
		return ^u
	}
	return u | 1<<63
}

// lutSize is the number of entries of a binner's table: one per 16-bit key
// prefix, and one past the last.
const lutSize = 1<<16 + 1

// binner maps the values of one numerical feature to bins as binOf does,
// faster: a table indexed by the top 16 bits of a value's key gives the
// thresholds that can be below it without a search, leaving a binary search
// over the few thresholds that share its prefix.
type binner struct {
	th  []float64
	lut []uint8 // lut[p]: the number of thresholds whose key prefix is < p
}

// newBinner returns the binner of thresholds th, using lut (lutSize bytes)
// as its table.
func newBinner(th []float64, lut []uint8) binner {
	lut = lut[:lutSize]
	i := 0
	for p := range lut {
		for i < len(th) && int(floatKey(th[i])>>48) < p {
			i++
		}
		lut[p] = uint8(i)
	}
	return binner{th: th, lut: lut}
}

// bin returns the bin of x: the number of thresholds below x, or missingBin
// for NaN.
func (b *binner) bin(x float64) uint8 {
	if x != x {
		return missingBin
	}
	p := floatKey(x) >> 48
	lo, hi := int(b.lut[p]), int(b.lut[p+1])
	return uint8(lo) + binOf(b.th[lo:hi], x)
}

// binOf returns the bin of x for thresholds t: the number of thresholds
// strictly below x, or missingBin for NaN.
func binOf(t []float64, x float64) uint8 {
	if x != x {
		return missingBin
	}
	// Branch-free lower bound: base ends at the first threshold >= x.
	base, n := 0, len(t)
	if n == 0 {
		return 0
	}
	for n > 1 {
		half := n / 2
		if t[base+half-1] < x {
			base += half
		}
		n -= half
	}
	if t[base] < x {
		base++
	}
	return uint8(base)
}
