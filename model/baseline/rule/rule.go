// Package rule compiles and evaluates rule expressions over named input
// columns, such as
//
//	tenure < 6 && tickets > 3
//
// with the expression language of github.com/expr-lang/expr
// (https://expr-lang.org): arithmetic, comparisons, and/or/not, the ternary
// ?: and if/else, string operators and built-in functions such as abs, min,
// max and round. A column whose name is not an identifier is reached as
// $env["monthly charges"]. The non-deterministic built-in now() is disabled.
//
// A Rule is compiled once against the columns it may use and evaluated on
// rows given as values in column order (Eval), as a map (EvalMap), or as
// numbers (EvalFloat). Expressions made of numbers, columns, arithmetic,
// comparisons, logic, ?: and abs, ceil, floor, round, min and max are also
// compiled to a tree of Go closures, so that EvalFloat allocates nothing;
// other expressions run on expr's virtual machine.
//
// On numbers, comparisons with NaN are false, so a row with a missing value
// fails every comparison that reads it (and passes its negation).
package rule

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Kind is the type of a rule's value.
type Kind uint8

// Kinds of values.
const (
	// Unknown means the type is known only when the rule runs, as with
	// string operations or functions outside the numeric subset.
	Unknown Kind = iota
	// Bool is a condition, such as tenure < 6.
	Bool
	// Number is a numeric value, such as 2 * tenure + 1.
	Number
)

// String returns "unknown", "bool" or "number".
func (k Kind) String() string {
	switch k {
	case Bool:
		return "bool"
	case Number:
		return "number"
	}
	return "unknown"
}

// Rule is a compiled expression over named columns. It is immutable and safe
// for concurrent use.
type Rule struct {
	source  string
	columns []string
	index   map[string]int
	used    []int // indices of the columns the expression reads, ascending
	program *vm.Program
	// fast evaluates the expression on numeric columns; nil when it is
	// outside the subset compiled to closures.
	fast evalFunc
	kind Kind
}

// Compile compiles expression over the given column names. It returns an
// error if the expression is empty or does not parse, or if it uses a name
// that is not one of the columns (the error names it and suggests the
// closest column), or if a column name is repeated. An empty column name is
// allowed and cannot be referenced.
//
// Compile never panics: a panic of the expression compiler is returned as an
// error.
func Compile(expression string, columns []string) (r *Rule, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("rule: compile %q: %v", expression, p)
		}
	}()
	if strings.TrimSpace(expression) == "" {
		return nil, errors.New("rule: empty expression")
	}
	index := make(map[string]int, len(columns))
	for i, c := range columns {
		if c == "" {
			continue // unnamed: cannot be referenced
		}
		if _, dup := index[c]; dup {
			return nil, fmt.Errorf("rule: column %q appears twice", c)
		}
		index[c] = i
	}
	tree, err := parser.Parse(expression)
	if err != nil {
		return nil, fmt.Errorf("rule: %s", describe(err))
	}
	names := &nameCollector{index: index, declared: map[string]bool{}, used: map[string]bool{}}
	ast.Walk(&tree.Node, declarations(names.declared))
	ast.Walk(&tree.Node, names)
	if names.builtin != "" {
		return nil, fmt.Errorf("rule: %s() is not allowed in a rule: its value changes from one run to the next", names.builtin)
	}
	if names.unknown != "" {
		return nil, unknownColumnError(expression, names.unknown, columns)
	}
	program, err := expr.Compile(expression, options()...)
	if err != nil {
		return nil, fmt.Errorf("rule: %s", describe(err))
	}
	r = &Rule{source: expression, columns: slices.Clone(columns), index: index, program: program}
	for i := range columns {
		if names.used[columns[i]] {
			r.used = append(r.used, i)
		}
	}
	c := &closureCompiler{index: index}
	if fn, kind, ok := c.compile(tree.Node); ok {
		r.fast, r.kind = fn, kind
	}
	return r, nil
}

// Check reports whether expression parses and compiles, whatever the
// columns: it returns the error Compile would give, except for unknown
// columns.
func Check(expression string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rule: compile %q: %v", expression, p)
		}
	}()
	if strings.TrimSpace(expression) == "" {
		return errors.New("rule: empty expression")
	}
	if _, err := expr.Compile(expression, options()...); err != nil {
		return fmt.Errorf("rule: %s", describe(err))
	}
	return nil
}

// options are the expr options of every rule: columns are dynamically typed
// (checked against the column list by Compile), and now() is disabled so
// that a rule gives the same value every time.
func options() []expr.Option {
	return []expr.Option{
		expr.Env(map[string]any{}),
		expr.AllowUndefinedVariables(),
		expr.DisableBuiltin("now"),
	}
}

// describe returns expr's error message on one line, with its position.
func describe(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fmt.Sprintf("%s (at column %d)", fe.Message, fe.Column+1)
	}
	return strings.SplitN(err.Error(), "\n", 2)[0]
}

func unknownColumnError(expression, name string, columns []string) error {
	msg := fmt.Sprintf("rule: unknown column %q in %q", name, expression)
	if best := closest(name, columns); best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	const show = 20
	if len(columns) <= show {
		msg += " (columns: " + strings.Join(columns, ", ") + ")"
	} else {
		msg += fmt.Sprintf(" (columns: %s, … %d more)", strings.Join(columns[:show], ", "), len(columns)-show)
	}
	return errors.New(msg)
}

