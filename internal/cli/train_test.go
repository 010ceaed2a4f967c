package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// irisProject adds iris with a stratified split and returns the split ID.
func irisProject(t *testing.T) (string, string) {
	t.Helper()
	dir := initProject(t)
	src := filepath.Join(testRoot(t), "testdata", "datasets", "iris.csv")
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "iris", src, "--target", "target").code)
	r := run(t, dir, nil, "data", "split", "iris", "--strategy", "stratified", "--seed", "1", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	return dir, s.ID
}

type trainOut struct {
	RunID   string `json:"run_id"`
	Model   string
	Metrics struct {
		Validation map[string]float64
	}
	Baseline struct {
		RunID   string `json:"run_id"`
		Model   string
		Metrics struct{ Validation map[string]float64 }
	}
	Lift struct {
		Metric string
		Value  float64
	}
	CV *struct {
		Folds     int
		Mean, Std map[string]float64
	}
	Bundle struct {
		Key  string
		Size int64
	}
}

func trainJSON(t *testing.T, dir string, args ...string) trainOut {
	t.Helper()
	r := run(t, dir, nil, append([]string{"train", "--json"}, args...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var out trainOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	return out
}

func TestTrainLogsRunWithBaselineAndLift(t *testing.T) {
	t.Parallel()
	dir, split := irisProject(t)
	a := trainJSON(t, dir, "--dataset", "iris", "--split", split, "--model", "gbdt", "--cv", "3")
	require.Equal(t, "gbdt", a.Model)
	require.Greater(t, a.Metrics.Validation["accuracy"], 0.85)
	require.Contains(t, a.Metrics.Validation, "f1_macro")
	require.Contains(t, a.Metrics.Validation, "log_loss")
	require.Contains(t, a.Metrics.Validation, "roc_auc", "one-vs-rest for three classes")
	require.Equal(t, "prior", a.Baseline.Model)
	require.InDelta(t, 1.0/3, a.Baseline.Metrics.Validation["accuracy"], 0.05)
	require.Equal(t, "roc_auc", a.Lift.Metric, "the primary metric of mlw.yaml")
	require.InDelta(t, a.Metrics.Validation["roc_auc"]-a.Baseline.Metrics.Validation["roc_auc"], a.Lift.Value, 1e-12)
	require.NotNil(t, a.CV)
	require.Equal(t, 3, a.CV.Folds)
	require.Greater(t, a.CV.Mean["accuracy"], 0.85)

	// The baseline is trained once per split.
	b := trainJSON(t, dir, "--dataset", "iris", "--split", split, "--model", "logistic", "--param", "C=0.5")
	require.Equal(t, a.Baseline.RunID, b.Baseline.RunID)
	r := run(t, dir, nil, "runs", "list", "--kind", "baseline", "--json")
	var bases []any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &bases))
	require.Len(t, bases, 1)

	r = run(t, dir, nil, "runs", "show", b.RunID, "--json")
	var shown struct {
		Params    map[string]string
		Artifacts []struct{ Name, Key string }
		Metrics   map[string]float64
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &shown))
	require.Equal(t, "0.5", shown.Params["C"])
	require.Equal(t, "model.mlwb", shown.Artifacts[0].Name)
	require.Equal(t, b.Bundle.Key, shown.Artifacts[0].Key)
	require.Contains(t, shown.Metrics, "fit_seconds")
	require.Contains(t, shown.Metrics, "peak_rss_mb")
}

func TestTrainSameSeedSameBundleBytes(t *testing.T) {
	t.Parallel()
	dir, split := irisProject(t)
	args := []string{"--dataset", "iris", "--split", split, "--model", "gbdt", "--param", "subsample=0.8", "--seed", "7"}
	a := trainJSON(t, dir, args...)
	b := trainJSON(t, dir, args...)
	require.NotEqual(t, a.RunID, b.RunID)
	require.Equal(t, a.Bundle.Key, b.Bundle.Key, "same data, params and seed: byte-identical bundles")
	c := trainJSON(t, dir, "--dataset", "iris", "--split", split, "--model", "gbdt", "--param", "subsample=0.8", "--seed", "8")
	require.NotEqual(t, a.Bundle.Key, c.Bundle.Key)
}

