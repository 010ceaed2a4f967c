package serve

import (
	"strconv"

	"mlw.dev/internal/jsonw"
)

// Platform is the platform name in model metadata.
const Platform = "mlw"

// The request and response bodies. Prediction requests are decoded and
// prediction responses encoded by hand (decode.go, this file) for speed; the
// types document the shapes and let Go clients and tests decode them.

// PredictRequest is the body of POST /v1/endpoints/{name}/predict: one of
// Instances (also accepted as "dataframe_records") or DataframeSplit.
// Columns the model does not use are ignored; null is a missing value.
type PredictRequest struct {
	Instances      []map[string]any `json:"instances,omitempty"`
	DataframeSplit *DataframeSplit  `json:"dataframe_split,omitempty"`
}

// DataframeSplit is MLflow's column-oriented request form.
type DataframeSplit struct {
	Columns []string `json:"columns"`
	Data    [][]any  `json:"data"`
}

// PredictResponse is the answer of POST /v1/endpoints/{name}/predict.
type PredictResponse struct {
	// Predictions are class labels (classifiers) or numbers (regressors), one
	// per row.
	Predictions []any `json:"predictions"`
	// Probabilities are the class probabilities of each row, in the order of
	// Classes (classifiers only).
	Probabilities [][]float64 `json:"probabilities,omitempty"`
	Classes       []string    `json:"classes,omitempty"`
	Model         string      `json:"model"`   // NAME@N that answered
	Variant       string      `json:"variant"` // variant that answered
	RequestID     string      `json:"request_id"`
	// Warnings explain accepted but unusual input, such as categories not
	// seen in training (at most 10).
	Warnings []string `json:"warnings,omitempty"`
}

// InferRequest is the body of POST /v2/models/{name}/infer (Open Inference
// Protocol v2).
type InferRequest struct {
	ID         string                 `json:"id,omitempty"`
	Inputs     []InferTensor          `json:"inputs"`
	Outputs    []InferRequestedOutput `json:"outputs,omitempty"`
	Parameters map[string]any         `json:"parameters,omitempty"`
}

// InferTensor is an input or output tensor. Data is row-major, flat or nested.
type InferTensor struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
	Data     []any  `json:"data"`
}

// InferRequestedOutput names an output to return: "predict" or "proba".
type InferRequestedOutput struct {
	Name string `json:"name"`
}

// InferResponse is the answer of POST /v2/models/{name}/infer.
type InferResponse struct {
	ModelName    string          `json:"model_name"` // the endpoint
	ModelVersion string          `json:"model_version"`
	ID           string          `json:"id"`
	Parameters   InferParameters `json:"parameters"`
	Outputs      []InferTensor   `json:"outputs"`
}

