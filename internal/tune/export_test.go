package tune

import (
	"slices"

	"mlw.dev/internal/stats"
)

// Internals exposed to the tests of package tune_test.
var (
	Gamma              = gamma
	KernelWeights      = kernelWeights
	CategoricalKernels = categoricalKernels
	LogNormMass        = logNormMass
	TruncNormal        = truncNormal
)

// Percentile is the pruner's median rule generalised: the q-th percentile of
// v (reordered), as pruner.go takes it (sort, then stats.Quantile).
func Percentile(v []float64, q float64) float64 {
	slices.Sort(v)
	return stats.Quantile(v, q/100)
}

// NumericKernels returns the Parzen kernels of a float dimension [low, high]
// for the observations obs (see numericKernels).
func NumericKernels(low, high float64, obs []float64, ndims int, multivariate bool) (mu, sigma []float64) {
	d := tpeDim{kind: dimContinuous, low: low, high: high}
	return numericKernels(&d, obs, ndims, multivariate)
}

// DiscreteKernels is NumericKernels for an int dimension with a step.
func DiscreteKernels(low, high, step float64, obs []float64) (mu, sigma []float64) {
	d := tpeDim{kind: dimDiscrete, low: low, high: high, step: step}
	return numericKernels(&d, obs, 1, false)
}

// Local worker identities (localworker.go).
var (
	LocalPID    = localPID
	ProcessGone = processGone
)
