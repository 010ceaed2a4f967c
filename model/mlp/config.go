package mlp

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
const Kind = "mlp"

// Activation is the activation function of the hidden layers.
type Activation string

// Activations. The empty Activation is ActivationReLU.
const (
	ActivationReLU     Activation = "relu"
	ActivationTanh     Activation = "tanh"
	ActivationLogistic Activation = "logistic"
	ActivationIdentity Activation = "identity"
)

// Defaults used for the zero value of each Config field, as scikit-learn's.
const (
	DefaultHiddenLayerSize    = 100
	DefaultAlpha              = 1e-4
	DefaultBatchSize          = 200
	DefaultLearningRateInit   = 1e-3
	DefaultMaxIter            = 200
	DefaultTol                = 1e-4
	DefaultValidationFraction = 0.1
	DefaultNIterNoChange      = 10
	DefaultBeta1              = 0.9
	DefaultBeta2              = 0.999
	DefaultEpsilon            = 1e-8
)

// Config holds the hyperparameters. The zero value of every field means its
// default (the Default constants); the scikit-learn name of each field is the
// name ParamSpecs, SetParam and Params use. The solver is always Adam.
type Config struct {
	// HiddenLayerSizes (hidden_layer_sizes, "64,32") is the width of each
	// hidden layer; nil means one layer of 100.
	HiddenLayerSizes []int
	// Activation (activation) is relu, tanh, logistic or identity.
	Activation Activation
	// Alpha (alpha) is the L2 penalty: the loss of a batch of B rows adds
	// Alpha/(2B)·||W||² over every weight matrix.
	Alpha float64
	// BatchSize (batch_size) is the number of rows of a minibatch, clipped to
	// the number of training rows; zero means min(200, rows).
	BatchSize int
	// LearningRateInit (learning_rate_init) is Adam's step size.
	LearningRateInit float64
	// MaxIter (max_iter) bounds the epochs (passes over the training rows).
	MaxIter int
	// Tol (tol): an epoch counts as an improvement when it lowers the
	// training loss by more than Tol (or, with early stopping, raises the
	// validation score by more than Tol).
	Tol float64
	// EarlyStopping (early_stopping) stops on the validation score: the
	// problem's Valid rows when given, otherwise ValidationFraction of the
	// training rows held out (stratified for classification). The weights of
	// the best epoch are kept.
	EarlyStopping bool
	// ValidationFraction (validation_fraction) is the share of training rows
	// held out for early stopping, in (0, 1).
	ValidationFraction float64
	// NIterNoChange (n_iter_no_change): training stops after more than
	// NIterNoChange epochs in a row without improvement.
	NIterNoChange int
	// Beta1 (beta_1) and Beta2 (beta_2) are Adam's decay rates, in [0, 1).
	Beta1, Beta2 float64
	// Epsilon (epsilon) is Adam's numerical stabiliser.
	Epsilon float64
	// Seed (random_state) seeds the initial weights, the minibatch order and
	// the validation split. The same data, Config and Seed give the same
	// model and the same MarshalBinary bytes.
	Seed uint64
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if len(c.HiddenLayerSizes) == 0 {
		c.HiddenLayerSizes = []int{DefaultHiddenLayerSize}
	}
	if c.Activation == "" {
		c.Activation = ActivationReLU
	}
	c.Alpha = or(c.Alpha, DefaultAlpha)
	c.LearningRateInit = or(c.LearningRateInit, DefaultLearningRateInit)
	if c.MaxIter == 0 {
		c.MaxIter = DefaultMaxIter
	}
	c.Tol = or(c.Tol, DefaultTol)
	c.ValidationFraction = or(c.ValidationFraction, DefaultValidationFraction)
	if c.NIterNoChange == 0 {
		c.NIterNoChange = DefaultNIterNoChange
	}
	c.Beta1 = or(c.Beta1, DefaultBeta1)
	c.Beta2 = or(c.Beta2, DefaultBeta2)
	c.Epsilon = or(c.Epsilon, DefaultEpsilon)
	return c
}

