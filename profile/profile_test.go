package profile_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/profile"
)

func newFrame(t *testing.T, names []string, cols ...frame.Column) *frame.Frame {
	t.Helper()
	f, err := frame.New(names, cols)
	require.NoError(t, err)
	return f
}

func jsonOf(t *testing.T, p *profile.Profile) string {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return string(b)
}

func checks(p *profile.Profile) map[string][]profile.Finding {
	out := map[string][]profile.Finding{}
	for _, f := range p.Findings {
		out[f.Check] = append(out[f.Check], f)
	}
	return out
}

func TestComputeEmpty(t *testing.T) {
	t.Parallel()
	p := profile.Compute(newFrame(t, nil), profile.Options{})
	require.Equal(t, 0, p.Rows)
	require.Empty(t, p.Columns)
	require.Empty(t, p.Findings)
	require.JSONEq(t, `{"rows":0,"columns":[],"duplicate_rows":0,"duplicate_rows_ignoring_ids":0,
		"constant_columns":[],"near_constant_columns":[],"high_cardinality":[],"id_like":[],
		"correlations":{"pearson":{"columns":[],"values":[]},"spearman":{"columns":[],"values":[]}},
		"cramers_v":{"columns":[],"values":[]},"findings":[],
		"thresholds":{"missing":0.01,"zeros":0.01,"duplicates":0.01,"correlation":0.9,"high_cardinality":50,
		"near_constant":0.95,"leakage":0.99,"minority_share":0.1,"skewness":1,"outliers":0.01}}`, jsonOf(t, p))

	// Columns without rows.
	f := newFrame(t, []string{"x", "c", "y"}, frame.NewNumeric(nil), frame.NewCategoricalFromStrings(nil, nil), frame.NewNumeric(nil))
	p = profile.Compute(f, profile.Options{Target: "y"})
	require.Equal(t, 0, p.Rows)
	require.Len(t, p.Columns, 3)
	x := p.Column("x")
	require.Equal(t, frame.KindConstant, x.Type)
	require.True(t, math.IsNaN(float64(x.Mean)))
	require.Nil(t, x.Histogram)
	require.Contains(t, checks(p), profile.CheckTargetConstant)
	jsonOf(t, p) // encodes despite NaN
}

func TestComputeNumericEdgeCases(t *testing.T) {
	t.Parallel()
	inf, nan := math.Inf(1), math.NaN()
	f := newFrame(t, []string{"a", "allmissing", "one", "const", "negzero"},
		frame.NewNumeric([]float64{1, inf, 2, -inf, nan, 3, inf, 4}),
		frame.NewNumeric([]float64{nan, nan, nan, nan, nan, nan, nan, nan}),
		frame.NewNumeric([]float64{nan, nan, nan, 5, nan, nan, nan, nan}),
		frame.NewNumeric([]float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}),
		frame.NewNumeric([]float64{0, math.Copysign(0, -1), 1, 1, 2, 2, 3, 3}),
	)
	p := profile.Compute(f, profile.Options{})
	a := p.Column("a")
	require.Equal(t, 7, a.Count)
	require.Equal(t, 1, a.Missing)
	require.Equal(t, 3, a.Infinite)
	require.Equal(t, 6, a.Distinct, "1..4, +Inf and -Inf")
	require.InDelta(t, 2.5, float64(a.Mean), 1e-15, "over the finite values")
	require.Equal(t, 1.0, float64(a.Min))
	require.Equal(t, 4.0, float64(a.Max))
	require.Equal(t, 4, sum(a.Histogram.Counts))
	require.Len(t, checks(p)[profile.CheckInfinite], 1)
	require.Empty(t, a.Top, "only finite values that repeat are listed")
	require.InDelta(t, 2.0/7, a.TopShare, 1e-15, "+Inf is the mode")

	m := p.Column("allmissing")
	require.Equal(t, frame.KindConstant, m.Type)
	require.Equal(t, 0, m.Count)
	require.True(t, math.IsNaN(float64(m.Std)))

	one := p.Column("one")
	require.Equal(t, 5.0, float64(one.Mean))
	require.True(t, math.IsNaN(float64(one.Std)), "std of one value")
	require.True(t, math.IsNaN(float64(one.Skewness)))
	require.Equal(t, []float64{4.5, 5.5}, []float64{one.Histogram.Edges[0], one.Histogram.Edges[20]})

	c := p.Column("const")
	require.Equal(t, 0.0, float64(c.Std))
	require.Equal(t, 0.1, float64(c.Mean))
	require.True(t, math.IsNaN(float64(c.Skewness)))
	require.Equal(t, []string{"allmissing", "one", "const"}, p.ConstantColumns)

	z := p.Column("negzero")
	require.Equal(t, 4, z.Distinct, "-0 equals 0")
	require.Equal(t, 2, z.Zeros)
	require.True(t, z.Discrete)
	require.Equal(t, "0", z.Top[0].Value)

	// Correlations leave the infinities out, and constants out entirely.
	require.Equal(t, []string{"a", "negzero"}, p.Correlations.Pearson.Columns)
	r, ok := p.Correlations.Pearson.At("a", "negzero")
	require.True(t, ok)
	require.InDelta(t, pearson([]float64{1, 2, 3, 4}, []float64{0, 1, 2, 3}), r, 1e-12)
}

