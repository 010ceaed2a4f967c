// Package mlp implements a multilayer perceptron for classification and
// regression, like scikit-learn's MLPClassifier and MLPRegressor with the
// Adam solver: fully connected hidden layers (relu by default), a logistic
// output for binary problems, a softmax for multiclass ones (both trained on
// the log loss) and an identity output trained on half the squared error for
// regression, an L2 penalty, Glorot-uniform initial weights, shuffled
// minibatches and scikit-learn's stopping rules.
//
// A Model is fitted in place:
//
//	var m mlp.Model
//	m.HiddenLayerSizes = []int{64, 32}
//	if err := m.Fit(ctx, p); err != nil { ... }
//	proba := m.PredictTo(nil, X)
//
// The features must be numeric, complete and on comparable scales: mlw's
// feature pipeline imputes, one-hot encodes and standard-scales them, and Fit
// returns an error on a missing (NaN) or infinite value. Regression targets
// are used as they are, as scikit-learn does.
//
// Prediction runs one row at a time through buffers taken from a sync.Pool;
// after the pool is warm it allocates nothing when dst is large enough. It is
// safe for concurrent use.
package mlp

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"mlw.dev/model"
)

// Model is a multilayer perceptron: its Config and, once fitted, its weights.
// The zero value is ready to be configured and fitted.
type Model struct {
	Config

	fit     fitted
	monitor *model.Monitor
}

// fitted is a Model's learned state; the zero value means not fitted.
type fitted struct {
	task    model.Task // 0: not fitted
	classes int
	// layers holds the width of every layer: the features, the hidden layers
	// and the output units (1 for binary and regression problems).
	layers     []int
	activation Activation
	// weights holds, for each layer l ≥ 1, the matrix W_l (layers[l-1] ×
	// layers[l], row-major) followed by the intercepts b_l (layers[l]).
	weights    []float64
	nIter      int
	bestEpoch  int
	trainLoss  []float64
	validLoss  []float64
	validScore []float64
	// pool holds *[]float64 scratch of 2*maxWidth values for prediction.
	pool *sync.Pool
}

// Compile-time checks that Model implements the model interfaces.
var (
	_ model.Estimator         = (*Model)(nil)
	_ model.CurveReporter     = (*Model)(nil)
	_ model.IterationReporter = (*Model)(nil)
)

// Kind returns "mlp".
func (m *Model) Kind() string { return Kind }

// Outputs returns the number of classes for classification and 1 for
// regression; 0 before the model is fitted.
func (m *Model) Outputs() int {
	switch {
	case m.fit.task.IsClassification():
		return m.fit.classes
	case m.fit.task == model.Regression:
		return 1
	}
	return 0
}

// SetMonitor makes the following fits call m.OnIteration after every epoch
// with the predictions of the current weights on m.X (one forward pass over
// the monitored rows per epoch). When OnIteration returns true, training
// ends as if MaxIter were the epochs done (with early stopping, the best
// epoch's weights are still the ones kept). Fit returns an error when m.X
// has another number of columns than the training data. nil removes the
// monitor.
func (m *Model) SetMonitor(mon *model.Monitor) { m.monitor = mon }

// NIter returns the number of epochs the fit ran.
func (m *Model) NIter() int { return m.fit.nIter }

// BestEpoch returns the 1-based epoch whose weights the model kept: the last
// one, or with early stopping the one with the best validation score.
func (m *Model) BestEpoch() int { return m.fit.bestEpoch }

// Curves returns, per epoch run, the training loss ("train_loss": the mean
// loss of the epoch's minibatches including the L2 penalty, scikit-learn's
// loss_curve_) and, when there was validation data, the validation loss
// ("valid_loss": mean log loss, or half the mean squared error, without
// penalty) and score ("valid_score": accuracy, or R²).
func (m *Model) Curves() []model.Curve {
	var cs []model.Curve
	add := func(name string, v []float64) {
		if v != nil {
			cs = append(cs, model.Curve{Name: name, Values: slices.Clone(v)})
		}
	}
	add("train_loss", m.fit.trainLoss)
	add("valid_loss", m.fit.validLoss)
	add("valid_score", m.fit.validScore)
	return cs
}

// dataset is a matrix with its targets and optional weights.
type dataset struct {
	x model.Matrix
	y []float64
	w []float64
}

