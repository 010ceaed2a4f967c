package monitor

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/project"
	"mlw.dev/internal/stats"
	"mlw.dev/metrics"
	"mlw.dev/model/bundle"
)

var churn = spec{numeric: 5, plans: []string{"basic", "pro", "team"}, weights: []float64{0.5, 0.3, 0.2}}

func TestAnalyzeDetectsPlantedShift(t *testing.T) {
	t.Parallel()
	b := testBundle(t, churn, 3000, 1) // 3000 rows: auto picks Wasserstein and Jensen–Shannon
	shifted := churn
	shifted.shift = map[int]float64{2: 0.5}
	in := hour(traffic(shifted, 3000, 7, "churn", 1), map[string]*bundle.Bundle{"churn@1": b})
	r, err := Analyze(in)
	require.NoError(t, err)
	require.Equal(t, "churn@1", r.Reference)
	require.Len(t, r.Drift, 6)
	for _, d := range r.Drift {
		require.Equal(t, d.Feature == "x2", d.Drifted, "%s: %+v", d.Feature, d)
		if d.Feature == "plan" {
			require.Equal(t, "jensenshannon", d.Method)
		} else {
			require.Equal(t, "wasserstein", d.Method)
		}
	}
	require.InDelta(t, 1.0/6, r.DriftShare, 1e-12)
	require.False(t, r.DatasetDrift)
	require.False(t, r.PredictionDrift.Drifted, "the score depends on x0 only")

	// The same traffic with KS as configured in mlw.yaml.
	in.Drift = project.DriftConfig{Numeric: "ks", Categorical: "chisquare", Threshold: 0.01}
	r, err = Analyze(in)
	require.NoError(t, err)
	for _, d := range r.Drift {
		require.Equal(t, d.Feature == "x2", d.Drifted, "%s: %+v", d.Feature, d)
		require.Equal(t, 0.01, d.Threshold)
		require.NotNil(t, d.PValue)
	}
	require.Equal(t, "ks", driftOfFeature(t, r, "x2").Method)
	require.Equal(t, "chisquare", driftOfFeature(t, r, "plan").Method)

	// A shift in the categories drifts plan alone.
	mix := churn
	mix.weights = []float64{0.2, 0.3, 0.5}
	r, err = Analyze(hour(traffic(mix, 3000, 8, "churn", 1), map[string]*bundle.Bundle{"churn@1": b}))
	require.NoError(t, err)
	for _, d := range r.Drift {
		require.Equal(t, d.Feature == "plan", d.Drifted, "%s: %+v", d.Feature, d)
	}
}

func TestAnalyzeSameDistributionRarelyDrifts(t *testing.T) {
	t.Parallel()
	s := spec{numeric: 10}
	// 500 reference rows: auto picks KS at p <= 0.05, so about 5% of
	// the features drift by chance.
	const seeds = 20
	drifted, features := 0, 0
	for seed := range uint64(seeds) {
		b := testBundle(t, s, 500, 100+seed)
		r, err := Analyze(hour(traffic(s, 500, 200+seed, "m", 1), map[string]*bundle.Bundle{"m@1": b}))
		require.NoError(t, err)
		require.False(t, r.DatasetDrift, "seed %d: %+v", seed, r.Drift)
		for _, d := range r.Drift {
			require.Equal(t, "ks", d.Method)
			features++
			if d.Drifted {
				drifted++
			}
		}
	}
	share := float64(drifted) / float64(features)
	t.Logf("KS false-positive share over %d comparisons: %.3f", features, share)
	require.LessOrEqual(t, share, 0.1)
}

