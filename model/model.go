// Package model defines what every learning algorithm in mlw shares: the dense
// feature matrix they train on and predict from, the description of a training
// problem, and the small Estimator and Predictor interfaces. Algorithms live in
// one package per family (model/baseline, model/linear, model/tree,
// model/forest, model/gbdt, model/mlp); model/bundle ties a fitted feature
// pipeline and an estimator into one versioned file.
//
// Invariants shared by all algorithms:
//   - NaN in a Matrix marks a missing value. Algorithms with native missing-value
//     handling (trees, boosting) learn where missing values go; others require the
//     feature pipeline to impute first and may return an error on NaN.
//   - A categorical feature holds category codes 0..Categories-1 stored as
//     float64 (NaN = missing). Algorithms without native categorical support
//     require the pipeline to one-hot encode such columns first.
//   - Fit never mutates its inputs. Same data, same params and same seed give the
//     same fitted model and the same MarshalBinary bytes.
//   - PredictTo writes into dst and allocates nothing when dst is long enough, so
//     the serving path allocates nothing per row.
package model

import (
	"context"
	"encoding"
	"fmt"
	"math"
)

// Task is the kind of learning problem.
type Task uint8

// Tasks.
const (
	Regression Task = iota + 1
	BinaryClassification
	MulticlassClassification
)

// String returns the task's name.
func (t Task) String() string {
	switch t {
	case Regression:
		return "regression"
	case BinaryClassification:
		return "binary"
	case MulticlassClassification:
		return "multiclass"
	}
	return fmt.Sprintf("Task(%d)", uint8(t))
}

// IsClassification reports whether t is binary or multiclass classification.
func (t Task) IsClassification() bool {
	return t == BinaryClassification || t == MulticlassClassification
}

// Matrix is a dense row-major matrix of features: row i is
// Data[i*Cols : (i+1)*Cols]. NaN marks a missing value.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// NewMatrix returns a zero matrix of the given shape.
func NewMatrix(rows, cols int) Matrix {
	return Matrix{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// Row returns row i, sharing the matrix's storage.
func (m Matrix) Row(i int) []float64 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// At returns the value at row i, column j.
func (m Matrix) At(i, j int) float64 { return m.Data[i*m.Cols+j] }

// Feature describes one column of a Matrix.
type Feature struct {
	Name string `json:"name"`
	// Categorical columns hold codes 0..Categories-1 (as float64; NaN = missing).
	Categorical bool `json:"categorical,omitempty"`
	Categories  int  `json:"categories,omitempty"`
}

// Problem is what an estimator learns from.
type Problem struct {
	Task Task
	// Classes is the number of classes (2 for binary); 0 for regression.
	Classes  int
	Features []Feature // len == X.Cols
	X        Matrix
	// Y holds class codes 0..Classes-1 for classification, target values for regression.
	Y []float64
	// Weights are per-row sample weights; nil means all 1.
	Weights []float64
	// Valid, when set, is held-out data for early stopping and learning curves.
	// It never contains test rows.
	Valid *Problem
}

// Validate checks shapes and codes and returns an error naming the first problem.
func (p *Problem) Validate() error {
	if p.X.Rows == 0 {
		return fmt.Errorf("no training rows")
	}
	if len(p.X.Data) != p.X.Rows*p.X.Cols {
		return fmt.Errorf("matrix data has %d values, want %d×%d", len(p.X.Data), p.X.Rows, p.X.Cols)
	}
	if len(p.Features) != p.X.Cols {
		return fmt.Errorf("%d features described for %d columns", len(p.Features), p.X.Cols)
	}
	if len(p.Y) != p.X.Rows {
		return fmt.Errorf("%d targets for %d rows", len(p.Y), p.X.Rows)
	}
	if p.Weights != nil && len(p.Weights) != p.X.Rows {
		return fmt.Errorf("%d weights for %d rows", len(p.Weights), p.X.Rows)
	}
	switch p.Task {
	case Regression:
	case BinaryClassification, MulticlassClassification:
		if p.Classes < 2 || p.Task == BinaryClassification && p.Classes != 2 {
			return fmt.Errorf("%s task with %d classes", p.Task, p.Classes)
		}
		for i, y := range p.Y {
			if y != float64(int(y)) || y < 0 || int(y) >= p.Classes {
				return fmt.Errorf("row %d: class code %g is not in 0..%d", i, y, p.Classes-1)
			}
		}
	default:
		return fmt.Errorf("unknown task %d", p.Task)
	}
	for i, w := range p.Weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("row %d: weight %g is not a finite number >= 0", i, w)
		}
	}
	if p.Task == Regression {
		for i, y := range p.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				return fmt.Errorf("row %d: target %g is not a finite number", i, y)
			}
		}
	}
	if p.Valid != nil {
		v := *p.Valid
		if v.X.Cols != p.X.Cols {
			return fmt.Errorf("validation data has %d columns, training data %d", v.X.Cols, p.X.Cols)
		}
		if v.Task == 0 { // unset: the training data's
			v.Task, v.Classes = p.Task, p.Classes
		}
		if v.Task != p.Task || v.Classes != p.Classes {
			return fmt.Errorf("validation data is a %s task with %d classes, training data %s with %d", v.Task, v.Classes, p.Task, p.Classes)
		}
		if v.Features == nil {
			v.Features = p.Features
		}
		v.Valid = nil
		if err := v.Validate(); err != nil {
			return fmt.Errorf("validation data: %w", err)
		}
	}
	return nil
}

