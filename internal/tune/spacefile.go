package tune

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"mlw.dev/internal/mlw"
	"mlw.dev/model"
)

// SpaceFile is a parsed search-space file (mlw tune --space FILE). It holds,
// per model kind, parameters that replace or extend the default space:
//
//	gbdt:                      # a model kind
//	  extends: default         # start from mlw's default space (the default), or none
//	  params:
//	    learning_rate: {type: float, low: 0.01, high: 0.1, log: true}
//	    max_leaf_nodes: {type: int, low: 16, high: 128, log: true}
//	    max_iter: 500          # a scalar fixes a parameter
//	    loss: [squared_error, absolute_error]   # a list is categorical
//	    colsample: null        # null removes a default parameter
//	logistic:
//	  params:
//	    penalty: [l1, l2, elasticnet]
//	    l1_ratio: {type: float, low: 0.05, high: 0.95, when: {penalty: elasticnet}}
//
// A parameter mapping takes type (int, float or categorical; categorical
// when only choices is given), low and high (int, float), log (true for
// log-uniform sampling), step (int), choices (categorical) and when (a
// mapping from one categorical parent to the value or list of values that
// activate the parameter).
type SpaceFile struct {
	// Name is the file name used in messages.
	Name   string
	Models map[string]*SpaceOverride
}

// SpaceOverride is one model kind's part of a SpaceFile.
type SpaceOverride struct {
	// Replace is true for "extends: none": Params are the whole space.
	Replace bool
	// Params replace default parameters of the same name, in place, or are
	// appended, in file order.
	Params []Param
	// Drop names default parameters removed ("name: null").
	Drop []string
	// line is where the model's key is, for messages about the merged space.
	line, col int
}

// ParseSpaceFile parses a search-space file. name is the file name used in
// messages. Errors have code EINVALID and read "FILE:LINE:COL: FIELD: what is
// wrong", e.g. "space.yaml:4:12: gbdt.params.learning_rate.low: want a
// number, got "fast"".
func ParseSpaceFile(name string, data []byte) (sf *SpaceFile, err error) {
	// The YAML library is third-party code fed user input: a panic in it
	// becomes an error naming the file, not a crash of the command.
	defer func() {
		if r := recover(); r != nil {
			sf, err = nil, mlw.Errorf(mlw.EINVALID, "%s: malformed YAML (%v)", name, r)
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			pos := ye.GetToken().Position
			return nil, mlw.Errorf(mlw.EINVALID, "%s:%d:%d: %s", name, pos.Line, pos.Column, ye.GetMessage())
		}
		return nil, mlw.Errorf(mlw.EINVALID, "%s: %v", name, err)
	}
	sf = &SpaceFile{Name: name, Models: map[string]*SpaceOverride{}}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "%s: holds several YAML documents, want one", name)
		}
		body = doc.Body
	}
	if body == nil {
		return sf, nil
	}
	y := &yamlReader{file: name, anchors: map[string]ast.Node{}}
	ast.Walk(y, body)
	top, err := y.mapping(body, "")
	if err != nil {
		return nil, err
	}
	for _, kv := range top {
		kind, err := y.key(kv, "")
		if err != nil {
			return nil, err
		}
		if _, dup := sf.Models[kind]; dup {
			return nil, y.errorf(kv.Key, kind, "model appears twice")
		}
		o, err := y.override(kv.Value, kind)
		if err != nil {
			return nil, err
		}
		o.line, o.col = position(kv.Key)
		sf.Models[kind] = o
	}
	return sf, nil
}

