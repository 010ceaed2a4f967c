// Package feature turns a frame.Frame into the dense matrix the algorithms of
// model/... learn from: a pipeline of imputation (with optional missing
// indicators), one-hot, ordinal or native categorical encoding, standard
// scaling and datetime expansion, fitted on training rows only and applied
// unchanged to validation, test and live rows.
//
// A fitted Pipeline is plain data (JSON-serialisable) and doubles as the input
// signature of a model bundle: the columns it expects, their types, the
// categories seen and the ranges of numbers.
package feature

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"mlw.dev/frame"
	"mlw.dev/model"
)

// Numeric imputation strategies.
const (
	ImputeMedian = "median"
	ImputeMean   = "mean"
	ImputeZero   = "zero"
	ImputeNone   = "none" // keep NaN: for algorithms with native missing values
)

// Categorical encodings.
const (
	OneHot  = "onehot"
	Ordinal = "ordinal"
	Native  = "native" // category codes for algorithms with native categorical splits
)

// Defaults.
const (
	DefaultMaxCategories       = 50
	DefaultMaxNativeCategories = 254
)

// DatetimeParts are the numeric features a datetime column expands into.
var DatetimeParts = []string{"year", "month", "weekday", "hour"}

// Config chooses the preprocessing; the zero value means the defaults noted.
type Config struct {
	// Exclude names columns that are never features: the target, ids, the
	// event time when it should not be a feature, anything dropped by the user.
	Exclude []string
	// Impute is the strategy for numeric columns: median (default), mean, zero, none.
	Impute string
	// MissingIndicator adds a 0/1 column "NAME__missing" for each numeric column
	// that had missing values in training.
	MissingIndicator bool
	// Categorical is the encoding of categorical and boolean columns: onehot
	// (default), ordinal, native.
	Categorical string
	// MaxCategories keeps the most frequent categories of a column (default 50,
	// 254 for native); the rest, and categories first seen after fitting, share
	// one "other" bucket when training saw infrequent ones, and count as
	// missing otherwise.
	MaxCategories int
	// Scale standardises numeric features to mean 0 and standard deviation 1.
	Scale bool
	// KeepIDLike keeps columns inferred as identifiers (dropped by default).
	KeepIDLike bool
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Impute == "" {
		c.Impute = ImputeMedian
	}
	if c.Categorical == "" {
		c.Categorical = OneHot
	}
	if c.MaxCategories == 0 {
		c.MaxCategories = DefaultMaxCategories
		if c.Categorical == Native {
			c.MaxCategories = DefaultMaxNativeCategories
		}
	}
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if !slices.Contains([]string{ImputeMedian, ImputeMean, ImputeZero, ImputeNone}, c.Impute) {
		return fmt.Errorf("impute %q: want median, mean, zero or none", c.Impute)
	}
	if !slices.Contains([]string{OneHot, Ordinal, Native}, c.Categorical) {
		return fmt.Errorf("categorical encoding %q: want onehot, ordinal or native", c.Categorical)
	}
	if c.MaxCategories < 1 || c.Categorical == Native && c.MaxCategories > DefaultMaxNativeCategories {
		return fmt.Errorf("max categories %d: want 1 to %d", c.MaxCategories, DefaultMaxNativeCategories)
	}
	return nil
}

// ForLinear is the preprocessing of linear models and neural nets: imputed,
// one-hot encoded, scaled.
func ForLinear() Config {
	return Config{Impute: ImputeMedian, Categorical: OneHot, Scale: true, MissingIndicator: true}
}

// ForTrees is the preprocessing of trees and forests: native missing values,
// ordinal categories.
func ForTrees() Config { return Config{Impute: ImputeNone, Categorical: Ordinal} }

// ForBoosting is the preprocessing of gradient boosting: native missing values
// and native categorical splits.
func ForBoosting() Config { return Config{Impute: ImputeNone, Categorical: Native} }

