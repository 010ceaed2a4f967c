package baseline

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

// churn is a small binary problem over raw columns tenure and tickets.
func churn() *model.Problem {
	x := []float64{
		2, 5, // churned: short tenure, many tickets
		3, 4,
		10, 5,
		1, 0,
		24, 1,
		math.NaN(), 9,
	}
	return &model.Problem{
		Task: model.BinaryClassification, Classes: 2,
		Features: []model.Feature{{Name: "tenure"}, {Name: "tickets"}},
		X:        model.Matrix{Rows: 6, Cols: 2, Data: x},
		Y:        []float64{1, 1, 0, 0, 0, 1},
	}
}

func TestRuleClassification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		m    Rule
		want []float64 // P(class 1) per row of churn()
	}{
		{"condition", Rule{Expr: "tenure < 6 && tickets > 3"}, []float64{1, 1, 0, 0, 0, 0}},
		{"probability", Rule{Expr: "tenure < 6 && tickets > 3", Probability: 0.8}, []float64{0.8, 0.8, 0.2, 0.2, 0.2, 0.2}},
		{"negation passes NaN", Rule{Expr: "!(tenure >= 6) && tickets > 3"}, []float64{1, 1, 0, 0, 0, 1}},
		{"class code with abstention", Rule{Expr: "tenure < 6 ? 1 : tenure > 12 ? 0 : -1"}, []float64{1, 1, 0.5, 1, 0, 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := tc.m
			require.NoError(t, m.Fit(ctx, churn()))
			require.Equal(t, 2, m.Outputs())
			got := m.PredictTo(nil, churn().X)
			for i, p := range tc.want {
				require.InDelta(t, 1-p, got[2*i], 1e-15, "row %d", i)
				require.InDelta(t, p, got[2*i+1], 1e-15, "row %d", i)
			}
		})
	}
}

func TestRuleMulticlassAndRegression(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := &model.Problem{
		Task: model.MulticlassClassification, Classes: 3,
		Features: []model.Feature{{Name: "x"}},
		X:        model.Matrix{Rows: 4, Cols: 1, Data: []float64{0, 1, 2, 7}},
		Y:        []float64{0, 1, 2, 2},
	}
	m := Rule{Expr: "x", Probability: 0.6}
	require.NoError(t, m.Fit(ctx, p))
	got := m.PredictTo(nil, p.X)
	require.InDeltaSlice(t, []float64{
		0.6, 0.2, 0.2,
		0.2, 0.6, 0.2,
		0.2, 0.2, 0.6,
		0.25, 0.25, 0.5, // 7 is no class: the priors
	}, got, 1e-15)

	r := &model.Problem{
		Task: model.Regression, Features: []model.Feature{{Name: "tenure"}, {Name: "tickets"}},
		X: model.Matrix{Rows: 3, Cols: 2, Data: []float64{1, 2, 3, 4, math.NaN(), 1}},
		Y: []float64{10, 20, 60},
	}
	lin := Rule{Expr: "2 * tenure + tickets"}
	require.NoError(t, lin.Fit(ctx, r))
	require.Equal(t, []float64{4, 10, 30}, lin.PredictTo(nil, r.X), "NaN gives the training mean")
}

func TestRuleErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		m    Rule
		p    *model.Problem
		want string
	}{
		{"empty", Rule{}, churn(), "parameter rule is empty"},
		{"unknown column", Rule{Expr: "tenur < 6"}, churn(), `unknown column "tenur" in "tenur < 6"; did you mean "tenure"?`},
		{"outside the numeric subset", Rule{Expr: `tenure < 6 && "a" == "a"`}, churn(), "outside the numeric subset"},
		{"probability", Rule{Expr: "tenure < 6", Probability: 1.5}, churn(), "probability is 1.5"},
		{"categorical", Rule{Expr: "region == 1"}, func() *model.Problem {
			p := churn()
			p.Features = []model.Feature{{Name: "tenure"}, {Name: "region", Categorical: true, Categories: 3}}
			return p
		}(), `feature "region" is categorical`},
		{"regression needs a number", Rule{Expr: `tenure`}, &model.Problem{Task: model.Regression, Features: []model.Feature{{Name: "tenure"}},
			X: model.Matrix{Rows: 1, Cols: 1, Data: []float64{1}}, Y: []float64{math.Inf(1)}}, "target +Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := tc.m
			require.ErrorContains(t, m.Fit(ctx, tc.p), tc.want)
			require.Zero(t, m.Outputs())
		})
	}
}

func TestRuleParams(t *testing.T) {
	t.Parallel()
	var m Rule
	require.Equal(t, KindRule, m.Kind())
	require.Equal(t, map[string]string{"rule": "", "probability": "1"}, m.Params())
	require.NoError(t, m.SetParam("rule", "tenure < 6"))
	require.NoError(t, m.SetParam("probability", "0.9"))
	require.Equal(t, map[string]string{"rule": "tenure < 6", "probability": "0.9"}, m.Params())
	require.ErrorContains(t, m.SetParam("rule", "tenure <"), "parameter rule: rule: unexpected token")
	require.ErrorContains(t, m.SetParam("probability", "0"), "probability is 0")
	require.ErrorContains(t, m.SetParam("probability", "x"), "want a number")
	require.ErrorContains(t, m.SetParam("strategy", "x"), `unknown parameter "strategy"`)
	require.Equal(t, "tenure < 6", m.Expr)
}
