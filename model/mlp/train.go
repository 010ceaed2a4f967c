package mlp

import (
	"context"
	"fmt"
	"math"
	"slices"

	"mlw.dev/model"
)

// probEps is the clipping of predicted probabilities in the log loss, as
// scikit-learn's (the float64 machine epsilon).
const probEps = 2.220446049250313e-16

// trainer holds the state of one fit: the weights, Adam's moments and the
// buffers of one minibatch.
type trainer struct {
	c       Config
	task    model.Task
	classes int
	layers  []int
	// offsets[l-1] is where W_l starts in params; b_l follows it.
	offsets               []int
	params, grads, m1, m2 []float64
	batch                 int
	xb, yb, wb            []float64
	acts, deltas          [][]float64 // per layer l = 1..L, batch × layers[l]
	step                  int
	// mon, when set, watches the fit; see Model.SetMonitor.
	mon *model.Monitor
}

func newTrainer(c Config, task model.Task, classes int, layers []int) *trainer {
	t := &trainer{c: c, task: task, classes: classes, layers: layers}
	n := 0
	for l := 1; l < len(layers); l++ {
		t.offsets = append(t.offsets, n)
		n += layers[l-1]*layers[l] + layers[l]
	}
	t.params = make([]float64, n)
	t.grads = make([]float64, n)
	t.m1 = make([]float64, n)
	t.m2 = make([]float64, n)
	return t
}

// weight returns W_l and b_l (l ≥ 1) of v, a vector laid out as params.
func (t *trainer) weight(v []float64, l int) (w, b []float64) {
	off, nIn, nOut := t.offsets[l-1], t.layers[l-1], t.layers[l]
	return v[off : off+nIn*nOut], v[off+nIn*nOut : off+nIn*nOut+nOut]
}

// init draws the initial weights and intercepts of every layer uniformly in
// ±sqrt(6/(fan_in+fan_out)) (Glorot; 2 instead of 6 for the logistic
// activation), as scikit-learn does.
func (t *trainer) init(r *rng) {
	factor := 6.0
	if t.c.Activation == ActivationLogistic {
		factor = 2
	}
	for l := 1; l < len(t.layers); l++ {
		bound := math.Sqrt(factor / float64(t.layers[l-1]+t.layers[l]))
		w, b := t.weight(t.params, l)
		for i := range w {
			w[i] = bound * (2*r.float64() - 1)
		}
		for i := range b {
			b[i] = bound * (2*r.float64() - 1)
		}
	}
}

func (t *trainer) allocBatch(batch int) {
	t.batch = batch
	t.xb = make([]float64, batch*t.layers[0])
	t.yb = make([]float64, batch)
	t.wb = make([]float64, batch)
	t.acts = make([][]float64, len(t.layers))
	t.deltas = make([][]float64, len(t.layers))
	for l := 1; l < len(t.layers); l++ {
		t.acts[l] = make([]float64, batch*t.layers[l])
		t.deltas[l] = make([]float64, batch*t.layers[l])
	}
}

