package report

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/tune"
)

// testStudy is a gbdt-like study with trials in every state, a log-scale,
// an int, a categorical, a conditional and a fixed parameter.
func testStudy(t *testing.T, name string) *Study {
	t.Helper()
	space, err := tune.NewSpace(
		tune.LogFloatParam("learning_rate", 0.01, 0.3),
		tune.IntParam("max_depth", 2, 8),
		tune.CategoricalParam("booster", "tree", "linear"),
		tune.FloatParam("subsample", 0.5, 1).If("booster", "tree"),
		tune.FixedParam("max_iter", "200"),
	)
	require.NoError(t, err)
	at := func(s float64) time.Time { return fixedTime().Add(time.Duration(s * float64(time.Second))) }
	trial := func(n int, state tune.State, value float64, lr, depth, booster, sub string) tune.TrialRecord {
		p := tune.Params{"learning_rate": lr, "max_depth": depth, "booster": booster, "max_iter": "200"}
		if sub != "" {
			p["subsample"] = sub
		}
		tr := tune.TrialRecord{Study: name, Number: n, State: state, Params: p, Value: value, Attempts: 1, Worker: "w-1",
			CreatedAt: at(float64(10 * n)), StartedAt: at(float64(10 * n))}
		if state.Finished() {
			tr.FinishedAt = at(float64(10*n) + 1.5 + float64(n)/4)
		}
		return tr
	}
	trials := []tune.TrialRecord{
		trial(0, tune.StateComplete, 0.81, "0.1", "3", "tree", "0.8"),
		trial(1, tune.StateComplete, 0.74, "0.012", "2", "linear", ""),
		trial(2, tune.StateComplete, 0.86, "0.2", "6", "tree", "0.9"),
		trial(3, tune.StatePruned, 0.7, "0.015", "8", "linear", ""),
		trial(4, tune.StateComplete, 0.84, "0.15", "5", "tree", "0.6"),
		trial(5, tune.StateFailed, 0, "0.3", "8", "tree", "1"),
		trial(6, tune.StateComplete, 0.79, "0.05", "4", "linear", ""),
		trial(7, tune.StateComplete, 0.88, "0.25", "7", "tree", "0.75"),
		trial(8, tune.StateRunning, 0, "0.02", "3", "tree", "0.55"),
	}
	trials[3].Intermediate = []tune.StepValue{{Step: 10, Value: 0.69}, {Step: tune.FoldStep(0), Value: 0.72}, {Step: tune.FoldStep(1), Value: 0.7}}
	trials = append(trials, trial(9, tune.StatePruned, 0.61, "0.01", "2", "linear", ""))
	trials[9].Intermediate = []tune.StepValue{{Step: 10, Value: 0.6}, {Step: 20, Value: 0.61}}
	trials[5].Error = "gbdt did not fit on a fold: <diverged> & stopped"
	trials[8].FinishedAt = time.Time{}
	// Out of order: StudyHTML sorts by number.
	trials[0], trials[6] = trials[6], trials[0]
	rec := tune.StudyRecord{Name: name, Direction: tune.Maximize, CreatedAt: fixedTime(), Attrs: map[string]string{
		"model": "gbdt", "split": "s-0123456789", "metric": "roc_auc", "cv_strategy": "group", "cv_by": "customer", "cv_folds": "3",
		"drop_features": "email",
	}}
	return &Study{Record: rec, Space: space, Trials: trials, Importance: tune.Importance(space, trials)}
}

func TestStudyHTMLGolden(t *testing.T) {
	t.Parallel()
	s := testStudy(t, "gbdt-s-0123456789-tpe")
	html, err := StudyHTML(s, "Tuning study gbdt-s-0123456789-tpe")
	require.NoError(t, err)
	golden(t, "study.html", html)
	again, err := StudyHTML(s, "Tuning study gbdt-s-0123456789-tpe")
	require.NoError(t, err)
	require.Equal(t, html, again, "deterministic")
}

func TestStudyHTMLSelfContained(t *testing.T) {
	t.Parallel()
	html, err := StudyHTML(testStudy(t, "s"), "s")
	require.NoError(t, err)
	h := string(html)
	require.True(t, strings.HasPrefix(h, "<!DOCTYPE html>"))
	for _, banned := range []string{"<script", "http://", "https://", "<link", "<img", "url("} {
		require.NotContains(t, h, banned, "self-contained and offline")
	}
	for _, want := range []string{
		"<h2>Optimisation history</h2>", `aria-label="Optimisation history"`, "best so far",
		"<h2>Parameter importance</h2>", `aria-label="Parameter importance"`,
		`aria-label="roc_auc against learning_rate"`, "learning_rate (log10)", "booster (category)",
		"Categories by position: 0 = tree, 1 = linear.", "Fixed: max_iter = 200.",
		"3-fold group by customer", `<tr class="best"><td class="num">7</td>`,
		`<span class="badge warn">pruned</span>`, "pruned after fold 2 at 0.7", "pruned at iteration 20 of the first fold, at 0.61",
		`<span class="badge fail">failed</span>`, "&lt;diverged&gt; &amp; stopped",
		`<span class="badge todo">running</span>`, "1.75s",
	} {
		require.Contains(t, h, want)
	}
	require.Equal(t, 4, strings.Count(h, "<figure>"), "one plot per parameter that varies")
	require.NotContains(t, h, "max_iter=200", "fixed params are left out of the trial table")
}

func TestStudyHTMLEscapesAndEmpty(t *testing.T) {
	t.Parallel()
	s := testStudy(t, `<script>alert(1)</script>`)
	s.Trials = nil
	s.Importance = tune.Importance(s.Space, nil)
	html, err := StudyHTML(s, `<script>alert(1)</script>`)
	require.NoError(t, err)
	h := string(html)
	require.NotContains(t, h, "<script")
	require.Contains(t, h, "&lt;script&gt;")
	require.Contains(t, h, "No trial is complete yet.")
	require.Contains(t, h, "No trials yet.")
	require.Contains(t, h, "No complete trial set this parameter.")
}
