package cli

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/monitor"
	"mlw.dev/internal/store"
	"mlw.dev/model/bundle"
)

func TestMonitorWindowPagesThroughTheLog(t *testing.T) {
	t.Parallel()
	dir := irisModels(t)
	app := &App{Getenv: func(string) string { return "" }, Now: testNow, Dir: dir}
	ctx := context.Background()
	e, err := app.open(ctx)
	require.NoError(t, err)
	defer e.Close()

	// 2.5 pages of single-row requests served by iris@2, with a shadow
	// iris@1 on every tenth request.
	const n = 5 * monitorPage / 2
	from := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	var recs []mlw.Prediction
	for i := range n {
		p := mlw.Prediction{RequestID: "r" + strconv.Itoa(i), Endpoint: "iris", Model: "iris", Version: 2, Variant: "primary",
			At: from.Add(time.Duration(i) * time.Hour / n), Latency: time.Duration(1+i%9) * time.Millisecond,
			Inputs: fmt.Appendf(nil, "[%g, 3.5, %g, 0.2]", 4.5+float64(i%30)/10, 1+float64(i%50)/10), Output: strconv.Itoa(i % 3), Score: 0.8}
		recs = append(recs, p)
		if i%10 == 0 {
			p.Model, p.Version, p.Variant, p.Shadow = "iris", 1, "candidate", true
			recs = append(recs, p)
		}
	}
	require.NoError(t, e.store.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: recs}))

	got, err := e.monitorWindow(ctx, "iris", from, from.Add(time.Hour), 0, nil)
	require.NoError(t, err)
	require.Equal(t, n, got.Requests)
	require.Equal(t, n, got.Rows)
	require.Equal(t, "iris@2", got.Reference)
	require.Len(t, got.Drift, 4)
	require.Positive(t, got.Variants[1].Compared) // a hashed sample of the 2,500 pairs
	require.LessOrEqual(t, got.Variants[1].Compared, n/10)
	require.Equal(t, 1.0, *got.Variants[1].Agreement)

	// The same report as the whole window read at once.
	all, err := e.store.ListPredictions(ctx, &store.ListPredictionsParams{Endpoint: "iris", Since: from, Until: from.Add(time.Hour), IncludeShadow: true})
	require.NoError(t, err)
	require.Len(t, all, len(recs))
	in := monitor.Input{Endpoint: "iris", From: from, To: from.Add(time.Hour), Predictions: all, Drift: e.proj.Config.Monitoring.Drift}
	in.Models = map[string]*bundle.Bundle{}
	for _, ref := range []string{"iris@1", "iris@2"} {
		b, _, err := e.loadBundle(ctx, ref)
		require.NoError(t, err)
		in.Models[ref] = b
	}
	in.Expected = e.expectedMetrics(ctx, "iris@2")
	want, err := monitor.Analyze(in)
	require.NoError(t, err)
	require.Equal(t, want, got)
}
