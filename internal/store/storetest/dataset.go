package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

func testDatasetVersions(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)

	in := mlw.DatasetVersion{
		Dataset: "churn", Hash: "h1", ArtifactKey: "sha256/h1", Format: "csv", SourcePath: "data/churn.csv", Rows: 1000,
		Schema:    raw(`{"columns" :[ {"name":"b","type":"int"}, {"name":"a"} ]}`),
		Roles:     mlw.Roles{Target: "label", Time: "ts", ID: "id", Segments: []string{"region"}, Sensitive: []string{"age"}},
		Reason:    "initial import",
		CreatedAt: at(0), CreatedBy: "ann",
	}
	v1, err := s.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{Version: in})
	require.NoError(t, err)
	require.NotZero(t, v1.ID)
	want := in
	want.ID, want.Version, want.CreatedAt = v1.ID, 1, norm(at(0))
	require.Equal(t, &want, v1)

	// The next version numbers on, records its parent and gets CreatedAt.
	v2, err := s.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{Version: mlw.DatasetVersion{
		Dataset: "churn", Hash: "h2", ArtifactKey: "sha256/h2", Format: "parquet", ParentID: v1.ID,
		Recipe: raw(`{"steps": ["dropna" , "dedupe"]}`), CreatedBy: "bob",
	}})
	require.NoError(t, err)
	require.Equal(t, 2, v2.Version)
	require.NotEqual(t, v1.ID, v2.ID)
	requireStamped(t, v2.CreatedAt)

	// Another dataset numbers from 1 and may hold the same content.
	spam, err := s.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{Version: mlw.DatasetVersion{
		Dataset: "spam", Hash: "h1", CreatedAt: at(5),
	}})
	require.NoError(t, err)
	require.Equal(t, 1, spam.Version)

	for _, tt := range []struct {
		name string
		p    store.GetDatasetVersionParams
		want *mlw.DatasetVersion
	}{
		{"ByID", store.GetDatasetVersionParams{ID: v1.ID}, v1},
		{"ByIDWinsOverName", store.GetDatasetVersionParams{ID: v1.ID, Dataset: "spam"}, v1},
		{"ByVersion", store.GetDatasetVersionParams{Dataset: "churn", Version: 1}, v1},
		{"Latest", store.GetDatasetVersionParams{Dataset: "churn"}, v2},
		{"ByHash", store.GetDatasetVersionParams{Dataset: "churn", Hash: "h2"}, v2},
		{"ByHashOtherDataset", store.GetDatasetVersionParams{Dataset: "spam", Hash: "h1"}, spam},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetDatasetVersion(ctx, &tt.p)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}

	t.Run("ListDatasetVersions", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			p    store.ListDatasetVersionsParams
			want []*mlw.DatasetVersion
		}{
			{"Dataset", store.ListDatasetVersionsParams{Dataset: "churn"}, []*mlw.DatasetVersion{v1, v2}},
			{"Parent", store.ListDatasetVersionsParams{ParentID: v1.ID}, []*mlw.DatasetVersion{v2}},
			{"NoChildren", store.ListDatasetVersionsParams{ParentID: v2.ID}, nil},
			{"UnknownDataset", store.ListDatasetVersionsParams{Dataset: "nosuch"}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListDatasetVersions(ctx, &tt.p)
				require.NoError(t, err)
				if tt.want == nil {
					require.Empty(t, got)
					return
				}
				require.Equal(t, tt.want, got)
			})
		}
	})

	t.Run("ListDatasets", func(t *testing.T) {
		got, err := s.ListDatasets(ctx, &store.ListDatasetsParams{})
		require.NoError(t, err)
		require.Equal(t, []*mlw.Dataset{
			{Name: "churn", CreatedAt: norm(at(0)), LatestVersion: 2},
			{Name: "spam", CreatedAt: norm(at(5)), LatestVersion: 1},
		}, got)
	})
}

