package report

import (
	"context"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/internal/evaluate"
	"mlw.dev/internal/train"
	"mlw.dev/metrics"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
)

// evalFixture evaluates simulated predictions: no model is fitted, so the
// report is quick and fixed. Binary rows have the label [x + 0.15·noise >
// 0], flipped 40% of the time where channel == channel0 and category ==
// "marketing", and the predicted probability sigmoid(6x); regression rows
// have y = 2x + noise, five times noisier in region "north", and the
// prediction 2x.
func evalFixture(t *testing.T, task model.Task, channel0 string) *evaluate.Report {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 1500
	channels := []string{channel0, "web", "phone"}
	categories := []string{"marketing", "billing", "support"}
	ch, cat := make([]string, n), make([]string, n)
	x, age, y := make([]float64, n), make([]float64, n), make([]float64, n)
	classes := []string{"no", "yes"}
	k := 2
	if task == model.MulticlassClassification {
		classes, k = []string{"low", "mid", "high"}, 3
	}
	pred := &bundle.Predictions{Rows: n, Outputs: k}
	base := &bundle.Predictions{Rows: n, Outputs: k}
	if task == model.Regression {
		pred.Outputs, base.Outputs, classes = 1, 1, nil
	}
	for i := range n {
		ch[i], cat[i] = channels[rng.IntN(3)], categories[rng.IntN(3)]
		x[i] = rng.NormFloat64()
		age[i] = math.Round(20 + 50*rng.Float64())
		if rng.Float64() < 0.05 {
			age[i] = math.NaN()
		}
		switch task {
		case model.Regression:
			noise := rng.NormFloat64()
			if ch[i] == "north" {
				noise *= 5
			}
			y[i] = 2*x[i] + noise
			pred.Values = append(pred.Values, 2*x[i])
			base.Values = append(base.Values, 0)
		case model.BinaryClassification:
			p := 1 / (1 + math.Exp(-6*x[i]))
			if x[i]+0.15*rng.NormFloat64() > 0 {
				y[i] = 1
			}
			if ch[i] == channel0 && cat[i] == "marketing" && rng.Float64() < 0.4 {
				y[i] = 1 - y[i]
			}
			pred.Values = append(pred.Values, 1-p, p)
			pred.Codes = append(pred.Codes, b2i(p >= 0.5))
			base.Values = append(base.Values, 0.5, 0.5)
			base.Codes = append(base.Codes, 1)
		default:
			c := 0
			switch {
			case x[i] > 0.6:
				c = 2
			case x[i] > -0.4:
				c = 1
			}
			y[i] = float64(c)
			if rng.Float64() < 0.2 {
				y[i] = float64(rng.IntN(3))
			}
			pr := []float64{0.1, 0.1, 0.1}
			pr[c] = 0.8
			pred.Values = append(pred.Values, pr...)
			pred.Codes = append(pred.Codes, c)
			base.Values = append(base.Values, 1.0/3, 1.0/3, 1.0/3)
			base.Codes = append(base.Codes, 0)
		}
	}
	names := []string{"channel", "category", "x", "age"}
	if task == model.Regression {
		names[0] = "region"
	}
	f, err := frame.New(names, []frame.Column{
		frame.NewCategoricalFromStrings(ch, nil), frame.NewCategoricalFromStrings(cat, nil), frame.NewNumeric(x), frame.NewNumeric(age),
	})
	require.NoError(t, err)
	in := &evaluate.Input{
		Task: task, Classes: classes, Target: y, Pred: pred, Baseline: base, Rows: f,
		Costs: metrics.Costs{FP: 3, FN: 1}, Segments: []string{names[0]}, Seed: 1,
		RunID: "r-7", ModelKind: "gbdt", Part: "test", BaselineRunID: "r-1", BaselineKind: "prior",
	}
	if task == model.BinaryClassification {
		in.Sensitive, in.TargetPrecision = []string{"category"}, 0.8
	}
	r, err := evaluate.Evaluate(context.Background(), in, evaluate.Options{Resamples: 200})
	require.NoError(t, err)
	r.PermutationImportance = []train.Importance{{Column: "x", Mean: 0.31, Std: 0.012}, {Column: "age", Mean: 0.0004, Std: 0.001}, {Column: names[0], Mean: -0.001, Std: 0.002}}
	return r
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestEvaluationHTMLGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		golden string
		task   model.Task
	}{
		{"evaluate_binary.html", model.BinaryClassification},
		{"evaluate_regression.html", model.Regression},
		{"evaluate_multiclass.html", model.MulticlassClassification},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			ch := "email"
			if tc.task == model.Regression {
				ch = "north"
			}
			r := evalFixture(t, tc.task, ch)
			html, err := EvaluationHTML(r, "Evaluation: "+tc.golden)
			require.NoError(t, err)
			golden(t, tc.golden, html)
			again, err := EvaluationHTML(r, "Evaluation: "+tc.golden)
			require.NoError(t, err)
			require.Equal(t, html, again, "deterministic")
		})
	}
}

