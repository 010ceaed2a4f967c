package param

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	n, err := Int("7", 1)
	require.NoError(t, err)
	require.Equal(t, 7, n)
	_, err = Int("0", 1)
	require.EqualError(t, err, "want an integer >= 1")
	_, err = Int("1.5", 0)
	require.Error(t, err)

	x, err := Float("-0.25")
	require.NoError(t, err)
	require.Equal(t, -0.25, x)
	for _, bad := range []string{"NaN", "inf", "-Inf", "x", ""} {
		_, err = Float(bad)
		require.EqualError(t, err, "want a finite number", bad)
	}
	_, err = Positive("0")
	require.EqualError(t, err, "want a finite number > 0")

	for s, want := range map[string]bool{"true": true, "ON": true, "1": true, "yes": true, "false": false, "Off": false, "0": false, "no": false} {
		b, err := Bool(s)
		require.NoError(t, err, s)
		require.Equal(t, want, b, s)
	}
	_, err = Bool("maybe")
	require.EqualError(t, err, "want true or false")

	require.Equal(t, "0.1", Format(0.1))
	require.Equal(t, "1e+21", Format(1e21))
}
