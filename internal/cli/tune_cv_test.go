package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/split"
)

// groupProject adds a dataset of 40 groups of 10 rows whose label is drawn
// once per group: a model that has seen a group's rows predicts the rest
// perfectly from the group column, one that has not can only guess. Each
// row also has a region (3 values), a day (time order) and noise. It returns the project and a
// random split (made knowingly despite the leak of grp).
func groupProject(t *testing.T) (string, string) {
	t.Helper()
	dir := initProject(t)
	rng := rand.New(rand.NewPCG(7, 7))
	label := make([]int, 40)
	for g := range label {
		label[g] = rng.IntN(2)
	}
	var b strings.Builder
	b.WriteString("grp,region,day,noise,y\n")
	for i := range 400 {
		g := i % 40
		fmt.Fprintf(&b, "g%02d,r%d,2026-%02d-%02d,%.3f,%d\n", g, i%3, 1+i/28%12, 1+i%28, rng.Float64(), label[g])
	}
	path := filepath.Join(dir, "groups.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "groups", path, "--target", "y").code)
	r := run(t, dir, nil, "data", "split", "groups", "--seed", "1", "--allow-leakage", "--reason", "test data: grp predicts y", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	// A fixed model, so that the CV score depends on the folds only.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "space.yaml"), []byte("logistic:\n  params:\n    C: [100]\n    penalty: [l2]\n"), 0o644))
	return dir, s.ID
}

func TestTuneCVStrategiesAndFeatures(t *testing.T) {
	t.Parallel()
	dir, sp := groupProject(t)
	base := []string{"tune", "--dataset", "groups", "--split", sp, "--model", "logistic", "--space", "space.yaml",
		"--trials", "1", "--cv", "4", "--metric", "accuracy", "--json"}
	for i, tc := range []struct {
		name     string
		args     []string
		code     int
		want     string // in stderr when code != 0
		strategy string
		by       string
		score    func(float64) bool
	}{
		{name: "default", strategy: "stratified", score: func(v float64) bool { return v > 0.95 }},
		{name: "kfold", args: []string{"--cv-strategy", "kfold"}, strategy: "kfold", score: func(v float64) bool { return v > 0.95 }},
		// Unseen groups: the group column is no help, as for new customers.
		{name: "group", args: []string{"--cv-strategy", "group", "--cv-by", "grp"}, strategy: "group", by: "grp",
			score: func(v float64) bool { return v < 0.8 }},
		{name: "time", args: []string{"--cv-strategy", "time", "--cv-by", "day"}, strategy: "time", by: "day",
			score: func(v float64) bool { return v > 0.9 }},
		{name: "only", args: []string{"--only-features", "noise,day"}, strategy: "stratified",
			score: func(v float64) bool { return v < 0.8 }},
		{name: "drop", args: []string{"--drop-features", "grp"}, strategy: "stratified",
			score: func(v float64) bool { return v < 0.8 }},
		{name: "unknown strategy", args: []string{"--cv-strategy", "loo"}, code: ExitUsage, want: `--cv-strategy "loo"`},
		{name: "group without column", args: []string{"--cv-strategy", "group"}, code: ExitError, want: "needs the group column"},
		{name: "time without role", args: []string{"--cv-strategy", "time"}, code: ExitError, want: "has no time role"},
		{name: "column for kfold", args: []string{"--cv-strategy", "kfold", "--cv-by", "grp"}, code: ExitError, want: "only the group and time strategies"},
		{name: "unknown group column", args: []string{"--cv-strategy", "group", "--cv-by", "nope"}, code: ExitError, want: "--cv-by nope: no such column"},
		{name: "target as group", args: []string{"--cv-strategy", "group", "--cv-by", "y"}, code: ExitError, want: "that is the target"},
		{name: "too few groups", args: []string{"--cv-strategy", "group", "--cv-by", "region"}, code: ExitError, want: `column "region" has only 3 groups`},
		{name: "unknown drop", args: []string{"--drop-features", "nope"}, code: ExitError, want: "--drop-features nope: no such column"},
		{name: "unknown only", args: []string{"--only-features", "noise,nope"}, code: ExitError, want: "--only-features nope: no such column"},
		{name: "one fold", args: []string{"--cv", "1"}, code: ExitUsage, want: "--cv 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append(append([]string{}, base...), "--study", fmt.Sprintf("s%d", i)), tc.args...)
			r := run(t, dir, nil, args...)
			require.Equal(t, tc.code, r.code, "%v: %s", args, r.stderr)
			if tc.code != 0 {
				require.Contains(t, r.stderr, tc.want)
				return
			}
			var out struct {
				BestScore float64 `json:"best_score"`
				BestRunID string  `json:"best_run_id"`
				CV        struct {
					Folds        int
					Strategy, By string
				}
				Drop []string `json:"drop_features"`
				Only []string `json:"only_features"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
			require.Equal(t, 4, out.CV.Folds)
			require.Equal(t, tc.strategy, out.CV.Strategy)
			require.Equal(t, tc.by, out.CV.By)
			require.True(t, tc.score(out.BestScore), "CV accuracy %v", out.BestScore)
			if tc.name == "only" {
				require.Equal(t, []string{"noise", "day"}, out.Only)
			}
			if tc.name == "drop" {
				require.Equal(t, []string{"grp"}, out.Drop)
			}
			// The refit uses the same features as the trials.
			r = run(t, dir, nil, "runs", "show", out.BestRunID, "--json")
			require.Equal(t, 0, r.code, r.stderr)
			var refit struct{ Tags map[string]string }
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &refit))
			require.Equal(t, strings.Join(out.Only, ","), refit.Tags["only_features"])
			require.Equal(t, strings.Join(out.Drop, ","), refit.Tags["drop_features"])
		})
	}
}

// TestTuneGroupFoldsKeepGroupsApart checks the wiring from the flags to the
// folds the trials use: with --cv-strategy group, no group has rows on both
// sides of any fold, and the folds cover exactly the training part.
func TestTuneGroupFoldsKeepGroupsApart(t *testing.T) {
	t.Parallel()
	dir, sp := groupProject(t)
	app := &App{Out: &strings.Builder{}, Err: &strings.Builder{}, Getenv: func(string) string { return "" }, Now: testNow, Dir: dir}
	ctx := context.Background()
	e, err := app.open(ctx)
	require.NoError(t, err)
	defer e.Close()
	d, err := e.loadTrainData(ctx, "groups", sp)
	require.NoError(t, err)
	for _, k := range []int{2, 3, 5} {
		cvf := cvFlags{k: k, strategy: "group", by: "grp"}
		cfg, err := cvf.config(d, 1)
		require.NoError(t, err)
		folds, err := cfg.Folds(d, k, 1)
		require.NoError(t, err)
		require.Len(t, folds, k)
		grp := d.Frame.Column("grp")
		validated := map[int]int{}
		for i, f := range folds {
			inTrain := map[string]bool{}
			for _, row := range f.Train {
				inTrain[grp.Cell(row)] = true
			}
			for _, row := range f.Valid {
				require.False(t, inTrain[grp.Cell(row)], "k=%d fold %d: group %s on both sides", k, i, grp.Cell(row))
				validated[row]++
			}
			require.Equal(t, len(d.Parts.Rows(split.Train)), len(f.Train)+len(f.Valid), "k=%d fold %d", k, i)
		}
		trainRows := d.Parts.Rows(split.Train)
		require.Len(t, validated, len(trainRows), "every training row is validated once")
		for _, row := range trainRows {
			require.Equal(t, 1, validated[row])
		}
	}
}

func TestLadderCVStrategyAndFeatures(t *testing.T) {
	t.Parallel()
	dir, sp := groupProject(t)
	r := run(t, dir, nil, "ladder", "--dataset", "groups", "--split", sp, "--trials", "1", "--cv", "2",
		"--cv-strategy", "group", "--cv-by", "grp", "--only-features", "grp,noise", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var out struct {
		CV struct {
			Folds        int
			Strategy, By string
		}
		Only   []string `json:"only_features"`
		Models []struct {
			Model, Study string
			RunID        string `json:"run_id"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Equal(t, 2, out.CV.Folds)
	require.Equal(t, "group", out.CV.Strategy)
	require.Equal(t, "grp", out.CV.By)
	require.Equal(t, []string{"grp", "noise"}, out.Only)
	require.NotEmpty(t, out.Models)
	for _, m := range out.Models {
		r := run(t, dir, nil, "tune", "show", m.Study, "--json")
		require.Equal(t, 0, r.code, r.stderr)
		var st tuneShowOut
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
		require.Equal(t, "group", st.Attrs["cv_strategy"], m.Model)
		require.Equal(t, "grp", st.Attrs["cv_by"], m.Model)
		require.Equal(t, "grp,noise", st.Attrs["only_features"], m.Model)
		require.Equal(t, m.RunID, st.BestRunID, "the ladder's model is its study's refit")
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--cv-strategy", "loo"}, ExitUsage, `--cv-strategy "loo"`},
		{[]string{"--cv-strategy", "group", "--cv-by", "region", "--cv", "4"}, ExitError, `column "region" has only 3 groups`},
		{[]string{"--drop-features", "nope"}, ExitError, "--drop-features nope: no such column"},
		{[]string{"--cv", "1"}, ExitUsage, "--cv 1"},
	} {
		args := append([]string{"ladder", "--dataset", "groups", "--split", sp, "--trials", "1"}, tc.args...)
		r := run(t, dir, nil, args...)
		require.Equal(t, tc.code, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, tc.want, args)
	}
}
