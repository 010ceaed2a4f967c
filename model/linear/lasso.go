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

// Defaults used for the zero value of each field of LassoConfig and
// ElasticNetConfig, as scikit-learn's.
const (
	DefaultAlpha   = 1.0
	DefaultCDIter  = 1000
	DefaultCDTol   = 1e-4
	DefaultENRatio = 0.5
)

// LassoConfig holds the hyperparameters of a lasso regression. The zero value
// of every field means its default.
type LassoConfig struct {
	// Alpha (alpha) multiplies the L1 penalty; > 0.
	Alpha float64
	// MaxIter (max_iter) bounds the passes of coordinate descent over the
	// features.
	MaxIter int
	// Tol (tol) stops coordinate descent as scikit-learn does: when the
	// largest coefficient change of a pass is below Tol times the largest
	// coefficient, the duality gap is computed, and the fit stops when the gap
	// is below Tol times Σ w_i (y_i - ȳ)².
	Tol float64
	// NoIntercept (fit_intercept=false) fits no intercept. The intercept is
	// never penalised.
	NoIntercept bool
}

// WithDefaults returns c with every zero field set to its default.
func (c LassoConfig) WithDefaults() LassoConfig {
	c.Alpha = cmpOr(c.Alpha, DefaultAlpha)
	if c.MaxIter == 0 {
		c.MaxIter = DefaultCDIter
	}
	c.Tol = cmpOr(c.Tol, DefaultCDTol)
	return c
}

// Validate reports the first field of c (after WithDefaults) that is out of
// range, naming it by its scikit-learn name.
func (c LassoConfig) Validate() error {
	c = c.WithDefaults()
	return validateCD(c.Alpha, 1, c.MaxIter, c.Tol)
}

func validateCD(alpha, l1Ratio float64, maxIter int, tol float64) error {
	switch {
	case !(alpha > 0) || math.IsInf(alpha, 1):
		return fmt.Errorf("alpha is %g, want a finite value > 0 (use linear regression for 0)", alpha)
	case !(l1Ratio > 0 && l1Ratio <= 1):
		return fmt.Errorf("l1_ratio is %g, want a value in (0, 1]", l1Ratio)
	case maxIter < 1:
		return fmt.Errorf("max_iter is %d, want at least 1", maxIter)
	case !(tol > 0) || math.IsInf(tol, 1):
		return fmt.Errorf("tol is %g, want a finite value > 0", tol)
	}
	return nil
}

