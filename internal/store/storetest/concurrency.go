package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// Workload sizes of the concurrency tests.
const (
	workers       = 8
	runsPerWorker = 8
	metricsPerRun = 10
	predsPerRun   = 25
)

func testConcurrency(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	concurrentWriters(ctx, t, []store.Store{s})
	concurrentLeases(ctx, t, []store.Store{s})
}

// ExerciseSharedDatabase runs the concurrency workload of Exercise with its
// writers spread over stores, several handles opened on one fresh, empty
// database as several processes would open it. It checks that nothing is lost,
// that version and revision numbers are unique and gapless, and that the audit
// chain is unbroken; and that of several handles taking one lease at once,
// exactly one gets it.
func ExerciseSharedDatabase(ctx context.Context, t *testing.T, stores ...store.Store) {
	t.Helper()
	require.NotEmpty(t, stores)
	concurrentWriters(ctx, t, stores)
	concurrentLeases(ctx, t, stores)
}

// concurrentWriters runs workers goroutines, worker i on stores[i%len], each
// creating runs with params, tags, metrics and audit events, a dataset
// version, a model version and a deployment revision of shared names, and
// checks exact counts afterwards.
func concurrentWriters(ctx context.Context, t *testing.T, stores []store.Store) {
	s := stores[0]
	mkRun(ctx, t, s, "r-base")

	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		s := stores[w%len(stores)]
		wg.Go(func() { errs <- work(ctx, s, w) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	runs, err := s.ListRuns(ctx, &store.ListRunsParams{Kind: "trial"})
	require.NoError(t, err)
	require.Len(t, runs, workers*runsPerWorker)
	for _, r := range runs {
		require.Equal(t, mlw.RunFinished, r.Status, "run %s", r.ID)
		require.Len(t, r.Params, 3, "run %s", r.ID)
		require.Equal(t, map[string]string{"worker": r.Params["worker"], "phase": "done"}, r.Tags, "run %s", r.ID)
		ms, err := s.ListMetrics(ctx, &store.ListMetricsParams{RunID: r.ID})
		require.NoError(t, err)
		require.Len(t, ms, metricsPerRun, "run %s", r.ID)
	}

	versions, err := s.ListDatasetVersions(ctx, &store.ListDatasetVersionsParams{Dataset: "shared"})
	require.NoError(t, err)
	requireNumbered(t, workers, len(versions), func(i int) int { return versions[i].Version })
	models, err := s.ListModelVersions(ctx, &store.ListModelVersionsParams{Name: "shared"})
	require.NoError(t, err)
	requireNumbered(t, workers, len(models), func(i int) int { return models[i].Version })
	deps, err := s.ListDeployments(ctx, &store.ListDeploymentsParams{Endpoint: "shared"})
	require.NoError(t, err)
	requireNumbered(t, workers, len(deps), func(i int) int { return deps[i].Revision })

	// Every prediction landed once, with an ID of its own.
	preds, err := s.ListPredictions(ctx, &store.ListPredictionsParams{Endpoint: "shared"})
	require.NoError(t, err)
	require.Len(t, preds, workers*runsPerWorker*predsPerRun)
	seen := make(map[string]bool, len(preds))
	for i, p := range preds {
		if i > 0 {
			require.Greater(t, p.ID, preds[i-1].ID)
		}
		k := rowKey(p)
		require.False(t, seen[k], "prediction %s logged twice", k)
		seen[k] = true
	}

	// Per run: create, an explicit event, finish; per worker: a dataset
	// version, a model version, a deployment.
	evs := allAudit(ctx, t, s)
	require.Len(t, evs, workers*(3*runsPerWorker+3))
	requireChain(t, evs)
	for _, other := range stores[1:] {
		require.Equal(t, evs, allAudit(ctx, t, other), "every handle reads the same chain")
	}
}

// work is one writer of concurrentWriters. It returns its first error, since
// only the test's goroutine may fail the test.
func work(ctx context.Context, s store.Store, w int) error {
	for i := range runsPerWorker {
		id := fmt.Sprintf("r-%d-%d", w, i)
		if _, err := s.CreateRun(ctx, &store.CreateRunParams{
			Run:   mlw.Run{ID: id, ParentID: "r-base", Kind: "trial", Status: mlw.RunRunning, Params: map[string]string{"worker": fmt.Sprint(w)}},
			Audit: &mlw.AuditEvent{Actor: "worker", Action: "run.create", Target: id},
		}); err != nil {
			return fmt.Errorf("create %s: %w", id, err)
		}
		if err := s.LogParams(ctx, &store.LogParamsParams{RunID: id, Params: map[string]string{"i": fmt.Sprint(i), "lr": "0.1"}}); err != nil {
			return fmt.Errorf("params %s: %w", id, err)
		}
		if err := s.SetTags(ctx, &store.SetTagsParams{RunID: id, Tags: map[string]string{"worker": fmt.Sprint(w), "phase": "train"}}); err != nil {
			return fmt.Errorf("tags %s: %w", id, err)
		}
		ms := make([]mlw.Metric, 0, metricsPerRun)
		for step := range metricsPerRun {
			ms = append(ms, mlw.Metric{Key: "loss", Value: 1 / float64(step+1), Step: int64(step), Time: at(step)})
		}
		// Log the metrics in two calls to interleave with other writers.
		if err := s.LogMetrics(ctx, &store.LogMetricsParams{RunID: id, Metrics: ms[:metricsPerRun/2]}); err != nil {
			return fmt.Errorf("metrics %s: %w", id, err)
		}
		if err := s.LogMetrics(ctx, &store.LogMetricsParams{RunID: id, Metrics: ms[metricsPerRun/2:]}); err != nil {
			return fmt.Errorf("metrics %s: %w", id, err)
		}
		preds := make([]mlw.Prediction, predsPerRun)
		for row := range preds {
			preds[row] = prediction(id, row, i, func(p *mlw.Prediction) { p.Endpoint = "shared" })
		}
		if err := s.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: preds}); err != nil {
			return fmt.Errorf("predictions %s: %w", id, err)
		}
		if _, err := s.AppendAudit(ctx, &store.AppendAuditParams{Event: mlw.AuditEvent{Actor: "worker", Action: "run.note", Target: id}}); err != nil {
			return fmt.Errorf("audit %s: %w", id, err)
		}
		if err := s.SetTags(ctx, &store.SetTagsParams{RunID: id, Tags: map[string]string{"phase": "done"}}); err != nil {
			return fmt.Errorf("tags %s: %w", id, err)
		}
		if _, err := s.UpdateRun(ctx, &store.UpdateRunParams{
			ID: id, ExpectStatus: ptr(mlw.RunRunning), Status: ptr(mlw.RunFinished), EndedAt: ptr(at(60)),
			Audit: &mlw.AuditEvent{Actor: "worker", Action: "run.finish", Target: id},
		}); err != nil {
			return fmt.Errorf("finish %s: %w", id, err)
		}
		if i == runsPerWorker/2 {
			if err := sharedNames(ctx, s, w, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// sharedNames adds a version of the dataset, of the model and a revision of
// the endpoint that every worker shares.
func sharedNames(ctx context.Context, s store.Store, w int, runID string) error {
	if _, err := s.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{
		Version: mlw.DatasetVersion{Dataset: "shared", Hash: fmt.Sprintf("h%d", w)},
		Audit:   &mlw.AuditEvent{Actor: "worker", Action: "dataset.add", Target: "shared"},
	}); err != nil {
		return fmt.Errorf("dataset version of worker %d: %w", w, err)
	}
	if _, err := s.CreateModelVersion(ctx, &store.CreateModelVersionParams{
		Version: mlw.ModelVersion{Name: "shared", RunID: runID},
		Audit:   &mlw.AuditEvent{Actor: "worker", Action: "model.register", Target: "shared"},
	}); err != nil {
		return fmt.Errorf("model version of worker %d: %w", w, err)
	}
	// Optimistic concurrency as internal/deploy does it: read the latest
	// revision, write the next, retry on ECONFLICT.
	for attempt := 1; ; attempt++ {
		if attempt > 100 {
			return fmt.Errorf("deployment of worker %d: still conflicting after 100 attempts", w)
		}
		expect := 0
		latest, err := s.GetDeployment(ctx, &store.GetDeploymentParams{Endpoint: "shared"})
		switch {
		case err == nil:
			expect = latest.Revision
		case mlw.ErrorCode(err) != mlw.ENOTFOUND:
			return fmt.Errorf("deployment of worker %d: %w", w, err)
		}
		_, err = s.CreateDeployment(ctx, &store.CreateDeploymentParams{
			Deployment:     mlw.Deployment{Endpoint: "shared", State: fmt.Sprint(w)},
			ExpectRevision: &expect,
			Audit:          &mlw.AuditEvent{Actor: "worker", Action: "deploy", Target: "shared"},
		})
		var me *mlw.Error
		if errors.As(err, &me) && me.Code == mlw.ECONFLICT {
			continue
		}
		if err != nil {
			return fmt.Errorf("deployment of worker %d: %w", w, err)
		}
		return nil
	}
}

// requireNumbered checks that n numbers, got by num(i), are 1..want.
func requireNumbered(t testing.TB, want, n int, num func(i int) int) {
	t.Helper()
	got := make([]int, n)
	for i := range n {
		got[i] = num(i)
	}
	slices.Sort(got)
	exp := make([]int, want)
	for i := range exp {
		exp[i] = i + 1
	}
	require.Equal(t, exp, got)
}
