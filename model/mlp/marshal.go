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
	e.Int(len(c.HiddenLayerSizes))
	for _, h := range c.HiddenLayerSizes {
		e.Int(h)
	}
	e.Str(string(c.Activation))
	e.F64(c.Alpha)
	e.Int(c.BatchSize)
	e.F64(c.LearningRateInit)
	e.Int(c.MaxIter)
	e.F64(c.Tol)
	e.Bool(c.EarlyStopping)
	e.F64(c.ValidationFraction)
	e.Int(c.NIterNoChange)
	e.F64(c.Beta1)
	e.F64(c.Beta2)
	e.F64(c.Epsilon)
	e.U64(c.Seed)
	f := &m.fit
	e.Bool(f.task != 0)
	if f.task != 0 {
		e.U8(uint8(f.task))
		e.Int(f.classes)
		e.Int(len(f.layers))
		for _, w := range f.layers {
			e.Int(w)
		}
		e.Str(string(f.activation))
		e.F64s(f.weights)
		e.Int(f.nIter)
		e.Int(f.bestEpoch)
		e.F64s(f.trainLoss)
		e.Bool(f.validLoss != nil)
		if f.validLoss != nil {
			e.F64s(f.validLoss)
			e.F64s(f.validScore)
		}
	}
	return e.Bytes(), nil
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
	nh := d.Int(64)
	for range nh {
		c.HiddenLayerSizes = append(c.HiddenLayerSizes, d.Int(1<<16))
	}
	c.Activation = Activation(d.Str())
	c.Alpha = d.F64()
	c.BatchSize = d.Int(math.MaxInt32)
	c.LearningRateInit = d.F64()
	c.MaxIter = d.Int(math.MaxInt32)
	c.Tol = d.F64()
	c.EarlyStopping = d.Bool()
	c.ValidationFraction = d.F64()
	c.NIterNoChange = d.Int(math.MaxInt32)
	c.Beta1 = d.F64()
	c.Beta2 = d.F64()
	c.Epsilon = d.F64()
	c.Seed = d.U64()
	var f fitted
	if d.Bool() {
		f.task = model.Task(d.U8())
		f.classes = d.Int(1 << 20)
		nl := d.Int(66)
		params := 0
		for l := range nl {
			w := d.Int(1 << 26)
			if d.Err() == nil && w < 1 {
				d.Fail(fmt.Errorf("layer %d has width 0", l))
			}
			if l > 0 {
				params += f.layers[l-1]*w + w
				if d.Err() == nil && params > maxParams {
					d.Fail(fmt.Errorf("more than %d weights", maxParams))
				}
			}
			f.layers = append(f.layers, w)
		}
		f.activation = Activation(d.Str())
		if d.Err() == nil {
			d.Fail(checkFitted(&f, nl))
		}
		f.weights = d.F64s(params)
		f.nIter = d.Int(math.MaxInt32)
		f.bestEpoch = d.Int(math.MaxInt32)
		f.trainLoss = d.F64s(f.nIter)
		if d.Bool() {
			f.validLoss = d.F64s(f.nIter)
			f.validScore = d.F64s(f.nIter)
		}
	}
	if err := d.Finish(); err != nil {
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
