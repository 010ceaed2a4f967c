// Package profile computes exploratory statistics and data-quality findings
// for a [frame.Frame]: per-column summaries, duplicate rows, correlations,
// associations between categorical columns, the relationship of every
// feature to a target, and a list of findings in plain words.
//
// [Compute] is pure: it reads the frame, does no I/O and keeps no state, and
// the same frame and options give the same [Profile] whatever the number of
// workers. A Profile is plain data that encodes to JSON with snake_case
// names; statistics that are undefined are NaN in Go and null in JSON (see
// [Float]).
//
// # Definitions
//
// Counts. Count is the number of non-missing values and Missing the number of
// missing ones (NaN, NaT, code -1 or the missing mask of the column); MissingPct
// is 100·Missing/rows. Distinct counts distinct non-missing values, -0 equal
// to 0. Infinite numeric values count as values, but the moments, quantiles,
// histogram and outlier counts are computed over the finite values only, and
// correlations and target relations treat infinities as missing; Infinite
// counts them.
//
// Moments. Mean is the arithmetic mean; Std is the sample standard deviation
// with ddof = 1 (pandas Series.std, numpy std(ddof=1)), NaN for fewer than two
// values. Skewness is the adjusted Fisher–Pearson sample skewness
//
//	G1 = √(n(n−1)) / (n−2) · m3 / m2^{3/2},   m_k = Σ(x−x̄)^k / n,
//
// as pandas Series.skew() and scipy.stats.skew(bias=False); it is NaN for
// fewer than three values or when m2 ≤ (1e-15·x̄)², as in scipy.
//
// Quantiles. P05, P25, P50, P75 and P95 use numpy's default "linear" method:
// with the n values sorted, quantile p is x[h] interpolated at h = (n−1)p.
//
// Outliers. OutliersIQR counts values outside [Q1 − 1.5·IQR, Q3 + 1.5·IQR]
// (strictly), with IQR = Q3 − Q1 from the quantiles above; OutliersZ counts
// values with |x − mean| / Std > 3, with the sample Std above.
//
// Histogram. Options.Bins (default 20) equal-width bins over [min, max] of the
// finite values, as numpy.histogram(x, bins=20): every bin is half-open
// [e_i, e_{i+1}) except the last, which is closed; a single value v gets the
// range [v−0.5, v+0.5].
//
// Categorical treatment. Categorical and Bool columns, and numeric columns with
// at most [DiscreteMaxDistinct] (5) distinct values, are discrete: their
// values are categories for the top values, Cramér's V and the target
// relations.
//
// Top values. Up to [TopK] (10) values, the most frequent first and ties in
// ascending value order, with their counts. For numeric and datetime columns
// that are not discrete, only values seen at least twice are listed; id
// columns have none.
//
// Correlations. Pearson's r and Spearman's ρ between numeric columns (kinds
// numeric and boolean, the target included, ids, constants and the time column
// excluded), each over the rows where both values are finite (pairwise
// complete, as pandas DataFrame.corr). Spearman's ρ is Pearson's r of the
// average ranks (ties share the mean of their ranks), the ranks taken over
// those same rows. A correlation with a column that is constant on those rows,
// or over fewer than two rows, is NaN.
//
// Cramér's V. Between discrete columns (kinds categorical and boolean, and
// numeric columns with at most 5 distinct values), over the rows where both
// are present: V = √(χ² / n / (min(r, c) − 1)), with χ² Pearson's statistic
// of the r×c contingency table of the categories that occur, without Yates'
// or bias correction (scipy.stats.chi2_contingency(correction=False)). V is
// NaN when either column has a single category on those rows.
//
// Target relations. For every feature (kinds numeric, categorical and
// boolean; not the target, the ids or the time column), over the rows where
// both the feature and the target are present:
//
//   - AUC (binary classification): the ROC AUC of the feature as a score for
//     the positive class (the second class in sorted order), reported as
//     max(AUC, 1−AUC), with ties counted one half as in
//     sklearn.metrics.roc_auc_score. Discrete features score each row with the
//     share of positives in its category (an in-sample target encoding), so
//     that any category pattern counts.
//   - R2 (regression): the R² of the univariate least-squares fit, which is
//     Pearson's r² for a numeric feature; discrete features are fitted with
//     one mean per category (η², the correlation ratio).
//   - MutualInfo: the mutual information in nats of the discretised feature
//     and target, Σ p(x,y) log(p(x,y) / (p(x)p(y))), as
//     sklearn.metrics.mutual_info_score. A numeric column with at most
//     [MIBins] (10) distinct values keeps its values; others are cut into
//     MIBins equal-frequency bins whose interior edges are the quantiles
//     k/MIBins of the column's finite values (numpy.searchsorted(edges, x,
//     side="left")). Categories and classes are their own codes. For a
//     regression target the target is discretised the same way.
//
// Task. Without Options.Task the task is classification when the target is
// stored as categorical, text or boolean, or holds integers with at most
// [ClassMaxDistinct] (20) distinct values, and regression otherwise.
//
// Findings. Each check has a machine id (the Check constants), a severity and
// a message in plain words; the thresholds are in [Thresholds] with their
// defaults. Near-constant means that the most frequent value holds at least
// Thresholds.NearConstant (95%) of the non-missing values; high cardinality
// means more than Thresholds.HighCardinality (50) distinct values in a
// categorical column. Findings are ordered by severity (errors first), then in
// the order the checks run: the target, the whole frame, each column in frame
// order, pairs of columns, and the target relations.
package profile
