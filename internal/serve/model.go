package serve

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
)

// How a signature input is bound.
const (
	inNumber uint8 = iota
	inCategory
	inTime
)

// input is one signature column as the server checks it.
type input struct {
	name     string
	kind     uint8
	cats     map[string]struct{}  // categorical: labels seen in training
	numCats  map[float64]struct{} // the labels that are numbers, by value
	other    bool                 // unknown categories go to an "other" bucket
	datatype string               // Open Inference Protocol datatype
}

// Model is a model bundle loaded for serving: decoded once, with the lookups
// the server needs precomputed. It is immutable and safe for concurrent use;
// one Model may back variants of several endpoints.
type Model struct {
	name    string
	version int
	ref     string
	b       *bundle.Bundle
	pipe    *feature.Pipeline
	est     model.Estimator
	inputs  []input
	index   map[string]int32
	nfeat   int
	nout    int
	classes []string // nil for regression
	meta    *ModelMetadata
}

// NewModel prepares a decoded bundle for serving as version version of the
// registered model name (version 0: not registered, such as a bundle file).
// It returns an error with code EINVALID if the name is not valid or the
// bundle has no pipeline or estimator.
func NewModel(name string, version int, b *bundle.Bundle) (*Model, error) {
	if err := mlw.ValidName(name); err != nil {
		return nil, err
	}
	if version < 0 {
		return nil, mlw.Errorf(mlw.EINVALID, "model %s: version %d is negative", name, version)
	}
	if b == nil || b.Pipeline == nil || b.Estimator == nil {
		return nil, mlw.Errorf(mlw.EINVALID, "model %s: the bundle has no pipeline or estimator", name)
	}
	task, err := b.TaskOf()
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "model %s: %v", name, err)
	}
	m := &Model{
		name: name, version: version, ref: mlw.Ref{Name: name, Version: version}.String(),
		b: b, pipe: b.Pipeline, est: b.Estimator,
		index: make(map[string]int32, len(b.Pipeline.Inputs)),
		nfeat: b.Pipeline.NumFeatures(), nout: b.Estimator.Outputs(),
	}
	if task.IsClassification() {
		if len(b.Classes) != m.nout {
			return nil, mlw.Errorf(mlw.EINVALID, "model %s: %d class labels for %d outputs", name, len(b.Classes), m.nout)
		}
		m.classes = b.Classes
	}
	for k, in := range b.Pipeline.Inputs {
		x := input{name: in.Name, datatype: datatypeOf(in.Type)}
		switch {
		case in.Encoding != "":
			x.kind, x.other = inCategory, in.Other
			x.cats = make(map[string]struct{}, len(in.Categories))
			x.numCats = make(map[float64]struct{})
			for _, c := range in.Categories {
				x.cats[c] = struct{}{}
				if v, err := strconv.ParseFloat(c, 64); err == nil && strconv.FormatFloat(v, 'g', -1, 64) == c {
					x.numCats[v] = struct{}{}
				}
			}
		case in.Parts != nil:
			x.kind = inTime
		}
		m.inputs = append(m.inputs, x)
		m.index[in.Name] = int32(k)
	}
	m.meta = m.metadata()
	return m, nil
}

// datatypeOf is the Open Inference Protocol datatype of a column type.
func datatypeOf(t frame.Type) string {
	switch t {
	case frame.TypeNumeric:
		return "FP64"
	case frame.TypeBool:
		return "BOOL"
	}
	return "BYTES"
}

// Name returns the registered model's name.
func (m *Model) Name() string { return m.name }

// Version returns the registered version (0 when not registered).
func (m *Model) Version() int { return m.version }

// Ref returns NAME@N (NAME when the version is 0).
func (m *Model) Ref() string { return m.ref }

// Bundle returns the loaded bundle. Do not modify it.
func (m *Model) Bundle() *bundle.Bundle { return m.b }

// Classifier reports whether the model predicts classes.
func (m *Model) Classifier() bool { return m.classes != nil }

