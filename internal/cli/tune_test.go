package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTuneRecordsTrialsAndRefitsTheBest(t *testing.T) {
	t.Parallel()
	dir, split := irisProject(t)
	r := run(t, dir, nil, "tune", "--dataset", "iris", "--split", split, "--model", "logistic", "--search", "random",
		"--trials", "6", "--cv", "3", "--metric", "accuracy", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var out struct {
		Study      string
		BestParams map[string]string `json:"best_params"`
		BestScore  float64           `json:"best_score"`
		BestRunID  string            `json:"best_run_id"`
		Trials     []struct {
			Number int
			State  string
			Params map[string]string
			Value  *float64
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Len(t, out.Trials, 6)
	require.Contains(t, out.BestParams, "C")
	require.Greater(t, out.BestScore, 0.8)
	best := out.BestScore
	for _, tr := range out.Trials {
		if tr.State == "complete" {
			require.LessOrEqual(t, *tr.Value, best)
		}
	}
	r = run(t, dir, nil, "runs", "show", out.BestRunID, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var refit struct {
		ParentID string `json:"parent_id"`
		Params   map[string]string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &refit))
	require.NotEmpty(t, refit.ParentID, "the refit is a child of the study run")
	require.Equal(t, out.BestParams["C"], refit.Params["C"])
	r = run(t, dir, nil, "runs", "list", "--all", "--kind", "trial", "--json")
	var trials []any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &trials))
	require.Len(t, trials, 6, "one child run per trial")

	for _, args := range [][]string{
		{"tune", "--dataset", "iris", "--split", split, "--model", "logistic", "--search", "annealing"},
		{"tune", "--dataset", "iris", "--split", split, "--model", "logistic", "--cv", "1"},
		{"tune", "--dataset", "iris", "--split", split},
	} {
		require.Equal(t, ExitUsage, run(t, dir, nil, args...).code, args)
	}
}
