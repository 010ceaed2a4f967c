// Package gbdt implements histogram gradient-boosted decision trees for
// regression, binary and multiclass classification, in the manner of LightGBM
// and scikit-learn's HistGradientBoosting estimators.
//
// Features are binned once into at most 255 quantile bins plus one bin for
// missing values; trees grow leaf-wise (best first) from per-leaf gradient and
// hessian histograms, built for the smaller child of every split and derived by
// subtraction for the larger one. Missing values are handled natively (each
// split learns which side they go to) and so are categorical features
// (model.Feature.Categorical: categories are ordered by their gradient to
// hessian ratio and the best partition is kept as a bitset).
//
// A Model is fitted in place:
//
//	var m gbdt.Model
//	m.MaxIter = 200
//	if err := m.Fit(ctx, p); err != nil { ... }
//	proba := m.PredictTo(nil, X)
//
// Prediction walks a compact array of nodes with the raw float thresholds; it
// allocates nothing when dst is large enough and is safe for concurrent use.
//
// On amd64 processors with AVX2 the histograms are built by assembly kernels
// (hist_amd64.s) that add the same numbers in the same order as their Go
// references, so a model does not depend on the machine that fitted it. The
// build tag noasm selects the Go kernels everywhere.
package gbdt

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"mlw.dev/model"
	"mlw.dev/model/internal/param"
)

// Kind is the registry name of the algorithm, returned by Model.Kind.
const Kind = "gbdt"

// Defaults used for the zero value of each Config field.
const (
	DefaultMaxIter            = 100
	DefaultLearningRate       = 0.1
	DefaultMaxLeafNodes       = 31
	DefaultMinSamplesLeaf     = 20
	DefaultMaxBins            = 255
	DefaultValidationFraction = 0.1
	DefaultNIterNoChange      = 10
	DefaultTol                = 1e-7
	DefaultSubsample          = 1.0
	DefaultColsample          = 1.0

	// earlyStoppingAutoRows is the number of training rows above which
	// EarlyStoppingAuto turns early stopping on, as in scikit-learn.
	earlyStoppingAutoRows = 10000
)

// EarlyStopping says whether boosting stops when the validation loss stops
// improving.
type EarlyStopping uint8

// Early stopping modes.
const (
	// EarlyStoppingAuto turns early stopping on when there are more than
	// 10,000 training rows, as scikit-learn's early_stopping='auto'.
	EarlyStoppingAuto EarlyStopping = iota
	// EarlyStoppingOn always stops early.
	EarlyStoppingOn
	// EarlyStoppingOff runs all MaxIter iterations.
	EarlyStoppingOff
)

// String returns "auto", "true" or "false", the scikit-learn spelling.
func (e EarlyStopping) String() string {
	switch e {
	case EarlyStoppingAuto:
		return "auto"
	case EarlyStoppingOn:
		return "true"
	case EarlyStoppingOff:
		return "false"
	}
	return fmt.Sprintf("EarlyStopping(%d)", uint8(e))
}

// Loss is the loss function boosting minimises.
type Loss string

// Losses. The empty Loss is LossAuto.
const (
	// LossAuto is LossLogLoss for classification and LossSquaredError for
	// regression.
	LossAuto Loss = "auto"
	// LossSquaredError is half the squared error (regression); the baseline is
	// the weighted mean of the target.
	LossSquaredError Loss = "squared_error"
	// LossAbsoluteError is the absolute error (regression); the baseline and the
	// leaf values are weighted medians of the residuals.
	LossAbsoluteError Loss = "absolute_error"
	// LossLogLoss is the binomial or multinomial log loss (classification).
	LossLogLoss Loss = "log_loss"
)

