package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuantile(t *testing.T) {
	x := []float64{1, 2, 4, 8}
	// numpy.quantile([1, 2, 4, 8], q) for these q:
	for q, want := range map[float64]float64{0: 1, 0.25: 1.75, 0.5: 3, 0.9: 6.8, 0.99: 7.88, 1: 8} {
		require.InDelta(t, want, Quantile(x, q), 1e-12, "q=%v", q)
	}
	require.Equal(t, 5.0, Quantile([]float64{5}, 0.3))
	require.True(t, math.IsNaN(Quantile(nil, 0.5)))
	// numpy's lerp: 0.1 + 0.7*(0.3-0.1) rounds to 0.24000000000000002; the
	// b - (b-a)*(1-g) branch gives the same bits numpy gives.
	require.Equal(t, 0.24, Quantile([]float64{0.1, 0.3}, 0.7))
}

// TestHash64 checks the hash against values computed in Python from the
// definitions (FNV-1a 64, MurmurHash3's fmix64), for strings and bytes.
func TestHash64(t *testing.T) {
	for s, want := range map[string]uint64{"": 17280346270528514342, "user-1": 4729620347622785477, "42": 9298553800152202476} {
		require.Equal(t, want, Hash64(s), "%q", s)
		require.Equal(t, want, Hash64([]byte(s)), "%q as bytes", s)
	}
}
