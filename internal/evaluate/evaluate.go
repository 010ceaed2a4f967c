// Package evaluate assembles the evaluation report of a model on the rows of
// one part of a split (validation or test): every metric and its lift over
// the split's baseline with a bootstrap confidence interval, metrics per
// segment and fairness figures, calibration, the confusion matrix, ROC and
// precision-recall curves, threshold analysis, residuals, permutation
// importance, and error analysis — the slices of the data (single features
// and pairs) where the model errs significantly more often than overall,
// with examples of its errors.
//
// The report is data: JSON-serialisable with snake_case names, and the same
// input and seed give the same report. Metric values come from package
// metrics (and internal/train.Score); this package adds the statistics on
// top of them.
//
// # Statistics
//
// Lift over the baseline is model − baseline for every metric both have. Its
// confidence interval is a paired percentile bootstrap: Options.Resamples
// resamples of the rows drawn with replacement (resample b uses its own
// PCG stream seeded by (Seed, b), so results do not depend on the number of
// workers), the metric of the model and of the baseline computed on the same
// resample, and the (1−c)/2 and (1+c)/2 percentiles of the differences
// (numpy's linear interpolation) for confidence c. Resamples where either
// metric is undefined are left out; the interval is null when more than half
// are.
//
// Error analysis counts a row as an error when it is misclassified
// (classification) or when its absolute residual exceeds the 80th percentile
// of the absolute residuals (regression, so about 20% of rows are errors).
// Each column is cut into slices: one per category (the Options.MaxCategories
// most frequent), one per value of a numeric column with at most
// Options.QuantileBins·2 distinct values, otherwise Options.QuantileBins
// quantile bins (numpy.percentile edges, half-open [lo, hi) bins), and missing
// values as a slice of their own. Datetime columns are not sliced. Pairs of
// slices of two columns are slices too, among the Options.MaxPairColumns
// columns whose best single slice has the most excess errors. A slice with
// fewer than Options.MinRows rows, holding every row, or (for a pair) equal
// to one of its two single slices is not tested.
//
// A single slice is tested against the overall error rate p₀, a pair against
// the higher of p₀ and the error rates of its two single slices (so a pair is
// reported only when the combination is worse than either condition alone),
// with a one-sided exact binomial test: p = P(X ≥ k) for X ~ Binomial(n, p₀),
// k errors among the slice's n rows (scipy.stats.binomtest, alternative
// "greater"). The p-values of every slice tested are adjusted with the
// Benjamini–Hochberg procedure, and slices whose adjusted p-value is at most
// Options.FDR are significant. Significant slices are ranked by size ×
// excess error rate, n·(k/n − p₀_overall) = k − n·p₀_overall, the number of
// errors above what the overall rate predicts.
//
// Segments are the groups of the segment and sensitive columns, cut as
// slices are (the infrequent categories forming one "other" segment). A
// segment's gap is how much worse its primary metric is than overall, in the
// metric's direction: absolute for bounded metrics, relative to the overall
// value for metrics without an upper bound (rmse, log_loss). A segment is
// flagged when its gap exceeds Input.MaxSegmentGap and it has at least
// Options.MinRows rows.
//
// Fairness figures follow fairlearn's definitions over the groups of a
// sensitive column that have at least Options.MinRows rows: the demographic
// parity difference and ratio are the difference and ratio of the largest
// and smallest rates of positive predictions; the equalized-odds difference
// is the larger of the ranges of true positive rates and of false positive
// rates across groups.
package evaluate

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"

	"mlw.dev/frame"
	"mlw.dev/internal/train"
	"mlw.dev/metrics"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
)