// Config holds the hyperparameters. The zero value of every field means its
// default (the Default constants); the scikit-learn name of each field is the
// name ParamSpecs, SetParam and Params use.
type Config struct {
	// MaxIter (max_iter) is the number of boosting iterations; a multiclass
	// model grows one tree per class per iteration.
	MaxIter int
	// LearningRate (learning_rate) shrinks every leaf value.
	LearningRate float64
	// MaxLeafNodes (max_leaf_nodes) bounds the leaves of each tree; at least 2.
	MaxLeafNodes int
	// MaxDepth (max_depth) bounds the depth of each tree (the root has depth
	// 0); 0 means no bound.
	MaxDepth int
	// MinSamplesLeaf (min_samples_leaf) is the least number of training rows in
	// a leaf.
	MinSamplesLeaf int
	// L2Regularization (l2_regularization) is added to the hessian sum of every
	// leaf; 0 (the default) means none.
	L2Regularization float64
	// MaxBins (max_bins) is the number of bins for non-missing values, 2 to
	// 255; missing values always have a bin of their own.
	MaxBins int
	// EarlyStopping (early_stopping) is auto, true or false.
	EarlyStopping EarlyStopping
	// ValidationFraction (validation_fraction) is the fraction of the training
	// rows held out (stratified for classification) to decide early stopping
	// when the problem carries no validation data.
	ValidationFraction float64
	// NIterNoChange (n_iter_no_change): boosting stops when none of the last
	// NIterNoChange iterations improved the validation loss by more than Tol
	// over the loss NIterNoChange+1 iterations back.
	NIterNoChange int
	// Tol (tol) is the improvement of the validation loss that counts as one.
	// Zero means the default 1e-7; use a tiny positive value for "any".
	Tol float64
	// Subsample (subsample) is the fraction of training rows, drawn without
	// replacement for every iteration, that grows its trees; in (0, 1].
	Subsample float64
	// Colsample (colsample) is the fraction of features drawn for every tree;
	// in (0, 1].
	Colsample float64
	// Loss (loss) is the loss function; the zero value is LossAuto.
	Loss Loss
	// Seed (random_state) seeds every random choice: the binning subsample,
	// the validation split and the row and column subsamples. The same data,
	// Config and Seed give the same model and the same MarshalBinary bytes.
	Seed uint64
	// NJobs (n_jobs) is the number of goroutines a fit uses, at most
	// GOMAXPROCS; 0 means GOMAXPROCS. It does not change the fitted model.
	// Between the short parallel steps of a fit they poll for work for up
	// to a millisecond rather than sleep.
	NJobs int
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.MaxIter == 0 {
		c.MaxIter = DefaultMaxIter
	}
	if c.LearningRate == 0 {
		c.LearningRate = DefaultLearningRate
	}
	if c.MaxLeafNodes == 0 {
		c.MaxLeafNodes = DefaultMaxLeafNodes
	}
	if c.MinSamplesLeaf == 0 {
		c.MinSamplesLeaf = DefaultMinSamplesLeaf
	}
	if c.MaxBins == 0 {
		c.MaxBins = DefaultMaxBins
	}
	if c.ValidationFraction == 0 {
		c.ValidationFraction = DefaultValidationFraction
	}
	if c.NIterNoChange == 0 {
		c.NIterNoChange = DefaultNIterNoChange
	}
	if c.Tol == 0 {
		c.Tol = DefaultTol
	}
	if c.Subsample == 0 {
		c.Subsample = DefaultSubsample
	}
	if c.Colsample == 0 {
		c.Colsample = DefaultColsample
	}
	if c.Loss == "" {
		c.Loss = LossAuto
	}
	return c
}

