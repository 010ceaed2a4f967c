package project

import (
	"bytes"
	"text/template"

	"mlw.dev/internal/mlw"
)

// templateText is the mlw.yaml that `mlw init` writes: the ML Project Canvas with
// every section, each explained, followed by the project configuration.
const templateText = `# mlw project file: the ML Project Canvas and the project's configuration.
# Fill in the canvas before you train: 'mlw canvas lint' lists what is missing,
# 'mlw proposal' renders it as a project proposal, 'mlw status' tracks the lifecycle.
name: {{.Name}}
task: {{.Task}}            # classification | regression

# store: postgres://user@host/db     # metadata store (default: .mlw/store.db, SQLite); env MLW_STORE
# artifacts: s3://bucket/prefix      # blob store (default: .mlw/artifacts); env MLW_ARTIFACTS

canvas:
  # 1. The business problem: what hurts, whom, and how it is solved today.
  business_problem:
    problem: ""                # e.g. "30% of support tickets are simple and wait 2 days for an agent"
    impacted: ""               # who feels it: customers, agents, finance...
    current_solution: ""       # what is done today and what it costs

  # 2. Is this an ML problem? Rules first: ML pays off only where patterns are too
  #    complex for rules and data exists to learn them.
  is_ml_problem:
    needs_patterns: ""         # why hand-written rules cannot capture it
    rules_tried: ""            # which rules were tried and how well they did ('mlw train --model rule' measures one)
    data_available: ""         # which historical data with outcomes exists, how much, since when

  # 3. ML formulation: inputs, output and the type of learning problem.
  ml_formulation:
    inputs: []                 # feature columns or sources, e.g. [category, channel, tenure_months]
    output: ""                 # what the model predicts, e.g. "probability the ticket is resolved without an agent"
    type: {{.Task}}

  # 4. Success metrics: the business outcome, and technical metrics with thresholds
  #    that a model must meet on the test set before it may go to production.
  success_metrics:
    business: ""               # e.g. "deflect 20% of tickets while keeping CSAT >= 4.2"
    technical:{{range .Metrics}}
      - {metric: {{.Metric}}, {{if .Min}}min: {{deref .Min}}{{else}}max: {{deref .Max}}{{end}}}{{end}}

  # 5. Constraints the solution must respect.
  constraints:
    latency_p99_ms: 0          # budget for one prediction at the 99th percentile (0 = none)
    mode: ""                   # realtime (answer each request; set latency_p99_ms) | batch
    budget: ""                 # compute and people budget
    compliance: []             # e.g. [GDPR]
    interpretability: ""       # who must understand predictions, and how well

  # 6. Timeline, in weeks.
  timeline:
    discovery_weeks: 0
    development_weeks: 0
    deployment_weeks: 0

  # 7. Resources.
  resources:
    data: ""                   # data sources and owners
    team: ""                   # who works on it
    infrastructure: ""         # where it trains and serves

  # 8. Risks and their mitigations.
  risks:
    - {risk: "", mitigation: ""}

# Default column roles of the project's datasets ('mlw data add' flags override them).
data:
  target: ""                   # the column to predict
  # time: created_at           # event time: enables time-based splits and leakage checks
  # id: ticket_id              # row identifier: never used as a feature
  # segments: [region]         # columns to report metrics by
  # sensitive: []              # protected attributes for fairness checks

# How models are judged.
evaluation:
  primary_metric: {{.Primary}}
  costs: {false_positive: 1, false_negative: 1}   # business cost of each error (classification)
  max_segment_gap: 0.05        # largest allowed gap between a segment's metric and the overall figure
  max_ece: 0.1                 # largest expected calibration error the pre-production gate accepts
  promotion: {min_improvement: 0, min_relative_improvement: 0}   # what a new champion must gain over the old

# Production monitoring.
monitoring:
  drift:
    numeric: auto              # auto | ks | wasserstein | psi
    categorical: auto          # auto | chisquare | jensenshannon | psi
    threshold: 0.1
    dataset_share: 0.5         # dataset drift when this share of features drift
  alerts: []                   # e.g. ["p99 > 50ms for 5m", "error_rate > 1%", "drift_share > 0.3", "online accuracy < 0.8", "no traffic for 1h"]
  # retention: 30d             # prediction log kept this long
  # webhook: https://hooks.example.com/mlw   # alert events are POSTed here

# Retraining policy.
retrain:
  schedule: ""                 # cron, e.g. "0 3 * * 1"
  on_drift: false
  on_new_data: false
  # on_degradation: {metric: accuracy, below: 0.8}
  # strategy: canary           # how a retrained challenger is deployed
`

// TemplateParams fill the mlw.yaml template.
type TemplateParams struct {
	Name string
	Task string
}

// Template returns the mlw.yaml text for a new project. It returns EINVALID for a
// bad name or task.
func Template(p TemplateParams) ([]byte, error) {
	if err := mlw.ValidName(p.Name); err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "--name: %s", err.(*mlw.Error).Message)
	}
	if p.Task == "" {
		p.Task = Classification
	}
	if p.Task != Classification && p.Task != Regression {
		return nil, mlw.Errorf(mlw.EINVALID, "--task %q: want classification or regression", p.Task)
	}
	data := struct {
		TemplateParams
		Primary string
		Metrics []MetricTarget
	}{TemplateParams: p}
	f := func(v float64) *float64 { return &v }
	if p.Task == Classification {
		data.Primary = "roc_auc"
		data.Metrics = []MetricTarget{{Metric: "roc_auc", Min: f(0.8)}, {Metric: "recall", Min: f(0.7)}}
	} else {
		data.Primary = "rmse"
		data.Metrics = []MetricTarget{{Metric: "r2", Min: f(0.5)}}
	}
	tmpl := template.Must(template.New("mlw.yaml").Funcs(template.FuncMap{
		"deref": func(p *float64) float64 { return *p },
	}).Parse(templateText))
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
