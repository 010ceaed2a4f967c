// Package storetest is the conformance suite of store.Store: one set of tests
// and benchmarks that every driver (store/sqlite, store/postgres) runs against
// itself, so that the two SQL dialects cannot drift apart.
//
// A driver's test calls Exercise with a function that opens a fresh, empty
// store for a test and closes (and, for a server, drops) it in t.Cleanup:
//
//	func TestStore(t *testing.T) {
//		t.Parallel()
//		storetest.Exercise(t.Context(), t, func(t *testing.T) store.Store {
//			return openTestDB(t)
//		})
//	}
//
// Any change to store semantics extends this suite first.
package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// newStoreFunc opens a fresh, empty store for one test and releases it in
// t.Cleanup.
type newStoreFunc func(t *testing.T) store.Store

// testFunc is one conformance test; it opens the stores it needs.
type testFunc func(ctx context.Context, t *testing.T, newStore newStoreFunc)

// Exercise runs the conformance suite: every method of store.Store and every
// error code of its contract, audit chain integrity and atomicity, and
// concurrent writers. Each subtest runs in parallel on its own store.
func Exercise(ctx context.Context, t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   testFunc
	}{
		{"SchemaVersion", testSchemaVersion},
		{"Close", testClose},
		{"CanceledContext", testCanceledContext},
		{"DatasetVersions", testDatasetVersions},
		{"DatasetVersionErrors", testDatasetVersionErrors},
		{"Splits", testSplits},
		{"CreateRun", testCreateRun},
		{"UpdateRun", testUpdateRun},
		{"ListRuns", testListRuns},
		{"Params", testParams},
		{"Tags", testTags},
		{"Metrics", testMetrics},
		{"Artifacts", testArtifacts},
		{"ModelVersions", testModelVersions},
		{"Aliases", testAliases},
		{"Deployments", testDeployments},
		{"Predictions", testPredictions},
		{"ListPredictions", testListPredictions},
		{"Feedback", testFeedback},
		{"DeletePredictions", testDeletePredictions},
		{"AlertEvents", testAlertEvents},
		{"Leases", testLeases},
		{"AuditChain", testAuditChain},
		{"ListAudit", testListAudit},
		{"Atomicity", testAtomicity},
		{"Concurrency", testConcurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(ctx, t, newStore)
		})
	}
}

func testSchemaVersion(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, store.SchemaVersion, v)
}

func testClose(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	_, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close must be safe")
}