// Defaults of Options.
const (
	DefaultResamples         = 1000
	DefaultConfidence        = 0.95
	DefaultMinRows           = 20
	DefaultFDR               = 0.05
	DefaultQuantileBins      = 5
	DefaultMaxCategories     = 30
	DefaultMaxSlices         = 20
	DefaultMaxPairColumns    = 20
	DefaultMaxExamples       = 5
	DefaultCurvePoints       = 200
	DefaultResidualPoints    = 500
	DefaultCalibrationBins   = 10
	DefaultImportanceRepeats = 5
	DefaultImportanceRows    = 5000
	// DefaultMaxSegmentGap is the segment gap flagged when Input.MaxSegmentGap
	// is zero, as in the mlw.yaml template.
	DefaultMaxSegmentGap = 0.05
	// ErrorQuantile is the quantile of the absolute residuals above which a
	// regression row counts as an error.
	ErrorQuantile = 0.8
)

// Input is what an evaluation reads: the model's and the baseline's
// predictions on the evaluated rows, the true targets, the rows themselves
// and the project's evaluation settings.
type Input struct {
	// Task is the model's task.
	Task model.Task
	// Classes are the class labels in code order (classification).
	Classes []string
	// Target holds the true targets: class codes 0..K-1, or values.
	Target []float64
	// Pred are the model's predictions on the rows. When nil they are
	// computed with Model.PredictFrame(Rows).
	Pred *bundle.Predictions
	// Baseline are the baseline's predictions on the same rows; nil means
	// there is no baseline, and no lift.
	Baseline *bundle.Predictions
	// Rows are the evaluated rows, one per target, without the target
	// column. Segments, slices and examples read their columns.
	Rows *frame.Frame
	// Model is the model's bundle. It gives permutation importance and the
	// decision threshold; nil leaves importance out.
	Model *bundle.Bundle

	// PrimaryMetric is the metric of segment gaps and permutation
	// importance; empty means roc_auc (binary), f1_macro (multiclass) or
	// rmse (regression).
	PrimaryMetric string
	// Costs are the canvas costs of a false positive and a false negative;
	// both zero leaves the minimum-cost threshold out.
	Costs metrics.Costs
	// TargetPrecision and TargetRecall, when positive, ask for the threshold
	// that meets them (binary).
	TargetPrecision, TargetRecall float64
	// Segments and Sensitive name the segment and sensitive columns of
	// Rows. Both get per-segment metrics; sensitive ones also get fairness
	// figures (binary).
	Segments, Sensitive []string
	// MaxSegmentGap is the largest tolerated gap between a segment's primary
	// metric and the overall one; zero means DefaultMaxSegmentGap.
	MaxSegmentGap float64
	// SliceColumns are the columns error analysis slices; nil means every
	// column of Rows.
	SliceColumns []string
	// Seed seeds the bootstrap and permutation importance.
	Seed uint64

	// RunID, ModelKind, Part, BaselineRunID and BaselineKind describe what is
	// evaluated; they are copied to the report.
	RunID, ModelKind, Part, BaselineRunID, BaselineKind string
}

// Options tunes the statistics; the zero value means the defaults.
type Options struct {
	// Resamples is the number of bootstrap resamples (DefaultResamples).
	Resamples int
	// Confidence is the level of the bootstrap intervals (DefaultConfidence).
	Confidence float64
	// MinRows is the size below which a slice is not tested, a segment is
	// not flagged and a group is left out of fairness figures
	// (DefaultMinRows).
	MinRows int
	// FDR is the false discovery rate of the Benjamini–Hochberg procedure
	// (DefaultFDR).
	FDR float64
	// QuantileBins is the number of quantile bins of a numeric column
	// (DefaultQuantileBins).
	QuantileBins int
	// MaxCategories is the number of most frequent categories of a column
	// that become slices and segments; the rest are one "other" segment
	// and are never tested (DefaultMaxCategories).
	MaxCategories int
	// MaxSlices bounds the slices reported (DefaultMaxSlices).
	MaxSlices int
	// MaxPairColumns bounds the columns whose slices are paired: those with
	// the most excess errors in a single slice (DefaultMaxPairColumns);
	// negative pairs none.
	MaxPairColumns int
	// MaxExamples bounds the examples of each kind (DefaultMaxExamples);
	// negative gives none.
	MaxExamples int
	// CurvePoints bounds the points of each curve (DefaultCurvePoints).
	CurvePoints int
	// ResidualPoints bounds the points of the residual plot
	// (DefaultResidualPoints).
	ResidualPoints int
	// CalibrationBins is the number of equal-width calibration bins
	// (DefaultCalibrationBins).
	CalibrationBins int
	// ImportanceRepeats is the number of shuffles per column of permutation
	// importance (DefaultImportanceRepeats); negative leaves it out.
	ImportanceRepeats int
	// ImportanceRows bounds the rows permutation importance uses, taken
	// evenly spaced (DefaultImportanceRows).
	ImportanceRows int
	// Workers is the number of goroutines of the bootstrap; 0 means
	// GOMAXPROCS.
	Workers int
}

