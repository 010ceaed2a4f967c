// Package retrain decides when a deployed model should be retrained, from the
// retraining policy of mlw.yaml: a cron schedule, dataset drift in live
// traffic, degradation of an online metric, or a new version of the training
// dataset. The retraining workflow itself (collect, validate, retrain,
// evaluate, compare, register, deploy) runs in the CLI, which owns the
// commands it chains.
package retrain

import (
	"fmt"
	"math"
	"time"

	"github.com/robfig/cron/v3"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/project"
)

// State is what the policy is evaluated on.
type State struct {
	Now time.Time
	// Since is when the champion started serving; LastRun the start of the
	// last retraining workflow (zero when never). The schedule counts from
	// the later of the two.
	Since   time.Time
	LastRun time.Time
	// ChampionData is the dataset version the serving model was trained
	// on, LatestData the dataset's latest version (NAME@N).
	ChampionData string
	LatestData   string
	// Monitoring of recent traffic; Monitored false when there was none.
	Monitored    bool
	DatasetDrift bool
	DriftShare   float64
	// Online are the online metrics of recent traffic (labeled rows only).
	Online map[string]float64
}

// Decision says whether to retrain and why.
type Decision struct {
	Needed bool `json:"needed"`
	// Reasons are the triggers that hold; Checked every trigger looked at,
	// held or not, so that "not needed" is explained too.
	Reasons []string `json:"reasons"`
	Checked []string `json:"checked"`
}

// Decide evaluates the policy. It returns EINVALID for a bad schedule.
func Decide(p project.Retrain, s State) (Decision, error) {
	d := Decision{Reasons: []string{}, Checked: []string{}}
	hold := func(cond bool, yes, no string) {
		if cond {
			d.Reasons = append(d.Reasons, yes)
			d.Checked = append(d.Checked, yes)
		} else {
			d.Checked = append(d.Checked, no)
		}
	}
	if p.Schedule != "" {
		sched, err := cron.ParseStandard(p.Schedule)
		if err != nil {
			return d, mlw.Errorf(mlw.EINVALID, "retrain.schedule %q: %v", p.Schedule, err)
		}
		from := s.Since
		if s.LastRun.After(from) {
			from = s.LastRun
		}
		next := sched.Next(from)
		hold(!next.After(s.Now), fmt.Sprintf("schedule %q was due at %s", p.Schedule, next.UTC().Format(time.RFC3339)),
			fmt.Sprintf("schedule %q is next due at %s", p.Schedule, next.UTC().Format(time.RFC3339)))
	}
	if p.OnNewData {
		hold(s.LatestData != "" && s.LatestData != s.ChampionData,
			fmt.Sprintf("new data: %s is newer than %s, which the champion was trained on", s.LatestData, s.ChampionData),
			fmt.Sprintf("no new data: the champion was trained on %s, the latest version", s.ChampionData))
	}
	if p.OnDrift {
		switch {
		case !s.Monitored:
			d.Checked = append(d.Checked, "drift: no recent traffic to compare")
		default:
			hold(s.DatasetDrift, fmt.Sprintf("dataset drift: %.0f%% of features drifted", 100*s.DriftShare),
				fmt.Sprintf("no dataset drift (%.0f%% of features drifted)", 100*s.DriftShare))
		}
	}
	if g := p.OnDegradation; g != nil {
		v, ok := s.Online[g.Metric]
		switch {
		case !ok || math.IsNaN(v):
			d.Checked = append(d.Checked, fmt.Sprintf("degradation: no online %s yet (no feedback labels)", g.Metric))
		default:
			hold(v < g.Below, fmt.Sprintf("degradation: online %s %.4f < %g", g.Metric, v, g.Below),
				fmt.Sprintf("online %s %.4f is not below %g", g.Metric, v, g.Below))
		}
	}
	d.Needed = len(d.Reasons) > 0
	return d, nil
}

// Enabled reports whether the policy has any trigger.
func Enabled(p project.Retrain) bool {
	return p.Schedule != "" || p.OnDrift || p.OnNewData || p.OnDegradation != nil
}
