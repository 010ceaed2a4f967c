package predlog

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"mlw.dev/feature"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/serve"
)

// segmentRows is how many rows of a request are converted between two
// enqueues, which bounds the scratch records of an encoder.
const segmentRows = 128

// Chunks of memory the records' JSON is carved from.
const (
	chunkSize = 32 << 10
	// Larger values get memory of their own.
	maxCarved = chunkSize / 8
)

// maxErrorLen bounds the error text of a record, in bytes.
const maxErrorLen = 1024

// conversion holds what the rows of one observation share.
type conversion struct {
	name    string
	version int
	labels  []string // class labels in code order; nil for regressors
	classes bool     // the model is a classifier
	width   int      // values per row: the signature's columns
}

// init reads what the rows of o share.
func (c *conversion) init(o *serve.Observation) {
	if m := o.Source; m != nil {
		c.name, c.version, c.classes = m.Name(), m.Version(), m.Classifier()
		if b := m.Bundle(); b != nil {
			c.labels = b.Classes
		}
	} else {
		// Not from a serve.Server; make do with the reference.
		c.name, c.classes = o.Model, o.Classes != nil
		if r, err := mlw.ParseRef(o.Model); err == nil {
			c.name, c.version = r.Name, r.Version
		}
	}
	if o.Rows > 0 {
		c.width = len(o.Inputs) / o.Rows
	}
}

// record returns the fields every record of o shares.
func (c *conversion) record(o *serve.Observation) mlw.Prediction {
	return mlw.Prediction{
		RequestID: o.RequestID, Endpoint: o.Endpoint, Model: c.name, Version: c.version,
		Variant: o.Variant, Shadow: o.Shadow, At: o.Time, Latency: o.Duration,
	}
}

// failed returns the record of a failed request.
func (c *conversion) failed(o *serve.Observation) mlw.Prediction {
	r := c.record(o)
	r.Error = cleanText(o.Err.Error(), maxErrorLen)
	return r
}

// label returns the label of class code k.
func (c *conversion) label(k int) string {
	if k >= 0 && k < len(c.labels) {
		return c.labels[k]
	}
	return strconv.Itoa(k)
}

// encoder converts observations to records. Encoders are pooled; each holds
// scratch records and the chunk of memory its records' JSON is carved from.
// A carved piece is never written again once handed out, so records share
// chunks safely and a chunk is garbage once its records are.
type encoder struct {
	// recs are the records of the last segment (not cleared between
	// observations: at most segmentRows records stay alive).
	recs  []mlw.Prediction
	buf   []byte // scratch for one JSON array or number
	chunk []byte // the current chunk; its unused part is chunk[len:cap]
}

// convert sets e.recs to the records of rows [lo, hi) of a successful
// observation.
func (e *encoder) convert(c *conversion, o *serve.Observation, lo, hi int) {
	e.recs = e.recs[:0]
	base := c.record(o)
	w, k := c.width, o.Width
	for i := lo; i < hi; i++ {
		r := base
		r.Row = i
		if (i+1)*w <= len(o.Inputs) {
			e.buf = appendValues(e.buf[:0], o.Inputs[i*w:(i+1)*w])
			r.Inputs = e.carve(e.buf)
		}
		var out []float64
		if k > 0 && (i+1)*k <= len(o.Outputs) {
			out = o.Outputs[i*k : (i+1)*k]
		}
		if c.classes {
			code := -1
			if i < len(o.Classes) {
				code = o.Classes[i]
			}
			r.Output = c.label(code)
			switch {
			case len(out) == 2:
				r.Score = out[1] // P(positive class)
			case code >= 0 && code < len(out):
				r.Score = out[code]
			}
			if out != nil {
				e.buf = appendNumbers(e.buf[:0], out)
				r.Proba = e.carve(e.buf)
			}
		} else if len(out) > 0 {
			r.Score = out[0]
			r.Output = e.text(out[0])
		}
		if math.IsNaN(r.Score) || math.IsInf(r.Score, 0) {
			r.Score = 0
		}
		e.recs = append(e.recs, r)
	}
}

