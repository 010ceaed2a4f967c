package tune

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"mlw.dev/internal/mlw"
	"mlw.dev/model"
)

// ParamType is the kind of values a parameter takes.
type ParamType string

// Parameter types.
const (
	// Int parameters take the integers Low, Low+Step, ... up to High.
	Int ParamType = "int"
	// Float parameters take any real number in [Low, High].
	Float ParamType = "float"
	// Categorical parameters take one of Choices. A categorical parameter with
	// one choice is fixed: every trial gets that value.
	Categorical ParamType = "categorical"
)

// Param is one dimension of a search space.
type Param struct {
	// Name is the estimator's parameter name (scikit-learn's), as SetParam takes it.
	Name string    `json:"name"`
	Type ParamType `json:"type"`
	// Low and High bound Int and Float parameters, both included.
	Low  float64 `json:"low,omitempty"`
	High float64 `json:"high,omitempty"`
	// Log samples Int and Float parameters uniformly in log space; Low must be > 0.
	Log bool `json:"log,omitempty"`
	// Step is the spacing of an Int parameter's values; 0 means 1. Log
	// parameters take step 1 only.
	Step int `json:"step,omitempty"`
	// Choices are a Categorical parameter's values, in the order grids visit them.
	Choices []string `json:"choices,omitempty"`
	// When makes the parameter conditional; nil means always active.
	When *Condition `json:"when,omitempty"`
}

// Condition makes a parameter active only when a categorical parent parameter
// is active and takes one of Values.
type Condition struct {
	Param  string   `json:"param"`
	Values []string `json:"values"`
}

// IntParam returns an integer parameter uniform over [low, high].
func IntParam(name string, low, high int) Param {
	return Param{Name: name, Type: Int, Low: float64(low), High: float64(high)}
}

// LogIntParam returns an integer parameter log-uniform over [low, high]; low must be > 0.
func LogIntParam(name string, low, high int) Param {
	return Param{Name: name, Type: Int, Low: float64(low), High: float64(high), Log: true}
}

// FloatParam returns a real parameter uniform over [low, high].
func FloatParam(name string, low, high float64) Param {
	return Param{Name: name, Type: Float, Low: low, High: high}
}

// LogFloatParam returns a real parameter log-uniform over [low, high]; low must be > 0.
func LogFloatParam(name string, low, high float64) Param {
	return Param{Name: name, Type: Float, Low: low, High: high, Log: true}
}

// CategoricalParam returns a parameter taking one of choices.
func CategoricalParam(name string, choices ...string) Param {
	return Param{Name: name, Type: Categorical, Choices: choices}
}

// FixedParam returns a parameter that always takes value (a categorical
// parameter with one choice).
func FixedParam(name, value string) Param {
	return Param{Name: name, Type: Categorical, Choices: []string{value}}
}

// If returns a copy of p that is active only when the categorical parameter
// parent takes one of values.
func (p Param) If(parent string, values ...string) Param {
	p.When = &Condition{Param: parent, Values: values}
	return p
}

// Fixed reports whether p has a single possible value.
func (p *Param) Fixed() bool {
	if p.Type == Categorical {
		return len(p.Choices) == 1
	}
	return p.Low == p.High
}

// step returns the Int step as a float (1 when unset).
func (p *Param) step() float64 {
	if p.Step <= 0 {
		return 1
	}
	return float64(p.Step)
}