// prediction holds one request's buffers for binding and predicting, reused
// from request to request.
type prediction struct {
	vals  []feature.Value // rows × len(inputs), signature order
	x     []float64       // rows × features
	out   []float64       // rows × outputs
	codes []int           // classifiers: predicted class per row
	pos   []int32         // batch column -> signature input (-1: unused)
	// posModel and posCols are what pos was computed for: the next request
	// usually has the same columns for the same model.
	posModel *Model
	posCols  []string
	stamp    []int32 // per input: last row that set it
	warns    []warning
	nwarn    int // all unknown categories, also those not kept in warns
	rows     int
}

// warning records an unknown category.
type warning struct {
	row   int
	input int32
	value string
}

// maxWarnings bounds the warnings one response lists.
const maxWarnings = 10

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// bind fills p.vals with the batch's rows in m's signature order, checking
// every value against the signature. A missing or repeated column, or a value
// of the wrong type, is an error with code EINVALID naming the row and column;
// unknown categories are accepted (as the pipeline handles them) and listed
// in p.warns.
func (m *Model) bind(p *prediction, b *batch) error {
	n, w := b.rows(), len(m.inputs)
	p.vals = grow(p.vals, n*w)
	p.warns, p.nwarn = p.warns[:0], 0
	if b.positional {
		if b.width != w {
			return mlw.Errorf(mlw.EINVALID, "the input tensor has %d columns, model %s expects %d (%s)", b.width, m.ref, w, m.columnList())
		}
	} else if p.posModel != m || !slices.Equal(p.posCols, b.cols) {
		p.pos = grow(p.pos, len(b.cols))
		for j, name := range b.cols {
			k, ok := m.index[name]
			if !ok {
				k = -1 // columns the model does not use are ignored
			}
			p.pos[j] = k
		}
		p.posModel, p.posCols = m, append(p.posCols[:0], b.cols...)
	}
	p.stamp = grow(p.stamp, w)
	clear(p.stamp)
	for i := range n {
		row := p.vals[i*w : (i+1)*w]
		tag := int32(i + 1)
		for _, c := range b.row(i) {
			k := c.col
			if !b.positional {
				k = p.pos[c.col]
				if k < 0 {
					continue
				}
			}
			if p.stamp[k] == tag {
				return mlw.Errorf(mlw.EINVALID, "row %d: column %s appears twice", i, m.inputs[k].name)
			}
			p.stamp[k] = tag
			v, err := m.value(p, i, k, &c)
			if err != nil {
				return err
			}
			row[k] = v
		}
		for k, s := range p.stamp[:w] {
			if s != tag {
				return mlw.Errorf(mlw.EINVALID, "row %d: column %s is missing (model %s needs every column of its signature; send null for an unknown value)", i, m.inputs[k].name, m.ref)
			}
		}
	}
	return nil
}

// columnList names the signature's columns for an error.
func (m *Model) columnList() string {
	s := ""
	for k, in := range m.inputs {
		if k == 8 {
			return s + fmt.Sprintf(", ... %d more", len(m.inputs)-k)
		}
		if k > 0 {
			s += ", "
		}
		s += in.name
	}
	return s
}

// value converts one cell for input k.
func (m *Model) value(p *prediction, row int, k int32, c *cell) (feature.Value, error) {
	in := &m.inputs[k]
	switch c.kind {
	case cellNull:
		return feature.Value{Missing: true}, nil
	case cellComplex:
		return feature.Value{}, mlw.Errorf(mlw.EINVALID, "row %d: column %s: want a number, string, boolean or null, got %s", row, in.name, c.str)
	}
	switch in.kind {
	case inNumber:
		switch c.kind {
		case cellNum:
			return feature.Value{Num: c.num}, nil
		case cellStr:
			// Numbers sent as strings are accepted when they are finite.
			v, err := strconv.ParseFloat(c.str, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return feature.Value{}, mlw.Errorf(mlw.EINVALID, "row %d: column %s: want a finite number, got the string %.60q", row, in.name, c.str)
			}
			return feature.Value{Num: v}, nil
		}
		return feature.Value{}, mlw.Errorf(mlw.EINVALID, "row %d: column %s: want a number, got %s", row, in.name, c.str)
	case inCategory:
		known := false
		var v feature.Value
		if c.kind == cellNum {
			_, known = in.numCats[c.num]
			v = feature.Value{Num: c.num}
		} else {
			_, known = in.cats[c.str]
			v = feature.Value{Str: c.str, IsStr: true}
		}
		if !known {
			if p.nwarn < maxWarnings {
				s := c.str
				if c.kind == cellNum {
					s = strconv.FormatFloat(c.num, 'g', -1, 64)
				}
				p.warns = append(p.warns, warning{row: row, input: k, value: s})
			}
			p.nwarn++
		}
		return v, nil
	default: // inTime
		if c.kind != cellStr {
			return feature.Value{}, mlw.Errorf(mlw.EINVALID, "row %d: column %s: want an ISO 8601 date-time string such as \"2024-05-01T12:00:00Z\", got %s", row, in.name, kindName(*c))
		}
		return feature.Value{Str: c.str, IsStr: true}, nil
	}
}

