package evaluate

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/metrics"
	"mlw.dev/model"
	"mlw.dev/model/baseline"
	"mlw.dev/model/bundle"
	"mlw.dev/model/linear"
)

// testBundle is a planted data set with a model and a baseline fitted on
// its training half, ready to evaluate on the other half.
type testBundle struct {
	in    *Input
	model *bundle.Bundle
}

// plantedBinary generates a binary problem, y = [2·x1 − 1.5·x2 + noise > 0],
// whose labels are flipped 40% of the time in one slice: channel == "email"
// AND category == "marketing" (1/16 of the rows). A logistic regression is
// fitted on the first half, a prior baseline too, and the second half is
// evaluated.
func plantedBinary() (*testBundle, error) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n = 6000
	channels := []string{"email", "web", "phone", "chat"}
	categories := []string{"marketing", "billing", "support", "sales"}
	ch, cat := make([]string, n), make([]string, n)
	x1, x2, age, y := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		ch[i], cat[i] = channels[rng.IntN(4)], categories[rng.IntN(4)]
		x1[i], x2[i] = rng.NormFloat64(), rng.NormFloat64()
		age[i] = math.Round(18 + 60*rng.Float64())
		if rng.Float64() < 0.05 {
			age[i] = math.NaN()
		}
		if 2*x1[i]-1.5*x2[i]+0.5*rng.NormFloat64() > 0 {
			y[i] = 1
		}
		if ch[i] == "email" && cat[i] == "marketing" && rng.Float64() < 0.4 {
			y[i] = 1 - y[i]
		}
	}
	f, err := frame.New([]string{"channel", "category", "x1", "x2", "age"}, []frame.Column{
		frame.NewCategoricalFromStrings(ch, nil), frame.NewCategoricalFromStrings(cat, nil),
		frame.NewNumeric(x1), frame.NewNumeric(x2), frame.NewNumeric(age),
	})
	if err != nil {
		return nil, err
	}
	return fitAndSplit(f, y, model.BinaryClassification, []string{"0", "1"})
}

// plantedFixture fits the planted problem once for every test; tests copy
// its Input before changing it.
var plantedFixture = sync.OnceValues(plantedBinary)

// mustPlanted is plantedFixture for a test.
func mustPlanted(t *testing.T) *testBundle {
	t.Helper()
	tb, err := plantedFixture()
	require.NoError(t, err)
	return tb
}

// fitAndSplit fits a linear model and a baseline on the first half of f and
// returns the input evaluating them on the second half.
func fitAndSplit(f *frame.Frame, y []float64, task model.Task, classes []string) (*testBundle, error) {
	n := f.NumRows()
	trainRows, testRows := make([]int, 0, n/2), make([]int, 0, n-n/2)
	for i := range n {
		if i < n/2 {
			trainRows = append(trainRows, i)
		} else {
			testRows = append(testRows, i)
		}
	}
	tr, te := f.Take(trainRows), f.Take(testRows)
	yTrain, yTest := y[:n/2], y[n/2:]
	pipe, err := feature.Fit(tr, frame.InferSchema(tr, frame.SchemaOptions{}), feature.ForLinear())
	if err != nil {
		return nil, err
	}
	X, err := pipe.Transform(tr)
	if err != nil {
		return nil, err
	}
	prob := &model.Problem{Task: task, Classes: len(classes), Features: pipe.Outputs, X: X, Y: yTrain}
	var est, base model.Estimator
	taskName := "regression"
	switch task {
	case model.Regression:
		est, base = &linear.Linear{}, &baseline.Mean{}
	default:
		est, base = &linear.Logistic{}, &baseline.Prior{}
		taskName = map[bool]string{true: "binary", false: "multiclass"}[len(classes) == 2]
	}
	if err := est.Fit(context.Background(), prob); err != nil {
		return nil, err
	}
	if err := base.Fit(context.Background(), prob); err != nil {
		return nil, err
	}
	mb := &bundle.Bundle{Header: bundle.Header{Task: taskName, Classes: classes, Pipeline: pipe}, Estimator: est}
	bb := &bundle.Bundle{Header: bundle.Header{Task: taskName, Classes: classes, Pipeline: pipe}, Estimator: base}
	pm, err := mb.PredictFrame(te)
	if err != nil {
		return nil, err
	}
	pb, err := bb.PredictFrame(te)
	if err != nil {
		return nil, err
	}
	return &testBundle{model: mb, in: &Input{
		Task: task, Classes: classes, Target: yTest, Pred: pm, Baseline: pb, Rows: te, Model: mb,
		Seed: 5, RunID: "r-2", ModelKind: est.Kind(), Part: "test", BaselineRunID: "r-1", BaselineKind: base.Kind(),
	}}, nil
}

