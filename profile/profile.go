package profile

import (
	"cmp"
	"encoding/json"
	"math"
	"runtime"
	"strconv"
	"time"

	"mlw.dev/frame"
)

// Fixed parameters of the statistics; see the package documentation.
const (
	// DefaultBins is the number of histogram bins when Options.Bins is 0.
	DefaultBins = 20
	// TopK is the maximum number of top values listed per column.
	TopK = 10
	// DiscreteMaxDistinct is the number of distinct values up to which a
	// numeric column is treated as categorical.
	DiscreteMaxDistinct = 5
	// MIBins is the number of equal-frequency bins of a numeric column in
	// the mutual information.
	MIBins = 10
	// ClassMaxDistinct is the number of distinct integers up to which a
	// numeric target is inferred to be a classification target.
	ClassMaxDistinct = 20
)

// Default thresholds of the findings.
const (
	DefaultMissing         = 0.01
	DefaultZeros           = 0.01
	DefaultDuplicates      = 0.01
	DefaultCorrelation     = 0.9
	DefaultHighCardinality = 50
	DefaultNearConstant    = 0.95
	DefaultLeakage         = 0.99
	DefaultMinorityShare   = 0.10
	DefaultSkewness        = 1
	DefaultOutliers        = 0.01
)

// Task is the kind of supervised problem the target defines.
type Task string

// The tasks. The empty Task asks Compute to infer it.
const (
	Classification Task = "classification"
	Regression     Task = "regression"
)

// Role is the part a column plays, as named in [Options].
type Role string

// The roles. Features have the empty role.
const (
	RoleTarget Role = "target"
	RoleID     Role = "id"
	RoleTime   Role = "time"
)

// Options configures [Compute]. The zero value profiles every row, with no
// target and the default thresholds.
type Options struct {
	// Target names the target column; empty means none, and the profile
	// then has no Target section.
	Target string
	// Task is Classification or Regression; empty infers it from the
	// target (see the package documentation).
	Task Task
	// IDs name identifier columns: their type is id whatever inference
	// says, they raise no id-like finding, and they are left out of
	// correlations and target relations. Empty names are ignored.
	IDs []string
	// Time names the column that orders the rows in time; it is left out of
	// correlations and target relations.
	Time string
	// SampleRows, when positive and below the number of rows, profiles a
	// uniform random sample of that many rows drawn without replacement
	// with Seed, in their original order. Zero profiles every row.
	SampleRows int
	// Seed seeds the row sample; the same seed draws the same rows.
	Seed uint64
	// Bins is the number of histogram bins; 0 means DefaultBins.
	Bins int
	// Workers bounds the number of goroutines; 0 means GOMAXPROCS. The
	// result does not depend on it.
	Workers int
	// Thresholds of the findings; zero fields take the defaults.
	Thresholds Thresholds
}

// Thresholds are the limits at which the findings are raised. A zero field
// means its Default constant.
type Thresholds struct {
	// Missing is the share of missing values above which a column gets a
	// warning (default 0.01).
	Missing float64 `json:"missing"`
	// Zeros is the share of zeros above which a numeric column gets a note
	// (default 0.01).
	Zeros float64 `json:"zeros"`
	// Duplicates is the share of duplicate rows above which the frame gets
	// a warning (default 0.01).
	Duplicates float64 `json:"duplicates"`
	// Correlation is the absolute Pearson correlation from which a pair of
	// features gets a warning (default 0.9).
	Correlation float64 `json:"correlation"`
	// HighCardinality is the number of distinct values above which a
	// categorical column gets a warning (default 50).
	HighCardinality int `json:"high_cardinality"`
	// NearConstant is the share of the most frequent value from which a
	// column is near-constant (default 0.95).
	NearConstant float64 `json:"near_constant"`
	// Leakage is the univariate ROC AUC or R² above which a feature is
	// reported as a possible leak of the target (default 0.99).
	Leakage float64 `json:"leakage"`
	// MinorityShare is the share below which the smallest class, counted
	// against itself plus the largest class, makes the target imbalanced
	// (default 0.10; in a binary problem, a minority under 10% of rows).
	MinorityShare float64 `json:"minority_share"`
	// Skewness is the absolute skewness above which a numeric column gets
	// a note (default 1).
	Skewness float64 `json:"skewness"`
	// Outliers is the share of values more than three standard deviations
	// from the mean above which a numeric column gets a note (default 0.01).
	Outliers float64 `json:"outliers"`
}