// Validate reports the first field of c (after WithDefaults) that is out of
// range, naming it by its scikit-learn name.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.MaxIter < 1:
		return fmt.Errorf("max_iter is %d, want at least 1", c.MaxIter)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 1):
		return fmt.Errorf("learning_rate is %g, want a finite value > 0", c.LearningRate)
	case c.MaxLeafNodes < 2:
		return fmt.Errorf("max_leaf_nodes is %d, want at least 2", c.MaxLeafNodes)
	case c.MaxDepth < 0:
		return fmt.Errorf("max_depth is %d, want at least 1 (0 for none)", c.MaxDepth)
	case c.MinSamplesLeaf < 1:
		return fmt.Errorf("min_samples_leaf is %d, want at least 1", c.MinSamplesLeaf)
	case !(c.L2Regularization >= 0) || math.IsInf(c.L2Regularization, 1):
		return fmt.Errorf("l2_regularization is %g, want a finite value >= 0", c.L2Regularization)
	case c.MaxBins < 2 || c.MaxBins > 255:
		return fmt.Errorf("max_bins is %d, want 2 to 255", c.MaxBins)
	case c.EarlyStopping > EarlyStoppingOff:
		return fmt.Errorf("early_stopping is %d, want auto, true or false", c.EarlyStopping)
	case !(c.ValidationFraction > 0 && c.ValidationFraction < 1):
		return fmt.Errorf("validation_fraction is %g, want a value in (0, 1)", c.ValidationFraction)
	case c.NIterNoChange < 1:
		return fmt.Errorf("n_iter_no_change is %d, want at least 1", c.NIterNoChange)
	case !(c.Tol >= 0) || math.IsInf(c.Tol, 1):
		return fmt.Errorf("tol is %g, want a finite value >= 0", c.Tol)
	case !(c.Subsample > 0 && c.Subsample <= 1):
		return fmt.Errorf("subsample is %g, want a value in (0, 1]", c.Subsample)
	case !(c.Colsample > 0 && c.Colsample <= 1):
		return fmt.Errorf("colsample is %g, want a value in (0, 1]", c.Colsample)
	case c.NJobs < 0:
		return fmt.Errorf("n_jobs is %d, want at least 1 (0 for GOMAXPROCS)", c.NJobs)
	}
	switch c.Loss {
	case LossAuto, LossSquaredError, LossAbsoluteError, LossLogLoss:
	default:
		return fmt.Errorf("loss is %q, want auto, squared_error, absolute_error or log_loss", string(c.Loss))
	}
	return nil
}

// Model is a gradient-boosted tree ensemble: its Config and, once fitted, its
// trees. The zero value is ready to be configured and fitted.
type Model struct {
	Config

	fit     fitted
	monitor *model.Monitor
}

// fitted is a Model's learned state; the zero value means not fitted.
type fitted struct {
	task      model.Task
	classes   int // 0 for regression
	nFeatures int
	loss      Loss // resolved: never LossAuto
	// nOut is the number of raw scores per row and of trees per iteration.
	nOut int
	// baseline holds the initial raw score of each output.
	baseline []float64
	// nIter is the number of iterations kept; trees of iteration i output k
	// start at nodes[roots[i*nOut+k]].
	nIter   int
	roots   []int32
	depth   []int32 // of each tree, derived from the nodes
	plan    plan    // derived from the nodes (prepare)
	nodes   []node
	bitsets []bitset
	// importances is the normalised total gain of each feature.
	importances []float64
	trainLoss   []float64
	validLoss   []float64
}

// Compile-time checks that Model implements the model interfaces.
var (
	_ model.Estimator         = (*Model)(nil)
	_ model.CurveReporter     = (*Model)(nil)
	_ model.Importancer       = (*Model)(nil)
	_ model.IterationReporter = (*Model)(nil)
)

// Kind returns "gbdt".
func (m *Model) Kind() string { return Kind }

// Outputs returns 1 for regression and the number of classes for
// classification; 0 before the model is fitted.
func (m *Model) Outputs() int {
	if m.fit.task.IsClassification() {
		return m.fit.classes
	}
	if m.fit.task == model.Regression {
		return 1
	}
	return 0
}

// SetMonitor makes the following fits call m.OnIteration after every
// boosting iteration with the predictions of the trees so far on m.X (the
// scores are updated one tree at a time, so that watching costs one tree
// walk per monitored row and tree). When OnIteration returns true, boosting
// ends there and keeps every iteration done, as if MaxIter were iter. Fit
// returns an error when m.X has another number of columns than the training
// data. nil removes the monitor.
func (m *Model) SetMonitor(mon *model.Monitor) { m.monitor = mon }

