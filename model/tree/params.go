package tree

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"mlw.dev/model"
)

// Criterion is the impurity a split minimises. The zero value means the task's
// default: Gini for classification, SquaredError for regression.
type Criterion string

// Criteria, with scikit-learn's names.
const (
	Gini         Criterion = "gini"          // classification: 1 - Σ p_k²
	Entropy      Criterion = "entropy"       // classification: -Σ p_k log₂ p_k
	LogLoss      Criterion = "log_loss"      // classification: the same as Entropy
	SquaredError Criterion = "squared_error" // regression: variance around the mean
	FriedmanMSE  Criterion = "friedman_mse"  // regression: squared error with Friedman's improvement score
	Poisson      Criterion = "poisson"       // regression: half Poisson deviance; targets must be >= 0
)

// classification reports whether c is a classification criterion.
func (c Criterion) classification() bool { return c == Gini || c == Entropy || c == LogLoss }

// regression reports whether c is a regression criterion.
func (c Criterion) regression() bool { return c == SquaredError || c == FriedmanMSE || c == Poisson }

// Splitter is how a node's split is chosen. The zero value means Best.
type Splitter string

// Splitters, with scikit-learn's names.
const (
	// Best tries every threshold of every candidate feature.
	Best Splitter = "best"
	// Random draws one threshold per candidate feature, uniformly between the
	// feature's smallest and largest value in the node (extremely randomised
	// trees), and keeps the best of those. As in scikit-learn, values are
	// compared as float32: thresholds are float32 numbers, and values that
	// round up to the same float32 are not told apart.
	Random Splitter = "random"
)

// MaxFeaturesRule says how MaxFeatures counts the features a split considers.
type MaxFeaturesRule uint8

// Rules for MaxFeatures.
const (
	// MaxFeaturesDefault is the zero value: every feature for a single tree,
	// the forest's own default (sqrt for classification, all for regression) in
	// a forest.
	MaxFeaturesDefault MaxFeaturesRule = iota
	// MaxFeaturesAll considers every feature ("none").
	MaxFeaturesAll
	// MaxFeaturesSqrt considers max(1, ⌊√p⌋) of the p features ("sqrt").
	MaxFeaturesSqrt
	// MaxFeaturesLog2 considers max(1, ⌊log₂ p⌋) of the p features ("log2").
	MaxFeaturesLog2
	// MaxFeaturesCount considers Value features (an integer such as "8").
	MaxFeaturesCount
	// MaxFeaturesFraction considers max(1, ⌊Value·p⌋) features (a float in
	// (0, 1] such as "0.5" or "1.0").
	MaxFeaturesFraction
)

// MaxFeatures is how many randomly drawn features each split considers,
// scikit-learn's max_features. As in scikit-learn, features found constant in
// a node count as considered, and the search goes on past the limit until it
// has seen at least one non-constant feature.
type MaxFeatures struct {
	Rule MaxFeaturesRule
	// Value is the count for MaxFeaturesCount and the fraction for
	// MaxFeaturesFraction; it is ignored otherwise.
	Value float64
}

// ParseMaxFeatures parses scikit-learn's spellings: "none", "sqrt", "log2", an
// integer count ("8") or a fraction written with a decimal point ("0.5",
// "1.0"). The empty string and "auto" give the zero (default) value.
func ParseMaxFeatures(s string) (MaxFeatures, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return MaxFeatures{}, nil
	case "none", "all":
		return MaxFeatures{Rule: MaxFeaturesAll}, nil
	case "sqrt":
		return MaxFeatures{Rule: MaxFeaturesSqrt}, nil
	case "log2":
		return MaxFeatures{Rule: MaxFeaturesLog2}, nil
	}
	if !strings.ContainsAny(s, ".eE") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return MaxFeatures{}, fmt.Errorf("max_features %q: want none, sqrt, log2, an integer >= 1 or a fraction in (0, 1]", s)
		}
		return MaxFeatures{Rule: MaxFeaturesCount, Value: float64(n)}, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= 1) {
		return MaxFeatures{}, fmt.Errorf("max_features %q: want none, sqrt, log2, an integer >= 1 or a fraction in (0, 1]", s)
	}
	return MaxFeatures{Rule: MaxFeaturesFraction, Value: f}, nil
}