func TestAnalyzeTrafficAgainstHandComputedValues(t *testing.T) {
	t.Parallel()
	b := testBundle(t, churn, 200, 1)
	row := []byte(`[0.1, -0.2, 0.3, 1, 2, "pro"]`)
	rec := func(id string, rowN int, minute int, latMS float64) *mlw.Prediction {
		return &mlw.Prediction{RequestID: id, Row: rowN, Model: "churn", Version: 1, Variant: "main",
			At: t0.Add(time.Duration(minute) * time.Minute), Latency: time.Duration(latMS * 1e6), Inputs: row, Output: "no", Score: 0.4}
	}
	preds := []*mlw.Prediction{
		rec("a", 0, 1, 10), rec("a", 1, 1, 10), rec("a", 2, 1, 10), // one request, three rows
		rec("b", 0, 2, 40),
		rec("c", 0, 3, 20),
		rec("d", 0, 31, 100),
		{RequestID: "e", Model: "churn", Version: 1, Variant: "main", At: t0.Add(32 * time.Minute), Latency: 30 * time.Millisecond, Error: "row 0: 3 values, want 6"},
		// A shadow does not count as traffic.
		{RequestID: "a", Row: 0, Model: "churn", Version: 2, Variant: "shadow", Shadow: true, At: t0.Add(time.Minute), Latency: 500 * time.Millisecond, Inputs: row, Output: "no"},
	}
	in := hour(preds, map[string]*bundle.Bundle{"churn@1": b})
	in.Bucket = 30 * time.Minute
	r, err := Analyze(in)
	require.NoError(t, err)
	require.Equal(t, 5, r.Requests)
	require.Equal(t, 6, r.Rows)
	require.Equal(t, 1, r.Errors)
	require.Equal(t, 0.2, r.ErrorRate)
	require.InDelta(t, 5.0/3600, r.RequestRate, 1e-15)
	// Latencies sorted: 10 20 30 40 100 ms. numpy.percentile(x, q) with
	// the default linear method: h = (n−1)q; p50: h = 2 → 30; p95: h = 3.8
	// → 40 + 0.8·60 = 88; p99: h = 3.96 → 40 + 0.96·60 = 97.6.
	require.Equal(t, 30.0, r.LatencyMS.P50)
	require.InDelta(t, 88.0, r.LatencyMS.P95, 1e-9)
	require.InDelta(t, 97.6, r.LatencyMS.P99, 1e-9)

	require.Len(t, r.Series, 2)
	first, second := r.Series[0], r.Series[1]
	require.Equal(t, t0, first.Start)
	require.Equal(t, t0.Add(30*time.Minute), second.Start)
	require.Equal(t, []int{3, 2}, []int{first.Requests, second.Requests})
	require.Equal(t, []int{0, 1}, []int{first.Errors, second.Errors})
	require.Equal(t, 0.5, second.ErrorRate)
	require.Equal(t, 20.0, *first.P50) // 10 20 40
	require.InDelta(t, 20+0.98*20, *first.P99, 1e-9)
	require.Equal(t, 65.0, *second.P50) // 30 100
	require.Nil(t, first.DriftShare, "fewer than 30 rows")

	require.Len(t, r.Variants, 2)
	main, shadow := r.Variants[0], r.Variants[1]
	require.InDelta(t, 0.4, *main.PredictionMean, 1e-15)
	main.PredictionMean = nil
	require.Equal(t, Variant{Model: "churn@1", Variant: "main", Requests: 5, Rows: 6, Errors: 1, ErrorRate: 0.2,
		LatencyMS: r.LatencyMS}, main)
	require.True(t, shadow.Shadow)
	require.Equal(t, "churn@2", shadow.Model)
	require.Equal(t, 1, shadow.Requests)
	require.Equal(t, 500.0, shadow.LatencyMS.P99)
	require.Equal(t, 1.0, *shadow.Agreement)
	require.Empty(t, r.Notes, "shadows need no bundle")
}

func TestPercentileIsNumpyLinear(t *testing.T) {
	t.Parallel()
	x := []float64{1, 2, 4, 8}
	// numpy.percentile([1, 2, 4, 8], [0, 25, 50, 90, 100]) = [1, 1.75, 3, 6.8, 8].
	for _, tc := range []struct{ q, want float64 }{{0, 1}, {0.25, 1.75}, {0.5, 3}, {0.9, 6.8}, {1, 8}} {
		require.InDelta(t, tc.want, stats.Quantile(x, tc.q), 1e-12, "q=%g", tc.q)
	}
	require.Equal(t, 7.0, stats.Quantile([]float64{7}, 0.99))
	require.True(t, math.IsNaN(stats.Quantile(nil, 0.5)))
}