// run trains for up to MaxIter epochs and returns the fitted state.
func (t *trainer) run(ctx context.Context, train, valid *dataset, r *rng) (fitted, error) {
	c := t.c
	n := train.x.Rows
	batch := c.BatchSize
	if batch == 0 {
		batch = DefaultBatchSize
	}
	t.allocBatch(min(batch, n))
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	f := fitted{task: t.task, classes: t.classes, layers: t.layers, activation: c.Activation}
	// now is the network with the current weights, for the monitor.
	var now fitted
	var pred []float64
	if t.mon != nil && t.mon.X.Rows > 0 {
		now = f
		now.weights, now.pool = t.params, newPool(t.layers)
		pred = make([]float64, t.mon.X.Rows*max(t.classes, 1))
	}
	var best []float64
	bestLoss, bestScore := math.Inf(1), math.Inf(-1)
	noImprove := 0
	for epoch := range c.MaxIter {
		if err := ctx.Err(); err != nil {
			return fitted{}, err
		}
		shuffle(r, idx)
		total := 0.0
		for s := 0; s < n; s += t.batch {
			e := min(s+t.batch, n)
			total += t.minibatch(train, idx[s:e]) * float64(e-s)
		}
		loss := total / float64(n)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fitted{}, fmt.Errorf("mlp: training diverged at epoch %d (loss %g); lower learning_rate_init", epoch+1, loss)
		}
		f.trainLoss = append(f.trainLoss, loss)
		f.nIter = epoch + 1
		if valid != nil {
			vl, vs := t.evaluate(valid)
			f.validLoss = append(f.validLoss, vl)
			f.validScore = append(f.validScore, vs)
		}
		// scikit-learn's _update_no_improvement_count.
		if c.EarlyStopping {
			vs := f.validScore[epoch]
			if vs < bestScore+c.Tol {
				noImprove++
			} else {
				noImprove = 0
			}
			if vs > bestScore || best == nil {
				bestScore = vs
				best = append(best[:0], t.params...)
				f.bestEpoch = epoch + 1
			}
		} else {
			if loss > bestLoss-c.Tol {
				noImprove++
			} else {
				noImprove = 0
			}
			bestLoss = min(bestLoss, loss)
			f.bestEpoch = epoch + 1
		}
		// The monitor sees every epoch, the last one included; its stop ends
		// training as MaxIter would.
		stop := noImprove > c.NIterNoChange
		if t.mon != nil {
			if pred != nil {
				now.predict(pred, t.mon.X)
			}
			stop = t.mon.OnIteration(epoch+1, pred) || stop
		}
		if stop {
			break
		}
	}
	if best != nil {
		f.weights = best
	} else {
		f.weights = slices.Clone(t.params)
	}
	f.pool = newPool(f.layers)
	return f, nil
}

// forward computes the activations of the first bs rows of the batch
// buffers, the output layer included (probabilities for classification).
func (t *trainer) forward(bs int) {
	last := len(t.layers) - 1
	in := general(bs, t.layers[0], t.xb)
	for l := 1; l <= last; l++ {
		w, b := t.weight(t.params, l)
		nOut := t.layers[l]
		a := t.acts[l][:bs*nOut]
		for i := range bs {
			copy(a[i*nOut:(i+1)*nOut], b)
		}
		gemm(false, false, 1, in, general(t.layers[l-1], nOut, w), 1, general(bs, nOut, a))
		if l < last {
			activate(t.c.Activation, a)
		}
		in = general(bs, nOut, a)
	}
	out := t.acts[last][:bs*t.layers[last]]
	switch t.task {
	case model.BinaryClassification:
		for i, z := range out {
			out[i] = sigmoid(z)
		}
	case model.MulticlassClassification:
		k := t.layers[last]
		for i := range bs {
			softmax(out[i*k : (i+1)*k])
		}
	}
}

// rowLoss returns the loss of row i of the output layer against target y.
func (t *trainer) rowLoss(out []float64, i int, y float64) float64 {
	switch t.task {
	case model.BinaryClassification:
		p := min(max(out[i], probEps), 1-probEps)
		if y == 1 {
			return -math.Log(p)
		}
		return -math.Log(1 - p)
	case model.MulticlassClassification:
		k := t.classes
		return -math.Log(min(max(out[i*k+int(y)], probEps), 1-probEps))
	}
	d := y - out[i]
	return d * d / 2
}

// gather copies the rows of d listed in rows into the batch buffers.
func (t *trainer) gather(d *dataset, rows []int) {
	cols := t.layers[0]
	for i, r := range rows {
		copy(t.xb[i*cols:(i+1)*cols], d.x.Data[r*cols:(r+1)*cols])
		t.yb[i] = d.y[r]
		t.wb[i] = 1
		if d.w != nil {
			t.wb[i] = d.w[r]
		}
	}
}

