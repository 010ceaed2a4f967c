package monitor

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/model/bundle"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/monitor -update to create it")
	require.Equal(t, string(want), string(got))
}

// goldenReport analyses one hour of a churn endpoint: x1 drifts in the
// second half, one request in 50 fails, a shadow disagrees now and then,
// a third of the rows are labelled, and two alert events fired.
func goldenReport(t *testing.T) *Report {
	t.Helper()
	b := testBundle(t, churn, 3000, 1)
	preds := traffic(churn, 2400, 11, "churn", 3)
	late := churn
	late.shift = map[int]float64{1: 0.8}
	for i, p := range traffic(late, 2400, 12, "churn", 3)[1200:] {
		preds[1200+i].Inputs = p.Inputs
	}
	var extra []*mlw.Prediction
	for i, p := range preds {
		p.Latency = time.Duration(3+i%7+(i/1200)*4) * time.Millisecond
		if i%3 == 0 {
			p.Labeled, p.Label = true, p.Output
			if i%9 == 0 {
				p.Label = map[string]string{"no": "yes", "yes": "no"}[p.Output]
			}
		}
		if i%50 == 49 {
			p.Error, p.Inputs, p.Output, p.Score = "row 0: plan: want a string", nil, "", 0
		}
		if i%4 == 0 && p.Error == "" {
			s := *p
			s.Variant, s.Version, s.Shadow, s.Labeled = "candidate", 4, true, false
			if i%20 == 0 {
				s.Output = "yes"
			}
			extra = append(extra, &s)
		}
	}
	preds[5].Inputs = []byte(`[0.1, 0.2, 0.3, 0.4, 0.5, "gold"]`)
	preds[6].Inputs = []byte(`[0.1, 0.2]`)
	in := hour(append(preds, extra...), map[string]*bundle.Bundle{"churn@3": b})
	in.Bucket = 10 * time.Minute
	in.Expected = map[string]float64{"accuracy": 0.91, "roc_auc": 0.95, "f1_macro": 0.9}
	in.Alerts = []*mlw.AlertEvent{
		{ID: 1, Endpoint: "churn", Rule: "drift_share > 0.1", State: mlw.AlertFiring, Value: 0.1667, Message: "drift share 0.1667 > 0.1", At: t0.Add(40 * time.Minute)},
		{ID: 2, Endpoint: "churn", Rule: "p99 > 8ms for 5m", State: mlw.AlertFiring, Value: 12, Message: "p99 latency 12 ms > 8 ms for 5m0s", At: t0.Add(36 * time.Minute)},
	}
	r, err := Analyze(in)
	require.NoError(t, err)
	return r
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	r := goldenReport(t)
	require.True(t, driftOfFeature(t, r, "x1").Drifted)
	data, err := json.MarshalIndent(r, "", "  ")
	require.NoError(t, err)
	golden(t, "report.json", append(data, '\n'))

	var page bytes.Buffer
	require.NoError(t, WriteHTML(&page, r))
	golden(t, "report.html", page.Bytes())
}

func TestHTMLIsSelfContained(t *testing.T) {
	t.Parallel()
	for name, r := range map[string]*Report{"full": goldenReport(t), "empty": {Endpoint: "e", From: t0, To: t0.Add(time.Hour)}} {
		var page bytes.Buffer
		require.NoError(t, WriteHTML(&page, r), name)
		html := page.String()
		require.Contains(t, html, "<!DOCTYPE html>", name)
		require.NotContains(t, html, "<script", name)
		require.False(t, regexp.MustCompile(`(?i)https?://`).MatchString(html), "%s: the page fetches nothing", name)
	}
}
