package deploy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
)

func TestDirectAndRollback(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sy := e.syncer()

	_, err := e.svc.Deploy(ctx, Request{Endpoint: "churn", Model: "churn@1", Strategy: Canary})
	require.ErrorContains(t, err, "serves nothing yet")

	d := e.deploy(t, Request{Model: "churn@1", Reason: "first"})
	require.Equal(t, 1, d.Revision)
	require.Equal(t, StateLive, d.State)
	require.Equal(t, []string{"primary=churn@1"}, e.served(t, sy))

	e.deploy(t, Request{Model: "churn@2"})
	require.Equal(t, []string{"primary=churn@2"}, e.served(t, sy))

	d, err = e.svc.Rollback(ctx, "churn", "bad")
	require.NoError(t, err)
	require.Equal(t, StateRolledBack, d.State)
	require.Equal(t, []string{"primary=churn@1"}, e.served(t, sy))
	require.Equal(t, map[string]int{"churn": 3}, sy.Applied())

	_, err = e.svc.Deploy(ctx, Request{Endpoint: "churn", Model: "churn@9"})
	require.Equal(t, mlw.ENOTFOUND, mlw.ErrorCode(err))
	_, err = e.svc.Deploy(ctx, Request{Endpoint: "churn", Model: "churn@2", Strategy: "yolo"})
	require.ErrorContains(t, err, `--strategy "yolo"`)
	_, err = e.svc.Promote(ctx, "churn", "", "")
	require.ErrorContains(t, err, "nothing to promote")

	_, err = e.svc.Undeploy(ctx, "churn", "retired")
	require.NoError(t, err)
	require.NoError(t, sy.Sync(ctx))
	_, err = sy.Table.Route("churn")
	require.Equal(t, mlw.ENOTFOUND, mlw.ErrorCode(err))
	require.Equal(t, []string{"deploy.create", "deploy.create", "deploy.rollback", "deploy.undeploy"}, e.actions(t))
}

func TestShadowAndABPromote(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sy := e.syncer()
	e.deploy(t, Request{Model: "churn@1"})

	d := e.deploy(t, Request{Model: "churn@2", Strategy: Shadow})
	require.Equal(t, StateShadowing, d.State)
	require.Equal(t, []string{"primary=churn@1", "shadow shadow=churn@2"}, e.served(t, sy))

	_, err := e.svc.Deploy(ctx, Request{Endpoint: "churn", Model: "churn@3", Strategy: AB})
	require.Equal(t, mlw.ECONFLICT, mlw.ErrorCode(err), "a change in progress blocks another")

	// Status: agreement of the shadow with the primary on the same rows.
	e.advance(time.Minute)
	e.log(t, "primary", 1, 10, 0, 2*time.Millisecond, 0.2, "stays", "")
	st, err := e.svc.Status(ctx, "churn")
	require.NoError(t, err)
	require.Len(t, st.Variants, 2)
	require.Equal(t, 10, st.Variants[0].Traffic.Requests)
	require.Equal(t, map[string]int{"stays": 10}, st.Variants[0].Classes)

	d, err = e.svc.Promote(ctx, "churn", "", "shadow agrees")
	require.NoError(t, err)
	require.Equal(t, StatePromoted, d.State)
	require.Equal(t, []string{"primary=churn@2"}, e.served(t, sy))

	_, err = e.svc.Deploy(ctx, Request{Endpoint: "churn", Model: "churn@3", Strategy: AB, Weights: []int{90}})
	require.ErrorContains(t, err, "--weights 90")
	e.deploy(t, Request{Model: "churn@3", Strategy: AB, Weights: []int{90, 10}, StickyHeader: "X-User"})
	require.Equal(t, []string{"a=churn@2:90", "b=churn@3:10"}, e.served(t, sy))
	r, err := sy.Table.Route("churn")
	require.NoError(t, err)
	require.Equal(t, "X-User", r.Config().StickyHeader)

	// Rolling back an A/B split keeps the version it was compared with.
	_, err = e.svc.Rollback(ctx, "churn", "b loses")
	require.NoError(t, err)
	require.Equal(t, []string{"primary=churn@2"}, e.served(t, sy))
}

