package serve

import (
	"math"
	"strconv"

	"mlw.dev/internal/mlw"
)

// Output tensor names of an infer response.
const (
	OutputPredict = "predict" // predicted labels (classifiers) or values (regressors)
	OutputProba   = "proba"   // class probabilities, [N, classes] (classifiers)
)

// Requested outputs (batch.outputs bits).
const (
	outPredict uint8 = 1 << iota
	outProba
)

// Datatype classes of Open Inference Protocol tensors.
const (
	dtNumber uint8 = iota + 1
	dtInt
	dtBool
	dtBytes
)

// datatypes maps the tensor datatypes this server reads to their class.
var datatypes = map[string]uint8{
	"FP64": dtNumber, "FP32": dtNumber, "FP16": dtNumber,
	"INT64": dtInt, "INT32": dtInt, "INT16": dtInt, "INT8": dtInt,
	"UINT64": dtInt, "UINT32": dtInt, "UINT16": dtInt, "UINT8": dtInt,
	"BOOL": dtBool, "BYTES": dtBytes,
}

// tensor is one input tensor of an infer request while it is decoded.
type tensor struct {
	name       string
	datatype   string
	dt         uint8
	shape      [2]int
	dims       int
	start, end int32 // its data in batch.tcells
	col        int32 // its column in batch.cols
	hasData    bool
	at         int // offset of the tensor object, for errors
}

// decodeInfer decodes an Open Inference Protocol v2 infer request:
//
//	{"id": "...", "inputs": [{"name": "col", "shape": [N] or [N, 1], "datatype": "FP64", "data": [...]}, ...],
//	 "outputs": [{"name": "predict"}, {"name": "proba"}], "parameters": {...}}
//
// or, instead of one tensor per column, a single tensor of shape [N, C] whose
// columns are in signature order. Data may be flat (row-major) or nested.
func decodeInfer(data []byte, b *batch, lim limits) error {
	b.reset()
	l := &lexer{data: data, lim: lim, b: b}
	empty, err := l.objectStart()
	if err != nil {
		return err
	}
	haveInputs := false
	for !empty {
		k, err := l.key()
		if err != nil {
			return err
		}
		switch string(k) {
		case "inputs":
			if haveInputs {
				return l.invalid(`"inputs" appears twice`)
			}
			haveInputs = true
			err = l.inputs()
		case "outputs":
			err = l.outputs()
		case "id":
			if l.ws() != '"' {
				return l.invalid("id: want a string")
			}
			var s []byte
			if s, err = l.str(); err == nil {
				if len(s) > maxRequestID {
					return mlw.Errorf(mlw.EINVALID, "id is longer than %d bytes", maxRequestID)
				}
				b.id = string(s)
			}
		default:
			err = l.skip()
		}
		if err != nil {
			return err
		}
		more, err := l.next('}')
		if err != nil {
			return err
		}
		empty = !more
	}
	if err := l.end(); err != nil {
		return err
	}
	if !haveInputs || len(b.tensors) == 0 {
		return mlw.Errorf(mlw.EINVALID, `"inputs" is missing or empty: send one tensor per column, or one [N, C] tensor`)
	}
	return l.layout()
}

