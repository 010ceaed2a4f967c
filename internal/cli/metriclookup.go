package cli

import (
	"errors"

	"mlw.dev/internal/monitor"
	"mlw.dev/internal/project"
	"mlw.dev/metrics"
)

// metricCatalog tells the canvas linter about metric names, from the metrics registry.
type metricCatalog struct{}

// metricLookup is the catalog the commands lint with.
var metricLookup metricCatalog

// Names lists every metric mlw computes.
func (metricCatalog) Names() []string { return metrics.Names() }

// Lookup describes a metric for the linter.
func (metricCatalog) Lookup(name string) (project.MetricInfo, bool) {
	m, ok := metrics.Lookup(name)
	if !ok {
		return project.MetricInfo{}, false
	}
	task := project.Classification
	if m.Task == metrics.Regression {
		task = project.Regression
	}
	return project.MetricInfo{Task: task, Min: m.Min, Max: m.Max, HigherIsBetter: m.HigherIsBetter}, true
}

// CheckAlertRules checks the alert rules of monitoring.alerts for the linter.
func (metricCatalog) CheckAlertRules(rules []string) map[int]error {
	bad := map[int]error{}
	for _, err := range monitor.ValidateRules(rules) {
		var re *monitor.RuleError
		if errors.As(err, &re) && re.Index > 0 {
			bad[re.Index-1] = err
		}
	}
	return bad
}
