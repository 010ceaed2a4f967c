package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestScanKernel checks the vector split scan against leftToRightGo, to the
// bit, on random histograms: dense and sparse, with strong and no signal,
// small and large nodes, every end from 1 to 255, ties.
func TestScanKernel(t *testing.T) {
	t.Parallel()
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(11, 12))
	h := (*hist)(newHists(1))
	found := 0
	for trial := range 3000 {
		clear(h[:])
		var G, H, n float64
		sparse := trial%3 == 0
		signal := float64(trial%4) * 0.2
		tie := trial%7 == 0
		for b := range 255 {
			if sparse && r.IntN(4) != 0 {
				continue
			}
			c := float64(1 + r.IntN(60))
			g := c * (signal*(float64(b)/127-1) + r.NormFloat64()*0.1)
			hh := c * (0.05 + 0.2*r.Float64())
			if tie && b%2 == 1 {
				g, hh, c = 0, 0, 0 // empty bins: equal gains on both sides
			}
			h[b] = histBin{g: g, h: hh, n: c}
			G += g
			H += hh
			n += c
		}
		lam := valueEps
		if trial%5 == 0 {
			lam += 1
		}
		sc := scan{G: G, H: H, lam: lam, parent: G * G / (H + lam), n: n, minLeaf: float64([]int{1, 5, 20, 200}[trial%4])}
		end := 1 + r.IntN(255)
		if trial%11 == 0 {
			end = 255
		}
		wg, wb := sc.leftToRightGo(h, end)
		gg, gb := sc.leftToRight(h, end)
		require.Equal(t, wb, gb, "trial %d end %d: bin", trial, end)
		require.Equal(t, math.Float64bits(wg), math.Float64bits(gg), "trial %d end %d: gain %v vs %v", trial, end, wg, gg)
		if wb >= 0 {
			found++
		}
	}
	require.Greater(t, found, 1500, "most trials have a split")
}

func BenchmarkScan(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	h := (*hist)(newHists(1))
	var G, H, n float64
	for i := range 255 {
		c := float64(100 + r.IntN(50))
		g := c * (float64(i-127)/127*0.3 + r.NormFloat64()*0.05)
		h[i] = histBin{g: g, h: c * 0.24, n: c}
		G += g
		H += c * 0.24
		n += c
	}
	sc := scan{G: G, H: H, lam: valueEps, parent: G * G / H, n: n, minLeaf: 20}
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			sc.leftToRightGo(h, 254)
		}
	})
	if useAVX2 {
		b.Run("avx2", func(b *testing.B) {
			for b.Loop() {
				sc.leftToRight(h, 254)
			}
		})
	}
}
