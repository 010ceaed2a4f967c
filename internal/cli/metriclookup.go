package cli

import (
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
