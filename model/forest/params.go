package forest

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"mlw.dev/model"
	"mlw.dev/model/tree"
)

// Bootstrap says whether each tree grows on a bootstrap sample of the rows.
type Bootstrap uint8

// Bootstrap settings.
const (
	// BootstrapDefault is the zero value: on for a random forest, off for
	// extra trees (scikit-learn's defaults).
	BootstrapDefault Bootstrap = iota
	// BootstrapOn grows each tree on rows drawn with replacement.
	BootstrapOn
	// BootstrapOff grows each tree on every row.
	BootstrapOff
)

// DefaultNEstimators is the number of trees when Params.NEstimators is zero.
const DefaultNEstimators = 100

// Params are a forest's hyperparameters, with scikit-learn's meaning. The
// zero value of every field means scikit-learn's default.
type Params struct {
	// Tree holds the parameters of every tree. Its Splitter is ignored (the
	// variant decides), its Seed is the forest's random_state, and its zero
	// MaxFeatures means sqrt for classification and all features (1.0) for
	// regression, as in scikit-learn 1.2.
	Tree tree.Params
	// NEstimators is the number of trees; zero means 100 (n_estimators).
	NEstimators int
	// Bootstrap says whether trees grow on bootstrap samples (bootstrap).
	Bootstrap Bootstrap
	// MaxSamples is the size of each bootstrap sample: zero means as many as
	// the rows, a value in (0, 1] a fraction of them, an integer above 1 a
	// count (max_samples). It needs bootstrapping.
	MaxSamples float64
	// OOBScore computes the out-of-bag score after fitting: the accuracy or
	// R² of each row's prediction by the trees that did not see it
	// (oob_score). It needs bootstrapping.
	OOBScore bool
	// NJobs is how many trees grow at once; zero or negative means
	// GOMAXPROCS (n_jobs). The fitted forest does not depend on it.
	NJobs int
}

// WithDefaults returns p with the defaults of variant v and task filled in.
func (p Params) WithDefaults(v Variant, task model.Task) Params {
	if p.NEstimators == 0 {
		p.NEstimators = DefaultNEstimators
	}
	if p.Bootstrap == BootstrapDefault {
		p.Bootstrap = BootstrapOn
		if v == ExtraTrees {
			p.Bootstrap = BootstrapOff
		}
	}
	if p.Tree.MaxFeatures.Rule == tree.MaxFeaturesDefault && task != 0 {
		p.Tree.MaxFeatures = tree.MaxFeatures{Rule: tree.MaxFeaturesFraction, Value: 1}
		if task.IsClassification() {
			p.Tree.MaxFeatures = tree.MaxFeatures{Rule: tree.MaxFeaturesSqrt}
		}
	}
	p.Tree.Splitter = tree.Best
	if v == ExtraTrees {
		p.Tree.Splitter = tree.Random
	}
	if task != 0 {
		p.Tree = p.Tree.WithDefaults(task)
	}
	return p
}

// Validate checks p for task (after WithDefaults) and returns an error naming
// the first parameter out of range.
func (p Params) Validate(task model.Task) error {
	switch {
	case p.NEstimators < 0 || p.NEstimators > math.MaxInt32:
		return fmt.Errorf("n_estimators %d: want an integer >= 1", p.NEstimators)
	case p.Bootstrap > BootstrapOff:
		return fmt.Errorf("bootstrap %d: want true or false", p.Bootstrap)
	case !(p.MaxSamples >= 0) || math.IsInf(p.MaxSamples, 0) || p.MaxSamples > 1 && p.MaxSamples != math.Trunc(p.MaxSamples):
		return fmt.Errorf("max_samples %g: want none, a fraction in (0, 1] or an integer count", p.MaxSamples)
	case p.MaxSamples > 0 && p.Bootstrap == BootstrapOff:
		return fmt.Errorf("max_samples %g: needs bootstrap=true", p.MaxSamples)
	case p.OOBScore && p.Bootstrap == BootstrapOff:
		return fmt.Errorf("oob_score: needs bootstrap=true")
	}
	return p.Tree.Validate(task)
}

