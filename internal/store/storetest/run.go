package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

func testCreateRun(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	parent := mkRun(ctx, t, s, "r-parent", func(r *mlw.Run) { r.Kind = "study" })

	in := mlw.Run{
		ID: "r-1", ParentID: parent.ID, Kind: "trial", Name: "trial 1", Model: "gbdt", Status: mlw.RunFinished,
		DatasetVersionID: 7, SplitID: "s-1",
		Params:    map[string]string{"lr": "0.1", "depth": "3", "empty": ""},
		Tags:      map[string]string{"team": "fraud"},
		GitCommit: "abc123", Error: "boom", CreatedBy: "ann",
		StartedAt: at(1), EndedAt: at(2),
	}
	got, err := s.CreateRun(ctx, &store.CreateRunParams{Run: in})
	require.NoError(t, err)
	want := in
	want.StartedAt, want.EndedAt = norm(at(1)), norm(at(2))
	require.Equal(t, &want, got)

	read, err := s.GetRun(ctx, "r-1")
	require.NoError(t, err)
	require.Equal(t, &want, read)
	require.True(t, read.DeletedAt.IsZero())

	t.Run("Defaults", func(t *testing.T) {
		r, err := s.CreateRun(ctx, &store.CreateRunParams{Run: mlw.Run{ID: "r-2", Kind: "train", Status: mlw.RunRunning}})
		require.NoError(t, err)
		requireStamped(t, r.StartedAt)
		read, err := s.GetRun(ctx, "r-2")
		require.NoError(t, err)
		require.Equal(t, r, read)
		require.Nil(t, read.Params)
		require.Nil(t, read.Tags)
		require.True(t, read.EndedAt.IsZero())
		require.Empty(t, read.ParentID)
	})
	t.Run("DuplicateID", func(t *testing.T) {
		_, err := s.CreateRun(ctx, &store.CreateRunParams{Run: mlw.Run{ID: "r-1", Kind: "train"}})
		requireCode(t, err, mlw.ECONFLICT, "r-1")
	})
	t.Run("UnknownParent", func(t *testing.T) {
		_, err := s.CreateRun(ctx, &store.CreateRunParams{Run: mlw.Run{ID: "r-3", ParentID: "r-404", Kind: "trial"}})
		requireCode(t, err, mlw.ENOTFOUND, "r-404")
		_, err = s.GetRun(ctx, "r-3")
		requireCode(t, err, mlw.ENOTFOUND)
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := s.GetRun(ctx, "r-123")
		requireCode(t, err, mlw.ENOTFOUND)
		require.Equal(t, "run r-123 not found", err.Error())
	})
}

