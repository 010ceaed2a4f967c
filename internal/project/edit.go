package project

import (
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"mlw.dev/internal/expect"
)

// SetExpectations returns src with data.expectations replaced by e (or added),
// keeping every other line and comment of the file as it was.
func SetExpectations(name string, src []byte, e *expect.Expectations) ([]byte, error) {
	f, err := parser.ParseBytes(src, parser.ParseComments)
	if err != nil {
		return nil, yamlError(name, err)
	}
	has := func(path string) bool {
		p, err := yaml.PathString(path)
		if err != nil {
			return false
		}
		n, err := p.FilterFile(f)
		return err == nil && n != nil
	}
	var (
		at    string
		value any
	)
	switch {
	case has("$.data.expectations"):
		at, value = "$.data.expectations", e
	case has("$.data"):
		at, value = "$.data", map[string]any{"expectations": e}
	default:
		at, value = "$", map[string]any{"data": map[string]any{"expectations": e}}
	}
	node, err := yaml.ValueToNode(value)
	if err != nil {
		return nil, fmt.Errorf("encode expectations: %w", err)
	}
	p, err := yaml.PathString(at)
	if err != nil {
		return nil, err
	}
	if at == "$.data.expectations" {
		err = p.ReplaceWithNode(f, node)
	} else {
		err = p.MergeFromNode(f, node)
	}
	if err != nil {
		return nil, fmt.Errorf("edit %s: %w", name, err)
	}
	out := []byte(f.String() + "\n")
	if _, err := Parse(name, out); err != nil {
		return nil, fmt.Errorf("edited %s does not parse: %w", name, err)
	}
	return out, nil
}
