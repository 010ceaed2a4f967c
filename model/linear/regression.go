package linear

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"mlw.dev/model"
	"mlw.dev/model/internal/param"
)

// LinearConfig holds the hyperparameters of a least-squares regression. The
// zero value is ordinary least squares with an intercept.
type LinearConfig struct {
	// Alpha (alpha) is the ridge penalty: 0 (the default) fits ordinary least
	// squares, as scikit-learn's LinearRegression; a positive Alpha minimises
	// Σ w_i (y_i - x_i·β - b)² + Alpha·||β||², as scikit-learn's Ridge.
	Alpha float64
	// NoIntercept (fit_intercept=false) fits no intercept. The intercept is
	// never penalised.
	NoIntercept bool
	// NJobs (n_jobs) is the number of goroutines a fit uses; 0 means
	// GOMAXPROCS. It does not change the fitted model.
	NJobs int
}

// Validate reports the first field of c that is out of range, naming it by
// its scikit-learn name.
func (c LinearConfig) Validate() error {
	switch {
	case !(c.Alpha >= 0) || math.IsInf(c.Alpha, 1):
		return fmt.Errorf("alpha is %g, want a finite value >= 0", c.Alpha)
	case c.NJobs < 0:
		return fmt.Errorf("n_jobs is %d, want at least 1 (0 for GOMAXPROCS)", c.NJobs)
	}
	return nil
}

// Linear is a least-squares linear regression: ordinary least squares like
// scikit-learn's LinearRegression when Alpha is 0, ridge regression like
// scikit-learn's Ridge otherwise. It is solved exactly: the features and the
// target are centred on their (weighted) means, so that the intercept is not
// penalised, and the normal equations (XᵀWX + Alpha·I)β = XᵀWy are solved by
// a Cholesky factorisation. When XᵀWX is singular or nearly so (cond > 1e10,
// for example one-hot columns that sum to one) and Alpha is 0, the solution
// is the minimum-norm one, from an eigendecomposition that drops eigenvalues
// below 1e-12 of the largest, as scikit-learn's least-squares solver.
//
// The zero value is ready to be configured and fitted.
type Linear struct {
	LinearConfig

	fit regressionFit
}

// regressionFit is the learned state of a linear regression; the zero value
// means not fitted.
type regressionFit struct {
	fitted    bool
	nFeatures int
	coef      []float64
	intercept float64
	// nIter and converged are those of coordinate descent (Lasso, ElasticNet).
	nIter     int
	converged bool
}

// Compile-time checks that Linear implements the model interfaces.
var (
	_ model.Estimator   = (*Linear)(nil)
	_ model.Importancer = (*Linear)(nil)
)

// Kind returns "linear".
func (m *Linear) Kind() string { return KindLinear }

// Outputs returns 1; 0 before the model is fitted.
func (m *Linear) Outputs() int { return m.fit.outputs() }

// Coef returns a copy of the coefficients, one per feature (nil before the
// model is fitted).
func (m *Linear) Coef() []float64 { return slices.Clone(m.fit.coef) }

// Intercept returns the intercept (0 when NoIntercept is set).
func (m *Linear) Intercept() float64 { return m.fit.intercept }

// FeatureImportances returns the absolute coefficients normalised to sum to 1
// (all zeros when every coefficient is zero; nil before the model is fitted).
// They compare features only when the features share a scale, as they do
// after the feature pipeline's standard scaling.
func (m *Linear) FeatureImportances() []float64 { return m.fit.importances() }

// Fit solves the least-squares problem of p, a regression problem. It returns
// an error if the configuration is invalid, if p is invalid or is not a
// regression, if a feature value or a target is missing or infinite, if a
// sample weight is negative, or if it is cancelled (ctx.Err(), checked between
// the passes over the data); the model is then unchanged.
func (m *Linear) Fit(ctx context.Context, p *model.Problem) error {
	c := m.LinearConfig
	if err := c.Validate(); err != nil {
		return fmt.Errorf("linear: %w", err)
	}
	sumW, err := checkRegression(p)
	if err != nil {
		return fmt.Errorf("linear: %w", err)
	}
	d := p.X.Cols
	xMean, yMean := weightedMeans(p, !c.NoIntercept, sumW)
	if err := ctx.Err(); err != nil {
		return err
	}
	gram, xty := normalEquations(p, xMean, yMean, c.NJobs)
	if err := ctx.Err(); err != nil {
		return err
	}
	for j := range d {
		gram[j*d+j] += c.Alpha
	}
	coef := solveSym(gram, xty, d, c.Alpha == 0)
	if !allFinite(coef) {
		return fmt.Errorf("linear: the least-squares solution is not finite")
	}
	m.fit = regressionFit{
		fitted: true, nFeatures: d, coef: coef,
		intercept: yMean - dot(xMean, coef), converged: true,
	}
	return nil
}