func testUpdateRun(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	mkRun(ctx, t, s, "r-1", func(r *mlw.Run) {
		r.Name = "first"
		r.Params = map[string]string{"lr": "0.1"}
		r.Tags = map[string]string{"a": "1"}
	})

	got, err := s.UpdateRun(ctx, &store.UpdateRunParams{
		ID: "r-1", ExpectStatus: ptr(mlw.RunRunning), Status: ptr(mlw.RunFailed), EndedAt: ptr(at(3)), Error: ptr("out of memory"),
	})
	require.NoError(t, err)
	want := &mlw.Run{
		ID: "r-1", Kind: "train", Name: "first", Status: mlw.RunFailed, Error: "out of memory", CreatedBy: "ann",
		Params: map[string]string{"lr": "0.1"}, Tags: map[string]string{"a": "1"},
		StartedAt: norm(at(0)), EndedAt: norm(at(3)),
	}
	require.Equal(t, want, got)
	read, err := s.GetRun(ctx, "r-1")
	require.NoError(t, err)
	require.Equal(t, want, read)

	t.Run("ExpectStatusConflict", func(t *testing.T) {
		_, err := s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-1", ExpectStatus: ptr(mlw.RunRunning), Status: ptr(mlw.RunFinished), Name: ptr("x")})
		requireCode(t, err, mlw.ECONFLICT, "r-1")
		read, err := s.GetRun(ctx, "r-1")
		require.NoError(t, err)
		require.Equal(t, want, read, "a conflicting update must change nothing")
	})
	t.Run("OnlyGivenFields", func(t *testing.T) {
		got, err := s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-1", Name: ptr("renamed")})
		require.NoError(t, err)
		want.Name = "renamed"
		require.Equal(t, want, got)
	})
	t.Run("NoFields", func(t *testing.T) {
		got, err := s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-1"})
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
	t.Run("DeleteAndRestore", func(t *testing.T) {
		got, err := s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-1", DeletedAt: ptr(at(4))})
		require.NoError(t, err)
		require.Equal(t, norm(at(4)), got.DeletedAt)
		got, err = s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-1", DeletedAt: ptr(time.Time{}), EndedAt: ptr(time.Time{}), Error: ptr("")})
		require.NoError(t, err)
		require.True(t, got.DeletedAt.IsZero(), "a zero DeletedAt clears it")
		require.True(t, got.EndedAt.IsZero(), "a zero EndedAt clears it")
		require.Empty(t, got.Error)
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-404", Status: ptr(mlw.RunKilled)})
		requireCode(t, err, mlw.ENOTFOUND, "r-404")
		_, err = s.UpdateRun(ctx, &store.UpdateRunParams{ID: "r-404", ExpectStatus: ptr(mlw.RunRunning)})
		requireCode(t, err, mlw.ENOTFOUND, "r-404")
	})
}

func testListRuns(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	started := func(n int) func(*mlw.Run) { return func(r *mlw.Run) { r.StartedAt = at(n) } }
	mkRun(ctx, t, s, "r-a", started(1), func(r *mlw.Run) {
		r.Model, r.SplitID, r.DatasetVersionID = "gbdt", "s-1", 7
		r.Params = map[string]string{"lr": "0.1"}
		r.Tags = map[string]string{"t": "x"}
	})
	mkRun(ctx, t, s, "r-b", started(1), func(r *mlw.Run) { r.Model = "linear" }) // same time as r-a: ID decides
	mkRun(ctx, t, s, "r-del", started(2), func(r *mlw.Run) { r.DeletedAt = at(6) })
	mkRun(ctx, t, s, "p-1", started(3), func(r *mlw.Run) { r.Kind = "study" })
	mkRun(ctx, t, s, "c-1", started(4), func(r *mlw.Run) { r.Kind, r.ParentID = "trial", "p-1" })
	mkRun(ctx, t, s, "c-2", started(5), func(r *mlw.Run) { r.Kind, r.ParentID, r.Status = "trial", "p-1", mlw.RunFailed })

	for _, tt := range []struct {
		name string
		p    store.ListRunsParams
		want []string
	}{
		{"All", store.ListRunsParams{}, []string{"c-2", "c-1", "p-1", "r-b", "r-a"}},
		{"IncludeDeleted", store.ListRunsParams{IncludeDeleted: true}, []string{"c-2", "c-1", "p-1", "r-del", "r-b", "r-a"}},
		{"ParentID", store.ListRunsParams{ParentID: "p-1"}, []string{"c-2", "c-1"}},
		{"TopLevel", store.ListRunsParams{TopLevel: true}, []string{"p-1", "r-b", "r-a"}},
		{"Kind", store.ListRunsParams{Kind: "trial"}, []string{"c-2", "c-1"}},
		{"Status", store.ListRunsParams{Status: mlw.RunFailed}, []string{"c-2"}},
		{"Model", store.ListRunsParams{Model: "gbdt"}, []string{"r-a"}},
		{"SplitID", store.ListRunsParams{SplitID: "s-1"}, []string{"r-a"}},
		{"DatasetVersionID", store.ListRunsParams{DatasetVersionID: 7}, []string{"r-a"}},
		{"Limit", store.ListRunsParams{Limit: 2}, []string{"c-2", "c-1"}},
		{"KindAndLimit", store.ListRunsParams{Kind: "train", Limit: 1}, []string{"r-b"}},
		{"TopLevelRunning", store.ListRunsParams{TopLevel: true, Status: mlw.RunRunning, IncludeDeleted: true}, []string{"p-1", "r-del", "r-b", "r-a"}},
		{"None", store.ListRunsParams{Kind: "nosuch"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runs, err := s.ListRuns(ctx, &tt.p)
			require.NoError(t, err)
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.ID)
			}
			require.Equal(t, tt.want, ids)
		})
	}

	t.Run("SameRecordsAsGetRun", func(t *testing.T) {
		runs, err := s.ListRuns(ctx, &store.ListRunsParams{IncludeDeleted: true})
		require.NoError(t, err)
		for _, r := range runs {
			one, err := s.GetRun(ctx, r.ID)
			require.NoError(t, err)
			require.Equal(t, one, r)
		}
	})
}

