package predlog

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"mlw.dev/feature"
	"mlw.dev/internal/jsonw"
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
				e.buf = appendProba(e.buf[:0], out)
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
	e.buf = jsonw.AppendNumber(e.buf[:0], v)
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
			dst = jsonw.AppendString(dst, v.Str)
		default:
			dst = jsonw.AppendNumber(dst, v.Num)
		}
	}
	return append(dst, ']')
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

// probaDecimals is the precision of logged class probabilities: enough for
// monitoring (Score keeps the full value), and short to write and store.
const probaDecimals = 1e6

// appendProba appends the JSON array of class probabilities rounded to six
// decimals (null for NaN and infinities).
func appendProba(dst []byte, ps []float64) []byte {
	dst = append(dst, '[')
	for j, p := range ps {
		if j > 0 {
			dst = append(dst, ',')
		}
		if !math.IsNaN(p) && !math.IsInf(p, 0) {
			p = math.Round(p*probaDecimals) / probaDecimals
		}
		dst = jsonw.AppendNumber(dst, p)
	}
	return append(dst, ']')
}
