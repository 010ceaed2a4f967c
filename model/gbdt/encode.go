package gbdt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"mlw.dev/model"
)

// The binary format, little-endian throughout:
//
//	magic "MLWGBDT\x00", version uint16
//	config: max_iter i64, learning_rate f64, max_leaf_nodes i64, max_depth i64,
//	  min_samples_leaf i64, l2_regularization f64, max_bins i64,
//	  early_stopping u8, validation_fraction f64, n_iter_no_change i64, tol f64,
//	  subsample f64, colsample f64, loss str, random_state u64, n_jobs i64
//	fitted u8 (0: the rest is absent)
//	task u8, classes u32, features u32, loss str, outputs u32,
//	baseline outputs×f64, iterations u32, roots iterations×outputs×i32,
//	nodes u32 × (value f64, feature i32, left i32, cat i32, missing_left u8),
//	  where a leaf is (output, -1, -1, -1, 0) and a split (threshold, feature,
//	  left child, bitset or -1, missing values go left); the right child is
//	  left+1,
//	bitsets u32 × 4×u64, importances features×f64,
//	train_loss u32 × f64, valid_loss u8 (present) [u32 × f64]
//
// where str is a u8 length and the bytes. Nothing may follow.
const (
	magic         = "MLWGBDT\x00"
	formatVersion = 1
	nodeBytes     = 8 + 3*4 + 1
)

// MarshalBinary encodes the Config and the fitted trees in a compact,
// deterministic little-endian format with a magic and a format version.
func (m *Model) MarshalBinary() ([]byte, error) {
	f := &m.fit
	size := 128 + len(f.roots)*4 + len(f.nodes)*nodeBytes + len(f.bitsets)*32 +
		8*(len(f.baseline)+len(f.importances)+len(f.trainLoss)+len(f.validLoss))
	b := make([]byte, 0, size)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, formatVersion)
	c := m.Config
	b = appendI64(b, c.MaxIter)
	b = appendF64(b, c.LearningRate)
	b = appendI64(b, c.MaxLeafNodes)
	b = appendI64(b, c.MaxDepth)
	b = appendI64(b, c.MinSamplesLeaf)
	b = appendF64(b, c.L2Regularization)
	b = appendI64(b, c.MaxBins)
	b = append(b, byte(c.EarlyStopping))
	b = appendF64(b, c.ValidationFraction)
	b = appendI64(b, c.NIterNoChange)
	b = appendF64(b, c.Tol)
	b = appendF64(b, c.Subsample)
	b = appendF64(b, c.Colsample)
	b = appendStr(b, string(c.Loss))
	b = binary.LittleEndian.AppendUint64(b, c.Seed)
	b = appendI64(b, c.NJobs)
	if f.nOut == 0 {
		return append(b, 0), nil
	}
	b = append(b, 1, byte(f.task))
	b = binary.LittleEndian.AppendUint32(b, uint32(f.classes))
	b = binary.LittleEndian.AppendUint32(b, uint32(f.nFeatures))
	b = appendStr(b, string(f.loss))
	b = binary.LittleEndian.AppendUint32(b, uint32(f.nOut))
	for _, v := range f.baseline {
		b = appendF64(b, v)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(f.nIter))
	for _, r := range f.roots {
		b = binary.LittleEndian.AppendUint32(b, uint32(r))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f.nodes)))
	for i, nd := range f.nodes {
		if nd.left == int32(i) { // a leaf: its output, feature, left and cat -1
			b = appendF64(b, nd.out)
			b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0)
			continue
		}
		b = appendF64(b, nd.thr)
		b = binary.LittleEndian.AppendUint32(b, uint32(nd.feature))
		b = binary.LittleEndian.AppendUint32(b, uint32(nd.left))
		b = binary.LittleEndian.AppendUint32(b, uint32(nd.cat))
		ml := byte(0)
		if nd.missingLeft {
			ml = 1
		}
		b = append(b, ml)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f.bitsets)))
	for _, bs := range f.bitsets {
		for _, w := range bs {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	for _, v := range f.importances {
		b = appendF64(b, v)
	}
	b = appendF64s(b, f.trainLoss)
	if f.validLoss == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendF64s(b, f.validLoss)
	}
	return b, nil
}

func appendI64(b []byte, v int) []byte { return binary.LittleEndian.AppendUint64(b, uint64(int64(v))) }
func appendF64(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}
func appendStr(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }
func appendF64s(b []byte, v []float64) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	for _, x := range v {
		b = appendF64(b, x)
	}
	return b
}

// errTruncated reports input that ends too early.
var errTruncated = errors.New("gbdt: truncated model data")

// decoder reads the format; the first error sticks and later reads return
// zeros.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = errTruncated
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8() byte {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if p := d.take(2); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) int() int {
	v := int64(d.u64())
	if v != int64(int(v)) {
		d.fail("integer out of range")
	}
	return int(v)
}

func (d *decoder) f64() float64 { return math.Float64frombits(d.u64()) }
func (d *decoder) str() string  { return string(d.take(int(d.u8()))) }

// count reads a u32 count of items of size bytes each and checks that they
// can fit in what is left, so garbage never makes a huge allocation.
func (d *decoder) count(size int) int {
	n := int(d.u32())
	if d.err == nil && n > len(d.b)/size {
		d.err = errTruncated
		return 0
	}
	return n
}

func (d *decoder) f64s() []float64 {
	n := d.count(8)
	if d.err != nil {
		return nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = d.f64()
	}
	return v
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("gbdt: invalid model data: "+format, args...)
	}
}

