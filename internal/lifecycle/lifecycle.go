// Package lifecycle tells where a project stands in the ML lifecycle, what is
// done, what comes next, and which of the common pitfalls it is walking into.
// It is a pure function of facts the caller gathers from the canvas and the store.
package lifecycle

import "fmt"

// Stage identifiers, in lifecycle order.
const (
	StageDefine   = "problem_definition"
	StageData     = "data"
	StageDevelop  = "model_development"
	StageEvaluate = "evaluation"
	StageDeploy   = "deployment"
	StageMonitor  = "monitoring"
)

// Facts are what the status is computed from.
type Facts struct {
	CanvasErrors   int
	CanvasWarnings int
	CanvasTargets  int // technical success metrics with thresholds
	Datasets       int
	Profiles       int
	Splits         int
	Runs           int // top-level training runs, baselines included
	BaselineRuns   int
	ModelVersions  int
	Champion       bool
	TestEvals      int // models evaluated on test parts (counted once per split)
	TestEvalMax    int // most models evaluated on one test part
	Deployments    int
	AlertRules     int
	FiringAlerts   []string // "ENDPOINT: message" of each alert firing now
	GateOverrides  int
}

// Stage is one step of the lifecycle and whether it is done.
type Stage struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Done    bool   `json:"done"`
	Summary string `json:"summary"`
}

// Pitfall is a known way ML projects fail that this project is exposed to.
type Pitfall struct {
	ID       string `json:"id"`
	Severity string `json:"severity"` // warning or error
	Message  string `json:"message"`
}

// Status is the assessment.
type Status struct {
	Stage    string    `json:"stage"` // the first stage not done, or "monitoring" when all are
	Stages   []Stage   `json:"stages"`
	Next     []string  `json:"next"`
	Pitfalls []Pitfall `json:"pitfalls"`
}

// Assess computes the status from facts.
func Assess(f Facts) *Status {
	s := &Status{Pitfalls: []Pitfall{}, Next: []string{}}
	canvasDone := f.CanvasErrors == 0 && f.CanvasWarnings <= 3 && f.CanvasTargets > 0
	s.Stages = []Stage{
		{StageDefine, "Problem definition", canvasDone,
			fmt.Sprintf("canvas: %d error(s), %d warning(s), %d technical target(s)", f.CanvasErrors, f.CanvasWarnings, f.CanvasTargets)},
		{StageData, "Data", f.Datasets > 0 && f.Splits > 0,
			fmt.Sprintf("%d dataset(s), %d profile(s), %d split(s)", f.Datasets, f.Profiles, f.Splits)},
		{StageDevelop, "Model development", f.BaselineRuns > 0 && f.Runs > f.BaselineRuns,
			fmt.Sprintf("%d training run(s), %d baseline(s)", f.Runs, f.BaselineRuns)},
		{StageEvaluate, "Evaluation", f.ModelVersions > 0 && f.Champion,
			fmt.Sprintf("%d model version(s), champion %s, %d test evaluation(s)", f.ModelVersions, yesNo(f.Champion), f.TestEvals)},
		{StageDeploy, "Deployment", f.Deployments > 0,
			fmt.Sprintf("%d endpoint(s) deployed", f.Deployments)},
		{StageMonitor, "Monitoring and maintenance", f.Deployments > 0 && f.AlertRules > 0,
			fmt.Sprintf("%d alert rule(s)", f.AlertRules)},
	}
	s.Stage = StageMonitor
	for _, st := range s.Stages {
		if !st.Done {
			s.Stage = st.ID
			break
		}
	}

	switch s.Stage {
	case StageDefine:
		if f.CanvasErrors > 0 || f.CanvasWarnings > 0 {
			s.Next = append(s.Next, "complete the canvas in mlw.yaml: mlw canvas lint lists what is missing")
		}
		if f.CanvasTargets == 0 {
			s.Next = append(s.Next, "set technical success metrics with thresholds (canvas.success_metrics.technical)")
		}
		s.Next = append(s.Next, "share the proposal: mlw proposal -o proposal.html")
	case StageData:
		if f.Datasets == 0 {
			s.Next = append(s.Next, "add data: mlw data add NAME FILE --target COL")
		}
		s.Next = append(s.Next, "profile it: mlw data profile NAME", "split it: mlw data split NAME --strategy stratified|time")
	case StageDevelop:
		s.Next = append(s.Next, "train the baseline and a first model: mlw train --dataset NAME --split ID --model logistic")
	case StageEvaluate:
		s.Next = append(s.Next, "evaluate the best run on validation: mlw evaluate RUN --on validation",
			"register it: mlw model register RUN --name NAME, then mlw check NAME@N")
	case StageDeploy:
		s.Next = append(s.Next, "deploy the champion: mlw deploy ENDPOINT NAME@champion --strategy canary")
	case StageMonitor:
		if f.AlertRules == 0 {
			s.Next = append(s.Next, "add alert rules to monitoring.alerts in mlw.yaml")
		}
		s.Next = append(s.Next, "watch the endpoint: mlw monitor ENDPOINT")
	}

	add := func(id, sev, format string, args ...any) {
		s.Pitfalls = append(s.Pitfalls, Pitfall{id, sev, fmt.Sprintf(format, args...)})
	}
	if !canvasDone && (f.Datasets > 0 || f.Runs > 0) {
		add("canvas_incomplete", "warning", "work started before the problem was defined: the canvas has %d error(s) and %d warning(s)", f.CanvasErrors, f.CanvasWarnings)
	}
	if f.Runs > 0 && f.Profiles == 0 {
		add("no_profile", "warning", "models were trained on data that was never profiled: run mlw data profile")
	}
	if f.Runs > f.BaselineRuns && f.BaselineRuns == 0 {
		add("no_baseline", "error", "models were trained without a baseline: their scores mean nothing without one")
	}
	if f.TestEvalMax > 1 {
		add("test_set_reuse", "warning", "%d models were evaluated on the same test part: choices made from test scores overfit the test set", f.TestEvalMax)
	}
	if f.Deployments > 0 && f.AlertRules == 0 {
		add("no_monitoring", "error", "a model is in production without monitoring alerts")
	}
	for _, a := range f.FiringAlerts {
		add("alert_firing", "error", "alert firing on %s (mlw monitor shows it)", a)
	}
	if f.GateOverrides > 0 {
		add("gate_override", "warning", "%d promotion(s) overrode a failing gate", f.GateOverrides)
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
