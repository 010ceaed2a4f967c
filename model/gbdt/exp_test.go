package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps returns how many float64 values lie between a and b (both positive
// or zero).
func ulps(a, b float64) uint64 {
	x, y := math.Float64bits(a), math.Float64bits(b)
	if x > y {
		return x - y
	}
	return y - x
}

func TestExpNonPos(t *testing.T) {
	for _, x := range []float64{0, math.Copysign(0, -1), -1e-300, -1e-17, -0.5 * math.Ln2, -math.Ln2, -1, -20, -707.9, -708, -708.01, -744, -745.2, -800, math.Inf(-1), 1, 709, math.NaN()} {
		got, want := expNonPos(x), math.Exp(x)
		if math.IsNaN(want) {
			if !math.IsNaN(got) {
				t.Errorf("expNonPos(%g) = %g, want NaN", x, got)
			}
			continue
		}
		if d := ulps(got, want); d > 2 {
			t.Errorf("expNonPos(%g) = %g, math.Exp %g: %d ulps apart", x, got, want, d)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	var worst uint64
	for i := range 2_000_000 {
		var x float64
		switch i % 3 {
		case 0:
			x = -r.Float64() * 710
		case 1:
			x = -r.Float64() * 20
		default:
			x = -r.ExpFloat64() * 1e-3
		}
		got, want := expNonPos(x), math.Exp(x)
		if d := ulps(got, want); d > worst {
			worst = d
			if d > 2 {
				t.Fatalf("expNonPos(%v) = %v, math.Exp %v: %d ulps apart", x, got, want, d)
			}
		}
	}
	t.Logf("largest difference from math.Exp: %d ulps", worst)
}

func BenchmarkExp(b *testing.B) {
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = -float64(i%97) / 13
	}
	var s float64
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for _, x := range xs {
				s += math.Exp(x)
			}
		}
	})
	b.Run("expNonPos", func(b *testing.B) {
		for b.Loop() {
			for _, x := range xs {
				s += expNonPos(x)
			}
		}
	})
	if s == 0 {
		b.Fatal("no sum")
	}
}