func cmpOr(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// Lasso is a linear regression with an L1 penalty, like scikit-learn's Lasso:
// it minimises
//
//	Σ w_i (y_i - x_i·β - b)² / (2 Σ w_i) + Alpha·||β||₁
//
// by cyclic coordinate descent on the centred data, with scikit-learn's
// duality-gap stopping rule. Coefficients of little use become exactly zero.
//
// The zero value is ready to be configured and fitted.
type Lasso struct {
	LassoConfig

	fit regressionFit
}

// ElasticNetConfig holds the hyperparameters of an elastic-net regression.
// The zero value of every field means its default.
type ElasticNetConfig struct {
	// Alpha (alpha) multiplies the penalty; > 0.
	Alpha float64
	// L1Ratio (l1_ratio) is the share of the L1 penalty, in (0, 1]; the
	// default is 0.5.
	L1Ratio float64
	// MaxIter (max_iter) bounds the passes of coordinate descent.
	MaxIter int
	// Tol (tol) is the tolerance of the duality-gap stopping rule (see
	// LassoConfig.Tol).
	Tol float64
	// NoIntercept (fit_intercept=false) fits no intercept.
	NoIntercept bool
}

// WithDefaults returns c with every zero field set to its default.
func (c ElasticNetConfig) WithDefaults() ElasticNetConfig {
	c.Alpha = cmpOr(c.Alpha, DefaultAlpha)
	c.L1Ratio = cmpOr(c.L1Ratio, DefaultENRatio)
	if c.MaxIter == 0 {
		c.MaxIter = DefaultCDIter
	}
	c.Tol = cmpOr(c.Tol, DefaultCDTol)
	return c
}

// Validate reports the first field of c (after WithDefaults) that is out of
// range, naming it by its scikit-learn name.
func (c ElasticNetConfig) Validate() error {
	c = c.WithDefaults()
	return validateCD(c.Alpha, c.L1Ratio, c.MaxIter, c.Tol)
}

// ElasticNet is a linear regression with a mixed L1 and L2 penalty, like
// scikit-learn's ElasticNet: it minimises
//
//	Σ w_i (y_i - x_i·β - b)² / (2 Σ w_i) + Alpha·L1Ratio·||β||₁ + Alpha·(1-L1Ratio)/2·||β||²
//
// by coordinate descent, as Lasso.
//
// The zero value is ready to be configured and fitted.
type ElasticNet struct {
	ElasticNetConfig

	fit regressionFit
}

// Compile-time checks that Lasso and ElasticNet implement the model
// interfaces.
var (
	_ model.Estimator   = (*Lasso)(nil)
	_ model.Importancer = (*Lasso)(nil)
	_ model.Estimator   = (*ElasticNet)(nil)
	_ model.Importancer = (*ElasticNet)(nil)
)

// Kind returns "lasso".
func (m *Lasso) Kind() string { return KindLasso }

// Outputs returns 1; 0 before the model is fitted.
func (m *Lasso) Outputs() int { return m.fit.outputs() }

// Coef returns a copy of the coefficients, one per feature (nil before the
// model is fitted).
func (m *Lasso) Coef() []float64 { return slices.Clone(m.fit.coef) }

// Intercept returns the intercept (0 when NoIntercept is set).
func (m *Lasso) Intercept() float64 { return m.fit.intercept }

// NIter returns the number of coordinate-descent passes the fit ran.
func (m *Lasso) NIter() int { return m.fit.nIter }

// Converged reports whether the duality gap met the tolerance before MaxIter.
func (m *Lasso) Converged() bool { return m.fit.converged }

// FeatureImportances returns the absolute coefficients normalised to sum to 1
// (all zeros when every coefficient is zero; nil before the model is fitted).
func (m *Lasso) FeatureImportances() []float64 { return m.fit.importances() }

// Fit learns the coefficients from p, a regression problem. It returns an
// error if the configuration is invalid, if p is invalid or is not a
// regression, if a feature value or a target is missing or infinite, or if a
// sample weight is negative. It checks ctx between passes and returns
// ctx.Err() when it is cancelled; the model is then unchanged. Not meeting the
// tolerance within MaxIter is not an error (see Converged).
func (m *Lasso) Fit(ctx context.Context, p *model.Problem) error {
	c := m.LassoConfig.WithDefaults()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("linear: lasso: %w", err)
	}
	f, err := fitCD(ctx, p, c.Alpha, 1, c.MaxIter, c.Tol, !c.NoIntercept)
	if err != nil {
		return fmt.Errorf("linear: lasso: %w", err)
	}
	m.fit = f
	return nil
}

// PredictTo writes the prediction of each row of X into dst and returns it.
// It allocates only when dst is too short and is safe for concurrent use. It
// panics if the model is not fitted or X has the wrong number of columns.
func (m *Lasso) PredictTo(dst []float64, X model.Matrix) []float64 {
	return m.fit.predictTo(dst, X, "Lasso")
}

// ParamSpecs lists the hyperparameters by their scikit-learn names.
func (m *Lasso) ParamSpecs() []model.ParamSpec {
	return []model.ParamSpec{
		{Name: "alpha", Type: "float", Default: param.Format(DefaultAlpha), Doc: "Weight of the L1 penalty (> 0)."},
		{Name: "max_iter", Type: "int", Default: strconv.Itoa(DefaultCDIter), Doc: "Maximum coordinate-descent passes."},
		{Name: "tol", Type: "float", Default: param.Format(DefaultCDTol), Doc: "Tolerance of the duality-gap stopping rule."},
		{Name: "fit_intercept", Type: "bool", Default: "true", Doc: "Fit an (unpenalised) intercept."},
	}
}