// WithDefaults returns t with its zero fields set to the defaults.
func (t Thresholds) WithDefaults() Thresholds {
	t.Missing = cmp.Or(t.Missing, DefaultMissing)
	t.Zeros = cmp.Or(t.Zeros, DefaultZeros)
	t.Duplicates = cmp.Or(t.Duplicates, DefaultDuplicates)
	t.Correlation = cmp.Or(t.Correlation, DefaultCorrelation)
	t.HighCardinality = cmp.Or(t.HighCardinality, DefaultHighCardinality)
	t.NearConstant = cmp.Or(t.NearConstant, DefaultNearConstant)
	t.Leakage = cmp.Or(t.Leakage, DefaultLeakage)
	t.MinorityShare = cmp.Or(t.MinorityShare, DefaultMinorityShare)
	t.Skewness = cmp.Or(t.Skewness, DefaultSkewness)
	t.Outliers = cmp.Or(t.Outliers, DefaultOutliers)
	return t
}

// Profile is the result of [Compute]. Lists are empty, never nil.
type Profile struct {
	// Rows is the number of rows profiled.
	Rows int `json:"rows"`
	// SampledFrom is the number of rows of the frame when Options.SampleRows
	// profiled a sample of them, and 0 otherwise.
	SampledFrom int `json:"sampled_from,omitempty"`
	// Columns describes every column, in frame order.
	Columns []Column `json:"columns"`
	// DuplicateRows is the number of rows equal to an earlier row in every
	// column (missing equal to missing), as pandas DataFrame.duplicated().
	DuplicateRows int `json:"duplicate_rows"`
	// DuplicateRowsIgnoringIDs counts the same over the columns that are not
	// ids: records repeated under a fresh identifier. It equals
	// DuplicateRows when there are no id columns.
	DuplicateRowsIgnoringIDs int `json:"duplicate_rows_ignoring_ids"`
	// ConstantColumns have at most one distinct non-missing value.
	ConstantColumns []string `json:"constant_columns"`
	// NearConstantColumns are not constant, but their most frequent value
	// holds at least Thresholds.NearConstant of the non-missing values.
	NearConstantColumns []string `json:"near_constant_columns"`
	// HighCardinality are categorical columns with more than
	// Thresholds.HighCardinality distinct values.
	HighCardinality []string `json:"high_cardinality"`
	// IDLike are columns of type id: declared in Options.IDs or inferred.
	IDLike []string `json:"id_like"`
	// Correlations holds Pearson's and Spearman's matrices over the numeric
	// columns.
	Correlations Correlations `json:"correlations"`
	// CramersV is the matrix of Cramér's V over the discrete columns.
	CramersV Matrix `json:"cramers_v"`
	// Target relates every feature to the target; nil without a usable
	// target.
	Target *Target `json:"target,omitempty"`
	// Findings are the data-quality observations, errors first.
	Findings []Finding `json:"findings"`
	// Thresholds are the thresholds the findings used.
	Thresholds Thresholds `json:"thresholds"`
}

// Column returns the column named name, or nil if there is none.
func (p *Profile) Column(name string) *Column {
	for i := range p.Columns {
		if p.Columns[i].Name == name {
			return &p.Columns[i]
		}
	}
	return nil
}