func testDatasetVersionErrors(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	v1 := mkDatasetVersion(ctx, t, s, "churn", "h1")

	t.Run("DuplicateHash", func(t *testing.T) {
		_, err := s.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{Version: mlw.DatasetVersion{Dataset: "churn", Hash: "h1"}})
		requireCode(t, err, mlw.ECONFLICT, "churn")
		latest, err := s.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{Dataset: "churn"})
		require.NoError(t, err)
		require.Equal(t, v1, latest, "a conflicting version must not be stored")
	})
	t.Run("UnknownParent", func(t *testing.T) {
		_, err := s.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{Version: mlw.DatasetVersion{
			Dataset: "churn", Hash: "h9", ParentID: v1.ID + 1000,
		}})
		requireCode(t, err, mlw.ENOTFOUND)
	})
	t.Run("NumberingGoesOnAfterFailure", func(t *testing.T) {
		v2 := mkDatasetVersion(ctx, t, s, "churn", "h2")
		require.Equal(t, 2, v2.Version)
	})
	for _, tt := range []struct {
		name     string
		p        store.GetDatasetVersionParams
		code     string
		contains string
	}{
		{"UnknownID", store.GetDatasetVersionParams{ID: 987654}, mlw.ENOTFOUND, "987654"},
		{"UnknownVersion", store.GetDatasetVersionParams{Dataset: "churn", Version: 7}, mlw.ENOTFOUND, "churn"},
		{"UnknownDataset", store.GetDatasetVersionParams{Dataset: "nosuch"}, mlw.ENOTFOUND, "nosuch"},
		{"UnknownHash", store.GetDatasetVersionParams{Dataset: "churn", Hash: "h404"}, mlw.ENOTFOUND, "h404"},
		{"Nothing", store.GetDatasetVersionParams{}, mlw.EINVALID, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.GetDatasetVersion(ctx, &tt.p)
			requireCode(t, err, tt.code, tt.contains)
		})
	}
}

func testSplits(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	v1 := mkDatasetVersion(ctx, t, s, "churn", "h1")
	v2 := mkDatasetVersion(ctx, t, s, "churn", "h2")

	in := mlw.Split{
		ID: "s-1", DatasetVersionID: v1.ID, Strategy: "stratified", Seed: -42,
		Params:        raw(`{"test":0.2, "validation" : 0.1}`),
		Counts:        mlw.SplitCounts{Train: 700, Validation: 100, Test: 200},
		MembershipKey: "sha256/m1",
		Leakage:       raw(`{"duplicates":[],"ok":true}`),
		CreatedAt:     at(1), CreatedBy: "ann",
	}
	s1, err := s.CreateSplit(ctx, &store.CreateSplitParams{Split: in})
	require.NoError(t, err)
	want := in
	want.CreatedAt = norm(at(1))
	require.Equal(t, &want, s1)

	s2, err := s.CreateSplit(ctx, &store.CreateSplitParams{Split: mlw.Split{ID: "s-2", DatasetVersionID: v1.ID, CreatedAt: at(2)}})
	require.NoError(t, err)
	s3, err := s.CreateSplit(ctx, &store.CreateSplitParams{Split: mlw.Split{ID: "s-3", DatasetVersionID: v2.ID}})
	require.NoError(t, err)
	requireStamped(t, s3.CreatedAt)

	got, err := s.GetSplit(ctx, "s-1")
	require.NoError(t, err)
	require.Equal(t, s1, got)

	_, err = s.GetSplit(ctx, "s-404")
	requireCode(t, err, mlw.ENOTFOUND, "s-404")
	_, err = s.CreateSplit(ctx, &store.CreateSplitParams{Split: mlw.Split{ID: "s-1", DatasetVersionID: v2.ID}})
	requireCode(t, err, mlw.ECONFLICT, "s-1")
	_, err = s.CreateSplit(ctx, &store.CreateSplitParams{Split: mlw.Split{ID: "s-9", DatasetVersionID: v2.ID + 1000}})
	requireCode(t, err, mlw.ENOTFOUND)

	all, err := s.ListSplits(ctx, &store.ListSplitsParams{})
	require.NoError(t, err)
	require.Equal(t, []*mlw.Split{s3, s2, s1}, all, "newest first")
	some, err := s.ListSplits(ctx, &store.ListSplitsParams{DatasetVersionID: v1.ID})
	require.NoError(t, err)
	require.Equal(t, []*mlw.Split{s2, s1}, some)
}