func testParams(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	mkRun(ctx, t, s, "r-1", func(r *mlw.Run) { r.Params = map[string]string{"lr": "0.1"} })

	require.NoError(t, s.LogParams(ctx, &store.LogParamsParams{RunID: "r-1", Params: map[string]string{"lr": "0.1", "depth": "3"}}),
		"logging the same value again is a no-op")
	err := s.LogParams(ctx, &store.LogParamsParams{RunID: "r-1", Params: map[string]string{"lr": "0.2", "seed": "1"}})
	requireCode(t, err, mlw.ECONFLICT, "lr")
	require.NoError(t, s.LogParams(ctx, &store.LogParamsParams{RunID: "r-1"}))

	r, err := s.GetRun(ctx, "r-1")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"lr": "0.1", "depth": "3"}, r.Params, "a conflicting call stores none of its params")

	err = s.LogParams(ctx, &store.LogParamsParams{RunID: "r-404", Params: map[string]string{"a": "b"}})
	requireCode(t, err, mlw.ENOTFOUND, "r-404")
}

func testTags(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	mkRun(ctx, t, s, "r-1", func(r *mlw.Run) { r.Tags = map[string]string{"a": "1", "keep": "k"} })

	require.NoError(t, s.SetTags(ctx, &store.SetTagsParams{RunID: "r-1", Tags: map[string]string{"a": "2", "b": "x"}}))
	r, err := s.GetRun(ctx, "r-1")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "2", "b": "x", "keep": "k"}, r.Tags)

	err = s.SetTags(ctx, &store.SetTagsParams{RunID: "r-404", Tags: map[string]string{"a": "b"}})
	requireCode(t, err, mlw.ENOTFOUND, "r-404")
}

