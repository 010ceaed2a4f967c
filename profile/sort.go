package profile

import (
	"math"
	"sync"
	"sync/atomic"
)

// floatKey maps a float64 that is not NaN to a uint64 with the same order;
// -0 must have been replaced by 0.
func floatKey(v float64) uint64 {
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

const (
	radixBits   = 11
	radixBins   = 1 << radixBits
	radixPasses = (64 + radixBits - 1) / radixBits
)

// radixSort sorts keys in ascending order and permutes idx alongside; it is
// stable, so equal keys keep the order of their indices. tk and ti are
// scratch of the same length. It returns the sorted slices, which are either
// the inputs or the scratch. Passes whose digit is the same for every key are
// skipped.
func radixSort(keys []uint64, idx []uint32, tk []uint64, ti []uint32) ([]uint64, []uint32) {
	n := len(keys)
	if n < 2 {
		return keys, idx
	}
	var counts [radixPasses][radixBins]uint32
	for _, k := range keys {
		for p := range radixPasses {
			counts[p][(k>>(p*radixBits))&(radixBins-1)]++
		}
	}
	for p := range radixPasses {
		shift := uint(p * radixBits)
		c := &counts[p]
		if c[(keys[0]>>shift)&(radixBins-1)] == uint32(n) {
			continue
		}
		var sum uint32
		for d := range c {
			c[d], sum = sum, sum+c[d]
		}
		tk, ti = tk[:n], ti[:n]
		for j, k := range keys {
			d := (k >> shift) & (radixBins - 1)
			pos := c[d]
			c[d]++
			tk[pos] = k
			ti[pos] = idx[j]
		}
		keys, tk = tk, keys
		idx, ti = ti, idx
	}
	return keys, idx
}

// parallel calls task(w, i) for every i in [0, n) on at most workers
// goroutines; w in [0, workers) identifies the goroutine, for per-worker
// scratch. Tasks are taken in increasing order of i.
func parallel(workers, n int, task func(w, i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			task(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				task(w, i)
			}
		})
	}
	wg.Wait()
}