func TestAnalyzeOnlineMetricsEqualMetricsPackage(t *testing.T) {
	t.Parallel()
	b := testBundle(t, churn, 200, 1)
	preds := traffic(churn, 400, 3, "churn", 1)
	var yTrue, yPred []int
	var score []float64
	for i, p := range preds {
		if i%4 == 3 {
			continue // unlabelled
		}
		p.Labeled = true
		p.Label = []string{"no", "yes"}[(i*7/3)%2]
		if i%10 == 0 {
			p.Label = p.Output
		}
		code := map[string]int{"no": 0, "yes": 1}
		yTrue, yPred, score = append(yTrue, code[p.Label]), append(yPred, code[p.Output]), append(score, p.Score)
	}
	in := hour(preds, map[string]*bundle.Bundle{"churn@1": b})
	in.Expected = map[string]float64{"roc_auc": 0.81, "accuracy": 0.75, "log_loss": 0.4}
	r, err := Analyze(in)
	require.NoError(t, err)
	require.Equal(t, len(yTrue), r.Online.LabeledRows)
	require.Equal(t, "accuracy", r.Online.Primary)
	require.Equal(t, map[string]float64{
		"accuracy": metrics.Accuracy(yTrue, yPred, nil),
		"f1_macro": metrics.F1(yTrue, yPred, nil, metrics.Macro),
		"roc_auc":  metrics.ROCAUC(yTrue, score, nil),
	}, r.Online.Metrics)
	require.Equal(t, map[string]float64{"roc_auc": 0.81, "accuracy": 0.75}, r.Online.Expected)
	labelled := 0
	for _, pt := range r.Series {
		labelled += pt.LabeledRows
		require.NotNil(t, pt.Online)
	}
	require.Equal(t, len(yTrue), labelled)

	// Regression: rmse, mae and r2 of the labels against the scores.
	reg := testBundle(t, churn, 200, 1)
	reg.Task, reg.Classes = "regression", nil
	var target, predicted []float64
	for i, p := range preds {
		p.Labeled = i%2 == 0
		p.Label = fmt.Sprint(p.Score + float64(i%5)/10)
		if p.Labeled {
			target, predicted = append(target, p.Score+float64(i%5)/10), append(predicted, p.Score)
		}
	}
	r, err = Analyze(hour(preds, map[string]*bundle.Bundle{"churn@1": reg}))
	require.NoError(t, err)
	require.Equal(t, "rmse", r.Online.Primary)
	require.Len(t, r.Online.Metrics, 3)
	require.InDelta(t, metrics.RMSE(target, predicted, nil), r.Online.Metrics["rmse"], 1e-12)
	require.InDelta(t, metrics.MAE(target, predicted, nil), r.Online.Metrics["mae"], 1e-12)
	require.InDelta(t, metrics.R2(target, predicted, nil), r.Online.Metrics["r2"], 1e-12)
}

func TestAnalyzeShadowAgreement(t *testing.T) {
	t.Parallel()
	b := testBundle(t, churn, 200, 1)
	preds := traffic(churn, 40, 5, "churn", 1)
	for i, p := range preds[:20] {
		s := *p
		s.Model, s.Version, s.Variant, s.Shadow = "churn", 2, "candidate", true
		if i%4 == 0 {
			s.Output = map[string]string{"no": "yes", "yes": "no"}[p.Output]
		}
		preds = append(preds, &s)
	}
	// A shadow row without a primary row is not compared.
	preds = append(preds, &mlw.Prediction{RequestID: "lost", Model: "churn", Version: 2, Variant: "candidate", Shadow: true, At: t0, Output: "no"})
	r, err := Analyze(hour(preds, map[string]*bundle.Bundle{"churn@1": b, "churn@2": b}))
	require.NoError(t, err)
	require.Equal(t, 40, r.Requests, "shadows are not traffic")
	require.Len(t, r.Variants, 2)
	sh := r.Variants[1]
	require.Equal(t, "candidate", sh.Variant)
	require.Equal(t, 21, sh.Rows)
	require.Equal(t, 20, sh.Compared)
	require.InDelta(t, 15.0/20, *sh.Agreement, 1e-12)
	require.Nil(t, r.Variants[0].Agreement)
}

