package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// expLane is the exponential of logisticAVX2, operation for operation.
func expLane(x float64) float64 {
	const (
		log2e = 1.44269504088896338700e+00
		magic = 0x1.8p52
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
	)
	t := float64(x*log2e) + magic
	k := t - magic
	r := math.FMA(-k, ln2Hi, x)
	r = math.FMA(-k, ln2Lo, r)
	p := 1.0 / 6227020800
	for _, c := range []float64{1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320,
		1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		p = math.FMA(p, r, c)
	}
	scale := math.Float64frombits((math.Float64bits(t) + 1023) << 52)
	return p * scale
}

// logisticLanes is logisticAVX2 in Go, the reference the kernel is tested
// against to the bit.
func logisticLanes(raw, y []float64, gh []gpair, acc *[8]float64) {
	for j, r := range raw {
		l := j & 3
		x := max(-math.Abs(r), -708)
		e := expLane(x)
		ope := 1 + e
		acc[4+l] *= ope
		num := e
		if r >= 0 {
			num = 1
		}
		p := num / ope
		gh[j] = gpair{float32(p - y[j]), float32(p * (1 - p))}
		acc[l] += max(r, 0) - float64(y[j]*r)
	}
}

func TestExpLane(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	var worst uint64
	for i := range 1_000_000 {
		x := -r.Float64() * 708
		if i%2 == 0 {
			x = -r.ExpFloat64()
		}
		got, want := expLane(x), math.Exp(x)
		d := ulps(got, want)
		require.LessOrEqual(t, d, uint64(2), "exp(%v) = %v, math.Exp %v", x, got, want)
		worst = max(worst, d)
	}
	t.Logf("largest difference from math.Exp: %d ulps", worst)
}

func TestLogisticKernel(t *testing.T) {
	t.Parallel()
	if !useLogisticAsm {
		t.Skip("no AVX2 and FMA")
	}
	r := rand.New(rand.NewPCG(5, 6))
	edges := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 707.9, -707.9, 708, -708, 708.5, -708.5, 745, -745, 800, -800, 1e10, -1e10, 36.7, -36.7}
	for _, n := range []int{4, 8, 64, 124, 128} {
		raw, y := make([]float64, n), make([]float64, n)
		for i := range raw {
			raw[i] = r.NormFloat64() * 4
			if i < len(edges) && n == 128 {
				raw[i] = edges[i]
			}
			y[i] = float64(r.IntN(2))
		}
		got, want := make([]gpair, n), make([]gpair, n)
		accGot := [8]float64{0.5, -1, 2, 0, 1, 3, 1, 1.5}
		accWant := accGot
		logisticAVX2(&raw[0], &y[0], &got[0], n, &accGot)
		logisticLanes(raw, y, want, &accWant)
		for i := range got {
			require.Equal(t, math.Float32bits(want[i].g), math.Float32bits(got[i].g), "n=%d row %d (raw %v): gradient", n, i, raw[i])
			require.Equal(t, math.Float32bits(want[i].h), math.Float32bits(got[i].h), "n=%d row %d (raw %v): hessian", n, i, raw[i])
		}
		for l := range accGot {
			require.Equal(t, math.Float64bits(accWant[l]), math.Float64bits(accGot[l]), "n=%d accumulator %d", n, l)
		}
	}
}

// TestLogisticBlocks checks the kernel's path against the scalar one: the
// same gradients up to a float32 ulp or two, the same loss to 1e-12.
func TestLogisticBlocks(t *testing.T) {
	t.Parallel()
	if !useLogisticAsm {
		t.Skip("no AVX2 and FMA")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 3, 4, 127, 128, 129, 1000, 8191} {
		raw, y := make([]float64, n), make([]float64, n)
		for i := range raw {
			raw[i] = r.NormFloat64() * 5
			y[i] = float64(r.IntN(2))
		}
		got, want := make([]gpair, n), make([]gpair, n)
		lg := logisticBlocks(raw, y, got)
		lw := logisticRows(raw, y, nil, want)
		require.InEpsilon(t, lw, lg, 1e-12, "n=%d: loss", n)
		for i := range got {
			require.InDelta(t, want[i].g, got[i].g, 2e-7*max(1, math.Abs(float64(want[i].g))), "n=%d row %d", n, i)
			require.InDelta(t, want[i].h, got[i].h, 2e-7, "n=%d row %d", n, i)
		}
	}
}

func BenchmarkLogistic(b *testing.B) {
	const n = 8192
	r := rand.New(rand.NewPCG(1, 2))
	raw, y, gh := make([]float64, n), make([]float64, n), make([]gpair, n)
	for i := range raw {
		raw[i] = r.NormFloat64() * 3
		y[i] = float64(r.IntN(2))
	}
	b.Run("rows", func(b *testing.B) {
		for b.Loop() {
			logisticRows(raw, y, nil, gh)
		}
	})
	if useLogisticAsm {
		b.Run("blocks", func(b *testing.B) {
			for b.Loop() {
				logisticBlocks(raw, y, gh)
			}
		})
	}
}
