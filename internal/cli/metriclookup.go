package cli

import (
	"mlw.dev/internal/project"
	"mlw.dev/metrics"
)

// metricLookup tells the canvas linter about metric names, from the metrics registry.
func metricLookup(name string) (project.MetricInfo, bool) {
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
