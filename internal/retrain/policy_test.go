package retrain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/project"
)

func TestDecide(t *testing.T) {
	monday := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // a Monday
	base := State{Now: monday.Add(8 * 24 * time.Hour), Since: monday, ChampionData: "tickets@1", LatestData: "tickets@1"}
	tests := []struct {
		name    string
		policy  project.Retrain
		state   func(State) State
		needed  bool
		reasons []string
	}{
		{"no policy", project.Retrain{}, nil, false, []string{}},
		{"schedule due", project.Retrain{Schedule: "0 3 * * 1"}, nil, true,
			[]string{`schedule "0 3 * * 1" was due at 2026-11-30T03:00:00Z`}},
		{"schedule counted from the last run", project.Retrain{Schedule: "0 3 * * 1"}, func(s State) State {
			s.LastRun = s.Now.Add(-time.Hour)
			return s
		}, false, []string{}},
		{"new data", project.Retrain{OnNewData: true}, func(s State) State {
			s.LatestData = "tickets@2"
			return s
		}, true, []string{"new data: tickets@2 is newer than tickets@1, which the champion was trained on"}},
		{"same data", project.Retrain{OnNewData: true}, nil, false, []string{}},
		{"drift", project.Retrain{OnDrift: true}, func(s State) State {
			s.Monitored, s.DatasetDrift, s.DriftShare = true, true, 0.6
			return s
		}, true, []string{"dataset drift: 60% of features drifted"}},
		{"drift unknown without traffic", project.Retrain{OnDrift: true}, func(s State) State {
			s.DatasetDrift = true
			return s
		}, false, []string{}},
		{"degradation", project.Retrain{OnDegradation: &project.Degradation{Metric: "accuracy", Below: 0.8}}, func(s State) State {
			s.Online = map[string]float64{"accuracy": 0.71}
			return s
		}, true, []string{"degradation: online accuracy 0.7100 < 0.8"}},
		{"no labels yet", project.Retrain{OnDegradation: &project.Degradation{Metric: "accuracy", Below: 0.8}}, nil, false, []string{}},
		{"healthy", project.Retrain{OnDegradation: &project.Degradation{Metric: "accuracy", Below: 0.8}}, func(s State) State {
			s.Online = map[string]float64{"accuracy": 0.91}
			return s
		}, false, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			if tt.state != nil {
				s = tt.state(s)
			}
			d, err := Decide(tt.policy, s)
			require.NoError(t, err)
			require.Equal(t, tt.needed, d.Needed)
			require.Equal(t, tt.reasons, d.Reasons)
			require.Equal(t, Enabled(tt.policy), len(d.Checked) > 0, "every trigger of the policy is explained")
		})
	}
	_, err := Decide(project.Retrain{Schedule: "every day"}, base)
	require.ErrorContains(t, err, `retrain.schedule "every day"`)
}
