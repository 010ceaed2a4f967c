// Package metrics scores predictions of tabular models: classification,
// ranking, calibration, cost and regression metrics, plus a registry that
// maps the metric names used in mlw.yaml to their properties.
//
// Every function is pure: it reads slices, never modifies them, and does no
// I/O. Values match scikit-learn 1.2 to within 1e-9 where scikit-learn has
// the metric (see testdata/gen_reference.py and testdata/reference.json).
//
// # Inputs
//
// Class labels are class indices 0..K-1 held in []int. Binary metrics take
// class 1 as the positive class and panic on any label other than 0 or 1.
// Binary scores are one float64 per row: a probability of class 1 or any
// real score of which only the order matters (ranking metrics). Multiclass
// probabilities are a flat row-major slice with k columns, proba[i*k+j]
// being the probability that row i is class j, so len(proba) == n*k.
//
// Weights are optional sample weights: nil means every row weighs 1. Where
// scikit-learn drops zero-weight rows before building a curve (ROC and
// precision-recall curves), so does this package, so a score carried only by
// zero-weight rows never becomes a threshold.
//
// # Errors and edge cases
//
// The conventions below apply to every function; each function's
// documentation lists the cases that concern it.
//
//   - A shape mismatch or an invalid argument is a programmer error and
//     panics: slices of different lengths ("metrics: len(yTrue) !=
//     len(yPred)"), len(weights) != n for non-nil weights, len(proba) != n*k,
//     a label outside 0..K-1 (or outside {0, 1} in a binary metric), nBins < 1,
//     an Average a function does not support.
//   - A scalar metric whose value is undefined for the data returns NaN:
//     empty input, a weighted mean whose weights sum to zero, ROC AUC with a
//     single class, a NaN score in a ranking metric, probabilities outside
//     [0, 1] for Brier and ECE. scikit-learn raises ValueError (or
//     ZeroDivisionError) in most of these cases; for empty input it returns
//     NaN for accuracy but 0 for precision, recall, F1 and MCC, where this
//     package returns NaN too. The only functions that return a number for
//     empty input are sums: TotalCost is 0 and ConfusionMatrix is all zeros.
//   - Where scikit-learn 1.2 returns a conventional value instead of raising,
//     the same value is returned. Precision, recall and F1 use
//     zero_division=0: scikit-learn's default, zero_division="warn", returns
//     0 and warns. MCC is 0 when either marginal is constant. R² and
//     explained variance are 1 for a perfect prediction of a constant target
//     and 0 for an imperfect one (force_finite=True). Average precision is 0
//     when there are no positives.
//   - Functions that return curves return nil slices where the scalar
//     metrics return NaN for undefined input (empty input, NaN scores).
//   - Threshold searches (ThresholdForPrecision, ThresholdForRecall,
//     ThresholdForCost) return ok == false when no threshold meets the target.
//
// NaN in yPred or yTrue of a regression metric propagates to the result.
//
// # Deviations from scikit-learn 1.2
//
// Besides empty input, two cases differ on purpose, and are documented on
// the functions: R2 and ExplainedVariance detect a constant target exactly,
// where scikit-learn's rounded mean can turn the documented 0 into a huge
// negative number; and ROCAUCOvR does not require the rows of proba to sum
// to one.
package metrics