func testCanceledContext(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	canceled, cancel := context.WithCancel(ctx)
	cancel()

	_, err := s.CreateRun(canceled, &store.CreateRunParams{Run: mlw.Run{ID: "r-1", Kind: "train", Status: mlw.RunRunning}})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.ListRuns(canceled, &store.ListRunsParams{})
	require.ErrorIs(t, err, context.Canceled)

	_, err = s.GetRun(ctx, "r-1")
	requireCode(t, err, mlw.ENOTFOUND)

	err = s.LogPredictions(canceled, &store.LogPredictionsParams{Predictions: []mlw.Prediction{prediction("q-1", 0, 1)}})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.ListPredictions(canceled, &store.ListPredictionsParams{Endpoint: "web"})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.DeletePredictions(canceled, &store.DeletePredictionsParams{Before: at(1)})
	require.ErrorIs(t, err, context.Canceled)
	err = s.RecordFeedback(canceled, &store.RecordFeedbackParams{Feedback: []mlw.Feedback{{Endpoint: "web", RequestID: "q-1", Label: "yes"}}})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.AppendAlertEvent(canceled, &store.AppendAlertEventParams{Event: mlw.AlertEvent{Endpoint: "web", Rule: "r", State: mlw.AlertFiring}})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.ListAlertEvents(canceled, &store.ListAlertEventsParams{})
	require.ErrorIs(t, err, context.Canceled)

	require.Empty(t, listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web", IncludeShadow: true}))
	evs, err := s.ListAlertEvents(ctx, &store.ListAlertEventsParams{})
	require.NoError(t, err)
	require.Empty(t, evs)
}

// requireCode checks that err is an *mlw.Error (never a driver's error) with
// code and a message containing each of contains.
func requireCode(t testing.TB, err error, code string, contains ...string) {
	t.Helper()
	require.Error(t, err, "want an error with code %s", code)
	var me *mlw.Error
	require.ErrorAs(t, err, &me, "want an *mlw.Error, got %T: %v", err, err)
	require.Equal(t, code, mlw.ErrorCode(err), "error: %v", err)
	for _, s := range contains {
		require.Contains(t, err.Error(), s)
	}
}

// t0 is a time with nanoseconds and a zone, to show that stores keep
// microseconds and return UTC.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// at returns t0 plus n minutes.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// norm returns t as a store returns it: UTC, truncated to the microsecond.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// requireStamped checks that a time the store assigned is set, in UTC and at
// microsecond precision.
func requireStamped(t testing.TB, tm time.Time) {
	t.Helper()
	require.False(t, tm.IsZero(), "time not assigned")
	require.Equal(t, time.UTC, tm.Location())
	require.Equal(t, tm, norm(tm))
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// raw returns a JSON value kept byte for byte: spacing and key order that a
// jsonb column or a re-encoding would change.
func raw(s string) json.RawMessage { return json.RawMessage(s) }

// event returns an audit event whose fields (a zone, nanoseconds, unusual JSON
// spacing) only survive a store that keeps them exactly.
func event(action, target string) *mlw.AuditEvent {
	return &mlw.AuditEvent{
		Time:    at(30),
		Actor:   "ann",
		Action:  action,
		Target:  target,
		Reason:  "because " + action,
		Details: raw(`{"z": 1, "a" :[true,null,  "ü"]}`),
	}
}

// mkDatasetVersion creates a version of dataset with hash and returns it.
func mkDatasetVersion(ctx context.Context, t testing.TB, s store.Store, dataset, hash string) *mlw.DatasetVersion {
	t.Helper()
	v, err := s.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{Version: mlw.DatasetVersion{
		Dataset: dataset, Hash: hash, ArtifactKey: "sha256/" + hash, Format: "csv", SourcePath: dataset + ".csv",
		Rows: 10, Roles: mlw.Roles{Target: "label"}, CreatedBy: "ann", CreatedAt: at(0),
	}})
	require.NoError(t, err)
	return v
}

// mkRun creates a running train run with id, changed by each of opts.
func mkRun(ctx context.Context, t testing.TB, s store.Store, id string, opts ...func(*mlw.Run)) *mlw.Run {
	t.Helper()
	r := mlw.Run{ID: id, Kind: "train", Status: mlw.RunRunning, CreatedBy: "ann", StartedAt: at(0)}
	for _, o := range opts {
		o(&r)
	}
	got, err := s.CreateRun(ctx, &store.CreateRunParams{Run: r})
	require.NoError(t, err)
	return got
}

// mkModelVersion registers the next version of model from runID.
func mkModelVersion(ctx context.Context, t testing.TB, s store.Store, model, runID string) *mlw.ModelVersion {
	t.Helper()
	v, err := s.CreateModelVersion(ctx, &store.CreateModelVersionParams{Version: mlw.ModelVersion{
		Name: model, RunID: runID, ArtifactKey: "sha256/" + model, CreatedBy: "ann", CreatedAt: at(1),
	}})
	require.NoError(t, err)
	return v
}

// allAudit returns every audit event.
func allAudit(ctx context.Context, t testing.TB, s store.Store) []*mlw.AuditEvent {
	t.Helper()
	evs, err := s.ListAudit(ctx, &store.ListAuditParams{})
	require.NoError(t, err)
	return evs
}

// requireChain checks the audit chain: Seq runs 1..n, each PrevHash is the
// previous Hash (GenesisHash first), and each stored Hash is what ComputeHash
// gives for the fields as read back, which proves that times and JSON details
// survived the round trip exactly.
func requireChain(t testing.TB, evs []*mlw.AuditEvent) {
	t.Helper()
	prev := mlw.GenesisHash
	for i, e := range evs {
		require.Equal(t, int64(i+1), e.Seq, "event %d", i)
		require.Equal(t, prev, e.PrevHash, "event %d", e.Seq)
		require.Equal(t, e.ComputeHash(), e.Hash, "event %d: the stored hash does not match its fields", e.Seq)
		prev = e.Hash
	}
}
