package tune

// Steps of a cross-validated trial. Its objective reports two kinds of
// intermediate values, which must never share a step, since a pruner
// compares trials step by step, and must come in increasing step order,
// since a pruner judges a step when a trial first reaches it:
//
//   - the score after iteration i (a boosting iteration, an epoch: 1, 2,
//     ...) of the first fold's fit, at step IterationStep(i) = i, every
//     Config.IterationInterval iterations;
//   - the score of fold f (0, 1, ...), at step FoldStep(f) = FoldStepBase+f.
//
// Only the first fold reports its iterations: it runs first, alone, so that
// a trial pruned during it costs a fraction of one fold, and comparing the
// first folds of all trials is enough to spot a hopeless one. Later folds
// are judged by their scores. Trials that report no iterations (estimators
// that are not iterative) report fold scores only, at the same steps.
//
// With SuccessiveHalvingPruner, set MinResource (for example to
// IterationInterval): its automatic one derives from the largest step,
// which is a fold step here.
const (
	// FoldStepBase is the step of the first fold's score. Iterations from
	// FoldStepBase on are not reported.
	FoldStepBase = 1_000_000
	// DefaultIterationInterval is Config.IterationInterval's default.
	DefaultIterationInterval = 10
)

// IterationStep returns the step of the score after iteration iter (1 for
// the first) of a cross-validated trial's first fold; ok is false when iter
// is below 1 or at or above FoldStepBase.
func IterationStep(iter int) (step int, ok bool) {
	if iter < 1 || iter >= FoldStepBase {
		return 0, false
	}
	return iter, true
}

// FoldStep returns the step of the score of fold (0 for the first) of a
// cross-validated trial.
func FoldStep(fold int) int { return FoldStepBase + fold }

// ReportIteration reports value, the score after iteration iter of the
// trial's first fold, at IterationStep(iter) when iter is a multiple of the
// study's IterationInterval (other iterations are ignored), and returns
// ErrPruned when the pruner then says to stop. It fits train.Spec's
// OnIteration. Other errors are those of Report.
func (t *Trial) ReportIteration(iter int, value float64) error {
	step, ok := IterationStep(iter)
	if !ok || iter%t.study.cfg.IterationInterval != 0 {
		return nil
	}
	return t.reportAndPrune(step, value)
}

// ReportFold reports value, the score of fold (0 for the first), at
// FoldStep(fold), and returns ErrPruned when the pruner then says to stop.
// Other errors are those of Report.
func (t *Trial) ReportFold(fold int, value float64) error {
	return t.reportAndPrune(FoldStep(fold), value)
}

func (t *Trial) reportAndPrune(step int, value float64) error {
	if err := t.Report(step, value); err != nil {
		return err
	}
	if t.ShouldPrune() {
		return ErrPruned
	}
	return nil
}
