package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// testAuditChain makes every change that carries an audit event and checks
// that each event is sealed into the caller's struct, stored with its change,
// and read back exactly.
func testAuditChain(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	var sealed []*mlw.AuditEvent
	// step runs one change with its event and checks the event was sealed.
	step := func(ev *mlw.AuditEvent, change func(ev *mlw.AuditEvent) error) {
		t.Helper()
		require.NoError(t, change(ev))
		require.Equal(t, int64(len(sealed)+1), ev.Seq, "the event given is sealed after the change commits")
		require.NotEmpty(t, ev.Hash)
		sealed = append(sealed, ev)
	}

	var dv *mlw.DatasetVersion
	step(event("dataset.add", "churn@1"), func(ev *mlw.AuditEvent) (err error) {
		dv, err = s.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{Version: mlw.DatasetVersion{Dataset: "churn", Hash: "h1"}, Audit: ev})
		return err
	})
	step(event("split.create", "s-1"), func(ev *mlw.AuditEvent) error {
		_, err := s.CreateSplit(ctx, &store.CreateSplitParams{Split: mlw.Split{ID: "s-1", DatasetVersionID: dv.ID}, Audit: ev})
		return err
	})
	step(event("run.create", "r-1"), func(ev *mlw.AuditEvent) error {
		_, err := s.CreateRun(ctx, &store.CreateRunParams{Run: mlw.Run{ID: "r-1", Kind: "train", Status: mlw.RunRunning}, Audit: ev})
		return err
	})
	step(event("run.finish", "r-1"), func(ev *mlw.AuditEvent) error {
		_, err := s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-1", Status: ptr(mlw.RunFinished), Audit: ev})
		return err
	})
	step(event("model.register", "churn@1"), func(ev *mlw.AuditEvent) error {
		_, err := s.CreateModelVersion(ctx, &store.CreateModelVersionParams{Version: mlw.ModelVersion{Name: "churn", RunID: "r-1"}, Audit: ev})
		return err
	})
	step(event("model.status", "churn@1"), func(ev *mlw.AuditEvent) error {
		_, err := s.SetModelVersionStatus(ctx, &store.SetModelVersionStatusParams{Name: "churn", Version: 1, Status: mlw.ModelArchived, Audit: ev})
		return err
	})
	step(event("model.alias", "churn@champion"), func(ev *mlw.AuditEvent) error {
		_, err := s.SetAlias(ctx, &store.SetAliasParams{Model: "churn", Alias: "champion", Version: 1, SetBy: "ann", Audit: ev})
		return err
	})
	step(event("model.unalias", "churn@champion"), func(ev *mlw.AuditEvent) error {
		return s.DeleteAlias(ctx, &store.DeleteAliasParams{Model: "churn", Alias: "champion", By: "ann", Audit: ev})
	})
	step(event("deploy.create", "web"), func(ev *mlw.AuditEvent) error {
		_, err := s.CreateDeployment(ctx, &store.CreateDeploymentParams{Deployment: mlw.Deployment{Endpoint: "web"}, Audit: ev})
		return err
	})
	// A zero Time is set by the store; nil and empty Details read back as nil.
	step(&mlw.AuditEvent{Actor: "bob", Action: "note", Target: "web"}, func(ev *mlw.AuditEvent) error {
		got, err := s.AppendAudit(ctx, &store.AppendAuditParams{Event: *ev})
		if err == nil {
			requireStamped(t, got.Time)
			*ev = *got
		}
		return err
	})
	step(&mlw.AuditEvent{Time: at(40), Actor: "bob", Action: "note", Target: "web", Details: raw("")}, func(ev *mlw.AuditEvent) error {
		got, err := s.AppendAudit(ctx, &store.AppendAuditParams{Event: *ev})
		if err == nil {
			*ev = *got
		}
		return err
	})

	// Changes without an audit event append none.
	require.NoError(t, s.LogParams(ctx, &store.LogParamsParams{RunID: "r-1", Params: map[string]string{"a": "1"}}))
	_, err := s.CreateRun(ctx, &store.CreateRunParams{Run: mlw.Run{ID: "r-2", Kind: "train"}})
	require.NoError(t, err)

	got := allAudit(ctx, t, s)
	requireChain(t, got)
	require.Len(t, got, len(sealed))
	for i, e := range got {
		want := *sealed[i]
		if len(want.Details) == 0 {
			want.Details = nil
		}
		require.Equal(t, &want, e, "event %d read back", e.Seq)
	}
	require.Equal(t, norm(at(30)), got[0].Time)
	require.Equal(t, raw(`{"z": 1, "a" :[true,null,  "ü"]}`), got[0].Details)
}

