package deploy

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

func TestSummaryIsBounded(t *testing.T) {
	const n = 3 * sampleSize
	u := newSummary("m@1")
	var sum float64
	var rows int
	for i := range n {
		// Two rows per request, the request's latency i µs, every 10th failed.
		p := &mlw.Prediction{RequestID: fmt.Sprint(i / 2), Row: i % 2, Latency: time.Duration(i/2) * time.Microsecond, Score: float64(i%100) / 100}
		if (i/2)%10 == 0 {
			p.Error = "bad row"
		} else {
			sum += p.Score
			rows++
		}
		u.add(p)
	}
	s := u.stats()
	require.Equal(t, n/2, s.Requests, "each request once")
	require.Equal(t, n/20, s.Errors)
	require.InDelta(t, 0.1, s.ErrorRate, 1e-12)
	require.Len(t, s.scores.values(), sampleSize, "scores are sampled beyond the cap")
	require.LessOrEqual(t, len(u.lat.values()), sampleSize)
	trueP99 := 0.99 * float64(n/2-1) / 1000 // ms: latencies are uniform on [0, n/2) µs
	require.InEpsilon(t, trueP99, s.P99Ms, 0.01, "the sample's p99 is close to the true one")
	require.Equal(t, rows, s.Rows)
	require.InDelta(t, sum/float64(rows), s.ScoreMean, 1e-12, "the mean is exact")
	require.False(t, math.IsNaN(s.P50Ms))
}

func TestStatusShadowAgreement(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.deploy(t, Request{Model: "churn@1"})
	e.deploy(t, Request{Model: "churn@2", Strategy: Shadow})
	e.advance(time.Minute)
	var recs []mlw.Prediction
	for i := range 40 {
		id := fmt.Sprint("r", i)
		recs = append(recs, mlw.Prediction{RequestID: id, Endpoint: "churn", Model: "churn", Version: 1, Variant: "primary", At: e.clock().Add(-time.Second), Output: "stays", Proba: []byte(`[0.9,0.1]`)})
		out := "stays"
		if i%4 == 0 {
			out = "churns"
		}
		recs = append(recs, mlw.Prediction{RequestID: id, Endpoint: "churn", Model: "churn", Version: 2, Variant: "shadow", Shadow: true, At: e.clock().Add(-time.Second), Output: out, Proba: []byte(`[0.5,0.5]`)})
	}
	require.NoError(t, e.st.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: recs}))
	st, err := e.svc.Status(ctx, "churn")
	require.NoError(t, err)
	require.Len(t, st.Variants, 2)
	sh := st.Variants[1]
	require.True(t, sh.Shadow)
	require.Equal(t, 40, sh.Traffic.Requests)
	require.NotNil(t, sh.Agreement)
	require.InDelta(t, 0.75, *sh.Agreement, 1e-12)
	require.Equal(t, map[string]int{"stays": 30, "churns": 10}, sh.Classes)
	require.Nil(t, st.Variants[0].Agreement)
}
