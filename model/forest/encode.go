package forest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"mlw.dev/model"
	"mlw.dev/model/tree"
)

// The binary format, little-endian throughout:
//
//	magic "mlwF", version byte
//	variant u8, task u8, outputs u32, features u32
//	params: the tree parameters (tree.AppendParams), n_estimators u32,
//	        bootstrap u8, max_samples f64, oob_score u8, n_jobs i32
//	has OOB score u8, OOB score f64
//	importances: features f64 (fitted models only)
//	trees u32, then per tree: length u32 and tree.Model.MarshalBinary bytes
//
// An unfitted model has task 0, no importances and no trees.
const (
	magic   = "mlwF"
	version = 1
)

// MarshalBinary encodes the forest, its hyperparameters included, in a
// compact deterministic little-endian format: the same fit gives the same
// bytes whatever the number of workers.
func (m *Model) MarshalBinary() ([]byte, error) {
	b := append([]byte(magic), version, byte(m.Variant), byte(m.task))
	b = binary.LittleEndian.AppendUint32(b, uint32(m.outputs))
	b = binary.LittleEndian.AppendUint32(b, uint32(m.nFeatures))
	b, err := tree.AppendParams(b, m.Config.Tree)
	if err != nil {
		return nil, err
	}
	c := &m.Config
	b = binary.LittleEndian.AppendUint32(b, uint32(c.NEstimators))
	b = append(b, byte(c.Bootstrap))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.MaxSamples))
	b = append(b, boolByte(c.OOBScore))
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(c.NJobs)))
	b = append(b, boolByte(m.hasOOB))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.oob))
	if len(m.trees) > 0 {
		for _, v := range m.importances {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.trees)))
	for i := range m.trees {
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		b, err = m.trees[i].AppendBinary(b)
		if err != nil {
			return nil, fmt.Errorf("encode tree %d: %w", i, err)
		}
		binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	return b, nil
}

// boolByte encodes a bool.
func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// UnmarshalBinary decodes a forest written by MarshalBinary, replacing m. It
// returns an error, and leaves m unchanged, for truncated, corrupt or
// inconsistent input.
func (m *Model) UnmarshalBinary(data []byte) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("decode forest: "+format, args...)
	}
	if len(data) < len(magic)+1 || string(data[:len(magic)]) != magic {
		return errors.New("decode forest: not a forest model (bad magic)")
	}
	if data[len(magic)] != version {
		return fail("unsupported version %d", data[len(magic)])
	}
	r := reader{b: data[len(magic)+1:]}
	var out Model
	out.Variant = Variant(r.u8())
	out.task = model.Task(r.u8())
	outputs, feats := r.u32(), r.u32()
	if r.err != nil {
		return fail("%v", r.err)
	}
	tp, rest, err := tree.ReadParams(r.b)
	if err != nil {
		return fail("%v", err)
	}
	r.b = rest
	out.Config.Tree = tp
	out.Config.NEstimators = int(r.u32())
	out.Config.Bootstrap = Bootstrap(r.u8())
	out.Config.MaxSamples = r.f64()
	oobFlag := r.u8()
	out.Config.NJobs = int(int32(r.u32()))
	hasOOB := r.u8()
	out.oob = r.f64()
	if r.err != nil {
		return fail("%v", r.err)
	}
	if out.Variant > ExtraTrees || oobFlag > 1 || hasOOB > 1 || out.Config.NEstimators > math.MaxInt32 {
		return fail("invalid header")
	}
	out.Config.OOBScore, out.hasOOB = oobFlag == 1, hasOOB == 1
	if err := out.Config.Validate(0); err != nil {
		return fail("%v", err)
	}
	if outputs > 1<<28 || feats > 1<<28 {
		return fail("implausible sizes")
	}
	out.outputs, out.nFeatures = int(outputs), int(feats)
	switch out.task {
	case 0:
		if outputs != 0 || feats != 0 || out.hasOOB {
			return fail("unfitted model with a fitted header")
		}
	case model.Regression, model.BinaryClassification, model.MulticlassClassification:
		if feats == 0 || outputs == 0 {
			return fail("fitted model without features or outputs")
		}
		out.importances = make([]float64, 0, min(out.nFeatures, len(r.b)/8))
		for range out.nFeatures {
			out.importances = append(out.importances, r.f64())
		}
	default:
		return fail("unknown task %d", out.task)
	}
	nTrees := r.u32()
	if r.err != nil {
		return fail("%v", r.err)
	}
	if uint64(nTrees)*4 > uint64(len(r.b)) {
		return fail("%d trees in %d bytes", nTrees, len(r.b))
	}
	if (out.task == 0) != (nTrees == 0) {
		return fail("a fitted forest needs trees and an unfitted one none")
	}
	out.trees = make([]tree.Model, nTrees)
	for i := range out.trees {
		size := r.u32()
		blob := r.bytes(int(min(size, math.MaxInt32)))
		if r.err != nil {
			return fail("tree %d: %v", i, r.err)
		}
		t := &out.trees[i]
		if err := t.UnmarshalBinary(blob); err != nil {
			return fail("tree %d: %v", i, err)
		}
		if t.Task() != out.task || t.Outputs() != out.outputs || t.NumFeatures() != out.nFeatures {
			return fail("tree %d does not fit the forest", i)
		}
	}
	if len(r.b) != 0 {
		return fail("%d trailing bytes", len(r.b))
	}
	*m = out
	return nil
}

// reader reads little-endian values from b; the first read past the end sets
// err and every later read returns zero.
type reader struct {
	b   []byte
	err error
}

// bytes returns the next n bytes.
func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		r.err = errors.New("truncated input")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// u8 reads a byte.
func (r *reader) u8() uint8 {
	if v := r.bytes(1); v != nil {
		return v[0]
	}
	return 0
}

// u32 reads a uint32.
func (r *reader) u32() uint32 {
	if v := r.bytes(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

// f64 reads a float64.
func (r *reader) f64() float64 {
	if v := r.bytes(8); v != nil {
		return math.Float64frombits(binary.LittleEndian.Uint64(v))
	}
	return 0
}