func or(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// Validate reports the first field of c (after WithDefaults) that is out of
// range, naming it by its scikit-learn name.
func (c Config) Validate() error {
	c = c.WithDefaults()
	for _, h := range c.HiddenLayerSizes {
		if h < 1 || h > 1<<16 {
			return fmt.Errorf("hidden_layer_sizes holds %d, want layer sizes of 1 to 65536", h)
		}
	}
	if len(c.HiddenLayerSizes) > 64 {
		return fmt.Errorf("hidden_layer_sizes has %d layers, want at most 64", len(c.HiddenLayerSizes))
	}
	switch c.Activation {
	case ActivationReLU, ActivationTanh, ActivationLogistic, ActivationIdentity:
	default:
		return fmt.Errorf("activation is %q, want relu, tanh, logistic or identity", string(c.Activation))
	}
	switch {
	case !(c.Alpha >= 0) || math.IsInf(c.Alpha, 1):
		return fmt.Errorf("alpha is %g, want a finite value >= 0", c.Alpha)
	case c.BatchSize < 0:
		return fmt.Errorf("batch_size is %d, want at least 1 (0 for min(200, rows))", c.BatchSize)
	case !(c.LearningRateInit > 0) || math.IsInf(c.LearningRateInit, 1):
		return fmt.Errorf("learning_rate_init is %g, want a finite value > 0", c.LearningRateInit)
	case c.MaxIter < 1:
		return fmt.Errorf("max_iter is %d, want at least 1", c.MaxIter)
	case !(c.Tol >= 0) || math.IsInf(c.Tol, 1):
		return fmt.Errorf("tol is %g, want a finite value >= 0", c.Tol)
	case !(c.ValidationFraction > 0 && c.ValidationFraction < 1):
		return fmt.Errorf("validation_fraction is %g, want a value in (0, 1)", c.ValidationFraction)
	case c.NIterNoChange < 1:
		return fmt.Errorf("n_iter_no_change is %d, want at least 1", c.NIterNoChange)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("beta_1 is %g, want a value in [0, 1)", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("beta_2 is %g, want a value in [0, 1)", c.Beta2)
	case !(c.Epsilon > 0) || math.IsInf(c.Epsilon, 1):
		return fmt.Errorf("epsilon is %g, want a finite value > 0", c.Epsilon)
	}
	return nil
}

// ParamSpecs lists the hyperparameters by their scikit-learn names.
func (m *Model) ParamSpecs() []model.ParamSpec {
	return []model.ParamSpec{
		{Name: "hidden_layer_sizes", Type: "string", Default: strconv.Itoa(DefaultHiddenLayerSize), Doc: "Width of each hidden layer, comma-separated, e.g. 64,32."},
		{Name: "activation", Type: "string", Default: string(ActivationReLU), Doc: "Hidden-layer activation: relu, tanh, logistic or identity."},
		{Name: "solver", Type: "string", Default: "adam", Doc: "Optimiser; adam is the only one."},
		{Name: "alpha", Type: "float", Default: param.Format(DefaultAlpha), Doc: "L2 penalty on the weights."},
		{Name: "batch_size", Type: "int", Default: "auto", Doc: "Minibatch rows; auto for min(200, rows)."},
		{Name: "learning_rate_init", Type: "float", Default: param.Format(DefaultLearningRateInit), Doc: "Adam's step size."},
		{Name: "max_iter", Type: "int", Default: strconv.Itoa(DefaultMaxIter), Doc: "Maximum epochs."},
		{Name: "tol", Type: "float", Default: param.Format(DefaultTol), Doc: "Improvement of the loss (or validation score) that resets the patience."},
		{Name: "early_stopping", Type: "bool", Default: "false", Doc: "Stop on the validation score and keep the best epoch's weights."},
		{Name: "validation_fraction", Type: "float", Default: param.Format(DefaultValidationFraction), Doc: "Share of training rows held out for early stopping when no validation data is given."},
		{Name: "n_iter_no_change", Type: "int", Default: strconv.Itoa(DefaultNIterNoChange), Doc: "Epochs without improvement before stopping."},
		{Name: "beta_1", Type: "float", Default: param.Format(DefaultBeta1), Doc: "Adam's decay rate of the first moment."},
		{Name: "beta_2", Type: "float", Default: param.Format(DefaultBeta2), Doc: "Adam's decay rate of the second moment."},
		{Name: "epsilon", Type: "float", Default: param.Format(DefaultEpsilon), Doc: "Adam's numerical stabiliser."},
		{Name: "random_state", Type: "int", Default: "0", Doc: "Seed of the initial weights, the batch order and the validation split."},
	}
}

// SetParam parses value and sets the hyperparameter named by its
// scikit-learn name. An unknown name, an unparsable value or a value out of
// range gives an error naming the parameter and the allowed values, and
// leaves the Config unchanged.
func (m *Model) SetParam(name, value string) error {
	c := m.Config
	c.HiddenLayerSizes = slices.Clone(c.HiddenLayerSizes)
	value = strings.TrimSpace(value)
	var err error
	switch name {
	case "hidden_layer_sizes":
		c.HiddenLayerSizes, err = parseSizes(value)
	case "activation":
		c.Activation = Activation(strings.ToLower(value))
	case "solver":
		if !strings.EqualFold(value, "adam") {
			err = fmt.Errorf("want adam, the only solver")
		}
	case "alpha":
		c.Alpha, err = parseNonNegative(value)
		if err == nil && c.Alpha == 0 {
			// The zero Alpha means the default; the smallest positive
			// float is no penalty at all.
			c.Alpha = math.SmallestNonzeroFloat64
		}
	case "batch_size":
		if strings.EqualFold(value, "auto") {
			c.BatchSize = 0
		} else {
			c.BatchSize, err = param.Int(value, 1)
		}
	case "learning_rate_init":
		c.LearningRateInit, err = param.Positive(value)
	case "max_iter":
		c.MaxIter, err = param.Int(value, 1)
	case "tol":
		c.Tol, err = parseNonNegative(value)
		if err == nil && c.Tol == 0 {
			c.Tol = math.SmallestNonzeroFloat64
		}
	case "early_stopping":
		c.EarlyStopping, err = param.Bool(value)
	case "validation_fraction":
		c.ValidationFraction, err = param.Positive(value)
	case "n_iter_no_change":
		c.NIterNoChange, err = param.Int(value, 1)
	case "beta_1":
		c.Beta1, err = parseNonNegative(value)
		if err == nil && c.Beta1 == 0 {
			c.Beta1 = math.SmallestNonzeroFloat64
		}
	case "beta_2":
		c.Beta2, err = parseNonNegative(value)
		if err == nil && c.Beta2 == 0 {
			c.Beta2 = math.SmallestNonzeroFloat64
		}
	case "epsilon":
		c.Epsilon, err = param.Positive(value)
	case "random_state":
		c.Seed, err = strconv.ParseUint(value, 10, 64)
		if err != nil {
			err = fmt.Errorf("want an integer >= 0")
		}
	default:
		names := make([]string, 0, 16)
		for _, s := range m.ParamSpecs() {
			names = append(names, s.Name)
		}
		return fmt.Errorf("unknown parameter %q for %s; known: %s", name, Kind, strings.Join(names, ", "))
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
	sizes := make([]string, len(c.HiddenLayerSizes))
	for i, h := range c.HiddenLayerSizes {
		sizes[i] = strconv.Itoa(h)
	}
	batch := "auto"
	if c.BatchSize > 0 {
		batch = strconv.Itoa(c.BatchSize)
	}
	return map[string]string{
		"hidden_layer_sizes":  strings.Join(sizes, ","),
		"activation":          string(c.Activation),
		"solver":              "adam",
		"alpha":               param.Format(c.Alpha),
		"batch_size":          batch,
		"learning_rate_init":  param.Format(c.LearningRateInit),
		"max_iter":            strconv.Itoa(c.MaxIter),
		"tol":                 param.Format(c.Tol),
		"early_stopping":      strconv.FormatBool(c.EarlyStopping),
		"validation_fraction": param.Format(c.ValidationFraction),
		"n_iter_no_change":    strconv.Itoa(c.NIterNoChange),
		"beta_1":              param.Format(c.Beta1),
		"beta_2":              param.Format(c.Beta2),
		"epsilon":             param.Format(c.Epsilon),
		"random_state":        strconv.FormatUint(c.Seed, 10),
	}
}

// parseSizes parses "100", "64,32" or "(64, 32)".
func parseSizes(s string) ([]int, error) {
	s = strings.Trim(s, "()[] ")
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("want comma-separated layer sizes >= 1, e.g. 64,32")
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("want at least one hidden layer, e.g. 100")
	}
	return out, nil
}

func parseNonNegative(s string) (float64, error) {
	v, err := param.Float(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("want a finite number >= 0")
	}
	return v, nil
}