// validate checks p on its own (conditions are checked by the space).
func (p *Param) validate() error {
	if p.Name == "" {
		return fmt.Errorf("parameter without a name")
	}
	switch p.Type {
	case Int, Float:
		if math.IsNaN(p.Low) || math.IsInf(p.Low, 0) || math.IsNaN(p.High) || math.IsInf(p.High, 0) {
			return fmt.Errorf("%s: bounds [%g, %g] must be finite", p.Name, p.Low, p.High)
		}
		if p.Low > p.High {
			return fmt.Errorf("%s: low %g is above high %g", p.Name, p.Low, p.High)
		}
		if p.Log && p.Low <= 0 {
			return fmt.Errorf("%s: a log-scaled parameter needs low > 0, got %g", p.Name, p.Low)
		}
		if len(p.Choices) > 0 {
			return fmt.Errorf("%s: a %s parameter takes no choices", p.Name, p.Type)
		}
		if p.Type == Float {
			if p.Step != 0 {
				return fmt.Errorf("%s: step applies to int parameters only", p.Name)
			}
			return nil
		}
		if p.Low != math.Trunc(p.Low) || p.High != math.Trunc(p.High) || math.Abs(p.Low) > 1<<52 || math.Abs(p.High) > 1<<52 {
			return fmt.Errorf("%s: int bounds [%g, %g] must be integers", p.Name, p.Low, p.High)
		}
		if p.Step < 0 {
			return fmt.Errorf("%s: step %d must be >= 1", p.Name, p.Step)
		}
		if p.Log && p.Step > 1 {
			return fmt.Errorf("%s: a log-scaled int parameter takes step 1 only", p.Name)
		}
		if s := p.step(); math.Mod(p.High-p.Low, s) != 0 {
			return fmt.Errorf("%s: high %g is not low %g plus a multiple of step %d", p.Name, p.High, p.Low, p.Step)
		}
	case Categorical:
		if len(p.Choices) == 0 {
			return fmt.Errorf("%s: a categorical parameter needs at least one choice", p.Name)
		}
		seen := make(map[string]bool, len(p.Choices))
		for _, c := range p.Choices {
			if seen[c] {
				return fmt.Errorf("%s: choice %q appears twice", p.Name, c)
			}
			seen[c] = true
		}
		if p.Low != 0 || p.High != 0 || p.Log || p.Step != 0 {
			return fmt.Errorf("%s: a categorical parameter takes no low, high, log or step", p.Name)
		}
	default:
		return fmt.Errorf("%s: unknown type %q (want int, float or categorical)", p.Name, p.Type)
	}
	return nil
}

// internal returns the sampler's representation of a value: the number for
// Int and Float parameters, the choice index for Categorical ones. ok is false
// when s is not a value of p (unparseable, out of bounds, not a choice).
func (p *Param) internal(s string) (v float64, ok bool) {
	if p.Type == Categorical {
		i := slices.Index(p.Choices, s)
		return float64(i), i >= 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < p.Low || v > p.High {
		return 0, false
	}
	if p.Type == Int && v != math.Trunc(v) {
		return 0, false
	}
	return v, true
}

// external renders an internal value as the string given to SetParam. Int
// values are rounded to the step grid and Float values to 6 significant
// digits (kept inside the bounds), so that logged params are readable and
// parse back to exactly the value used.
func (p *Param) external(v float64) string {
	switch p.Type {
	case Categorical:
		i := min(max(int(v), 0), len(p.Choices)-1)
		return p.Choices[i]
	case Int:
		s := p.step()
		v = p.Low + math.Round((v-p.Low)/s)*s
		v = min(max(v, p.Low), p.High)
		return strconv.FormatInt(int64(v), 10)
	}
	v = min(max(v, p.Low), p.High)
	s := strconv.FormatFloat(v, 'g', 6, 64)
	if r, err := strconv.ParseFloat(s, 64); err != nil || r < p.Low || r > p.High {
		s = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return s
}

// Params are one trial's parameter values, rendered as the strings an
// estimator's SetParam takes. Inactive conditional parameters are absent.
type Params map[string]string

// Clone returns a copy of p.
func (p Params) Clone() Params {
	if p == nil {
		return nil
	}
	c := make(Params, len(p))
	for k, v := range p {
		c[k] = v
	}
	return c
}

// Key returns a canonical string of p: equal params give equal keys.
func (p Params) Key() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strconv.Quote(k))
		b.WriteByte('=')
		b.WriteString(strconv.Quote(p[k]))
		b.WriteByte(';')
	}
	return b.String()
}

