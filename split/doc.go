// Package split assigns the rows of a [frame.Frame] to train, validation and
// test parts without leaking information between them, generates
// cross-validation folds, and checks a split for leakage.
//
// # Splits
//
// [Split] returns an [Assignment]: one [Part] per row and the part sizes.
// Four strategies are available, configured by [Config]:
//
//   - [Random]: rows are shuffled, then cut at the ratios.
//   - [Stratified]: every class of the target keeps its share in every
//     part, to within one row; classes too small to reach every part are
//     placed train first and reported in [Assignment.Notes].
//   - [Time]: rows are ordered by a datetime or numeric column, and every
//     validation row is strictly later than every training row, every test
//     row strictly later than every validation row. Rows tied at a boundary
//     stay in the earlier part. Rows with a missing time are refused.
//   - [Group]: every value of a group column (a customer, a patient) falls
//     in one part only.
//
// Part sizes follow the ratios (default 0.7/0.15/0.15) to within rounding
// for Random and Stratified; Time moves a boundary past tied times and Group
// cannot split a group, so their sizes may deviate further. Every split is
// deterministic: the same frame, configuration and seed give the same
// assignment, on every platform. Randomness comes from [Config.Seed] only.
//
// # Cross-validation
//
// [KFold], [StratifiedKFold], [GroupKFold] and [TimeSeriesSplit] cut a set of
// rows (usually the training rows of a split) into [Fold] values. Without
// shuffling they return the same folds as their scikit-learn 1.2 namesakes
// (see testdata/gen_reference.py).
//
// # Leakage checks
//
// [Check] runs every leakage check that the given [Roles] allow and returns a
// [Report] of [Finding] values: rows duplicated across parts, ids or groups
// shared between parts, time overlap between parts, single features that
// predict the target almost perfectly, datetime features recorded after the
// event, and categories or labels of the evaluation parts never seen in
// training. A finding of [SeverityError] makes the split unusable.
//
// Row numbers in findings are 0-based row indices of the frame.
package split