// planted is evaluated once and shared by the tests that read it.
var planted = sync.OnceValues(func() (*Report, error) {
	tb, err := plantedFixture()
	if err != nil {
		return nil, err
	}
	in := *tb.in
	in.Segments, in.Sensitive = []string{"channel"}, []string{"category"}
	in.Costs = metrics.Costs{FP: 5, FN: 1}
	in.TargetPrecision, in.TargetRecall = 0.9, 0.95
	return Evaluate(context.Background(), &in, Options{})
})

// TestPlantedSliceRanksFirst is the done-when test: the report ranks the
// planted weak slice first and says what share of the errors it holds.
func TestPlantedSliceRanksFirst(t *testing.T) {
	t.Parallel()
	r, err := planted()
	require.NoError(t, err)
	require.NotEmpty(t, r.Slices)
	top := r.Slices[0]
	require.Equal(t, "channel = email and category = marketing", top.Slice)
	require.Equal(t, []Condition{{Column: "channel", Op: OpEqual, Value: "email"}, {Column: "category", Op: OpEqual, Value: "marketing"}}, top.Conditions)
	require.Less(t, top.QValue, 1e-6)
	require.Greater(t, top.ErrorRate, 2*r.ErrorAnalysis.ErrorRate)
	require.InDelta(t, float64(top.Errors)/float64(r.ErrorAnalysis.Errors), top.ErrorShare, 1e-12)
	require.Greater(t, top.ErrorShare, 0.2, "the planted slice holds a large share of the errors")
	require.Regexp(t, `^\d+% of errors are in channel = email and category = marketing \(\d+(\.\d)?% of rows; error rate \d+% vs \d+(\.\d)?% overall\)$`, top.Summary)
	// Its two single slices rank next, explained by the pair.
	require.ElementsMatch(t, []string{"channel = email", "category = marketing"}, []string{r.Slices[1].Slice, r.Slices[2].Slice})
	for _, s := range r.Slices[1:3] {
		require.Equal(t, top.Slice, s.SubsumedBy, s.Slice)
	}
	// Ranked by excess errors; every reported slice is significant.
	for i, s := range r.Slices {
		require.LessOrEqual(t, s.QValue, DefaultFDR)
		require.InDelta(t, float64(s.Errors)-float64(s.Rows)*r.ErrorAnalysis.ErrorRate, s.ExcessErrors, 1e-9)
		if i > 0 {
			require.GreaterOrEqual(t, r.Slices[i-1].ExcessErrors, s.ExcessErrors)
		}
	}
	ea := r.ErrorAnalysis
	require.Equal(t, []string{"channel", "category", "x1", "x2", "age"}, ea.Columns)
	require.Equal(t, r.Rows, ea.Rows)
	require.Greater(t, ea.Tested, 50)
	require.Equal(t, "benjamini-hochberg", ea.Correction)
}

