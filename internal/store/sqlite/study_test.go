package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/tune"
	"mlw.dev/internal/tune/tunetest"
)

func TestStudyStorage(t *testing.T) {
	t.Parallel()
	tunetest.Exercise(t.Context(), t, func(t *testing.T) tune.Storage { return openTestDB(t) })
}

// TestStudySharedDatabase runs one study from several handles on one file at
// once, as several processes would: together they run exactly the budget,
// each trial once.
func TestStudySharedDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	handles := make([]tune.Storage, 4)
	for i := range handles {
		handles[i] = openAt(t, path, 0)
	}
	optimizeShared(t.Context(), t, handles)
}

// optimizeShared runs tune.Study.Optimize on one study of 40 trials from
// every storage at once and checks that the study ends with trials 0..39,
// each finished exactly once.
func optimizeShared(ctx context.Context, t *testing.T, handles []tune.Storage) {
	t.Helper()
	const budget = 40
	space := tune.MustSpace(tune.FloatParam("x", 0, 1))
	var wg sync.WaitGroup
	for i, h := range handles {
		wg.Go(func() {
			st, err := tune.NewStudy(ctx, tune.Config{
				Study: "shared", Space: space, Storage: h, Trials: budget, Parallel: 2,
				Sampler: tune.RandomSampler{Seed: uint64(i + 1)}, Worker: fmt.Sprintf("proc-%d", i),
			})
			if err != nil {
				t.Errorf("worker %d: open study: %v", i, err)
				return
			}
			res, err := st.Optimize(ctx, func(_ context.Context, tr *tune.Trial) (float64, error) {
				x, err := tr.Params.Float("x")
				if err != nil {
					return 0, err
				}
				for step := range 3 {
					if err := tr.Report(step, x*float64(step+1)); err != nil {
						return 0, err
					}
				}
				return (x - 0.3) * (x - 0.3), nil
			})
			if err != nil {
				t.Errorf("worker %d: optimize: %v", i, err)
				return
			}
			if res.Stop != tune.StopBudget {
				t.Errorf("worker %d stopped for %s, want %s", i, res.Stop, tune.StopBudget)
			}
		})
	}
	wg.Wait()

	trials, err := handles[0].ListTrials(ctx, &tune.ListTrialsParams{Study: "shared"})
	require.NoError(t, err)
	require.Len(t, trials, budget)
	workers := map[string]int{}
	for i, tr := range trials {
		require.Equal(t, i, tr.Number, "numbers are 0..%d without gaps or duplicates", budget-1)
		require.Equal(t, tune.StateComplete, tr.State, "trial %d", i)
		require.Equal(t, 1, tr.Attempts, "trial %d ran once", i)
		require.Len(t, tr.Intermediate, 3, "trial %d", i)
		workers[tr.Worker]++
	}
	t.Logf("trials per worker: %v", workers)
}

func BenchmarkStudyStorage(b *testing.B) {
	tunetest.Benchmark(b.Context(), b, func(b *testing.B) tune.Storage { return openTestDB(b) })
}