// Outputs returns how many values a prediction of one row has: 1 for
// regression, Classes for classification (one probability per class).
func (p *Problem) Outputs() int {
	if p.Task.IsClassification() {
		return p.Classes
	}
	return 1
}

// Predictor is a fitted model.
type Predictor interface {
	// Outputs is the number of values per row PredictTo writes: 1 for regression,
	// the number of classes for classification (probabilities summing to 1).
	Outputs() int
	// PredictTo writes X.Rows*Outputs() values into dst, row-major, and returns
	// the slice written. It allocates only when cap(dst) is too small. It is safe
	// for concurrent use.
	PredictTo(dst []float64, X Matrix) []float64
}

// Estimator is an algorithm with its hyperparameters, fitted in place.
type Estimator interface {
	Predictor
	// Fit learns from p. It checks ctx every few iterations and returns ctx.Err()
	// when it is cancelled. Data-dependent failures (a diverging fit, a
	// parameter that cannot apply to the data) return an error.
	Fit(ctx context.Context, p *Problem) error
	// Kind is the algorithm's registry name, e.g. "gbdt".
	Kind() string
	Configurable
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Curve is a per-iteration learning curve (boosting rounds, MLP epochs).
type Curve struct {
	Name   string    `json:"name"` // e.g. "train_loss", "valid_loss"
	Values []float64 `json:"values"`
}

// CurveReporter is implemented by estimators that record learning curves.
type CurveReporter interface {
	Curves() []Curve
}

// Monitor watches an iterative fit (boosting iterations, epochs) from the
// outside: after every iteration the estimator predicts the monitor's rows
// and calls OnIteration, which may stop the fit there. A tuner uses it to
// score a trial's fit as it goes and to prune a hopeless one early.
type Monitor struct {
	// X holds the rows predicted after every iteration, usually held-out
	// rows. They are only read and never influence the fit. With no rows,
	// OnIteration gets nil predictions.
	X Matrix
	// OnIteration is called after every iteration with its number iter (1
	// for the first) and the predictions of the model so far on X:
	// X.Rows*Outputs values, row-major, as PredictTo writes them for a model
	// stopped after iter iterations. pred is valid during the call only and
	// must not be modified. Returning true stops the fit: Fit returns nil and
	// the model is what it would be with at most iter iterations (max_iter
	// = iter). OnIteration runs on the goroutine that called Fit.
	OnIteration func(iter int, pred []float64) (stop bool)
}

// IterationReporter is implemented by iterative estimators that a Monitor
// can watch. Other estimators fit as usual and report nothing.
type IterationReporter interface {
	// SetMonitor makes the estimator's following fits report to m; nil
	// removes the monitor. The monitor is not a hyperparameter: it is not in
	// Params nor in MarshalBinary, and a fit that it does not stop is the
	// same, bit for bit, as a fit without it.
	SetMonitor(m *Monitor)
}

// Importancer is implemented by estimators with a built-in feature importance
// (e.g. trees' total gain), normalised to sum to 1.
type Importancer interface {
	FeatureImportances() []float64
}

// ParamSpec documents one hyperparameter of an estimator.
type ParamSpec struct {
	Name    string `json:"name"` // scikit-learn's name where it has the same parameter
	Type    string `json:"type"` // int, float, bool, string
	Default string `json:"default"`
	Doc     string `json:"doc"`
}

// Configurable estimators take hyperparameters by name, so that the CLI
// (--param k=v), tuning and run logging handle every algorithm alike.
type Configurable interface {
	// ParamSpecs lists the hyperparameters with their defaults.
	ParamSpecs() []ParamSpec
	// SetParam parses and sets one hyperparameter; an unknown name or a value out
	// of range gives an error naming the parameter and the allowed values.
	SetParam(name, value string) error
	// Params returns every hyperparameter's effective value (defaults filled in).
	Params() map[string]string
}
