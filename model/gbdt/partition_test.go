package gbdt

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPartitionFast checks the vector partition against partitionStable on
// random rows, thresholds and missing values.
func TestPartitionFast(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	const colLen = 5000
	col := make([]uint8, colLen)
	for i := range col {
		col[i] = uint8(r.IntN(256)) // 255: missing
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 1000, colLen} {
		for _, thr := range []uint8{0, 1, 100, 253, 254} {
			for _, missingLeft := range []bool{false, true} {
				pick := r.Perm(colLen)[:n]
				slices.Sort(pick)
				rows := make([]int32, n)
				for i, p := range pick {
					rows[i] = int32(p)
				}
				var tab [256]bool
				for b := range tab {
					tab[b] = b <= int(thr)
				}
				tab[missingBin] = missingLeft
				want := slices.Clone(rows)
				nlWant := partitionStable(want, make([]int32, n), col, &tab)
				got := slices.Clone(rows)
				nlGot := partitionFast(got, make([]int32, n), col, &tab)
				require.Equal(t, nlWant, nlGot, "n=%d thr=%d missingLeft=%v", n, thr, missingLeft)
				require.Equal(t, want, got, "n=%d thr=%d missingLeft=%v", n, thr, missingLeft)
			}
		}
	}
	var tab [256]bool
	for _, bad := range []int32{colLen, -1} {
		rows := []int32{0, 1, 2, 3, 4, 5, bad, 7}
		require.Panics(t, func() { partitionFast(rows, make([]int32, 8), col, &tab) }, "row %d", bad)
	}
}

func BenchmarkPartition(b *testing.B) {
	const n = 160_000
	r := rand.New(rand.NewPCG(1, 2))
	col := make([]uint8, n)
	for i := range col {
		col[i] = uint8(r.IntN(255))
	}
	var tab [256]bool
	for i := range 128 {
		tab[i] = true
	}
	rows0 := make([]int32, 0, n)
	for i := range n {
		if r.IntN(2) == 0 {
			rows0 = append(rows0, int32(i))
		}
	}
	rows, tmp := make([]int32, len(rows0)), make([]int32, len(rows0))
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"stable", func() { partitionStable(rows, tmp, col, &tab) }},
		{"fast", func() { partitionFast(rows, tmp, col, &tab) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				copy(rows, rows0)
				c.fn()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rows)), "ns/row")
		})
	}
}
