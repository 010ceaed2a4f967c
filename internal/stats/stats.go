// Package stats holds small statistics shared by mlw's packages, written
// once so that every report computes them alike.
package stats

import "math"

// Quantile returns the q-quantile (0 <= q <= 1) of the sorted values x
// exactly as numpy.quantile(x, q) with its default method 'linear': with
// h = (n−1)·q and k = ⌊h⌋, x[k] + (h−k)·(x[k+1]−x[k]), interpolated as
// numpy's _lerp does for the same rounding. It returns NaN for no values.
func Quantile(x []float64, q float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * q
	if h >= float64(n-1) {
		return x[n-1]
	}
	if h <= 0 {
		return x[0]
	}
	k := math.Floor(h)
	g := h - k
	a, b := x[int(k)], x[int(k)+1]
	// The conversions forbid fused multiply-adds, which numpy does not use.
	if g >= 0.5 {
		return b - float64((b-a)*(1-g))
	}
	return a + float64((b-a)*g)
}

// Hash64 hashes a key, a string or its bytes: FNV-1a, then MurmurHash3's
// 64-bit finaliser, so that every bit of the key moves every bit of the
// hash. The same key always gets the same hash, in every process: serving
// assigns sticky A/B variants with it and monitoring samples requests.
func Hash64[T string | []byte](s T) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return Mix64(h)
}

// Mix64 is MurmurHash3's 64-bit finaliser.
func Mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
