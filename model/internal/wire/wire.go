// Package wire is the compact binary encoding shared by the estimators of
// model/...: a header (a 4-byte magic of the package, a format version byte, a
// model kind byte) followed by little-endian fields — integers as uint32 or uint64,
// floats as their IEEE 754 bits, strings and float slices prefixed by their
// length. Decoding never panics and never allocates more than the input can
// hold: the first error sticks and is reported by Finish.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrTruncated reports input that ends too early.
var ErrTruncated = errors.New("truncated data")

// Encoder appends fields to a buffer.
type Encoder struct{ buf []byte }

// NewEncoder starts an encoding with the header.
func NewEncoder(magic string, version, kind byte) *Encoder {
	e := &Encoder{buf: make([]byte, 0, 256)}
	e.buf = append(e.buf, magic...)
	e.buf = append(e.buf, version, kind)
	return e
}

// Bytes returns the encoding.
func (e *Encoder) Bytes() []byte { return e.buf }

// U8 appends a byte.
func (e *Encoder) U8(v uint8) { e.buf = append(e.buf, v) }

// U32 appends a uint32.
func (e *Encoder) U32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }

// U64 appends a uint64.
func (e *Encoder) U64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }

// Int appends a non-negative int as a uint32.
func (e *Encoder) Int(v int) { e.U32(uint32(v)) }

// F64 appends a float64.
func (e *Encoder) F64(v float64) { e.U64(math.Float64bits(v)) }

// Bool appends 0 or 1.
func (e *Encoder) Bool(v bool) {
	if v {
		e.U8(1)
	} else {
		e.U8(0)
	}
}

// Str appends a length-prefixed string.
func (e *Encoder) Str(s string) {
	e.U32(uint32(len(s)))
	e.buf = append(e.buf, s...)
}

// F64s appends a length-prefixed float slice.
func (e *Encoder) F64s(v []float64) {
	e.U32(uint32(len(v)))
	for _, x := range v {
		e.F64(x)
	}
}

// Decoder reads what Encoder wrote. The first error sticks: later reads
// return zero values.
type Decoder struct {
	buf    []byte
	err    error
	prefix string // "linear: decode NAME"
}

// NewDecoder checks the header of data (magic, version, kind) and returns a
// decoder of the body. pkg and what name the package and the kind of model in
// messages ("linear", "an mlw linear model"); name is the input's name.
func NewDecoder(data []byte, magic string, version, kind byte, pkg, what, name string) (*Decoder, error) {
	prefix := pkg + ": decode " + name
	if len(data) < len(magic)+2 {
		return nil, fmt.Errorf("%s: %w", prefix, ErrTruncated)
	}
	if string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("%s: not %s (bad magic)", prefix, what)
	}
	if v := data[len(magic)]; v != version {
		return nil, fmt.Errorf("%s: format version %d, want %d", prefix, v, version)
	}
	if k := data[len(magic)+1]; k != kind {
		return nil, fmt.Errorf("%s: data holds model kind %d, want %d", prefix, k, kind)
	}
	return &Decoder{buf: data[len(magic)+2:], prefix: prefix}, nil
}

// Err returns the first error so far.
func (d *Decoder) Err() error { return d.err }

// Fail records err unless an error is already recorded (nil is ignored).
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Remaining is the number of bytes not yet read.
func (d *Decoder) Remaining() int { return len(d.buf) }

// Take returns the next n bytes, or nil after recording ErrTruncated.
func (d *Decoder) Take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf) {
		d.err = ErrTruncated
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

// U8 reads a byte.
func (d *Decoder) U8() uint8 {
	b := d.Take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// U32 reads a uint32.
func (d *Decoder) U32() uint32 {
	b := d.Take(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// U64 reads a uint64.
func (d *Decoder) U64() uint64 {
	b := d.Take(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// Int reads a non-negative int of at most limit.
func (d *Decoder) Int(limit int) int {
	v := d.U32()
	if d.err == nil && uint64(v) > uint64(limit) {
		d.err = fmt.Errorf("integer %d out of range (max %d)", v, limit)
		return 0
	}
	return int(v)
}

// F64 reads a float64.
func (d *Decoder) F64() float64 { return math.Float64frombits(d.U64()) }

// Bool reads a 0/1 byte; any other value is an error.
func (d *Decoder) Bool() bool {
	switch v := d.U8(); v {
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

// Str reads a length-prefixed string.
func (d *Decoder) Str() string {
	n := d.U32()
	if d.err == nil && uint64(n) > uint64(len(d.buf)) {
		d.err = ErrTruncated
	}
	return string(d.Take(int(n)))
}

// F64s reads a float slice of exactly want values, or of any length when want
// is negative.
func (d *Decoder) F64s(want int) []float64 {
	n := d.U32()
	if d.err != nil {
		return nil
	}
	if uint64(n)*8 > uint64(len(d.buf)) {
		d.err = ErrTruncated
		return nil
	}
	if want >= 0 && int(n) != want {
		d.err = fmt.Errorf("%d values, want %d", n, want)
		return nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = d.F64()
	}
	return v
}

// Finish returns the first error, or an error if bytes are left over.
func (d *Decoder) Finish() error {
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return fmt.Errorf("%s: %w", d.prefix, d.err)
	}
	return nil
}
