package train_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/testutil"
	"mlw.dev/internal/train"
	"mlw.dev/split"
)

// loadData returns a bundled dataset (testdata/datasets) as training data
// whose rows are 80% training, 10% validation and 10% test, by row number.
func loadData(tb testing.TB, name string) *train.Data {
	tb.Helper()
	f, err := frame.ReadFile(filepath.Join(testutil.Root(tb), "testdata", "datasets", name+".csv"), frame.ReadOptions{})
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
	task := "classification"
	if name == "diabetes" {
		task = "regression"
	}
	return &train.Data{
		Version: &mlw.DatasetVersion{ID: 1, Dataset: name, Version: 1, Roles: mlw.Roles{Target: "target"}},
		Frame:   f, Schema: frame.InferSchema(f, frame.SchemaOptions{}),
		Split: &mlw.Split{ID: "s-test"}, Parts: a, Task: task,
	}
}

func TestCrossValidateWorkersGiveTheSameBits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dataset string
		spec    train.Spec
	}{
		{"breast_cancer", train.Spec{Model: "gbdt", Params: map[string]string{"max_iter": "30"}, Seed: 3}},
		{"diabetes", train.Spec{Model: "forest", Params: map[string]string{"n_estimators": "20"}, Seed: 4}},
		{"wine", train.Spec{Model: "logistic", Seed: 5}},
	} {
		t.Run(tc.spec.Model, func(t *testing.T) {
			t.Parallel()
			d := loadData(t, tc.dataset)
			run := func(workers int) (*train.CVResult, []map[string]float64) {
				spec := tc.spec
				spec.CVWorkers = workers
				var folds []map[string]float64
				res, err := train.CrossValidateEach(t.Context(), d, spec, 4, func(fold int, s map[string]float64) error {
					require.Len(t, folds, fold, "folds are delivered in order")
					folds = append(folds, s)
					return nil
				})
				require.NoError(t, err)
				return res, folds
			}
			seq, seqFolds := run(1)
			par, parFolds := run(4)
			require.Equal(t, 4, seq.Folds)
			require.NotEmpty(t, seq.Mean)
			require.Equal(t, seq, par, "the metrics are the same to the bit")
			require.Equal(t, seqFolds, parFolds)
		})
	}
}

func TestCrossValidateStopsAtTheFirstError(t *testing.T) {
	t.Parallel()
	d := loadData(t, "breast_cancer")
	stop := errors.New("stop at fold 1")
	var seen []int
	_, err := train.CrossValidateEach(t.Context(), d, train.Spec{Model: "logistic", CVWorkers: 3}, 5, func(fold int, _ map[string]float64) error {
		seen = append(seen, fold)
		if fold == 1 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, []int{0, 1}, seen)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = train.CrossValidate(ctx, d, train.Spec{Model: "logistic", CVWorkers: 2}, 3)
	require.ErrorIs(t, err, context.Canceled)
}

func TestCrossValidateOnIteration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dataset, model, metric string
		params                 map[string]string
		iters                  int
	}{
		{"breast_cancer", "gbdt", "roc_auc", map[string]string{"max_iter": "25"}, 25},
		{"diabetes", "gbdt", "rmse", map[string]string{"max_iter": "25"}, 25},
		{"iris", "mlp", "accuracy", map[string]string{"max_iter": "15", "hidden_layer_sizes": "8"}, 15},
	} {
		t.Run(tc.dataset+"/"+tc.model, func(t *testing.T) {
			t.Parallel()
			d := loadData(t, tc.dataset)
			spec := train.Spec{Model: tc.model, Params: tc.params, Seed: 2, Metric: tc.metric}
			plain, err := train.CrossValidate(t.Context(), d, spec, 3)
			require.NoError(t, err)

			// A hook that never stops sees every iteration of the first fold
			// only, and changes nothing.
			var (
				mu     sync.Mutex
				iters  []int
				scores []float64
			)
			spec.OnIteration = func(iter int, score float64) error {
				mu.Lock()
				defer mu.Unlock()
				iters, scores = append(iters, iter), append(scores, score)
				return nil
			}
			watched, err := train.CrossValidate(t.Context(), d, spec, 3)
			require.NoError(t, err)
			require.Equal(t, plain, watched)
			require.Len(t, iters, tc.iters)
			for i, it := range iters {
				require.Equal(t, i+1, it)
			}
			require.NotEqual(t, scores[0], scores[len(scores)-1], "the score follows the fit")

			// A hook that fails stops the fit there, and no other fold runs.
			pruned := errors.New("pruned")
			iters = nil
			folds := 0
			spec.OnIteration = func(iter int, _ float64) error {
				iters = append(iters, iter)
				if iter == 5 {
					return pruned
				}
				return nil
			}
			_, err = train.CrossValidateEach(t.Context(), d, spec, 3, func(int, map[string]float64) error { folds++; return nil })
			require.ErrorIs(t, err, pruned)
			require.Equal(t, []int{1, 2, 3, 4, 5}, iters)
			require.Zero(t, folds)
		})
	}
}

func TestCrossValidateOnIterationIgnoresOtherEstimators(t *testing.T) {
	t.Parallel()
	d := loadData(t, "breast_cancer")
	spec := train.Spec{Model: "logistic", Metric: "roc_auc", OnIteration: func(int, float64) error {
		return errors.New("logistic regression reports no iterations")
	}}
	_, err := train.CrossValidate(t.Context(), d, spec, 3)
	require.NoError(t, err)

	spec.Metric = "rmse"
	_, err = train.CrossValidate(t.Context(), d, spec, 3)
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	spec.Metric = "no_such_metric"
	_, err = train.CrossValidate(t.Context(), d, spec, 3)
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
}
