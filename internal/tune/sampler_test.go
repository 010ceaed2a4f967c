package tune_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/tune"
)

// samplers returns one sampler of each kind, seeded.
func samplers(seed uint64) map[string]tune.Sampler {
	return map[string]tune.Sampler{
		"random":       tune.RandomSampler{Seed: seed},
		"grid":         tune.GridSampler{Points: 3},
		"tpe":          tune.TPESampler{Seed: seed},
		"tpe-mv":       tune.TPESampler{Seed: seed, Multivariate: true},
		"tpe-noliar":   tune.TPESampler{Seed: seed, DisableConstantLiar: true},
		"tpe-startup3": tune.TPESampler{Seed: seed, StartupTrials: 3, Candidates: 8, PriorWeight: 0.5},
	}
}

// study runs a serial study of n trials of f with the sampler and returns
// its trials.
func study(t *testing.T, f synthetic, s tune.Sampler, n int) []tune.TrialRecord {
	t.Helper()
	st, err := tune.NewStudy(t.Context(), tune.Config{Space: f.space, Sampler: s, Trials: n})
	require.NoError(t, err)
	res, err := st.Optimize(t.Context(), func(_ context.Context, tr *tune.Trial) (float64, error) { return f.f(tr.Params), nil })
	require.NoError(t, err)
	return res.Trials
}

func paramsOf(trials []tune.TrialRecord) []tune.Params {
	out := make([]tune.Params, len(trials))
	for i, t := range trials {
		out[i] = t.Params
	}
	return out
}

func TestSamplersDeterministic(t *testing.T) {
	t.Parallel()
	for name := range samplers(0) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := syntheticSet()[3] // mixed: categorical, conditional, log, int
			a := paramsOf(study(t, f, samplers(7)[name], 30))
			b := paramsOf(study(t, f, samplers(7)[name], 30))
			require.Equal(t, a, b, "same seed, same sequence")
			if name != "grid" {
				c := paramsOf(study(t, f, samplers(8)[name], 30))
				require.NotEqual(t, a, c, "another seed, another sequence")
			}
		})
	}
}

func TestSamplersConditionalOnlyWhenActive(t *testing.T) {
	t.Parallel()
	for name := range samplers(0) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := syntheticSet()[3]
			kernels := map[string]int{}
			for _, tr := range study(t, f, samplers(3)[name], 40) {
				p := tr.Params
				require.NoError(t, f.space.Check(p), "trial %d: %v", tr.Number, p)
				_, hasGamma := p["gamma"]
				_, hasDegree := p["degree"]
				require.Equal(t, p["kernel"] == "rbf", hasGamma, "%v", p)
				require.Equal(t, p["kernel"] == "poly", hasDegree, "%v", p)
				kernels[p["kernel"]]++
			}
			require.Len(t, kernels, 3, "every kernel is tried: %v", kernels)
		})
	}
}

func TestTPEStartupIsRandom(t *testing.T) {
	t.Parallel()
	f := syntheticSet()[0]
	tpe := paramsOf(study(t, f, tune.TPESampler{Seed: 5}, 12))
	rnd := paramsOf(study(t, f, tune.RandomSampler{Seed: 5}, 12))
	require.Equal(t, rnd[:10], tpe[:10], "the 10 startup trials are the random sampler's")
	require.NotEqual(t, rnd[10:], tpe[10:])
}

func TestRandomSamplerCoversRange(t *testing.T) {
	t.Parallel()
	s := tune.MustSpace(tune.IntParam("i", 1, 4), tune.LogIntParam("li", 1, 3), tune.LogFloatParam("lf", 1e-4, 1),
		tune.Param{Name: "st", Type: tune.Int, Low: 0, High: 10, Step: 5})
	seen := map[string]map[string]int{"i": {}, "li": {}, "st": {}}
	decades := map[int]int{}
	for n := range 2000 {
		p, err := tune.RandomSampler{Seed: 1}.Sample(s, tune.Minimize, nil, n)
		require.NoError(t, err)
		require.NoError(t, s.Check(p))
		for k := range seen {
			seen[k][p[k]]++
		}
		lf, err := p.Float("lf")
		require.NoError(t, err)
		d := 0
		for v := lf; v < 1 && d < 5; v *= 10 {
			d++
		}
		decades[d]++
	}
	require.Len(t, seen["i"], 4)
	for _, v := range []string{"1", "2", "3", "4"} {
		require.InDelta(t, 500, seen["i"][v], 100, "uniform over the integers, ends included: %v", seen["i"])
	}
	require.Len(t, seen["li"], 3)
	require.Greater(t, seen["li"]["1"], seen["li"]["3"], "log-uniform favours small values: %v", seen["li"])
	require.Equal(t, 3, len(seen["st"]), "the step grid 0, 5, 10: %v", seen["st"])
	for d := 1; d <= 4; d++ {
		require.InDelta(t, 500, decades[d], 100, "log-uniform: each decade as likely: %v", decades)
	}
}

