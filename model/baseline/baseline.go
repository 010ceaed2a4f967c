// Package baseline implements the models every real model must beat: the
// majority class (MostFrequent), the class priors (Prior), the mean and the
// median of the target (Mean, Median), like scikit-learn's DummyClassifier and
// DummyRegressor, and a hand-written rule over the input columns (Rule), such
// as "tenure < 6 && tickets > 3" predicting the positive class.
//
// Every model is a value fitted in place and satisfies model.Estimator:
//
//	var m baseline.Prior
//	if err := m.Fit(ctx, p); err != nil { ... }
//	proba := m.PredictTo(nil, X)
//
// The constant baselines ignore the values of X (only its number of rows
// counts); prediction allocates nothing when dst is large enough and is safe
// for concurrent use.
package baseline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"mlw.dev/model"
)

// Registry names of the package's algorithms, returned by their Kind methods.
const (
	KindMostFrequent = "most_frequent"
	KindPrior        = "prior"
	KindMean         = "mean"
	KindMedian       = "median"
	KindRule         = "rule"
)

// constant is the learned state of a baseline that predicts the same values
// for every row; the zero value means not fitted.
type constant struct {
	task    model.Task
	classes int
	// out is the prediction of every row: one probability per class, or the
	// single regression value.
	out []float64
}

func (c *constant) outputs() int { return len(c.out) }

func (c *constant) predictTo(dst []float64, X model.Matrix, name string) []float64 {
	k := len(c.out)
	if k == 0 {
		panic("baseline: " + name + ".PredictTo before Fit")
	}
	need := X.Rows * k
	if cap(dst) < need {
		dst = make([]float64, need)
	}
	dst = dst[:need]
	for i := range X.Rows {
		copy(dst[i*k:(i+1)*k], c.out)
	}
	return dst
}

func (c *constant) encode(e *encoder) {
	e.Bool(len(c.out) > 0)
	if len(c.out) > 0 {
		e.U8(uint8(c.task))
		e.Int(c.classes)
		e.F64s(c.out)
	}
}

func (c *constant) decode(d *decoder, classification bool) {
	if !d.Bool() {
		return
	}
	c.task = model.Task(d.U8())
	c.classes = d.Int(1 << 20)
	if d.Err() == nil {
		d.Fail(checkTask(c.task, c.classes))
	}
	if d.Err() == nil && c.task.IsClassification() != classification {
		d.Fail(fmt.Errorf("%s task for a baseline of the other kind", c.task))
	}
	want := 1
	if classification {
		want = c.classes
	}
	c.out = d.F64s(want)
}

// checkTask returns an error unless task and classes are a valid pair.
func checkTask(task model.Task, classes int) error {
	switch {
	case task == model.Regression && classes == 0,
		task == model.BinaryClassification && classes == 2,
		task == model.MulticlassClassification && classes >= 2:
		return nil
	}
	return fmt.Errorf("task %s with %d classes", task, classes)
}

// classWeights returns the summed sample weight of each class of p, a
// validated classification problem.
func classWeights(p *model.Problem) ([]float64, error) {
	w := make([]float64, p.Classes)
	for i, y := range p.Y {
		wi := 1.0
		if p.Weights != nil {
			wi = p.Weights[i]
			if !(wi >= 0) || math.IsInf(wi, 1) {
				return nil, fmt.Errorf("row %d: sample weight %g, want a finite value >= 0", i, wi)
			}
		}
		w[int(y)] += wi
	}
	s := 0.0
	for _, v := range w {
		s += v
	}
	if !(s > 0) {
		return nil, fmt.Errorf("sample weights sum to %g, want > 0", s)
	}
	return w, nil
}

// priors returns the weighted class frequencies of p.
func priors(p *model.Problem) ([]float64, error) {
	w, err := classWeights(p)
	if err != nil {
		return nil, err
	}
	s := 0.0
	for _, v := range w {
		s += v
	}
	for i := range w {
		w[i] /= s
	}
	return w, nil
}

// checkClassification validates p and requires a classification task.
func checkClassification(p *model.Problem, kind string) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("baseline: %s: %w", kind, err)
	}
	if !p.Task.IsClassification() {
		return fmt.Errorf("baseline: %s needs a classification task, not %s (use mean or median)", kind, p.Task)
	}
	return nil
}