// Fit trains the network on p. It returns an error if the configuration is
// invalid, if p (or its validation data) is invalid, holds a missing or
// infinite feature value or regression target, or a negative sample weight,
// or if the training diverges (a non-finite loss). It checks ctx once per
// epoch and returns ctx.Err() when it is cancelled, leaving the model
// unchanged.
//
// Sample weights multiply each row's loss and gradient (scikit-learn 1.2's
// MLP takes none).
func (m *Model) Fit(ctx context.Context, p *model.Problem) error {
	c := m.Config.WithDefaults()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("mlp: %w", err)
	}
	if err := checkProblem(p, "training"); err != nil {
		return err
	}
	var valid *dataset
	if p.Valid != nil {
		v := p.Valid
		if v.X.Cols != p.X.Cols || len(v.Y) != v.X.Rows || len(v.X.Data) != v.X.Rows*v.X.Cols || v.X.Rows == 0 {
			return fmt.Errorf("mlp: validation data of %d×%d with %d targets does not match %d features", v.X.Rows, v.X.Cols, len(v.Y), p.X.Cols)
		}
		vp := *v
		vp.Task, vp.Classes, vp.Features, vp.Valid = p.Task, p.Classes, p.Features, nil
		if err := checkProblem(&vp, "validation"); err != nil {
			return err
		}
		valid = &dataset{x: v.X, y: v.Y, w: v.Weights}
	}
	train := &dataset{x: p.X, y: p.Y, w: p.Weights}
	if c.EarlyStopping && valid == nil {
		tr, va, err := split(p, c.ValidationFraction, newRNG(c.Seed, 2))
		if err != nil {
			return err
		}
		train, valid = tr, va
	}

	nOut := 1
	if p.Task == model.MulticlassClassification {
		nOut = p.Classes
	}
	layers := append(append([]int{p.X.Cols}, c.HiddenLayerSizes...), nOut)
	t := newTrainer(c, p.Task, p.Classes, layers)
	if mon := m.monitor; mon != nil && mon.OnIteration != nil {
		if mon.X.Rows > 0 && (mon.X.Cols != p.X.Cols || len(mon.X.Data) != mon.X.Rows*mon.X.Cols) {
			return fmt.Errorf("mlp: the monitored rows have %d columns, the training data %d", mon.X.Cols, p.X.Cols)
		}
		t.mon = mon
	}
	t.init(newRNG(c.Seed, 0))
	f, err := t.run(ctx, train, valid, newRNG(c.Seed, 1))
	if err != nil {
		return err
	}
	m.fit = f
	return nil
}

// checkProblem validates p and its values for training.
func checkProblem(p *model.Problem, what string) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("mlp: %s data: %w", what, err)
	}
	for i, v := range p.X.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			r, col := i/p.X.Cols, i%p.X.Cols
			return fmt.Errorf("mlp: %s row %d, feature %q is %g: a multilayer perceptron needs imputed, finite features", what, r, p.Features[col].Name, v)
		}
	}
	if p.Task == model.Regression {
		for i, y := range p.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				return fmt.Errorf("mlp: %s row %d: target %g, want a finite value", what, i, y)
			}
		}
	}
	if p.Weights != nil {
		s := 0.0
		for i, w := range p.Weights {
			if !(w >= 0) || math.IsInf(w, 1) {
				return fmt.Errorf("mlp: %s row %d: sample weight %g, want a finite value >= 0", what, i, w)
			}
			s += w
		}
		if !(s > 0) {
			return fmt.Errorf("mlp: %s sample weights sum to %g, want > 0", what, s)
		}
	}
	return nil
}

// split holds out ceil(frac·rows) rows of p for validation, stratified by
// class for classification (each class keeps its share, rounded by largest
// remainder), and returns the training and validation rows in their original
// order.
func split(p *model.Problem, frac float64, r *rng) (*dataset, *dataset, error) {
	n := p.X.Rows
	nVal := int(math.Ceil(frac * float64(n)))
	if nVal < 1 || n-nVal < 1 {
		return nil, nil, fmt.Errorf("mlp: cannot hold out validation_fraction %g of %d rows for early stopping", frac, n)
	}
	held := make([]bool, n)
	if p.Task.IsClassification() {
		byClass := make([][]int, p.Classes)
		for i, y := range p.Y {
			byClass[int(y)] = append(byClass[int(y)], i)
		}
		take := make([]int, p.Classes)
		type rem struct {
			c    int
			frac float64
		}
		var rems []rem
		total := 0
		for k, rows := range byClass {
			exact := float64(len(rows)) * float64(nVal) / float64(n)
			take[k] = int(exact)
			total += take[k]
			rems = append(rems, rem{k, exact - float64(take[k])})
		}
		slices.SortStableFunc(rems, func(a, b rem) int {
			switch {
			case a.frac > b.frac:
				return -1
			case a.frac < b.frac:
				return 1
			}
			return 0
		})
		for i := 0; total < nVal && i < len(rems); i++ {
			if take[rems[i].c] < len(byClass[rems[i].c]) {
				take[rems[i].c]++
				total++
			}
		}
		for k, rows := range byClass {
			shuffle(r, rows)
			for _, i := range rows[:take[k]] {
				held[i] = true
			}
		}
	} else {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		shuffle(r, idx)
		for _, i := range idx[:nVal] {
			held[i] = true
		}
	}
	tr, va := subset(p, held, false), subset(p, held, true)
	return tr, va, nil
}

