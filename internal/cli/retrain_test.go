package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/store"
)

// writeIris writes iris without duplicate rows, with the target of every
// k-th row changed (k = 0: clean) and, when scale is set, petal length
// multiplied by 10^scale.
func writeIris(t *testing.T, path string, k int, scale string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testRoot(t), "testdata", "datasets", "iris.csv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(src)), "\n")
	for i := 1; i < len(lines); i++ {
		f := strings.Split(lines[i], ",")
		if k > 0 && i%k == 0 {
			f[4] = map[string]string{"0": "1", "1": "2", "2": "0"}[f[4]]
		}
		if scale != "" {
			f[2] = f[2] + "e" + scale
		}
		lines[i] = strings.Join(f, ",")
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range lines { // iris repeats a row: the expectations forbid duplicates
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644))
}

func TestRetrainWorkflow(t *testing.T) {
	dir := initProject(t)
	yaml := filepath.Join(dir, "mlw.yaml")
	src, err := os.ReadFile(yaml)
	require.NoError(t, err)
	s := strings.Replace(string(src), "on_new_data: false", "on_new_data: true", 1)
	s = strings.Replace(s, "primary_metric: roc_auc", "primary_metric: accuracy", 1)
	require.NoError(t, os.WriteFile(yaml, []byte(s), 0o644))

	noisy := filepath.Join(dir, "iris_v1.csv")
	writeIris(t, noisy, 2, "") // half the labels are wrong
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "iris", noisy, "--target", "target").code)
	r := run(t, dir, nil, "data", "split", "iris", "--strategy", "stratified", "--seed", "1", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var sp struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sp))
	tr := trainJSON(t, dir, "--dataset", "iris", "--split", sp.ID, "--model", "logistic")
	require.Equal(t, 0, run(t, dir, nil, "model", "register", tr.RunID, "--name", "iris").code)
	require.Equal(t, 0, run(t, dir, nil, "deploy", "iris", "iris@1").code)
	require.Equal(t, 0, run(t, dir, nil, "data", "expect", "iris@1").code)

	r = run(t, dir, nil, "retrain", "--if-needed")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "retraining is not needed")
	require.Contains(t, r.stdout, "no new data: the champion was trained on iris@1")

	// A new version whose values break the expectations stops the workflow.
	bad := filepath.Join(dir, "iris_bad.csv")
	writeIris(t, bad, 0, "3")
	r = run(t, dir, nil, "retrain", "--data", bad, "--json")
	require.Equal(t, ExitError, r.code, r.stdout)
	var res struct {
		Ran     bool
		Steps   []struct{ Step, Status, Detail string }
		Outcome string
		Better  bool
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	require.True(t, res.Ran)
	last := res.Steps[len(res.Steps)-1]
	require.Equal(t, "validate", last.Step)
	require.Equal(t, "failed", last.Status)
	require.Contains(t, res.Outcome, "retraining failed at validate: iris still serves iris@1")

	// Clean data: the retrained model beats the champion and is canaried.
	clean := filepath.Join(dir, "iris_v3.csv")
	writeIris(t, clean, 0, "")
	r = run(t, dir, nil, "retrain", "--data", clean, "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "dry run: nothing changed")

	// While another process (a replica of mlw serve) retrains the endpoint,
	// this one does not start a second retraining.
	ctx := t.Context()
	st, err := openStore(ctx, filepath.Join(dir, ".mlw", "store.db"))
	require.NoError(t, err)
	other := &store.AcquireLeaseParams{Name: "retrain/iris", Holder: "replica-2", TTL: time.Hour}
	l, err := st.AcquireLease(ctx, other)
	require.NoError(t, err)
	require.Equal(t, "replica-2", l.Holder)
	r = run(t, dir, nil, "retrain", "--data", clean)
	require.Equal(t, ExitError, r.code, r.stdout)
	require.Contains(t, r.stderr, "endpoint iris is being retrained by another process (replica-2")
	require.NoError(t, st.ReleaseLease(ctx, &store.ReleaseLeaseParams{Name: other.Name, Holder: other.Holder}))
	require.NoError(t, st.Close())
	r = run(t, dir, nil, "retrain", "--data", clean, "--if-needed", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var ok struct {
		Decision        struct{ Needed bool }
		Ran, Better     bool
		Challenger      string
		ChallengerScore float64 `json:"challenger_score"`
		ChampionScore   float64 `json:"champion_score"`
		Deployment      struct{ Strategy, State string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ok), r.stdout)
	require.True(t, ok.Decision.Needed, "iris@3 is new data")
	require.True(t, ok.Better)
	require.Greater(t, ok.ChallengerScore, ok.ChampionScore)
	require.Equal(t, "iris@2", ok.Challenger)
	require.Equal(t, "canary", ok.Deployment.Strategy)

	r = run(t, dir, nil, "retrain")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "has a change in progress")

	// Promoting the canary retires the old champion.
	r = run(t, dir, nil, "promote", "iris", "--reason", "canary looked fine")
	require.Equal(t, 0, r.code, r.stderr)
	r = run(t, dir, nil, "model", "show", "iris@1", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `"status": "archived"`)
	r = run(t, dir, nil, "model", "show", "iris@champion", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `"version": 2`)
	r = run(t, dir, nil, "audit", "--action", "retrain.")
	require.Equal(t, 0, r.code)
	for _, a := range []string{"retrain.start", "retrain.fail", "retrain.done"} {
		require.Contains(t, r.stdout, a)
	}
}