// checkRegression validates p, requires a regression task with finite
// targets and valid weights, and returns the sum of the weights.
func checkRegression(p *model.Problem, kind string) (float64, error) {
	if err := p.Validate(); err != nil {
		return 0, fmt.Errorf("baseline: %s: %w", kind, err)
	}
	if p.Task != model.Regression {
		return 0, fmt.Errorf("baseline: %s needs a regression task, not %s (use most_frequent or prior)", kind, p.Task)
	}
	for i, y := range p.Y {
		if math.IsNaN(y) || math.IsInf(y, 0) {
			return 0, fmt.Errorf("baseline: %s: row %d: target %g, want a finite value", kind, i, y)
		}
	}
	if p.Weights == nil {
		return float64(len(p.Y)), nil
	}
	s := 0.0
	for i, w := range p.Weights {
		if !(w >= 0) || math.IsInf(w, 1) {
			return 0, fmt.Errorf("baseline: %s: row %d: sample weight %g, want a finite value >= 0", kind, i, w)
		}
		s += w
	}
	if !(s > 0) {
		return 0, fmt.Errorf("baseline: %s: sample weights sum to %g, want > 0", kind, s)
	}
	return s, nil
}

// weightedMean returns the weighted mean of p's targets.
func weightedMean(p *model.Problem, sumW float64) float64 {
	s := 0.0
	for i, y := range p.Y {
		w := 1.0
		if p.Weights != nil {
			w = p.Weights[i]
		}
		s += w * y
	}
	return s / sumW
}

// strategySpec documents the fixed strategy parameter of a dummy baseline.
func strategySpec(kind string) []model.ParamSpec {
	return []model.ParamSpec{{
		Name: "strategy", Type: "string", Default: kind,
		Doc: "scikit-learn's Dummy strategy; fixed by the kind (most_frequent, prior, mean or median).",
	}}
}

// setStrategy accepts only the kind's own strategy.
func setStrategy(kind, name, value string) error {
	if name != "strategy" {
		return fmt.Errorf("unknown parameter %q for %s; known: strategy", name, kind)
	}
	if v := strings.TrimSpace(value); v != kind {
		return fmt.Errorf("parameter strategy: %q is not %s: the strategy is fixed by the kind; "+
			"most_frequent, prior (classification), mean and median (regression) are kinds of their own", v, kind)
	}
	return nil
}

// MostFrequent predicts the most frequent class of the training rows (by
// summed sample weight; a tie goes to the lowest class code) with
// probability 1, like scikit-learn's DummyClassifier(strategy="most_frequent").
// The zero value is ready to be fitted.
type MostFrequent struct {
	fit constant
}

// Compile-time check that MostFrequent implements model.Estimator.
var _ model.Estimator = (*MostFrequent)(nil)

// Kind returns "most_frequent".
func (m *MostFrequent) Kind() string { return KindMostFrequent }

// Outputs returns the number of classes; 0 before the model is fitted.
func (m *MostFrequent) Outputs() int { return m.fit.outputs() }

// Class returns the predicted class code; -1 before the model is fitted.
func (m *MostFrequent) Class() int {
	if len(m.fit.out) == 0 {
		return -1
	}
	return slices.Index(m.fit.out, 1)
}

// Fit finds the most frequent class of p, a classification problem. It
// returns an error if p is invalid or is not a classification problem, or if
// a sample weight is negative or all are zero, and ctx.Err() if ctx is
// already cancelled (the fit is one pass and never stops midway).
func (m *MostFrequent) Fit(ctx context.Context, p *model.Problem) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkClassification(p, KindMostFrequent); err != nil {
		return err
	}
	w, err := classWeights(p)
	if err != nil {
		return fmt.Errorf("baseline: %s: %w", KindMostFrequent, err)
	}
	best := 0
	for k, v := range w {
		if v > w[best] {
			best = k
		}
	}
	out := make([]float64, p.Classes)
	out[best] = 1
	m.fit = constant{task: p.Task, classes: p.Classes, out: out}
	return nil
}

// PredictTo writes X.Rows rows of class probabilities (1 for the most
// frequent class, 0 for the others) into dst and returns it. It allocates
// only when dst is too short and is safe for concurrent use. It panics if the
// model is not fitted.
func (m *MostFrequent) PredictTo(dst []float64, X model.Matrix) []float64 {
	return m.fit.predictTo(dst, X, "MostFrequent")
}

// ParamSpecs lists the only parameter, strategy, fixed to most_frequent.
func (m *MostFrequent) ParamSpecs() []model.ParamSpec { return strategySpec(KindMostFrequent) }

// SetParam accepts only strategy=most_frequent; any other name or value is an
// error.
func (m *MostFrequent) SetParam(name, value string) error {
	return setStrategy(KindMostFrequent, name, value)
}

// Params returns {"strategy": "most_frequent"}.
func (m *MostFrequent) Params() map[string]string {
	return map[string]string{"strategy": KindMostFrequent}
}