// InferParameters tell which model and variant answered.
type InferParameters struct {
	Model     string   `json:"model"` // NAME@N
	Variant   string   `json:"variant"`
	RequestID string   `json:"request_id"`
	Classes   []string `json:"classes,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
}

// ModelMetadata is the answer of GET /v2/models/{name}.
type ModelMetadata struct {
	Name       string           `json:"name"`
	Versions   []string         `json:"versions"`
	Platform   string           `json:"platform"`
	Inputs     []TensorMetadata `json:"inputs"`
	Outputs    []TensorMetadata `json:"outputs"`
	Parameters *ModelParameters `json:"parameters,omitempty"`
}

// TensorMetadata describes an input column or an output.
type TensorMetadata struct {
	Name       string           `json:"name"`
	Datatype   string           `json:"datatype"`
	Shape      []int            `json:"shape"`
	Parameters *InputParameters `json:"parameters,omitempty"`
}

// InputParameters describe what an input column accepts.
type InputParameters struct {
	Kind string `json:"kind"` // numeric, categorical, boolean, datetime
	// Missing reports whether training saw missing values; null is accepted
	// either way and handled as the pipeline learned.
	Missing bool `json:"missing_in_training"`
	// Categories seen in training; UnknownCategory says what happens to
	// others: "other" (an "other" bucket) or "missing" (treated as missing).
	Categories      []string `json:"categories,omitempty"`
	UnknownCategory string   `json:"unknown_category,omitempty"`
	Format          string   `json:"format,omitempty"` // datetime: ISO 8601
	// Min and Max are the range seen in training (numbers).
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// ModelParameters are mlw's additions to model metadata.
type ModelParameters struct {
	Model    string           `json:"model"` // NAME@N of the primary variant
	Kind     string           `json:"kind"`  // estimator kind, e.g. gbdt
	Task     string           `json:"task"`
	Target   string           `json:"target,omitempty"`
	Classes  []string         `json:"classes,omitempty"`
	Variants []VariantSummary `json:"variants,omitempty"`
}

// VariantSummary describes one variant of an endpoint.
type VariantSummary struct {
	Name   string `json:"name"`
	Model  string `json:"model"`
	Weight int    `json:"weight,omitempty"`
	Shadow bool   `json:"shadow,omitempty"`
}

// ErrorResponse is the body of every error. Error is a string, as the Open
// Inference Protocol requires; Code is mlw's error code.
type ErrorResponse struct {
	Error     string `json:"error"`
	Code      string `json:"code"`
	Hint      string `json:"hint,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// HealthResponse is the answer of the health endpoints.
type HealthResponse struct {
	Live   *bool  `json:"live,omitempty"`
	Ready  *bool  `json:"ready,omitempty"`
	Name   string `json:"name,omitempty"`
	Status string `json:"status,omitempty"`
}

// ServerMetadata is the answer of GET /v2.
type ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// appender is a response that encodes itself.
type appender interface {
	appendJSON(dst []byte) []byte
}

// predictResult is the encoder of a PredictResponse over a call's buffers.
type predictResult struct {
	c *call
}

func (r predictResult) appendJSON(b []byte) []byte {
	c := r.c
	m, p := c.variant.Model, &c.pred
	b = append(b, `{"predictions":[`...)
	k := m.nout
	for i := range p.rows {
		if i > 0 {
			b = append(b, ',')
		}
		if m.classes != nil {
			b = jsonw.AppendString(b, m.classes[p.codes[i]])
		} else {
			b = jsonw.AppendNumber(b, p.out[i])
		}
	}
	b = append(b, ']')
	if m.classes != nil {
		b = append(b, `,"probabilities":[`...)
		for i := range p.rows {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendNumbers(b, p.out[i*k:(i+1)*k])
		}
		b = append(b, `],"classes":`...)
		b = appendStrings(b, m.classes)
	}
	b = append(b, `,"model":`...)
	b = jsonw.AppendString(b, m.ref)
	b = append(b, `,"variant":`...)
	b = jsonw.AppendString(b, c.variant.Name)
	b = append(b, `,"request_id":`...)
	b = jsonw.AppendString(b, c.id)
	b = appendWarnings(b, m, p)
	return append(b, '}')
}

// inferResult is the encoder of an InferResponse over a call's buffers.
type inferResult struct {
	c *call
}

func (r inferResult) appendJSON(b []byte) []byte {
	c := r.c
	m, p := c.variant.Model, &c.pred
	want := c.batch.outputs
	if want == 0 {
		want = outPredict | outProba
	}
	b = append(b, `{"model_name":`...)
	b = jsonw.AppendString(b, c.endpoint)
	b = append(b, `,"model_version":"`...)
	b = strconv.AppendInt(b, int64(m.version), 10)
	b = append(b, `","id":`...)
	id := c.batch.id
	if id == "" {
		id = c.id
	}
	b = jsonw.AppendString(b, id)
	b = append(b, `,"parameters":{"model":`...)
	b = jsonw.AppendString(b, m.ref)
	b = append(b, `,"variant":`...)
	b = jsonw.AppendString(b, c.variant.Name)
	b = append(b, `,"request_id":`...)
	b = jsonw.AppendString(b, c.id)
	if m.classes != nil {
		b = append(b, `,"classes":`...)
		b = appendStrings(b, m.classes)
	}
	b = appendWarnings(b, m, p)
	b = append(b, `},"outputs":[`...)
	sep := false
	if want&outPredict != 0 {
		b = append(b, `{"name":"predict","datatype":`...)
		if m.classes != nil {
			b = append(b, `"BYTES"`...)
		} else {
			b = append(b, `"FP64"`...)
		}
		b = append(b, `,"shape":[`...)
		b = strconv.AppendInt(b, int64(p.rows), 10)
		b = append(b, `],"data":[`...)
		for i := range p.rows {
			if i > 0 {
				b = append(b, ',')
			}
			if m.classes != nil {
				b = jsonw.AppendString(b, m.classes[p.codes[i]])
			} else {
				b = jsonw.AppendNumber(b, p.out[i])
			}
		}
		b = append(b, "]}"...)
		sep = true
	}
	if want&outProba != 0 && m.classes != nil {
		if sep {
			b = append(b, ',')
		}
		b = append(b, `{"name":"proba","datatype":"FP64","shape":[`...)
		b = strconv.AppendInt(b, int64(p.rows), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(m.nout), 10)
		b = append(b, `],"data":`...)
		b = jsonw.AppendNumbers(b, p.out[:p.rows*m.nout])
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendWarnings(b []byte, m *Model, p *prediction) []byte {
	if p.nwarn == 0 {
		return b
	}
	b = append(b, `,"warnings":[`...)
	for i, w := range p.warns {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, m.warningText(w))
	}
	if p.nwarn > len(p.warns) {
		b = append(b, ',')
		b = jsonw.AppendString(b, strconv.Itoa(p.nwarn-len(p.warns))+" more unknown categories")
	}
	return append(b, ']')
}

func appendStrings(b []byte, s []string) []byte {
	b = append(b, '[')
	for i, x := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, x)
	}
	return append(b, ']')
}
