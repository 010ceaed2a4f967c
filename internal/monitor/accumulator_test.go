package monitor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/drift"
	"mlw.dev/internal/mlw"
	"mlw.dev/metrics"
	"mlw.dev/model/bundle"
)

// mixedTraffic returns n single-row requests of s (seed) over one hour
// with what a report reads besides drift: latencies, failed requests, a
// labelled third of the rows, and a shadow variant on every fourth
// request that disagrees now and then.
func mixedTraffic(s spec, n int, seed uint64) []*mlw.Prediction {
	preds := traffic(s, n, seed, "churn", 1)
	rng := rand.New(rand.NewPCG(seed, 3))
	var shadows []*mlw.Prediction
	for i, p := range preds {
		p.Latency = time.Duration(1e6 * (2 + 10*rng.Float64()))
		if i%3 == 0 {
			p.Labeled, p.Label = true, p.Output
			if rng.IntN(5) == 0 {
				p.Label = map[string]string{"no": "yes", "yes": "no"}[p.Output]
			}
		}
		if i%50 == 49 {
			p.Error, p.Inputs, p.Output, p.Score = "row 0: plan: want a string", nil, "", 0
		}
		if i%4 == 0 && p.Error == "" {
			c := *p
			c.Variant, c.Version, c.Shadow, c.Labeled = "candidate", 2, true, false
			c.Latency += time.Millisecond
			if rng.IntN(10) == 0 {
				c.Output = map[string]string{"no": "yes", "yes": "no"}[p.Output]
			}
			shadows = append(shadows, &c)
		}
	}
	return append(preds, shadows...)
}

// accumulate adds preds to a new accumulator in pages of the given size
// and returns its report.
func accumulate(tb testing.TB, in Input, preds []*mlw.Prediction, page int) *Report {
	tb.Helper()
	in.Predictions = nil
	a, err := NewAccumulator(in)
	require.NoError(tb, err)
	for lo := 0; lo < len(preds); lo += page {
		a.Add(preds[lo:min(lo+page, len(preds))]...)
	}
	r, err := a.Report()
	require.NoError(tb, err)
	return r
}

func TestAccumulatorPagesEqualAnalyze(t *testing.T) {
	t.Parallel()
	b := testBundle(t, churn, 3000, 1)
	preds := mixedTraffic(churn, 3000, 21)
	in := hour(preds, map[string]*bundle.Bundle{"churn@1": b, "churn@2": b})
	in.Bucket = 10 * time.Minute
	in.Expected = map[string]float64{"accuracy": 0.9}
	want, err := Analyze(in)
	require.NoError(t, err)
	require.Equal(t, 3000, want.Requests)
	require.NotNil(t, want.Variants[1].Agreement)
	for _, page := range []int{1, 7, 1000, 10_000} {
		require.Equal(t, want, accumulate(t, in, preds, page), "pages of %d", page)
	}

	// Above the sample sizes, the pages do not matter either.
	big := mixedTraffic(churn, 3*NumericSample, 22)
	in = hour(big, map[string]*bundle.Bundle{"churn@1": b})
	want, err = Analyze(in)
	require.NoError(t, err)
	require.Equal(t, want, accumulate(t, in, big, 10_000))
	again, err := Analyze(in)
	require.NoError(t, err)
	require.Equal(t, want, again, "the samples are seeded")
}

func TestAccumulatorLoadsBundlesOnce(t *testing.T) {
	t.Parallel()
	b := testBundle(t, churn, 500, 1)
	preds := append(traffic(churn, 200, 1, "churn", 1), traffic(churn, 100, 2, "other", 1)...)
	loaded := map[string]int{}
	in := Input{Endpoint: "churn", From: t0, To: t0.Add(time.Hour), LoadModel: func(ref string) *bundle.Bundle {
		loaded[ref]++
		if ref == "churn@1" {
			return b
		}
		return nil
	}}
	r := accumulate(t, in, preds, 64)
	require.Equal(t, map[string]int{"churn@1": 1, "other@1": 1}, loaded)
	require.Equal(t, "churn@1", r.Reference)
	require.Equal(t, 200, qualityOf(t, r, "x0").Values)
	require.Contains(t, r.Notes[0], "100 rows were served by model versions without a bundle (other@1)")

	_, err := NewAccumulator(Input{Predictions: preds})
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	_, err = NewAccumulator(Input{})
	require.ErrorContains(t, err, "no window given")
	a, err := NewAccumulator(in)
	require.NoError(t, err)
	_, err = a.Report()
	require.NoError(t, err)
	require.Panics(t, func() { a.Add(preds[0]) })
}

