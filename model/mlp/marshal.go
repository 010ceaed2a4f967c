package mlp

import (
	"fmt"
	"math"

	"mlw.dev/model"
)

// maxParams bounds the number of weights UnmarshalBinary accepts.
const maxParams = 1 << 28

// MarshalBinary encodes the Config and the fitted network (layer widths,
// weights, learning curves) in a compact little-endian form. The same model
// always gives the same bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodeMLP)
	c := m.Config
	e.int(len(c.HiddenLayerSizes))
	for _, h := range c.HiddenLayerSizes {
		e.int(h)
	}
	e.str(string(c.Activation))
	e.f64(c.Alpha)
	e.int(c.BatchSize)
	e.f64(c.LearningRateInit)
	e.int(c.MaxIter)
	e.f64(c.Tol)
	e.bool(c.EarlyStopping)
	e.f64(c.ValidationFraction)
	e.int(c.NIterNoChange)
	e.f64(c.Beta1)
	e.f64(c.Beta2)
	e.f64(c.Epsilon)
	e.u64(c.Seed)
	f := &m.fit
	e.bool(f.task != 0)
	if f.task != 0 {
		e.u8(uint8(f.task))
		e.int(f.classes)
		e.int(len(f.layers))
		for _, w := range f.layers {
			e.int(w)
		}
		e.str(string(f.activation))
		e.f64s(f.weights)
		e.int(f.nIter)
		e.int(f.bestEpoch)
		e.f64s(f.trainLoss)
		e.bool(f.validLoss != nil)
		if f.validLoss != nil {
			e.f64s(f.validLoss)
			e.f64s(f.validScore)
		}
	}
	return e.buf, nil
}

// UnmarshalBinary restores a model written by MarshalBinary. It returns an
// error, and leaves m unchanged, if data is truncated, was not written by
// Model.MarshalBinary, or holds an invalid Config or inconsistent shapes.
func (m *Model) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodeMLP, "mlp")
	if err != nil {
		return err
	}
	var c Config
	nh := d.int(64)
	for range nh {
		c.HiddenLayerSizes = append(c.HiddenLayerSizes, d.int(1<<16))
	}
	c.Activation = Activation(d.str())
	c.Alpha = d.f64()
	c.BatchSize = d.int(math.MaxInt32)
	c.LearningRateInit = d.f64()
	c.MaxIter = d.int(math.MaxInt32)
	c.Tol = d.f64()
	c.EarlyStopping = d.bool()
	c.ValidationFraction = d.f64()
	c.NIterNoChange = d.int(math.MaxInt32)
	c.Beta1 = d.f64()
	c.Beta2 = d.f64()
	c.Epsilon = d.f64()
	c.Seed = d.u64()
	var f fitted
	if d.bool() {
		f.task = model.Task(d.u8())
		f.classes = d.int(1 << 20)
		nl := d.int(66)
		params := 0
		for l := range nl {
			w := d.int(1 << 26)
			if d.err == nil && w < 1 {
				d.err = fmt.Errorf("layer %d has width 0", l)
			}
			if l > 0 {
				params += f.layers[l-1]*w + w
				if d.err == nil && params > maxParams {
					d.err = fmt.Errorf("more than %d weights", maxParams)
				}
			}
			f.layers = append(f.layers, w)
		}
		f.activation = Activation(d.str())
		if d.err == nil {
			d.err = checkFitted(&f, nl)
		}
		f.weights = d.f64s(params)
		f.nIter = d.int(math.MaxInt32)
		f.bestEpoch = d.int(math.MaxInt32)
		f.trainLoss = d.f64s(f.nIter)
		if d.bool() {
			f.validLoss = d.f64s(f.nIter)
			f.validScore = d.f64s(f.nIter)
		}
	}
	if err := d.finish("mlp"); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("mlp: decode: %w", err)
	}
	if f.task != 0 {
		f.pool = newPool(f.layers)
	}
	m.Config, m.fit = c, f
	return nil
}

// checkFitted checks the task, the classes, the output width and the
// activation of a decoded network.
func checkFitted(f *fitted, nl int) error {
	if nl < 2 {
		return fmt.Errorf("%d layers, want at least 2", nl)
	}
	out := f.layers[nl-1]
	switch {
	case f.task == model.Regression && f.classes == 0 && out == 1:
	case f.task == model.BinaryClassification && f.classes == 2 && out == 1:
	case f.task == model.MulticlassClassification && f.classes >= 2 && out == f.classes:
	default:
		return fmt.Errorf("task %s with %d classes and %d output units", f.task, f.classes, out)
	}
	switch f.activation {
	case ActivationReLU, ActivationTanh, ActivationLogistic, ActivationIdentity:
	default:
		return fmt.Errorf("activation %q", string(f.activation))
	}
	return nil
}
