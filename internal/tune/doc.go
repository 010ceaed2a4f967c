// Package tune searches hyperparameters: search spaces, samplers (grid,
// random, TPE), pruners (median, successive halving), and the Study engine
// that runs trials of an objective on a pool of workers and keeps them in a
// Storage.
//
// A study in a few lines:
//
//	space, _ := tune.DefaultSpace("gbdt", model.BinaryClassification)
//	st, _ := tune.NewStudy(ctx, tune.Config{
//		Study: "churn-gbdt", Direction: tune.Maximize, Space: space,
//		Sampler: tune.TPESampler{Seed: 1}, Pruner: tune.MedianPruner{},
//		Trials: 40, Parallel: 2,
//	})
//	res, err := st.Optimize(ctx, func(ctx context.Context, t *tune.Trial) (float64, error) {
//		var m gbdt.Model
//		if err := t.Params.Apply(&m); err != nil {
//			return 0, err // recorded as a failed trial
//		}
//		// ... fit on each fold, t.Report(fold, meanSoFar), and
//		// if t.ShouldPrune() { return 0, tune.ErrPruned }
//		return cvScore, nil
//	})
//	fmt.Println(res.Best.Params, res.Best.Value, tune.Importance(space, res.Trials))
//
// Cross-validated objectives report with Trial.ReportIteration (the score
// after each boosting iteration or epoch of the first fold, from the
// estimator's model.Monitor; train.Spec.OnIteration takes it as it is) and
// Trial.ReportFold (each fold's score), which keep the two kinds of values
// on steps of their own (IterationStep, FoldStep) and return ErrPruned when
// the pruner says to stop, so that a hopeless trial stops inside its first
// fit.
//
// Spaces: parameters are int, float (either log-scaled) or categorical, and
// may be conditional on a categorical parent. DefaultParams gives a
// practitioner's default space per model kind; a YAML file (ParseSpaceFile)
// replaces or extends it. Params are rendered as the strings estimators'
// SetParam take.
//
// Reproducibility: samplers are deterministic. Each trial's random draws are
// seeded by the sampler's seed and the trial's number, so a serial study with
// the same seed proposes the same params, whichever process runs it. With
// parallel workers the history each proposal sees depends on timing, as with
// any parallel search.
//
// Distribution: all state lives in the Storage. Trial numbers, the trial
// budget, claiming waiting trials and ownership are atomic there, so several
// processes pointed at one shared Storage (PostgreSQL) work on one study
// without running a trial twice; a worker that stops sending heartbeats has
// its trial given back to the queue and re-run by another. MemoryStorage is
// the in-process implementation; package tunetest is the conformance suite
// every implementation runs.
package tune
