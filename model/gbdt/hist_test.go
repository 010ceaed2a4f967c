package gbdt

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHistKernelsAgree checks that the kernels in use (AVX2 where the
// processor has it) give the Go kernels' sums to the bit.
func TestHistKernelsAgree(t *testing.T) {
	t.Parallel()
	r := newRNG(3, 3)
	n := 5000
	bins := make([]uint8, 4*n)
	for i := range bins {
		bins[i] = uint8(r.intn(256))
	}
	gh := make([]gpair, n)
	for i := range gh {
		gh[i] = gpair{float32(r.float64()*2 - 1), float32(r.float64())}
	}
	cols := [4][]uint8{bins[:n], bins[n : 2*n], bins[2*n : 3*n], bins[3*n:]}
	var rows []int32
	for i := range n {
		if r.intn(3) == 0 {
			rows = append(rows, int32(i))
		}
	}
	ogh := make([]gpair, len(rows))
	for j, i := range rows {
		ogh[j] = gh[i]
	}
	newSet := func() *[4]*hist {
		var hs [4]*hist
		for k := range hs {
			hs[k] = (*hist)(newHists(1))
		}
		return &hs
	}
	for _, tc := range []struct {
		name   string
		got    func(hs *[4]*hist)
		want   func(hs *[4]*hist)
		shared bool
	}{
		{"identity", func(hs *[4]*hist) { histIdentity4(hs, &cols, gh) }, func(hs *[4]*hist) { histIdentity4Go(hs, &cols, gh) }, false},
		{"rows", func(hs *[4]*hist) { histRows4(hs, &cols, rows, ogh) }, func(hs *[4]*hist) { histRows4Go(hs, &cols, rows, ogh) }, false},
		{"rows into one histogram", func(hs *[4]*hist) { histRows4(hs, &cols, rows, ogh) }, func(hs *[4]*hist) { histRows4Go(hs, &cols, rows, ogh) }, true},
	} {
		got, want := newSet(), newSet()
		if tc.shared { // padded groups send two lanes to the same histogram
			got[3], want[3] = got[2], want[2]
		}
		tc.got(got)
		tc.want(want)
		for k := range got {
			require.Equal(t, *want[k], *got[k], "%s: feature %d", tc.name, k)
		}
	}
	// Subtraction, vector and Go.
	a, b := newSet(), newSet()
	histIdentity4Go(a, &cols, gh)
	histRows4Go(b, &cols, rows, ogh)
	want := *a[0]
	for i := range want {
		want[i].g -= b[0][i].g
		want[i].h -= b[0][i].h
		want[i].n -= b[0][i].n
	}
	subHist(a[0], b[0])
	require.Equal(t, want, *a[0])

	var hs [4]*hist
	for k := range hs {
		hs[k] = new(hist)
	}
	require.Panics(t, func() { histRows4(&hs, &cols, []int32{0, int32(n)}, ogh) })
	require.Panics(t, func() { histRows4(&hs, &cols, []int32{-1}, ogh) })
	t.Logf("AVX2 kernels: %v", useAVX2)
}