// WithDefaults returns o with zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	o.Resamples = cmp.Or(o.Resamples, DefaultResamples)
	o.Confidence = cmp.Or(o.Confidence, DefaultConfidence)
	o.MinRows = cmp.Or(o.MinRows, DefaultMinRows)
	o.FDR = cmp.Or(o.FDR, DefaultFDR)
	o.QuantileBins = cmp.Or(o.QuantileBins, DefaultQuantileBins)
	o.MaxCategories = cmp.Or(o.MaxCategories, DefaultMaxCategories)
	o.MaxSlices = cmp.Or(o.MaxSlices, DefaultMaxSlices)
	o.MaxPairColumns = cmp.Or(o.MaxPairColumns, DefaultMaxPairColumns)
	o.MaxExamples = cmp.Or(o.MaxExamples, DefaultMaxExamples)
	o.CurvePoints = cmp.Or(o.CurvePoints, DefaultCurvePoints)
	o.ResidualPoints = cmp.Or(o.ResidualPoints, DefaultResidualPoints)
	o.CalibrationBins = cmp.Or(o.CalibrationBins, DefaultCalibrationBins)
	o.ImportanceRepeats = cmp.Or(o.ImportanceRepeats, DefaultImportanceRepeats)
	o.ImportanceRows = cmp.Or(o.ImportanceRows, DefaultImportanceRows)
	o.Workers = cmp.Or(o.Workers, runtime.GOMAXPROCS(0))
	return o
}

// Validate checks options that went through WithDefaults.
func (o Options) Validate() error {
	switch {
	case o.Resamples < 1:
		return fmt.Errorf("resamples %d: want at least 1", o.Resamples)
	case !(o.Confidence > 0 && o.Confidence < 1):
		return fmt.Errorf("confidence %g: want a value in (0, 1)", o.Confidence)
	case !(o.FDR > 0 && o.FDR < 1):
		return fmt.Errorf("fdr %g: want a value in (0, 1)", o.FDR)
	}
	for _, f := range []struct {
		name     string
		v, least int
	}{
		{"min rows", o.MinRows, 1}, {"quantile bins", o.QuantileBins, 2}, {"max categories", o.MaxCategories, 1},
		{"max slices", o.MaxSlices, 1}, {"curve points", o.CurvePoints, 2}, {"residual points", o.ResidualPoints, 1},
		{"calibration bins", o.CalibrationBins, 1}, {"importance rows", o.ImportanceRows, 1}, {"workers", o.Workers, 1},
	} {
		if f.v < f.least {
			return fmt.Errorf("%s %d: want at least %d", f.name, f.v, f.least)
		}
	}
	return nil
}