// checkRegression validates a regression problem and returns the sum of its
// sample weights.
func checkRegression(p *model.Problem) (float64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if p.Task != model.Regression {
		return 0, fmt.Errorf("linear regression needs a regression task, not %s", p.Task)
	}
	if err := checkX(p.X, p.Features); err != nil {
		return 0, err
	}
	if err := checkY(p.Y); err != nil {
		return 0, err
	}
	return checkWeights(p.Weights, p.X.Rows)
}

// weightedMeans returns the weighted means of the features and the target,
// or zeros when there is no intercept.
func weightedMeans(p *model.Problem, intercept bool, sumW float64) ([]float64, float64) {
	d := p.X.Cols
	xMean := make([]float64, d)
	if !intercept {
		return xMean, 0
	}
	yMean := 0.0
	for i := range p.X.Rows {
		w := 1.0
		if p.Weights != nil {
			w = p.Weights[i]
		}
		axpy(w, p.X.Row(i), xMean)
		yMean += w * p.Y[i]
	}
	for j := range xMean {
		xMean[j] /= sumW
	}
	return xMean, yMean / sumW
}

// normalEquations returns G = Σ w_i (x_i - x̄)(x_i - x̄)ᵀ (d×d, row-major,
// symmetric) and Σ w_i (x_i - x̄)(y_i - ȳ). Chunks of rows, fixed by the data's
// shape alone, are summed in parallel and added in order.
func normalEquations(p *model.Problem, xMean []float64, yMean float64, nJobs int) ([]float64, []float64) {
	n, d := p.X.Rows, p.X.Cols
	chunks := min(numBlocks(n), 16, max(1, (1<<24)/(d*d+1)))
	parts := make([][]float64, chunks)
	pool := newWorkers(nJobs, chunks)
	defer pool.close()
	pool.run(chunks, func(c int) {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		part := make([]float64, d*d+d)
		g, b := part[:d*d], part[d*d:]
		r := make([]float64, d)
		for i := lo; i < hi; i++ {
			row := p.X.Row(i)
			w := 1.0
			if p.Weights != nil {
				w = p.Weights[i]
			}
			if w == 0 {
				continue
			}
			for j := range r {
				r[j] = row[j] - xMean[j]
			}
			yc := w * (p.Y[i] - yMean)
			for j, rj := range r {
				wr := w * rj
				// Upper triangle of row j only; mirrored below.
				axpy(wr, r[j:], g[j*d+j:(j+1)*d])
				b[j] += rj * yc
			}
		}
		parts[c] = part
	})
	gram, xty := make([]float64, d*d), make([]float64, d)
	for _, part := range parts {
		for j, v := range part[:d*d] {
			gram[j] += v
		}
		for j, v := range part[d*d:] {
			xty[j] += v
		}
	}
	for j := range d {
		for k := j + 1; k < d; k++ {
			gram[k*d+j] = gram[j*d+k]
		}
	}
	return gram, xty
}

