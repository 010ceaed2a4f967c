// Package linear implements linear models: logistic regression (binary and
// multinomial, with an L2, L1, elastic-net or no penalty), least squares and
// ridge regression solved exactly, and the lasso and the elastic net fitted by
// coordinate descent. Each follows the scikit-learn estimator of the same name,
// its objective, defaults and parameter names, and is tested against it.
//
// Every model is a value fitted in place:
//
//	var m linear.Logistic
//	m.C = 0.5
//	if err := m.Fit(ctx, p); err != nil { ... }
//	proba := m.PredictTo(nil, X)
//
// The features must be numeric and complete: mlw's feature pipeline imputes,
// one-hot encodes and standard-scales them for linear models, and Fit returns
// an error on a missing (NaN) or infinite value. Prediction allocates nothing
// when dst is large enough and is safe for concurrent use; a NaN in the input
// gives NaN outputs.
package linear

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"mlw.dev/model"
	"mlw.dev/model/internal/param"
)

// Registry names of the package's algorithms, returned by their Kind methods.
const (
	KindLogistic   = "logistic"
	KindLinear     = "linear"
	KindLasso      = "lasso"
	KindElasticNet = "elasticnet"
)

// Penalty is the regularisation of a logistic regression.
type Penalty string

// Penalties. The empty Penalty is PenaltyL2.
const (
	// PenaltyL2 adds ||W||²/(2C) to the summed log loss (fitted by L-BFGS).
	PenaltyL2 Penalty = "l2"
	// PenaltyL1 adds ||W||₁/C (fitted by OWL-QN; coefficients become exactly
	// zero).
	PenaltyL1 Penalty = "l1"
	// PenaltyElasticNet adds (L1Ratio·||W||₁ + (1-L1Ratio)/2·||W||²)/C.
	PenaltyElasticNet Penalty = "elasticnet"
	// PenaltyNone fits the plain log loss (by L-BFGS). On separable data the
	// coefficients grow until MaxIter or the tolerance stops the fit.
	PenaltyNone Penalty = "none"
)

// ClassWeight says how classes are weighted in the log loss.
type ClassWeight string

// Class weights. The empty ClassWeight is ClassWeightNone.
const (
	// ClassWeightNone weights every class 1.
	ClassWeightNone ClassWeight = "none"
	// ClassWeightBalanced weights class k by n/(m·n_k), n_k being its number
	// of training rows and m the number of classes present in them, as
	// scikit-learn's class_weight="balanced". The class weight multiplies the
	// sample weight.
	ClassWeightBalanced ClassWeight = "balanced"
)

// Defaults used for the zero value of each LogisticConfig field.
const (
	DefaultC       = 1.0
	DefaultL1Ratio = 0.5
	// DefaultLogisticMaxIter is 1000, not scikit-learn's 100: an unconverged
	// model is a worse default than a longer fit, and a fit stops as soon as
	// it converges, after far fewer iterations on standardised features.
	DefaultLogisticMaxIter = 1000
	DefaultLogisticTol     = 1e-4
)

// LogisticConfig holds the hyperparameters of a logistic regression. The
// zero value of every field means its default; the scikit-learn name of each
// field is the name ParamSpecs, SetParam and Params use.
type LogisticConfig struct {
	// Penalty (penalty) is l2, l1, elasticnet or none; the zero value is l2.
	Penalty Penalty
	// C (C) is the inverse of the regularisation strength; > 0.
	C float64
	// L1Ratio (l1_ratio) is the share of the L1 penalty in the elastic net,
	// in (0, 1]; used only by PenaltyElasticNet.
	L1Ratio float64
	// MaxIter (max_iter) bounds the quasi-Newton iterations.
	MaxIter int
	// Tol (tol) stops the fit when the largest component of the gradient of
	// scikit-learn 1.2's objective (the summed log loss plus the penalty) is
	// at most Tol, as scipy's L-BFGS-B gtol, or when an iteration lowers the
	// objective by less than Tol·2.2e-5 of its value (for the default Tol,
	// scipy's default factr test; smaller Tol values tighten both tests).
	Tol float64
	// NoIntercept (fit_intercept=false) fits no intercept. The intercept is
	// never penalised.
	NoIntercept bool
	// ClassWeight (class_weight) is none or balanced.
	ClassWeight ClassWeight
	// NJobs (n_jobs) is the number of goroutines a fit uses; 0 means
	// GOMAXPROCS. It does not change the fitted model.
	NJobs int
}

