package tune_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/stat/distuv"

	"mlw.dev/internal/tune"
)

func TestGamma(t *testing.T) {
	t.Parallel()
	// Optuna's default_gamma: min(ceil(0.1 n), 25).
	for n, want := range map[int]int{0: 0, 1: 1, 10: 1, 11: 2, 40: 4, 245: 25, 1000: 25} {
		require.Equal(t, want, tune.Gamma(n), "n=%d", n)
	}
}

func TestKernelWeights(t *testing.T) {
	t.Parallel()
	require.Empty(t, tune.KernelWeights(0))
	require.Equal(t, []float64{1, 1, 1}, tune.KernelWeights(3))
	require.Equal(t, slices.Repeat([]float64{1}, 25), tune.KernelWeights(25))
	// Optuna's default_weights(28): np.linspace(1/28, 1, 3) then 25 ones.
	w := tune.KernelWeights(28)
	require.Len(t, w, 28)
	for i, want := range []float64{1.0 / 28, (1.0/28 + 1) / 2, 1} {
		require.InDelta(t, want, w[i], 1e-15)
	}
	require.Equal(t, slices.Repeat([]float64{1}, 25), w[3:])
}

func TestNumericKernels(t *testing.T) {
	t.Parallel()
	// Hand-computed with Optuna's rules on [0, 1], observations 0.2, 0.5, 0.9:
	// sorted with the prior centre 0.5 and the bounds: 0 | 0.2 0.5 0.5(prior) 0.9 | 1.
	// Widths: the larger gap to a neighbour (0.3, 0.3, -, 0.4), the end
	// kernels measured inwards only; clipped to [1/min(100, 3+2), 1].
	mu, sigma := tune.NumericKernels(0, 1, []float64{0.2, 0.5, 0.9}, 1, false)
	require.Equal(t, []float64{0.2, 0.5, 0.9, 0.5}, mu)
	requireClose(t, []float64{0.3, 0.3, 0.4, 1}, sigma)

	// Magic clip: close observations get at least range/(n+2).
	_, sigma = tune.NumericKernels(0, 10, []float64{5, 5.01, 5.02}, 1, false)
	requireClose(t, []float64{2, 2, 2, 10}, sigma)

	// Multivariate: 0.2·n^(-1/(d+4))·range, then the clip.
	_, sigma = tune.NumericKernels(0, 100, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 2, true)
	want := 0.2 * math.Pow(20, -1.0/6) * 100
	require.InDelta(t, want, sigma[0], 1e-12)
	require.InDelta(t, want, sigma[19], 1e-12)
	require.Equal(t, 100.0, sigma[20])

	// No observations: the prior alone.
	mu, sigma = tune.NumericKernels(-1, 3, nil, 1, false)
	require.Equal(t, []float64{1}, mu)
	require.Equal(t, []float64{4}, sigma)

	// Int [1, 5]: the range counts one step more (5), bounds widened by half a step.
	mu, sigma = tune.DiscreteKernels(1, 5, 1, []float64{1, 5})
	require.Equal(t, []float64{1, 5, 3}, mu)
	requireClose(t, []float64{2, 2, 5}, sigma)
}

func TestCategoricalKernels(t *testing.T) {
	t.Parallel()
	// Observations 0 and 2 of 3 choices, prior weight 1: each kernel puts 1
	// on its choice plus 1/3 everywhere; the prior kernel is uniform.
	lp := tune.CategoricalKernels([]float64{0, 2}, 3, 1)
	require.Len(t, lp, 3)
	want := [][]float64{{2.0 / 3, 1.0 / 6, 1.0 / 6}, {1.0 / 6, 1.0 / 6, 2.0 / 3}, {1.0 / 3, 1.0 / 3, 1.0 / 3}}
	for k := range want {
		for c := range want[k] {
			require.InDelta(t, want[k][c], math.Exp(lp[k][c]), 1e-15)
		}
	}
}

func TestLogNormMass(t *testing.T) {
	t.Parallel()
	n := distuv.UnitNormal
	for _, ab := range [][2]float64{{-1, 1}, {-3, -2}, {2, 3}, {-0.1, 0.05}, {0, 8}, {-8, 0}, {5, 6}} {
		want := math.Log(n.CDF(ab[1]) - n.CDF(ab[0]))
		require.True(t, scalar.EqualWithinAbsOrRel(want, tune.LogNormMass(ab[0], ab[1]), 1e-9, 1e-9), "%v: %g", ab, tune.LogNormMass(ab[0], ab[1]))
	}
	// Far tails: finite, and decreasing further out.
	prev := 0.0
	for _, a := range []float64{10, 40, 100, 1000} {
		v := tune.LogNormMass(a, a+1)
		require.False(t, math.IsInf(v, 0) || math.IsNaN(v), "a=%g", a)
		require.Less(t, v, prev)
		prev = v
		require.Equal(t, v, tune.LogNormMass(-a-1, -a), "symmetric")
	}
	// The tail series against mpmath 1.3 (50 digits): log(ncdf(-40)), log(ncdf(-30)).
	require.InDelta(t, -804.60844201375378816, tune.LogNormMass(40, math.Inf(1)), 1e-9)
	require.InDelta(t, -454.32124395634319711, tune.LogNormMass(30, math.Inf(1)), 1e-9)
	require.InDelta(t, -454.32124395634319711, tune.LogNormMass(math.Inf(-1), -30), 1e-9)
}