func TestAccumulatorVersionServingLate(t *testing.T) {
	t.Parallel()
	// Version 2 starts serving when version 1 has served 300 rows, and
	// serves more: its training range is registered late.
	v1, v2 := testBundle(t, churn, 500, 1), testBundle(t, churn, 2000, 2)
	preds := append(traffic(churn, 300, 1, "churn", 1), traffic(churn, 700, 2, "churn", 2)...)
	in := hour(preds, map[string]*bundle.Bundle{"churn@1": v1, "churn@2": v2})
	want, err := Analyze(in)
	require.NoError(t, err)
	got := accumulate(t, in, preds, 100)
	require.Equal(t, "churn@2", got.Reference)
	require.Equal(t, want.Drift, got.Drift, "the samples do not depend on the reference")
	require.Equal(t, want.Online, got.Online)
	for i, q := range got.DataQuality {
		w := want.DataQuality[i]
		require.LessOrEqual(t, q.OutOfRange, w.OutOfRange, q.Feature)
		q.OutOfRange = w.OutOfRange
		require.Equal(t, w, q)
	}
	require.Len(t, got.Notes, len(want.Notes)+1)
	require.Contains(t, got.Notes[len(got.Notes)-1], "churn@2 started serving after 300 rows with inputs")
}

func TestAccumulatorJoinsInterleavedRowsOfARequest(t *testing.T) {
	t.Parallel()
	// 3000 requests of 3 rows, each request's rows spread over 1000
	// requests of the log, with the latency of the request.
	const requests, rows, spread = 3000, 3, 1000
	var preds []*mlw.Prediction
	for lo := 0; lo < requests; lo += spread {
		for row := range rows {
			for i := lo; i < lo+spread; i++ {
				preds = append(preds, &mlw.Prediction{RequestID: "r" + strconv.Itoa(i), Row: row, Model: "m", Version: 1,
					At: t0.Add(time.Duration(i) * time.Second), Latency: time.Duration(i%100+1) * time.Millisecond})
			}
		}
	}
	require.Less(t, spread*rows, RecentRequests)
	r := accumulate(t, Input{From: t0, To: t0.Add(time.Hour)}, preds, 500)
	require.Equal(t, requests, r.Requests)
	require.Equal(t, requests*rows, r.Rows)
	lat := make([]float64, requests)
	for i := range lat {
		lat[i] = float64(i%100 + 1)
	}
	slices.Sort(lat)
	require.Equal(t, latencyOf(lat), r.LatencyMS)
}