// Report is the evaluation of a model on the rows of one part of a split.
// Sections that do not apply to the task are omitted; see each field.
type Report struct {
	// Task is binary, multiclass or regression.
	Task string `json:"task"`
	// RunID, Model, Part, BaselineRunID and Baseline are Input's
	// descriptive fields.
	RunID         string `json:"run_id,omitempty"`
	Model         string `json:"model,omitempty"`
	Part          string `json:"part,omitempty"`
	BaselineRunID string `json:"baseline_run_id,omitempty"`
	Baseline      string `json:"baseline,omitempty"`
	// Rows is the number of rows evaluated.
	Rows int `json:"rows"`
	// Classes are the class labels in code order (classification).
	Classes []string `json:"classes,omitempty"`
	// PrimaryMetric is the metric of segment gaps and importance.
	PrimaryMetric string `json:"primary_metric"`
	// Metrics are every metric of the task that is defined on the rows.
	Metrics map[string]float64 `json:"metrics"`
	// BaselineMetrics are the baseline's; empty without a baseline.
	BaselineMetrics map[string]float64 `json:"baseline_metrics"`
	// Lift is the difference model − baseline of each metric both have,
	// with its bootstrap confidence interval.
	Lift map[string]Lift `json:"lift"`
	// Bootstrap describes how the intervals of Lift were computed.
	Bootstrap Bootstrap `json:"bootstrap"`
	// SegmentGap says how Segments are compared with the overall metric.
	SegmentGap SegmentGap `json:"segment_gap"`
	// Segments are the groups of each segment and sensitive column.
	Segments []Segment `json:"segments"`
	// Fairness has one entry per sensitive column (binary only).
	Fairness []Fairness `json:"fairness,omitempty"`
	// Calibration is the reliability of the probabilities (binary only).
	Calibration *Calibration `json:"calibration,omitempty"`
	// ConfusionMatrix counts true against predicted classes
	// (classification).
	ConfusionMatrix *ConfusionMatrix `json:"confusion_matrix,omitempty"`
	// ROCCurve and PRCurve are the curves of the probability of class 1,
	// downsampled (binary only).
	ROCCurve *ROCCurve `json:"roc_curve,omitempty"`
	PRCurve  *PRCurve  `json:"pr_curve,omitempty"`
	// Threshold compares decision thresholds (binary only).
	Threshold *Threshold `json:"threshold,omitempty"`
	// Residuals summarise true − predicted (regression only).
	Residuals *Residuals `json:"residuals,omitempty"`
	// PermutationImportance is the drop of the primary metric when each
	// input column is shuffled, largest first (when Input.Model is set).
	PermutationImportance []train.Importance `json:"permutation_importance,omitempty"`
	// ErrorAnalysis says how Slices were found.
	ErrorAnalysis ErrorAnalysis `json:"error_analysis"`
	// Slices are the significant error slices, ranked by excess errors.
	Slices []Slice `json:"slices"`
	// Examples are a few of the model's errors with their feature values.
	Examples *Examples `json:"examples,omitempty"`
}

// Lift is a metric of the model against the baseline's.
type Lift struct {
	Model    float64 `json:"model"`
	Baseline float64 `json:"baseline"`
	// Lift is Model − Baseline; negative is an improvement for metrics
	// where lower is better.
	Lift float64 `json:"lift"`
	// Low and High bound the bootstrap confidence interval of Lift; null
	// when too few resamples define the metric.
	Low  Float `json:"ci_low"`
	High Float `json:"ci_high"`
	// HigherIsBetter is the metric's direction.
	HigherIsBetter bool `json:"higher_is_better"`
	// Verdict is "better" or "worse" when the interval excludes zero on
	// that side, and "inconclusive" otherwise.
	Verdict string `json:"verdict"`
}

// Verdicts of Lift.
const (
	Better       = "better"
	Worse        = "worse"
	Inconclusive = "inconclusive"
)

// Bootstrap describes the bootstrap of the lift intervals.
type Bootstrap struct {
	Method     string  `json:"method"`
	Resamples  int     `json:"resamples"`
	Confidence float64 `json:"confidence"`
	Seed       uint64  `json:"seed"`
}

// Evaluate computes the report. It returns an error when the input is
// inconsistent (lengths, unknown columns or metric) and when ctx is done.
func Evaluate(ctx context.Context, in *Input, opts Options) (*Report, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	e, err := newEvaluation(in, opts)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if err := e.run(ctx); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	return e.r, nil
}