func TestBinaryReport(t *testing.T) {
	t.Parallel()
	r, err := planted()
	require.NoError(t, err)
	n := r.Rows
	require.Equal(t, 3000, n)
	require.Equal(t, "binary", r.Task)
	require.Equal(t, "roc_auc", r.PrimaryMetric)

	t.Run("metrics and lift", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"accuracy", "roc_auc", "log_loss", "brier", "f1", "precision", "recall"} {
			require.Contains(t, r.Metrics, name)
			require.Contains(t, r.BaselineMetrics, name)
		}
		auc := r.Lift["roc_auc"]
		require.InDelta(t, r.Metrics["roc_auc"]-r.BaselineMetrics["roc_auc"], auc.Lift, 1e-15)
		require.Less(t, float64(auc.Low), auc.Lift)
		require.Greater(t, float64(auc.High), auc.Lift)
		require.Equal(t, Better, auc.Verdict)
		ll := r.Lift["log_loss"]
		require.False(t, ll.HigherIsBetter)
		require.Less(t, float64(ll.High), 0.0)
		require.Equal(t, Better, ll.Verdict, "a lower log loss is better")
		acc := r.Lift["accuracy"]
		// The interval of a difference of accuracies on 3000 rows is a few
		// points wide.
		require.InDelta(t, 0.04, float64(acc.High-acc.Low), 0.03)
		require.Equal(t, Bootstrap{Method: "paired percentile bootstrap over rows", Resamples: 1000, Confidence: 0.95, Seed: 5}, r.Bootstrap)
	})

	t.Run("curves", func(t *testing.T) {
		t.Parallel()
		roc := r.ROCCurve
		require.NotNil(t, roc)
		require.LessOrEqual(t, len(roc.FPR), DefaultCurvePoints)
		require.Equal(t, []Float{0, 0}, []Float{roc.FPR[0], roc.TPR[0]})
		require.Equal(t, []Float{1, 1}, []Float{roc.FPR[len(roc.FPR)-1], roc.TPR[len(roc.TPR)-1]})
		require.Equal(t, r.Metrics["roc_auc"], float64(roc.AUC))
		pr := r.PRCurve
		require.Len(t, pr.Recall, len(pr.Precision))
		require.Len(t, pr.Thresholds, len(pr.Precision))
		require.True(t, math.IsNaN(float64(pr.Thresholds[len(pr.Thresholds)-1])))
		require.Equal(t, r.Metrics["average_precision"], float64(pr.AveragePrecision))

		c := r.Calibration
		require.NotNil(t, c)
		rows := 0
		for _, b := range c.Bins {
			rows += b.Rows
			require.LessOrEqual(t, b.Lo, b.MeanPredicted)
			require.LessOrEqual(t, b.MeanPredicted, b.Hi)
		}
		require.Equal(t, n, rows)
		require.Equal(t, r.Metrics["ece"], c.ECE)
		require.Equal(t, r.Metrics["brier"], c.Brier)

		cm := r.ConfusionMatrix
		require.Equal(t, []string{"0", "1"}, cm.Labels)
		require.InDelta(t, r.Metrics["accuracy"]*float64(n), cm.Counts[0][0]+cm.Counts[1][1], 1e-9)
	})

	t.Run("threshold", func(t *testing.T) {
		t.Parallel()
		th := r.Threshold
		require.NotNil(t, th)
		require.Equal(t, Costs{FalsePositive: 5, FalseNegative: 1}, th.Costs)
		require.Equal(t, Float(0.5), th.Current.Threshold)
		require.Equal(t, float64(n), th.Current.TP+th.Current.FP+th.Current.TN+th.Current.FN)
		require.Equal(t, r.Metrics["precision"], th.Current.Precision)
		require.NotNil(t, th.MinCost)
		require.LessOrEqual(t, th.MinCost.Cost, th.Current.Cost)
		require.Greater(t, float64(th.MinCost.Threshold), 0.5, "false positives cost more: a higher threshold")
		require.Len(t, th.Targets, 2)
		require.Equal(t, "precision", th.Targets[0].Metric)
		require.True(t, th.Targets[0].Met)
		require.GreaterOrEqual(t, th.Targets[0].Point.Precision, 0.9)
		require.GreaterOrEqual(t, th.Targets[1].Point.Recall, 0.95)
	})

	t.Run("segments and fairness", func(t *testing.T) {
		t.Parallel()
		require.Len(t, r.Segments, 8)
		flagged := map[string]bool{}
		for _, s := range r.Segments {
			require.InDelta(t, float64(s.Rows)/float64(n), s.Share, 1e-12)
			require.Equal(t, s.Column == "category", s.Sensitive)
			require.Contains(t, s.Metrics, "roc_auc")
			require.InDelta(t, r.Metrics["roc_auc"]-float64(s.Primary), float64(s.Gap), 1e-12)
			flagged[s.Segment] = s.Flagged
		}
		require.Equal(t, map[string]bool{
			"channel = email": true, "channel = web": false, "channel = phone": false, "channel = chat": false,
			"category = marketing": true, "category = billing": false, "category = support": false, "category = sales": false,
		}, flagged)
		require.Equal(t, SegmentGap{Metric: "roc_auc", Overall: Float(r.Metrics["roc_auc"]), MaxGap: 0.05}, r.SegmentGap)
		require.Len(t, r.Fairness, 1)
		f := r.Fairness[0]
		require.Equal(t, "category", f.Column)
		require.Len(t, f.Groups, 4)
		require.GreaterOrEqual(t, float64(f.EqualizedOddsDifference), 0.0)
		require.InDelta(t, float64(f.DemographicParityRatio), 1-float64(f.DemographicParityDifference)/maxRate(f), 1e-12)
	})

	t.Run("importance and examples", func(t *testing.T) {
		t.Parallel()
		require.Len(t, r.PermutationImportance, 5)
		require.Equal(t, "x1", r.PermutationImportance[0].Column)
		ex := r.Examples
		require.Equal(t, []string{"channel", "category", "x1", "x2", "age"}, ex.Columns)
		require.Len(t, ex.FalsePositives, DefaultMaxExamples)
		require.Len(t, ex.FalseNegatives, DefaultMaxExamples)
		for i, x := range ex.FalsePositives {
			require.Equal(t, "0", x.True)
			require.Equal(t, "1", x.Predicted)
			require.Len(t, x.Values, 5)
			if i > 0 {
				require.LessOrEqual(t, x.Score, ex.FalsePositives[i-1].Score, "most confident first")
			}
		}
		for i, x := range ex.FalseNegatives {
			require.Equal(t, "1", x.True)
			require.Less(t, x.Score, 0.5)
			if i > 0 {
				require.GreaterOrEqual(t, x.Score, ex.FalseNegatives[i-1].Score)
			}
		}
		require.Nil(t, r.Residuals)
	})

	t.Run("json", func(t *testing.T) {
		t.Parallel()
		data, err := json.Marshal(r)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		for _, key := range []string{"metrics", "baseline_metrics", "lift", "segments", "fairness", "calibration",
			"confusion_matrix", "roc_curve", "pr_curve", "threshold", "permutation_importance", "slices", "error_analysis", "examples"} {
			require.Contains(t, m, key)
		}
		require.NotContains(t, m, "residuals")
		var back Report
		require.NoError(t, json.Unmarshal(data, &back))
		again, err := json.Marshal(&back)
		require.NoError(t, err)
		require.JSONEq(t, string(data), string(again))
	})
}

