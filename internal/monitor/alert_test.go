package monitor

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
)

func TestParseRule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text      string
		want      Rule
		canonical string
	}{
		{"p99 > 50ms for 5m", Rule{Metric: MetricP99, Op: ">", Value: 50, For: 5 * time.Minute}, "p99 > 50ms for 5m"},
		{"p95 >= 20ms", Rule{Metric: MetricP95, Op: ">=", Value: 20}, "p95 >= 20ms"},
		{"p50>1.5s", Rule{Metric: MetricP50, Op: ">", Value: 1500}, "p50 > 1500ms"},
		{"error_rate > 1%", Rule{Metric: MetricErrorRate, Op: ">", Value: 0.01}, "error_rate > 1%"},
		{"error_rate > 0.07 for 90s", Rule{Metric: MetricErrorRate, Op: ">", Value: 0.07, For: 90 * time.Second}, "error_rate > 7% for 1m30s"},
		{"drift_share > 0.3", Rule{Metric: MetricDriftShare, Op: ">", Value: 0.3}, "drift_share > 0.3"},
		{"drift_share >= 50%", Rule{Metric: MetricDriftShare, Op: ">=", Value: 0.5}, "drift_share >= 0.5"},
		{"online roc_auc < 0.8", Rule{Metric: "roc_auc", Online: true, Op: "<", Value: 0.8}, "online roc_auc < 0.8"},
		{"online accuracy <= 90% for 1h", Rule{Metric: "accuracy", Online: true, Op: "<=", Value: 0.9, For: time.Hour}, "online accuracy <= 0.9 for 1h"},
		{"online rmse > 12.5", Rule{Metric: "rmse", Online: true, Op: ">", Value: 12.5}, "online rmse > 12.5"},
		{"no traffic for 1h", Rule{Metric: MetricNoTraffic, For: time.Hour}, "no traffic for 1h"},
		{"  no   traffic for 1h30m ", Rule{Metric: MetricNoTraffic, For: 90 * time.Minute}, "no traffic for 1h30m"},
		{"dropped predictions > 0", Rule{Metric: MetricDropped, Op: ">", Value: 0}, "dropped predictions > 0"},
		{"dropped_predictions > 10 for 10m", Rule{Metric: MetricDropped, Op: ">", Value: 10, For: 10 * time.Minute}, "dropped predictions > 10 for 10m"},
	} {
		r, err := ParseRule(tc.text)
		require.NoError(t, err, tc.text)
		require.Equal(t, tc.want, r, tc.text)
		require.Equal(t, tc.canonical, r.String(), tc.text)
		again, err := ParseRule(r.String())
		require.NoError(t, err)
		require.Equal(t, r, again, "the canonical text reads back")
	}
}

func TestParseRuleErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ text, want string }{
		{"p99 > fast", `alert rule "p99 > fast": value "fast" is not a number`},
		{"", "empty rule"},
		{"p98 > 5ms", `unknown metric "p98"`},
		{"roc_auc < 0.8", `"roc_auc" is measured on labelled traffic: write online roc_auc`},
		{"online log_loss > 1", `online metric "log_loss" is not computed`},
		{"online", "want a metric after online"},
		{"p99 50ms", `"50ms" is not an operator`},
		{"p99 == 50ms", `"==" is not an operator`},
		{"p99 >", `want a value after ">"`},
		{"p99 > 50", `value "50" needs a unit: ms or s, e.g. 50ms`},
		{"p99 > 50kg", `value "50kg" is not a number with a unit`},
		{"error_rate > 150%", `value "150%" is not a percentage between 0% and 100%`},
		{"error_rate > 2", `value "2" is not a share between 0 and 1`},
		{"online accuracy < 1.5", `value "1.5" is outside the range of accuracy [0, 1]`},
		{"online rmse < 5%", `value "5%" is not a number`},
		{"p99 > 50ms for", "want a duration after for"},
		{"p99 > 50ms for ever", `duration "ever" is not a duration`},
		{"p99 > 50ms for 0s", `duration "0s" must be positive`},
		{"p99 > 50ms every 5m", `unexpected "every"`},
		{"no traffic", `want "no traffic for DURATION"`},
		{"no traffic for 1h please", `unexpected "please"`},
		{"dropped > 0", `want "dropped predictions"`},
		{"dropped predictions > -1", `value "-1" is negative`},
	} {
		_, err := ParseRule(tc.text)
		require.ErrorContains(t, err, tc.want, tc.text)
		require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err), tc.text)
		var re *RuleError
		require.True(t, errors.As(err, &re))
		require.Equal(t, tc.text, re.Rule)
	}
	var re *RuleError
	_, err := ParseRule("p99 > fast")
	require.True(t, errors.As(err, &re))
	require.Equal(t, 6, re.Pos, "the offset of the bad word")
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	require.Empty(t, ValidateRules([]string{"p99 > 50ms for 5m", "error_rate > 1%"}))
	errs := ValidateRules([]string{"p99 > 50ms", "p99 > fast", "p99 >  50ms", "no traffic for 1h"})
	require.Len(t, errs, 2)
	require.EqualError(t, errs[0], `alert rule 2 "p99 > fast": value "fast" is not a number`)
	require.EqualError(t, errs[1], `alert rule 3 "p99 >  50ms": same rule as rule 1`)

	_, err := ParseRules([]string{"p99 > fast", "x > 1"})
	require.ErrorContains(t, err, "alert rule 1")
	require.ErrorContains(t, err, "alert rule 2")
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	rules, err := ParseRules([]string{"p99 > 50ms", "no traffic for 1h"})
	require.NoError(t, err)
	require.Len(t, rules, 2)
}

// values returns Values with only the given latency p99 and error rate
// known.
func values(p99, errorRate float64) Values {
	nan := math.NaN()
	return Values{P50: nan, P95: nan, P99: p99, ErrorRate: errorRate, DriftShare: nan}
}

func mustRules(t *testing.T, texts ...string) []Rule {
	t.Helper()
	rules, err := ParseRules(texts)
	require.NoError(t, err)
	return rules
}

func TestEvaluatorFiresAfterForAndResolves(t *testing.T) {
	t.Parallel()
	e := NewEvaluator("churn", mustRules(t, "p99 > 50ms for 5m", "error_rate > 1%"), nil)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

	require.Empty(t, e.Evaluate(at(0), values(73.2, 0)))
	require.Empty(t, e.Evaluate(at(4), values(80, 0)), "held for 4 minutes only")
	ev := e.Evaluate(at(5), values(73.2, 0))
	require.Equal(t, []mlw.AlertEvent{{Endpoint: "churn", Rule: "p99 > 50ms for 5m", State: mlw.AlertFiring, Value: 73.2,
		Message: "p99 latency 73.2 ms > 50 ms for 5m0s", At: at(5)}}, ev)
	require.Empty(t, e.Evaluate(at(6), values(90, 0)), "already firing")
	require.Empty(t, e.Evaluate(at(7), values(math.NaN(), math.NaN())), "unknown values neither fire nor resolve")
	ev = e.Evaluate(at(8), values(41, 0.02))
	require.Len(t, ev, 2)
	require.Equal(t, mlw.AlertResolved, ev[0].State)
	require.Equal(t, "p99 latency 41 ms, no longer > 50 ms", ev[0].Message)
	require.Equal(t, mlw.AlertFiring, ev[1].State)
	require.Equal(t, "error rate 2% > 1%", ev[1].Message)
	require.Equal(t, 0.02, ev[1].Value)

	// The pending time restarts when the condition stops holding.
	require.Empty(t, e.Evaluate(at(10), values(60, 0.02)))
	require.Empty(t, e.Evaluate(at(12), values(40, 0.02)))
	require.Empty(t, e.Evaluate(at(13), values(60, 0.02)))
	require.Empty(t, e.Evaluate(at(17), values(60, 0.02)))
	require.Len(t, e.Evaluate(at(18), values(60, 0.02)), 1)
}