// Input is one column the pipeline reads, with what it learned from training.
type Input struct {
	Name string     `json:"name"`
	Type frame.Type `json:"type"`
	Kind frame.Kind `json:"kind"`
	// Offset and Width locate the column's outputs in the matrix.
	Offset int `json:"offset"`
	Width  int `json:"width"`

	// Numeric (and datetime parts): range seen, imputation, scaling.
	Min       float64   `json:"min,omitempty"`
	Max       float64   `json:"max,omitempty"`
	Impute    bool      `json:"impute,omitempty"`
	Fill      []float64 `json:"fill,omitempty"` // one per output part
	Indicator bool      `json:"indicator,omitempty"`
	Mean      []float64 `json:"mean,omitempty"`
	Std       []float64 `json:"std,omitempty"`
	Missing   int       `json:"missing"` // missing values in training

	// Categorical and boolean.
	Encoding   string   `json:"encoding,omitempty"`
	Categories []string `json:"categories,omitempty"` // kept, in code order
	Other      bool     `json:"other,omitempty"`      // an "other" bucket exists

	// Datetime.
	Parts []string `json:"parts,omitempty"`

	index map[string]int
}

// Dropped is a column the pipeline does not use, and why.
type Dropped struct {
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// Pipeline is a fitted preprocessing pipeline.
type Pipeline struct {
	Config  Config          `json:"config"`
	Inputs  []Input         `json:"inputs"`
	Outputs []model.Feature `json:"outputs"`
	Dropped []Dropped       `json:"dropped,omitempty"`
}

// Fit learns the pipeline from training rows. schema gives each column's kind
// (frame.InferSchema of the whole dataset, so that kinds do not depend on the
// split); columns of kind id, constant or text, and those in cfg.Exclude, are
// dropped with a reason.
func Fit(train *frame.Frame, schema frame.Schema, cfg Config) (*Pipeline, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if train.NumRows() == 0 {
		return nil, fmt.Errorf("no training rows")
	}
	p := &Pipeline{Config: cfg}
	for _, name := range train.Names() {
		col := train.Column(name)
		kind := defaultKind(col.Type())
		if fd, ok := schema.Field(name); ok {
			kind = fd.Kind
		}
		switch {
		case slices.Contains(cfg.Exclude, name):
			p.Dropped = append(p.Dropped, Dropped{name, "excluded (target, id, time or asked)"})
			continue
		case kind == frame.KindID && !cfg.KeepIDLike:
			p.Dropped = append(p.Dropped, Dropped{name, "looks like an identifier"})
			continue
		case kind == frame.KindConstant:
			p.Dropped = append(p.Dropped, Dropped{name, "constant"})
			continue
		case col.Type() == frame.TypeText || kind == frame.KindText:
			p.Dropped = append(p.Dropped, Dropped{name, "free text is not used as a feature"})
			continue
		}
		in := Input{Name: name, Type: col.Type(), Kind: kind, Offset: len(p.Outputs), Missing: missingCount(col)}
		switch c := col.(type) {
		case *frame.Numeric:
			if kind == frame.KindCategorical || kind == frame.KindBoolean {
				fitCategorical(&in, c.Len(), numericLabels(c), cfg)
			} else {
				fitNumeric(&in, [][]float64{c.Values()}, cfg)
			}
		case *frame.Categorical:
			fitCategorical(&in, c.Len(), c.Value, cfg)
		case *frame.Bool:
			fitCategorical(&in, c.Len(), boolLabels(c), cfg)
		case *frame.Datetime:
			in.Parts = DatetimeParts
			parts := datetimeParts(c)
			fitNumeric(&in, parts, cfg)
		default:
			return nil, fmt.Errorf("column %s: unsupported type %s", name, col.Type())
		}
		p.Outputs = append(p.Outputs, outputs(&in, cfg)...)
		in.Width = len(p.Outputs) - in.Offset
		p.Inputs = append(p.Inputs, in)
	}
	if len(p.Outputs) == 0 {
		return nil, fmt.Errorf("no usable feature columns (dropped: %s)", droppedList(p.Dropped))
	}
	p.index()
	return p, nil
}

func droppedList(d []Dropped) string {
	var parts []string
	for _, x := range d {
		parts = append(parts, x.Column+": "+x.Reason)
	}
	return strings.Join(parts, "; ")
}

// defaultKind is the kind of a column the schema does not describe.
func defaultKind(t frame.Type) frame.Kind {
	switch t {
	case frame.TypeCategorical:
		return frame.KindCategorical
	case frame.TypeBool:
		return frame.KindBoolean
	case frame.TypeDatetime:
		return frame.KindDatetime
	case frame.TypeText:
		return frame.KindText
	}
	return frame.KindNumeric
}

func missingCount(c frame.Column) int {
	n := 0
	for i := range c.Len() {
		if c.IsMissing(i) {
			n++
		}
	}
	return n
}

// fitNumeric learns range, fill values and scaling of one or more numeric parts.
func fitNumeric(in *Input, parts [][]float64, cfg Config) {
	in.Min, in.Max = math.Inf(1), math.Inf(-1)
	in.Impute = cfg.Impute != ImputeNone
	in.Indicator = cfg.MissingIndicator && in.Missing > 0
	for _, vals := range parts {
		present := make([]float64, 0, len(vals))
		for _, v := range vals {
			if !math.IsNaN(v) {
				present = append(present, v)
			}
		}
		sort.Float64s(present)
		fill, mean, std := 0.0, 0.0, 1.0
		if len(present) > 0 {
			mean = meanOf(present)
			switch cfg.Impute {
			case ImputeMedian:
				fill = medianSorted(present)
			case ImputeMean:
				fill = mean
			}
			if len(parts) == 1 {
				in.Min, in.Max = present[0], present[len(present)-1]
			}
			// Scaling statistics are those of the imputed training column, as a
			// scaler placed after an imputer would see them.
			if cfg.Scale {
				mean, std = imputedMoments(present, len(vals)-len(present), fill, cfg.Impute != ImputeNone)
			}
		}
		if len(parts) > 1 || len(present) == 0 {
			in.Min, in.Max = 0, 0
		}
		in.Fill = append(in.Fill, fill)
		if cfg.Scale {
			in.Mean = append(in.Mean, mean)
			in.Std = append(in.Std, std)
		}
	}
}

// imputedMoments returns the mean and population standard deviation of the
// present values plus `missing` copies of fill (when imputing); a zero standard
// deviation becomes 1, as scikit-learn's StandardScaler does.
func imputedMoments(present []float64, missing int, fill float64, imputing bool) (float64, float64) {
	n := float64(len(present))
	sum := 0.0
	for _, v := range present {
		sum += v
	}
	if imputing {
		sum += float64(missing) * fill
		n += float64(missing)
	}
	mean := sum / n
	ss := 0.0
	for _, v := range present {
		ss += (v - mean) * (v - mean)
	}
	if imputing {
		ss += float64(missing) * (fill - mean) * (fill - mean)
	}
	std := math.Sqrt(ss / n)
	if std < 1e-12*math.Max(1, math.Abs(mean)) {
		std = 1
	}
	return mean, std
}

func meanOf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func medianSorted(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// labels returns a column's values as strings (missing: ok false).
type labelFunc func(i int) (string, bool)

func numericLabels(c *frame.Numeric) labelFunc {
	vals := c.Values()
	return func(i int) (string, bool) {
		if math.IsNaN(vals[i]) {
			return "", false
		}
		return formatNumber(vals[i]), true
	}
}

func boolLabels(c *frame.Bool) labelFunc {
	return func(i int) (string, bool) {
		v, ok := c.Value(i)
		if !ok {
			return "", false
		}
		if v {
			return "true", true
		}
		return "false", true
	}
}

// formatNumber is how a numeric value is written as a category label. Small
// whole numbers, the usual codes of numeric categoricals, come from a table so
// that live rows allocate nothing.
func formatNumber(v float64) string {
	if v >= 0 && v < float64(len(smallInts)) && v == math.Trunc(v) {
		return smallInts[int(v)]
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var smallInts = func() []string {
	s := make([]string, 256)
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

// fitCategorical keeps the most frequent categories (ties by name).
func fitCategorical(in *Input, n int, label labelFunc, cfg Config) {
	counts := map[string]int{}
	for i := range n {
		if s, ok := label(i); ok {
			counts[s]++
		}
	}
	cats := make([]string, 0, len(counts))
	for s := range counts {
		cats = append(cats, s)
	}
	sort.Slice(cats, func(a, b int) bool {
		if counts[cats[a]] != counts[cats[b]] {
			return counts[cats[a]] > counts[cats[b]]
		}
		return cats[a] < cats[b]
	})
	if len(cats) > cfg.MaxCategories {
		cats, in.Other = cats[:cfg.MaxCategories], true
	}
	sort.Strings(cats)
	in.Categories = cats
	in.Encoding = cfg.Categorical
}

// outputs lists the features an input produces.
func outputs(in *Input, cfg Config) []model.Feature {
	var out []model.Feature
	switch {
	case in.Categories != nil || in.Encoding != "":
		switch in.Encoding {
		case OneHot:
			for _, c := range in.Categories {
				out = append(out, model.Feature{Name: in.Name + "=" + c})
			}
			if in.Other {
				out = append(out, model.Feature{Name: in.Name + "=(other)"})
			}
		case Ordinal:
			out = append(out, model.Feature{Name: in.Name})
		case Native:
			k := len(in.Categories)
			if in.Other {
				k++
			}
			out = append(out, model.Feature{Name: in.Name, Categorical: true, Categories: k})
		}
	case in.Parts != nil:
		for _, part := range in.Parts {
			out = append(out, model.Feature{Name: in.Name + "." + part})
		}
	default:
		out = append(out, model.Feature{Name: in.Name})
	}
	if in.Indicator {
		out = append(out, model.Feature{Name: in.Name + "__missing"})
	}
	return out
}

// index builds the category lookup maps (after Fit or after decoding JSON).
func (p *Pipeline) index() {
	for i := range p.Inputs {
		in := &p.Inputs[i]
		if in.Categories != nil || in.Encoding != "" {
			in.index = make(map[string]int, len(in.Categories))
			for j, c := range in.Categories {
				in.index[c] = j
			}
		}
	}
}

// Prepare must be called on a Pipeline decoded from JSON before use.
func (p *Pipeline) Prepare() error {
	width := 0
	for i := range p.Inputs {
		in := &p.Inputs[i]
		if in.Offset != width || in.Width < 1 {
			return fmt.Errorf("pipeline input %s: offset %d width %d do not follow the previous input", in.Name, in.Offset, in.Width)
		}
		width += in.Width
	}
	if width != len(p.Outputs) {
		return fmt.Errorf("pipeline inputs produce %d features, outputs list %d", width, len(p.Outputs))
	}
	p.index()
	return nil
}

// NumFeatures is the width of the matrix Transform produces.
func (p *Pipeline) NumFeatures() int { return len(p.Outputs) }

func datetimeParts(c *frame.Datetime) [][]float64 {
	vals := c.Values()
	parts := make([][]float64, len(DatetimeParts))
	for k := range parts {
		parts[k] = make([]float64, len(vals))
	}
	for i, ns := range vals {
		if ns == frame.NaT {
			for k := range parts {
				parts[k][i] = math.NaN()
			}
			continue
		}
		setDatetimeParts(parts, i, time.Unix(0, ns).UTC())
	}
	return parts
}

func setDatetimeParts(parts [][]float64, i int, t time.Time) {
	parts[0][i] = float64(t.Year())
	parts[1][i] = float64(t.Month())
	parts[2][i] = float64(t.Weekday())
	parts[3][i] = float64(t.Hour())
}
