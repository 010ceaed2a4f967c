package expect

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
)

func f64(v float64) *float64 { return &v }

func messy(t *testing.T) *frame.Frame {
	t.Helper()
	nan := math.NaN()
	f, err := frame.New([]string{"id", "age", "plan"}, []frame.Column{
		frame.NewNumeric([]float64{1, 2, 3, 3, 5, 6}),
		frame.NewNumeric([]float64{30, nan, 150, -2, 40, 40}),
		frame.NewCategoricalFromStrings([]string{"basic", "pro", "gold", "pro", "basic", "basic"}, nil),
	})
	require.NoError(t, err)
	return f
}

func TestCheckFindsEachProblemWithExamples(t *testing.T) {
	t.Parallel()
	e := &Expectations{
		Rows: &Range{Min: f64(10)},
		Columns: map[string]*Column{
			"id":      {Unique: true},
			"age":     {Type: "numeric", Min: f64(0), Max: f64(120), MaxMissingPct: f64(10)},
			"plan":    {Allowed: []string{"basic", "pro"}},
			"country": {},
			"maybe":   {Required: new(bool)},
		},
	}
	rep := Check(messy(t), e)
	require.False(t, rep.OK())
	got := map[string]Failure{}
	for _, f := range rep.Failures {
		got[f.Check+":"+f.Column] = f
	}
	require.Len(t, got, 6, "%+v", rep.Failures)
	require.Equal(t, "6", got["rows:"].Observed)
	require.Equal(t, []string{"line 5 repeats line 4: 3"}, got["unique:id"].Examples)
	require.Equal(t, 2, got["range:age"].Count)
	require.Equal(t, []string{"line 4: 150", "line 5: -2"}, got["range:age"].Examples)
	require.Equal(t, "16.67% missing", got["max_missing_pct:age"].Observed)
	require.Equal(t, []string{`line 4: "gold"`}, got["allowed:plan"].Examples)
	require.Equal(t, "missing", got["column_present:country"].Observed)
}

func TestCheckTypeAndDuplicates(t *testing.T) {
	t.Parallel()
	f, err := frame.New([]string{"a", "b"}, []frame.Column{
		frame.NewNumeric([]float64{1, 2, 1}),
		frame.NewCategoricalFromStrings([]string{"x", "y", "x"}, nil),
	})
	require.NoError(t, err)
	rep := Check(f, &Expectations{NoDuplicates: true, Columns: map[string]*Column{"b": {Type: "numeric", Min: f64(0)}}})
	require.Len(t, rep.Failures, 2)
	require.Equal(t, "no_duplicates", rep.Failures[0].Check)
	require.Equal(t, []string{"line 4 repeats line 2"}, rep.Failures[0].Examples)
	require.Equal(t, "type", rep.Failures[1].Check)
	require.Equal(t, "categorical", rep.Failures[1].Observed)
}

func TestInferThenCheckPassesOnTheReference(t *testing.T) {
	t.Parallel()
	f := messy(t)
	schema := frame.InferSchema(f, frame.SchemaOptions{})
	e := Infer(f, schema)
	rep := Check(f, e)
	require.True(t, rep.OK(), "%+v", rep.Failures)
	require.Greater(t, rep.Checked, 6)
	require.Equal(t, -17.2, *e.Columns["age"].Min, "observed -2, widened by 10% of the span 152")
	require.Equal(t, 165.2, *e.Columns["age"].Max)
	require.Equal(t, []string{"basic", "gold", "pro"}, e.Columns["plan"].Allowed)
	require.Equal(t, 34.34, *e.Columns["age"].MaxMissingPct, "2 × 16.67% + 1")

	// A drifted version fails.
	g, err := frame.New([]string{"id", "age", "plan"}, []frame.Column{
		frame.NewNumeric([]float64{1, 2, 3}),
		frame.NewNumeric([]float64{300, 20, 30}),
		frame.NewCategoricalFromStrings([]string{"basic", "platinum", "pro"}, nil),
	})
	require.NoError(t, err)
	rep = Check(g, e)
	var checks []string
	for _, x := range rep.Failures {
		checks = append(checks, x.Check+":"+x.Column)
	}
	require.Equal(t, "range:age allowed:plan", strings.Join(checks, " "))
}