// evaluation holds the state shared by the sections of a report.
type evaluation struct {
	in   *Input
	opts Options
	r    *Report
	n    int
	y    []int     // class codes (classification)
	prob []float64 // probability of class 1 (binary)
	info metrics.Info
	pred *bundle.Predictions
}

func newEvaluation(in *Input, opts Options) (*evaluation, error) {
	if in.Rows == nil {
		return nil, fmt.Errorf("no rows")
	}
	n := len(in.Target)
	if in.Rows.NumRows() != n {
		return nil, fmt.Errorf("%d rows for %d targets", in.Rows.NumRows(), n)
	}
	if n == 0 {
		return nil, fmt.Errorf("no rows to evaluate")
	}
	pred := in.Pred
	if pred == nil {
		if in.Model == nil {
			return nil, fmt.Errorf("neither predictions nor a model")
		}
		p, err := in.Model.PredictFrame(in.Rows)
		if err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
		pred = p
	}
	task := taskName(in.Task)
	if task == "" {
		return nil, fmt.Errorf("unknown task %v", in.Task)
	}
	if in.Task.IsClassification() && len(in.Classes) < 2 {
		return nil, fmt.Errorf("a %s task needs at least two class labels, got %d", task, len(in.Classes))
	}
	if err := checkPredictions("model", in.Task, len(in.Classes), n, pred); err != nil {
		return nil, err
	}
	if in.Baseline != nil {
		if err := checkPredictions("baseline", in.Task, len(in.Classes), n, in.Baseline); err != nil {
			return nil, err
		}
	}
	e := &evaluation{in: in, opts: opts, n: n, pred: pred}
	if in.Task.IsClassification() {
		e.y = make([]int, n)
		for i, v := range in.Target {
			c := int(v)
			if float64(c) != v || c < 0 || c >= len(in.Classes) {
				return nil, fmt.Errorf("target of row %d is %g, not a class code 0..%d", i, v, len(in.Classes)-1)
			}
			e.y[i] = c
		}
	}
	if in.Task == model.BinaryClassification {
		e.prob = make([]float64, n)
		for i := range e.prob {
			e.prob[i] = pred.Values[2*i+1]
		}
	}
	primary := in.PrimaryMetric
	if primary == "" {
		primary = map[model.Task]string{model.BinaryClassification: "roc_auc", model.MulticlassClassification: "f1_macro", model.Regression: "rmse"}[in.Task]
	}
	info, ok := metrics.Lookup(primary)
	if !ok {
		return nil, fmt.Errorf("unknown primary metric %q", primary)
	}
	wantTask := metrics.Classification
	if in.Task == model.Regression {
		wantTask = metrics.Regression
	}
	if info.Task != wantTask || info.BinaryOnly && in.Task != model.BinaryClassification {
		return nil, fmt.Errorf("primary metric %q does not apply to a %s task", primary, task)
	}
	e.info = info
	for _, name := range slices.Concat(in.Segments, in.Sensitive, in.SliceColumns) {
		j := in.Rows.ColumnIndex(name)
		if j < 0 {
			return nil, fmt.Errorf("column %q is not in the evaluated rows", name)
		}
	}
	for _, name := range slices.Concat(in.Segments, in.Sensitive) {
		if in.Rows.Column(name).Type() == frame.TypeDatetime {
			return nil, fmt.Errorf("segment column %q is a datetime: segment by a column derived from it", name)
		}
	}
	e.r = &Report{
		Task: task, RunID: in.RunID, Model: in.ModelKind, Part: in.Part, BaselineRunID: in.BaselineRunID, Baseline: in.BaselineKind,
		Rows: n, Classes: in.Classes, PrimaryMetric: primary,
		BaselineMetrics: map[string]float64{}, Lift: map[string]Lift{},
		Segments: []Segment{}, Slices: []Slice{},
	}
	return e, nil
}

