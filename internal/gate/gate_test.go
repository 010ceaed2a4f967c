package gate

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func f(v float64) *float64 { return &v }

func TestCheckTargets(t *testing.T) {
	t.Parallel()
	targets := []Target{{Metric: "roc_auc", Min: f(0.7)}, {Metric: "log_loss", Max: f(0.6)}}
	it := CheckTargets(targets, map[string]float64{"roc_auc": 0.78, "log_loss": 0.55}, "test")
	require.Equal(t, Pass, it.Status)
	it = CheckTargets(targets, map[string]float64{"roc_auc": 0.65, "log_loss": 0.55}, "test")
	require.Equal(t, Fail, it.Status)
	require.Contains(t, it.Evidence, "roc_auc 0.6500 < 0.7")
	it = CheckTargets(targets, map[string]float64{"roc_auc": 0.8}, "test")
	require.Equal(t, Fail, it.Status)
	require.Contains(t, it.Evidence, "log_loss not measured")
	require.Equal(t, Skipped, CheckTargets(nil, nil, "test").Status)
}

func TestCheckImprovement(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cand, champ    float64
		higher         bool
		minAbs, minRel float64
		want           string
	}{
		{0.80, 0.78, true, 0, 0, Pass},
		{0.78, 0.78, true, 0, 0, Pass},
		{0.77, 0.78, true, 0, 0, Fail},
		{0.80, 0.78, true, 0.03, 0, Fail},
		{0.80, 0.78, true, 0, 0.02, Pass},  // needs 0.0156
		{0.79, 0.78, true, 0, 0.02, Fail},  // needs 0.0156, gains 0.01
		{0.50, 0.55, false, 0.01, 0, Pass}, // lower is better
	} {
		it := CheckImprovement("m", tc.cand, tc.champ, tc.higher, tc.minAbs, tc.minRel)
		require.Equal(t, tc.want, it.Status, "%+v: %s", tc, it.Evidence)
	}
}

func TestFinishNeedsEverySignOff(t *testing.T) {
	t.Parallel()
	items := []Item{{ID: "a", Status: Pass}}
	r := Finish("m@1", items, nil)
	require.False(t, r.Passed)
	require.Equal(t, len(SignOffItems), r.Unsigned)
	signed := map[string]string{}
	for _, it := range SignOffItems {
		signed[it.ID] = "by alice: done"
	}
	r = Finish("m@1", items, signed)
	require.True(t, r.Passed)
	r = Finish("m@1", []Item{{ID: "a", Status: Fail}}, signed)
	require.False(t, r.Passed)
	require.Equal(t, 1, r.Failed)
	require.True(t, IsSignOff("rollback_plan"))
	require.False(t, IsSignOff("latency"))
}
