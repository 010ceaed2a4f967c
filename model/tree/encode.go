package tree

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"mlw.dev/model"
)

// The binary format, little-endian throughout:
//
//	magic "mlwT", version byte
//	task u8, outputs u32, features u32
//	params: criterion u8, splitter u8, max_depth u32, min_samples_split u32,
//	        min_samples_leaf u32, min_weight_fraction_leaf f64,
//	        max_features rule u8 + value f64, max_leaf_nodes u32,
//	        min_impurity_decrease f64, ccp_alpha f64, random_state u64
//	nodes u32, then per node: threshold f64, feature u32 (top bit: missing
//	        values go left), child i32
//	leaf values: (nodes+1)/2 × outputs f64
//	importances: features f64
//
// An unfitted model has task 0 and no nodes, values or importances.
const (
	magic   = "mlwT"
	version = 1
	// maxDim bounds decoded counts so that garbage cannot ask for huge
	// allocations before the length check.
	maxDim = 1 << 28
)

// criterionCodes and splitterCodes give the encoded byte of each value.
var (
	criterionCodes = []Criterion{"", Gini, Entropy, LogLoss, SquaredError, FriedmanMSE, Poisson}
	splitterCodes  = []Splitter{"", Best, Random}
)

// MarshalBinary encodes the model, its hyperparameters included, in a
// compact deterministic little-endian format: the same fit gives the same
// bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(nil)
}

// AppendBinary appends MarshalBinary's encoding to b.
func (m *Model) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, magic...)
	b = append(b, version, byte(m.task))
	b = binary.LittleEndian.AppendUint32(b, uint32(m.outputs))
	b = binary.LittleEndian.AppendUint32(b, uint32(m.nFeatures))
	b, err := AppendParams(b, m.Config)
	if err != nil {
		return nil, err
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.nodes)))
	for _, nd := range m.nodes {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(nd.threshold))
		b = binary.LittleEndian.AppendUint32(b, nd.feature)
		b = binary.LittleEndian.AppendUint32(b, uint32(nd.child))
	}
	for _, v := range m.values {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	if len(m.nodes) > 0 {
		for _, v := range m.importances {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b, nil
}

// AppendParams appends the encoding of p (58 bytes) to b; a forest embeds its
// trees' parameters with it. It returns an error for a criterion or splitter
// it cannot name.
func AppendParams(b []byte, p Params) ([]byte, error) {
	c := indexOf(criterionCodes, p.Criterion)
	s := indexOf(splitterCodes, p.Splitter)
	if c < 0 || s < 0 {
		return nil, fmt.Errorf("encode tree parameters: unknown criterion %q or splitter %q", p.Criterion, p.Splitter)
	}
	b = append(b, byte(c), byte(s))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.MaxDepth))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.MinSamplesSplit))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.MinSamplesLeaf))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.MinWeightFractionLeaf))
	b = append(b, byte(p.MaxFeatures.Rule))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.MaxFeatures.Value))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.MaxLeafNodes))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.MinImpurityDecrease))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.CCPAlpha))
	b = binary.LittleEndian.AppendUint64(b, p.Seed)
	return b, nil
}

// ReadParams decodes parameters written by AppendParams from the start of b
// and returns them with the rest of b. It returns an error for truncated or
// invalid input.
func ReadParams(b []byte) (Params, []byte, error) {
	r := reader{b: b}
	p := readParams(&r)
	if r.err != nil {
		return Params{}, nil, r.err
	}
	return p, r.b, nil
}

// readParams reads AppendParams's encoding, setting r.err on failure.
func readParams(r *reader) Params {
	var p Params
	c, s := int(r.u8()), int(r.u8())
	p.MaxDepth = int(r.u32())
	p.MinSamplesSplit = int(r.u32())
	p.MinSamplesLeaf = int(r.u32())
	p.MinWeightFractionLeaf = r.f64()
	p.MaxFeatures.Rule = MaxFeaturesRule(r.u8())
	p.MaxFeatures.Value = r.f64()
	p.MaxLeafNodes = int(r.u32())
	p.MinImpurityDecrease = r.f64()
	p.CCPAlpha = r.f64()
	p.Seed = r.u64()
	if r.err != nil {
		return Params{}
	}
	if c >= len(criterionCodes) || s >= len(splitterCodes) || p.MaxFeatures.Rule > MaxFeaturesFraction ||
		p.MaxDepth > math.MaxInt32 || p.MinSamplesSplit > math.MaxInt32 || p.MinSamplesLeaf > math.MaxInt32 ||
		p.MaxLeafNodes > math.MaxInt32 {
		r.err = errors.New("decode tree parameters: invalid value")
		return Params{}
	}
	p.Criterion, p.Splitter = criterionCodes[c], splitterCodes[s]
	if err := p.Validate(0); err != nil {
		r.err = fmt.Errorf("decode tree parameters: %w", err)
		return Params{}
	}
	return p
}