// Forest parameter names (scikit-learn's).
const (
	ParamNEstimators = "n_estimators"
	ParamBootstrap   = "bootstrap"
	ParamMaxSamples  = "max_samples"
	ParamOOBScore    = "oob_score"
	ParamNJobs       = "n_jobs"
)

// forestSpecs documents the forest's own parameters.
var forestSpecs = []model.ParamSpec{
	{Name: ParamNEstimators, Type: "int", Default: "100", Doc: "Number of trees."},
	{Name: ParamBootstrap, Type: "bool", Default: "auto",
		Doc: "Grow each tree on a bootstrap sample of the rows; auto is true for a random forest and false for extra trees."},
	{Name: ParamMaxSamples, Type: "float", Default: "none",
		Doc: "Bootstrap sample size: none (as many as the rows), a fraction in (0, 1] or an integer count."},
	{Name: ParamOOBScore, Type: "bool", Default: "false",
		Doc: "Compute the out-of-bag accuracy or R² after fitting (needs bootstrap)."},
	{Name: ParamNJobs, Type: "int", Default: "0", Doc: "Trees grown in parallel; 0 or -1 means GOMAXPROCS. The result does not depend on it."},
}

// ParamSpecs lists the forest's hyperparameters with their defaults: its own
// and the trees' except splitter.
func ParamSpecs() []model.ParamSpec {
	specs := append([]model.ParamSpec(nil), forestSpecs...)
	for _, s := range tree.ParamSpecs() {
		switch s.Name {
		case tree.ParamSplitter:
			continue
		case tree.ParamMaxFeatures:
			s.Default = "auto"
			s.Doc += " auto is sqrt for classification and 1.0 (all) for regression."
		}
		specs = append(specs, s)
	}
	return specs
}

// Set parses and sets the hyperparameter name (scikit-learn's name). An
// unknown name or a value out of range gives an error naming the parameter
// and the allowed values.
func (p *Params) Set(name, value string) error {
	v := strings.TrimSpace(value)
	switch name {
	case ParamNEstimators:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > math.MaxInt32 {
			return fmt.Errorf("n_estimators %q: want an integer >= 1", value)
		}
		p.NEstimators = n
	case ParamBootstrap:
		if strings.EqualFold(v, "auto") {
			p.Bootstrap = BootstrapDefault
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("bootstrap %q: want true, false or auto", value)
		}
		p.Bootstrap = BootstrapOff
		if b {
			p.Bootstrap = BootstrapOn
		}
	case ParamMaxSamples:
		if strings.EqualFold(v, "none") || v == "" {
			p.MaxSamples = 0
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) || f > 1 && f != math.Trunc(f) {
			return fmt.Errorf("max_samples %q: want none, a fraction in (0, 1] or an integer count", value)
		}
		p.MaxSamples = f
	case ParamOOBScore:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("oob_score %q: want true or false", value)
		}
		p.OOBScore = b
	case ParamNJobs:
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 || n > math.MaxInt32 {
			return fmt.Errorf("n_jobs %q: want -1, 0 or a positive integer", value)
		}
		p.NJobs = n
	case tree.ParamSplitter:
		return fmt.Errorf("splitter: a forest's variant decides it (forest: best, extratrees: random)")
	default:
		return p.Tree.Set(name, value)
	}
	return nil
}

// Values returns every hyperparameter's effective value for variant v and
// task, keyed by scikit-learn's name. With task 0 (not yet known),
// criterion and max_features are "auto".
func (p Params) Values(v Variant, task model.Task) map[string]string {
	q := p.WithDefaults(v, task)
	vals := q.Tree.Values(task)
	delete(vals, tree.ParamSplitter)
	vals[ParamNEstimators] = strconv.Itoa(q.NEstimators)
	vals[ParamBootstrap] = strconv.FormatBool(q.Bootstrap == BootstrapOn)
	vals[ParamMaxSamples] = "none"
	if q.MaxSamples > 0 {
		vals[ParamMaxSamples] = strconv.FormatFloat(q.MaxSamples, 'g', -1, 64)
	}
	vals[ParamOOBScore] = strconv.FormatBool(q.OOBScore)
	vals[ParamNJobs] = strconv.Itoa(q.NJobs)
	if task == 0 {
		vals[tree.ParamMaxFeatures] = p.Tree.MaxFeatures.String()
	}
	return vals
}