// WithDefaults returns c with every zero field set to its default.
func (c LogisticConfig) WithDefaults() LogisticConfig {
	if c.Penalty == "" {
		c.Penalty = PenaltyL2
	}
	if c.C == 0 {
		c.C = DefaultC
	}
	if c.L1Ratio == 0 {
		c.L1Ratio = DefaultL1Ratio
	}
	if c.MaxIter == 0 {
		c.MaxIter = DefaultLogisticMaxIter
	}
	if c.Tol == 0 {
		c.Tol = DefaultLogisticTol
	}
	if c.ClassWeight == "" {
		c.ClassWeight = ClassWeightNone
	}
	return c
}

// Validate reports the first field of c (after WithDefaults) that is out of
// range, naming it by its scikit-learn name.
func (c LogisticConfig) Validate() error {
	c = c.WithDefaults()
	switch c.Penalty {
	case PenaltyL2, PenaltyL1, PenaltyElasticNet, PenaltyNone:
	default:
		return fmt.Errorf("penalty is %q, want l2, l1, elasticnet or none", string(c.Penalty))
	}
	switch c.ClassWeight {
	case ClassWeightNone, ClassWeightBalanced:
	default:
		return fmt.Errorf("class_weight is %q, want none or balanced", string(c.ClassWeight))
	}
	switch {
	case !(c.C > 0) || math.IsInf(c.C, 1):
		return fmt.Errorf("inverse regularisation strength C is %g, want a finite value > 0", c.C)
	case !(c.L1Ratio > 0 && c.L1Ratio <= 1):
		return fmt.Errorf("l1_ratio is %g, want a value in (0, 1]", c.L1Ratio)
	case c.MaxIter < 1:
		return fmt.Errorf("max_iter is %d, want at least 1", c.MaxIter)
	case !(c.Tol > 0) || math.IsInf(c.Tol, 1):
		return fmt.Errorf("tol is %g, want a finite value > 0", c.Tol)
	case c.NJobs < 0:
		return fmt.Errorf("n_jobs is %d, want at least 1 (0 for GOMAXPROCS)", c.NJobs)
	}
	return nil
}

// Logistic is a logistic regression classifier, like scikit-learn's
// LogisticRegression with multi_class="auto": one coefficient vector for the
// positive class of a binary problem, a multinomial (softmax) model with one
// vector per class otherwise. It minimises the summed, sample- and
// class-weighted log loss plus the penalty: with PenaltyL2 or PenaltyNone by
// L-BFGS (as scikit-learn's lbfgs solver), with PenaltyL1 or
// PenaltyElasticNet by OWL-QN, which reaches the same optimum as scikit-
// learn's saga. The loss and its gradient are computed in one pass over the
// rows, in parallel over blocks of rows.
//
// The zero value is ready to be configured and fitted.
type Logistic struct {
	LogisticConfig

	fit logisticFit
}

// logisticFit is a Logistic's learned state; the zero value means not fitted.
type logisticFit struct {
	classes   int // 0: not fitted
	nFeatures int
	// coef holds one row of nFeatures coefficients per output: 1 output for
	// binary problems (the positive class), classes outputs otherwise.
	coef      []float64
	intercept []float64
	nIter     int
	converged bool
}

// Compile-time checks that Logistic implements the model interfaces.
var (
	_ model.Estimator   = (*Logistic)(nil)
	_ model.Importancer = (*Logistic)(nil)
)

// Kind returns "logistic".
func (m *Logistic) Kind() string { return KindLogistic }

// Outputs returns the number of classes; 0 before the model is fitted.
func (m *Logistic) Outputs() int { return m.fit.classes }

// Coef returns a copy of the coefficients, one row of X.Cols values per
// output, row-major: one row (the positive class) for a binary problem, one
// per class otherwise, as scikit-learn's coef_. A class absent from the
// training rows has zero coefficients and an intercept of -Inf (probability
// 0). It is nil before the model is fitted.
func (m *Logistic) Coef() []float64 { return slices.Clone(m.fit.coef) }

// Intercept returns a copy of the intercepts, one per row of Coef (zeros
// when NoIntercept is set).
func (m *Logistic) Intercept() []float64 { return slices.Clone(m.fit.intercept) }

// NIter returns the number of quasi-Newton iterations the fit ran.
func (m *Logistic) NIter() int { return m.fit.nIter }