// SetParam parses value and sets the hyperparameter named by its
// scikit-learn name. An unknown name, an unparsable value or a value out of
// range gives an error naming the parameter and the allowed values, and
// leaves the configuration unchanged.
func (m *Lasso) SetParam(name, value string) error {
	en := ElasticNetConfig{Alpha: m.Alpha, L1Ratio: 1, MaxIter: m.MaxIter, Tol: m.Tol, NoIntercept: m.NoIntercept}
	if name == "l1_ratio" {
		return unknownParam(KindLasso, name, m.ParamSpecs())
	}
	if err := setCDParam(&en, KindLasso, name, value, m.ParamSpecs()); err != nil {
		return err
	}
	m.LassoConfig = LassoConfig{Alpha: en.Alpha, MaxIter: en.MaxIter, Tol: en.Tol, NoIntercept: en.NoIntercept}
	return nil
}

// Params returns every hyperparameter's effective value, defaults filled in,
// keyed by scikit-learn name.
func (m *Lasso) Params() map[string]string {
	c := m.LassoConfig.WithDefaults()
	return map[string]string{
		"alpha":         param.Format(c.Alpha),
		"max_iter":      strconv.Itoa(c.MaxIter),
		"tol":           param.Format(c.Tol),
		"fit_intercept": strconv.FormatBool(!c.NoIntercept),
	}
}

// MarshalBinary encodes the configuration and the fitted coefficients in a
// compact little-endian form. The same model always gives the same bytes.
func (m *Lasso) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodeLasso)
	e.F64(m.Alpha)
	e.Int(m.MaxIter)
	e.F64(m.Tol)
	e.Bool(m.NoIntercept)
	m.fit.encode(e)
	return e.Bytes(), nil
}

// UnmarshalBinary restores a model written by MarshalBinary. It returns an
// error, and leaves m unchanged, if data is truncated, was not written by
// Lasso.MarshalBinary, or holds an invalid configuration.
func (m *Lasso) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodeLasso, "lasso")
	if err != nil {
		return err
	}
	var c LassoConfig
	c.Alpha = d.F64()
	c.MaxIter = d.Int(math.MaxInt32)
	c.Tol = d.F64()
	c.NoIntercept = d.Bool()
	var f regressionFit
	f.decode(d)
	if err := d.Finish(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("linear: decode lasso: %w", err)
	}
	m.LassoConfig, m.fit = c, f
	return nil
}

// Kind returns "elasticnet".
func (m *ElasticNet) Kind() string { return KindElasticNet }

// Outputs returns 1; 0 before the model is fitted.
func (m *ElasticNet) Outputs() int { return m.fit.outputs() }

// Coef returns a copy of the coefficients, one per feature (nil before the
// model is fitted).
func (m *ElasticNet) Coef() []float64 { return slices.Clone(m.fit.coef) }

// Intercept returns the intercept (0 when NoIntercept is set).
func (m *ElasticNet) Intercept() float64 { return m.fit.intercept }

// NIter returns the number of coordinate-descent passes the fit ran.
func (m *ElasticNet) NIter() int { return m.fit.nIter }

// Converged reports whether the duality gap met the tolerance before MaxIter.
func (m *ElasticNet) Converged() bool { return m.fit.converged }

// FeatureImportances returns the absolute coefficients normalised to sum to 1
// (all zeros when every coefficient is zero; nil before the model is fitted).
func (m *ElasticNet) FeatureImportances() []float64 { return m.fit.importances() }

// Fit learns the coefficients from p, a regression problem, with the error
// contract of Lasso.Fit.
func (m *ElasticNet) Fit(ctx context.Context, p *model.Problem) error {
	c := m.ElasticNetConfig.WithDefaults()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("linear: elasticnet: %w", err)
	}
	f, err := fitCD(ctx, p, c.Alpha, c.L1Ratio, c.MaxIter, c.Tol, !c.NoIntercept)
	if err != nil {
		return fmt.Errorf("linear: elasticnet: %w", err)
	}
	m.fit = f
	return nil
}