func maxRate(f Fairness) float64 {
	var hi float64
	for _, g := range f.Groups {
		if g.Included {
			hi = max(hi, float64(g.PositiveRate))
		}
	}
	return hi
}

func TestEvaluateIsDeterministic(t *testing.T) {
	t.Parallel()
	tb := mustPlanted(t)
	in := *tb.in
	in.Model = nil // importance has its own test
	opts := Options{Resamples: 50}
	var out [][]byte
	for _, workers := range []int{1, 2, 2} {
		opts.Workers = workers
		r, err := Evaluate(context.Background(), &in, opts)
		require.NoError(t, err)
		data, err := json.Marshal(r)
		require.NoError(t, err)
		out = append(out, data)
	}
	require.Equal(t, string(out[0]), string(out[1]), "same seed, same report, whatever the workers")
	require.Equal(t, string(out[1]), string(out[2]))

	in.Seed++
	r, err := Evaluate(context.Background(), &in, opts)
	require.NoError(t, err)
	var first Report
	require.NoError(t, json.Unmarshal(out[0], &first))
	require.NotEqual(t, first.Lift["accuracy"].Low, r.Lift["accuracy"].Low, "another seed, other resamples")
}

// TestRegressionReport plants a weak slice in a regression problem: the
// noise is five times larger where region == "north" and x > 0.
func TestRegressionReport(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(21, 22))
	const n = 4000
	regions := []string{"north", "south", "east", "west"}
	region, x, z, y := make([]string, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		region[i] = regions[rng.IntN(4)]
		x[i], z[i] = rng.NormFloat64(), rng.NormFloat64()
		noise := rng.NormFloat64()
		if region[i] == "north" && x[i] > 0 {
			noise *= 5
		}
		y[i] = 3*x[i] - 2*z[i] + noise
	}
	f, err := frame.New([]string{"region", "x", "z"}, []frame.Column{frame.NewCategoricalFromStrings(region, nil), frame.NewNumeric(x), frame.NewNumeric(z)})
	require.NoError(t, err)
	tb, err := fitAndSplit(f, y, model.Regression, nil)
	require.NoError(t, err)
	in := *tb.in
	in.Segments = []string{"region"}
	r, err := Evaluate(context.Background(), &in, Options{Resamples: 200})
	require.NoError(t, err)

	require.Equal(t, "regression", r.Task)
	require.Equal(t, "rmse", r.PrimaryMetric)
	require.True(t, r.SegmentGap.Relative, "rmse has no upper bound: relative gaps")
	for _, name := range []string{"rmse", "mae", "r2", "median_ae", "max_error"} {
		require.Contains(t, r.Lift, name)
	}
	require.Equal(t, Better, r.Lift["r2"].Verdict)
	require.Equal(t, Better, r.Lift["rmse"].Verdict)

	res := r.Residuals
	require.NotNil(t, res)
	require.Len(t, res.Predicted, DefaultResidualPoints)
	require.Len(t, res.Residual, DefaultResidualPoints)
	require.InDelta(t, r.Metrics["mae"], res.MAE, 1e-9)
	total := 0
	for _, c := range res.Histogram.Counts {
		total += c
	}
	require.Equal(t, r.Rows, total)
	require.Equal(t, res.Min, res.Histogram.Edges[0])
	require.Equal(t, res.Max, res.Histogram.Edges[len(res.Histogram.Edges)-1])

	ea := r.ErrorAnalysis
	require.NotNil(t, ea.ResidualThreshold)
	require.InDelta(t, 0.2, ea.ErrorRate, 0.001, "errors are the rows above the 80th percentile")
	require.NotEmpty(t, r.Slices)
	// The region holds more excess errors than any one of its bins of x,
	// which are found too.
	require.Equal(t, "region = north", r.Slices[0].Slice)
	pair := slices.IndexFunc(r.Slices, func(s Slice) bool {
		return len(s.Conditions) == 2 && s.Conditions[0].String() == "region = north" && s.Conditions[1].Column == "x"
	})
	require.Positive(t, pair)
	require.GreaterOrEqual(t, *r.Slices[pair].Conditions[1].Min, 0.0, "the weak slice has x > 0")

	require.Nil(t, r.ROCCurve)
	require.Nil(t, r.ConfusionMatrix)
	require.Nil(t, r.Fairness)
	require.Len(t, r.Examples.LargestErrors, DefaultMaxExamples)
	for i, e := range r.Examples.LargestErrors[1:] {
		require.GreaterOrEqual(t, math.Abs(r.Examples.LargestErrors[i].Score), math.Abs(e.Score))
	}
	flagged := false
	for _, s := range r.Segments {
		if s.Segment == "region = north" {
			flagged = s.Flagged
			require.Greater(t, float64(s.Gap), 0.05)
		}
	}
	require.True(t, flagged)
}

