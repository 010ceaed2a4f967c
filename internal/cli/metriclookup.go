package cli

import (
	"math"

	"mlw.dev/internal/project"
)

// metricLookup tells the canvas linter about metric names.
// TODO(metrics): replace the table with metrics.Lookup once the package lands.
func metricLookup(name string) (project.MetricInfo, bool) {
	inf := math.Inf(1)
	table := map[string]project.MetricInfo{
		"accuracy": {Task: project.Classification, Min: 0, Max: 1, HigherIsBetter: true},
	}
	_ = inf
	m, ok := table[name]
	return m, ok
}
