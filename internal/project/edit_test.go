package project

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/expect"
)

func TestSetExpectationsKeepsTheRestOfTheFile(t *testing.T) {
	t.Parallel()
	src, err := Template(TemplateParams{Name: "p"})
	require.NoError(t, err)
	min, max := 10.0, 20.0
	e := &expect.Expectations{Rows: &expect.Range{Min: &min, Max: &max}, Columns: map[string]*expect.Column{"age": {Type: "numeric", Min: &min}}}
	out, err := SetExpectations("mlw.yaml", src, e)
	require.NoError(t, err)
	cfg, err := Parse("mlw.yaml", out)
	require.NoError(t, err)
	require.NotNil(t, cfg.Data.Expectations)
	require.Equal(t, 20.0, *cfg.Data.Expectations.Rows.Max)
	require.Equal(t, "numeric", cfg.Data.Expectations.Columns["age"].Type)
	for _, line := range strings.Split(string(src), "\n") {
		if strings.Contains(line, "#") {
			require.Contains(t, string(out), strings.TrimSpace(line[strings.Index(line, "#"):]), "comments are kept")
		}
	}

	// Replacing keeps one expectations block.
	max2 := 30.0
	e.Rows.Max = &max2
	again, err := SetExpectations("mlw.yaml", out, e)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(again), "expectations:"))
	cfg, err = Parse("mlw.yaml", again)
	require.NoError(t, err)
	require.Equal(t, 30.0, *cfg.Data.Expectations.Rows.Max)

	// A file without data: gets one.
	bare, err := SetExpectations("mlw.yaml", []byte("name: x\ntask: regression\n"), e)
	require.NoError(t, err)
	cfg, err = Parse("mlw.yaml", bare)
	require.NoError(t, err)
	require.NotNil(t, cfg.Data.Expectations)
}