// closest returns the column nearest to name by edit distance, if it is
// close enough to be a likely typo.
func closest(name string, columns []string) string {
	best, bestD := "", math.MaxInt
	for _, c := range columns {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= max(1, len([]rune(name))/3) {
		return best
	}
	return ""
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// declarations records the names of the variables an expression declares
// with let.
type declarations map[string]bool

// Visit records the variable a let node declares.
func (d declarations) Visit(node *ast.Node) {
	if n, ok := (*node).(*ast.VariableDeclaratorNode); ok {
		d[n.Name] = true
	}
}

// nameCollector records the columns an expression reads, the first name that
// is neither a column nor a declared variable, and the first disabled
// built-in it calls.
type nameCollector struct {
	index    map[string]int
	declared map[string]bool
	used     map[string]bool
	unknown  string
	builtin  string
}

// Visit records the names and built-ins one node uses.
func (v *nameCollector) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		if n.Name == "now" && v.builtin == "" {
			v.builtin = n.Name
		}
	case *ast.IdentifierNode:
		v.name(n.Value)
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "$env" {
			if s, ok := n.Property.(*ast.StringNode); ok {
				v.name(s.Value)
			}
		}
	}
}

func (v *nameCollector) name(s string) {
	if s == "$env" || v.declared[s] {
		return
	}
	if _, ok := v.index[s]; ok {
		v.used[s] = true
		return
	}
	if v.unknown == "" {
		v.unknown = s
	}
}

// String returns the expression.
func (r *Rule) String() string { return r.source }

// Columns returns the column names the rule was compiled against.
func (r *Rule) Columns() []string { return slices.Clone(r.columns) }

// Uses returns the names of the columns the expression reads, in column
// order.
func (r *Rule) Uses() []string {
	out := make([]string, len(r.used))
	for i, j := range r.used {
		out[i] = r.columns[j]
	}
	return out
}

// Kind returns the type of the rule's value when every column is a number:
// Bool or Number for expressions in the numeric subset, Unknown otherwise.
func (r *Rule) Kind() Kind { return r.kind }

// Fast reports whether EvalFloat evaluates the rule with compiled closures,
// allocating nothing; otherwise it runs expr's virtual machine.
func (r *Rule) Fast() bool { return r.fast != nil }

// Eval evaluates the rule on one row, row[i] being the value of column i
// (float64, int, string, bool, time.Time, nil, ...), and returns its value
// as expr does (bool, int, float64, string, ...). It returns an error if the
// evaluation fails, for example when an operator does not apply to the
// values' types. It panics if len(row) is not the number of columns.
func (r *Rule) Eval(row []any) (any, error) {
	if len(row) != len(r.columns) {
		panic(fmt.Sprintf("rule: Eval of %d values for %d columns", len(row), len(r.columns)))
	}
	env := make(map[string]any, len(r.used))
	for _, j := range r.used {
		env[r.columns[j]] = row[j]
	}
	return r.run(env)
}

// EvalMap evaluates the rule on one row given by column name. It returns an
// error if a column the expression reads is absent from row, or if the
// evaluation fails.
func (r *Rule) EvalMap(row map[string]any) (any, error) {
	for _, j := range r.used {
		if _, ok := row[r.columns[j]]; !ok {
			return nil, fmt.Errorf("rule %q: no value for column %q", r.source, r.columns[j])
		}
	}
	return r.run(row)
}

func (r *Rule) run(env map[string]any) (any, error) {
	out, err := expr.Run(r.program, env)
	if err != nil {
		return nil, fmt.Errorf("rule %q: %s", r.source, describe(err))
	}
	return out, nil
}

// EvalFloat evaluates the rule on one row of numbers, row[i] being the value
// of column i (NaN for a missing value), and returns its value as a number:
// a condition gives 1 (true) or 0 (false). It allocates nothing when Fast
// reports true. It returns an error if the evaluation fails or its value is
// neither a number nor a boolean. It panics if len(row) is not the number of
// columns.
func (r *Rule) EvalFloat(row []float64) (float64, error) {
	if len(row) != len(r.columns) {
		panic(fmt.Sprintf("rule: EvalFloat of %d values for %d columns", len(row), len(r.columns)))
	}
	if r.fast != nil {
		return r.fast(row), nil
	}
	env := make(map[string]any, len(r.used))
	for _, j := range r.used {
		env[r.columns[j]] = row[j]
	}
	out, err := r.run(env)
	if err != nil {
		return 0, err
	}
	return toFloat(out, r.source)
}

func toFloat(v any, source string) (float64, error) {
	switch v := v.(type) {
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case float64:
		return v, nil
	case float32:
		return float64(v), nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case int32:
		return float64(v), nil
	case uint:
		return float64(v), nil
	case uint64:
		return float64(v), nil
	}
	s := fmt.Sprintf("%v", v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return 0, fmt.Errorf("rule %q: value %s of type %T, want a number or a boolean", source, strconv.Quote(s), v)
}
