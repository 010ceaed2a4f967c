package project

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/robfig/cron/v3"
)

// Severities of lint findings.
const (
	SevError   = "error"
	SevWarning = "warning"
)

// Finding is one problem the linter found in mlw.yaml.
type Finding struct {
	Severity string `json:"severity"`
	Field    string `json:"field"`          // e.g. canvas.constraints.latency_p99_ms
	Line     int    `json:"line,omitempty"` // line in mlw.yaml, 0 when the field is absent
	Message  string `json:"message"`
}

// MetricInfo is what the linter needs to know about a metric name.
type MetricInfo struct {
	Task           string  // Classification or Regression
	Min, Max       float64 // valid range of the metric's values (may be infinite)
	HigherIsBetter bool
}

// MetricCatalog knows the metric names mlw computes.
type MetricCatalog interface {
	// Lookup answers whether a metric name is known, and what it is.
	Lookup(name string) (MetricInfo, bool)
	// Names lists every known name.
	Names() []string
}

// AlertRuleChecker is implemented by a MetricCatalog that can also check the
// alert rules of monitoring.alerts (their grammar lives with the monitor,
// which depends on this package). It returns one error per bad rule, with
// the rule's 0-based index.
type AlertRuleChecker interface {
	CheckAlertRules(rules []string) map[int]error
}

// LintResult is the outcome of Lint.
type LintResult struct {
	Findings []Finding `json:"findings"`
	Errors   int       `json:"errors"`
	Warnings int       `json:"warnings"`
}

// OK reports whether there are no errors (warnings are allowed).
func (r *LintResult) OK() bool { return r.Errors == 0 }

// placeholder matches text left as a placeholder.
var placeholder = regexp.MustCompile(`(?i)^\s*(todo|tbd|tba|fixme|xxx+|\.\.\.+|…|\?+|-+|n/?a|none yet|lorem.*|<[^>]*>|\[[^\]]*\]|fill( me)? in.*|placeholder)\s*$`)

type linter struct {
	src      []byte
	metrics  MetricCatalog
	task     string
	findings []Finding
}

func (l *linter) add(sev, field, format string, args ...any) {
	l.findings = append(l.findings, Finding{
		Severity: sev,
		Field:    field,
		Line:     LineOf(l.src, yamlPath(field)),
		Message:  fmt.Sprintf(format, args...),
	})
}

// yamlPath turns "canvas.risks[0].risk" into "$.canvas.risks[0].risk".
func yamlPath(field string) string { return "$." + field }

// text checks a free-text canvas field: empty or placeholder text is a warning.
func (l *linter) text(field, value, why string) {
	switch {
	case strings.TrimSpace(value) == "":
		l.add(SevWarning, field, "%s is empty: %s", field, why)
	case placeholder.MatchString(value):
		l.add(SevWarning, field, "%s looks like a placeholder (%q): %s", field, strings.TrimSpace(value), why)
	}
}