// Column summarises one column. Which of the embedded statistics are set
// depends on the storage: NumericStats for numeric columns, DatetimeStats for
// datetime columns; their fields appear inline in JSON.
type Column struct {
	// Name is the column name.
	Name string `json:"name"`
	// Type is the inferred semantic type (frame.InferSchema), or id for a
	// column named in Options.IDs.
	Type frame.Kind `json:"type"`
	// Storage is how the frame stores the values.
	Storage frame.Type `json:"storage"`
	// Role is target, id or time for the columns named in Options, and
	// empty for features.
	Role Role `json:"role,omitempty"`
	// Count is the number of non-missing values.
	Count int `json:"count"`
	// Missing is the number of missing values.
	Missing int `json:"missing"`
	// MissingPct is 100·Missing/rows (0 for an empty frame).
	MissingPct float64 `json:"missing_pct"`
	// Distinct is the number of distinct non-missing values.
	Distinct int `json:"distinct"`
	// Discrete is true when the values are treated as categories.
	Discrete bool `json:"discrete"`
	// Top lists the most frequent values; see the package documentation.
	Top []ValueCount `json:"top,omitempty"`
	// TopShare is the share of the most frequent value among the
	// non-missing values (0 for an id or all-missing column).
	TopShare float64 `json:"top_share"`

	*NumericStats
	*DatetimeStats
}

// ValueCount is a value, formatted as frame.Column.Cell formats it, and the
// number of rows that hold it.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// NumericStats summarises the finite values of a numeric column; see the
// package documentation for the definitions.
type NumericStats struct {
	// Infinite is the number of +Inf and -Inf values, which the other
	// statistics leave out.
	Infinite int `json:"infinite"`
	// Mean is the arithmetic mean.
	Mean Float `json:"mean"`
	// Std is the sample standard deviation (ddof = 1).
	Std Float `json:"std"`
	// Min is the smallest finite value.
	Min Float `json:"min"`
	// Max is the largest finite value.
	Max Float `json:"max"`
	// Quantiles are numpy's linear quantiles.
	Quantiles Quantiles `json:"quantiles"`
	// Skewness is the adjusted Fisher–Pearson skewness G1.
	Skewness Float `json:"skewness"`
	// Zeros is the number of values equal to 0.
	Zeros int `json:"zeros"`
	// OutliersIQR counts values beyond 1.5 IQR outside the quartiles.
	OutliersIQR int `json:"outliers_iqr"`
	// OutliersZ counts values more than 3 standard deviations from the
	// mean.
	OutliersZ int `json:"outliers_z"`
	// Histogram has equal-width bins over [Min, Max]; nil without finite
	// values.
	Histogram *Histogram `json:"histogram,omitempty"`
}

// Quantiles are the 5th, 25th, 50th, 75th and 95th percentiles.
type Quantiles struct {
	P05 Float `json:"p05"`
	P25 Float `json:"p25"`
	P50 Float `json:"p50"`
	P75 Float `json:"p75"`
	P95 Float `json:"p95"`
}

// Histogram counts values in bins: bin i is [Edges[i], Edges[i+1]), the last
// bin closed, and len(Edges) == len(Counts)+1.
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts []int     `json:"counts"`
}

// DatetimeStats summarises a datetime column.
type DatetimeStats struct {
	// Earliest and Latest are the first and last instants, in UTC; zero
	// when every value is missing.
	Earliest time.Time `json:"earliest"`
	Latest   time.Time `json:"latest"`
}

// Matrix is a symmetric matrix over named columns: Values[i][j] relates
// Columns[i] and Columns[j].
type Matrix struct {
	Columns []string  `json:"columns"`
	Values  [][]Float `json:"values"`
}

// At returns the entry for columns a and b, and false if either is not in
// the matrix.
func (m Matrix) At(a, b string) (float64, bool) {
	i, j := -1, -1
	for k, c := range m.Columns {
		if c == a {
			i = k
		}
		if c == b {
			j = k
		}
	}
	if i < 0 || j < 0 {
		return math.NaN(), false
	}
	return float64(m.Values[i][j]), true
}

// Correlations are the correlation matrices of the numeric columns.
type Correlations struct {
	Pearson  Matrix `json:"pearson"`
	Spearman Matrix `json:"spearman"`
}