// Float parses the named parameter as a number.
func (p Params) Float(name string) (float64, error) {
	s, ok := p[name]
	if !ok {
		return 0, fmt.Errorf("parameter %s is not set", name)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("parameter %s: %q is not a number", name, s)
	}
	return v, nil
}

// Int parses the named parameter as an integer.
func (p Params) Int(name string) (int, error) {
	s, ok := p[name]
	if !ok {
		return 0, fmt.Errorf("parameter %s is not set", name)
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("parameter %s: %q is not an integer", name, s)
	}
	return v, nil
}

// Apply sets every parameter on c, in name order, and returns the first
// error, naming the parameter.
func (p Params) Apply(c model.Configurable) error {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := c.SetParam(k, p[k]); err != nil {
			return fmt.Errorf("set %s=%s: %w", k, p[k], err)
		}
	}
	return nil
}

// Space is a search space: the parameters a study samples, parents before
// the parameters conditional on them. Build it with NewSpace; a Space is not
// modified after that and is safe for concurrent use.
type Space struct {
	Params []Param `json:"params"`
	index  map[string]int
}

// NewSpace checks the parameters and returns a space holding copies of them,
// ordered so that every condition's parent comes before the parameters that
// depend on it (otherwise in the given order). It returns an EINVALID error
// naming the first faulty parameter.
func NewSpace(params ...Param) (*Space, error) {
	ps := make([]Param, len(params))
	idx := make(map[string]int, len(params))
	for i, p := range params {
		if err := p.validate(); err != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "search space: %v", err)
		}
		if _, dup := idx[p.Name]; dup {
			return nil, mlw.Errorf(mlw.EINVALID, "search space: parameter %s is defined twice", p.Name)
		}
		idx[p.Name] = i
		p.Choices = slices.Clone(p.Choices)
		if p.When != nil {
			w := *p.When
			w.Values = slices.Clone(w.Values)
			p.When = &w
		}
		ps[i] = p
	}
	for _, p := range ps {
		if p.When == nil {
			continue
		}
		j, ok := idx[p.When.Param]
		if !ok {
			return nil, mlw.Errorf(mlw.EINVALID, "search space: %s depends on unknown parameter %s", p.Name, p.When.Param)
		}
		parent := &ps[j]
		if parent.Type != Categorical {
			return nil, mlw.Errorf(mlw.EINVALID, "search space: %s depends on %s, which is not categorical", p.Name, parent.Name)
		}
		if len(p.When.Values) == 0 {
			return nil, mlw.Errorf(mlw.EINVALID, "search space: %s: condition on %s lists no values", p.Name, parent.Name)
		}
		for _, v := range p.When.Values {
			if !slices.Contains(parent.Choices, v) {
				return nil, mlw.Errorf(mlw.EINVALID, "search space: %s: condition value %q is not a choice of %s (%s)",
					p.Name, v, parent.Name, strings.Join(parent.Choices, ", "))
			}
		}
	}
	// Stable topological order: repeatedly take, in the given order, the
	// parameters whose parent is already placed.
	ordered := make([]Param, 0, len(ps))
	placed := make(map[string]bool, len(ps))
	for len(ordered) < len(ps) {
		progress := false
		for _, p := range ps {
			if placed[p.Name] || p.When != nil && !placed[p.When.Param] {
				continue
			}
			ordered = append(ordered, p)
			placed[p.Name] = true
			progress = true
		}
		if !progress {
			var cyc []string
			for _, p := range ps {
				if !placed[p.Name] {
					cyc = append(cyc, p.Name)
				}
			}
			return nil, mlw.Errorf(mlw.EINVALID, "search space: conditions form a cycle among %s", strings.Join(cyc, ", "))
		}
	}
	s := &Space{Params: ordered, index: make(map[string]int, len(ordered))}
	for i, p := range ordered {
		s.index[p.Name] = i
	}
	return s, nil
}

// MustSpace is NewSpace for spaces written in code; it panics on an invalid space.
func MustSpace(params ...Param) *Space {
	s, err := NewSpace(params...)
	if err != nil {
		panic(err)
	}
	return s
}