// Space returns the search space of a model kind for a task: the default
// space (DefaultParams) changed by the file's part for that kind, if any. A
// nil SpaceFile gives the default space. A kind without a default space needs
// "extends: none" in the file.
func (f *SpaceFile) Space(kind string, task model.Task) (*Space, error) {
	var o *SpaceOverride
	if f != nil {
		o = f.Models[kind]
	}
	if o == nil {
		return DefaultSpace(kind, task)
	}
	var base []Param
	if !o.Replace {
		var err error
		if base, err = DefaultParams(kind, task); err != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "%s:%d:%d: %s: %s; use \"extends: none\" and list every parameter",
				f.Name, o.line, o.col, kind, mlw.ErrorMessage(err))
		}
	}
	for _, d := range o.Drop {
		if !slices.ContainsFunc(base, func(p Param) bool { return p.Name == d }) {
			return nil, mlw.Errorf(mlw.EINVALID, "%s:%d:%d: %s.params.%s: null removes a default parameter, but the default space has no %s",
				f.Name, o.line, o.col, kind, d, d)
		}
	}
	s, err := NewSpace(merge(base, o.Params, o.Drop)...)
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "%s:%d:%d: %s: %s", f.Name, o.line, o.col, kind, mlw.ErrorMessage(err))
	}
	return s, nil
}

// yamlReader walks a parsed file with the schema of SpaceFile.
type yamlReader struct {
	file    string
	anchors map[string]ast.Node
}

// Visit records anchors (ast.Visitor), so that aliases resolve wherever their
// anchor is.
func (y *yamlReader) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil && a.Value != nil {
		y.anchors[a.Name.GetToken().Value] = a.Value
	}
	return y
}

// errorf returns an EINVALID error at n's position.
func (y *yamlReader) errorf(n ast.Node, path, format string, args ...any) error {
	line, col := position(n)
	return mlw.Errorf(mlw.EINVALID, "%s:%d:%d: %s: %s", y.file, line, col, path, fmt.Sprintf(format, args...))
}