// Lint checks the canvas and the project configuration: empty or placeholder
// fields (warnings), and unknown metric names, impossible thresholds and
// contradictions (errors). src is the file's text, used to report line numbers.
func Lint(cfg *Config, src []byte, metrics MetricCatalog) *LintResult {
	l := &linter{src: src, metrics: metrics, task: cfg.Task}
	c := &cfg.Canvas

	switch cfg.Task {
	case Classification, Regression:
	case "":
		l.add(SevError, "task", "task is empty: want classification or regression")
	default:
		l.add(SevError, "task", "task %q is unknown: want classification or regression", cfg.Task)
	}

	l.text("canvas.business_problem.problem", c.BusinessProblem.Problem, "say what hurts, in business terms")
	l.text("canvas.business_problem.impacted", c.BusinessProblem.Impacted, "say who is affected")
	l.text("canvas.business_problem.current_solution", c.BusinessProblem.CurrentSolution, "say how it is handled today, the baseline to beat")
	l.text("canvas.is_ml_problem.needs_patterns", c.IsMLProblem.NeedsPatterns, "say why rules cannot do it")
	l.text("canvas.is_ml_problem.rules_tried", c.IsMLProblem.RulesTried, "try rules first ('mlw train --model rule' measures one)")
	l.text("canvas.is_ml_problem.data_available", c.IsMLProblem.DataAvailable, "say which labelled data exists")

	if len(c.MLFormulation.Inputs) == 0 {
		l.add(SevWarning, "canvas.ml_formulation.inputs", "canvas.ml_formulation.inputs is empty: list the model's inputs")
	}
	l.text("canvas.ml_formulation.output", c.MLFormulation.Output, "say what the model predicts")
	switch t := c.MLFormulation.Type; {
	case t == "":
		l.add(SevWarning, "canvas.ml_formulation.type", "canvas.ml_formulation.type is empty: classification or regression")
	case t != Classification && t != Regression:
		l.add(SevError, "canvas.ml_formulation.type", "canvas.ml_formulation.type %q is unknown: want classification or regression", t)
	case cfg.Task != "" && t != cfg.Task:
		l.add(SevError, "canvas.ml_formulation.type", "canvas.ml_formulation.type is %s but task is %s", t, cfg.Task)
	}

	l.text("canvas.success_metrics.business", c.SuccessMetrics.Business, "state the business outcome that defines success")
	if len(c.SuccessMetrics.Technical) == 0 {
		l.add(SevWarning, "canvas.success_metrics.technical", "no technical success metric: the pre-production gate has no target to check")
	}
	seen := map[string]bool{}
	for i, m := range c.SuccessMetrics.Technical {
		field := fmt.Sprintf("canvas.success_metrics.technical[%d]", i)
		l.metricTarget(field, m)
		if seen[m.Metric] && m.Metric != "" {
			l.add(SevWarning, field+".metric", "%s.metric %s is listed twice", field, m.Metric)
		}
		seen[m.Metric] = true
	}

	k := &c.Constraints
	switch k.Mode {
	case ModeRealtime:
		if k.LatencyP99Ms == 0 {
			l.add(SevError, "canvas.constraints.latency_p99_ms", "canvas.constraints.mode is realtime but latency_p99_ms is 0: set the latency budget of one prediction")
		}
	case ModeBatch:
	case "":
		l.add(SevWarning, "canvas.constraints.mode", "canvas.constraints.mode is empty: realtime or batch")
	default:
		l.add(SevError, "canvas.constraints.mode", "canvas.constraints.mode %q is unknown: want realtime or batch", k.Mode)
	}
	if k.LatencyP99Ms < 0 || math.IsNaN(k.LatencyP99Ms) || math.IsInf(k.LatencyP99Ms, 0) {
		l.add(SevError, "canvas.constraints.latency_p99_ms", "canvas.constraints.latency_p99_ms %g is impossible: want a positive number of milliseconds", k.LatencyP99Ms)
	}
	l.text("canvas.constraints.budget", k.Budget, "state the compute and people budget")
	l.text("canvas.constraints.interpretability", k.Interpretability, "say who must understand the predictions")

	t := &c.Timeline
	for _, w := range []struct {
		field string
		v     float64
	}{{"discovery_weeks", t.DiscoveryWeeks}, {"development_weeks", t.DevelopmentWeeks}, {"deployment_weeks", t.DeploymentWeeks}} {
		if w.v < 0 || math.IsNaN(w.v) || math.IsInf(w.v, 0) {
			l.add(SevError, "canvas.timeline."+w.field, "canvas.timeline.%s %g is impossible: want 0 or more weeks", w.field, w.v)
		}
	}
	if t.DiscoveryWeeks == 0 && t.DevelopmentWeeks == 0 && t.DeploymentWeeks == 0 {
		l.add(SevWarning, "canvas.timeline", "canvas.timeline is empty: plan discovery, development and deployment weeks")
	}

	l.text("canvas.resources.data", c.Resources.Data, "name the data sources and their owners")
	l.text("canvas.resources.team", c.Resources.Team, "name who works on it")
	l.text("canvas.resources.infrastructure", c.Resources.Infrastructure, "say where it trains and serves")

	risks := 0
	for i, r := range c.Risks {
		field := fmt.Sprintf("canvas.risks[%d]", i)
		if strings.TrimSpace(r.Risk) == "" && strings.TrimSpace(r.Mitigation) == "" {
			continue
		}
		risks++
		l.text(field+".risk", r.Risk, "describe the risk")
		l.text(field+".mitigation", r.Mitigation, "every risk needs a mitigation")
	}
	if risks == 0 {
		l.add(SevWarning, "canvas.risks", "canvas.risks lists no risk: name at least one with its mitigation")
	}

	if strings.TrimSpace(cfg.Data.Target) == "" {
		l.add(SevWarning, "data.target", "data.target is empty: name the column to predict (or pass --target to mlw data add)")
	}

	e := &cfg.Evaluation
	if e.PrimaryMetric != "" {
		l.metricName("evaluation.primary_metric", e.PrimaryMetric)
	}
	if e.Costs.FalsePositive < 0 || e.Costs.FalseNegative < 0 {
		l.add(SevError, "evaluation.costs", "evaluation.costs must not be negative (false_positive %g, false_negative %g)", e.Costs.FalsePositive, e.Costs.FalseNegative)
	}
	if e.MaxSegmentGap < 0 || e.MaxSegmentGap > 1 {
		l.add(SevError, "evaluation.max_segment_gap", "evaluation.max_segment_gap %g is impossible: want a value in [0, 1]", e.MaxSegmentGap)
	}

	d := &cfg.Monitoring.Drift
	if !slices.Contains([]string{"", "auto", "ks", "wasserstein", "psi"}, d.Numeric) {
		l.add(SevError, "monitoring.drift.numeric", "monitoring.drift.numeric %q is unknown: want auto, ks, wasserstein or psi", d.Numeric)
	}
	if !slices.Contains([]string{"", "auto", "chisquare", "jensenshannon", "psi"}, d.Categorical) {
		l.add(SevError, "monitoring.drift.categorical", "monitoring.drift.categorical %q is unknown: want auto, chisquare, jensenshannon or psi", d.Categorical)
	}
	if d.Threshold < 0 {
		l.add(SevError, "monitoring.drift.threshold", "monitoring.drift.threshold %g is impossible: want 0 or more", d.Threshold)
	}
	if d.DatasetShare < 0 || d.DatasetShare > 1 {
		l.add(SevError, "monitoring.drift.dataset_share", "monitoring.drift.dataset_share %g is impossible: want a share in [0, 1]", d.DatasetShare)
	}

	if ch, ok := metrics.(AlertRuleChecker); ok {
		bad := ch.CheckAlertRules(cfg.Monitoring.Alerts)
		for i := range cfg.Monitoring.Alerts {
			if err, ok := bad[i]; ok {
				l.add(SevError, fmt.Sprintf("monitoring.alerts[%d]", i), "%v", err)
			}
		}
	}

	r := &cfg.Retrain
	if r.Schedule != "" {
		if _, err := cron.ParseStandard(r.Schedule); err != nil {
			l.add(SevError, "retrain.schedule", "retrain.schedule %q is not a cron expression: %v", r.Schedule, err)
		}
	}
	if !slices.Contains([]string{"", "direct", "shadow", "ab", "canary", "bluegreen"}, r.Strategy) {
		l.add(SevError, "retrain.strategy", "retrain.strategy %q is unknown: want direct, shadow, ab, canary or bluegreen", r.Strategy)
	}
	if r.OnDegradation != nil {
		if l.metricName("retrain.on_degradation.metric", r.OnDegradation.Metric) {
			info, _ := l.metrics.Lookup(r.OnDegradation.Metric)
			if r.OnDegradation.Below < info.Min || r.OnDegradation.Below > info.Max {
				l.add(SevError, "retrain.on_degradation.below", "retrain.on_degradation.below %g is outside the range of %s [%g, %g]", r.OnDegradation.Below, r.OnDegradation.Metric, info.Min, info.Max)
			}
		}
	}

	res := &LintResult{Findings: l.findings}
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if (a.Severity == SevError) != (b.Severity == SevError) {
			return a.Severity == SevError
		}
		return a.Line < b.Line
	})
	for _, f := range res.Findings {
		if f.Severity == SevError {
			res.Errors++
		} else {
			res.Warnings++
		}
	}
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	return res
}

