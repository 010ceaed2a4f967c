package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// tuneShowOut is the part of mlw tune show --json the tests read.
type tuneShowOut struct {
	Study, Direction, Metric string
	Attrs                    map[string]string
	Space                    []struct{ Name, Type string }
	SpaceInferred            bool `json:"space_inferred"`
	Counts                   map[string]int
	Best                     *struct {
		Number int
		Value  float64
		Params map[string]string
	}
	BestRunID   string   `json:"best_run_id"`
	StudyRunIDs []string `json:"study_run_ids"`
	Importance  []struct {
		Name       string
		Importance float64
		Trials     int
	}
	Trials []struct {
		Number          int
		State           string
		Params          map[string]string
		Value           *float64
		DurationSeconds *float64 `json:"duration_seconds"`
		Worker          string
	}
	HTML string
}

func TestTuneShow(t *testing.T) {
	t.Parallel()
	dir, split := irisProject(t)
	r := run(t, dir, nil, "tune", "--dataset", "iris", "--split", split, "--model", "logistic", "--search", "random",
		"--trials", "6", "--cv", "3", "--metric", "accuracy", "--study", "iris-logistic", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var tuned struct {
		BestTrial  int    `json:"best_trial"`
		BestRunID  string `json:"best_run_id"`
		StudyRunID string `json:"study_run_id"`
		CV         struct {
			Folds        int
			Strategy, By string
		}
		Trials []struct {
			Number int
			Params map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tuned))
	require.Equal(t, 3, tuned.CV.Folds)
	require.Equal(t, "stratified", tuned.CV.Strategy, "classification keeps stratified folds by default")

	r = run(t, dir, nil, "tune", "show", "iris-logistic", "--json", "--html", "study.html")
	require.Equal(t, 0, r.code, r.stderr)
	var out tuneShowOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Equal(t, "iris-logistic", out.Study)
	require.Equal(t, "maximize", out.Direction)
	require.Equal(t, "accuracy", out.Metric)
	require.Equal(t, map[string]string{"model": "logistic", "split": split, "metric": "accuracy", "cv_strategy": "stratified", "cv_folds": "3"}, out.Attrs)
	require.False(t, out.SpaceInferred, "the space is stored with the study")
	require.Len(t, out.Space, 2)
	require.Len(t, out.Trials, 6)
	total := 0
	for _, n := range out.Counts {
		total += n
	}
	require.Equal(t, 6, total)
	for i, tr := range out.Trials {
		require.Equal(t, i, tr.Number)
		require.Equal(t, tuned.Trials[i].Params, tr.Params, "the same history as mlw tune printed")
		require.NotNil(t, tr.DurationSeconds, "a finished trial has a duration")
		require.NotEmpty(t, tr.Worker)
		if tr.State == "complete" {
			require.NotNil(t, tr.Value)
		}
	}
	require.NotNil(t, out.Best)
	require.Equal(t, tuned.BestTrial, out.Best.Number)
	require.Equal(t, tuned.BestRunID, out.BestRunID, "the refit of the best trial")
	require.Equal(t, []string{tuned.StudyRunID}, out.StudyRunIDs)
	var names []string
	for _, imp := range out.Importance {
		names = append(names, imp.Name)
	}
	require.ElementsMatch(t, []string{"C", "penalty"}, names)
	require.Equal(t, "study.html", out.HTML)
	html, err := os.ReadFile(filepath.Join(dir, "study.html"))
	require.NoError(t, err)
	for _, banned := range []string{"<script", "http://", "https://"} {
		require.NotContains(t, string(html), banned, "the report is self-contained")
	}
	require.Contains(t, string(html), "Optimisation history")

	r = run(t, dir, nil, "tune", "show", "iris-logistic")
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{"study iris-logistic: maximize accuracy, model logistic", "3-fold stratified CV",
		"6 trials", "best trial", "parameter importance", "Next: mlw evaluate " + tuned.BestRunID} {
		require.Contains(t, r.stdout, want)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"tune", "show", "nope"}, ExitError, `study "nope" not found`},
		{[]string{"tune", "show"}, ExitUsage, "want one study name, got 0"},
		{[]string{"tune", "show", "a", "b"}, ExitUsage, "want one study name, got 2"},
		{[]string{"tune", "show", "iris-logistic", "--format", "pdf"}, ExitUsage, "unknown flag"},
		// Resuming with other folds would mix scores that do not compare.
		{[]string{"tune", "--dataset", "iris", "--split", split, "--model", "logistic", "--metric", "accuracy", "--study", "iris-logistic",
			"--cv-strategy", "kfold"}, ExitError, `was started with cv_strategy "stratified", not "kfold"`},
		{[]string{"tune", "--dataset", "iris", "--split", split, "--model", "logistic", "--metric", "accuracy", "--study", "iris-logistic",
			"--only-features", "petal length (cm)"}, ExitError, `was started with only_features "", not "petal length (cm)"`},
	} {
		r := run(t, dir, nil, tc.args...)
		require.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want, tc.args)
	}
}

func TestTuneHelpDocumentsTheNewFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"tune", "--help"}, []string{"--cv-strategy", "--cv-by", "--drop-features", "--only-features", "mlw tune show", "JSON (--json)", "show"}},
		{[]string{"tune", "show", "--help"}, []string{"--html", "JSON (--json)", "importance", "duration_seconds"}},
		{[]string{"ladder", "--help"}, []string{"--cv-strategy", "--cv-by", "--drop-features", "--only-features", "JSON (--json)"}},
	} {
		r := run(t, t.TempDir(), nil, tc.args...)
		require.Equal(t, 0, r.code, r.stderr)
		for _, w := range tc.want {
			require.Contains(t, r.stdout, w, tc.args)
		}
	}
}