// UnmarshalJSON decodes a space encoded by encoding/json (the Params list)
// and checks it as NewSpace does, so that a space stored with a study can be
// read back and compared.
func (s *Space) UnmarshalJSON(data []byte) error {
	var raw struct {
		Params []Param `json:"params"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return mlw.Errorf(mlw.EINVALID, "search space: %v", err)
	}
	ns, err := NewSpace(raw.Params...)
	if err != nil {
		return err
	}
	*s = *ns
	return nil
}

// Param returns the named parameter, or nil.
func (s *Space) Param(name string) *Param {
	i, ok := s.index[name]
	if !ok {
		return nil
	}
	return &s.Params[i]
}

// Names returns the parameter names in the space's order.
func (s *Space) Names() []string {
	names := make([]string, len(s.Params))
	for i, p := range s.Params {
		names[i] = p.Name
	}
	return names
}

// Active reports whether p is active given the values chosen so far for the
// parameters before it: always for an unconditional parameter, and for a
// conditional one when its parent is set to one of the condition's values.
func (s *Space) Active(p *Param, chosen Params) bool {
	if p.When == nil {
		return true
	}
	v, ok := chosen[p.When.Param]
	return ok && slices.Contains(p.When.Values, v)
}

// Check returns an EINVALID error unless params is a point of the space:
// every active parameter set to one of its values and nothing else set.
func (s *Space) Check(params Params) error {
	for i := range s.Params {
		p := &s.Params[i]
		v, set := params[p.Name]
		active := s.Active(p, params)
		switch {
		case active && !set:
			return mlw.Errorf(mlw.EINVALID, "parameter %s is not set", p.Name)
		case !active && set:
			return mlw.Errorf(mlw.EINVALID, "parameter %s is set but inactive (it applies when %s is %s)",
				p.Name, p.When.Param, strings.Join(p.When.Values, " or "))
		case set:
			if _, ok := p.internal(v); !ok {
				return mlw.Errorf(mlw.EINVALID, "parameter %s: %q is outside the search space (%s)", p.Name, v, p.describe())
			}
		}
	}
	for k := range params {
		if s.Param(k) == nil {
			return mlw.Errorf(mlw.EINVALID, "parameter %s is not in the search space", k)
		}
	}
	return nil
}

// describe returns a short description of p's values.
func (p *Param) describe() string {
	switch {
	case p.Type == Categorical && len(p.Choices) == 1:
		return "= " + p.Choices[0]
	case p.Type == Categorical:
		return strings.Join(p.Choices, "|")
	default:
		scale := ""
		if p.Log {
			scale = " log"
		}
		return fmt.Sprintf("%s [%g, %g]%s", p.Type, p.Low, p.High, scale)
	}
}

// String returns the space one parameter per line, e.g.
// "learning_rate float [0.01, 0.3] log", "penalty l1|l2", "max_iter = 200",
// "l1_ratio float [0, 1] if penalty in elasticnet".
func (s *Space) String() string {
	var b strings.Builder
	for _, p := range s.Params {
		fmt.Fprintf(&b, "%s %s", p.Name, p.describe())
		if p.When != nil {
			fmt.Fprintf(&b, " if %s in %s", p.When.Param, strings.Join(p.When.Values, "|"))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// merge returns a space holding base's parameters, with those of override
// replacing base's of the same name in place and the others appended; the
// names in drop are removed.
func merge(base []Param, override []Param, drop []string) []Param {
	out := make([]Param, 0, len(base)+len(override))
	repl := make(map[string]Param, len(override))
	for _, p := range override {
		repl[p.Name] = p
	}
	used := make(map[string]bool)
	for _, p := range base {
		if slices.Contains(drop, p.Name) {
			continue
		}
		if r, ok := repl[p.Name]; ok {
			p = r
			used[p.Name] = true
		}
		out = append(out, p)
	}
	for _, p := range override {
		if !used[p.Name] && !slices.Contains(drop, p.Name) {
			out = append(out, p)
		}
	}
	return out
}