func subset(p *model.Problem, held []bool, want bool) *dataset {
	d := &dataset{x: model.Matrix{Cols: p.X.Cols}}
	for i, h := range held {
		if h != want {
			continue
		}
		d.x.Data = append(d.x.Data, p.X.Row(i)...)
		d.x.Rows++
		d.y = append(d.y, p.Y[i])
		if p.Weights != nil {
			d.w = append(d.w, p.Weights[i])
		}
	}
	return d
}

// PredictTo writes the prediction of each row of X into dst (class
// probabilities or values, X.Rows × Outputs(), row-major) and returns it. It
// allocates only when dst is too short (and while the scratch pool is cold)
// and is safe for concurrent use. It panics if the model is not fitted or X
// has the wrong number of columns.
func (m *Model) PredictTo(dst []float64, X model.Matrix) []float64 {
	f := &m.fit
	if f.task == 0 {
		panic("mlp: Model.PredictTo before Fit")
	}
	if X.Cols != f.layers[0] {
		panic(fmt.Sprintf("mlp: Model.PredictTo: X has %d columns, model %d features", X.Cols, f.layers[0]))
	}
	k := m.Outputs()
	need := X.Rows * k
	if cap(dst) < need {
		dst = make([]float64, need)
	}
	dst = dst[:need]
	f.predict(dst, X)
	return dst
}

// predict writes the predictions of X, X.Rows × outputs, into dst.
func (f *fitted) predict(dst []float64, X model.Matrix) {
	k := 1
	if f.task.IsClassification() {
		k = f.classes
	}
	buf := f.pool.Get().(*[]float64)
	width := len(*buf) / 2
	a, b := (*buf)[:width], (*buf)[width:]
	last := len(f.layers) - 1
	for i := range X.Rows {
		in := X.Row(i)
		off := 0
		for l := 1; l <= last; l++ {
			nIn, nOut := f.layers[l-1], f.layers[l]
			w := f.weights[off : off+nIn*nOut]
			out := b[:nOut]
			copy(out, f.weights[off+nIn*nOut:off+nIn*nOut+nOut])
			for j, v := range in {
				if v != 0 {
					axpy(v, w[j*nOut:(j+1)*nOut], out)
				}
			}
			off += nIn*nOut + nOut
			if l < last {
				activate(f.activation, out)
			}
			in = out
			a, b = b, a
		}
		row := dst[i*k : (i+1)*k]
		switch {
		case f.task == model.BinaryClassification:
			p := sigmoid(in[0])
			row[0], row[1] = 1-p, p
		case f.task == model.MulticlassClassification:
			copy(row, in)
			softmax(row)
		default:
			row[0] = in[0]
		}
	}
	f.pool.Put(buf)
}

// newPool returns the scratch pool of a network with the given layer widths.
func newPool(layers []int) *sync.Pool {
	width := slices.Max(layers)
	return &sync.Pool{New: func() any {
		b := make([]float64, 2*width)
		return &b
	}}
}

// activate applies the hidden activation to v in place.
func activate(act Activation, v []float64) {
	switch act {
	case ActivationReLU:
		for i, x := range v {
			if x < 0 {
				v[i] = 0
			}
		}
	case ActivationTanh:
		for i, x := range v {
			v[i] = math.Tanh(x)
		}
	case ActivationLogistic:
		for i, x := range v {
			v[i] = sigmoid(x)
		}
	}
}

// sigmoid returns 1/(1+e^-z) without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softmax turns logits into probabilities in place.
func softmax(v []float64) {
	top := slices.Max(v)
	s := 0.0
	for i, x := range v {
		v[i] = math.Exp(x - top)
		s += v[i]
	}
	for i := range v {
		v[i] /= s
	}
}

// axpy adds alpha*x to y[:len(x)].
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += alpha * x[i]
		y[i+1] += alpha * x[i+1]
		y[i+2] += alpha * x[i+2]
		y[i+3] += alpha * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}

// general returns a row-major blas64 view of rows×cols values of data.
func general(rows, cols int, data []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

// gemm computes c = alpha·op(a)·op(b) + beta·c.
func gemm(tA, tB bool, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	blas64.Gemm(ta, tb, alpha, a, b, beta, c)
}