func testListAudit(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	for _, a := range []struct{ action, target string }{
		{"dataset.add", "churn@1"},
		{"model.register", "churn@1"},
		{"model.alias", "churn@champion"},
		{"Model.alias", "churn@champion"},
		{"modelXalias", "x"},
		{"model%alias", "x"},
		{"model.register", "churn@2"},
		{"deploy.create", "web"},
	} {
		_, err := s.AppendAudit(ctx, &store.AppendAuditParams{Event: *event(a.action, a.target)})
		require.NoError(t, err)
	}
	for _, tt := range []struct {
		name string
		p    store.ListAuditParams
		want []int64
	}{
		{"All", store.ListAuditParams{}, []int64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"AfterSeq", store.ListAuditParams{AfterSeq: 6}, []int64{7, 8}},
		{"Limit", store.ListAuditParams{Limit: 2}, []int64{1, 2}},
		{"AfterSeqLimit", store.ListAuditParams{AfterSeq: 3, Limit: 2}, []int64{4, 5}},
		{"Target", store.ListAuditParams{Target: "churn@1"}, []int64{1, 2}},
		{"TargetIsExact", store.ListAuditParams{Target: "churn"}, nil},
		{"ActionPrefix", store.ListAuditParams{ActionPrefix: "model."}, []int64{2, 3, 7}},
		{"ActionPrefixIsCaseSensitive", store.ListAuditParams{ActionPrefix: "Model"}, []int64{4}},
		{"ActionPrefixIsLiteral", store.ListAuditParams{ActionPrefix: "model%"}, []int64{6}},
		{"ActionPrefixWhole", store.ListAuditParams{ActionPrefix: "deploy.create"}, []int64{8}},
		{"TargetAndPrefix", store.ListAuditParams{Target: "churn@champion", ActionPrefix: "model."}, []int64{3}},
		{"Past", store.ListAuditParams{AfterSeq: 8}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListAudit(ctx, &tt.p)
			require.NoError(t, err)
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			require.Equal(t, tt.want, seqs)
		})
	}
}

