package track

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
	"mlw.dev/internal/store/sqlite"
)

func newTracker(t *testing.T) *Tracker {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	return &Tracker{Store: s, Actor: "tester", Now: func() time.Time { now = now.Add(time.Second); return now }}
}

func TestRunLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr := newTracker(t)
	r, err := tr.Start(ctx, StartParams{Kind: "train", Model: "gbdt", Params: map[string]string{"max_iter": "100"}, AuditAction: "run.start"})
	require.NoError(t, err)
	require.Equal(t, mlw.RunRunning, r.Status)
	require.Regexp(t, `^r-[0-9a-f]{12}$`, r.ID)

	require.NoError(t, tr.LogMetrics(ctx, r.ID, 0, map[string]float64{"accuracy": 0.9, "log_loss": 0.3}))
	require.NoError(t, tr.LogCurve(ctx, r.ID, "valid_loss", []float64{0.7, 0.5, 0.4}))
	m, err := tr.Metrics(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, map[string]float64{"accuracy": 0.9, "log_loss": 0.3, "valid_loss": 0.4}, m)

	done, err := tr.Finish(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, mlw.RunFinished, done.Status)
	require.False(t, done.EndedAt.IsZero())
	require.Equal(t, "4.0s", FormatDuration(done), "start, two metric logs and the end each read the clock")

	_, err = tr.Fail(ctx, r.ID, errors.New("late"))
	require.Equal(t, mlw.ECONFLICT, mlw.ErrorCode(err))
	require.Contains(t, err.Error(), "already ended (finished)")

	evs, err := tr.Store.ListAudit(ctx, &store.ListAuditParams{})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, r.ID, evs[0].Target)
}

func TestFailRecordsTheErrorEvenWhenCancelled(t *testing.T) {
	t.Parallel()
	tr := newTracker(t)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := tr.Start(ctx, StartParams{Kind: "train"})
	require.NoError(t, err)
	cancel()
	failed, err := tr.Fail(ctx, r.ID, errors.New("diverged"))
	require.NoError(t, err)
	require.Equal(t, mlw.RunFailed, failed.Status)
	require.Equal(t, "diverged", failed.Error)
}

func TestGitCommit(t *testing.T) {
	t.Parallel()
	require.Empty(t, GitCommit(context.Background(), t.TempDir()))
}