// UnmarshalBinary decodes a model written by MarshalBinary, replacing m. It
// returns an error, and leaves m unchanged, for truncated, corrupt or
// inconsistent input.
func (m *Model) UnmarshalBinary(data []byte) error {
	r := reader{b: data}
	if string(r.bytes(len(magic))) != magic {
		return errors.New("decode tree: not a tree model (bad magic)")
	}
	if v := r.u8(); v != version {
		if r.err != nil {
			return fmt.Errorf("decode tree: %w", r.err)
		}
		return fmt.Errorf("decode tree: unsupported version %d", v)
	}
	var out Model
	out.task = model.Task(r.u8())
	outputs, feats := r.u32(), r.u32()
	out.Config = readParams(&r)
	nNodes := r.u32()
	if r.err != nil {
		return fmt.Errorf("decode tree: %w", r.err)
	}
	if outputs > maxDim || feats > maxDim || nNodes > maxDim {
		return errors.New("decode tree: implausible sizes")
	}
	out.outputs, out.nFeatures = int(outputs), int(feats)
	switch out.task {
	case 0:
		if nNodes != 0 || outputs != 0 || feats != 0 {
			return errors.New("decode tree: unfitted model with nodes")
		}
	case model.Regression:
		if outputs != 1 {
			return errors.New("decode tree: regression model with more than one output")
		}
	case model.BinaryClassification:
		if outputs != 2 {
			return errors.New("decode tree: binary model without two outputs")
		}
	case model.MulticlassClassification:
		if outputs < 2 {
			return errors.New("decode tree: multiclass model with fewer than two classes")
		}
	default:
		return fmt.Errorf("decode tree: unknown task %d", out.task)
	}
	if out.task != 0 {
		if err := out.Config.Validate(out.task); err != nil {
			return fmt.Errorf("decode tree: %w", err)
		}
		if nNodes%2 != 1 || feats == 0 {
			return errors.New("decode tree: a fitted tree needs an odd number of nodes and at least one feature")
		}
	}
	n := int(nNodes)
	leaves := (n + 1) / 2
	if n == 0 {
		leaves = 0
	}
	want := uint64(n)*16 + uint64(leaves)*uint64(outputs)*8
	if n > 0 {
		want += uint64(feats) * 8
	}
	if uint64(len(r.b)) != want {
		return fmt.Errorf("decode tree: %d bytes of nodes and values, want %d", len(r.b), want)
	}
	if n > 0 {
		out.nodes = make([]node, n)
		referenced := make([]bool, n)
		internal := 0
		for i := range out.nodes {
			nd := node{threshold: r.f64(), feature: r.u32(), child: int32(r.u32())}
			switch {
			case nd.child > 0:
				c := int(nd.child)
				if c <= i || c+1 >= n || int(nd.feature&^missLeftBit) >= out.nFeatures {
					return fmt.Errorf("decode tree: node %d is corrupt", i)
				}
				if referenced[c] || referenced[c+1] {
					return fmt.Errorf("decode tree: node %d shares a child", i)
				}
				referenced[c], referenced[c+1] = true, true
				internal++
			case int(-int64(nd.child)) >= leaves:
				return fmt.Errorf("decode tree: leaf %d has a value index out of range", i)
			}
			out.nodes[i] = nd
		}
		if 2*internal != n-1 {
			return errors.New("decode tree: the nodes do not form a binary tree")
		}
		out.values = make([]float64, leaves*out.outputs)
		for i := range out.values {
			out.values[i] = r.f64()
		}
		out.importances = make([]float64, out.nFeatures)
		for i := range out.importances {
			out.importances[i] = r.f64()
		}
	}
	if r.err != nil {
		return fmt.Errorf("decode tree: %w", r.err)
	}
	*m = out
	return nil
}

// indexOf returns the index of v in s, or -1.
func indexOf[T comparable](s []T, v T) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// reader reads little-endian values from b; the first read past the end sets
// err and every later read returns zero.
type reader struct {
	b   []byte
	err error
}

// errTruncated is the error of a read past the end.
var errTruncated = errors.New("truncated input")

// bytes returns the next n bytes.
func (r *reader) bytes(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = errTruncated
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

// u64 reads a uint64.
func (r *reader) u64() uint64 {
	if v := r.bytes(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

// f64 reads a float64.
func (r *reader) f64() float64 { return math.Float64frombits(r.u64()) }