// solveSym solves A x = b for a symmetric positive semi-definite A (d×d,
// row-major). It uses a Cholesky factorisation when A is well conditioned;
// otherwise, if pinv is set, the minimum-norm least-squares solution from an
// eigendecomposition, dropping eigenvalues below 1e-12 of the largest.
func solveSym(a, b []float64, d int, pinv bool) []float64 {
	x := make([]float64, d)
	if d == 0 {
		return x
	}
	sym := mat.NewSymDense(d, slices.Clone(a))
	var ch mat.Cholesky
	if ok := ch.Factorize(sym); ok && (!pinv || ch.Cond() < 1e10) {
		xv := mat.NewVecDense(d, x)
		if err := ch.SolveVecTo(xv, mat.NewVecDense(d, slices.Clone(b))); err == nil || !pinv {
			return x
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		for i := range x {
			x[i] = math.NaN()
		}
		return x
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	top := 0.0
	for _, v := range vals {
		top = max(top, v)
	}
	for k, lambda := range vals {
		if !(lambda > 1e-12*top) {
			continue
		}
		proj := 0.0
		for j := range d {
			proj += vecs.At(j, k) * b[j]
		}
		proj /= lambda
		for j := range d {
			x[j] += proj * vecs.At(j, k)
		}
	}
	return x
}

// PredictTo writes the prediction of each row of X into dst and returns it.
// It allocates only when dst is too short and is safe for concurrent use. It
// panics if the model is not fitted or X has the wrong number of columns.
func (m *Linear) PredictTo(dst []float64, X model.Matrix) []float64 {
	return m.fit.predictTo(dst, X, "Linear")
}

func (f *regressionFit) outputs() int {
	if f.fitted {
		return 1
	}
	return 0
}

func (f *regressionFit) importances() []float64 {
	if !f.fitted {
		return nil
	}
	return importances(f.coef, f.nFeatures)
}

func (f *regressionFit) predictTo(dst []float64, X model.Matrix, name string) []float64 {
	if !f.fitted {
		panic("linear: " + name + ".PredictTo before Fit")
	}
	if X.Cols != f.nFeatures {
		panic(fmt.Sprintf("linear: %s.PredictTo: X has %d columns, model %d features", name, X.Cols, f.nFeatures))
	}
	if cap(dst) < X.Rows {
		dst = make([]float64, X.Rows)
	}
	dst = dst[:X.Rows]
	d := f.nFeatures
	for i := range dst {
		dst[i] = f.intercept + dot(f.coef, X.Data[i*d:i*d+d])
	}
	return dst
}

func (f *regressionFit) encode(e *encoder) {
	e.Bool(f.fitted)
	if f.fitted {
		e.Int(f.nFeatures)
		e.F64s(f.coef)
		e.F64(f.intercept)
		e.Int(f.nIter)
		e.Bool(f.converged)
	}
}

func (f *regressionFit) decode(d *decoder) {
	if !d.Bool() {
		return
	}
	f.fitted = true
	f.nFeatures = d.Int(1 << 26)
	f.coef = d.F64s(f.nFeatures)
	f.intercept = d.F64()
	f.nIter = d.Int(math.MaxInt32)
	f.converged = d.Bool()
}

// ParamSpecs lists the hyperparameters by their scikit-learn names.
func (m *Linear) ParamSpecs() []model.ParamSpec {
	return []model.ParamSpec{
		{Name: "alpha", Type: "float", Default: "0", Doc: "Ridge penalty on the coefficients; 0 for ordinary least squares."},
		{Name: "fit_intercept", Type: "bool", Default: "true", Doc: "Fit an (unpenalised) intercept."},
		{Name: "n_jobs", Type: "int", Default: "0", Doc: "Goroutines used by a fit; 0 for GOMAXPROCS."},
	}
}

// SetParam parses value and sets the hyperparameter named by its
// scikit-learn name. An unknown name, an unparsable value or a value out of
// range gives an error naming the parameter and the allowed values, and
// leaves the configuration unchanged.
func (m *Linear) SetParam(name, value string) error {
	c := m.LinearConfig
	value = strings.TrimSpace(value)
	var err error
	switch name {
	case "alpha":
		c.Alpha, err = param.Float(value)
	case "fit_intercept":
		var b bool
		b, err = param.Bool(value)
		c.NoIntercept = !b
	case "n_jobs":
		c.NJobs, err = param.Int(value, 0)
	default:
		return unknownParam(KindLinear, name, m.ParamSpecs())
	}
	if err != nil {
		return fmt.Errorf("parameter %s: invalid value %q: %w", name, value, err)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("parameter %s: %w", name, err)
	}
	m.LinearConfig = c
	return nil
}

// Params returns every hyperparameter's effective value keyed by
// scikit-learn name.
func (m *Linear) Params() map[string]string {
	c := m.LinearConfig
	return map[string]string{
		"alpha":         param.Format(c.Alpha),
		"fit_intercept": strconv.FormatBool(!c.NoIntercept),
		"n_jobs":        strconv.Itoa(c.NJobs),
	}
}

// MarshalBinary encodes the configuration and the fitted coefficients in a
// compact little-endian form. The same model always gives the same bytes.
func (m *Linear) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodeLinear)
	e.F64(m.Alpha)
	e.Bool(m.NoIntercept)
	e.Int(m.NJobs)
	m.fit.encode(e)
	return e.Bytes(), nil
}

// UnmarshalBinary restores a model written by MarshalBinary. It returns an
// error, and leaves m unchanged, if data is truncated, was not written by
// Linear.MarshalBinary, or holds an invalid configuration.
func (m *Linear) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodeLinear, "linear")
	if err != nil {
		return err
	}
	var c LinearConfig
	c.Alpha = d.F64()
	c.NoIntercept = d.Bool()
	c.NJobs = d.Int(math.MaxInt32)
	var f regressionFit
	f.decode(d)
	if err := d.Finish(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("linear: decode linear: %w", err)
	}
	m.LinearConfig, m.fit = c, f
	return nil
}