func testMetrics(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	mkRun(ctx, t, s, "r-1")
	mkRun(ctx, t, s, "r-2")
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

	require.NoError(t, s.LogMetrics(ctx, &store.LogMetricsParams{RunID: "r-1", Metrics: []mlw.Metric{
		{Key: "loss", Value: 0.9, Step: 0, Time: sec(0)},
		{Key: "loss", Value: 0.45, Step: 1, Time: sec(2)},
		{Key: "loss", Value: 0.5, Step: 1, Time: sec(1)}, // same step, earlier time: both kept
		{Key: "acc", Value: 0.6, Step: 0, Time: sec(0)},
		{Key: "acc", Value: 0.7, Step: 5, Time: sec(-60)}, // highest step wins over a later time
		{Key: "acc", Value: 0.65, Step: 3, Time: sec(9)},
		{Key: "inf", Value: math.Inf(1), Step: 0, Time: sec(0)},
		{Key: "inf", Value: math.Inf(-1), Step: 1, Time: sec(0)},
		{Key: "nan", Value: math.NaN(), Step: 0, Time: sec(0)},
		{Key: "tiny", Value: 5e-324, Step: -1, Time: sec(0)},
	}}))
	require.NoError(t, s.LogMetrics(ctx, &store.LogMetricsParams{RunID: "r-2", Metrics: []mlw.Metric{{Key: "loss", Value: 1}}}))
	require.NoError(t, s.LogMetrics(ctx, &store.LogMetricsParams{RunID: "r-1"}))

	m := func(key string, v float64, step int64, tm time.Time) mlw.Metric {
		return mlw.Metric{Key: key, Value: v, Step: step, Time: norm(tm)}
	}
	for _, tt := range []struct {
		name string
		p    store.ListMetricsParams
		want []mlw.Metric
	}{
		{"All", store.ListMetricsParams{RunID: "r-1"}, []mlw.Metric{
			m("acc", 0.6, 0, sec(0)), m("acc", 0.65, 3, sec(9)), m("acc", 0.7, 5, sec(-60)),
			m("inf", math.Inf(1), 0, sec(0)), m("inf", math.Inf(-1), 1, sec(0)),
			m("loss", 0.9, 0, sec(0)), m("loss", 0.5, 1, sec(1)), m("loss", 0.45, 1, sec(2)),
			m("nan", math.NaN(), 0, sec(0)),
			m("tiny", 5e-324, -1, sec(0)),
		}},
		{"Key", store.ListMetricsParams{RunID: "r-1", Key: "loss"}, []mlw.Metric{
			m("loss", 0.9, 0, sec(0)), m("loss", 0.5, 1, sec(1)), m("loss", 0.45, 1, sec(2)),
		}},
		{"LatestOnly", store.ListMetricsParams{RunID: "r-1", LatestOnly: true}, []mlw.Metric{
			m("acc", 0.7, 5, sec(-60)), m("inf", math.Inf(-1), 1, sec(0)), m("loss", 0.45, 1, sec(2)),
			m("nan", math.NaN(), 0, sec(0)), m("tiny", 5e-324, -1, sec(0)),
		}},
		{"LatestOnlyKey", store.ListMetricsParams{RunID: "r-1", Key: "loss", LatestOnly: true}, []mlw.Metric{
			m("loss", 0.45, 1, sec(2)),
		}},
		{"UnknownKey", store.ListMetricsParams{RunID: "r-1", Key: "nosuch"}, nil},
		{"UnknownRun", store.ListMetricsParams{RunID: "r-404"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListMetrics(ctx, &tt.p)
			require.NoError(t, err)
			requireMetrics(t, tt.want, got)
		})
	}

	t.Run("TimeDefaultsToNow", func(t *testing.T) {
		got, err := s.ListMetrics(ctx, &store.ListMetricsParams{RunID: "r-2"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		requireStamped(t, got[0].Time)
	})
	t.Run("NotFound", func(t *testing.T) {
		err := s.LogMetrics(ctx, &store.LogMetricsParams{RunID: "r-404", Metrics: []mlw.Metric{{Key: "loss", Value: 1}}})
		requireCode(t, err, mlw.ENOTFOUND, "r-404")
	})
}

// requireMetrics compares metric values, NaN equal to NaN and bit for bit
// otherwise.
func requireMetrics(t testing.TB, want, got []mlw.Metric) {
	t.Helper()
	require.Len(t, got, len(want), "got %v", got)
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, math.IsNaN(w.Value), math.IsNaN(g.Value), "metric %d: %v", i, g)
		if math.IsNaN(w.Value) {
			w.Value, g.Value = 0, 0
		}
		require.Equal(t, math.Float64bits(w.Value), math.Float64bits(g.Value), "metric %d: %v", i, g)
		require.Equal(t, w, g, "metric %d", i)
	}
}

func testArtifacts(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	mkRun(ctx, t, s, "r-1")
	mkRun(ctx, t, s, "r-2")

	arts := []mlw.RunArtifact{
		{Name: "report.html", Key: "sha256/r", Size: 2048},
		{Name: "model.mlwb", Key: "sha256/m", Size: 1 << 40},
		{Name: "curves/roc.svg", Key: "sha256/c", Size: 0},
	}
	for _, a := range arts {
		require.NoError(t, s.AddRunArtifact(ctx, &store.AddRunArtifactParams{RunID: "r-1", Artifact: a}))
	}
	require.NoError(t, s.AddRunArtifact(ctx, &store.AddRunArtifactParams{RunID: "r-2", Artifact: arts[0]}),
		"another run may have an artifact of the same name")

	got, err := s.ListRunArtifacts(ctx, "r-1")
	require.NoError(t, err)
	require.Equal(t, []mlw.RunArtifact{arts[2], arts[1], arts[0]}, got)

	err = s.AddRunArtifact(ctx, &store.AddRunArtifactParams{RunID: "r-1", Artifact: mlw.RunArtifact{Name: "model.mlwb", Key: "sha256/other"}})
	requireCode(t, err, mlw.ECONFLICT, "model.mlwb")
	err = s.AddRunArtifact(ctx, &store.AddRunArtifactParams{RunID: "r-404", Artifact: arts[0]})
	requireCode(t, err, mlw.ENOTFOUND, "r-404")

	none, err := s.ListRunArtifacts(ctx, "r-404")
	require.NoError(t, err)
	require.Empty(t, none)
}