// Converged reports whether the fit met its tolerance before MaxIter.
func (m *Logistic) Converged() bool { return m.fit.converged }

// FeatureImportances returns the absolute coefficients of each feature,
// summed over the classes of a multinomial model and normalised to sum to 1
// (all zeros when every coefficient is zero; nil before the model is fitted).
// They compare features only when the features share a scale, as they do
// after the feature pipeline's standard scaling.
func (m *Logistic) FeatureImportances() []float64 {
	if m.fit.classes == 0 {
		return nil
	}
	return importances(m.fit.coef, m.fit.nFeatures)
}

// Fit learns the coefficients from p, a binary or multiclass problem. It
// returns an error if the configuration is invalid, if p is invalid or is not
// a classification problem, if a feature value is missing or infinite, if a
// sample weight is negative, or if the training rows hold a single class. It
// checks ctx once per iteration and returns ctx.Err() when it is cancelled,
// leaving the model unchanged.
func (m *Logistic) Fit(ctx context.Context, p *model.Problem) error {
	c := m.LogisticConfig.WithDefaults()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("linear: logistic: %w", err)
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("linear: logistic: %w", err)
	}
	if !p.Task.IsClassification() {
		return fmt.Errorf("linear: logistic regression needs a classification task, not %s", p.Task)
	}
	if err := checkX(p.X, p.Features); err != nil {
		return fmt.Errorf("linear: logistic: %w", err)
	}
	n, d, k := p.X.Rows, p.X.Cols, p.Classes
	if _, err := checkWeights(p.Weights, n); err != nil {
		return fmt.Errorf("linear: logistic: %w", err)
	}
	counts := make([]float64, k)
	for _, y := range p.Y {
		counts[int(y)]++
	}
	present := 0
	for _, c := range counts {
		if c > 0 {
			present++
		}
	}
	if present < 2 {
		return fmt.Errorf("linear: logistic: the training rows hold a single class; need at least 2")
	}
	w := p.Weights
	if c.ClassWeight == ClassWeightBalanced {
		// scikit-learn's compute_class_weight over the classes present.
		cw := make([]float64, k)
		for j, cnt := range counts {
			if cnt > 0 {
				cw[j] = float64(n) / (float64(present) * cnt)
			}
		}
		w = make([]float64, n)
		for i, y := range p.Y {
			w[i] = cw[int(y)]
			if p.Weights != nil {
				w[i] *= p.Weights[i]
			}
		}
	}
	sumW, err := checkWeights(w, n)
	if err != nil {
		return fmt.Errorf("linear: logistic: %w", err)
	}

	// Fit the classes present in the training rows; an absent class gets
	// zero coefficients and an intercept of -Inf, so probability 0.
	y := p.Y
	classOf := make([]int, 0, k) // fitted class index -> class code
	for c, cnt := range counts {
		if cnt > 0 {
			classOf = append(classOf, c)
		}
	}
	if present < k {
		code := make([]float64, k)
		for j, c := range classOf {
			code[c] = float64(j)
		}
		y = make([]float64, n)
		for i, v := range p.Y {
			y[i] = code[int(v)]
		}
	}
	outputs := present
	if present == 2 {
		outputs = 1
	}
	var l1, l2 float64
	switch c.Penalty {
	case PenaltyL2:
		l2 = 1 / c.C
	case PenaltyL1:
		l1 = 1 / c.C
	case PenaltyElasticNet:
		l1 = c.L1Ratio / c.C
		l2 = (1 - c.L1Ratio) / c.C
	}
	pool := newWorkers(c.NJobs, numBlocks(n))
	defer pool.close()
	obj := newLogLoss(p.X, y, w, outputs, !c.NoIntercept, l2, sumW, pool)
	theta := make([]float64, obj.nParams())
	s := lbfgsSettings{
		maxIter: c.MaxIter,
		gtol:    c.Tol / sumW,
		ftol:    c.Tol * ftolPerTol,
		fmin:    1 / sumW,
		mem:     10,
	}
	if l1 > 0 {
		s.l1 = make([]float64, len(theta))
		for j := range outputs * d {
			s.l1[j] = l1 / sumW
		}
	}
	res, err := minimize(ctx, obj.eval, theta, s)
	if err != nil {
		return err
	}
	if !allFinite(theta) {
		return fmt.Errorf("linear: logistic: the fit diverged")
	}
	coef, intercept := theta[:outputs*d], make([]float64, outputs)
	if !c.NoIntercept {
		copy(intercept, theta[outputs*d:])
	}
	if present < k {
		// Spread the fitted rows over all k classes. A binary fit of the
		// two present classes is the softmax of logits 0 and x·w + b.
		full, fullB := make([]float64, k*d), make([]float64, k)
		for c := range fullB {
			fullB[c] = math.Inf(-1)
		}
		for j, c := range classOf {
			fullB[c] = 0
			switch {
			case outputs > 1:
				copy(full[c*d:(c+1)*d], coef[j*d:(j+1)*d])
				fullB[c] = intercept[j]
			case j == 1:
				copy(full[c*d:(c+1)*d], coef)
				fullB[c] = intercept[0]
			}
		}
		coef, intercept = full, fullB
	}
	m.fit = logisticFit{
		classes: k, nFeatures: d, nIter: res.iters, converged: res.converged,
		coef: slices.Clip(coef), intercept: intercept,
	}
	return nil
}