// PredictTo writes the prediction of each row of X into dst and returns it.
// It allocates only when dst is too short and is safe for concurrent use. It
// panics if the model is not fitted or X has the wrong number of columns.
func (m *ElasticNet) PredictTo(dst []float64, X model.Matrix) []float64 {
	return m.fit.predictTo(dst, X, "ElasticNet")
}

// ParamSpecs lists the hyperparameters by their scikit-learn names.
func (m *ElasticNet) ParamSpecs() []model.ParamSpec {
	return []model.ParamSpec{
		{Name: "alpha", Type: "float", Default: param.Format(DefaultAlpha), Doc: "Weight of the penalty (> 0)."},
		{Name: "l1_ratio", Type: "float", Default: param.Format(DefaultENRatio), Doc: "Share of the L1 penalty, in (0, 1]."},
		{Name: "max_iter", Type: "int", Default: strconv.Itoa(DefaultCDIter), Doc: "Maximum coordinate-descent passes."},
		{Name: "tol", Type: "float", Default: param.Format(DefaultCDTol), Doc: "Tolerance of the duality-gap stopping rule."},
		{Name: "fit_intercept", Type: "bool", Default: "true", Doc: "Fit an (unpenalised) intercept."},
	}
}

// SetParam parses value and sets the hyperparameter named by its
// scikit-learn name. An unknown name, an unparsable value or a value out of
// range gives an error naming the parameter and the allowed values, and
// leaves the configuration unchanged.
func (m *ElasticNet) SetParam(name, value string) error {
	c := m.ElasticNetConfig
	if err := setCDParam(&c, KindElasticNet, name, value, m.ParamSpecs()); err != nil {
		return err
	}
	m.ElasticNetConfig = c
	return nil
}

func setCDParam(c *ElasticNetConfig, kind, name, value string, specs []model.ParamSpec) error {
	n := *c
	value = strings.TrimSpace(value)
	var err error
	switch name {
	case "alpha":
		n.Alpha, err = param.Positive(value)
	case "l1_ratio":
		n.L1Ratio, err = param.Positive(value)
	case "max_iter":
		n.MaxIter, err = param.Int(value, 1)
	case "tol":
		n.Tol, err = parseTol(value)
	case "fit_intercept":
		var b bool
		b, err = param.Bool(value)
		n.NoIntercept = !b
	default:
		return unknownParam(kind, name, specs)
	}
	if err != nil {
		return fmt.Errorf("parameter %s: invalid value %q: %w", name, value, err)
	}
	if err := n.Validate(); err != nil {
		return fmt.Errorf("parameter %s: %w", name, err)
	}
	*c = n
	return nil
}

// Params returns every hyperparameter's effective value, defaults filled in,
// keyed by scikit-learn name.
func (m *ElasticNet) Params() map[string]string {
	c := m.ElasticNetConfig.WithDefaults()
	return map[string]string{
		"alpha":         param.Format(c.Alpha),
		"l1_ratio":      param.Format(c.L1Ratio),
		"max_iter":      strconv.Itoa(c.MaxIter),
		"tol":           param.Format(c.Tol),
		"fit_intercept": strconv.FormatBool(!c.NoIntercept),
	}
}

// MarshalBinary encodes the configuration and the fitted coefficients in a
// compact little-endian form. The same model always gives the same bytes.
func (m *ElasticNet) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodeElasticNet)
	e.F64(m.Alpha)
	e.F64(m.L1Ratio)
	e.Int(m.MaxIter)
	e.F64(m.Tol)
	e.Bool(m.NoIntercept)
	m.fit.encode(e)
	return e.Bytes(), nil
}

// UnmarshalBinary restores a model written by MarshalBinary. It returns an
// error, and leaves m unchanged, if data is truncated, was not written by
// ElasticNet.MarshalBinary, or holds an invalid configuration.
func (m *ElasticNet) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodeElasticNet, "elasticnet")
	if err != nil {
		return err
	}
	var c ElasticNetConfig
	c.Alpha = d.F64()
	c.L1Ratio = d.F64()
	c.MaxIter = d.Int(math.MaxInt32)
	c.Tol = d.F64()
	c.NoIntercept = d.Bool()
	var f regressionFit
	f.decode(d)
	if err := d.Finish(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("linear: decode elasticnet: %w", err)
	}
	m.ElasticNetConfig, m.fit = c, f
	return nil
}

