// Package bundle is the model bundle: ONE versioned file that holds everything
// needed to predict and to monitor — the input signature and fitted feature
// pipeline, the estimator, the labels, the lineage, and reference statistics of
// the training data and of the model's own predictions — guarded by a checksum.
//
// Load a bundle and predict in-process:
//
//	b, err := bundle.ReadFile("model.mlwb")
//	preds, err := b.PredictFrame(f)
//
// File layout (all integers little-endian):
//
//	magic "MLWBNDL\x00" | uint16 format version | uint32 header length | header JSON |
//	uint64 estimator length | estimator bytes | sha256 of everything before
package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/model"
)

// FormatVersion is the bundle format this package writes and reads.
const FormatVersion = 1

var magic = [8]byte{'M', 'L', 'W', 'B', 'N', 'D', 'L', 0}

// maxHeader and maxEstimator bound what a reader allocates for a damaged file.
const (
	maxHeader    = 1 << 30
	maxEstimator = 8 << 30
)

// Lineage records where a model came from.
type Lineage struct {
	Dataset        string `json:"dataset,omitempty"`
	DatasetVersion int    `json:"dataset_version,omitempty"`
	DatasetHash    string `json:"dataset_hash,omitempty"`
	SplitID        string `json:"split_id,omitempty"`
	RunID          string `json:"run_id,omitempty"`
	GitCommit      string `json:"git_commit,omitempty"`
}

// Header is the JSON part of a bundle.
type Header struct {
	FormatVersion int               `json:"format_version"`
	Kind          string            `json:"kind"` // estimator kind, e.g. "gbdt"
	Task          string            `json:"task"` // regression, binary, multiclass
	Target        string            `json:"target"`
	Classes       []string          `json:"classes,omitempty"` // class labels in code order
	Threshold     float64           `json:"threshold,omitempty"`
	Params        map[string]string `json:"params"`
	Pipeline      *feature.Pipeline `json:"pipeline"`
	Lineage       Lineage           `json:"lineage"`
	// Reference holds statistics of the training data and of the model's
	// predictions on it, so monitoring never re-reads the training data.
	Reference *Reference `json:"reference,omitempty"`
}

// Bundle is a loaded (or freshly assembled) model bundle.
type Bundle struct {
	Header
	Estimator model.Estimator
}

// TaskOf returns the model task named in the header.
func (b *Bundle) TaskOf() (model.Task, error) {
	switch b.Task {
	case "regression":
		return model.Regression, nil
	case "binary":
		return model.BinaryClassification, nil
	case "multiclass":
		return model.MulticlassClassification, nil
	}
	return 0, fmt.Errorf("bundle: unknown task %q", b.Task)
}

// Write encodes the bundle. The same bundle always encodes to the same bytes.
func (b *Bundle) Write(w io.Writer) error {
	if b.Estimator == nil || b.Pipeline == nil {
		return errors.New("bundle: no estimator or pipeline")
	}
	h := b.Header
	h.FormatVersion = FormatVersion
	h.Kind = b.Estimator.Kind()
	if h.Params == nil {
		h.Params = b.Estimator.Params()
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("bundle: encode header: %w", err)
	}
	est, err := b.Estimator.MarshalBinary()
	if err != nil {
		return fmt.Errorf("bundle: encode %s estimator: %w", h.Kind, err)
	}
	var buf bytes.Buffer
	buf.Write(magic[:])
	binary.Write(&buf, binary.LittleEndian, uint16(FormatVersion))
	binary.Write(&buf, binary.LittleEndian, uint32(len(hj)))
	buf.Write(hj)
	binary.Write(&buf, binary.LittleEndian, uint64(len(est)))
	buf.Write(est)
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	_, err = w.Write(buf.Bytes())
	return err
}

// Bytes returns the encoded bundle.
func (b *Bundle) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FormatError reports a file that is not a valid bundle.
type FormatError struct {
	Name string
	Msg  string
}

func (e *FormatError) Error() string { return e.Name + ": " + e.Msg }

