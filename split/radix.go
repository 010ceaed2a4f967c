package split

import "math"

// radixSort sorts keys in increasing order and permutes vals alongside
// (vals may be nil), by a stable least-significant-digit radix sort on
// bytes; passes over a byte that is the same in every key are skipped. It is
// several times faster than a comparison sort on the large inputs the splits
// and checks sort.
func radixSort(keys []uint64, vals []int32) {
	n := len(keys)
	if n < 2 {
		return
	}
	var count [8][256]int
	for _, k := range keys {
		for b := range 8 {
			count[b][byte(k>>(8*b))]++
		}
	}
	tmpKeys := make([]uint64, n)
	var tmpVals []int32
	if vals != nil {
		tmpVals = make([]int32, n)
	}
	src, srcVals, dst, dstVals := keys, vals, tmpKeys, tmpVals
	for b := range 8 {
		c := &count[b]
		if c[byte(keys[0]>>(8*b))] == n {
			continue // every key has this byte
		}
		var offset [256]int
		sum := 0
		for d := range 256 {
			offset[d] = sum
			sum += c[d]
		}
		shift := uint(8 * b)
		for i, k := range src {
			d := byte(k >> shift)
			dst[offset[d]] = k
			if srcVals != nil {
				dstVals[offset[d]] = srcVals[i]
			}
			offset[d]++
		}
		src, srcVals, dst, dstVals = dst, dstVals, src, srcVals
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
		copy(vals, srcVals)
	}
}

// timeKey maps a Unix-nanosecond time to a key whose unsigned order is the
// order of times.
func timeKey(t int64) uint64 { return uint64(t) ^ 1<<63 }

// floatKey maps x (not NaN) to a key whose unsigned order is the order of
// x, with -0 and 0 one key.
func floatKey(x float64) uint64 {
	if x == 0 {
		return 1 << 63
	}
	b := math.Float64bits(x)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}