// fitCD minimises the elastic-net objective by cyclic coordinate descent, as
// scikit-learn's enet_coordinate_descent: the columns of the centred,
// sqrt(w)-scaled data are stored contiguously, the residual is updated after
// every coordinate, and the duality gap decides convergence.
func fitCD(ctx context.Context, p *model.Problem, alpha, l1Ratio float64, maxIter int, tol float64, intercept bool) (regressionFit, error) {
	sumW, err := checkRegression(p)
	if err != nil {
		return regressionFit{}, err
	}
	n, d := p.X.Rows, p.X.Cols
	xMean, yMean := weightedMeans(p, intercept, sumW)
	// cols holds column j of the centred, scaled X at cols[j*n:(j+1)*n].
	cols := make([]float64, n*d)
	y := make([]float64, n)
	for i := range n {
		sw := 1.0
		if p.Weights != nil {
			sw = math.Sqrt(p.Weights[i])
		}
		row := p.X.Row(i)
		for j, v := range row {
			cols[j*n+i] = sw * (v - xMean[j])
		}
		y[i] = sw * (p.Y[i] - yMean)
	}
	l1 := alpha * l1Ratio * sumW
	l2 := alpha * (1 - l1Ratio) * sumW
	w := make([]float64, d)
	r := slices.Clone(y) // residual y - Xw
	norms := make([]float64, d)
	for j := range d {
		c := cols[j*n : (j+1)*n]
		norms[j] = dot(c, c)
	}
	gapTol := tol * dot(y, y)
	f := regressionFit{fitted: true, nFeatures: d, coef: w}
	for it := range maxIter {
		if it%8 == 0 {
			if err := ctx.Err(); err != nil {
				return regressionFit{}, err
			}
		}
		wMax, dwMax := 0.0, 0.0
		for j := range d {
			if norms[j] == 0 {
				continue
			}
			c := cols[j*n : (j+1)*n]
			old := w[j]
			if old != 0 {
				axpy(old, c, r)
			}
			t := dot(c, r)
			nw := 0.0
			if a := math.Abs(t) - l1; a > 0 {
				nw = math.Copysign(a, t) / (norms[j] + l2)
			}
			w[j] = nw
			if nw != 0 {
				axpy(-nw, c, r)
			}
			dwMax = max(dwMax, math.Abs(nw-old))
			wMax = max(wMax, math.Abs(nw))
		}
		f.nIter = it + 1
		if wMax == 0 || dwMax/wMax < tol || it == maxIter-1 {
			if gap := dualityGap(cols, y, r, w, n, l1, l2); gap < gapTol {
				f.converged = true
				break
			}
		}
	}
	f.intercept = yMean - dot(xMean, w)
	return f, nil
}

// dualityGap returns the duality gap of the elastic-net problem at w (r is
// the residual), as scikit-learn's enet_coordinate_descent.
func dualityGap(cols, y, r, w []float64, n int, l1, l2 float64) float64 {
	dualNorm := 0.0
	for j := range w {
		xta := dot(cols[j*n:(j+1)*n], r) - l2*w[j]
		dualNorm = max(dualNorm, math.Abs(xta))
	}
	rNorm2 := dot(r, r)
	wNorm2 := dot(w, w)
	var gap, cst float64
	if dualNorm > l1 {
		cst = l1 / dualNorm
		gap = 0.5 * (rNorm2 + rNorm2*cst*cst)
	} else {
		cst = 1
		gap = rNorm2
	}
	l1Norm := 0.0
	for _, v := range w {
		l1Norm += math.Abs(v)
	}
	return gap + l1*l1Norm - cst*dot(r, y) + 0.5*l2*(1+cst*cst)*wNorm2
}