// testAtomicity checks that a change that fails stores neither itself nor its
// audit event, and leaves the caller's event unsealed.
func testAtomicity(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	for _, tt := range []struct {
		name   string
		code   string
		change func(s store.Store, ev *mlw.AuditEvent) error
	}{
		{"CreateDatasetVersionDuplicateHash", mlw.ECONFLICT, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{Version: mlw.DatasetVersion{Dataset: "churn", Hash: "h1"}, Audit: ev})
			return err
		}},
		{"CreateSplitUnknownVersion", mlw.ENOTFOUND, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.CreateSplit(ctx, &store.CreateSplitParams{Split: mlw.Split{ID: "s-1", DatasetVersionID: 987654}, Audit: ev})
			return err
		}},
		{"CreateRunDuplicate", mlw.ECONFLICT, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.CreateRun(ctx, &store.CreateRunParams{Run: mlw.Run{ID: "r-1", Kind: "train"}, Audit: ev})
			return err
		}},
		{"CreateRunUnknownParent", mlw.ENOTFOUND, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.CreateRun(ctx, &store.CreateRunParams{Run: mlw.Run{ID: "r-2", ParentID: "r-404"}, Audit: ev})
			return err
		}},
		{"UpdateRunExpectStatus", mlw.ECONFLICT, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-1", ExpectStatus: ptr(mlw.RunFinished), Status: ptr(mlw.RunKilled), Audit: ev})
			return err
		}},
		{"UpdateRunUnknown", mlw.ENOTFOUND, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-404", Status: ptr(mlw.RunKilled), Audit: ev})
			return err
		}},
		{"CreateModelVersionUnknownRun", mlw.ENOTFOUND, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.CreateModelVersion(ctx, &store.CreateModelVersionParams{Version: mlw.ModelVersion{Name: "churn", RunID: "r-404"}, Audit: ev})
			return err
		}},
		{"SetModelVersionStatusUnknown", mlw.ENOTFOUND, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.SetModelVersionStatus(ctx, &store.SetModelVersionStatusParams{Name: "churn", Version: 9, Status: mlw.ModelArchived, Audit: ev})
			return err
		}},
		{"SetAliasUnknownVersion", mlw.ENOTFOUND, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.SetAlias(ctx, &store.SetAliasParams{Model: "churn", Alias: "champion", Version: 9, Audit: ev})
			return err
		}},
		{"DeleteAliasUnknown", mlw.ENOTFOUND, func(s store.Store, ev *mlw.AuditEvent) error {
			return s.DeleteAlias(ctx, &store.DeleteAliasParams{Model: "churn", Alias: "challenger", Audit: ev})
		}},
		{"CreateDeploymentStale", mlw.ECONFLICT, func(s store.Store, ev *mlw.AuditEvent) error {
			_, err := s.CreateDeployment(ctx, &store.CreateDeploymentParams{Deployment: mlw.Deployment{Endpoint: "web"}, ExpectRevision: ptr(0), Audit: ev})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			// The same state for every case: a dataset version, a run, a
			// model version with an alias, a deployment and one audit event.
			mkDatasetVersion(ctx, t, s, "churn", "h1")
			mkRun(ctx, t, s, "r-1")
			mkModelVersion(ctx, t, s, "churn", "r-1")
			_, err := s.SetAlias(ctx, &store.SetAliasParams{Model: "churn", Alias: "champion", Version: 1, At: at(1), SetBy: "ann"})
			require.NoError(t, err)
			_, err = s.CreateDeployment(ctx, &store.CreateDeploymentParams{Deployment: mlw.Deployment{Endpoint: "web"}})
			require.NoError(t, err)
			first, err := s.AppendAudit(ctx, &store.AppendAuditParams{Event: *event("setup", "all")})
			require.NoError(t, err)
			before := snapshot(ctx, t, s)

			ev := event("failing", "x")
			requireCode(t, tt.change(s, ev), tt.code)
			require.Zero(t, ev.Seq, "a failed change leaves the caller's event unsealed")
			require.Empty(t, ev.Hash)
			require.Equal(t, []*mlw.AuditEvent{first}, allAudit(ctx, t, s), "a failed change appends no audit event")
			require.Equal(t, before, snapshot(ctx, t, s), "a failed change changes nothing")

			// The chain goes on from where it was.
			next, err := s.AppendAudit(ctx, &store.AppendAuditParams{Event: *event("after", "all")})
			require.NoError(t, err)
			require.Equal(t, int64(2), next.Seq)
			requireChain(t, allAudit(ctx, t, s))
		})
	}
}

// state is what snapshot reads: everything the atomicity cases could change.
type state struct {
	Versions    []*mlw.DatasetVersion
	Splits      []*mlw.Split
	Runs        []*mlw.Run
	Models      []*mlw.ModelVersion
	Aliases     []*mlw.Alias
	Spans       []*mlw.AliasSpan
	Deployments []*mlw.Deployment
}

func snapshot(ctx context.Context, t testing.TB, s store.Store) state {
	t.Helper()
	var st state
	var err error
	st.Versions, err = s.ListDatasetVersions(ctx, &store.ListDatasetVersionsParams{Dataset: "churn"})
	require.NoError(t, err)
	st.Splits, err = s.ListSplits(ctx, &store.ListSplitsParams{})
	require.NoError(t, err)
	st.Runs, err = s.ListRuns(ctx, &store.ListRunsParams{IncludeDeleted: true})
	require.NoError(t, err)
	st.Models, err = s.ListModelVersions(ctx, &store.ListModelVersionsParams{})
	require.NoError(t, err)
	st.Aliases, err = s.ListAliases(ctx, &store.ListAliasesParams{})
	require.NoError(t, err)
	st.Spans, err = s.AliasHistory(ctx, &store.AliasHistoryParams{Model: "churn"})
	require.NoError(t, err)
	st.Deployments, err = s.ListDeployments(ctx, &store.ListDeploymentsParams{Endpoint: "web"})
	require.NoError(t, err)
	return st
}