// NIter returns the number of boosting iterations the model kept: MaxIter, or
// with early stopping the iteration with the lowest validation loss.
func (m *Model) NIter() int { return m.fit.nIter }

// Curves returns the training loss ("train_loss") and, when there was
// validation data, the validation loss ("valid_loss") after each iteration
// run, including the iterations after the best one that early stopping
// dropped. The losses are scikit-learn's: half the mean squared error,
// the mean absolute error or the mean log loss, weighted by sample weight.
func (m *Model) Curves() []model.Curve {
	var cs []model.Curve
	if m.fit.trainLoss != nil {
		cs = append(cs, model.Curve{Name: "train_loss", Values: slices.Clone(m.fit.trainLoss)})
	}
	if m.fit.validLoss != nil {
		cs = append(cs, model.Curve{Name: "valid_loss", Values: slices.Clone(m.fit.validLoss)})
	}
	return cs
}

// FeatureImportances returns each feature's total split gain over the kept
// trees, normalised to sum to 1; all zeros when no tree has a split, nil
// before the model is fitted.
func (m *Model) FeatureImportances() []float64 {
	return slices.Clone(m.fit.importances)
}

// ParamSpecs lists the hyperparameters by their scikit-learn names.
func (m *Model) ParamSpecs() []model.ParamSpec {
	return []model.ParamSpec{
		{Name: "max_iter", Type: "int", Default: strconv.Itoa(DefaultMaxIter), Doc: "Boosting iterations (one tree per class per iteration for multiclass)."},
		{Name: "learning_rate", Type: "float", Default: param.Format(DefaultLearningRate), Doc: "Shrinkage applied to every leaf value."},
		{Name: "max_leaf_nodes", Type: "int", Default: strconv.Itoa(DefaultMaxLeafNodes), Doc: "Maximum number of leaves per tree (at least 2)."},
		{Name: "max_depth", Type: "int", Default: "none", Doc: "Maximum depth of each tree; none for no limit."},
		{Name: "min_samples_leaf", Type: "int", Default: strconv.Itoa(DefaultMinSamplesLeaf), Doc: "Minimum number of training rows per leaf."},
		{Name: "l2_regularization", Type: "float", Default: "0", Doc: "L2 penalty added to the hessian sum of every leaf."},
		{Name: "max_bins", Type: "int", Default: strconv.Itoa(DefaultMaxBins), Doc: "Bins for non-missing values (2 to 255); missing values get one more."},
		{Name: "early_stopping", Type: "string", Default: "auto", Doc: "auto (on above 10000 rows), true or false."},
		{Name: "validation_fraction", Type: "float", Default: param.Format(DefaultValidationFraction), Doc: "Fraction of training rows held out for early stopping when no validation data is given."},
		{Name: "n_iter_no_change", Type: "int", Default: strconv.Itoa(DefaultNIterNoChange), Doc: "Iterations without improvement before early stopping."},
		{Name: "tol", Type: "float", Default: param.Format(DefaultTol), Doc: "Minimum improvement of the validation loss."},
		{Name: "subsample", Type: "float", Default: "1", Doc: "Fraction of rows drawn for every iteration, in (0, 1]."},
		{Name: "colsample", Type: "float", Default: "1", Doc: "Fraction of features drawn for every tree, in (0, 1]."},
		{Name: "loss", Type: "string", Default: "auto", Doc: "auto, squared_error, absolute_error (regression) or log_loss (classification)."},
		{Name: "random_state", Type: "int", Default: "0", Doc: "Seed of every random choice; the same seed gives the same model."},
		{Name: "n_jobs", Type: "int", Default: "0", Doc: "Goroutines used by a fit; 0 for GOMAXPROCS."},
	}
}

