package tune_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/testutil"
	"mlw.dev/internal/train"
	"mlw.dev/internal/tune"
	"mlw.dev/split"
)

// breastCancer returns testdata/datasets/breast_cancer.csv as training data
// whose rows are 80% training, 10% validation and 10% test, by row number.
func breastCancer(tb testing.TB) *train.Data {
	tb.Helper()
	f, err := frame.ReadFile(filepath.Join(testutil.Root(tb), "testdata", "datasets", "breast_cancer.csv"), frame.ReadOptions{})
	require.NoError(tb, err)
	parts := make([]split.Part, f.NumRows())
	for i := range parts {
		switch i % 10 {
		case 8:
			parts[i] = split.Validation
		case 9:
			parts[i] = split.Test
		}
	}
	a, err := split.NewAssignment(parts)
	require.NoError(tb, err)
	return &train.Data{
		Version: &mlw.DatasetVersion{ID: 1, Dataset: "breast_cancer", Version: 1, Roles: mlw.Roles{Target: "target"}},
		Frame:   f, Schema: frame.InferSchema(f, frame.SchemaOptions{}),
		Split: &mlw.Split{ID: "s-test"}, Parts: a, Task: "classification",
	}
}

// cvStudy runs a 12-trial random search of gbdt's learning rate in
// [1e-4, 0.5] (50 boosting iterations) on 3-fold CV of breast_cancer,
// minimising the log loss, as mlw tune wires it: iteration scores of the
// first fold through ReportIteration, fold scores through ReportFold. It
// returns the trials and the boosting iterations run over all folds.
func cvStudy(t testing.TB, pruner tune.Pruner) ([]tune.TrialRecord, int) {
	t.Helper()
	const maxIter = 50
	d := breastCancer(t)
	st, err := tune.NewStudy(t.Context(), tune.Config{
		Space:   tune.MustSpace(tune.LogFloatParam("learning_rate", 1e-4, 0.5), tune.FixedParam("max_iter", strconv.Itoa(maxIter))),
		Sampler: tune.RandomSampler{Seed: 7}, Pruner: pruner, Trials: 12, IterationInterval: 5,
	})
	require.NoError(t, err)
	iterations := 0
	res, err := st.Optimize(t.Context(), func(ctx context.Context, tr *tune.Trial) (float64, error) {
		spec := train.Spec{Model: "gbdt", Params: tr.Params, Seed: 1, Metric: "log_loss", CVWorkers: 1,
			OnIteration: func(iter int, v float64) error {
				iterations++
				return tr.ReportIteration(iter, v)
			}}
		cv, err := train.CrossValidateEach(ctx, d, spec, 3, func(fold int, s map[string]float64) error {
			if fold > 0 {
				iterations += maxIter // the first fold's are counted one by one
			}
			return tr.ReportFold(fold, s["log_loss"])
		})
		if err != nil {
			return 0, err
		}
		return cv.Mean["log_loss"], nil
	})
	require.NoError(t, err)
	return res.Trials, iterations
}

func TestCrossValidatedStudyPrunesBadLearningRates(t *testing.T) {
	t.Parallel()
	full, fullIters := cvStudy(t, nil)
	pruned, prunedIters := cvStudy(t, tune.MedianPruner{StartupTrials: 3, WarmupSteps: 10})
	require.Len(t, pruned, 12)
	require.Equal(t, 12*3*50, fullIters)

	lr := func(tr tune.TrialRecord) float64 {
		v, err := tr.Params.Float("learning_rate")
		require.NoError(t, err)
		return v
	}
	var prunedLR, completeLR []float64
	duringFold0 := 0
	for i, tr := range pruned {
		require.Equal(t, full[i].Params, tr.Params, "the same seed samples the same learning rates")
		switch tr.State {
		case tune.StatePruned:
			prunedLR = append(prunedLR, lr(tr))
			last, ok := tr.LastStep()
			require.True(t, ok)
			if last.Step < tune.FoldStepBase {
				duringFold0++
				require.Zero(t, last.Step%5, "iterations are reported every IterationInterval")
			}
		case tune.StateComplete:
			completeLR = append(completeLR, lr(tr))
			require.Equal(t, full[i].Value, tr.Value, "a complete trial's score does not depend on pruning")
			_, ok := tr.ValueAt(tune.FoldStep(2))
			require.True(t, ok)
		default:
			t.Fatalf("trial %d is %s", tr.Number, tr.State)
		}
	}
	t.Logf("pruned learning rates %.4g, complete %.4g; %d of %d boosting iterations run (%d pruned during the first fold)",
		prunedLR, completeLR, prunedIters, fullIters, duringFold0)
	require.NotEmpty(t, prunedLR)
	require.Positive(t, duringFold0, "some trials are pruned inside the first fold's fit")
	require.Less(t, prunedIters, fullIters)
	require.Less(t, slices.Max(prunedLR), slices.Max(completeLR), "the best learning rates are never pruned")
	best, ok := tune.BestTrial(pruned, tune.Minimize)
	require.True(t, ok)
	fullBest, _ := tune.BestTrial(full, tune.Minimize)
	require.Equal(t, fullBest.Number, best.Number, "pruning keeps the best trial")
}

// BenchmarkCrossValidatedStudy times cvStudy with and without pruning.
func BenchmarkCrossValidatedStudy(b *testing.B) {
	for _, bc := range []struct {
		name   string
		pruner tune.Pruner
	}{{"pruner=none", nil}, {"pruner=median", tune.MedianPruner{StartupTrials: 3, WarmupSteps: 10}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var iters int
			for b.Loop() {
				_, iters = cvStudy(b, bc.pruner)
			}
			b.ReportMetric(float64(iters), "iterations/op")
		})
	}
}