// warningText explains an unknown category.
func (m *Model) warningText(w warning) string {
	in := &m.inputs[w.input]
	what := "is treated as missing (the model has no bucket for unseen categories)"
	if in.other {
		what = `goes to the model's "other" bucket`
	}
	return fmt.Sprintf("row %d: column %s: category %.60q was not seen in training and %s", w.row, in.name, w.value, what)
}

// chunkRows is how many rows are predicted between deadline checks.
const chunkRows = 256

// predict runs the n bound rows of p.vals through the pipeline and the
// estimator into p.out (and p.codes for classifiers). It allocates nothing
// once p's buffers have grown to the batch. A zero deadline means none; past
// it, the remaining rows are abandoned with an error with code EUNAVAILABLE.
func (m *Model) predict(p *prediction, n int, deadline time.Time) error {
	f, w, k := m.nfeat, len(m.inputs), m.nout
	p.x = grow(p.x, n*f)
	p.out = grow(p.out, n*k)
	for start := 0; start < n; start += chunkRows {
		if start > 0 && !deadline.IsZero() && time.Now().After(deadline) {
			return mlw.Errorf(mlw.EUNAVAILABLE, "the request timed out after %d of %d rows; send smaller batches", start, n)
		}
		end := min(start+chunkRows, n)
		for i := start; i < end; i++ {
			if err := m.pipe.TransformRowTo(p.x[i*f:(i+1)*f], p.vals[i*w:(i+1)*w]); err != nil {
				return mlw.Errorf(mlw.EINVALID, "row %d: %v", i, err)
			}
		}
		m.est.PredictTo(p.out[start*k:end*k], model.Matrix{Rows: end - start, Cols: f, Data: p.x[start*f : end*f]})
	}
	p.rows = n
	if m.classes != nil {
		p.codes = grow(p.codes, n)
		for i := range n {
			p.codes[i] = m.b.Decide(p.out[i*k : (i+1)*k])
		}
	}
	return nil
}

// metadata describes the model in the Open Inference Protocol's terms.
func (m *Model) metadata() *ModelMetadata {
	md := &ModelMetadata{Name: m.name, Versions: []string{strconv.Itoa(m.version)}, Platform: Platform}
	for k, in := range m.b.Pipeline.Inputs {
		x := &m.inputs[k]
		p := &InputParameters{Kind: in.Kind.String(), Missing: in.Missing > 0}
		switch x.kind {
		case inCategory:
			p.Categories = in.Categories
			p.UnknownCategory = "missing"
			if in.Other {
				p.UnknownCategory = "other"
			}
		case inTime:
			p.Format = "ISO 8601"
		default:
			if in.Min <= in.Max && !(in.Min == 0 && in.Max == 0) {
				lo, hi := in.Min, in.Max
				p.Min, p.Max = &lo, &hi
			}
		}
		md.Inputs = append(md.Inputs, TensorMetadata{Name: in.Name, Datatype: x.datatype, Shape: []int{-1}, Parameters: p})
	}
	if m.classes != nil {
		md.Outputs = []TensorMetadata{
			{Name: OutputPredict, Datatype: "BYTES", Shape: []int{-1}},
			{Name: OutputProba, Datatype: "FP64", Shape: []int{-1, len(m.classes)}},
		}
	} else {
		md.Outputs = []TensorMetadata{{Name: OutputPredict, Datatype: "FP64", Shape: []int{-1}}}
	}
	md.Parameters = &ModelParameters{Model: m.ref, Task: m.b.Task, Target: m.b.Target, Classes: m.classes, Kind: m.b.Kind}
	return md
}
