package baseline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"mlw.dev/model"
	"mlw.dev/model/baseline/rule"
	"mlw.dev/model/internal/param"
)

// DefaultProbability is the probability a Rule gives the class it predicts
// when Probability is zero.
const DefaultProbability = 1.0

// Rule is a baseline from a hand-written expression over the input columns
// (see package rule for the language), evaluated on each row of a matrix
// whose model.Feature names are the column names the expression uses:
//
//	m := baseline.Rule{Expr: "tenure < 6 && tickets > 3"}
//
// For classification, the value of the rule is a class: a condition predicts
// class 1 (the positive class of a binary problem) when true and class 0
// when false, and a number is a class code. The predicted class gets
// probability Probability and the other classes share the rest equally. For
// regression, the value of the rule is the prediction (a condition is 1 or
// 0).
//
// The rule abstains on a row when its value is NaN, or not a class code for
// classification: the prediction is then the training class priors (as
// Prior) or the training mean (as Mean). Comparisons with NaN are false, so a
// missing value fails every comparison that reads it.
//
// Only numeric features can be used, and only the numeric subset of the
// language (numbers, columns, arithmetic, comparisons, logic, ?: and abs,
// ceil, floor, round, min, max), so that prediction allocates nothing. The
// zero value needs Expr set before Fit.
type Rule struct {
	// Expr (rule) is the expression.
	Expr string
	// Probability (probability) is the probability of the predicted class, in
	// (0, 1]; the zero value means DefaultProbability.
	Probability float64

	fit ruleFit
}

// ruleFit is a Rule's learned state; the zero value means not fitted.
type ruleFit struct {
	task     model.Task // 0: not fitted
	classes  int
	columns  []string
	rule     *rule.Rule
	fallback []float64 // priors or the mean
}

// Compile-time check that Rule implements model.Estimator.
var _ model.Estimator = (*Rule)(nil)

// Kind returns "rule".
func (m *Rule) Kind() string { return KindRule }

// Outputs returns the number of classes for classification and 1 for
// regression; 0 before the model is fitted.
func (m *Rule) Outputs() int { return len(m.fit.fallback) }

// Compiled returns the compiled rule (nil before the model is fitted).
func (m *Rule) Compiled() *rule.Rule { return m.fit.rule }

func (m *Rule) probability() float64 {
	if m.Probability == 0 {
		return DefaultProbability
	}
	return m.Probability
}

func validateProbability(p float64) error {
	if !(p > 0 && p <= 1) {
		return fmt.Errorf("probability is %g, want a value in (0, 1]", p)
	}
	return nil
}

// Fit compiles the rule against the names of p's features and learns the
// fallback prediction (class priors or mean). It returns an error if Expr is
// empty or does not compile (naming an unknown column), if it uses a
// categorical feature or operations outside the numeric subset, if its value
// does not suit the task, if p is invalid, or if a sample weight is negative,
// and ctx.Err() if ctx is already cancelled.
func (m *Rule) Fit(ctx context.Context, p *model.Problem) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validateProbability(m.probability()); err != nil {
		return fmt.Errorf("baseline: rule: %w", err)
	}
	if strings.TrimSpace(m.Expr) == "" {
		return fmt.Errorf("baseline: rule: parameter rule is empty; set it to an expression such as \"tenure < 6 && tickets > 3\"")
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("baseline: rule: %w", err)
	}
	columns := make([]string, len(p.Features))
	for i, f := range p.Features {
		columns[i] = f.Name
	}
	r, err := compile(m.Expr, columns, p.Features)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	f := ruleFit{task: p.Task, classes: p.Classes, columns: columns, rule: r}
	if p.Task.IsClassification() {
		f.fallback, err = priors(p)
		if err != nil {
			return fmt.Errorf("baseline: rule: %w", err)
		}
	} else {
		if r.Kind() != rule.Number && r.Kind() != rule.Bool {
			return fmt.Errorf("baseline: rule %q: a regression rule needs a numeric value", m.Expr)
		}
		s, err := checkRegression(p, KindRule)
		if err != nil {
			return err
		}
		f.fallback = []float64{weightedMean(p, s)}
	}
	m.fit = f
	return nil
}

// compile compiles expression for the estimator: against the feature names,
// numeric features only, numeric subset only.
func compile(expression string, columns []string, features []model.Feature) (*rule.Rule, error) {
	r, err := rule.Compile(expression, columns)
	if err != nil {
		return nil, err
	}
	for _, name := range r.Uses() {
		i := slices.Index(columns, name)
		if features != nil && features[i].Categorical {
			return nil, fmt.Errorf("rule %q: feature %q is categorical; a rule baseline reads numeric features only", expression, name)
		}
	}
	if !r.Fast() {
		return nil, fmt.Errorf("rule %q: uses operations outside the numeric subset "+
			"(numbers, columns, arithmetic, comparisons, and/or/not, ?:, abs, ceil, floor, round, min, max)", expression)
	}
	return r, nil
}