func TestAccumulatorAboveTheSamples(t *testing.T) {
	t.Parallel()
	// 180,000 rows: more than every sample holds.
	const n = 180_000
	b := testBundle(t, churn, 3000, 1)
	shifted := churn
	shifted.shift = map[int]float64{2: 0.3}
	preds := mixedTraffic(shifted, n, 31)
	r, err := Analyze(hour(preds, map[string]*bundle.Bundle{"churn@1": b}))
	require.NoError(t, err)

	// Counts are exact.
	var primary []*mlw.Prediction
	failed := 0
	for _, p := range preds {
		if p.Shadow {
			continue
		}
		if p.Error != "" {
			failed++
			continue
		}
		primary = append(primary, p)
	}
	require.Equal(t, n, r.Requests)
	require.Equal(t, failed, r.Errors)
	require.Equal(t, len(primary), r.Rows)
	require.Equal(t, len(primary), qualityOf(t, r, "x0").Values)

	// Drift: close to the drift of every value, and the planted shift
	// found (normalised Wasserstein: a sample of 20,000 moves it by about
	// 0.005).
	num, _ := shifted.sample(rand.New(rand.NewPCG(31, 2)), n)
	for j := range churn.numeric {
		var x []float64
		for i, v := range num[j] {
			if i%50 != 49 { // failed requests carry no inputs
				x = append(x, v)
			}
		}
		exact, err := drift.CompareNumeric(b.Reference.Features[j].Numeric, x, drift.Config{})
		require.NoError(t, err)
		d := driftOfFeature(t, r, fmt.Sprintf("x%d", j))
		require.InDelta(t, exact.Value, d.Value, 0.02, d.Feature)
		require.Equal(t, j == 2, d.Drifted, d.Feature)
	}
	require.False(t, driftOfFeature(t, r, "plan").Drifted)
	require.InDelta(t, 1.0/6, r.DriftShare, 1e-12)
	for k, pt := range r.Series {
		require.Greater(t, pt.Drift["x2"], 0.1, "bucket %d", k)
	}

	// Latency percentiles of 180,000 requests from a sample of 50,000.
	var lat []float64
	for _, p := range preds {
		if !p.Shadow {
			lat = append(lat, float64(p.Latency)/1e6)
		}
	}
	slices.Sort(lat)
	exact := latencyOf(lat)
	require.InDelta(t, exact.P50, r.LatencyMS.P50, 0.1)
	require.InDelta(t, exact.P95, r.LatencyMS.P95, 0.1)
	require.InDelta(t, exact.P99, r.LatencyMS.P99, 0.1)

	// Online metrics: accuracy and f1_macro exact, roc_auc close.
	code := map[string]int{"no": 0, "yes": 1}
	var yTrue, yPred []int
	var score []float64
	for _, p := range primary {
		if p.Labeled {
			yTrue, yPred, score = append(yTrue, code[p.Label]), append(yPred, code[p.Output]), append(score, p.Score)
		}
	}
	require.Greater(t, len(yTrue), OnlineSample)
	require.Equal(t, len(yTrue), r.Online.LabeledRows)
	require.Equal(t, metrics.Accuracy(yTrue, yPred, nil), r.Online.Metrics["accuracy"])
	require.Equal(t, metrics.F1(yTrue, yPred, nil, metrics.Macro), r.Online.Metrics["f1_macro"])
	require.InDelta(t, metrics.ROCAUC(yTrue, score, nil), r.Online.Metrics["roc_auc"], 0.01)

	// Shadow agreement over a hashed sample of the request ids.
	agree, compared := 0, 0
	out := map[string]string{}
	for _, p := range primary {
		out[p.RequestID] = p.Output
	}
	for _, p := range preds {
		if p.Shadow {
			compared++
			if out[p.RequestID] == p.Output {
				agree++
			}
		}
	}
	sh := r.Variants[1]
	require.True(t, sh.Shadow)
	require.Greater(t, compared, AgreementSample)
	require.LessOrEqual(t, sh.Compared, AgreementSample)
	// The pairs kept are the rows of 1/16 of the request ids (the first
	// power of two that keeps at most AgreementSample of 176,400), of
	// which a quarter have a shadow row.
	require.Greater(t, sh.Compared, compared/20)
	require.InDelta(t, float64(agree)/float64(compared), *sh.Agreement, 0.02)
}

func TestAccumulatorSameDistributionAboveTheSamples(t *testing.T) {
	t.Parallel()
	s := spec{numeric: 10}
	b := testBundle(t, s, 500, 41) // 500 reference rows: KS
	r, err := Analyze(hour(traffic(s, 3*NumericSample, 42, "m", 1), map[string]*bundle.Bundle{"m@1": b}))
	require.NoError(t, err)
	drifted := 0
	for _, d := range r.Drift {
		require.Equal(t, "ks", d.Method)
		if d.Drifted {
			drifted++
		}
	}
	require.LessOrEqual(t, drifted, 2, "%+v", r.Drift)
	require.False(t, r.DatasetDrift)
}

func TestAccumulatorRegressionAboveTheSamples(t *testing.T) {
	t.Parallel()
	b := testBundle(t, churn, 500, 1)
	b.Task, b.Classes = "regression", nil
	preds := traffic(churn, OnlineSample+5000, 51, "churn", 1)
	var target, predicted []float64
	for i, p := range preds {
		y := p.Score + float64(i%7)/10
		p.Labeled, p.Label = true, strconv.FormatFloat(y, 'g', -1, 64)
		target, predicted = append(target, y), append(predicted, p.Score)
	}
	r, err := Analyze(hour(preds, map[string]*bundle.Bundle{"churn@1": b}))
	require.NoError(t, err)
	require.Equal(t, len(target), r.Online.LabeledRows)
	require.InDelta(t, metrics.RMSE(target, predicted, nil), r.Online.Metrics["rmse"], 1e-12)
	require.InDelta(t, metrics.MAE(target, predicted, nil), r.Online.Metrics["mae"], 1e-12)
	require.InDelta(t, metrics.R2(target, predicted, nil), r.Online.Metrics["r2"], 1e-9)
}