func TestEvaluationHTMLContent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		task model.Task
		ch   string
		want []string
		not  []string
	}{
		{"binary", model.BinaryClassification, "email", []string{
			"<h2>Summary</h2>", "<h2>Metrics against the baseline</h2>", "<h2>Errors by class</h2>", "Confusion matrix",
			"<h3>Decision threshold</h3>", "lowest cost", "precision ≥ 0.8", "ROC curve", "Precision-recall curve",
			"<h2>Calibration</h2>", "Expected calibration error", "<h2>Segments</h2>", "<h2>Fairness</h2>", "Equalized-odds difference",
			"<h2>Error analysis</h2>", "Benjamini–Hochberg", "<h2>Permutation importance</h2>", "False positives", "False negatives",
			"run r-7 (gbdt) on the test part: 1500 rows, binary task; baseline run r-1 (prior)",
			`<span class="badge pass">better</span>`, `<code>roc_auc</code>`,
		}, []string{"<h2>Residuals</h2>"}},
		{"regression", model.Regression, "north", []string{
			"<h2>Residuals</h2>", "Residuals against predictions", "Distribution of the residuals", "Largest errors",
			"absolute residual exceeds", "region = north",
		}, []string{"<figcaption>ROC curve", "<h2>Fairness</h2>", "Confusion matrix"}},
		{"multiclass", model.MulticlassClassification, "email", []string{"Confusion matrix", "Misclassified", "<code>f1_macro</code>"},
			[]string{"<figcaption>ROC curve", "<h2>Calibration</h2>", "<h3>Decision threshold</h3>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := evalFixture(t, tc.task, tc.ch)
			out, err := EvaluationHTML(r, "Evaluation")
			require.NoError(t, err)
			h := string(out)
			require.True(t, strings.HasPrefix(h, "<!DOCTYPE html>"))
			for _, banned := range []string{"<script", "http://", "https://", "<link", "<img", "url(", "<iframe", "@import"} {
				require.NotContains(t, h, banned, "self-contained and offline")
			}
			for _, want := range tc.want {
				require.Contains(t, h, want)
			}
			for _, not := range tc.not {
				require.NotContains(t, h, not)
			}
			require.NotContains(t, h, "NaN")
			for _, s := range r.Slices {
				require.Regexp(t, regexp.MustCompile(`\d+(\.\d)?% of errors are in `+regexp.QuoteMeta(htmlEsc(s.Slice))), h)
			}
		})
	}
	// The planted slice comes first, in the summary and the table.
	r := evalFixture(t, model.BinaryClassification, "email")
	require.Equal(t, "channel = email and category = marketing", r.Slices[0].Slice)
	out, err := EvaluationHTML(r, "Evaluation")
	require.NoError(t, err)
	require.Contains(t, string(out), `<li>`+htmlEsc(r.Slices[0].Summary)+`.</li>`)
}

func htmlEsc(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(s)
}

func TestEvaluationHTMLEscapes(t *testing.T) {
	t.Parallel()
	r := evalFixture(t, model.BinaryClassification, `<script>alert("x")</script>`)
	out, err := EvaluationHTML(r, "<b>title</b>")
	require.NoError(t, err)
	h := string(out)
	require.NotContains(t, h, "<script")
	require.NotContains(t, h, "<b>title")
	require.Contains(t, h, "&lt;script&gt;")
}

func TestEvaluationHTMLMinimal(t *testing.T) {
	t.Parallel()
	// A report with no baseline, no segments and no slices still renders.
	r := &evaluate.Report{Task: "binary", Rows: 10, PrimaryMetric: "roc_auc", Metrics: map[string]float64{"roc_auc": 0.7},
		BaselineMetrics: map[string]float64{}, Lift: map[string]evaluate.Lift{}, Segments: []evaluate.Segment{}, Slices: []evaluate.Slice{},
		ErrorAnalysis: evaluate.ErrorAnalysis{Definition: "misclassified", Rows: 10, Errors: 3, ErrorRate: 0.3}}
	out, err := EvaluationHTML(r, "minimal")
	require.NoError(t, err)
	h := string(out)
	for _, want := range []string{"No baseline: no lift to show.", "there is no baseline to compare with", "No segment or sensitive column was named",
		"No slice errs significantly more often than overall.", "Evaluation of a model: 10 rows, binary task"} {
		require.Contains(t, h, want)
	}
}

func TestConfusionChart(t *testing.T) {
	t.Parallel()
	require.Empty(t, ConfusionChart(nil, nil, ConfusionOptions{}))
	svg := string(ConfusionChart([]string{"no", "yes"}, [][]float64{{80, 20}, {5, 0}}, ConfusionOptions{Title: "cm"}))
	require.Contains(t, svg, `aria-label="cm"`)
	require.Contains(t, svg, "true no, predicted yes: 20 (20% of the row)")
	require.Contains(t, svg, "true yes, predicted yes: 0 (0% of the row)")
	require.Equal(t, 4, strings.Count(svg, "<rect"))
	empty := string(ConfusionChart([]string{"a", "b"}, [][]float64{{0, 0}, {1, 1}}, ConfusionOptions{}))
	require.Contains(t, empty, "true a, predicted a: 0 (— of the row)")
	require.Panics(t, func() { ConfusionChart([]string{"a"}, [][]float64{{1, 2}}, ConfusionOptions{}) })
}

func TestScatterChart(t *testing.T) {
	t.Parallel()
	require.Empty(t, ScatterChart(nil, nil, ScatterOptions{}))
	require.Empty(t, ScatterChart([]float64{math.NaN()}, []float64{1}, ScatterOptions{}))
	svg := string(ScatterChart([]float64{1, 2, math.Inf(1), 3}, []float64{-1, 0.5, 2, 1}, ScatterOptions{Title: "res", ZeroLine: true, XLabel: "predicted"}))
	require.Equal(t, 3, strings.Count(svg, "<circle"))
	require.Contains(t, svg, `stroke-dasharray="4 3"`)
	require.Contains(t, svg, ">predicted<")
	require.Panics(t, func() { ScatterChart([]float64{1}, nil, ScatterOptions{}) })
}
