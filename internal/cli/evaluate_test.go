package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEvaluateValidationAndTestDiscipline(t *testing.T) {
	t.Parallel()
	dir := quickstartData(t, "800")
	r := run(t, dir, nil, "runs", "list", "--kind", "train", "--json")
	var runs []struct{ ID, Model string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &runs))
	require.Len(t, runs, 3)

	html := filepath.Join(dir, "eval.html")
	r = run(t, dir, nil, "evaluate", runs[0].ID, "--on", "validation", "--resamples", "100", "--json", "--html", html)
	require.Equal(t, 0, r.code, r.stderr)
	var rep struct {
		Part            string
		Rows            int
		Metrics         map[string]float64
		BaselineMetrics map[string]float64 `json:"baseline_metrics"`
		Lift            map[string]struct {
			Lift, CILow, CIHigh float64
			Verdict             string
		}
		Segments        []struct{ Column, Segment string }
		Slices          []struct{ Summary string }
		EvaluationRunID string `json:"evaluation_run_id"`
		TestEvaluations int    `json:"test_evaluations"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	require.Equal(t, "validation", rep.Part)
	require.Equal(t, 120, rep.Rows, "15% of 800")
	require.Contains(t, rep.Metrics, "roc_auc")
	require.InDelta(t, 0.5, rep.BaselineMetrics["roc_auc"], 1e-12)
	require.InDelta(t, rep.Metrics["roc_auc"]-0.5, rep.Lift["roc_auc"].Lift, 1e-12)
	require.NotEmpty(t, rep.Segments, "data.segments of the quickstart: region, channel")
	require.Equal(t, 1, rep.TestEvaluations, "quickstart evaluated its best model on test")
	require.FileExists(t, html)

	// Every model on the test part: each one after the first warns, and the
	// count is of distinct models (the quickstart's evaluation included).
	for _, rr := range runs {
		r = run(t, dir, nil, "evaluate", rr.ID, "--on", "test", "--resamples", "50")
		require.Equal(t, 0, r.code, r.stderr)
	}
	require.Contains(t, r.stderr, "3 different models have now been evaluated on the test part")
	r = run(t, dir, nil, "status", "--json")
	var st struct{ Pitfalls []struct{ ID string } }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	var ids []string
	for _, p := range st.Pitfalls {
		ids = append(ids, p.ID)
	}
	require.Contains(t, ids, "test_set_reuse")

	r = run(t, dir, nil, "evaluate", runs[0].ID, "--on", "train")
	require.Equal(t, ExitUsage, r.code)
}