// SetParam parses value and sets the hyperparameter named by its
// scikit-learn name. An unknown name, an unparsable value or a value out of
// range gives an error naming the parameter and the allowed values, and leaves
// the Config unchanged.
func (m *Model) SetParam(name, value string) error {
	c := m.Config
	value = strings.TrimSpace(value)
	var err error
	switch name {
	case "max_iter":
		c.MaxIter, err = param.Int(value, 1)
	case "learning_rate":
		c.LearningRate, err = param.Positive(value)
	case "max_leaf_nodes":
		c.MaxLeafNodes, err = param.Int(value, 2)
	case "max_depth":
		if strings.EqualFold(value, "none") || value == "" {
			c.MaxDepth = 0
		} else {
			c.MaxDepth, err = param.Int(value, 1)
		}
	case "min_samples_leaf":
		c.MinSamplesLeaf, err = param.Int(value, 1)
	case "l2_regularization":
		c.L2Regularization, err = param.Float(value)
	case "max_bins":
		c.MaxBins, err = param.Int(value, 2)
	case "early_stopping":
		switch strings.ToLower(value) {
		case "auto":
			c.EarlyStopping = EarlyStoppingAuto
		case "true", "1", "on":
			c.EarlyStopping = EarlyStoppingOn
		case "false", "0", "off":
			c.EarlyStopping = EarlyStoppingOff
		default:
			err = fmt.Errorf("want auto, true or false")
		}
	case "validation_fraction":
		c.ValidationFraction, err = param.Positive(value)
	case "n_iter_no_change":
		c.NIterNoChange, err = param.Int(value, 1)
	case "tol":
		c.Tol, err = param.Float(value)
		if err == nil && c.Tol == 0 {
			// The zero Tol means the default; the smallest positive float
			// is the same as zero for every comparison of losses.
			c.Tol = math.SmallestNonzeroFloat64
		}
	case "subsample":
		c.Subsample, err = param.Positive(value)
	case "colsample":
		c.Colsample, err = param.Positive(value)
	case "loss":
		c.Loss = Loss(strings.ToLower(value))
	case "random_state":
		c.Seed, err = strconv.ParseUint(value, 10, 64)
		if err != nil {
			err = fmt.Errorf("want an integer >= 0")
		}
	case "n_jobs":
		c.NJobs, err = param.Int(value, 0)
	default:
		return fmt.Errorf("unknown parameter %q for %s; known: %s", name, Kind, strings.Join(paramNames(m.ParamSpecs()), ", "))
	}
	if err != nil {
		return fmt.Errorf("parameter %s: invalid value %q: %w", name, value, err)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("parameter %s: %w", name, err)
	}
	m.Config = c
	return nil
}

// Params returns every hyperparameter's effective value, defaults filled in,
// keyed by scikit-learn name.
func (m *Model) Params() map[string]string {
	c := m.Config.WithDefaults()
	depth := "none"
	if c.MaxDepth > 0 {
		depth = strconv.Itoa(c.MaxDepth)
	}
	return map[string]string{
		"max_iter":            strconv.Itoa(c.MaxIter),
		"learning_rate":       param.Format(c.LearningRate),
		"max_leaf_nodes":      strconv.Itoa(c.MaxLeafNodes),
		"max_depth":           depth,
		"min_samples_leaf":    strconv.Itoa(c.MinSamplesLeaf),
		"l2_regularization":   param.Format(c.L2Regularization),
		"max_bins":            strconv.Itoa(c.MaxBins),
		"early_stopping":      c.EarlyStopping.String(),
		"validation_fraction": param.Format(c.ValidationFraction),
		"n_iter_no_change":    strconv.Itoa(c.NIterNoChange),
		"tol":                 param.Format(c.Tol),
		"subsample":           param.Format(c.Subsample),
		"colsample":           param.Format(c.Colsample),
		"loss":                string(c.Loss),
		"random_state":        strconv.FormatUint(c.Seed, 10),
		"n_jobs":              strconv.Itoa(c.NJobs),
	}
}

func paramNames(specs []model.ParamSpec) []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names
}