// Decode reads a bundle from its bytes; name is used in errors. It refuses an
// unknown format version, a bad checksum and a truncated file.
func Decode(name string, data []byte) (*Bundle, error) {
	bad := func(format string, args ...any) error {
		return &FormatError{Name: name, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) < len(magic)+2 || !bytes.Equal(data[:len(magic)], magic[:]) {
		return nil, bad("not an mlw model bundle")
	}
	version := binary.LittleEndian.Uint16(data[len(magic):])
	if version != FormatVersion {
		return nil, bad("bundle format version %d is not supported (this mlw reads version %d)", version, FormatVersion)
	}
	if len(data) < len(magic)+2+4+8+sha256.Size {
		return nil, bad("truncated bundle (%d bytes)", len(data))
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, bad("checksum mismatch: the bundle is corrupt or truncated")
	}
	r := body[len(magic)+2:]
	hlen := binary.LittleEndian.Uint32(r)
	r = r[4:]
	if uint64(hlen) > uint64(len(r)) || hlen > maxHeader {
		return nil, bad("header length %d exceeds the file", hlen)
	}
	var b Bundle
	if err := json.Unmarshal(r[:hlen], &b.Header); err != nil {
		return nil, bad("header: %v", err)
	}
	r = r[hlen:]
	if len(r) < 8 {
		return nil, bad("truncated before the estimator")
	}
	elen := binary.LittleEndian.Uint64(r)
	r = r[8:]
	if elen != uint64(len(r)) || elen > maxEstimator {
		return nil, bad("estimator length %d does not match the file", elen)
	}
	if b.Pipeline == nil {
		return nil, bad("no feature pipeline")
	}
	if err := b.Pipeline.Prepare(); err != nil {
		return nil, bad("%v", err)
	}
	est, err := NewEstimator(b.Kind)
	if err != nil {
		return nil, bad("%v", err)
	}
	if err := est.UnmarshalBinary(r); err != nil {
		return nil, bad("%s estimator: %v", b.Kind, err)
	}
	b.Estimator = est
	if _, err := b.TaskOf(); err != nil {
		return nil, bad("%v", err)
	}
	if want := b.outputs(); est.Outputs() != want {
		return nil, bad("estimator gives %d outputs per row, the %s task needs %d", est.Outputs(), b.Task, want)
	}
	return &b, nil
}

func (b *Bundle) outputs() int {
	if b.Task == "regression" {
		return 1
	}
	return len(b.Classes)
}

// ReadFile loads a bundle from a file.
func ReadFile(path string) (*Bundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(path, data)
}

// Predictions are a model's outputs for a batch of rows.
type Predictions struct {
	Rows    int
	Outputs int       // 1 for regression, the number of classes otherwise
	Values  []float64 // Rows*Outputs: predicted values or class probabilities
	// Labels are the predicted classes (classification only).
	Labels []string
	// Codes are the predicted class codes (classification only).
	Codes []int
}

// Row returns the outputs of row i.
func (p *Predictions) Row(i int) []float64 { return p.Values[i*p.Outputs : (i+1)*p.Outputs] }

// PredictFrame predicts every row of f. The frame needs the columns of the
// signature (extra columns are ignored).
func (b *Bundle) PredictFrame(f *frame.Frame) (*Predictions, error) {
	x, err := b.Pipeline.Transform(f)
	if err != nil {
		return nil, err
	}
	return b.PredictMatrix(x), nil
}

// PredictMatrix predicts rows already transformed by the pipeline.
func (b *Bundle) PredictMatrix(x model.Matrix) *Predictions {
	out := b.Estimator.PredictTo(nil, x)
	p := &Predictions{Rows: x.Rows, Outputs: b.Estimator.Outputs(), Values: out}
	if b.Task != "regression" {
		p.Codes = make([]int, x.Rows)
		p.Labels = make([]string, x.Rows)
		for i := range x.Rows {
			c := b.Decide(p.Row(i))
			p.Codes[i], p.Labels[i] = c, b.Classes[c]
		}
	}
	return p
}

// Decide turns one row's class probabilities into a class code: for binary
// models the positive class (code 1) when its probability reaches the
// threshold (0.5 unless tuned), otherwise the most probable class.
func (b *Bundle) Decide(proba []float64) int {
	if len(proba) == 2 {
		t := b.Threshold
		if t == 0 {
			t = 0.5
		}
		if proba[1] >= t {
			return 1
		}
		return 0
	}
	best := 0
	for k, v := range proba {
		if v > proba[best] || math.IsNaN(proba[best]) {
			best = k
		}
	}
	return best
}

// RowPredictor predicts one live row at a time without allocating: it owns the
// buffers, so use one per goroutine (or take them from a sync.Pool).
type RowPredictor struct {
	b   *Bundle
	x   []float64
	out []float64
}

// NewRowPredictor returns a predictor with its own buffers.
func (b *Bundle) NewRowPredictor() *RowPredictor {
	return &RowPredictor{b: b, x: make([]float64, b.Pipeline.NumFeatures()), out: make([]float64, b.Estimator.Outputs())}
}

// Predict encodes one row (one value per signature input, in signature order)
// and returns its outputs; the slice is reused by the next call.
func (r *RowPredictor) Predict(row []feature.Value) ([]float64, error) {
	if err := r.b.Pipeline.TransformRowTo(r.x, row); err != nil {
		return nil, err
	}
	r.out = r.b.Estimator.PredictTo(r.out, model.Matrix{Rows: 1, Cols: len(r.x), Data: r.x})
	return r.out, nil
}