func TestEvaluatorOtherRules(t *testing.T) {
	t.Parallel()
	e := NewEvaluator("churn", mustRules(t, "no traffic for 1h", "online roc_auc < 0.8", "dropped predictions > 0", "drift_share > 0.3"), nil)
	v := values(math.NaN(), math.NaN())
	require.Empty(t, e.Evaluate(t0, v), "nothing known yet")
	v.LastRequest = t0
	v.Online = map[string]float64{"roc_auc": 0.75}
	v.Dropped = 3
	v.DriftShare = 0.5
	ev := e.Evaluate(t0.Add(72*time.Minute), v)
	require.Len(t, ev, 4)
	require.Equal(t, "no traffic for 1h12m0s (last request at 2026-03-02T09:00:00Z)", ev[0].Message)
	require.Equal(t, 72*60.0, ev[0].Value)
	require.Equal(t, "online roc_auc 0.75 < 0.8", ev[1].Message)
	require.Equal(t, "dropped predictions 3 > 0", ev[2].Message)
	require.Equal(t, "drift share 0.5 > 0.3", ev[3].Message)

	v.LastRequest = t0.Add(80 * time.Minute)
	ev = e.Evaluate(t0.Add(81*time.Minute), v)
	require.Len(t, ev, 1)
	require.Equal(t, mlw.AlertResolved, ev[0].State)
	require.Equal(t, "traffic resumed (last request at 2026-03-02T10:20:00Z)", ev[0].Message)
}

func TestEvaluatorRestoresFromStoredEvents(t *testing.T) {
	t.Parallel()
	rules := mustRules(t, "p99 > 50ms for 5m", "error_rate > 1%")
	stored := []*mlw.AlertEvent{
		{ID: 1, Endpoint: "churn", Rule: "p99 > 50ms for 5m", State: mlw.AlertFiring, At: t0},
		{ID: 2, Endpoint: "churn", Rule: "error_rate > 1%", State: mlw.AlertFiring, At: t0},
		{ID: 3, Endpoint: "churn", Rule: "error_rate >   1%", State: mlw.AlertResolved, At: t0.Add(time.Minute)}, // same rule
		{ID: 4, Endpoint: "other", Rule: "error_rate > 1%", State: mlw.AlertFiring, At: t0.Add(2 * time.Minute)},
	}
	e := NewEvaluator("churn", rules, stored)
	now := t0.Add(10 * time.Minute)
	// p99 still firing: nothing new; the error rate was resolved, so it fires.
	ev := e.Evaluate(now, values(70, 0.05))
	require.Len(t, ev, 1)
	require.Equal(t, "error_rate > 1%", ev[0].Rule)
	require.Equal(t, mlw.AlertFiring, ev[0].State)
	// And p99 resolves when it recovers.
	ev = e.Evaluate(now.Add(time.Minute), values(10, 0.05))
	require.Len(t, ev, 1)
	require.Equal(t, mlw.AlertResolved, ev[0].State)
}

func TestValuesFromReport(t *testing.T) {
	t.Parallel()
	r := &Report{Requests: 10, ErrorRate: 0.1, LatencyMS: &Latency{P50: 1, P95: 2, P99: 3}, DriftShare: 0.25,
		Drift:  []Drift{{Feature: "x", Method: "ks"}},
		Online: Online{Metrics: map[string]float64{"accuracy": 0.9}}}
	v := ValuesFromReport(r, t0, 2)
	require.Equal(t, 3.0, v.P99)
	require.Equal(t, 0.1, v.ErrorRate)
	require.Equal(t, 0.25, v.DriftShare)
	require.Equal(t, 0.9, v.Online["accuracy"])
	require.Equal(t, 2.0, v.Dropped)
	require.Equal(t, t0, v.LastRequest)

	v = ValuesFromReport(&Report{}, time.Time{}, 0)
	require.True(t, math.IsNaN(v.P99))
	require.True(t, math.IsNaN(v.ErrorRate), "no requests: unknown, not 0")
	require.True(t, math.IsNaN(v.DriftShare))
	e := NewEvaluator("churn", mustRules(t, "error_rate < 5%", "no traffic for 1h"), nil)
	require.Empty(t, e.Evaluate(t0, v))
}
