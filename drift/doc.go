// Package drift computes the data drift statistics used by model
// monitoring: how far live traffic has moved from the training data.
//
// The raw-sample functions match scipy 1.10 to 1e-9 relative (see
// testdata/gen_reference.py): KS (scipy.stats.ks_2samp, exact or asymptotic
// p-value as method='auto'), ChiSquare (scipy.stats.chisquare with the
// expected counts rescaled), JensenShannon
// (scipy.spatial.distance.jensenshannon), Wasserstein
// (scipy.stats.wasserstein_distance) and PSI (defined in its doc, checked
// against a numpy implementation).
//
// A model bundle never holds the training data: NewNumericReference and
// NewCategoricalReference reduce each training column to a compact,
// JSON-serialisable reference (exact counts, moments, quantile bins and a
// quantile sketch). CompareNumeric and CompareCategorical compare a column
// of live traffic with its reference, choosing the method with Evidently's
// defaults unless told otherwise, and Dataset does so for every column in
// parallel and decides whether the dataset as a whole drifted.
//
// The package is pure: no I/O, no logging, and inputs are never modified.
package drift