// MarshalBinary encodes the fitted prediction in a compact little-endian
// form.
func (m *MostFrequent) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodeMostFrequent)
	m.fit.encode(e)
	return e.Bytes(), nil
}

// UnmarshalBinary restores a model written by MarshalBinary. It returns an
// error, and leaves m unchanged, if data is truncated, was not written by
// MostFrequent.MarshalBinary, or is inconsistent.
func (m *MostFrequent) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodeMostFrequent, KindMostFrequent)
	if err != nil {
		return err
	}
	var c constant
	c.decode(d, true)
	if err := d.Finish(); err != nil {
		return err
	}
	m.fit = c
	return nil
}

// Prior predicts the class priors of the training rows (their frequencies,
// weighted by sample weight) for every row, like scikit-learn's
// DummyClassifier(strategy="prior"). Its accuracy is that of MostFrequent; its
// probabilities are calibrated on the training distribution, the fair
// reference for log loss and Brier score. The zero value is ready to be
// fitted.
type Prior struct {
	fit constant
}

// Compile-time check that Prior implements model.Estimator.
var _ model.Estimator = (*Prior)(nil)

// Kind returns "prior".
func (m *Prior) Kind() string { return KindPrior }

// Outputs returns the number of classes; 0 before the model is fitted.
func (m *Prior) Outputs() int { return m.fit.outputs() }

// Priors returns a copy of the class priors (nil before the model is fitted).
func (m *Prior) Priors() []float64 { return slices.Clone(m.fit.out) }

// Fit computes the class priors of p, a classification problem. It returns an
// error if p is invalid or is not a classification problem, or if a sample
// weight is negative or all are zero, and ctx.Err() if ctx is already
// cancelled.
func (m *Prior) Fit(ctx context.Context, p *model.Problem) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkClassification(p, KindPrior); err != nil {
		return err
	}
	pr, err := priors(p)
	if err != nil {
		return fmt.Errorf("baseline: %s: %w", KindPrior, err)
	}
	m.fit = constant{task: p.Task, classes: p.Classes, out: pr}
	return nil
}

// PredictTo writes X.Rows copies of the class priors into dst and returns it.
// It allocates only when dst is too short and is safe for concurrent use. It
// panics if the model is not fitted.
func (m *Prior) PredictTo(dst []float64, X model.Matrix) []float64 {
	return m.fit.predictTo(dst, X, "Prior")
}

// ParamSpecs lists the only parameter, strategy, fixed to prior.
func (m *Prior) ParamSpecs() []model.ParamSpec { return strategySpec(KindPrior) }

// SetParam accepts only strategy=prior; any other name or value is an error.
func (m *Prior) SetParam(name, value string) error { return setStrategy(KindPrior, name, value) }

// Params returns {"strategy": "prior"}.
func (m *Prior) Params() map[string]string { return map[string]string{"strategy": KindPrior} }

// MarshalBinary encodes the fitted priors in a compact little-endian form.
func (m *Prior) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodePrior)
	m.fit.encode(e)
	return e.Bytes(), nil
}

// UnmarshalBinary restores a model written by MarshalBinary. It returns an
// error, and leaves m unchanged, if data is truncated, was not written by
// Prior.MarshalBinary, or is inconsistent.
func (m *Prior) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodePrior, KindPrior)
	if err != nil {
		return err
	}
	var c constant
	c.decode(d, true)
	if err := d.Finish(); err != nil {
		return err
	}
	m.fit = c
	return nil
}

// Mean predicts the (sample-weighted) mean of the training targets, like
// scikit-learn's DummyRegressor(strategy="mean"). The zero value is ready to
// be fitted.
type Mean struct {
	fit constant
}

// Compile-time check that Mean implements model.Estimator.
var _ model.Estimator = (*Mean)(nil)

// Kind returns "mean".
func (m *Mean) Kind() string { return KindMean }

// Outputs returns 1; 0 before the model is fitted.
func (m *Mean) Outputs() int { return m.fit.outputs() }

// Value returns the predicted value (NaN before the model is fitted).
func (m *Mean) Value() float64 { return m.fit.value() }

func (c *constant) value() float64 {
	if len(c.out) == 0 {
		return math.NaN()
	}
	return c.out[0]
}

// Fit computes the mean target of p, a regression problem. It returns an
// error if p is invalid or is not a regression, if a target is not finite, or
// if a sample weight is negative or all are zero, and ctx.Err() if ctx is
// already cancelled.
func (m *Mean) Fit(ctx context.Context, p *model.Problem) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s, err := checkRegression(p, KindMean)
	if err != nil {
		return err
	}
	m.fit = constant{task: model.Regression, out: []float64{weightedMean(p, s)}}
	return nil
}