// TestAccumulatorMemoryIsBounded feeds 2,000,000 rows in pages of 10,000
// and checks that the live heap stops growing once the samples are full.
// It does not run in parallel: the heap is the process's.
func TestAccumulatorMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000,000 rows")
	}
	const total, page = 2_000_000, 10_000
	b := testBundle(t, churn, 1000, 1)
	// The inputs of 4096 rows, reused; request ids and times are new.
	pool := traffic(churn, 4096, 61, "churn", 1)
	a, err := NewAccumulator(Input{Endpoint: "churn", From: t0, To: t0.Add(time.Hour), Models: map[string]*bundle.Bundle{"churn@1": b}})
	require.NoError(t, err)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	var at []uint64 // live heap after 200,000, 1,000,000 and 2,000,000 rows
	recs := make([]mlw.Prediction, page)
	ptrs := make([]*mlw.Prediction, page)
	for lo := 0; lo < total; lo += page {
		for k := range recs {
			i := lo + k
			src := pool[i%len(pool)]
			recs[k] = mlw.Prediction{RequestID: "r" + strconv.Itoa(i), Model: "churn", Version: 1, Variant: "main",
				At: t0.Add(time.Duration(i) * time.Hour / total), Latency: time.Duration(1+i%20) * time.Millisecond,
				Inputs: src.Inputs, Output: src.Output, Score: src.Score, Labeled: i%3 == 0, Label: src.Output}
			ptrs[k] = &recs[k]
		}
		a.Add(ptrs...)
		if n := lo + page; n == 200_000 || n == 1_000_000 || n == total {
			at = append(at, heap())
		}
	}
	r, err := a.Report()
	require.NoError(t, err)
	require.Equal(t, total, r.Rows)
	const mb = 1 << 20
	t.Logf("live heap: %.1f MB before, %.1f MB after 200,000 rows, %.1f MB after 1,000,000, %.1f MB after 2,000,000",
		float64(base)/mb, float64(at[0])/mb, float64(at[1])/mb, float64(at[2])/mb)
	require.Less(t, int64(at[2])-int64(base), int64(40*mb), "the accumulator's whole state")
	require.Less(t, int64(at[2])-int64(at[0]), int64(10*mb), "not proportional to the rows")
}

func TestReservoirIsUniform(t *testing.T) {
	t.Parallel()
	// 2000 streams of 100 values into samples of 10: each position is
	// kept with probability 1/10.
	kept := make([]int, 100)
	rng := newRand(7)
	for range 2000 {
		r := newReservoir(10)
		for i := range 100 {
			r.offer(float64(i), 0, false, rng)
		}
		require.Len(t, r.vals, 10)
		for _, v := range r.vals {
			kept[int(v)]++
		}
	}
	for i, k := range kept {
		// Binomial(2000, 0.1): mean 200, sd 13.4.
		require.InDelta(t, 200, k, 60, "position %d", i)
	}
	r := newReservoir(5)
	for i, tag := range []int32{2, 0, 2, 1, 0} {
		r.offer(float64(i), tag, true, rng)
	}
	require.False(t, r.full())
	require.Equal(t, []float64{0, 1, 2, 3, 4}, r.vals, "whole while it fits")
	x, start := r.byTag(nil, nil, 4)
	require.Equal(t, []float64{1, 4, 3, 0, 2}, x, "grouped by tag, in order within a tag")
	require.Equal(t, []int{0, 2, 3, 5, 5}, start)
	r.offer(5, 3, true, rng)
	require.True(t, r.full())
	require.True(t, math.IsNaN(padMissing([]float64{1}, 1)[1]))
}

func TestAccumulatorAgreementOfOneLargeRequest(t *testing.T) {
	t.Parallel()
	// One request of 3·AgreementSample rows with a shadow that disagrees
	// on every fifth row: the pairs are sampled by row too.
	const n = 3 * AgreementSample
	preds := make([]*mlw.Prediction, 0, 2*n)
	for i := range n {
		preds = append(preds, &mlw.Prediction{RequestID: "big", Row: i, Model: "m", Version: 1, At: t0, Output: "a"})
	}
	for i := range n {
		out := "a"
		if i%5 == 0 {
			out = "b"
		}
		preds = append(preds, &mlw.Prediction{RequestID: "big", Row: i, Model: "m", Version: 2, Shadow: true, At: t0, Output: out})
	}
	r := accumulate(t, Input{From: t0, To: t0.Add(time.Hour)}, preds, 10_000)
	require.Equal(t, 1, r.Requests)
	sh := r.Variants[1]
	require.Equal(t, 1, sh.Requests)
	require.Greater(t, sh.Compared, AgreementSample/4)
	require.InDelta(t, 0.8, *sh.Agreement, 0.02)
}