// inputs reads the list of input tensors.
func (l *lexer) inputs() error {
	if l.ws() != '[' {
		return l.invalid("inputs: want a list of tensors")
	}
	empty, err := l.arrayStart()
	if err != nil || empty {
		return err
	}
	for {
		if len(l.b.tensors) >= maxColumns {
			return mlw.Errorf(mlw.EINVALID, "more than %d input tensors", maxColumns)
		}
		if err := l.tensor(); err != nil {
			return err
		}
		more, err := l.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// tensor reads one input tensor.
func (l *lexer) tensor() error {
	i := len(l.b.tensors)
	if l.ws() != '{' {
		return l.invalid("inputs[%d]: want a tensor object, found %s", i, l.found())
	}
	t := tensor{at: l.pos}
	empty, err := l.objectStart()
	if err != nil {
		return err
	}
	haveShape := false
	for !empty {
		k, err := l.key()
		if err != nil {
			return err
		}
		switch string(k) {
		case "name":
			if l.ws() != '"' {
				return l.invalid("inputs[%d].name: want a string", i)
			}
			s, err := l.str()
			if err != nil {
				return err
			}
			t.name = l.b.intern(s)
		case "datatype":
			if l.ws() != '"' {
				return l.invalid("inputs[%d].datatype: want a string such as \"FP64\"", i)
			}
			s, err := l.str()
			if err != nil {
				return err
			}
			dt, ok := datatypes[string(s)]
			if !ok {
				return l.invalid("inputs[%d].datatype %q is not supported (want FP64, FP32, INT64, INT32, BOOL or BYTES)", i, s)
			}
			t.datatype, t.dt = l.b.intern(s), dt
		case "shape":
			haveShape = true
			if err := l.shape(&t, i); err != nil {
				return err
			}
		case "data":
			t.hasData = true
			t.start = int32(len(l.b.tcells))
			if err := l.tensorData(i); err != nil {
				return err
			}
			t.end = int32(len(l.b.tcells))
		default:
			if err := l.skip(); err != nil {
				return err
			}
		}
		more, err := l.next('}')
		if err != nil {
			return err
		}
		empty = !more
	}
	name := t.name
	switch {
	case name == "":
		return mlw.Errorf(mlw.EINVALID, "inputs[%d] has no name", i)
	case t.dt == 0:
		return mlw.Errorf(mlw.EINVALID, "input %s has no datatype", name)
	case !haveShape:
		return mlw.Errorf(mlw.EINVALID, "input %s has no shape", name)
	case !t.hasData:
		return mlw.Errorf(mlw.EINVALID, "input %s has no data (the binary tensor extension is not supported)", name)
	}
	n := t.shape[0]
	if t.dims == 2 {
		n *= t.shape[1]
	}
	if got := int(t.end - t.start); got != n {
		return mlw.Errorf(mlw.EINVALID, "input %s: shape %s holds %d values, data has %d", name, t.shapeString(), n, got)
	}
	for j, c := range l.b.tcells[t.start:t.end] {
		if err := checkDatatype(&t, j, c); err != nil {
			return err
		}
	}
	l.b.tensors = append(l.b.tensors, t)
	return nil
}

func (t *tensor) shapeString() string {
	if t.dims == 1 {
		return "[" + strconv.Itoa(t.shape[0]) + "]"
	}
	return "[" + strconv.Itoa(t.shape[0]) + ", " + strconv.Itoa(t.shape[1]) + "]"
}

// checkDatatype checks one element against the tensor's datatype. null is
// accepted everywhere as a missing value.
func checkDatatype(t *tensor, j int, c cell) error {
	bad := func(want string) error {
		return mlw.Errorf(mlw.EINVALID, "input %s: datatype %s needs %s, data[%d] is %s", t.name, t.datatype, want, j, kindName(c))
	}
	switch {
	case c.kind == cellNull:
	case t.dt == dtNumber && c.kind != cellNum:
		return bad("numbers")
	case t.dt == dtInt && c.kind != cellNum:
		return bad("integers")
	case t.dt == dtInt && (c.num != math.Trunc(c.num) || math.Abs(c.num) > 1<<63):
		return mlw.Errorf(mlw.EINVALID, "input %s: datatype %s needs integers, data[%d] is %g", t.name, t.datatype, j, c.num)
	case t.dt == dtBool && c.kind != cellBool:
		return bad("true or false")
	case t.dt == dtBytes && c.kind != cellStr:
		return bad("strings")
	}
	return nil
}

// kindName describes a cell's JSON type for an error.
func kindName(c cell) string {
	switch c.kind {
	case cellNum:
		return "a number"
	case cellStr:
		return "a string"
	case cellBool:
		return "a boolean"
	case cellComplex:
		return c.str
	}
	return "null"
}

// shape reads [N] or [N, C].
func (l *lexer) shape(t *tensor, i int) error {
	if l.ws() != '[' {
		return l.invalid("inputs[%d].shape: want a list such as [N] or [N, C]", i)
	}
	empty, err := l.arrayStart()
	if err != nil {
		return err
	}
	t.dims = 0
	for !empty {
		if l.ws() == '[' || l.ws() == '{' || l.ws() == '"' {
			return l.invalid("inputs[%d].shape: want whole numbers", i)
		}
		v, err := l.number()
		if err != nil {
			return err
		}
		if v < 0 || v != math.Trunc(v) || v > 1<<31 {
			return l.invalid("inputs[%d].shape: %g is not a valid dimension", i, v)
		}
		if t.dims == 2 {
			return l.invalid("inputs[%d].shape: want [N] or [N, C], got more than 2 dimensions", i)
		}
		t.shape[t.dims] = int(v)
		t.dims++
		more, err := l.next(']')
		if err != nil {
			return err
		}
		empty = !more
	}
	if t.dims == 0 {
		return l.invalid("inputs[%d].shape is empty: want [N] or [N, C]", i)
	}
	return nil
}

// tensorData reads a tensor's data, flat or nested, into batch.tcells.
func (l *lexer) tensorData(i int) error {
	if l.ws() != '[' {
		return l.invalid("inputs[%d].data: want a list of values", i)
	}
	return l.flatten(i)
}

// flatten appends the scalars of a (nested) list to batch.tcells.
func (l *lexer) flatten(i int) error {
	empty, err := l.arrayStart()
	if err != nil || empty {
		return err
	}
	b := l.b
	limit := l.lim.maxRows * maxColumns
	for {
		if l.ws() == '[' {
			if err := l.flatten(i); err != nil {
				return err
			}
		} else {
			if len(b.tcells) >= limit {
				return l.tooMany()
			}
			b.tcells = append(b.tcells, cell{})
			c := &b.tcells[len(b.tcells)-1]
			if err := l.scalar(c); err != nil {
				return err
			}
		}
		more, err := l.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// outputs reads the requested outputs.
func (l *lexer) outputs() error {
	if l.ws() != '[' {
		return l.invalid("outputs: want a list of {\"name\": ...} objects")
	}
	empty, err := l.arrayStart()
	if err != nil || empty {
		return err
	}
	for i := 0; ; i++ {
		if l.ws() != '{' {
			return l.invalid("outputs[%d]: want an object {\"name\": ...}", i)
		}
		empty, err := l.objectStart()
		if err != nil {
			return err
		}
		named := false
		for !empty {
			k, err := l.key()
			if err != nil {
				return err
			}
			if string(k) == "name" {
				if l.ws() != '"' {
					return l.invalid("outputs[%d].name: want a string", i)
				}
				s, err := l.str()
				if err != nil {
					return err
				}
				switch string(s) {
				case OutputPredict:
					l.b.outputs |= outPredict
				case OutputProba:
					l.b.outputs |= outProba
				default:
					return l.invalid("outputs[%d]: unknown output %q (want %q or %q)", i, s, OutputPredict, OutputProba)
				}
				named = true
			} else if err := l.skip(); err != nil {
				return err
			}
			more, err := l.next('}')
			if err != nil {
				return err
			}
			empty = !more
		}
		if !named {
			return l.invalid("outputs[%d] has no name", i)
		}
		more, err := l.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// layout turns the decoded tensors into rows.
func (l *lexer) layout() error {
	b := l.b
	ts := b.tensors
	if len(ts) == 1 && ts[0].dims == 2 && ts[0].shape[1] > 1 {
		t := &ts[0]
		n, w := t.shape[0], t.shape[1]
		if n > l.lim.maxRows {
			return l.tooMany()
		}
		if n == 0 {
			return mlw.Errorf(mlw.EINVALID, "input %s has no rows", t.name)
		}
		b.positional, b.width = true, w
		for i := range n {
			for j := range w {
				c := b.tcells[int(t.start)+i*w+j]
				c.col = int32(j)
				b.cells = append(b.cells, c)
			}
			b.rowEnd = append(b.rowEnd, int32(len(b.cells)))
		}
		return nil
	}
	n := ts[0].shape[0]
	for k := range ts {
		t := &ts[k]
		if t.dims == 2 && t.shape[1] != 1 {
			return mlw.Errorf(mlw.EINVALID, "input %s has shape %s: send one tensor per column (shape [N] or [N, 1]) or a single [N, C] tensor", t.name, t.shapeString())
		}
		if t.shape[0] != n {
			return mlw.Errorf(mlw.EINVALID, "input %s has %d rows, input %s has %d: every input needs the same number of rows", t.name, t.shape[0], ts[0].name, n)
		}
		col, err := b.colIDString(t.name)
		if err != nil {
			return err
		}
		t.col = col
	}
	if n > l.lim.maxRows {
		return l.tooMany()
	}
	if n == 0 {
		return mlw.Errorf(mlw.EINVALID, "the inputs have no rows")
	}
	for i := range n {
		for k := range ts {
			t := &ts[k]
			c := b.tcells[int(t.start)+i]
			c.col = t.col
			b.cells = append(b.cells, c)
		}
		b.rowEnd = append(b.rowEnd, int32(len(b.cells)))
	}
	return nil
}