func TestTruncNormal(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ mu, sigma, lo, hi float64 }{{0, 1, -1, 1}, {0.9, 0.01, 0, 1}, {0, 100, -1, 1}, {5, 0.001, 5, 5.0001}} {
		sum := 0.0
		for range 2000 {
			x := tune.TruncNormal(rng, c.mu, c.sigma, c.lo, c.hi)
			require.GreaterOrEqual(t, x, c.lo)
			require.LessOrEqual(t, x, c.hi)
			sum += x
		}
		if c.sigma == 100 {
			require.InDelta(t, 0, sum/2000, 0.05, "a wide kernel is uniform over the bounds")
		}
	}
}

// TestTPEConcentrates checks that TPE's proposals gather at the optimum,
// in linear and in log scale, where random search's do not.
func TestTPEConcentrates(t *testing.T) {
	t.Parallel()
	f := synthetic{
		name:  "1d",
		space: tune.MustSpace(tune.FloatParam("x", -10, 10), tune.LogFloatParam("lr", 1e-6, 1)),
		f: func(p tune.Params) float64 {
			x, lr := num(p, "x"), math.Log10(num(p, "lr"))
			return (x-3.3)*(x-3.3) + (lr+3)*(lr+3)
		},
	}
	spread := func(s tune.Sampler) (dx, dlr float64) {
		trials := study(t, f, s, 80)
		for _, tr := range trials[60:] {
			dx += math.Abs(num(tr.Params, "x")-3.3) / 20
			dlr += math.Abs(math.Log10(num(tr.Params, "lr"))+3) / 20
		}
		return dx, dlr
	}
	for seed := range uint64(3) {
		tx, tlr := spread(tune.TPESampler{Seed: seed})
		t.Logf("seed %d: tpe %.3f %.3f", seed, tx, tlr)
		rx, rlr := spread(tune.RandomSampler{Seed: seed})
		t.Logf("seed %d: random %.3f %.3f", seed, rx, rlr)
		require.Less(t, tx, 2.5, "TPE's trials 60-80 are near x=3.3 (random: %.2f)", rx)
		require.Less(t, tlr, 1.0, "and within a decade of lr=1e-3 (random: %.2f)", rlr)
		require.Greater(t, rx, 2.5*tx)
		require.Greater(t, rlr, 2.5*tlr)
	}
}

// TestConstantLiar checks that pending trials push TPE's next proposals
// apart: eight workers asking at once, each seeing the others' running
// trials, spread out; without the liar they pile up near the same point.
func TestConstantLiar(t *testing.T) {
	t.Parallel()
	space := tune.MustSpace(tune.FloatParam("x", 0, 1))
	// 30 finished trials of (x-0.5)²: a sharp good region at 0.5.
	var done []tune.TrialRecord
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range 30 {
		x := rng.Float64()
		done = append(done, tune.TrialRecord{Number: i, State: tune.StateComplete, Params: tune.Params{"x": strconv.FormatFloat(x, 'g', -1, 64)}, Value: (x - 0.5) * (x - 0.5)})
	}
	propose := func(s tune.TPESampler) []float64 {
		history := slices.Clone(done)
		var xs []float64
		for range 8 {
			n := len(history)
			p, err := s.Sample(space, tune.Minimize, history, n)
			require.NoError(t, err)
			history = append(history, tune.TrialRecord{Number: n, State: tune.StateRunning, Params: p})
			xs = append(xs, num(p, "x"))
		}
		return xs
	}
	var withLiar, without float64
	for seed := range uint64(10) {
		withLiar += minGap(propose(tune.TPESampler{Seed: seed}))
		without += minGap(propose(tune.TPESampler{Seed: seed, DisableConstantLiar: true}))
	}
	require.Greater(t, withLiar, 2*without, "mean smallest gap between 8 parallel proposals: %.4f with the liar, %.4f without", withLiar/10, without/10)
}

// minGap returns the smallest distance between two of xs.
func minGap(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	gap := math.Inf(1)
	for i := 1; i < len(s); i++ {
		gap = min(gap, s[i]-s[i-1])
	}
	return gap
}

// TestTPEPrunedTrials checks that pruned trials inform TPE: with only pruned
// trials (no complete one), the good group is the trials that got furthest.
func TestTPEPrunedTrials(t *testing.T) {
	t.Parallel()
	space := tune.MustSpace(tune.FloatParam("x", 0, 1))
	var history []tune.TrialRecord
	for i := range 20 {
		x := float64(i) / 19
		steps := 1
		if x > 0.8 {
			steps = 10 // the trials near 1 ran longest
		}
		var iv []tune.StepValue
		for s := range steps {
			iv = append(iv, tune.StepValue{Step: s, Value: 1})
		}
		history = append(history, tune.TrialRecord{Number: i, State: tune.StatePruned, Params: tune.Params{"x": strconv.FormatFloat(x, 'g', -1, 64)}, Intermediate: iv, Value: 1})
	}
	sum := 0.0
	for n := range 20 {
		p, err := tune.TPESampler{Seed: 1}.Sample(space, tune.Minimize, history, 20+n)
		require.NoError(t, err)
		sum += num(p, "x")
	}
	require.Greater(t, sum/20, 0.75, "proposals follow the pruned trials that went furthest")
}

func requireClose(t *testing.T, want, got []float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-12, "index %d: %v", i, got)
	}
}
