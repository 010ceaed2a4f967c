package bundle

import (
	"math"

	"mlw.dev/drift"
	"mlw.dev/frame"
)

// Reference holds statistics of the training rows, so that monitoring compares
// live traffic with them without re-reading the training data.
type Reference struct {
	Rows int `json:"rows"`
	// Features has one reference per signature input (raw column).
	Features []drift.Reference `json:"features"`
	// Prediction is the distribution of the model's output on the training rows:
	// the predicted value (regression) or the positive class's probability (binary).
	Prediction *drift.NumericReference `json:"prediction,omitempty"`
	// PredictedClass counts the predicted classes (classification).
	PredictedClass *drift.CategoricalReference `json:"predicted_class,omitempty"`
}

// NewReference summarises the columns of f named by the bundle's signature and
// the predictions made on f.
func (b *Bundle) NewReference(f *frame.Frame, preds *Predictions) *Reference {
	ref := &Reference{Rows: f.NumRows()}
	for _, in := range b.Pipeline.Inputs {
		col := f.Column(in.Name)
		if col == nil {
			continue
		}
		r := drift.Reference{Name: in.Name}
		switch c := col.(type) {
		case *frame.Numeric:
			if in.Encoding != "" {
				r.Categorical = categorical(col)
			} else {
				r.Numeric = drift.NewNumericReference(c.Values(), drift.SketchConfig{})
			}
		case *frame.Datetime:
			vals := make([]float64, c.Len())
			for i, ns := range c.Values() {
				if ns == frame.NaT {
					vals[i] = math.NaN()
				} else {
					vals[i] = float64(ns) / 1e9
				}
			}
			r.Numeric = drift.NewNumericReference(vals, drift.SketchConfig{})
		default:
			r.Categorical = categorical(col)
		}
		ref.Features = append(ref.Features, r)
	}
	if preds != nil {
		switch {
		case b.Task == "regression":
			ref.Prediction = drift.NewNumericReference(preds.Values, drift.SketchConfig{})
		default:
			if preds.Outputs == 2 {
				p := make([]float64, preds.Rows)
				for i := range p {
					p[i] = preds.Row(i)[1]
				}
				ref.Prediction = drift.NewNumericReference(p, drift.SketchConfig{})
			}
			ref.PredictedClass = drift.NewCategoricalReference(drift.CountCategories(preds.Labels, nil))
		}
	}
	return ref
}

func categorical(col frame.Column) *drift.CategoricalReference {
	vals := make([]string, col.Len())
	missing := make([]bool, col.Len())
	for i := range vals {
		missing[i] = col.IsMissing(i)
		if !missing[i] {
			vals[i] = col.Cell(i)
		}
	}
	return drift.NewCategoricalReference(drift.CountCategories(vals, missing))
}