// metricName checks that a metric is known and fits the task; it reports whether
// the name can be used further.
func (l *linter) metricName(field, name string) bool {
	if strings.TrimSpace(name) == "" {
		l.add(SevError, field, "%s is empty: name a metric", field)
		return false
	}
	info, ok := l.metrics.Lookup(name)
	if !ok {
		l.add(SevError, field, "%s %q is not a metric mlw knows%s", field, name, l.suggest(name))
		return false
	}
	if l.task != "" && info.Task != l.task {
		l.add(SevError, field, "%s %s is a %s metric but task is %s", field, name, info.Task, l.task)
		return false
	}
	return true
}

func (l *linter) metricTarget(field string, m MetricTarget) {
	if !l.metricName(field+".metric", m.Metric) {
		return
	}
	info, _ := l.metrics.Lookup(m.Metric)
	if m.Min == nil && m.Max == nil {
		l.add(SevError, field, "%s (%s) has no threshold: give min or max", field, m.Metric)
		return
	}
	check := func(bound string, v *float64) {
		if v == nil {
			return
		}
		if math.IsNaN(*v) || *v < info.Min || *v > info.Max {
			l.add(SevError, field+"."+bound, "%s.%s %g is impossible for %s, whose values lie in [%g, %g]", field, bound, *v, m.Metric, info.Min, info.Max)
		}
	}
	check("min", m.Min)
	check("max", m.Max)
	if m.Min != nil && m.Max != nil && *m.Min > *m.Max {
		l.add(SevError, field, "%s (%s): min %g is above max %g", field, m.Metric, *m.Min, *m.Max)
	}
	if info.HigherIsBetter && m.Min == nil {
		l.add(SevWarning, field, "%s (%s) sets only a max, but higher %s is better: did you mean min?", field, m.Metric, m.Metric)
	}
	if !info.HigherIsBetter && m.Max == nil {
		l.add(SevWarning, field, "%s (%s) sets only a min, but lower %s is better: did you mean max?", field, m.Metric, m.Metric)
	}
}

// suggest returns ` (did you mean "x"?)` for the closest known name, if close.
func (l *linter) suggest(name string) string {
	best, bestD := "", 3
	for _, cand := range l.metrics.Names() {
		if d := editDistance(strings.ToLower(name), cand); d < bestD {
			best, bestD = cand, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