func TestMulticlassReport(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(31, 32))
	const n = 1200
	x1, x2, y := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		x1[i], x2[i] = rng.NormFloat64(), rng.NormFloat64()
		switch {
		case x1[i]+0.3*rng.NormFloat64() > 0.5:
			y[i] = 2
		case x2[i]+0.3*rng.NormFloat64() > 0:
			y[i] = 1
		}
	}
	f, err := frame.New([]string{"x1", "x2"}, []frame.Column{frame.NewNumeric(x1), frame.NewNumeric(x2)})
	require.NoError(t, err)
	tb, err := fitAndSplit(f, y, model.MulticlassClassification, []string{"a", "b", "c"})
	require.NoError(t, err)
	r, err := Evaluate(context.Background(), tb.in, Options{Resamples: 100, ImportanceRepeats: -1})
	require.NoError(t, err)
	require.Equal(t, "multiclass", r.Task)
	require.Equal(t, "f1_macro", r.PrimaryMetric)
	require.Len(t, r.ConfusionMatrix.Counts, 3)
	require.Contains(t, r.Lift, "roc_auc")
	require.Nil(t, r.Calibration)
	require.Nil(t, r.ROCCurve)
	require.Nil(t, r.Threshold)
	require.Nil(t, r.PermutationImportance)
	require.NotEmpty(t, r.Examples.Misclassified)
	for _, x := range r.Examples.Misclassified {
		require.NotEqual(t, x.True, x.Predicted)
	}
	require.Empty(t, r.Segments)
	require.NotNil(t, r.Slices)
}