// ftolPerTol turns Tol into the relative decrease of the objective that stops
// a fit: the default Tol 1e-4 gives scipy's default 1e7·eps ≈ 2.2e-9.
const ftolPerTol = 2.220446049250313e-09 / DefaultLogisticTol

// PredictTo writes the class probabilities of each row of X into dst
// (X.Rows × Outputs(), row-major) and returns it. It allocates only when dst
// is too short and is safe for concurrent use. It panics if the model is not
// fitted or X has the wrong number of columns.
func (m *Logistic) PredictTo(dst []float64, X model.Matrix) []float64 {
	f := &m.fit
	if f.classes == 0 {
		panic("linear: Logistic.PredictTo before Fit")
	}
	if X.Cols != f.nFeatures {
		panic(fmt.Sprintf("linear: Logistic.PredictTo: X has %d columns, model %d features", X.Cols, f.nFeatures))
	}
	k, d := f.classes, f.nFeatures
	need := X.Rows * k
	if cap(dst) < need {
		dst = make([]float64, need)
	}
	dst = dst[:need]
	for i := range X.Rows {
		row := X.Data[i*d : i*d+d]
		out := dst[i*k : i*k+k]
		if k == 2 {
			z := f.intercept[0] + dot(f.coef, row)
			p := sigmoid(z)
			out[0], out[1] = 1-p, p
			continue
		}
		zmax := math.Inf(-1)
		for c := range k {
			out[c] = f.intercept[c] + dot(f.coef[c*d:c*d+d], row)
			zmax = max(zmax, out[c])
		}
		sum := 0.0
		for c := range k {
			out[c] = math.Exp(out[c] - zmax)
			sum += out[c]
		}
		for c := range k {
			out[c] /= sum
		}
	}
	return dst
}

// sigmoid returns 1/(1+e^-z) without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// ParamSpecs lists the hyperparameters by their scikit-learn names.
func (m *Logistic) ParamSpecs() []model.ParamSpec {
	return []model.ParamSpec{
		{Name: "penalty", Type: "string", Default: string(PenaltyL2), Doc: "Regularisation: l2, l1, elasticnet or none."},
		{Name: "C", Type: "float", Default: param.Format(DefaultC), Doc: "Inverse of the regularisation strength (> 0)."},
		{Name: "l1_ratio", Type: "float", Default: param.Format(DefaultL1Ratio), Doc: "Share of the L1 penalty in the elastic net, in (0, 1]."},
		{Name: "max_iter", Type: "int", Default: strconv.Itoa(DefaultLogisticMaxIter), Doc: "Maximum quasi-Newton iterations (scikit-learn's default is 100)."},
		{Name: "tol", Type: "float", Default: param.Format(DefaultLogisticTol), Doc: "Stop when the largest gradient component of the summed objective is at most tol."},
		{Name: "fit_intercept", Type: "bool", Default: "true", Doc: "Fit an (unpenalised) intercept."},
		{Name: "class_weight", Type: "string", Default: string(ClassWeightNone), Doc: "none, or balanced: weight classes inversely to their frequency."},
		{Name: "n_jobs", Type: "int", Default: "0", Doc: "Goroutines used by a fit; 0 for GOMAXPROCS."},
	}
}