// carve copies b into the chunk and returns the copy, capped so that
// appending to it cannot reach the rest of the chunk.
func (e *encoder) carve(b []byte) []byte {
	if len(b) > maxCarved {
		return append([]byte(nil), b...)
	}
	if cap(e.chunk)-len(e.chunk) < len(b) {
		e.chunk = make([]byte, 0, chunkSize)
	}
	start := len(e.chunk)
	e.chunk = append(e.chunk, b...)
	return e.chunk[start:len(e.chunk):len(e.chunk)]
}

// text returns a predicted value as text, without allocating: the string
// shares a carved piece of the chunk, which is never written again.
func (e *encoder) text(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	e.buf = appendNumber(e.buf[:0], v)
	b := e.carve(e.buf)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendValues appends the JSON array of a row's values: numbers, strings,
// and null for missing values and for NaN or infinite numbers.
func appendValues(dst []byte, vals []feature.Value) []byte {
	dst = append(dst, '[')
	for j := range vals {
		if j > 0 {
			dst = append(dst, ',')
		}
		switch v := &vals[j]; {
		case v.Missing:
			dst = append(dst, 'n', 'u', 'l', 'l')
		case v.IsStr:
			dst = appendString(dst, v.Str)
		default:
			dst = appendNumber(dst, v.Num)
		}
	}
	return append(dst, ']')
}

// appendNumbers appends the JSON array of xs (null for NaN and infinities).
func appendNumbers(dst []byte, xs []float64) []byte {
	dst = append(dst, '[')
	for j, x := range xs {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendNumber(dst, x)
	}
	return append(dst, ']')
}

// roundMagic rounds a double t with |t| < 2^51 to an integer:
// (t + roundMagic) - roundMagic.
const roundMagic = 0x1.8p52

// appendNumber appends x as a JSON number, formatted as encoding/json does
// (the shortest text that reads back as x), or null when x is NaN or
// infinite.
func appendNumber(dst []byte, x float64) []byte {
	// Fast paths for the numbers clients send.
	if a := math.Abs(x); a < 1e15 { // false for NaN
		if i := int64(x); float64(i) == x {
			return strconv.AppendInt(dst, i, 10)
		}
		// At most 6 decimals, as in the JSON text 0.123456: for |x| < 2^31
		// the spacing of doubles is below 1e-6, so the one such decimal
		// that reads back as x is also the shortest text.
		if a < 1<<31 {
			t := float64(x * 1e6) // the conversion forbids a fused multiply-add
			if m := int64(t + roundMagic - roundMagic); float64(m)/1e6 == x {
				return appendMicros(dst, m)
			}
		}
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(dst, 'n', 'u', 'l', 'l')
	}
	format := byte('f')
	if a := math.Abs(x); a < 1e-6 || a >= 1e21 {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, x, format, -1, 64)
	if format == 'e' {
		// Shorten e-09 to e-9, as encoding/json does.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// digitPairs are the two-digit numbers 00 to 99.
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// appendMicros appends m/1e6 in decimal, without trailing zeros.
func appendMicros(dst []byte, m int64) []byte {
	if m < 0 {
		dst = append(dst, '-')
		m = -m
	}
	u := uint64(m)
	if q := u / 1e6; q < 10 {
		dst = append(dst, byte('0'+q))
	} else {
		dst = strconv.AppendUint(dst, q, 10)
	}
	f := u % 1e6
	if f == 0 {
		return dst
	}
	a, b, c := f/10000*2, f/100%100*2, f%100*2
	dst = append(dst, '.', digitPairs[a], digitPairs[a+1], digitPairs[b], digitPairs[b+1], digitPairs[c], digitPairs[c+1])
	n := len(dst)
	for dst[n-1] == '0' {
		n--
	}
	return dst[:n]
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. NUL bytes and invalid UTF-8
// become U+FFFD: PostgreSQL stores neither in text or jsonb.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case 0:
				dst = append(dst, `\ufffd`...)
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// cleanText returns s with NUL bytes and invalid UTF-8 replaced by U+FFFD,
// cut to at most n bytes (at a rune boundary).
func cleanText(s string, n int) string {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD")
	}
	if len(s) > n {
		i := n
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i]
	}
	return s
}