func taskName(t model.Task) string {
	switch t {
	case model.Regression:
		return "regression"
	case model.BinaryClassification:
		return "binary"
	case model.MulticlassClassification:
		return "multiclass"
	}
	return ""
}

func checkPredictions(who string, task model.Task, k, n int, p *bundle.Predictions) error {
	outputs := 1
	if task.IsClassification() {
		outputs = k
	}
	switch {
	case p.Rows != n:
		return fmt.Errorf("%s predictions have %d rows, want %d", who, p.Rows, n)
	case p.Outputs != outputs || len(p.Values) != n*outputs:
		return fmt.Errorf("%s predictions have %d outputs per row, want %d", who, p.Outputs, outputs)
	case task.IsClassification() && len(p.Codes) != n:
		return fmt.Errorf("%s predictions have %d class codes, want %d", who, len(p.Codes), n)
	}
	return nil
}

// run computes every section of the report.
func (e *evaluation) run(ctx context.Context) error {
	in, r := e.in, e.r
	r.Metrics = finiteOnly(train.Score(in.Task, in.Target, e.pred))
	if in.Baseline != nil {
		r.BaselineMetrics = finiteOnly(train.Score(in.Task, in.Target, in.Baseline))
	}
	if err := e.lift(ctx); err != nil {
		return err
	}
	e.segments()
	if in.Task == model.BinaryClassification {
		e.fairness()
		e.calibration()
		e.curves()
		e.threshold()
	}
	if in.Task.IsClassification() {
		r.ConfusionMatrix = &ConfusionMatrix{Labels: in.Classes, Counts: metrics.ConfusionMatrix(len(in.Classes), e.y, e.pred.Codes, nil)}
	} else {
		e.residuals()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.importance(); err != nil {
		return err
	}
	e.errorAnalysis()
	e.examples()
	return nil
}

// importance computes permutation importance on at most ImportanceRows
// evenly spaced rows.
func (e *evaluation) importance() error {
	if e.in.Model == nil || e.opts.ImportanceRepeats < 0 {
		return nil
	}
	rows := evenRows(e.n, e.opts.ImportanceRows)
	f := e.in.Rows
	y := e.in.Target
	if len(rows) < e.n {
		f = f.Take(rows)
		y = make([]float64, len(rows))
		for i, r := range rows {
			y[i] = e.in.Target[r]
		}
	}
	imp, err := train.PermutationImportance(e.in.Model, f, y, e.r.PrimaryMetric, e.opts.ImportanceRepeats, e.in.Seed)
	if err != nil {
		return fmt.Errorf("permutation importance: %w", err)
	}
	e.r.PermutationImportance = imp
	return nil
}

// evenRows returns min(n, m) row indices spread evenly over 0..n-1,
// including the first and the last.
func evenRows(n, m int) []int {
	if n <= m {
		rows := make([]int, n)
		for i := range rows {
			rows[i] = i
		}
		return rows
	}
	rows := make([]int, m)
	if m == 1 {
		return rows
	}
	for i := range rows {
		rows[i] = int(math.Round(float64(i) * float64(n-1) / float64(m-1)))
	}
	return rows
}

// finiteOnly removes the metrics that are not finite (train.Score already
// leaves out NaN), so that the report always encodes as JSON.
func finiteOnly(m map[string]float64) map[string]float64 {
	maps.DeleteFunc(m, func(_ string, v float64) bool { return !finite(v) })
	return m
}

// subset returns the predictions of the given rows.
func subset(p *bundle.Predictions, rows []int) *bundle.Predictions {
	out := &bundle.Predictions{Rows: len(rows), Outputs: p.Outputs, Values: make([]float64, 0, len(rows)*p.Outputs)}
	for _, r := range rows {
		out.Values = append(out.Values, p.Row(r)...)
	}
	if p.Codes != nil {
		out.Codes = make([]int, len(rows))
		for i, r := range rows {
			out.Codes[i] = p.Codes[r]
		}
	}
	return out
}
