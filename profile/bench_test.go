package profile_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/profile"
)

// numericFrame returns a frame of rows×cols numeric columns: normal values,
// every fifth column rounded to integers (ties), two columns with 1% missing
// values, and a last column "y" of 0/1 labels that depends on the first.
func numericFrame(tb testing.TB, rows, cols int, seed uint64) *frame.Frame {
	return numericFrameMissing(tb, rows, cols, seed, false)
}

// numericFrameMissing is numericFrame, with 1% of missing values in every
// column but y when allMissing is set.
func numericFrameMissing(tb testing.TB, rows, cols int, seed uint64, allMissing bool) *frame.Frame {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	names := make([]string, cols)
	columns := make([]frame.Column, cols)
	first := make([]float64, rows)
	for j := range cols {
		v := make([]float64, rows)
		for i := range v {
			x := rng.NormFloat64()
			switch {
			case j == cols-1:
				x = 0
				if first[i]+rng.NormFloat64() > 1 {
					x = 1
				}
			case j%5 == 4:
				x = math.Round(3 * x)
			}
			if (j == 1 || j == 2 || allMissing && j < cols-1) && rng.IntN(100) == 0 {
				x = math.NaN()
			}
			v[i] = x
		}
		if j == 0 {
			copy(first, v)
		}
		names[j] = fmt.Sprintf("x%d", j)
		if j == cols-1 {
			names[j] = "y"
		}
		columns[j] = frame.NewNumeric(v)
	}
	f, err := frame.New(names, columns)
	require.NoError(tb, err)
	return f
}

func BenchmarkCompute(b *testing.B) {
	for _, bc := range []struct {
		name       string
		rows, cols int
		target     string
		allMissing bool
	}{
		{"rows=1e4/cols=20", 10_000, 20, "", false},
		{"rows=1e6/cols=30", 1_000_000, 30, "", false},
		{"rows=1e6/cols=30/target", 1_000_000, 30, "y", false},
		// Every feature with 1% missing: every correlation is over its own
		// rows, so Spearman re-ranks every pair.
		{"rows=1e6/cols=30/missing=all", 1_000_000, 30, "y", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := numericFrameMissing(b, bc.rows, bc.cols, 1, bc.allMissing)
			b.ReportAllocs()
			for b.Loop() {
				profile.Compute(f, profile.Options{Target: bc.target})
			}
		})
	}
}
