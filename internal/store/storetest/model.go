package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

func testModelVersions(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	mkRun(ctx, t, s, "r-1")
	mkRun(ctx, t, s, "r-2")

	in := mlw.ModelVersion{
		Name: "churn", RunID: "r-1", ArtifactKey: "sha256/b1", Status: mlw.ModelArchived, Description: "first try",
		CreatedAt: at(1), CreatedBy: "ann",
	}
	c1, err := s.CreateModelVersion(ctx, &store.CreateModelVersionParams{Version: in})
	require.NoError(t, err)
	require.NotZero(t, c1.ID)
	want := in
	want.ID, want.Version, want.Status, want.CreatedAt = c1.ID, 1, mlw.ModelReady, norm(at(1))
	require.Equal(t, &want, c1, "a new version is ready, whatever Status was given")

	c2, err := s.CreateModelVersion(ctx, &store.CreateModelVersionParams{Version: mlw.ModelVersion{Name: "churn", RunID: "r-2"}})
	require.NoError(t, err)
	require.Equal(t, 2, c2.Version)
	requireStamped(t, c2.CreatedAt)
	spam := mkModelVersion(ctx, t, s, "spam", "r-1")
	require.Equal(t, 1, spam.Version)

	t.Run("UnknownRun", func(t *testing.T) {
		_, err := s.CreateModelVersion(ctx, &store.CreateModelVersionParams{Version: mlw.ModelVersion{Name: "churn", RunID: "r-404"}})
		requireCode(t, err, mlw.ENOTFOUND, "r-404")
		latest, err := s.GetModelVersion(ctx, &store.GetModelVersionParams{Name: "churn"})
		require.NoError(t, err)
		require.Equal(t, c2, latest)
	})
	for _, tt := range []struct {
		name string
		p    store.GetModelVersionParams
		want *mlw.ModelVersion
	}{
		{"Latest", store.GetModelVersionParams{Name: "churn"}, c2},
		{"Version", store.GetModelVersionParams{Name: "churn", Version: 1}, c1},
		{"OtherModel", store.GetModelVersionParams{Name: "spam"}, spam},
	} {
		t.Run("Get"+tt.name, func(t *testing.T) {
			got, err := s.GetModelVersion(ctx, &tt.p)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("GetNotFound", func(t *testing.T) {
		_, err := s.GetModelVersion(ctx, &store.GetModelVersionParams{Name: "nosuch"})
		requireCode(t, err, mlw.ENOTFOUND, "nosuch")
		_, err = s.GetModelVersion(ctx, &store.GetModelVersionParams{Name: "churn", Version: 9})
		requireCode(t, err, mlw.ENOTFOUND, "churn")
	})
	for _, tt := range []struct {
		name string
		p    store.ListModelVersionsParams
		want []*mlw.ModelVersion
	}{
		{"All", store.ListModelVersionsParams{}, []*mlw.ModelVersion{c1, c2, spam}},
		{"Name", store.ListModelVersionsParams{Name: "churn"}, []*mlw.ModelVersion{c1, c2}},
		{"RunID", store.ListModelVersionsParams{RunID: "r-1"}, []*mlw.ModelVersion{c1, spam}},
		{"NameAndRunID", store.ListModelVersionsParams{Name: "churn", RunID: "r-2"}, []*mlw.ModelVersion{c2}},
		{"None", store.ListModelVersionsParams{Name: "nosuch"}, nil},
	} {
		t.Run("List"+tt.name, func(t *testing.T) {
			got, err := s.ListModelVersions(ctx, &tt.p)
			require.NoError(t, err)
			if tt.want == nil {
				require.Empty(t, got)
				return
			}
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("SetStatus", func(t *testing.T) {
		got, err := s.SetModelVersionStatus(ctx, &store.SetModelVersionStatusParams{Name: "churn", Version: 1, Status: mlw.ModelArchived})
		require.NoError(t, err)
		want := *c1
		want.Status = mlw.ModelArchived
		require.Equal(t, &want, got)
		read, err := s.GetModelVersion(ctx, &store.GetModelVersionParams{Name: "churn", Version: 1})
		require.NoError(t, err)
		require.Equal(t, &want, read)

		_, err = s.SetModelVersionStatus(ctx, &store.SetModelVersionStatusParams{Name: "churn", Version: 9, Status: mlw.ModelArchived})
		requireCode(t, err, mlw.ENOTFOUND, "churn")
		_, err = s.SetModelVersionStatus(ctx, &store.SetModelVersionStatusParams{Name: "nosuch", Version: 1, Status: mlw.ModelArchived})
		requireCode(t, err, mlw.ENOTFOUND, "nosuch")
	})
}

func testAliases(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	mkRun(ctx, t, s, "r-1")
	for range 3 {
		mkModelVersion(ctx, t, s, "churn", "r-1")
	}
	mkModelVersion(ctx, t, s, "spam", "r-1")

	champion, err := s.SetAlias(ctx, &store.SetAliasParams{Model: "churn", Alias: "champion", Version: 1, At: at(1), SetBy: "ann", Reason: "first"})
	require.NoError(t, err)
	require.Equal(t, &mlw.Alias{Model: "churn", Alias: "champion", Version: 1, SetAt: norm(at(1)), SetBy: "ann", Reason: "first"}, champion)
	got, err := s.GetAlias(ctx, "churn", "champion")
	require.NoError(t, err)
	require.Equal(t, champion, got)

	// Move it, add a second alias, delete the second.
	champion, err = s.SetAlias(ctx, &store.SetAliasParams{Model: "churn", Alias: "champion", Version: 2, At: at(2), SetBy: "bob", Reason: "better"})
	require.NoError(t, err)
	require.Equal(t, &mlw.Alias{Model: "churn", Alias: "champion", Version: 2, SetAt: norm(at(2)), SetBy: "bob", Reason: "better"}, champion)
	_, err = s.SetAlias(ctx, &store.SetAliasParams{Model: "churn", Alias: "challenger", Version: 3, At: at(3), SetBy: "bob", Reason: "try"})
	require.NoError(t, err)
	require.NoError(t, s.DeleteAlias(ctx, &store.DeleteAliasParams{Model: "churn", Alias: "challenger", At: at(4), By: "carl", Reason: "rejected"}))
	// Two aliases set at the same time are ordered by alias in the history.
	for _, a := range []string{"prod", "canary"} {
		_, err = s.SetAlias(ctx, &store.SetAliasParams{Model: "spam", Alias: a, Version: 1, At: at(5), SetBy: "dan"})
		require.NoError(t, err)
	}
	stamped, err := s.SetAlias(ctx, &store.SetAliasParams{Model: "spam", Alias: "latest", Version: 1, SetBy: "dan"})
	require.NoError(t, err)
	requireStamped(t, stamped.SetAt)

	got, err = s.GetAlias(ctx, "churn", "champion")
	require.NoError(t, err)
	require.Equal(t, champion, got)

	t.Run("Errors", func(t *testing.T) {
		_, err := s.GetAlias(ctx, "churn", "challenger")
		requireCode(t, err, mlw.ENOTFOUND, "challenger")
		err = s.DeleteAlias(ctx, &store.DeleteAliasParams{Model: "churn", Alias: "challenger", By: "carl"})
		requireCode(t, err, mlw.ENOTFOUND, "challenger")
		_, err = s.SetAlias(ctx, &store.SetAliasParams{Model: "churn", Alias: "champion", Version: 9, At: at(9), SetBy: "eve"})
		requireCode(t, err, mlw.ENOTFOUND, "churn")
		_, err = s.SetAlias(ctx, &store.SetAliasParams{Model: "nosuch", Alias: "champion", Version: 1, At: at(9), SetBy: "eve"})
		requireCode(t, err, mlw.ENOTFOUND, "nosuch")
		got, err := s.GetAlias(ctx, "churn", "champion")
		require.NoError(t, err)
		require.Equal(t, champion, got, "a failed SetAlias changes nothing")
	})

	t.Run("ListAliases", func(t *testing.T) {
		got, err := s.ListAliases(ctx, &store.ListAliasesParams{Model: "churn"})
		require.NoError(t, err)
		require.Equal(t, []*mlw.Alias{champion}, got)
		all, err := s.ListAliases(ctx, &store.ListAliasesParams{})
		require.NoError(t, err)
		var names []string
		for _, a := range all {
			names = append(names, a.Model+"@"+a.Alias)
		}
		require.Equal(t, []string{"churn@champion", "spam@canary", "spam@latest", "spam@prod"}, names)
	})

	t.Run("AliasHistory", func(t *testing.T) {
		got, err := s.AliasHistory(ctx, &store.AliasHistoryParams{Model: "churn"})
		require.NoError(t, err)
		require.Equal(t, []*mlw.AliasSpan{
			{Model: "churn", Alias: "champion", Version: 1, From: norm(at(1)), To: norm(at(2)), SetBy: "ann", Reason: "first", EndedBy: "bob", EndReason: "better"},
			{Model: "churn", Alias: "champion", Version: 2, From: norm(at(2)), SetBy: "bob", Reason: "better"},
			{Model: "churn", Alias: "challenger", Version: 3, From: norm(at(3)), To: norm(at(4)), SetBy: "bob", Reason: "try", EndedBy: "carl", EndReason: "rejected"},
		}, got)

		one, err := s.AliasHistory(ctx, &store.AliasHistoryParams{Model: "churn", Alias: "challenger"})
		require.NoError(t, err)
		require.Equal(t, got[2:], one)

		spam, err := s.AliasHistory(ctx, &store.AliasHistoryParams{Model: "spam"})
		require.NoError(t, err)
		require.Len(t, spam, 3)
		require.Equal(t, []string{"canary", "prod", "latest"}, []string{spam[0].Alias, spam[1].Alias, spam[2].Alias})
		for _, sp := range spam {
			require.True(t, sp.To.IsZero(), "an open span has a zero To")
		}

		none, err := s.AliasHistory(ctx, &store.AliasHistoryParams{Model: "nosuch"})
		require.NoError(t, err)
		require.Empty(t, none)
	})
}

func testDeployments(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	deploy := func(endpoint string, expect *int, state string) (*mlw.Deployment, error) {
		return s.CreateDeployment(ctx, &store.CreateDeploymentParams{
			Deployment: mlw.Deployment{
				Endpoint: endpoint, Strategy: "canary", State: state,
				Spec:   raw(`{"variants":[ {"model":"churn@2","weight": 90},{"model":"churn@3","weight":10}], "b":1}`),
				Reason: "roll out " + state, CreatedAt: at(1), CreatedBy: "ann",
			},
			ExpectRevision: expect,
		})
	}

	w1, err := deploy("web", ptr(0), "starting")
	require.NoError(t, err)
	require.NotZero(t, w1.ID)
	require.Equal(t, &mlw.Deployment{
		ID: w1.ID, Endpoint: "web", Revision: 1, Strategy: "canary", State: "starting",
		Spec:   raw(`{"variants":[ {"model":"churn@2","weight": 90},{"model":"churn@3","weight":10}], "b":1}`),
		Reason: "roll out starting", CreatedAt: norm(at(1)), CreatedBy: "ann",
	}, w1)
	w2, err := deploy("web", ptr(1), "step-1")
	require.NoError(t, err)
	require.Equal(t, 2, w2.Revision)

	for _, tt := range []struct {
		name     string
		endpoint string
		expect   int
	}{
		{"Stale", "web", 1},
		{"Ahead", "web", 5},
		{"MustNotExist", "web", 0},
		{"MustExist", "api", 3},
	} {
		t.Run("ExpectRevision"+tt.name, func(t *testing.T) {
			_, err := deploy(tt.endpoint, ptr(tt.expect), "bad")
			requireCode(t, err, mlw.ECONFLICT, tt.endpoint)
		})
	}
	_, err = s.GetDeployment(ctx, &store.GetDeploymentParams{Endpoint: "api"})
	requireCode(t, err, mlw.ENOTFOUND, "api")

	w3, err := deploy("web", nil, "live")
	require.NoError(t, err)
	require.Equal(t, 3, w3.Revision, "conflicting attempts use no revision")
	a1, err := s.CreateDeployment(ctx, &store.CreateDeploymentParams{Deployment: mlw.Deployment{Endpoint: "api", Strategy: "direct", State: "live"}})
	require.NoError(t, err)
	require.Equal(t, 1, a1.Revision)
	requireStamped(t, a1.CreatedAt)
	require.Nil(t, a1.Spec)

	for _, tt := range []struct {
		name string
		p    store.GetDeploymentParams
		want *mlw.Deployment
	}{
		{"Latest", store.GetDeploymentParams{Endpoint: "web"}, w3},
		{"Revision", store.GetDeploymentParams{Endpoint: "web", Revision: 1}, w1},
		{"NoSpec", store.GetDeploymentParams{Endpoint: "api", Revision: 1}, a1},
	} {
		t.Run("Get"+tt.name, func(t *testing.T) {
			got, err := s.GetDeployment(ctx, &tt.p)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("GetNotFound", func(t *testing.T) {
		_, err := s.GetDeployment(ctx, &store.GetDeploymentParams{Endpoint: "nosuch"})
		requireCode(t, err, mlw.ENOTFOUND, "nosuch")
		_, err = s.GetDeployment(ctx, &store.GetDeploymentParams{Endpoint: "web", Revision: 9})
		requireCode(t, err, mlw.ENOTFOUND, "web")
	})
	t.Run("List", func(t *testing.T) {
		latest, err := s.ListDeployments(ctx, &store.ListDeploymentsParams{})
		require.NoError(t, err)
		require.Equal(t, []*mlw.Deployment{a1, w3}, latest)
		revs, err := s.ListDeployments(ctx, &store.ListDeploymentsParams{Endpoint: "web"})
		require.NoError(t, err)
		require.Equal(t, []*mlw.Deployment{w1, w2, w3}, revs)
		none, err := s.ListDeployments(ctx, &store.ListDeploymentsParams{Endpoint: "nosuch"})
		require.NoError(t, err)
		require.Empty(t, none)
	})
}
