package mlp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The binary form of a Model is
//
//	magic "MLWM" | version (1 byte) | kind (1 byte) | body
//
// with every number little-endian: integers as uint32, floats as their IEEE
// 754 bits in a uint64, strings and float slices prefixed by their length as
// a uint32 (a uint64 for the seed). The body holds the Config and, after a
// 0/1 byte saying whether the model is fitted, the learned state.
const (
	magic         = "MLWM"
	formatVersion = 1

	kindCodeMLP = 1
)

var errTruncated = errors.New("truncated data")

type encoder struct{ buf []byte }

func newEncoder(kind byte) *encoder {
	e := &encoder{buf: make([]byte, 0, 256)}
	e.buf = append(e.buf, magic...)
	e.buf = append(e.buf, formatVersion, kind)
	return e
}

func (e *encoder) u8(v uint8)   { e.buf = append(e.buf, v) }
func (e *encoder) u32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }
func (e *encoder) int(v int)    { e.u32(uint32(v)) }
func (e *encoder) u64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }
func (e *encoder) f64(v float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
}

func (e *encoder) bool(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

func (e *encoder) str(s string) {
	e.u32(uint32(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *encoder) f64s(v []float64) {
	e.u32(uint32(len(v)))
	for _, x := range v {
		e.f64(x)
	}
}

// decoder reads what encoder wrote. The first error sticks: later reads return
// zero values, and err reports it.
type decoder struct {
	buf []byte
	err error
}

// newDecoder checks the header of data and returns a decoder of its body.
func newDecoder(data []byte, kind byte, name string) (*decoder, error) {
	if len(data) < len(magic)+2 {
		return nil, fmt.Errorf("mlp: decode %s: %w", name, errTruncated)
	}
	if string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("mlp: decode %s: not an mlw multilayer perceptron (bad magic)", name)
	}
	if v := data[len(magic)]; v != formatVersion {
		return nil, fmt.Errorf("mlp: decode %s: format version %d, want %d", name, v, formatVersion)
	}
	if k := data[len(magic)+1]; k != kind {
		return nil, fmt.Errorf("mlp: decode %s: data holds model kind %d, want %d", name, k, kind)
	}
	return &decoder{buf: data[len(magic)+2:]}, nil
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf) {
		d.err = errTruncated
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) u8() uint8 {
	b := d.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (d *decoder) u32() uint32 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// int reads a non-negative int of at most limit.
func (d *decoder) int(limit int) int {
	v := d.u32()
	if d.err == nil && uint64(v) > uint64(limit) {
		d.err = fmt.Errorf("integer %d out of range (max %d)", v, limit)
		return 0
	}
	return int(v)
}

func (d *decoder) u64() uint64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (d *decoder) f64() float64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func (d *decoder) bool() bool {
	switch v := d.u8(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		if d.err == nil {
			d.err = fmt.Errorf("boolean byte %d", v)
		}
		return false
	}
}

func (d *decoder) str() string {
	n := d.u32()
	if d.err == nil && uint64(n) > uint64(len(d.buf)) {
		d.err = errTruncated
	}
	return string(d.take(int(n)))
}

// f64s reads a float slice of exactly want values, or of any length when want
// is negative.
func (d *decoder) f64s(want int) []float64 {
	n := d.u32()
	if d.err != nil {
		return nil
	}
	if uint64(n)*8 > uint64(len(d.buf)) {
		d.err = errTruncated
		return nil
	}
	if want >= 0 && int(n) != want {
		d.err = fmt.Errorf("%d values, want %d", n, want)
		return nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = d.f64()
	}
	return v
}

// finish returns the first error, or an error if bytes are left over.
func (d *decoder) finish(name string) error {
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return fmt.Errorf("mlp: decode %s: %w", name, d.err)
	}
	return nil
}
