package drift

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFalsePositiveRate checks that samples from one distribution are
// flagged at about the nominal rate, and a planted shift of 0.5 standard
// deviations is flagged, through the whole reference/compare path.
func TestFalsePositiveRate(t *testing.T) {
	t.Parallel()
	const trials = 200
	var ksFlags, wFlags, shiftFlags, wShiftFlags int
	for i := range uint64(trials) {
		// Small reference: KS at p <= 0.05.
		ref := NewNumericReference(normalSample(1000+i, 500, 0, 1), SketchConfig{})
		same, err := CompareNumeric(ref, normalSample(2000+i, 500, 0, 1), Config{})
		require.NoError(t, err)
		require.Equal(t, MethodKS, same.Method)
		if same.Drifted {
			ksFlags++
		}
		shifted, err := CompareNumeric(ref, normalSample(3000+i, 500, 0.5, 1), Config{})
		require.NoError(t, err)
		if shifted.Drifted {
			shiftFlags++
		}

		// Large reference: normalised Wasserstein at 0.1.
		if i%4 == 0 {
			big := NewNumericReference(normalSample(4000+i, 5000, 10, 3), SketchConfig{})
			w, err := CompareNumeric(big, normalSample(5000+i, 2000, 10, 3), Config{})
			require.NoError(t, err)
			require.Equal(t, MethodWasserstein, w.Method)
			if w.Drifted {
				wFlags++
			}
			w, err = CompareNumeric(big, normalSample(6000+i, 2000, 11.5, 3), Config{})
			require.NoError(t, err)
			if w.Drifted {
				wShiftFlags++
			}
		}
	}
	rate := float64(ksFlags) / trials
	require.GreaterOrEqual(t, rate, 0.01, "KS false-positive rate")
	require.LessOrEqual(t, rate, 0.10, "KS false-positive rate")
	require.Equal(t, trials, shiftFlags, "KS misses a 0.5 sd shift")
	require.Equal(t, 0, wFlags, "Wasserstein flags the same distribution")
	require.Equal(t, trials/4, wShiftFlags, "Wasserstein misses a 0.5 sd shift")
	t.Logf("KS false-positive rate %.3f over %d trials", rate, trials)
}