func TestGridCoversEveryPoint(t *testing.T) {
	t.Parallel()
	space := tune.MustSpace(
		tune.CategoricalParam("c", "a", "b", "c"),
		tune.IntParam("i", 1, 3),
		tune.FloatParam("f", 0, 1),
		tune.FixedParam("x", "9"),
	)
	g := tune.GridSampler{Points: 3}
	require.Equal(t, 27, g.Size(space))
	st, err := tune.NewStudy(t.Context(), tune.Config{Space: space, Sampler: g})
	require.NoError(t, err)
	res, err := st.Optimize(t.Context(), func(context.Context, *tune.Trial) (float64, error) { return 0, nil })
	require.NoError(t, err)
	require.Equal(t, tune.StopExhausted, res.Stop)
	require.Len(t, res.Trials, 27)
	seen := map[string]bool{}
	for _, tr := range res.Trials {
		require.False(t, seen[tr.Params.Key()], "point %v twice", tr.Params)
		seen[tr.Params.Key()] = true
		require.Equal(t, "9", tr.Params["x"])
	}
	// The fixed order: the first parameter varies slowest.
	require.Equal(t, tune.Params{"c": "a", "i": "1", "f": "0", "x": "9"}, res.Trials[0].Params)
	require.Equal(t, tune.Params{"c": "a", "i": "1", "f": "0.5", "x": "9"}, res.Trials[1].Params)
	require.Equal(t, tune.Params{"c": "c", "i": "3", "f": "1", "x": "9"}, res.Trials[26].Params)
	_, err = g.Sample(space, tune.Minimize, res.Trials, 27)
	require.ErrorIs(t, err, tune.ErrExhausted)
}

func TestGridSkipsTriedPoints(t *testing.T) {
	t.Parallel()
	space := tune.MustSpace(tune.CategoricalParam("c", "a", "b", "c"))
	history := []tune.TrialRecord{
		{Number: 0, State: tune.StateFailed, Params: tune.Params{"c": "a"}},
		{Number: 1, State: tune.StateRunning, Params: tune.Params{"c": "c"}},
		{Number: 2, State: tune.StateRunning}, // no params yet: ignored
	}
	p, err := tune.GridSampler{}.Sample(space, tune.Minimize, history, 3)
	require.NoError(t, err)
	require.Equal(t, tune.Params{"c": "b"}, p, "failed and running points count as tried")
}

func TestGridConditional(t *testing.T) {
	t.Parallel()
	g := tune.GridSampler{Points: 2}
	// linear: C×2; rbf: C×2 · gamma×2; poly: C×2 · degree×2 (2 and 5).
	require.Equal(t, 2+4+4, g.Size(svmSpace()))
	var pts []string
	var history []tune.TrialRecord
	for n := 0; ; n++ {
		p, err := g.Sample(svmSpace(), tune.Minimize, history, n)
		if err != nil {
			require.ErrorIs(t, err, tune.ErrExhausted)
			break
		}
		require.NoError(t, svmSpace().Check(p))
		pts = append(pts, fmt.Sprint(p))
		history = append(history, tune.TrialRecord{Number: n, State: tune.StateComplete, Params: p})
	}
	require.Equal(t, []string{
		"map[C:0.001 kernel:linear]", "map[C:1000 kernel:linear]",
		"map[C:0.001 gamma:0.0001 kernel:rbf]", "map[C:0.001 gamma:10 kernel:rbf]",
		"map[C:1000 gamma:0.0001 kernel:rbf]", "map[C:1000 gamma:10 kernel:rbf]",
		"map[C:0.001 degree:2 kernel:poly]", "map[C:0.001 degree:5 kernel:poly]",
		"map[C:1000 degree:2 kernel:poly]", "map[C:1000 degree:5 kernel:poly]",
	}, pts)
}

func TestGridValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		p      tune.Param
		points int
		want   []string
	}{
		{"float", tune.FloatParam("a", 0, 1), 5, []string{"0", "0.25", "0.5", "0.75", "1"}},
		{"log float", tune.LogFloatParam("a", 1e-4, 1), 5, []string{"0.0001", "0.001", "0.01", "0.1", "1"}},
		{"one point", tune.FloatParam("a", 0, 1), 1, []string{"0.5"}},
		{"default points", tune.FloatParam("a", 0, 4), 0, []string{"0", "1", "2", "3", "4"}},
		{"small int range", tune.IntParam("a", 1, 3), 5, []string{"1", "2", "3"}},
		{"int range", tune.IntParam("a", 0, 100), 3, []string{"0", "50", "100"}},
		{"log int dedup", tune.LogIntParam("a", 1, 4), 7, []string{"1", "2", "3", "4"}},
		{"stepped", tune.Param{Name: "a", Type: tune.Int, Low: 0, High: 20, Step: 10}, 5, []string{"0", "10", "20"}},
		{"fixed", tune.FloatParam("a", 2, 2), 5, []string{"2"}},
		{"categorical", tune.CategoricalParam("a", "x", "y"), 5, []string{"x", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tune.GridSampler{Points: tt.points}.Values(&tt.p))
		})
	}
}