// position returns n's line and column (0, 0 when unknown).
func position(n ast.Node) (int, int) {
	if n == nil {
		return 0, 0
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// resolve strips tags and anchors and follows aliases.
func (y *yamlReader) resolve(n ast.Node) ast.Node {
	for range 64 {
		switch t := n.(type) {
		case *ast.TagNode:
			n = t.Value
		case *ast.AnchorNode:
			n = t.Value
		case *ast.AliasNode:
			if t.Value == nil {
				return n
			}
			target, ok := y.anchors[t.Value.GetToken().Value]
			if !ok {
				return n
			}
			n = target
		case *ast.MappingKeyNode:
			n = t.Value
		default:
			return n
		}
		if n == nil {
			return nil
		}
	}
	return n
}

// mapping returns the key-value pairs of a mapping node.
func (y *yamlReader) mapping(n ast.Node, path string) ([]*ast.MappingValueNode, error) {
	switch t := y.resolve(n).(type) {
	case *ast.MappingNode:
		return t.Values, nil
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{t}, nil
	case *ast.NullNode:
		return nil, nil
	}
	return nil, y.errorf(n, pathOr(path, "file"), "want a mapping, got %s", describeNode(y.resolve(n)))
}

// key returns a mapping key as a string.
func (y *yamlReader) key(kv *ast.MappingValueNode, path string) (string, error) {
	if kv.Key == nil {
		return "", y.errorf(kv, pathOr(path, "file"), "mapping entry without a key")
	}
	if kv.Key.IsMergeKey() {
		return "", y.errorf(kv.Key, pathOr(path, "file"), "merge keys (<<) are not supported")
	}
	s, ok := y.scalar(kv.Key)
	if !ok || s == "" {
		return "", y.errorf(kv.Key, pathOr(path, "file"), "want a plain key, got %s", describeNode(y.resolve(kv.Key)))
	}
	return s, nil
}

// scalar returns a scalar node's text as written (so that "1.0" stays
// "1.0"); ok is false for null, collections and anything else.
func (y *yamlReader) scalar(n ast.Node) (string, bool) {
	switch t := y.resolve(n).(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return "", false
		}
		return t.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		tk := t.GetToken()
		if tk == nil {
			return "", false
		}
		return tk.Value, true
	}
	return "", false
}

// number returns a numeric node's value; it must be finite.
func (y *yamlReader) number(n ast.Node, path string) (float64, error) {
	var v float64
	switch t := y.resolve(n).(type) {
	case *ast.IntegerNode:
		switch i := t.Value.(type) {
		case int64:
			v = float64(i)
		case uint64:
			v = float64(i)
		default:
			return 0, y.errorf(n, path, "want a number, got %q", t.GetToken().Value)
		}
	case *ast.FloatNode:
		v = t.Value
	case *ast.StringNode:
		f, err := strconv.ParseFloat(strings.TrimSpace(t.Value), 64)
		if err != nil {
			return 0, y.errorf(n, path, "want a number, got %q", t.Value)
		}
		v = f
	default:
		return 0, y.errorf(n, path, "want a number, got %s", describeNode(y.resolve(n)))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, y.errorf(n, path, "want a finite number, got %g", v)
	}
	return v, nil
}

// boolean returns a boolean node's value.
func (y *yamlReader) boolean(n ast.Node, path string) (bool, error) {
	if b, ok := y.resolve(n).(*ast.BoolNode); ok {
		return b.Value, nil
	}
	return false, y.errorf(n, path, "want true or false, got %s", describeNode(y.resolve(n)))
}

// scalars returns a scalar or a sequence of scalars as strings.
func (y *yamlReader) scalars(n ast.Node, path string) ([]string, error) {
	if s, ok := y.scalar(n); ok {
		return []string{s}, nil
	}
	seq, ok := y.resolve(n).(*ast.SequenceNode)
	if !ok {
		return nil, y.errorf(n, path, "want a value or a list of values, got %s", describeNode(y.resolve(n)))
	}
	out := make([]string, 0, len(seq.Values))
	for i, e := range seq.Values {
		s, ok := y.scalar(e)
		if !ok {
			return nil, y.errorf(e, fmt.Sprintf("%s[%d]", path, i), "want a plain value, got %s", describeNode(y.resolve(e)))
		}
		out = append(out, s)
	}
	return out, nil
}

// override reads one model's part.
func (y *yamlReader) override(n ast.Node, kind string) (*SpaceOverride, error) {
	kvs, err := y.mapping(n, kind)
	if err != nil {
		return nil, err
	}
	o := &SpaceOverride{}
	seen := map[string]bool{}
	for _, kv := range kvs {
		k, err := y.key(kv, kind)
		if err != nil {
			return nil, err
		}
		path := kind + "." + k
		if seen[k] {
			return nil, y.errorf(kv.Key, path, "appears twice")
		}
		seen[k] = true
		switch k {
		case "extends":
			s, ok := y.scalar(kv.Value)
			switch {
			case ok && s == "default":
			case ok && s == "none":
				o.Replace = true
			default:
				return nil, y.errorf(kv.Value, path, "want default or none, got %s", describeNode(y.resolve(kv.Value)))
			}
		case "params":
			pkvs, err := y.mapping(kv.Value, path)
			if err != nil {
				return nil, err
			}
			names := map[string]bool{}
			for _, pkv := range pkvs {
				name, err := y.key(pkv, path)
				if err != nil {
					return nil, err
				}
				ppath := path + "." + name
				if names[name] {
					return nil, y.errorf(pkv.Key, ppath, "parameter appears twice")
				}
				names[name] = true
				if _, null := y.resolve(pkv.Value).(*ast.NullNode); null || pkv.Value == nil {
					o.Drop = append(o.Drop, name)
					continue
				}
				p, err := y.param(pkv.Value, name, ppath)
				if err != nil {
					return nil, err
				}
				o.Params = append(o.Params, p)
			}
		default:
			return nil, y.errorf(kv.Key, path, "unknown field (want extends or params)")
		}
	}
	if o.Replace && len(o.Drop) > 0 {
		return nil, y.errorf(n, kind, "null removes a default parameter, but extends is none")
	}
	return o, nil
}

// param reads one parameter: a scalar (fixed), a list (categorical) or a mapping.
func (y *yamlReader) param(n ast.Node, name, path string) (Param, error) {
	if s, ok := y.scalar(n); ok {
		return FixedParam(name, s), nil
	}
	if _, ok := y.resolve(n).(*ast.SequenceNode); ok {
		choices, err := y.scalars(n, path)
		if err != nil {
			return Param{}, err
		}
		p := CategoricalParam(name, choices...)
		if err := p.validate(); err != nil {
			return Param{}, y.errorf(n, path, "%s", strings.TrimPrefix(err.Error(), name+": "))
		}
		return p, nil
	}
	kvs, err := y.mapping(n, path)
	if err != nil {
		return Param{}, y.errorf(n, path, "want a value, a list of choices or a mapping, got %s", describeNode(y.resolve(n)))
	}
	p := Param{Name: name}
	seen := map[string]bool{}
	hasBounds := false
	for _, kv := range kvs {
		k, err := y.key(kv, path)
		if err != nil {
			return Param{}, err
		}
		fpath := path + "." + k
		if seen[k] {
			return Param{}, y.errorf(kv.Key, fpath, "appears twice")
		}
		seen[k] = true
		switch k {
		case "type":
			s, _ := y.scalar(kv.Value)
			switch ParamType(s) {
			case Int, Float, Categorical:
				p.Type = ParamType(s)
			default:
				return Param{}, y.errorf(kv.Value, fpath, "want int, float or categorical, got %s", describeNode(y.resolve(kv.Value)))
			}
		case "low", "high":
			v, err := y.number(kv.Value, fpath)
			if err != nil {
				return Param{}, err
			}
			if k == "low" {
				p.Low = v
			} else {
				p.High = v
			}
			hasBounds = true
		case "log":
			if p.Log, err = y.boolean(kv.Value, fpath); err != nil {
				return Param{}, err
			}
		case "step":
			v, err := y.number(kv.Value, fpath)
			if err != nil {
				return Param{}, err
			}
			if v != math.Trunc(v) || v < 1 || v > 1<<30 {
				return Param{}, y.errorf(kv.Value, fpath, "want an integer >= 1, got %g", v)
			}
			p.Step = int(v)
		case "choices":
			if p.Choices, err = y.scalars(kv.Value, fpath); err != nil {
				return Param{}, err
			}
		case "when":
			w, err := y.condition(kv.Value, fpath)
			if err != nil {
				return Param{}, err
			}
			p.When = w
		default:
			return Param{}, y.errorf(kv.Key, fpath, "unknown field (want type, low, high, log, step, choices or when)")
		}
	}
	if p.Type == "" {
		if !seen["choices"] {
			return Param{}, y.errorf(n, path, "type is missing (int, float or categorical)")
		}
		p.Type = Categorical
	}
	if p.Type != Categorical && !hasBounds {
		return Param{}, y.errorf(n, path, "a %s parameter needs low and high", p.Type)
	}
	if p.Type != Categorical && (!seen["low"] || !seen["high"]) {
		return Param{}, y.errorf(n, path, "a %s parameter needs both low and high", p.Type)
	}
	if err := p.validate(); err != nil {
		return Param{}, y.errorf(n, path, "%s", strings.TrimPrefix(err.Error(), name+": "))
	}
	return p, nil
}

// condition reads "when: {parent: value}" or "when: {parent: [v1, v2]}".
func (y *yamlReader) condition(n ast.Node, path string) (*Condition, error) {
	kvs, err := y.mapping(n, path)
	if err != nil {
		return nil, err
	}
	if len(kvs) != 1 {
		return nil, y.errorf(n, path, "want one parent parameter, e.g. {penalty: elasticnet}, got %d", len(kvs))
	}
	parent, err := y.key(kvs[0], path)
	if err != nil {
		return nil, err
	}
	values, err := y.scalars(kvs[0].Value, path+"."+parent)
	if err != nil {
		return nil, err
	}
	if len(values) == 0 {
		return nil, y.errorf(kvs[0].Value, path+"."+parent, "want at least one value")
	}
	return &Condition{Param: parent, Values: values}, nil
}

// describeNode names a node's kind for messages.
func describeNode(n ast.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode:
		return "null"
	}
	if tk := n.GetToken(); tk != nil {
		return strconv.Quote(tk.Value)
	}
	return "a " + n.Type().String()
}

// pathOr returns path, or def when path is empty.
func pathOr(path, def string) string {
	if path == "" {
		return def
	}
	return path
}