// PredictTo writes the prediction of each row of X into dst (class
// probabilities or values, X.Rows × Outputs(), row-major) and returns it. It
// allocates only when dst is too short and is safe for concurrent use. It
// panics if the model is not fitted or X has the wrong number of columns.
func (m *Rule) PredictTo(dst []float64, X model.Matrix) []float64 {
	f := &m.fit
	k := len(f.fallback)
	if k == 0 {
		panic("baseline: Rule.PredictTo before Fit")
	}
	if X.Cols != len(f.columns) {
		panic(fmt.Sprintf("baseline: Rule.PredictTo: X has %d columns, model %d features", X.Cols, len(f.columns)))
	}
	need := X.Rows * k
	if cap(dst) < need {
		dst = make([]float64, need)
	}
	dst = dst[:need]
	prob := m.probability()
	other := 0.0
	if k > 1 {
		other = (1 - prob) / float64(k-1)
	}
	for i := range X.Rows {
		v, _ := f.rule.EvalFloat(X.Row(i)) // never fails: the rule is in the numeric subset
		out := dst[i*k : (i+1)*k]
		if !f.task.IsClassification() {
			if math.IsNaN(v) {
				v = f.fallback[0]
			}
			out[0] = v
			continue
		}
		if c := int(v); float64(c) == v && c >= 0 && c < k {
			for j := range out {
				out[j] = other
			}
			out[c] = prob
		} else {
			copy(out, f.fallback)
		}
	}
	return dst
}

// ParamSpecs lists the hyperparameters rule and probability.
func (m *Rule) ParamSpecs() []model.ParamSpec {
	return []model.ParamSpec{
		{Name: "rule", Type: "string", Default: "", Doc: "Expression over the input columns, e.g. \"tenure < 6 && tickets > 3\" (a condition predicts class 1) or a numeric expression (regression)."},
		{Name: "probability", Type: "float", Default: param.Format(DefaultProbability), Doc: "Probability of the predicted class, in (0, 1]."},
	}
}

// SetParam sets rule (checking that the expression compiles, whatever the
// columns) or probability. An unknown name or an invalid value gives an
// error naming the parameter, and leaves the configuration unchanged.
func (m *Rule) SetParam(name, value string) error {
	switch name {
	case "rule":
		if err := rule.Check(value); err != nil {
			return fmt.Errorf("parameter rule: %w", err)
		}
		m.Expr = value
	case "probability":
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err == nil {
			err = validateProbability(v)
		} else {
			err = fmt.Errorf("invalid value %q: want a number in (0, 1]", value)
		}
		if err != nil {
			return fmt.Errorf("parameter probability: %w", err)
		}
		m.Probability = v
	default:
		return fmt.Errorf("unknown parameter %q for %s; known: rule, probability", name, KindRule)
	}
	return nil
}

// Params returns the rule and the effective probability.
func (m *Rule) Params() map[string]string {
	return map[string]string{"rule": m.Expr, "probability": param.Format(m.probability())}
}

// MarshalBinary encodes the rule, the probability and, once fitted, the
// column names and the fallback prediction in a compact little-endian form.
// The compiled rule is not stored: UnmarshalBinary compiles it again.
func (m *Rule) MarshalBinary() ([]byte, error) {
	e := newEncoder(kindCodeRule)
	e.Str(m.Expr)
	e.F64(m.Probability)
	f := &m.fit
	e.Bool(f.rule != nil)
	if f.rule != nil {
		e.U8(uint8(f.task))
		e.Int(f.classes)
		e.Int(len(f.columns))
		for _, c := range f.columns {
			e.Str(c)
		}
		e.F64s(f.fallback)
	}
	return e.Bytes(), nil
}

// UnmarshalBinary restores a model written by MarshalBinary and compiles its
// rule. It returns an error, and leaves m unchanged, if data is truncated,
// was not written by Rule.MarshalBinary, is inconsistent, or holds a rule
// that does not compile.
func (m *Rule) UnmarshalBinary(data []byte) error {
	d, err := newDecoder(data, kindCodeRule, KindRule)
	if err != nil {
		return err
	}
	expr := d.Str()
	prob := d.F64()
	var f ruleFit
	fitted := d.Bool()
	if fitted {
		f.task = model.Task(d.U8())
		f.classes = d.Int(1 << 20)
		n := d.Int(d.Remaining() / 4)
		f.columns = make([]string, 0, n)
		for range n {
			f.columns = append(f.columns, d.Str())
		}
		want := 1
		if f.task.IsClassification() {
			want = f.classes
		}
		if d.Err() == nil {
			d.Fail(checkTask(f.task, f.classes))
		}
		f.fallback = d.F64s(want)
	}
	if err := d.Finish(); err != nil {
		return err
	}
	if prob != 0 {
		if err := validateProbability(prob); err != nil {
			return fmt.Errorf("baseline: decode rule: %w", err)
		}
	}
	if fitted {
		r, err := compile(expr, f.columns, nil)
		if err != nil {
			return fmt.Errorf("baseline: decode rule: %w", err)
		}
		f.rule = r
	}
	m.Expr, m.Probability, m.fit = expr, prob, f
	return nil
}
