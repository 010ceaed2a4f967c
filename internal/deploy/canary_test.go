package deploy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// canaryEnv deploys churn@1 then a canary of churn@2 with a 10 minute
// interval.
func canaryEnv(t *testing.T, r Request) (*env, *Syncer, func() []Step) {
	t.Helper()
	e := newEnv(t)
	sy := e.syncer()
	c := &Controller{Service: e.svc}
	e.deploy(t, Request{Model: "churn@1"})
	r.Model, r.Strategy, r.Interval = "churn@2", Canary, 10*time.Minute
	d := e.deploy(t, r)
	require.Equal(t, StateCanary, d.State)
	return e, sy, func() []Step {
		steps, err := c.Tick(context.Background())
		require.NoError(t, err)
		return steps
	}
}

func TestCanaryPromotes(t *testing.T) {
	e, sy, tick := canaryEnv(t, Request{MaxP99Ms: 50})
	require.Equal(t, []string{"canary=churn@2:5", "stable=churn@1:95"}, e.served(t, sy))

	e.advance(5 * time.Minute)
	require.Empty(t, tick(), "the step is held for its interval")
	e.advance(6 * time.Minute)
	steps := tick()
	require.Len(t, steps, 1)
	require.Equal(t, "held", steps[0].Action, "no canary traffic yet")
	require.True(t, steps[0].Analysis.Held)

	for _, pct := range []int{25, 50, 100} {
		e.log(t, "canary", 2, 30, 0, 3*time.Millisecond, 0.3, "stays", "")
		e.log(t, "stable", 1, 60, 0, 3*time.Millisecond, 0.3, "stays", "")
		steps = tick()
		require.Len(t, steps, 1)
		require.Equal(t, "step", steps[0].Action, "%+v", steps[0].Analysis)
		require.True(t, steps[0].Analysis.Passed)
		require.Equal(t, []string{fmt.Sprintf("canary=churn@2:%d", pct), fmt.Sprintf("stable=churn@1:%d", 100-pct)}, e.served(t, sy))
		e.advance(11 * time.Minute)
	}
	e.log(t, "canary", 2, 30, 0, 3*time.Millisecond, 0.3, "stays", "")
	steps = tick()
	require.Equal(t, "promote", steps[0].Action)
	require.Equal(t, StatePromoted, steps[0].Revision.State)
	require.Equal(t, []string{"primary=churn@2"}, e.served(t, sy))
	require.Equal(t, []string{"deploy.create", "deploy.create", "deploy.canary.step", "deploy.canary.step", "deploy.canary.step", "deploy.promote"}, e.actions(t))
	require.Empty(t, tick(), "nothing left to do")
}

func TestCanaryRollsBack(t *testing.T) {
	tests := []struct {
		name   string
		req    Request
		canary func(e *env)
		reason string
	}{
		{"errors", Request{}, func(e *env) {
			e.log(nil, "canary", 2, 30, 3, time.Millisecond, 0.3, "stays", "")
		}, "error rate 10.00% > 1.00%"},
		{"latency", Request{MaxP99Ms: 20}, func(e *env) {
			e.log(nil, "canary", 2, 30, 0, 40*time.Millisecond, 0.3, "stays", "")
		}, "p99 latency 40.00 ms > 20.00 ms"},
		{"shift", Request{}, func(e *env) {
			e.log(nil, "canary", 2, 40, 0, time.Millisecond, 0.8, "churns", "")
		}, "prediction shift (PSI against stable)"},
		{"accuracy", Request{MaxShift: 100}, func(e *env) {
			e.log(nil, "canary", 2, 40, 0, time.Millisecond, 0.3, "churns", "stays")
		}, "online accuracy 0.000 is 1.000 below the stable version's 1.000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, sy, tick := canaryEnv(t, tt.req)
			e.advance(11 * time.Minute)
			e.log(t, "stable", 1, 60, 0, time.Millisecond, 0.3, "stays", "stays")
			e.t = t
			tt.canary(e)
			steps := tick()
			require.Len(t, steps, 1)
			require.Equal(t, "rollback", steps[0].Action)
			require.False(t, steps[0].Analysis.Passed)
			require.Contains(t, steps[0].Revision.Reason, "canary analysis failed at 5%: "+tt.reason)
			require.Equal(t, StateRolledBack, steps[0].Revision.State)
			require.Equal(t, []string{"primary=churn@1"}, e.served(t, sy))
			_, spec := e.spec(t)
			require.NotNil(t, spec.Analysis, "the analysis is kept with the revision")
			require.Nil(t, spec.Canary)
		})
	}
}

func TestRetireOnPromote(t *testing.T) {
	e := newEnv(t)
	var retired []string
	e.svc.Promoted = func(_ context.Context, ep string, from, to VariantSpec) error {
		retired = append(retired, ep+": "+from.Ref()+" -> "+to.Ref())
		return nil
	}
	e.deploy(t, Request{Model: "churn@1"})
	e.deploy(t, Request{Model: "churn@2", Strategy: Canary, Steps: []int{100}, Interval: time.Minute, MinRequests: 1, RetireOnPromote: true})
	e.advance(2 * time.Minute)
	e.log(t, "canary", 2, 5, 0, time.Millisecond, 0.3, "stays", "")
	steps, err := (&Controller{Service: e.svc}).Tick(context.Background())
	require.NoError(t, err)
	require.Equal(t, "promote", steps[0].Action)
	require.Equal(t, []string{"churn: churn@1 -> churn@2"}, retired)

	// A plain promotion does not retire.
	e.deploy(t, Request{Model: "churn@3", Strategy: AB})
	_, err = e.svc.Promote(context.Background(), "churn", "", "")
	require.NoError(t, err)
	require.Len(t, retired, 1)
}

func TestHeldStepIsRecheckedEveryRecheck(t *testing.T) {
	e, _, _ := canaryEnv(t, Request{})
	c := &Controller{Service: e.svc, Recheck: time.Minute}
	tick := func() []Step {
		steps, err := c.Tick(context.Background())
		require.NoError(t, err)
		return steps
	}
	e.advance(11 * time.Minute)
	steps := tick()
	require.Len(t, steps, 1)
	require.Equal(t, "held", steps[0].Action, "no canary traffic yet")
	e.log(t, "canary", 2, 30, 0, time.Millisecond, 0.3, "stays", "")
	e.log(t, "stable", 1, 60, 0, time.Millisecond, 0.3, "stays", "")
	require.Empty(t, tick(), "a held step waits for Recheck before its next analysis")
	e.advance(time.Minute)
	steps = tick()
	require.Len(t, steps, 1)
	require.Equal(t, "step", steps[0].Action)
}