func TestEvaluateWithoutBaselineOrPredictions(t *testing.T) {
	t.Parallel()
	tb := mustPlanted(t)
	in := *tb.in
	in.Baseline, in.Pred = nil, nil // predictions come from the model
	r, err := Evaluate(context.Background(), &in, Options{ImportanceRepeats: -1})
	require.NoError(t, err)
	require.Empty(t, r.Lift)
	require.Empty(t, r.BaselineMetrics)
	require.Equal(t, tb.in.Pred.Codes[:10], codesOf(t, tb.in, r)[:10])
	data, err := json.Marshal(r)
	require.NoError(t, err)
	require.Contains(t, string(data), `"baseline_metrics":{}`)
	require.Contains(t, string(data), `"lift":{}`)
}

func codesOf(t *testing.T, in *Input, r *Report) []int {
	t.Helper()
	p, err := in.Model.PredictFrame(in.Rows)
	require.NoError(t, err)
	require.Equal(t, r.Metrics["accuracy"], metrics.Accuracy(intsOf(in.Target), p.Codes, nil))
	return p.Codes
}

func intsOf(x []float64) []int {
	out := make([]int, len(x))
	for i, v := range x {
		out[i] = int(v)
	}
	return out
}

func TestEvaluateRejectsBadInput(t *testing.T) {
	t.Parallel()
	tb := mustPlanted(t)
	when, err := frame.New([]string{"when"}, []frame.Column{frame.NewDatetime(make([]int64, tb.in.Rows.NumRows()))})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		edit func(in *Input)
		opts Options
		want string
	}{
		{"no rows", func(in *Input) { in.Rows = nil }, Options{}, "no rows"},
		{"length", func(in *Input) { in.Target = in.Target[1:] }, Options{}, "rows for"},
		{"model predictions", func(in *Input) { in.Pred = subset(in.Pred, []int{0, 1}) }, Options{}, "model predictions have 2 rows"},
		{"baseline outputs", func(in *Input) {
			b := *in.Baseline
			b.Outputs = 1
			in.Baseline = &b
		}, Options{}, "baseline predictions have 1 outputs"},
		{"nothing to predict with", func(in *Input) { in.Pred, in.Model = nil, nil }, Options{}, "neither predictions nor a model"},
		{"class code", func(in *Input) {
			in.Target = slices.Clone(in.Target)
			in.Target[3] = 2
		}, Options{}, "target of row 3 is 2"},
		{"unknown metric", func(in *Input) { in.PrimaryMetric = "auc" }, Options{}, `unknown primary metric "auc"`},
		{"wrong task metric", func(in *Input) { in.PrimaryMetric = "rmse" }, Options{}, `"rmse" does not apply to a binary task`},
		{"unknown segment", func(in *Input) { in.Segments = []string{"country"} }, Options{}, `column "country" is not in the evaluated rows`},
		{"datetime segment", func(in *Input) { in.Rows, in.Sensitive = when, []string{"when"} }, Options{}, `segment column "when" is a datetime`},
		{"options", func(*Input) {}, Options{Confidence: 1.5}, "confidence 1.5"},
		{"classes", func(in *Input) { in.Classes = in.Classes[:1] }, Options{}, "needs at least two class labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := *tb.in
			tc.edit(&in)
			_, err := Evaluate(context.Background(), &in, tc.opts)
			require.ErrorContains(t, err, tc.want)
		})
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Evaluate(ctx, tb.in, Options{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestNoPairs(t *testing.T) {
	t.Parallel()
	tb := mustPlanted(t)
	in := *tb.in
	in.Model = nil
	r, err := Evaluate(context.Background(), &in, Options{Resamples: 1, MaxPairColumns: -1})
	require.NoError(t, err)
	require.Empty(t, r.ErrorAnalysis.PairColumns)
	require.NotEmpty(t, r.Slices)
	for _, s := range r.Slices {
		require.Len(t, s.Conditions, 1)
		require.Empty(t, s.SubsumedBy)
	}
	require.Contains(t, []string{"channel = email", "category = marketing"}, r.Slices[0].Slice, "without pairs, a parent of the planted slice")

	r, err = Evaluate(context.Background(), &in, Options{Resamples: 1, MaxPairColumns: 2, MaxSlices: 1})
	require.NoError(t, err)
	require.Equal(t, []string{"channel", "category"}, r.ErrorAnalysis.PairColumns, "the two columns with the most excess errors")
	require.Len(t, r.Slices, 1)
	require.Greater(t, r.ErrorAnalysis.Significant, 1)
}

// TestUndefinedValues evaluates data where some figures are undefined: a
// segment with one class (no ROC AUC), a missing probability, a regression
// prediction that is NaN. The report still encodes as JSON, with nulls.
func TestUndefinedValues(t *testing.T) {
	t.Parallel()
	const n = 80
	seg, y := make([]string, n), make([]float64, n)
	pred := &bundle.Predictions{Rows: n, Outputs: 2, Codes: make([]int, n)}
	for i := range n {
		seg[i] = "mixed"
		y[i] = float64(i % 2)
		if i < 30 {
			seg[i], y[i] = "negatives", 0
		}
		p := 0.3 + 0.4*y[i]
		if i%7 == 0 {
			p = 1 - p
		}
		pred.Values = append(pred.Values, 1-p, p)
		pred.Codes[i] = b2i(p >= 0.5)
	}
	f, err := frame.New([]string{"seg"}, []frame.Column{frame.NewCategoricalFromStrings(seg, nil)})
	require.NoError(t, err)
	in := &Input{Task: model.BinaryClassification, Classes: []string{"0", "1"}, Target: y, Pred: pred, Baseline: pred, Rows: f,
		Segments: []string{"seg"}, Sensitive: []string{"seg"}}
	r, err := Evaluate(context.Background(), in, Options{Resamples: 20})
	require.NoError(t, err)
	for _, s := range r.Segments {
		if s.Segment == "seg = negatives" {
			require.True(t, math.IsNaN(float64(s.Primary)), "no ROC AUC with one class")
			require.True(t, math.IsNaN(float64(s.Gap)))
			require.False(t, s.Flagged)
		}
	}
	require.Equal(t, Inconclusive, r.Lift["accuracy"].Verdict, "a model against itself")
	require.Equal(t, Float(0), r.Lift["accuracy"].Low)
	f0 := r.Fairness[0]
	require.True(t, math.IsNaN(float64(f0.Groups[1].TruePositiveRate)), "no positives among the negatives")
	data, err := json.Marshal(r)
	require.NoError(t, err)
	require.Contains(t, string(data), `"primary":null`)

	// A missing probability: no curves, no calibration, no threshold search.
	pred.Values[1] = math.NaN()
	r, err = Evaluate(context.Background(), in, Options{Resamples: 20})
	require.NoError(t, err)
	require.Nil(t, r.ROCCurve)
	require.Nil(t, r.Calibration)
	require.Nil(t, r.Threshold.MinCost)
	_, err = json.Marshal(r)
	require.NoError(t, err)

	// A regression prediction that is NaN counts as an error.
	reg := &bundle.Predictions{Rows: n, Outputs: 1}
	for i := range n {
		reg.Values = append(reg.Values, y[i]+0.1*float64(i%5))
	}
	reg.Values[3] = math.NaN()
	r, err = Evaluate(context.Background(), &Input{Task: model.Regression, Target: y, Pred: reg, Rows: f}, Options{Resamples: 20})
	require.NoError(t, err)
	require.Nil(t, r.Residuals)
	require.NotContains(t, r.Metrics, "rmse")
	// The 79 finite residuals are 0, .1, .2 and .4 sixteen times each and .3
	// fifteen times: the 80th percentile lies 0.4 of the way from .3 (rank
	// 62) to .4 (rank 63). The sixteen .4 and the NaN are errors.
	require.InDelta(t, 0.34, *r.ErrorAnalysis.ResidualThreshold, 1e-12)
	require.Equal(t, 17, r.ErrorAnalysis.Errors)
	_, err = json.Marshal(r)
	require.NoError(t, err)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
