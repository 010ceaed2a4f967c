package feature

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
)

// testFrame has one column of every kind the pipeline handles.
func testFrame(t *testing.T) *frame.Frame {
	t.Helper()
	nan := math.NaN()
	day := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		require.NoError(t, err)
		return v
	}
	f, err := frame.New(
		[]string{"id", "age", "plan", "active", "signup", "note", "const", "y"},
		[]frame.Column{
			frame.NewNumeric([]float64{101, 102, 103, 104, 105}),
			frame.NewNumeric([]float64{20, nan, 40, 30, 10}),
			frame.NewCategoricalFromStrings([]string{"basic", "pro", "basic", "", "team"}, []bool{false, false, false, true, false}),
			frame.NewBool([]bool{true, false, true, true, false}, nil),
			frame.NewDatetimeFromTimes([]time.Time{day("2025-01-06 10:00"), day("2025-02-07 11:00"), day("2025-03-08 12:00"), day("2025-04-09 13:00"), day("2025-05-10 14:00")}),
			frame.NewText([]string{"a long free text note one", "b", "c", "d", "e"}, nil),
			frame.NewNumeric([]float64{7, 7, 7, 7, 7}),
			frame.NewNumeric([]float64{0, 1, 0, 1, 1}),
		})
	require.NoError(t, err)
	return f
}

func testSchema(f *frame.Frame) frame.Schema {
	s := frame.InferSchema(f, frame.SchemaOptions{})
	for i := range s.Fields {
		switch s.Fields[i].Name {
		case "id":
			s.Fields[i].Kind = frame.KindID
		case "note":
			s.Fields[i].Kind = frame.KindText
		case "const":
			s.Fields[i].Kind = frame.KindConstant
		case "age":
			s.Fields[i].Kind = frame.KindNumeric
		}
	}
	return s
}

func TestFitLinear(t *testing.T) {
	t.Parallel()
	f := testFrame(t)
	p, err := Fit(f, testSchema(f), Config{Exclude: []string{"y"}, Impute: ImputeMedian, Categorical: OneHot, Scale: true, MissingIndicator: true})
	require.NoError(t, err)

	var names []string
	for _, o := range p.Outputs {
		names = append(names, o.Name)
	}
	require.Equal(t, []string{"age", "age__missing", "plan=basic", "plan=pro", "plan=team", "active=false", "active=true",
		"signup.year", "signup.month", "signup.weekday", "signup.hour"}, names)
	var dropped []string
	for _, d := range p.Dropped {
		dropped = append(dropped, d.Column)
	}
	require.ElementsMatch(t, []string{"id", "note", "const", "y"}, dropped)

	m, err := p.Transform(f)
	require.NoError(t, err)
	// age: median of {10,20,30,40} = 25 fills row 1; the imputed column is
	// {20,25,40,30,10}: mean 25, population std sqrt(((−5)²+0²+15²+5²+(−15)²)/5) = sqrt(100).
	std := math.Sqrt(100)
	require.InDelta(t, (20-25)/std, m.At(0, 0), 1e-12)
	require.InDelta(t, 0, m.At(1, 0), 1e-12)
	require.Equal(t, 1.0, m.At(1, 1), "missing indicator")
	require.Equal(t, 0.0, m.At(0, 1))
	// plan: one-hot, missing row 3 is all zeros.
	require.Equal(t, []float64{1, 0, 0}, m.Row(0)[2:5])
	require.Equal(t, []float64{0, 0, 0}, m.Row(3)[2:5])
	// signup month of row 1 (February) scaled: months {1..5}, mean 3, std sqrt(2).
	require.InDelta(t, (2-3)/math.Sqrt(2), m.At(1, 8), 1e-12)
	// Scaled training columns have mean 0.
	for j := range m.Cols {
		sum := 0.0
		for i := range m.Rows {
			sum += m.At(i, j)
		}
		if names[j] != "age__missing" && !strings.HasPrefix(names[j], "plan") && !strings.HasPrefix(names[j], "active") {
			require.InDelta(t, 0, sum/float64(m.Rows), 1e-12, names[j])
		}
	}
}

func TestFitBoostingKeepsNaNAndCodes(t *testing.T) {
	t.Parallel()
	f := testFrame(t)
	p, err := Fit(f, testSchema(f), Config{Exclude: []string{"y"}, Impute: ImputeNone, Categorical: Native})
	require.NoError(t, err)
	m, err := p.Transform(f)
	require.NoError(t, err)
	require.True(t, math.IsNaN(m.At(1, 0)), "native missing")
	require.Equal(t, "plan", p.Outputs[1].Name)
	require.True(t, p.Outputs[1].Categorical)
	require.Equal(t, 3, p.Outputs[1].Categories)
	require.Equal(t, 0.0, m.At(0, 1)) // basic
	require.Equal(t, 1.0, m.At(1, 1)) // pro
	require.True(t, math.IsNaN(m.At(3, 1)))
}