// String returns the spelling ParseMaxFeatures reads back; "auto" for the
// default.
func (m MaxFeatures) String() string {
	switch m.Rule {
	case MaxFeaturesAll:
		return "none"
	case MaxFeaturesSqrt:
		return "sqrt"
	case MaxFeaturesLog2:
		return "log2"
	case MaxFeaturesCount:
		return strconv.Itoa(int(m.Value))
	case MaxFeaturesFraction:
		s := strconv.FormatFloat(m.Value, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	}
	return "auto"
}

// Resolve returns how many of p features a split considers, between 1 and p.
// The default rule resolves to p.
func (m MaxFeatures) Resolve(p int) int {
	n := p
	switch m.Rule {
	case MaxFeaturesSqrt:
		n = int(math.Sqrt(float64(p)))
	case MaxFeaturesLog2:
		n = int(math.Log2(float64(p)))
	case MaxFeaturesCount:
		n = int(m.Value)
	case MaxFeaturesFraction:
		n = int(m.Value * float64(p))
	}
	return min(max(n, 1), p)
}

// validate checks the rule's value.
func (m MaxFeatures) validate() error {
	switch m.Rule {
	case MaxFeaturesDefault, MaxFeaturesAll, MaxFeaturesSqrt, MaxFeaturesLog2:
		return nil
	case MaxFeaturesCount:
		if m.Value >= 1 && m.Value == math.Trunc(m.Value) && m.Value <= math.MaxInt32 {
			return nil
		}
	case MaxFeaturesFraction:
		if m.Value > 0 && m.Value <= 1 {
			return nil
		}
	}
	return fmt.Errorf("max_features %s: want none, sqrt, log2, an integer >= 1 or a fraction in (0, 1]", m)
}

// Defaults of the hyperparameters whose zero value is not their default.
const (
	DefaultMinSamplesSplit = 2
	DefaultMinSamplesLeaf  = 1
)

// Params are a tree's hyperparameters, with scikit-learn's meaning. The zero
// value of every field means scikit-learn's default.
type Params struct {
	// Criterion is the impurity to minimise; zero means Gini for
	// classification and SquaredError for regression (criterion).
	Criterion Criterion
	// Splitter is Best (zero) or Random (splitter).
	Splitter Splitter
	// MaxDepth limits the depth (the root has depth 0); zero means unlimited
	// (max_depth).
	MaxDepth int
	// MinSamplesSplit is the fewest rows a node needs to be split; zero means
	// 2 (min_samples_split).
	MinSamplesSplit int
	// MinSamplesLeaf is the fewest rows each child of a split keeps; zero
	// means 1 (min_samples_leaf).
	MinSamplesLeaf int
	// MinWeightFractionLeaf is the smallest fraction of the total sample
	// weight each child of a split keeps, in [0, 0.5] (min_weight_fraction_leaf).
	MinWeightFractionLeaf float64
	// MaxFeatures is how many features each split considers; zero means all
	// of them (max_features).
	MaxFeatures MaxFeatures
	// MaxLeafNodes, when at least 2, grows the tree best-first (the split with
	// the largest impurity decrease first) until it has that many leaves; zero
	// means unlimited and depth-first growth (max_leaf_nodes).
	MaxLeafNodes int
	// MinImpurityDecrease is the weighted impurity decrease a split must reach
	// (min_impurity_decrease).
	MinImpurityDecrease float64
	// CCPAlpha, when positive, prunes the grown tree by minimal cost-complexity
	// pruning: the weakest link is collapsed while its effective alpha is at
	// most CCPAlpha (ccp_alpha).
	CCPAlpha float64
	// Seed seeds the feature draws and the random splitter (random_state).
	// Features are drawn in a random order at every node even when all are
	// considered, so that, as in scikit-learn, the seed decides ties between
	// equally good splits.
	Seed uint64
}

// WithDefaults returns p with the defaults for task filled in.
func (p Params) WithDefaults(task model.Task) Params {
	if p.Criterion == "" {
		p.Criterion = Gini
		if task == model.Regression {
			p.Criterion = SquaredError
		}
	}
	if p.Criterion == LogLoss {
		p.Criterion = Entropy
	}
	if p.Splitter == "" {
		p.Splitter = Best
	}
	if p.MinSamplesSplit == 0 {
		p.MinSamplesSplit = DefaultMinSamplesSplit
	}
	if p.MinSamplesLeaf == 0 {
		p.MinSamplesLeaf = DefaultMinSamplesLeaf
	}
	if p.MaxFeatures.Rule == MaxFeaturesDefault {
		p.MaxFeatures.Rule = MaxFeaturesAll
	}
	return p
}

// Validate checks p for task (after WithDefaults) and returns an error naming
// the first parameter out of range.
func (p Params) Validate(task model.Task) error {
	switch {
	case task.IsClassification() && !p.Criterion.classification() && p.Criterion != "":
		return fmt.Errorf("criterion %q: want gini, entropy or log_loss for classification", p.Criterion)
	case task == model.Regression && !p.Criterion.regression() && p.Criterion != "":
		return fmt.Errorf("criterion %q: want squared_error, friedman_mse or poisson for regression", p.Criterion)
	case p.Splitter != "" && p.Splitter != Best && p.Splitter != Random:
		return fmt.Errorf("splitter %q: want best or random", p.Splitter)
	case p.MaxDepth < 0:
		return fmt.Errorf("max_depth %d: want none or an integer >= 1", p.MaxDepth)
	case p.MinSamplesSplit == 1 || p.MinSamplesSplit < 0:
		return fmt.Errorf("min_samples_split %d: want an integer >= 2", p.MinSamplesSplit)
	case p.MinSamplesLeaf < 0:
		return fmt.Errorf("min_samples_leaf %d: want an integer >= 1", p.MinSamplesLeaf)
	case !(p.MinWeightFractionLeaf >= 0 && p.MinWeightFractionLeaf <= 0.5):
		return fmt.Errorf("min_weight_fraction_leaf %g: want a number in [0, 0.5]", p.MinWeightFractionLeaf)
	case p.MaxLeafNodes == 1 || p.MaxLeafNodes < 0:
		return fmt.Errorf("max_leaf_nodes %d: want none or an integer >= 2", p.MaxLeafNodes)
	case !(p.MinImpurityDecrease >= 0) || math.IsInf(p.MinImpurityDecrease, 0):
		return fmt.Errorf("min_impurity_decrease %g: want a finite number >= 0", p.MinImpurityDecrease)
	case !(p.CCPAlpha >= 0) || math.IsInf(p.CCPAlpha, 0):
		return fmt.Errorf("ccp_alpha %g: want a finite number >= 0", p.CCPAlpha)
	}
	return p.MaxFeatures.validate()
}

// Param names shared by the tree and the forest (scikit-learn's).
const (
	ParamCriterion             = "criterion"
	ParamSplitter              = "splitter"
	ParamMaxDepth              = "max_depth"
	ParamMinSamplesSplit       = "min_samples_split"
	ParamMinSamplesLeaf        = "min_samples_leaf"
	ParamMinWeightFractionLeaf = "min_weight_fraction_leaf"
	ParamMaxFeatures           = "max_features"
	ParamMaxLeafNodes          = "max_leaf_nodes"
	ParamMinImpurityDecrease   = "min_impurity_decrease"
	ParamCCPAlpha              = "ccp_alpha"
	ParamRandomState           = "random_state"
)

// paramSpecs documents Params, in the order ParamSpecs lists them.
var paramSpecs = []model.ParamSpec{
	{Name: ParamCriterion, Type: "string", Default: "auto",
		Doc: "Split impurity: gini, entropy or log_loss (classification); squared_error, friedman_mse or poisson (regression). auto is gini or squared_error."},
	{Name: ParamSplitter, Type: "string", Default: "best",
		Doc: "best tries every threshold; random draws one threshold per feature (extremely randomised trees)."},
	{Name: ParamMaxDepth, Type: "int", Default: "none", Doc: "Maximum depth of the tree; none grows until the leaves are pure or too small."},
	{Name: ParamMinSamplesSplit, Type: "int", Default: "2", Doc: "Fewest rows a node needs to be split."},
	{Name: ParamMinSamplesLeaf, Type: "int", Default: "1", Doc: "Fewest rows each leaf keeps."},
	{Name: ParamMinWeightFractionLeaf, Type: "float", Default: "0", Doc: "Smallest fraction of the total sample weight each leaf keeps, in [0, 0.5]."},
	{Name: ParamMaxFeatures, Type: "string", Default: "none",
		Doc: "Features drawn at random for each split: none (all), sqrt, log2, an integer count or a fraction such as 0.5."},
	{Name: ParamMaxLeafNodes, Type: "int", Default: "none", Doc: "Grow best-first up to this many leaves; none grows depth-first without limit."},
	{Name: ParamMinImpurityDecrease, Type: "float", Default: "0", Doc: "Weighted impurity decrease a split must reach."},
	{Name: ParamCCPAlpha, Type: "float", Default: "0", Doc: "Complexity parameter of minimal cost-complexity pruning; 0 does not prune."},
	{Name: ParamRandomState, Type: "int", Default: "0", Doc: "Seed of the feature draws and of the random splitter."},
}

// ParamSpecs lists the tree hyperparameters with their defaults.
func ParamSpecs() []model.ParamSpec {
	return append([]model.ParamSpec(nil), paramSpecs...)
}

// Set parses and sets the hyperparameter name (scikit-learn's name). An
// unknown name or a value out of range gives an error naming the parameter
// and the allowed values.
func (p *Params) Set(name, value string) error {
	v := strings.TrimSpace(value)
	q := *p
	var err error
	switch name {
	case ParamCriterion:
		c := Criterion(strings.ToLower(v))
		switch c {
		case "auto", "":
			c = ""
		case Gini, Entropy, LogLoss, SquaredError, FriedmanMSE, Poisson:
		default:
			return fmt.Errorf("criterion %q: want auto, gini, entropy, log_loss, squared_error, friedman_mse or poisson", value)
		}
		q.Criterion = c
	case ParamSplitter:
		s := Splitter(strings.ToLower(v))
		if s != Best && s != Random {
			return fmt.Errorf("splitter %q: want best or random", value)
		}
		q.Splitter = s
	case ParamMaxDepth:
		q.MaxDepth, err = parseOptionalInt(name, v, 1)
	case ParamMinSamplesSplit:
		q.MinSamplesSplit, err = parseInt(name, v, 2)
	case ParamMinSamplesLeaf:
		q.MinSamplesLeaf, err = parseInt(name, v, 1)
	case ParamMinWeightFractionLeaf:
		q.MinWeightFractionLeaf, err = parseFloat(name, v, 0, 0.5)
	case ParamMaxFeatures:
		q.MaxFeatures, err = ParseMaxFeatures(v)
	case ParamMaxLeafNodes:
		q.MaxLeafNodes, err = parseOptionalInt(name, v, 2)
	case ParamMinImpurityDecrease:
		q.MinImpurityDecrease, err = parseFloat(name, v, 0, math.MaxFloat64)
	case ParamCCPAlpha:
		q.CCPAlpha, err = parseFloat(name, v, 0, math.MaxFloat64)
	case ParamRandomState:
		q.Seed, err = strconv.ParseUint(v, 10, 64)
		if err != nil {
			err = fmt.Errorf("random_state %q: want an integer >= 0", value)
		}
	default:
		return fmt.Errorf("unknown parameter %q", name)
	}
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Values returns every hyperparameter's effective value for task, keyed by
// scikit-learn's name. With task 0 (not yet known) the criterion is "auto".
func (p Params) Values(task model.Task) map[string]string {
	q := p
	if task != 0 {
		q = p.WithDefaults(task)
	} else {
		q = p.WithDefaults(model.Regression)
		q.Criterion = p.Criterion
	}
	crit := string(q.Criterion)
	if crit == "" {
		crit = "auto"
	}
	return map[string]string{
		ParamCriterion:             crit,
		ParamSplitter:              string(q.Splitter),
		ParamMaxDepth:              formatOptionalInt(q.MaxDepth),
		ParamMinSamplesSplit:       strconv.Itoa(q.MinSamplesSplit),
		ParamMinSamplesLeaf:        strconv.Itoa(q.MinSamplesLeaf),
		ParamMinWeightFractionLeaf: strconv.FormatFloat(q.MinWeightFractionLeaf, 'g', -1, 64),
		ParamMaxFeatures:           q.MaxFeatures.String(),
		ParamMaxLeafNodes:          formatOptionalInt(q.MaxLeafNodes),
		ParamMinImpurityDecrease:   strconv.FormatFloat(q.MinImpurityDecrease, 'g', -1, 64),
		ParamCCPAlpha:              strconv.FormatFloat(q.CCPAlpha, 'g', -1, 64),
		ParamRandomState:           strconv.FormatUint(q.Seed, 10),
	}
}

// parseInt parses an integer >= lo.
func parseInt(name, v string, lo int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > math.MaxInt32 {
		return 0, fmt.Errorf("%s %q: want an integer >= %d", name, v, lo)
	}
	return n, nil
}

// parseOptionalInt parses "none" (0) or an integer >= lo.
func parseOptionalInt(name, v string, lo int) (int, error) {
	if strings.EqualFold(v, "none") || v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > math.MaxInt32 {
		return 0, fmt.Errorf("%s %q: want none or an integer >= %d", name, v, lo)
	}
	return n, nil
}

// parseFloat parses a finite number in [lo, hi].
func parseFloat(name, v string, lo, hi float64) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= lo && f <= hi) {
		if hi == math.MaxFloat64 {
			return 0, fmt.Errorf("%s %q: want a finite number >= %g", name, v, lo)
		}
		return 0, fmt.Errorf("%s %q: want a number in [%g, %g]", name, v, lo, hi)
	}
	return f, nil
}

// formatOptionalInt formats 0 as "none".
func formatOptionalInt(n int) string {
	if n == 0 {
		return "none"
	}
	return strconv.Itoa(n)
}