func TestTrainNeverReadsTestRows(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	// A time-ordered file whose last 20% of rows (the test part of a time split)
	// carry a label and a category that appear nowhere else: if training read
	// the test rows, the model would know them.
	var b strings.Builder
	b.WriteString("t,x,z,c,y\n")
	for i := range 200 {
		y, c := fmt.Sprint((i*i*31+i/3)%5%2), []string{"a", "b", "c"}[i*7%3]
		if i >= 160 {
			y, c = "poison", "zzz"
		}
		fmt.Fprintf(&b, "2025-01-%02d %02d:00:00,%d,%d,%s,%s\n", 1+i/24, i%24, i%10, i*37%101, c, y)
	}
	path := filepath.Join(t.TempDir(), "timed.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "timed", path, "--target", "y", "--time", "t").code)
	r := run(t, dir, nil, "data", "split", "timed", "--strategy", "time", "--ratios", "0.6,0.2,0.2", "--json")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))

	out := trainJSON(t, dir, "--dataset", "timed", "--split", s.ID, "--model", "gbdt")
	// Export the bundle's classes through predict on the test part.
	testCSV := filepath.Join(dir, "test.csv")
	require.Equal(t, 0, run(t, dir, nil, "data", "export", "timed", "--split", s.ID, "--part", "test", "-o", testCSV).code)
	r = run(t, dir, nil, "predict", out.RunID, testCSV)
	require.Equal(t, 0, r.code, r.stderr)
	header := strings.SplitN(r.stdout, "\n", 2)[0]
	require.Equal(t, "t,x,z,c,y,prediction,proba_0,proba_1", header, "the model knows only the training labels")
	require.NotContains(t, r.stdout, ",poison\n", "no prediction of a test-only label")
}

func TestTrainErrors(t *testing.T) {
	t.Parallel()
	dir, split := irisProject(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--dataset", "iris", "--split", split}, ExitUsage, "--model are required"},
		{[]string{"train", "--dataset", "iris", "--split", split, "--model", "magic"}, ExitError, "unknown estimator kind"},
		{[]string{"train", "--dataset", "iris", "--split", split, "--model", "gbdt", "--param", "learning_rate=-1"}, ExitError, "--param learning_rate=-1"},
		{[]string{"train", "--dataset", "iris", "--split", split, "--model", "gbdt", "--param", "nope"}, ExitUsage, "want NAME=VALUE"},
		{[]string{"train", "--dataset", "iris", "--split", "s-missing", "--model", "gbdt"}, ExitError, "split s-missing not found"},
		{[]string{"train", "--dataset", "iris", "--split", split, "--model", "gbdt", "--drop-features", "nope"}, ExitError, "--drop-features nope"},
	} {
		r := run(t, dir, nil, tc.args...)
		require.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want, tc.args)
	}
	r := run(t, dir, nil, "train", "--model", "gbdt", "--help-params")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "learning_rate")
	require.Contains(t, r.stdout, "max_leaf_nodes")
}

func TestPredictWritesPredictionsAndProbabilities(t *testing.T) {
	t.Parallel()
	dir, split := irisProject(t)
	a := trainJSON(t, dir, "--dataset", "iris", "--split", split, "--model", "logistic")
	src := filepath.Join(testRoot(t), "testdata", "datasets", "iris.csv")
	out := filepath.Join(dir, "scored.csv")
	r := run(t, dir, nil, "predict", a.RunID, src, "-o", out)
	require.Equal(t, 0, r.code, r.stderr)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 151)
	require.True(t, strings.HasSuffix(lines[0], ",target,prediction,proba_0,proba_1,proba_2"), lines[0])
	correct := 0
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if f[4] == f[5] {
			correct++
		}
	}
	require.Greater(t, correct, 135, "logistic regression fits iris")

	bad := filepath.Join(t.TempDir(), "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("sepal length (cm),x\n1,2\n"), 0o644))
	r = run(t, dir, nil, "predict", a.RunID, bad)
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "column sepal width (cm) is missing")
}
