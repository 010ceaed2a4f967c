package tune_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/tune"
)

func TestImportance(t *testing.T) {
	t.Parallel()
	space := tune.MustSpace(
		tune.FloatParam("x", 0, 1),
		tune.LogFloatParam("y", 1e-3, 1),
		tune.CategoricalParam("z", "a", "b", "c"),
		tune.FixedParam("w", "1"),
		tune.IntParam("k", 1, 5).If("z", "a"),
	)
	var trials []tune.TrialRecord
	for n := range 300 {
		p, err := tune.RandomSampler{Seed: 4}.Sample(space, tune.Minimize, nil, n)
		require.NoError(t, err)
		x, y := num(p, "x"), math.Log10(num(p, "y"))
		v := 10*(x-0.5)*(x-0.5) + 0.5*(y+1.5)*(y+1.5) // z, w and k do not matter
		if n%10 == 0 {
			v = 1e9 // diverged trials do not swamp the estimate: it works on ranks
		}
		trials = append(trials, tune.TrialRecord{Number: n, State: tune.StateComplete, Params: p, Value: v})
	}
	trials = append(trials, tune.TrialRecord{Number: 300, State: tune.StateFailed, Params: tune.Params{"x": "0.5"}})
	imp := tune.Importance(space, trials)
	require.Len(t, imp, 5)
	byName := map[string]tune.ParamImportance{}
	sum := 0.0
	for _, p := range imp {
		byName[p.Name] = p
		sum += p.Importance
	}
	require.InDelta(t, 1, sum, 1e-12)
	require.Equal(t, "x", imp[0].Name, "%+v", imp)
	require.Equal(t, "y", imp[1].Name, "%+v", imp)
	require.Greater(t, byName["x"].Explained, 0.3)
	require.Greater(t, byName["y"].Explained, 0.05)
	require.Less(t, byName["z"].Explained, 0.02, "an irrelevant parameter explains about nothing")
	require.Less(t, byName["k"].Explained, 0.05)
	require.Zero(t, byName["w"].Explained, "a fixed parameter")
	require.Equal(t, 300, byName["x"].Trials, "complete trials only")
	require.InDelta(t, 100, byName["k"].Trials, 25, "a conditional parameter counts the trials where it was active")
}

func TestImportanceFewTrials(t *testing.T) {
	t.Parallel()
	space := tune.MustSpace(tune.FloatParam("x", 0, 1))
	trials := []tune.TrialRecord{
		{Number: 0, State: tune.StateComplete, Params: tune.Params{"x": "0.1"}, Value: 1},
		{Number: 1, State: tune.StateComplete, Params: tune.Params{"x": "0.9"}, Value: 2},
	}
	require.Equal(t, []tune.ParamImportance{{Name: "x", Trials: 2}}, tune.Importance(space, trials))
	require.Equal(t, []tune.ParamImportance{{Name: "x"}}, tune.Importance(space, nil))
}