func TestAnalyzeDataQuality(t *testing.T) {
	t.Parallel()
	s := churn
	s.missing = 0.1
	b := testBundle(t, s, 1000, 1)
	ref := b.Reference.Features[0].Numeric
	preds := traffic(churn, 100, 4, "churn", 1)
	set := func(i int, inputs string) { preds[i].Inputs = []byte(inputs) }
	set(0, `[null, 0, 0, 0, 0, "pro"]`)
	set(1, `[null, 0, 0, 0, 0, "gold"]`)
	set(2, `[0, 1e6, 0, 0, 0, "gold"]`)
	set(3, `[0, "n/a", 0, 0, 0, "platinum"]`)
	set(4, `[0, "2.5", true, 0, 0, 3]`) // a number string is read as a number
	set(5, `[0, 0, 0, 0, "pro"]`)       // too short
	set(6, `[0, 0, 0, 0, 0, "pro"`)     // not JSON
	set(7, ``)
	set(8, `[0, "", 0, 0, 0, ""]`) // empty strings are missing
	r, err := Analyze(hour(preds, map[string]*bundle.Bundle{"churn@1": b}))
	require.NoError(t, err)
	require.Equal(t, 3, r.SchemaViolations)
	require.Contains(t, r.Notes[0], "5 input values, the signature has 6")

	x0 := qualityOf(t, r, "x0")
	require.Equal(t, 97, x0.Values)
	require.InDelta(t, 2.0/97, x0.MissingRate, 1e-12)
	require.InDelta(t, float64(ref.Missing)/1000, *x0.ReferenceMissingRate, 1e-12)
	x1 := qualityOf(t, r, "x1")
	require.InDelta(t, 1.0/97, x1.MissingRate, 1e-12)
	require.Equal(t, 1, x1.OutOfRange)
	require.Equal(t, 1, x1.TypeErrors)
	require.Equal(t, 1, qualityOf(t, r, "x2").TypeErrors, "a boolean in a numeric feature")
	plan := qualityOf(t, r, "plan")
	require.Equal(t, 4, plan.UnseenCategories)
	require.Equal(t, []string{"gold", "3", "platinum"}, plan.UnseenExamples)
	require.InDelta(t, 1.0/97, plan.MissingRate, 1e-12)
	require.Zero(t, plan.TypeErrors)
}

func TestAnalyzeSeveralVersionsUseTheBusiestReference(t *testing.T) {
	t.Parallel()
	v1 := testBundle(t, churn, 500, 1)
	// Version 2 takes its inputs in another order and drops x4.
	s2 := spec{numeric: 4, plans: churn.plans, weights: churn.weights}
	v2 := testBundle(t, s2, 2000, 2)
	preds := append(traffic(churn, 300, 1, "churn", 1), traffic(s2, 700, 2, "churn", 2)...)
	r, err := Analyze(hour(preds, map[string]*bundle.Bundle{"churn@1": v1, "churn@2": v2}))
	require.NoError(t, err)
	require.Equal(t, "churn@2", r.Reference)
	require.Len(t, r.Drift, 5)
	require.Equal(t, 1000, qualityOf(t, r, "x0").Values, "version 1's rows are matched by name")
	require.Contains(t, r.Notes[0], "2 model versions served")
	require.Zero(t, r.SchemaViolations)
	require.Zero(t, r.DriftShare)
}

func TestAnalyzeSeries(t *testing.T) {
	t.Parallel()
	b := testBundle(t, churn, 3000, 1)
	// Six buckets of 2000 rows (with fewer, the Wasserstein distance of
	// identical distributions often exceeds 0.1 by chance), the last cut
	// to 10 rows; from the fourth, x1 drifts.
	preds := traffic(churn, 12000, 9, "churn", 1)
	late := churn
	late.shift = map[int]float64{1: 1}
	for i, p := range traffic(late, 12000, 10, "churn", 1)[6000:] {
		preds[6000+i].Inputs = p.Inputs
	}
	preds = preds[:12000-1990]
	in := hour(preds, map[string]*bundle.Bundle{"churn@1": b})
	in.Bucket = 10 * time.Minute
	r, err := Analyze(in)
	require.NoError(t, err)
	require.Len(t, r.Series, 6)
	require.Equal(t, 600.0, r.BucketSeconds)
	for k, pt := range r.Series[:5] {
		require.NotNil(t, pt.DriftShare, "bucket %d", k)
		require.Len(t, pt.Drift, 6)
		require.Equal(t, k >= 3, pt.Drift["x1"] >= 0.1, "bucket %d: %v", k, pt.Drift)
		require.Equal(t, k >= 3, *pt.DriftShare > 0, "bucket %d: %v", k, pt.Drift)
	}
	last := r.Series[5]
	require.Equal(t, 10, last.Rows)
	require.Nil(t, last.DriftShare)
	require.Nil(t, last.Drift)
	require.True(t, driftOfFeature(t, r, "x1").Drifted)

	data, err := json.Marshal(last)
	require.NoError(t, err)
	require.NotContains(t, string(data), "drift_share")
}