// SetParam parses value and sets the hyperparameter named by its
// scikit-learn name. An unknown name, an unparsable value or a value out of
// range gives an error naming the parameter and the allowed values, and
// leaves the configuration unchanged.
func (m *Logistic) SetParam(name, value string) error {
	c := m.LogisticConfig
	value = strings.TrimSpace(value)
	var err error
	switch name {
	case "penalty":
		c.Penalty = Penalty(strings.ToLower(value))
		if value == "" || strings.EqualFold(value, "null") {
			c.Penalty = PenaltyNone
		}
	case "C":
		c.C, err = param.Positive(value)
	case "l1_ratio":
		c.L1Ratio, err = param.Positive(value)
	case "max_iter":
		c.MaxIter, err = param.Int(value, 1)
	case "tol":
		c.Tol, err = parseTol(value)
	case "fit_intercept":
		var b bool
		b, err = param.Bool(value)
		c.NoIntercept = !b
	case "class_weight":
		c.ClassWeight = ClassWeight(strings.ToLower(value))
		if value == "" || strings.EqualFold(value, "null") {
			c.ClassWeight = ClassWeightNone
		}
	case "n_jobs":
		c.NJobs, err = param.Int(value, 0)
	default:
		return unknownParam(KindLogistic, name, m.ParamSpecs())
	}
	if err != nil {
		return fmt.Errorf("parameter %s: invalid value %q: %w", name, value, err)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("parameter %s: %w", name, err)
	}
	m.LogisticConfig = c
	return nil
}

// Params returns every hyperparameter's effective value, defaults filled in,
// keyed by scikit-learn name.
func (m *Logistic) Params() map[string]string {
	c := m.LogisticConfig.WithDefaults()
	return map[string]string{
		"penalty":       string(c.Penalty),
		"C":             param.Format(c.C),
		"l1_ratio":      param.Format(c.L1Ratio),
		"max_iter":      strconv.Itoa(c.MaxIter),
		"tol":           param.Format(c.Tol),
		"fit_intercept": strconv.FormatBool(!c.NoIntercept),
		"class_weight":  string(c.ClassWeight),
		"n_jobs":        strconv.Itoa(c.NJobs),
	}
}

// MarshalBinary encodes the configuration and the fitted coefficients in a
// compact little-endian form (see UnmarshalBinary). The same model always
// gives the same bytes.
func (m *Logistic) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodeLogistic)
	c := m.LogisticConfig
	e.Str(string(c.Penalty))
	e.F64(c.C)
	e.F64(c.L1Ratio)
	e.Int(c.MaxIter)
	e.F64(c.Tol)
	e.Bool(c.NoIntercept)
	e.Str(string(c.ClassWeight))
	e.Int(c.NJobs)
	f := &m.fit
	e.Bool(f.classes > 0)
	if f.classes > 0 {
		e.Int(f.classes)
		e.Int(f.nFeatures)
		e.Int(f.nIter)
		e.Bool(f.converged)
		e.F64s(f.coef)
		e.F64s(f.intercept)
	}
	return e.Bytes(), nil
}

// UnmarshalBinary restores a model written by MarshalBinary. It returns an
// error, and leaves m unchanged, if data is truncated, was not written by
// Logistic.MarshalBinary, or holds an invalid configuration or inconsistent
// shapes.
func (m *Logistic) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodeLogistic, "logistic")
	if err != nil {
		return err
	}
	var c LogisticConfig
	c.Penalty = Penalty(d.Str())
	c.C = d.F64()
	c.L1Ratio = d.F64()
	c.MaxIter = d.Int(math.MaxInt32)
	c.Tol = d.F64()
	c.NoIntercept = d.Bool()
	c.ClassWeight = ClassWeight(d.Str())
	c.NJobs = d.Int(math.MaxInt32)
	var f logisticFit
	if d.Bool() {
		f.classes = d.Int(1 << 20)
		f.nFeatures = d.Int(1 << 26)
		f.nIter = d.Int(math.MaxInt32)
		f.converged = d.Bool()
		if d.Err() == nil && f.classes < 2 {
			d.Fail(fmt.Errorf("%d classes", f.classes))
		}
		outputs := f.classes
		if outputs == 2 {
			outputs = 1
		}
		f.coef = d.F64s(outputs * f.nFeatures)
		f.intercept = d.F64s(outputs)
	}
	if err := d.Finish(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("linear: decode logistic: %w", err)
	}
	m.LogisticConfig, m.fit = c, f
	return nil
}