// Target describes the target column and how each feature relates to it.
type Target struct {
	// Column is the name of the target column.
	Column string `json:"column"`
	// Task is the task given in Options or inferred.
	Task Task `json:"task"`
	// Count is the number of rows with a target value.
	Count int `json:"count"`
	// Missing is the number of rows without one.
	Missing int `json:"missing"`
	// Classes counts the rows of each class in sorted class order
	// (classification only).
	Classes []ClassCount `json:"classes,omitempty"`
	// Positive is the class the AUC scores in a binary problem.
	Positive string `json:"positive,omitempty"`
	// Features relates each feature to the target, in column order.
	Features []Relation `json:"features"`
}

// ClassCount is the size of one class of the target.
type ClassCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
	// Share is Count over the rows with a target value.
	Share float64 `json:"share"`
}

// Relation measures how strongly one feature alone relates to the target;
// see the package documentation for the definitions.
type Relation struct {
	// Column is the feature.
	Column string `json:"column"`
	// Rows is the number of rows where the feature and the target are both
	// present.
	Rows int `json:"rows"`
	// AUC is max(AUC, 1−AUC) of the feature as a score (binary
	// classification only; NaN otherwise).
	AUC Float `json:"auc"`
	// MutualInfo is the discretised mutual information in nats.
	MutualInfo Float `json:"mutual_info"`
	// R2 is the R² of the univariate fit (regression only; NaN otherwise).
	R2 Float `json:"r2"`
}

// Severity grades a finding.
type Severity string

// The severities, from mild to serious.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// The checks that raise findings, as the machine ids of Finding.Check.
const (
	CheckMissing         = "missing"          // warning: missing share above Thresholds.Missing
	CheckInfinite        = "infinite"         // warning: infinite values in a numeric column
	CheckZeros           = "zeros"            // info: zero share above Thresholds.Zeros
	CheckConstant        = "constant"         // warning: at most one distinct value
	CheckNearConstant    = "near_constant"    // info: top value share at least Thresholds.NearConstant
	CheckHighCardinality = "high_cardinality" // warning: categorical with many distinct values
	CheckIDLike          = "id_like"          // warning: an inferred identifier not named in Options.IDs
	CheckDuplicateRows   = "duplicate_rows"   // warning: duplicate share above Thresholds.Duplicates
	CheckHighCorrelation = "high_correlation" // warning: |Pearson| at least Thresholds.Correlation
	CheckSkewed          = "skewed"           // info: |skewness| above Thresholds.Skewness
	CheckOutliers        = "outliers"         // info: share of |z| > 3 above Thresholds.Outliers
	CheckLeakage         = "leakage"          // error: univariate AUC or R² above Thresholds.Leakage
	CheckClassImbalance  = "class_imbalance"  // warning: minority share below Thresholds.MinorityShare
	CheckTargetMissing   = "target_missing"   // warning: rows without a target value
	CheckTargetConstant  = "target_constant"  // error: the target has a single value
	CheckTargetUnusable  = "target_unusable"  // error: the target cannot serve the task
	CheckUnknownColumn   = "unknown_column"   // error: Options names a column the frame lacks
)

// Finding is one observation about the data, in plain words.
type Finding struct {
	// Severity is info, warning or error.
	Severity Severity `json:"severity"`
	// Check is the machine id of the check, one of the Check constants.
	Check string `json:"check"`
	// Columns are the columns concerned; empty for the whole frame.
	Columns []string `json:"columns"`
	// Message says what was found, such as "insulin: 48.7% missing".
	Message string `json:"message"`
	// Value is the measured quantity the threshold applies to (a share, a
	// correlation, an AUC), or NaN.
	Value Float `json:"value"`
}

// Float is a float64 that encodes NaN and the infinities as JSON null, so
// that an undefined statistic (the standard deviation of one value, the
// correlation with a constant column) reads as null. Decoding null gives NaN.
type Float float64

// MarshalJSON encodes f as a JSON number, or null when it is not finite.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON decodes a JSON number, or null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

func (o Options) withDefaults() Options {
	o.Thresholds = o.Thresholds.WithDefaults()
	o.Bins = cmp.Or(o.Bins, DefaultBins)
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

var nan = math.NaN()
