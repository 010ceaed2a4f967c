package rule

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/stretchr/testify/require"
)

var columns = []string{"tenure", "tickets", "monthly charges", "region"}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, expr string
		want       string
	}{
		{"empty", "  ", "rule: empty expression"},
		{"unknown column with suggestion", "tenur < 6", `rule: unknown column "tenur" in "tenur < 6"; did you mean "tenure"? (columns: tenure, tickets, monthly charges, region)`},
		{"unknown column far from any", "churned", `rule: unknown column "churned" in "churned"`},
		{"unknown $env column", `$env["monthly charge"] > 3`, `did you mean "monthly charges"?`},
		{"syntax", "tenure < ", "rule: unexpected token EOF"},
		{"now disabled", "now() > 3", `now() is not allowed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tc.expr, columns)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := Compile("a", []string{"a", "a"})
	require.ErrorContains(t, err, `column "a" appears twice`)
	r, err := Compile("a > 1", []string{"", "a", ""})
	require.NoError(t, err, "unnamed columns are allowed")
	v, err := r.EvalFloat([]float64{5, 2, 5})
	require.NoError(t, err)
	require.Equal(t, 1.0, v)
}

func TestEval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, expr string
		row        []any
		want       any
		kind       Kind
		fast       bool
	}{
		{"condition true", "tenure < 6 && tickets > 3", []any{3.0, 5.0, 70.0, "EU"}, true, Bool, true},
		{"condition false", "tenure < 6 && tickets > 3", []any{8.0, 5.0, 70.0, "EU"}, false, Bool, true},
		{"NaN fails comparisons", "tenure < 6", []any{math.NaN(), 5.0, 70.0, "EU"}, false, Bool, true},
		{"NaN passes negations", "!(tenure >= 6)", []any{math.NaN(), 5.0, 70.0, "EU"}, true, Bool, true},
		{"arithmetic", "2 * tenure + tickets / 2", []any{3.0, 5.0, 70.0, "EU"}, 8.5, Number, true},
		{"env access", `$env["monthly charges"] > 50`, []any{3.0, 5.0, 70.0, "EU"}, true, Bool, true},
		{"ternary", "tenure < 6 ? 1 : 0", []any{3.0, 5.0, 70.0, "EU"}, 1, Number, true},
		{"builtins", "max(abs(-tenure), 2, round(tickets / 2))", []any{1.0, 5.0, 70.0, "EU"}, 3.0, Number, true},
		{"strings use the VM", `region == "EU" && tenure < 6`, []any{3.0, 5.0, 70.0, "EU"}, true, Unknown, false},
		{"let uses the VM", `let t = tenure; t * 2`, []any{3.0, 5.0, 70.0, "EU"}, 6.0, Unknown, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := Compile(tc.expr, columns)
			require.NoError(t, err)
			require.Equal(t, tc.kind, r.Kind())
			require.Equal(t, tc.fast, r.Fast())
			got, err := r.Eval(tc.row)
			require.NoError(t, err)
			require.EqualValues(t, tc.want, got)
			m := map[string]any{}
			for i, c := range columns {
				m[c] = tc.row[i]
			}
			got, err = r.EvalMap(m)
			require.NoError(t, err)
			require.EqualValues(t, tc.want, got)
		})
	}
}

func TestEvalErrors(t *testing.T) {
	t.Parallel()
	r, err := Compile(`region == "EU" && tenure < 6`, columns)
	require.NoError(t, err)
	require.Equal(t, []string{"tenure", "region"}, r.Uses())
	_, err = r.EvalMap(map[string]any{"tenure": 1.0})
	require.ErrorContains(t, err, `no value for column "region"`)
	_, err = r.EvalFloat([]float64{1, 2, 3, 4})
	require.NoError(t, err, "comparing a number with a string is false, not an error")
	s, err := Compile(`region + "x"`, columns)
	require.NoError(t, err)
	_, err = s.EvalFloat([]float64{1, 2, 3, 4})
	require.ErrorContains(t, err, "rule")
	require.Panics(t, func() { _, _ = r.Eval([]any{1.0}) })
}

// TestFastMatchesVM checks that the closures compute what expr's virtual
// machine computes, on random rows with NaN, infinities, zeros and signed
// zeros.
func TestFastMatchesVM(t *testing.T) {
	t.Parallel()
	exprs := []string{
		"a < b", "a <= 2.5", "a > b || c >= 1", "!(a == b) and not (c != 0)",
		"a + b * c - 1", "a / b", "a / 0", "-a ** 2", "a ^ 0.5", "+a",
		"a < 0 ? b : c", "if a > b { a } else { b * 2 }", "(a < 1) == (b < 1)", "(a < 1) != true",
		"abs(a)", "ceil(a) + floor(b) + round(c)", "max(a, b, c)", "min(a, b)", "max(a)", "min(c, a, 3)",
		"1 / 2 + a", "7 / 2", "2 ** 3", "9007199254740992 + a", "a == 3", "false || a > 0", "true && b <= c",
		`$env["a"] * 2`,
	}
	cols := []string{"a", "b", "c"}
	values := []float64{0, math.Copysign(0, -1), 1, -1, 2.5, 3, -7.25, 1e300, math.NaN(), math.Inf(1), math.Inf(-1)}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, src := range exprs {
		r, err := Compile(src, cols)
		require.NoError(t, err, src)
		require.True(t, r.Fast(), src)
		program, err := expr.Compile(src, options()...)
		require.NoError(t, err)
		for range 200 {
			row := []float64{values[rng.IntN(len(values))], values[rng.IntN(len(values))], values[rng.IntN(len(values))]}
			got, err := r.EvalFloat(row)
			require.NoError(t, err)
			out, err := expr.Run(program, map[string]any{"a": row[0], "b": row[1], "c": row[2]})
			require.NoError(t, err, src)
			want, err := toFloat(out, src)
			require.NoError(t, err)
			if math.IsNaN(want) {
				require.True(t, math.IsNaN(got), "%s on %v: got %v, want NaN", src, row, got)
				continue
			}
			require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%s on %v: got %v, want %v", src, row, got, want)
		}
	}
}

// TestEvalFloatAllocations is not parallel: testing.AllocsPerRun panics in
// parallel tests.
func TestEvalFloatAllocations(t *testing.T) {
	r, err := Compile("tenure < 6 && tickets > 3 ? 2 * tenure : max(tickets, 1)", columns)
	require.NoError(t, err)
	row := []float64{3, 5, 70, 0}
	allocs := testing.AllocsPerRun(100, func() { _, _ = r.EvalFloat(row) })
	require.Zero(t, allocs)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	require.NoError(t, Check("anything_goes < 3"))
	require.ErrorContains(t, Check("a <"), "unexpected token")
	require.ErrorContains(t, Check(""), "empty")
}

// FuzzCompile checks that Compile never panics and that, when the closures
// apply, they agree with expr's virtual machine.
func FuzzCompile(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is slow")
	}
	for _, s := range []string{"a < 6 && b > 3", "a ? b : c", "max(a, b) / c", `$env["a"]`, "a ** b ^ c", "let x = a; x", "[a, b][0]", "a in [1, 2]", "((a", "a.b.c", "-a", "!a", "abs()"} {
		f.Add(s, 1.0, 2.0, math.NaN())
	}
	cols := []string{"a", "b", "c"}
	f.Fuzz(func(t *testing.T, src string, a, b, c float64) {
		r, err := Compile(src, cols)
		if err != nil || !r.Fast() {
			return
		}
		got, err := r.EvalFloat([]float64{a, b, c})
		require.NoError(t, err)
		out, err := r.Eval([]any{a, b, c})
		if err != nil {
			return // e.g. integer overflow checks the closures do not make
		}
		want, err := toFloat(out, src)
		require.NoError(t, err)
		if math.IsNaN(want) {
			require.True(t, math.IsNaN(got), "%q on %v: got %v", src, []float64{a, b, c}, got)
			return
		}
		require.Equal(t, want, got, "%q on %v", src, []float64{a, b, c})
	})
}