// PredictTo writes the mean into dst for each of X.Rows rows and returns it.
// It allocates only when dst is too short and is safe for concurrent use. It
// panics if the model is not fitted.
func (m *Mean) PredictTo(dst []float64, X model.Matrix) []float64 {
	return m.fit.predictTo(dst, X, "Mean")
}

// ParamSpecs lists the only parameter, strategy, fixed to mean.
func (m *Mean) ParamSpecs() []model.ParamSpec { return strategySpec(KindMean) }

// SetParam accepts only strategy=mean; any other name or value is an error.
func (m *Mean) SetParam(name, value string) error { return setStrategy(KindMean, name, value) }

// Params returns {"strategy": "mean"}.
func (m *Mean) Params() map[string]string { return map[string]string{"strategy": KindMean} }

// MarshalBinary encodes the fitted mean in a compact little-endian form.
func (m *Mean) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodeMean)
	m.fit.encode(e)
	return e.Bytes(), nil
}

// UnmarshalBinary restores a model written by MarshalBinary. It returns an
// error, and leaves m unchanged, if data is truncated, was not written by
// Mean.MarshalBinary, or is inconsistent.
func (m *Mean) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodeMean, KindMean)
	if err != nil {
		return err
	}
	var c constant
	c.decode(d, false)
	if err := d.Finish(); err != nil {
		return err
	}
	m.fit = c
	return nil
}

// Median predicts the median of the training targets, like scikit-learn's
// DummyRegressor(strategy="median"): without sample weights the usual median
// (the mean of the two middle values of an even count), with weights
// scikit-learn's weighted percentile, the smallest target whose cumulative
// weight reaches half the total. The zero value is ready to be fitted.
type Median struct {
	fit constant
}

// Compile-time check that Median implements model.Estimator.
var _ model.Estimator = (*Median)(nil)

// Kind returns "median".
func (m *Median) Kind() string { return KindMedian }

// Outputs returns 1; 0 before the model is fitted.
func (m *Median) Outputs() int { return m.fit.outputs() }

// Value returns the predicted value (NaN before the model is fitted).
func (m *Median) Value() float64 { return m.fit.value() }

// Fit computes the median target of p, a regression problem, with the error
// contract of Mean.Fit.
func (m *Median) Fit(ctx context.Context, p *model.Problem) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sumW, err := checkRegression(p, KindMedian)
	if err != nil {
		return err
	}
	n := len(p.Y)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case p.Y[a] < p.Y[b]:
			return -1
		case p.Y[a] > p.Y[b]:
			return 1
		}
		return 0
	})
	var med float64
	if p.Weights == nil {
		med = p.Y[idx[(n-1)/2]]
		if n%2 == 0 {
			med = (med + p.Y[idx[n/2]]) / 2
		}
	} else {
		half, cum := sumW/2, 0.0
		med = p.Y[idx[n-1]]
		for _, i := range idx {
			cum += p.Weights[i]
			if cum >= half {
				med = p.Y[i]
				break
			}
		}
	}
	m.fit = constant{task: model.Regression, out: []float64{med}}
	return nil
}

// PredictTo writes the median into dst for each of X.Rows rows and returns
// it. It allocates only when dst is too short and is safe for concurrent use.
// It panics if the model is not fitted.
func (m *Median) PredictTo(dst []float64, X model.Matrix) []float64 {
	return m.fit.predictTo(dst, X, "Median")
}

// ParamSpecs lists the only parameter, strategy, fixed to median.
func (m *Median) ParamSpecs() []model.ParamSpec { return strategySpec(KindMedian) }

// SetParam accepts only strategy=median; any other name or value is an error.
func (m *Median) SetParam(name, value string) error { return setStrategy(KindMedian, name, value) }

// Params returns {"strategy": "median"}.
func (m *Median) Params() map[string]string { return map[string]string{"strategy": KindMedian} }

// MarshalBinary encodes the fitted median in a compact little-endian form.
func (m *Median) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodeMedian)
	m.fit.encode(e)
	return e.Bytes(), nil
}

// UnmarshalBinary restores a model written by MarshalBinary. It returns an
// error, and leaves m unchanged, if data is truncated, was not written by
// Median.MarshalBinary, or is inconsistent.
func (m *Median) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodeMedian, KindMedian)
	if err != nil {
		return err
	}
	var c constant
	c.decode(d, false)
	if err := d.Finish(); err != nil {
		return err
	}
	m.fit = c
	return nil
}
