package rule

import (
	"math"

	"github.com/expr-lang/expr/ast"
)

// evalFunc evaluates an expression, or a part of one, on a row of numbers;
// booleans are 1 and 0.
type evalFunc func(row []float64) float64

// closureCompiler turns the numeric subset of expr's syntax into evalFuncs
// with expr's semantics on float64 columns: numbers, columns, + - * / ** ^,
// comparisons, and/or/not, ?: and if/else, and the built-ins abs, ceil,
// floor, round, min and max of numbers.
type closureCompiler struct {
	index map[string]int
}

// maxExactInt is the largest integer literal that float64 arithmetic handles
// as expr's integer arithmetic does.
const maxExactInt = 1 << 53

// compile returns the evalFunc of node and its kind, or ok = false if node is
// outside the subset.
func (c *closureCompiler) compile(node ast.Node) (fn evalFunc, kind Kind, ok bool) {
	switch n := node.(type) {
	case *ast.IntegerNode:
		if n.Value > maxExactInt || n.Value < -maxExactInt {
			return nil, 0, false
		}
		v := float64(n.Value)
		return func([]float64) float64 { return v }, Number, true
	case *ast.FloatNode:
		v := n.Value
		return func([]float64) float64 { return v }, Number, true
	case *ast.BoolNode:
		v := b2f(n.Value)
		return func([]float64) float64 { return v }, Bool, true
	case *ast.IdentifierNode:
		return c.column(n.Value)
	case *ast.MemberNode:
		id, ok1 := n.Node.(*ast.IdentifierNode)
		s, ok2 := n.Property.(*ast.StringNode)
		if !ok1 || !ok2 || id.Value != "$env" || n.Optional || n.Method {
			return nil, 0, false
		}
		return c.column(s.Value)
	case *ast.UnaryNode:
		return c.unary(n)
	case *ast.BinaryNode:
		return c.binary(n)
	case *ast.ConditionalNode:
		cond, ck, ok1 := c.compile(n.Cond)
		a, ak, ok2 := c.compile(n.Exp1)
		b, bk, ok3 := c.compile(n.Exp2)
		if !ok1 || !ok2 || !ok3 || ck != Bool || ak != bk {
			return nil, 0, false
		}
		return func(r []float64) float64 {
			if cond(r) != 0 {
				return a(r)
			}
			return b(r)
		}, ak, true
	case *ast.BuiltinNode:
		return c.builtin(n)
	}
	return nil, 0, false
}

func (c *closureCompiler) column(name string) (evalFunc, Kind, bool) {
	j, ok := c.index[name]
	if !ok {
		return nil, 0, false
	}
	return func(r []float64) float64 { return r[j] }, Number, true
}

func (c *closureCompiler) unary(n *ast.UnaryNode) (evalFunc, Kind, bool) {
	a, k, ok := c.compile(n.Node)
	if !ok {
		return nil, 0, false
	}
	switch {
	case (n.Operator == "!" || n.Operator == "not") && k == Bool:
		return func(r []float64) float64 { return 1 - a(r) }, Bool, true
	case n.Operator == "-" && k == Number:
		return func(r []float64) float64 { return -a(r) }, Number, true
	case n.Operator == "+" && k == Number:
		return a, Number, true
	}
	return nil, 0, false
}

func (c *closureCompiler) binary(n *ast.BinaryNode) (evalFunc, Kind, bool) {
	a, ak, ok1 := c.compile(n.Left)
	b, bk, ok2 := c.compile(n.Right)
	if !ok1 || !ok2 {
		return nil, 0, false
	}
	if ak == Bool && bk == Bool {
		switch n.Operator {
		case "&&", "and":
			return func(r []float64) float64 {
				if a(r) == 0 {
					return 0
				}
				return b(r)
			}, Bool, true
		case "||", "or":
			return func(r []float64) float64 {
				if a(r) != 0 {
					return 1
				}
				return b(r)
			}, Bool, true
		case "==":
			return func(r []float64) float64 { return b2f(a(r) == b(r)) }, Bool, true
		case "!=":
			return func(r []float64) float64 { return b2f(a(r) != b(r)) }, Bool, true
		}
		return nil, 0, false
	}
	if ak != Number || bk != Number {
		return nil, 0, false
	}
	switch n.Operator {
	case "+":
		return func(r []float64) float64 { return a(r) + b(r) }, Number, true
	case "-":
		return func(r []float64) float64 { return a(r) - b(r) }, Number, true
	case "*":
		return func(r []float64) float64 { return a(r) * b(r) }, Number, true
	case "/":
		return func(r []float64) float64 { return a(r) / b(r) }, Number, true
	case "**", "^":
		return func(r []float64) float64 { return math.Pow(a(r), b(r)) }, Number, true
	case "<":
		return func(r []float64) float64 { return b2f(a(r) < b(r)) }, Bool, true
	case "<=":
		return func(r []float64) float64 { return b2f(a(r) <= b(r)) }, Bool, true
	case ">":
		return func(r []float64) float64 { return b2f(a(r) > b(r)) }, Bool, true
	case ">=":
		return func(r []float64) float64 { return b2f(a(r) >= b(r)) }, Bool, true
	case "==":
		return func(r []float64) float64 { return b2f(a(r) == b(r)) }, Bool, true
	case "!=":
		return func(r []float64) float64 { return b2f(a(r) != b(r)) }, Bool, true
	}
	return nil, 0, false
}

func (c *closureCompiler) builtin(n *ast.BuiltinNode) (evalFunc, Kind, bool) {
	args := make([]evalFunc, len(n.Arguments))
	for i, arg := range n.Arguments {
		fn, k, ok := c.compile(arg)
		if !ok || k != Number {
			return nil, 0, false
		}
		args[i] = fn
	}
	if len(args) == 1 {
		a := args[0]
		switch n.Name {
		case "abs":
			return func(r []float64) float64 {
				if v := a(r); v < 0 {
					return -v
				} else {
					return v
				}
			}, Number, true
		case "ceil":
			return func(r []float64) float64 { return math.Ceil(a(r)) }, Number, true
		case "floor":
			return func(r []float64) float64 { return math.Floor(a(r)) }, Number, true
		case "round":
			return func(r []float64) float64 { return math.Round(a(r)) }, Number, true
		}
	}
	if len(args) >= 1 && (n.Name == "max" || n.Name == "min") {
		// As expr: fold from the first argument, replacing the value when
		// value < x (max) or value > x (min), so NaN behaves alike.
		isMax := n.Name == "max"
		return func(r []float64) float64 {
			v := args[0](r)
			for _, f := range args[1:] {
				x := f(r)
				if isMax && v < x || !isMax && v > x {
					v = x
				}
			}
			return v
		}, Number, true
	}
	return nil, 0, false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
