package lifecycle

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAssess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		facts    Facts
		stage    string
		pitfalls []string
	}{
		{"fresh project", Facts{CanvasWarnings: 20}, StageDefine, nil},
		{"canvas done", Facts{CanvasTargets: 2}, StageData, nil},
		{"data before canvas", Facts{CanvasErrors: 1, Datasets: 1}, StageDefine, []string{"canvas_incomplete"}},
		{"split, no runs", Facts{CanvasTargets: 1, Datasets: 1, Profiles: 1, Splits: 1}, StageDevelop, nil},
		{"models without baseline or profile", Facts{CanvasTargets: 1, Datasets: 1, Splits: 1, Runs: 2}, StageDevelop, []string{"no_profile", "no_baseline"}},
		{"trained", Facts{CanvasTargets: 1, Datasets: 1, Profiles: 1, Splits: 1, Runs: 3, BaselineRuns: 1}, StageEvaluate, nil},
		{"test reuse", Facts{CanvasTargets: 1, Datasets: 1, Profiles: 1, Splits: 1, Runs: 3, BaselineRuns: 1, ModelVersions: 2, Champion: true, TestEvals: 3, TestEvalMax: 3}, StageDeploy, []string{"test_set_reuse"}},
		{"deployed unmonitored", Facts{CanvasTargets: 1, Datasets: 1, Profiles: 1, Splits: 1, Runs: 3, BaselineRuns: 1, ModelVersions: 1, Champion: true, Deployments: 1}, StageMonitor, []string{"no_monitoring"}},
		{"alert firing", Facts{CanvasTargets: 1, Datasets: 1, Profiles: 1, Splits: 1, Runs: 3, BaselineRuns: 1, ModelVersions: 1, Champion: true, Deployments: 1, AlertRules: 2, FiringAlerts: []string{"web: error rate 3% > 1%"}}, StageMonitor, []string{"alert_firing"}},
		{"all done", Facts{CanvasTargets: 1, Datasets: 1, Profiles: 1, Splits: 1, Runs: 3, BaselineRuns: 1, ModelVersions: 1, Champion: true, Deployments: 1, AlertRules: 2}, StageMonitor, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := Assess(tc.facts)
			require.Equal(t, tc.stage, s.Stage)
			var ids []string
			for _, p := range s.Pitfalls {
				ids = append(ids, p.ID)
			}
			require.Equal(t, tc.pitfalls, ids)
			require.NotEmpty(t, s.Next)
			require.Len(t, s.Stages, 6)
		})
	}
}