func TestComputeConstantOnCommonRows(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	// y varies, but is constant on the rows where x is present; z shares
	// two rows with x, w one.
	f := newFrame(t, []string{"x", "y", "z", "w"},
		frame.NewNumeric([]float64{nan, 2, 3, 4, nan, 6.5, 7}),
		frame.NewNumeric([]float64{9, 4, 4, 4, 1, 4, 4}),
		frame.NewNumeric([]float64{1, nan, 2, nan, 3, nan, 4}),
		frame.NewNumeric([]float64{5, 6, nan, nan, nan, nan, nan}))
	p := profile.Compute(f, profile.Options{})
	for i, m := range []profile.Matrix{p.Correlations.Pearson, p.Correlations.Spearman} {
		r, ok := m.At("x", "y")
		require.True(t, ok)
		require.True(t, math.IsNaN(r), "constant on the common rows")
		r, _ = m.At("x", "z")
		require.InDelta(t, 1, r, 1e-15, "two rows")
		r, _ = m.At("x", "w")
		require.True(t, math.IsNaN(r), "one row")
		r, _ = m.At("y", "z")
		y := [][]float64{{9, 4, 1, 4}, {4, 2.5, 1, 2.5}}[i] // values, then average ranks
		require.InDelta(t, pearson(y, []float64{1, 2, 3, 4}), r, 1e-15)
	}
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

func pearson(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxx, syy, sxy float64
	for i := range x {
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
		sxy += (x[i] - mx) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func TestComputeDeterministicAcrossWorkers(t *testing.T) {
	t.Parallel()
	f := numericFrame(t, 20_000, 8, 7)
	var want string
	for _, w := range []int{1, 2, 5} {
		got := jsonOf(t, profile.Compute(f, profile.Options{Target: "y", Workers: w}))
		if want == "" {
			want = got
			continue
		}
		require.Equal(t, want, got, "workers=%d", w)
	}
}

func TestComputeSample(t *testing.T) {
	t.Parallel()
	f := numericFrame(t, 5000, 4, 3)
	p := profile.Compute(f, profile.Options{SampleRows: 1000, Seed: 42})
	require.Equal(t, 1000, p.Rows)
	require.Equal(t, 5000, p.SampledFrom)
	require.Equal(t, jsonOf(t, p), jsonOf(t, profile.Compute(f, profile.Options{SampleRows: 1000, Seed: 42})))
	require.NotEqual(t, jsonOf(t, p), jsonOf(t, profile.Compute(f, profile.Options{SampleRows: 1000, Seed: 43})))
	all := profile.Compute(f, profile.Options{SampleRows: 5000})
	require.Equal(t, 5000, all.Rows)
	require.Zero(t, all.SampledFrom)
}

func TestComputeJSONShape(t *testing.T) {
	t.Parallel()
	ref, err := loadReference()
	require.NoError(t, err)
	p := referenceProfile(t, ref.Datasets[0])
	s := jsonOf(t, p)
	for _, key := range []string{
		`"rows":412`, `"columns":[{"name":"ticket_id","type":"id","storage":"text"`, `"missing_pct":`, `"distinct":`,
		`"top":[{"value":`, `"mean":`, `"std":`, `"min":`, `"max":`, `"quantiles":{"p05":`, `"p95":`, `"skewness":`,
		`"zeros":`, `"outliers_iqr":`, `"outliers_z":`, `"histogram":{"edges":[`, `"counts":[`,
		`"duplicate_rows":0`, `"duplicate_rows_ignoring_ids":12`, `"constant_columns":["source"]`,
		`"near_constant_columns":["country"]`, `"high_cardinality":["city"]`, `"id_like":["ticket_id"]`,
		`"correlations":{"pearson":{"columns":["age"`, `"spearman":`, `"cramers_v":{"columns":["region"`,
		`"target":{"column":"label","task":"classification"`, `"classes":[{"value":"0","count":377,"share":`,
		`"positive":"1"`, `"features":[{"column":"age","rows":392,"auc":`, `"mutual_info":`, `"r2":null`,
		`"findings":[{"severity":"error","check":"leakage","columns":["refund"],"message":"refund alone predicts label`,
		`"earliest":"2024-01-02T00:00:00Z"`, `"role":"time"`, `"role":"target"`,
	} {
		require.Contains(t, s, key)
	}
	var back profile.Profile
	require.NoError(t, json.Unmarshal([]byte(s), &back))
	require.Equal(t, s, jsonOf(t, &back), "round trip")
}

func TestComputeFindings(t *testing.T) {
	t.Parallel()
	ref, err := loadReference()
	require.NoError(t, err)
	byName := map[string]*profile.Profile{}
	for _, ds := range ref.Datasets {
		byName[ds.Name] = referenceProfile(t, ds)
	}
	type want struct {
		severity profile.Severity
		columns  []string
		message  string
	}
	for _, tc := range []struct {
		dataset, check string
		want           []want
	}{
		{"messy", profile.CheckLeakage, []want{{profile.SeverityError, []string{"refund"}, "refund alone predicts label almost perfectly (ROC AUC 1.000): check that it is not derived from the target or recorded after it"}}},
		{"messy", profile.CheckMissing, []want{
			{profile.SeverityWarning, []string{"age"}, "age: 4.4% missing"},
			{profile.SeverityWarning, []string{"insulin"}, "insulin: 45.4% missing"},
			{profile.SeverityWarning, []string{"region"}, "region: 4.1% missing"},
			{profile.SeverityWarning, []string{"rating"}, "rating: 10.7% missing"},
			{profile.SeverityWarning, []string{"comment"}, "comment: 17.0% missing"},
		}},
		{"messy", profile.CheckTargetMissing, []want{{profile.SeverityWarning, []string{"label"}, "label: 3 rows (0.7%) have no target value and cannot be used for training"}}},
		{"messy", profile.CheckClassImbalance, []want{{profile.SeverityWarning, []string{"label"}, `label: the minority class "1" is 7.8% of rows (32 of 409)`}}},
		{"messy", profile.CheckDuplicateRows, []want{{profile.SeverityWarning, []string{"ticket_id"}, "12 rows (2.9%) repeat an earlier row in every column except ticket_id"}}},
		{"messy", profile.CheckIDLike, []want{{profile.SeverityWarning, []string{"ticket_id"}, "ticket_id looks like an identifier (412 distinct values in 412 rows); leave it out of the features"}}},
		{"messy", profile.CheckConstant, []want{{profile.SeverityWarning, []string{"source"}, `source is constant: every value is "web"`}}},
		{"messy", profile.CheckNearConstant, []want{{profile.SeverityInfo, []string{"country"}, `country is nearly constant: 97.1% of values are "US"`}}},
		{"messy", profile.CheckHighCardinality, []want{{profile.SeverityWarning, []string{"city"}, "city has 69 distinct values (high cardinality): group rare values or use a target or hash encoding"}}},
		{"messy", profile.CheckHighCorrelation, []want{{profile.SeverityWarning, []string{"x1", "x2"}, "x1 and x2 correlate at 0.98 (Pearson)"}}},
		{"messy", profile.CheckZeros, []want{
			{profile.SeverityInfo, []string{"balance"}, "balance: 31.1% zeros"},
			{profile.SeverityInfo, []string{"refund"}, "refund: 1.5% zeros"},
		}},
		{"messy", profile.CheckSkewed, []want{
			{profile.SeverityInfo, []string{"insulin"}, "insulin is skewed (skewness 2.32)"},
			{profile.SeverityInfo, []string{"balance"}, "balance is skewed (skewness 1.99)"},
			{profile.SeverityInfo, []string{"refund"}, "refund is skewed (skewness 2.23)"},
		}},
		{"multiclass", profile.CheckDuplicateRows, []want{{profile.SeverityWarning, []string{}, "6 duplicate rows (4.0%): rows equal to an earlier row in every column"}}},
		{"regression", profile.CheckLeakage, []want{{profile.SeverityError, []string{"leak"}, "leak alone predicts y almost perfectly (R² 1.000): check that it is not derived from the target or recorded after it"}}},
		{"regression", profile.CheckTargetMissing, []want{{profile.SeverityWarning, []string{"y"}, "y: 5 rows (2.1%) have no target value and cannot be used for training"}}},
		{"breast_cancer", profile.CheckLeakage, nil},
		{"breast_cancer", profile.CheckClassImbalance, nil},
		{"diabetes", profile.CheckHighCorrelation, nil}, // s1 and s2 correlate at 0.897
	} {
		var got []want
		for _, f := range checks(byName[tc.dataset])[tc.check] {
			got = append(got, want{f.Severity, f.Columns, f.Message})
		}
		require.Equal(t, tc.want, got, "%s %s", tc.dataset, tc.check)
	}

	bc := checks(byName["breast_cancer"])[profile.CheckHighCorrelation]
	require.Len(t, bc, 21)
	require.Equal(t, "mean radius and mean perimeter correlate at 1.00 (Pearson)", bc[0].Message)

	// Errors come first, then warnings, then notes.
	for _, p := range byName {
		for i := 1; i < len(p.Findings); i++ {
			require.LessOrEqual(t, rank(p.Findings[i-1].Severity), rank(p.Findings[i].Severity))
		}
	}
}

func rank(s profile.Severity) int {
	return map[profile.Severity]int{profile.SeverityError: 0, profile.SeverityWarning: 1, profile.SeverityInfo: 2}[s]
}

func TestComputeTargetProblems(t *testing.T) {
	t.Parallel()
	x := frame.NewNumeric([]float64{1, 2, 3, 4, 5, 6})
	for _, tc := range []struct {
		name    string
		target  frame.Column
		opts    profile.Options
		check   string
		message string
	}{
		{"unknown", x, profile.Options{Target: "nope"}, profile.CheckUnknownColumn, `the target column "nope" is not in the data`},
		{"unknown id", x, profile.Options{IDs: []string{"nope"}}, profile.CheckUnknownColumn, `the id column "nope" is not in the data`},
		{"constant", frame.NewCategoricalFromStrings([]string{"a", "a", "a", "a", "a", "a"}, nil), profile.Options{Target: "y"},
			profile.CheckTargetConstant, `y: the target has a single value, "a"; there is nothing to learn`},
		{"all missing", frame.NewNumeric([]float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}),
			profile.Options{Target: "y"}, profile.CheckTargetConstant, "y: the target is missing in every row"},
		{"text", frame.NewText([]string{"a", "b", "c", "d", "e", "f"}, nil), profile.Options{Target: "y"},
			profile.CheckTargetUnusable, "y: a text column cannot be the target"},
		{"regression on strings", frame.NewCategoricalFromStrings([]string{"a", "b", "a", "b", "a", "b"}, nil),
			profile.Options{Target: "y", Task: profile.Regression}, profile.CheckTargetUnusable, "y: a regression target must be numeric, not categorical"},
		{"bad task", frame.NewNumeric([]float64{1, 2, 1, 2, 1, 2}), profile.Options{Target: "y", Task: "ranking"},
			profile.CheckTargetUnusable, `y: unknown task "ranking" (want classification or regression)`},
		{"multiclass imbalance", frame.NewCategoricalFromStrings(strings.Split("a a a a a a a a a a a a a a a a a a a a a b b b b b b b b b b c", " "), nil),
			profile.Options{Target: "y"}, profile.CheckClassImbalance, `y: the smallest class "c" has 1 rows against 21 for "a"`},
	} {
		target := tc.target
		feature := frame.Column(frame.NewNumeric(make([]float64, target.Len())))
		f := newFrame(t, []string{"x", "y"}, feature, target)
		p := profile.Compute(f, tc.opts)
		fs := checks(p)[tc.check]
		require.Len(t, fs, 1, tc.name)
		require.Equal(t, tc.message, fs[0].Message, tc.name)
		if tc.check == profile.CheckTargetUnusable || tc.check == profile.CheckUnknownColumn {
			require.Nil(t, p.Target, tc.name)
		}
	}
}

func TestComputeRoles(t *testing.T) {
	t.Parallel()
	n := 30
	id, ts, x, y := make([]float64, n), make([]int64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		id[i] = float64(1000 + i)
		ts[i] = int64(i) * 86400e9
		x[i] = float64(i % 7)
		y[i] = float64(i % 2)
	}
	f := newFrame(t, []string{"order", "ts", "x", "y"}, frame.NewNumeric(id), frame.NewDatetime(ts), frame.NewNumeric(x), frame.NewNumeric(y))
	p := profile.Compute(f, profile.Options{Target: "y", IDs: []string{"order"}, Time: "ts"})
	require.Equal(t, profile.RoleID, p.Column("order").Role)
	require.Equal(t, frame.KindID, p.Column("order").Type)
	require.Empty(t, checks(p)[profile.CheckIDLike], "declared ids raise no finding")
	require.Equal(t, []string{"order"}, p.IDLike)
	require.Equal(t, profile.RoleTime, p.Column("ts").Role)
	require.Equal(t, []string{"x", "y"}, p.Correlations.Pearson.Columns)
	require.Len(t, p.Target.Features, 1)
	require.Equal(t, "x", p.Target.Features[0].Column)

	require.Empty(t, checks(profile.Compute(f, profile.Options{IDs: []string{""}}))[profile.CheckUnknownColumn])

	// Inferred without the options: order is an auto-increment id.
	p = profile.Compute(f, profile.Options{})
	require.Equal(t, frame.KindID, p.Column("order").Type)
	require.Len(t, checks(p)[profile.CheckIDLike], 1)
	require.Nil(t, p.Target)
}

func TestComputePanicsOnBadOptions(t *testing.T) {
	t.Parallel()
	f := numericFrame(t, 10, 2, 1)
	require.Panics(t, func() { profile.Compute(f, profile.Options{Bins: -1}) })
	require.Panics(t, func() { profile.Compute(f, profile.Options{SampleRows: -1}) })
	p := profile.Compute(f, profile.Options{Bins: 3})
	require.Len(t, p.Column("x0").Histogram.Counts, 3)
}

func TestFloatJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal([]profile.Float{1.5, profile.Float(math.NaN()), profile.Float(math.Inf(-1)), 0})
	require.NoError(t, err)
	require.Equal(t, `[1.5,null,null,0]`, string(b))
	var back []profile.Float
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, profile.Float(1.5), back[0])
	require.True(t, math.IsNaN(float64(back[1])))
	require.Error(t, json.Unmarshal([]byte(`["x"]`), &back))
}

func TestThresholdsWithDefaults(t *testing.T) {
	t.Parallel()
	th := profile.Thresholds{Correlation: 0.8}.WithDefaults()
	require.Equal(t, 0.8, th.Correlation)
	require.Equal(t, profile.DefaultMissing, th.Missing)
	require.Equal(t, profile.DefaultHighCardinality, th.HighCardinality)
	f := numericFrame(t, 2000, 6, 5)
	strict := profile.Compute(f, profile.Options{Thresholds: profile.Thresholds{Missing: 0.001}})
	loose := profile.Compute(f, profile.Options{Thresholds: profile.Thresholds{Missing: 0.5}})
	require.NotEmpty(t, checks(strict)[profile.CheckMissing])
	require.Empty(t, checks(loose)[profile.CheckMissing])
}
