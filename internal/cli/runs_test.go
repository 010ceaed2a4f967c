package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/track"
)

// seedRuns makes two finished training runs and returns their IDs.
func seedRuns(t *testing.T, dir string) (string, string) {
	t.Helper()
	ctx := context.Background()
	s, err := openStore(ctx, filepath.Join(dir, ".mlw", "store.db"))
	require.NoError(t, err)
	defer s.Close()
	tr := &track.Tracker{Store: s, Now: testNow, Actor: "tester"}
	var ids []string
	for i, p := range []map[string]string{{"max_iter": "100", "learning_rate": "0.1"}, {"max_iter": "200", "learning_rate": "0.1"}} {
		r, err := tr.Start(ctx, track.StartParams{Kind: "train", Model: "gbdt", Params: p, SplitID: "s-1"})
		require.NoError(t, err)
		require.NoError(t, tr.LogMetrics(ctx, r.ID, 0, map[string]float64{"valid.accuracy": 0.9 + float64(i)/100}))
		_, err = tr.Finish(ctx, r.ID)
		require.NoError(t, err)
		ids = append(ids, r.ID)
	}
	return ids[0], ids[1]
}

func TestRunsListShowCompareDelete(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	a, b := seedRuns(t, dir)

	r := run(t, dir, nil, "runs", "list")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, a)
	require.Contains(t, r.stdout, "accuracy=0.9100")

	r = run(t, dir, nil, "runs", "show", a, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var d struct {
		ID      string
		Params  map[string]string
		Metrics map[string]float64
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &d))
	require.Equal(t, "100", d.Params["max_iter"])
	require.Equal(t, 0.9, d.Metrics["valid.accuracy"])

	r = run(t, dir, nil, "runs", "compare", a, b, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var cmp struct {
		Params []struct {
			Key     string
			Differs bool
		}
		Metrics []struct {
			Key     string
			Differs bool
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cmp))
	differs := map[string]bool{}
	for _, p := range cmp.Params {
		differs[p.Key] = p.Differs
	}
	require.Equal(t, map[string]bool{"learning_rate": false, "max_iter": true}, differs)
	r = run(t, dir, nil, "runs", "compare", a, b)
	require.Contains(t, r.stdout, "*  param max_iter")

	r = run(t, dir, nil, "runs", "delete", a)
	require.Equal(t, ExitUsage, r.code)
	require.Contains(t, r.stderr, "--reason is required")
	r = run(t, dir, nil, "runs", "delete", a, "--reason", "bad data")
	require.Equal(t, 0, r.code, r.stderr)
	r = run(t, dir, nil, "runs", "list", "--json")
	var list []struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list, 1)
	require.Equal(t, b, list[0].ID)
	r = run(t, dir, nil, "runs", "delete", a, "--reason", "again")
	require.Equal(t, ExitError, r.code)
	r = run(t, dir, nil, "audit", "--action", "run.delete", "--json")
	var evs []struct{ Target, Reason string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &evs))
	require.Equal(t, []struct{ Target, Reason string }{{a, "bad data"}}, evs)

	r = run(t, dir, nil, "runs", "show", "r-nope")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "not found")
}