func TestUnseenAndInfrequentCategories(t *testing.T) {
	t.Parallel()
	cats := []string{"a", "a", "a", "b", "b", "c"}
	f, err := frame.New([]string{"x"}, []frame.Column{frame.NewCategoricalFromStrings(cats, nil)})
	require.NoError(t, err)
	p, err := Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), Config{Categorical: OneHot, MaxCategories: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, p.Inputs[0].Categories)
	require.True(t, p.Inputs[0].Other)
	require.Len(t, p.Outputs, 3)

	live, err := frame.New([]string{"x"}, []frame.Column{frame.NewCategoricalFromStrings([]string{"c", "zzz", "b"}, nil)})
	require.NoError(t, err)
	m, err := p.Transform(live)
	require.NoError(t, err)
	require.Equal(t, []float64{0, 0, 1}, m.Row(0), "infrequent goes to other")
	require.Equal(t, []float64{0, 0, 1}, m.Row(1), "unseen goes to other")
	require.Equal(t, []float64{0, 1, 0}, m.Row(2))
}

func TestTransformErrorsNameTheColumn(t *testing.T) {
	t.Parallel()
	f := testFrame(t)
	p, err := Fit(f, testSchema(f), ForLinear())
	require.NoError(t, err)
	g, err := f.Drop("age")
	require.NoError(t, err)
	_, err = p.Transform(g)
	require.ErrorContains(t, err, "column age is missing")

	h, err := frame.New([]string{"age"}, []frame.Column{frame.NewCategoricalFromStrings([]string{"old"}, nil)})
	require.NoError(t, err)
	_, err = p.Transform(h)
	require.ErrorContains(t, err, "column age is categorical")
}

// Not parallel: testing.AllocsPerRun refuses to run beside parallel tests.
func TestRowMatchesFrameAndAllocatesNothing(t *testing.T) {
	f := testFrame(t)
	for _, cfg := range []Config{ForLinear(), ForTrees(), ForBoosting()} {
		cfg.Exclude = []string{"y"}
		p, err := Fit(f, testSchema(f), cfg)
		require.NoError(t, err)
		m, err := p.Transform(f)
		require.NoError(t, err)

		// Round trip through JSON, as a bundle does.
		b, err := json.Marshal(p)
		require.NoError(t, err)
		var q Pipeline
		require.NoError(t, json.Unmarshal(b, &q))
		require.NoError(t, q.Prepare())

		row := make([]Value, len(q.Inputs))
		dst := make([]float64, q.NumFeatures())
		for i := range f.NumRows() {
			for k, in := range q.Inputs {
				col := f.Column(in.Name)
				if col.IsMissing(i) {
					row[k] = Value{Missing: true}
					continue
				}
				switch c := col.(type) {
				case *frame.Numeric:
					row[k] = Value{Num: c.Values()[i]}
				case *frame.Datetime:
					tm, _ := c.Time(i)
					row[k] = Value{Str: tm.Format("2006-01-02 15:04:05"), IsStr: true}
				default:
					row[k] = Value{Str: col.Cell(i), IsStr: true}
				}
			}
			require.NoError(t, q.TransformRowTo(dst, row))
			for j := range dst {
				want, got := m.At(i, j), dst[j]
				if math.IsNaN(want) {
					require.True(t, math.IsNaN(got))
				} else {
					require.Equal(t, want, got, "%s row %d feature %s", cfg.Categorical, i, q.Outputs[j].Name)
				}
			}
		}
		allocs := testing.AllocsPerRun(100, func() { _ = q.TransformRowTo(dst, row) })
		require.Zero(t, allocs)
	}
}

func TestRowErrors(t *testing.T) {
	t.Parallel()
	f := testFrame(t)
	p, err := Fit(f, testSchema(f), ForLinear())
	require.NoError(t, err)
	row := make([]Value, len(p.Inputs))
	for i := range row {
		row[i] = Value{Missing: true}
	}
	dst := make([]float64, p.NumFeatures())
	require.NoError(t, p.TransformRowTo(dst, row), "all missing is valid: imputed")
	row[0] = Value{Str: "abc", IsStr: true}
	require.ErrorContains(t, p.TransformRowTo(dst, row), `column age: "abc" is not a number`)
	row[0] = Value{Num: math.Inf(1)}
	require.ErrorContains(t, p.TransformRowTo(dst, row), "infinite")
	require.ErrorContains(t, p.TransformRowTo(dst, row[:1]), "expects")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, Config{}.WithDefaults().Validate())
	require.Error(t, Config{Impute: "magic"}.WithDefaults().Validate())
	require.Error(t, Config{Categorical: "hash"}.WithDefaults().Validate())
	require.Error(t, Config{Categorical: Native, MaxCategories: 1000}.WithDefaults().Validate())
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"2025-03-04", "2025-03-04T00:00:00Z", true},
		{"2025-03-04 05:06", "2025-03-04T05:06:00Z", true},
		{"2025-03-04T05:06:07", "2025-03-04T05:06:07Z", true},
		{"2025-03-04T05:06:07.25Z", "2025-03-04T05:06:07.25Z", true},
		{"2025-03-04T05:06:07+02:00", "2025-03-04T03:06:07Z", true},
		{"2025-03-04T05:06:07-0130", "2025-03-04T06:36:07Z", true},
		{"2025-02-30", "", false},
		{"2025-13-01", "", false},
		{"04/03/2025", "", false},
		{"2025-03-04X05:06", "", false},
		{"2025-03-04T25:00", "", false},
	} {
		got, ok := parseTime(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		if ok {
			require.Equal(t, tc.want, got.UTC().Format(time.RFC3339Nano), tc.in)
		}
	}
}