func TestAnalyzeRefusesBadInput(t *testing.T) {
	t.Parallel()
	preds := traffic(churn, 10, 1, "churn", 1)
	for _, tc := range []struct {
		name string
		in   Input
		want string
	}{
		{"drift method", Input{From: t0, To: t0.Add(time.Hour), Drift: project.DriftConfig{Numeric: "chisquare"}}, `monitoring.drift.numeric "chisquare" is unknown`},
		{"categorical method", Input{From: t0, To: t0.Add(time.Hour), Drift: project.DriftConfig{Categorical: "ks"}}, `monitoring.drift.categorical "ks" is unknown`},
		{"share", Input{From: t0, To: t0.Add(time.Hour), Drift: project.DriftConfig{DatasetShare: 2}}, "dataset_share 2 is impossible"},
		{"window", Input{From: t0, To: t0}, "is empty"},
		{"buckets", Input{From: t0, To: t0.Add(24 * time.Hour), Bucket: time.Second}, "at most 2000"},
		{"nothing", Input{}, "no window given"},
	} {
		_, err := Analyze(tc.in)
		require.ErrorContains(t, err, tc.want, tc.name)
		require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err), tc.name)
	}

	// Without a window, the records give it.
	r, err := Analyze(Input{Predictions: preds})
	require.NoError(t, err)
	require.Equal(t, preds[0].At, r.From)
	require.Equal(t, 10, r.Requests)
	require.Empty(t, r.Drift, "no bundle: traffic only")
}

func TestAnalyzeEmptyWindowEncodes(t *testing.T) {
	t.Parallel()
	r, err := Analyze(Input{Endpoint: "churn", From: t0, To: t0.Add(time.Hour)})
	require.NoError(t, err)
	data, err := json.Marshal(r)
	require.NoError(t, err)
	require.NotContains(t, string(data), "latency_ms")
	require.Contains(t, string(data), `"variants":[]`)
	require.Contains(t, string(data), `"alerts":[]`)
}

func TestAnalyzeBooleanDatetimeAndNumericCategories(t *testing.T) {
	t.Parallel()
	const n = 400
	active := make([]bool, n)
	signup := make([]time.Time, n)
	seats := make([]float64, n)
	vip := make([]float64, n) // 0/1: a boolean stored as numbers, encoded as categories
	for i := range n {
		vip[i] = float64(i % 2)
		active[i] = i%3 != 0
		signup[i] = time.Date(2024, time.Month(1+i%12), 1+i%28, i%24, 0, 0, 0, time.UTC)
		seats[i] = float64(1 + i%3)
	}
	f, err := frame.New([]string{"active", "signup", "seats", "vip"}, []frame.Column{
		frame.NewBool(active, nil), frame.NewDatetimeFromTimes(signup), frame.NewNumeric(seats), frame.NewNumeric(vip)})
	require.NoError(t, err)
	pipe, err := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), feature.ForBoosting())
	require.NoError(t, err)
	b := &bundle.Bundle{Header: bundle.Header{Task: "regression", Pipeline: pipe}}
	b.Reference = b.NewReference(f, nil)

	var preds []*mlw.Prediction
	for i := range n {
		ts := signup[i].Format(time.RFC3339)
		if i%2 == 0 {
			ts = signup[i].Format("2006-01-02 15:04:05")
		}
		preds = append(preds, &mlw.Prediction{RequestID: fmt.Sprint(i), Model: "m", Version: 1, At: t0.Add(time.Duration(i) * time.Second),
			Inputs: []byte(fmt.Sprintf(`[%t, %q, %g, %g]`, active[i], ts, seats[i], vip[i]))})
	}
	preds[0].Inputs = []byte(`["true", 17, 4, 2]`)
	preds[1].Inputs = []byte(`[null, "2024-02-30", null, 1]`)
	r, err := Analyze(hour(preds, map[string]*bundle.Bundle{"m@1": b}))
	require.NoError(t, err)
	for _, d := range r.Drift {
		require.False(t, d.Drifted, "%+v", d)
		require.Empty(t, d.Note)
	}
	require.Equal(t, "ks", driftOfFeature(t, r, "signup").Method, "date-times compare as numbers")
	require.Equal(t, "chisquare", driftOfFeature(t, r, "active").Method)
	signupQ := qualityOf(t, r, "signup")
	require.Equal(t, 2, signupQ.TypeErrors, "a number and an impossible date")
	require.Zero(t, signupQ.OutOfRange)
	require.Zero(t, qualityOf(t, r, "active").UnseenCategories)
	require.InDelta(t, 1.0/n, qualityOf(t, r, "active").MissingRate, 1e-12)
	require.Equal(t, 1, qualityOf(t, r, "seats").OutOfRange, "4 seats, above the training maximum")
	require.NotNil(t, b.Reference.Features[3].Categorical)
	vipQ := qualityOf(t, r, "vip")
	require.Equal(t, 1, vipQ.UnseenCategories, "numbers are matched to the categories as training wrote them")
	require.Equal(t, []string{"2"}, vipQ.UnseenExamples)
}