// minibatch runs one Adam step on the given rows of d and returns the
// batch's loss, penalty included, as scikit-learn's _backprop.
func (t *trainer) minibatch(d *dataset, rows []int) float64 {
	bs := len(rows)
	t.gather(d, rows)
	t.forward(bs)
	last := len(t.layers) - 1
	out := t.acts[last][:bs*t.layers[last]]
	inv := 1 / float64(bs)

	loss := 0.0
	for i := range bs {
		loss += t.wb[i] * t.rowLoss(out, i, t.yb[i])
	}
	loss *= inv
	sq := 0.0
	for l := 1; l <= last; l++ {
		w, _ := t.weight(t.params, l)
		for _, v := range w {
			sq += v * v
		}
	}
	loss += 0.5 * t.c.Alpha * sq * inv

	// Output delta: (prediction - target)·w/bs for all three losses.
	k := t.layers[last]
	delta := t.deltas[last][:bs*k]
	for i := range bs {
		s := t.wb[i] * inv
		for j := range k {
			target := 0.0
			switch {
			case t.task == model.MulticlassClassification:
				if int(t.yb[i]) == j {
					target = 1
				}
			default:
				target = t.yb[i]
			}
			delta[i*k+j] = (out[i*k+j] - target) * s
		}
	}
	for l := last; l >= 1; l-- {
		nIn, nOut := t.layers[l-1], t.layers[l]
		var in []float64
		if l == 1 {
			in = t.xb[:bs*nIn]
		} else {
			in = t.acts[l-1][:bs*nIn]
		}
		dl := t.deltas[l][:bs*nOut]
		w, _ := t.weight(t.params, l)
		gw, gb := t.weight(t.grads, l)
		copy(gw, w)
		gemm(true, false, 1, general(bs, nIn, in), general(bs, nOut, dl), t.c.Alpha*inv, general(nIn, nOut, gw))
		clear(gb)
		for i := range bs {
			for j, v := range dl[i*nOut : (i+1)*nOut] {
				gb[j] += v
			}
		}
		if l > 1 {
			prev := t.deltas[l-1][:bs*nIn]
			gemm(false, true, 1, general(bs, nOut, dl), general(nIn, nOut, w), 0, general(bs, nIn, prev))
			derivative(t.c.Activation, in, prev)
		}
	}
	t.adam()
	return loss
}

// derivative multiplies delta by the derivative of the activation, given the
// activation's output a.
func derivative(act Activation, a, delta []float64) {
	switch act {
	case ActivationReLU:
		for i, v := range a {
			if v == 0 {
				delta[i] = 0
			}
		}
	case ActivationTanh:
		for i, v := range a {
			delta[i] *= 1 - v*v
		}
	case ActivationLogistic:
		for i, v := range a {
			delta[i] *= v * (1 - v)
		}
	}
}

// adam applies one Adam update with bias correction folded into the step
// size, as scikit-learn's AdamOptimizer.
func (t *trainer) adam() {
	c := t.c
	t.step++
	s := float64(t.step)
	lr := c.LearningRateInit * math.Sqrt(1-math.Pow(c.Beta2, s)) / (1 - math.Pow(c.Beta1, s))
	b1, b2 := c.Beta1, c.Beta2
	for i, g := range t.grads {
		m := b1*t.m1[i] + (1-b1)*g
		v := b2*t.m2[i] + (1-b2)*g*g
		t.m1[i], t.m2[i] = m, v
		t.params[i] -= lr * m / (math.Sqrt(v) + c.Epsilon)
	}
}

// evaluate returns the mean loss (without penalty) and the score (accuracy or
// R²) of the current weights on d, weighted by its sample weights.
func (t *trainer) evaluate(d *dataset) (loss, score float64) {
	n := d.x.Rows
	last := len(t.layers) - 1
	k := t.layers[last]
	rows := make([]int, 0, t.batch)
	var sumW, correct, sumY, sumY2, ssr float64
	for s := 0; s < n; s += t.batch {
		e := min(s+t.batch, n)
		rows = rows[:0]
		for i := s; i < e; i++ {
			rows = append(rows, i)
		}
		t.gather(d, rows)
		bs := e - s
		t.forward(bs)
		out := t.acts[last][:bs*k]
		for i := range bs {
			w, y := t.wb[i], t.yb[i]
			sumW += w
			loss += w * t.rowLoss(out, i, y)
			switch t.task {
			case model.BinaryClassification:
				if (out[i] > 0.5) == (y == 1) {
					correct += w
				}
			case model.MulticlassClassification:
				if argmax(out[i*k:(i+1)*k]) == int(y) {
					correct += w
				}
			default:
				sumY += w * y
				sumY2 += w * y * y
				ssr += w * (y - out[i]) * (y - out[i])
			}
		}
	}
	loss /= sumW
	if t.task.IsClassification() {
		return loss, correct / sumW
	}
	sst := sumY2 - sumY*sumY/sumW
	if sst <= 0 {
		return loss, 0
	}
	return loss, 1 - ssr/sst
}

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