func TestBlueGreen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sy := e.syncer()
	d := e.deploy(t, Request{Model: "churn@1", Strategy: BlueGreen})
	_, spec := e.spec(t)
	require.Equal(t, VariantBlue, spec.Variants[0].Name)
	require.Len(t, spec.Verified, 2, "checks recorded")
	require.Nil(t, spec.Standby)
	require.Equal(t, 1, d.Revision)

	e.deploy(t, Request{Model: "churn@2", Strategy: BlueGreen})
	_, spec = e.spec(t)
	require.Equal(t, "green=churn@2", spec.Variants[0].Name+"="+spec.Variants[0].Ref())
	require.Equal(t, "churn@1", spec.Standby.Ref())
	require.Equal(t, []string{"green=churn@2"}, e.served(t, sy))
	require.Len(t, e.loader.models, 2, "the standby stays loaded")

	// Rollback switches back to the standby, which becomes... the standby's standby.
	_, err := e.svc.Rollback(ctx, "churn", "")
	require.NoError(t, err)
	require.Equal(t, []string{"blue=churn@1"}, e.served(t, sy))
	_, spec = e.spec(t)
	require.Equal(t, "churn@2", spec.Standby.Ref())
	_, err = e.svc.Promote(ctx, "churn", "", "release the standby")
	require.NoError(t, err)
	_, spec = e.spec(t)
	require.Nil(t, spec.Standby)
	require.Equal(t, []string{"blue=churn@1"}, e.served(t, sy))

	// A candidate that fails its checks changes nothing.
	bad := &Service{Store: e.st, Now: e.clock, Actor: "t", Verify: func(context.Context, VariantSpec) ([]string, error) {
		return nil, mlw.Errorf(mlw.EINVALID, "smoke row 1: prediction NaN is not finite")
	}}
	before, _ := e.spec(t)
	_, err = bad.Deploy(ctx, Request{Endpoint: "churn", Model: "churn@3", Strategy: BlueGreen})
	require.ErrorContains(t, err, "failed its checks before the switch (nothing changed)")
	after, _ := e.spec(t)
	require.Equal(t, before.Revision, after.Revision)
}

func TestSmokeRows(t *testing.T) {
	e := newEnv(t)
	m, err := e.loader.Load(context.Background(), VariantSpec{Model: "churn", Version: 1, Artifact: mustVersion(t, e, 1).ArtifactKey})
	require.NoError(t, err)
	rows := SmokeRows(m.Bundle())
	require.Len(t, rows, 4)
	require.False(t, rows[1][0].Missing)
	require.Equal(t, "basic", rows[0][1].Str, "the most frequent category (ties by name)")
	require.True(t, rows[3][0].Missing && rows[3][1].Missing)
}

func mustVersion(t *testing.T, e *env, v int) *mlw.ModelVersion {
	t.Helper()
	mv, err := e.svc.registry().Resolve(context.Background(), fmt.Sprintf("churn@%d", v))
	require.NoError(t, err)
	return mv
}

func TestConflictingChange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.deploy(t, Request{Model: "churn@1"})
	e.deploy(t, Request{Model: "churn@2"})
	d, spec := e.spec(t)
	// A second writer changed the endpoint after this one read it.
	e.deploy(t, Request{Model: "churn@3"})
	_, err := e.svc.rollback(ctx, d, spec, "stale", nil)
	require.Equal(t, mlw.ECONFLICT, mlw.ErrorCode(err))
}

func TestServedAt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock()
	e.deploy(t, Request{Model: "churn@1"})
	e.advance(time.Hour)
	e.deploy(t, Request{Model: "churn@2"})
	_, _, err := e.svc.Served(ctx, "churn", t0.Add(-time.Minute))
	require.ErrorContains(t, err, "was first deployed at")
	_, s, err := e.svc.Served(ctx, "churn", t0.Add(30*time.Minute))
	require.NoError(t, err)
	require.Equal(t, "churn@1", s.Primary().Ref())
	_, s, err = e.svc.Served(ctx, "churn", t0.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, "churn@2", s.Primary().Ref())
}