// UnmarshalBinary decodes data written by MarshalBinary, replacing the
// model's Config and fit. It returns an error, leaving the model unchanged,
// when data is truncated, has trailing bytes, another magic or format
// version, or describes an inconsistent model.
func (m *Model) UnmarshalBinary(data []byte) error {
	d := &decoder{b: data}
	if string(d.take(len(magic))) != magic {
		if d.err != nil {
			return d.err
		}
		return errors.New("gbdt: not a gbdt model (bad magic)")
	}
	if v := d.u16(); d.err == nil && v != formatVersion {
		return fmt.Errorf("gbdt: model format version %d, this build reads %d", v, formatVersion)
	}
	var c Config
	c.MaxIter = d.int()
	c.LearningRate = d.f64()
	c.MaxLeafNodes = d.int()
	c.MaxDepth = d.int()
	c.MinSamplesLeaf = d.int()
	c.L2Regularization = d.f64()
	c.MaxBins = d.int()
	c.EarlyStopping = EarlyStopping(d.u8())
	c.ValidationFraction = d.f64()
	c.NIterNoChange = d.int()
	c.Tol = d.f64()
	c.Subsample = d.f64()
	c.Colsample = d.f64()
	c.Loss = Loss(d.str())
	c.Seed = d.u64()
	c.NJobs = d.int()
	if d.err == nil {
		if err := c.Validate(); err != nil {
			d.fail("config: %v", err)
		}
	}
	var f fitted
	switch d.u8() {
	case 0:
	case 1:
		d.fitted(&f)
	default:
		d.fail("bad fitted flag")
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return d.err
	}
	m.Config, m.fit = c, f
	return nil
}

// fitted decodes and checks the fitted state.
func (d *decoder) fitted(f *fitted) {
	f.task = model.Task(d.u8())
	f.classes = int(d.u32())
	f.nFeatures = int(d.u32())
	f.loss = Loss(d.str())
	f.nOut = int(d.u32())
	if d.err != nil {
		return
	}
	switch {
	case f.task == model.Regression && f.classes == 0 && f.nOut == 1 &&
		(f.loss == LossSquaredError || f.loss == LossAbsoluteError):
	case f.task == model.BinaryClassification && f.classes == 2 && f.nOut == 1 && f.loss == LossLogLoss:
	case f.task == model.MulticlassClassification && f.classes >= 2 && f.nOut == f.classes && f.loss == LossLogLoss:
	default:
		d.fail("task %d with %d classes, %d outputs and loss %q", f.task, f.classes, f.nOut, f.loss)
		return
	}
	if f.nFeatures > len(d.b)/8 || f.nOut > len(d.b)/8 {
		d.err = errTruncated
		return
	}
	f.baseline = make([]float64, f.nOut)
	for i := range f.baseline {
		f.baseline[i] = d.f64()
	}
	f.nIter = int(d.u32())
	if d.err != nil || f.nIter > len(d.b)/4/f.nOut {
		d.fail("truncated roots")
		return
	}
	f.roots = make([]int32, f.nIter*f.nOut)
	for i := range f.roots {
		f.roots[i] = int32(d.u32())
	}
	nn := d.count(nodeBytes)
	if d.err != nil {
		return
	}
	f.nodes = make([]node, nn)
	for i := range f.nodes {
		nd := &f.nodes[i]
		nd.thr = d.f64()
		nd.feature = int32(d.u32())
		nd.left = int32(d.u32())
		nd.cat = int32(d.u32())
		switch d.u8() {
		case 0:
		case 1:
			nd.missingLeft = true
		default:
			d.fail("node %d: bad missing-left flag", i)
		}
	}
	nb := d.count(32)
	if d.err != nil {
		return
	}
	f.bitsets = make([]bitset, nb)
	for i := range f.bitsets {
		for j := range f.bitsets[i] {
			f.bitsets[i][j] = d.u64()
		}
	}
	f.importances = make([]float64, f.nFeatures)
	for i := range f.importances {
		f.importances[i] = d.f64()
	}
	f.trainLoss = d.f64s()
	switch d.u8() {
	case 0:
	case 1:
		f.validLoss = d.f64s()
	default:
		d.fail("bad validation curve flag")
	}
	if d.err != nil {
		return
	}
	// Every node must be a leaf or a split on a known feature whose children
	// (left and left+1) come after it, and every node but a root must be the
	// child of exactly one split: then the nodes form trees and every walk
	// ends.
	isChild := make([]bool, nn)
	for i := range f.nodes {
		nd := &f.nodes[i]
		if nd.feature == -1 && nd.left == -1 && nd.cat == -1 && !nd.missingLeft {
			*nd = leafNode(int32(i), nd.thr)
			continue
		}
		if nd.feature < 0 || int(nd.feature) >= f.nFeatures || nd.left <= int32(i) || int(nd.left) >= nn-1 ||
			nd.cat < -1 || int(nd.cat) >= nb || isChild[nd.left] || isChild[nd.left+1] {
			d.fail("node %d: malformed", i)
			return
		}
		isChild[nd.left], isChild[nd.left+1] = true, true
	}
	for i, r := range f.roots {
		if r < 0 || int(r) >= nn || isChild[r] {
			d.fail("root %d: bad node index", i)
			return
		}
		isChild[r] = true // a node is the root of one tree at most
	}
	f.prepare()
	if f.nIter > 0 && nn == 0 {
		d.fail("trees without nodes")
	}
}
