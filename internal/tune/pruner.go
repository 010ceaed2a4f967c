package tune

import (
	"cmp"
	"math"
	"slices"

	"mlw.dev/internal/stats"
)

// Pruner decides whether a running trial should stop early, from the
// intermediate values it reported (Trial.Report) and those of the other
// trials.
type Pruner interface {
	// Prune reports whether trial should stop. trial is running and holds
	// the values it reported so far, the newest step last; history holds the
	// study's other trials in every state. Prune must be deterministic and
	// safe for concurrent use.
	Prune(dir Direction, trial *TrialRecord, history []TrialRecord) bool
}

// MedianPruner stops a trial whose best intermediate value so far is worse
// than the median of the complete trials' values at the same step (Optuna's
// MedianPruner). It waits for StartupTrials complete trials and ignores the
// steps before WarmupSteps.
type MedianPruner struct {
	// StartupTrials is the number of complete trials needed before pruning;
	// 0 means 5. (No trial is ever pruned while none is complete.)
	StartupTrials int
	// WarmupSteps: steps below it are never pruned; 0 means none.
	WarmupSteps int
	// IntervalSteps: pruning is considered once per interval of steps
	// (counted from WarmupSteps); 0 means 1, every step.
	IntervalSteps int
	// MinTrials is the number of complete trials with a value at the step
	// needed to compare; 0 means 1.
	MinTrials int
}

// DefaultMedianStartupTrials is MedianPruner's default StartupTrials.
const DefaultMedianStartupTrials = 5

var _ Pruner = MedianPruner{}

// Prune implements Pruner.
func (m MedianPruner) Prune(dir Direction, trial *TrialRecord, history []TrialRecord) bool {
	last, ok := trial.LastStep()
	if !ok {
		return false
	}
	completed := 0
	for i := range history {
		if history[i].State == StateComplete {
			completed++
		}
	}
	if completed == 0 || completed < cmp.Or(m.StartupTrials, DefaultMedianStartupTrials) {
		return false
	}
	step := last.Step
	if step < m.WarmupSteps {
		return false
	}
	// Consider pruning only at the first reported step of each interval.
	interval := max(m.IntervalSteps, 1)
	lower := (step-m.WarmupSteps)/interval*interval + m.WarmupSteps
	prev := -1
	for _, sv := range trial.Intermediate[:len(trial.Intermediate)-1] {
		prev = max(prev, sv.Step)
	}
	if prev >= lower {
		return false
	}
	best := math.NaN()
	for _, sv := range trial.Intermediate {
		if math.IsNaN(sv.Value) {
			continue
		}
		if math.IsNaN(best) || dir.better(sv.Value, best) {
			best = sv.Value
		}
	}
	if math.IsNaN(best) {
		return true
	}
	var at []float64
	for i := range history {
		if history[i].State != StateComplete {
			continue
		}
		if v, ok := history[i].ValueAt(step); ok && !math.IsNaN(v) {
			at = append(at, v)
		}
	}
	if len(at) == 0 || len(at) < max(m.MinTrials, 1) {
		return false
	}
	slices.Sort(at)
	median := stats.Quantile(at, 0.5)
	return dir.better(median, best)
}

// SuccessiveHalvingPruner is asynchronous successive halving (Li et al.,
// "A system for massively parallel hyperparameter tuning", MLSys 2020), as
// Optuna's SuccessiveHalvingPruner. Rung r is reached at step
// MinResource·ReductionFactor^(MinEarlyStoppingRate+r); a trial reaching a
// rung is kept only if its value there is among the best 1/ReductionFactor of
// the values every trial had at that rung (its own included), and, while
// fewer than ReductionFactor trials reached the rung, only if it is the best.
//
// A trial's value at a rung is its value at the first step it reported at or
// after the rung's step, so the pruner keeps no state of its own: it works
// across processes from the stored intermediate values. Call
// Trial.ShouldPrune after every Trial.Report, as each rung is judged at the
// report that reaches it.
type SuccessiveHalvingPruner struct {
	// MinResource is the step of the first rung; 0 means automatic: the
	// largest last step of the complete trials divided by 100 (at least 1),
	// and no pruning until a trial is complete.
	MinResource int
	// ReductionFactor is η: 1/η of the trials go on at each rung; 0 means 4.
	ReductionFactor int
	// MinEarlyStoppingRate s shifts the first rung to MinResource·η^s.
	MinEarlyStoppingRate int
	// BootstrapCount is the number of trials that must reach a rung before a
	// trial can be promoted past it; 0 means none.
	BootstrapCount int
}

// DefaultReductionFactor is SuccessiveHalvingPruner's default η.
const DefaultReductionFactor = 4

var _ Pruner = SuccessiveHalvingPruner{}

// Prune implements Pruner.
func (h SuccessiveHalvingPruner) Prune(dir Direction, trial *TrialRecord, history []TrialRecord) bool {
	last, ok := trial.LastStep()
	if !ok {
		return false
	}
	prev := math.MinInt
	if n := len(trial.Intermediate); n > 1 {
		prev = trial.Intermediate[n-2].Step
	}
	minResource := h.MinResource
	if minResource <= 0 {
		maxLast := -1
		for i := range history {
			if history[i].State != StateComplete {
				continue
			}
			if sv, ok := history[i].LastStep(); ok {
				maxLast = max(maxLast, sv.Step)
			}
		}
		if maxLast < 0 {
			return false
		}
		minResource = max(maxLast/100, 1)
	}
	if math.IsNaN(last.Value) {
		return true
	}
	eta := cmp.Or(h.ReductionFactor, DefaultReductionFactor)
	rungStep := minResource
	for range h.MinEarlyStoppingRate {
		if rungStep > last.Step {
			return false
		}
		rungStep *= eta
	}
	for ; rungStep <= last.Step; rungStep *= eta {
		if prev >= rungStep {
			continue // this rung was judged at an earlier report
		}
		competing := []float64{last.Value}
		for i := range history {
			if v, ok := valueFrom(&history[i], rungStep); ok && !math.IsNaN(v) {
				competing = append(competing, v)
			}
		}
		if len(competing) <= h.BootstrapCount {
			return true
		}
		if !promotable(dir, last.Value, competing, eta) {
			return true
		}
		if rungStep > math.MaxInt/eta {
			break
		}
	}
	return false
}

// valueFrom returns t's value at the first step it reported at or after step.
func valueFrom(t *TrialRecord, step int) (float64, bool) {
	i, _ := slices.BinarySearchFunc(t.Intermediate, step, func(sv StepValue, s int) int { return sv.Step - s })
	if i == len(t.Intermediate) {
		return 0, false
	}
	return t.Intermediate[i].Value, true
}

// promotable reports whether value is among the best len/eta of competing
// (the best one while fewer than eta compete).
func promotable(dir Direction, value float64, competing []float64, eta int) bool {
	k := len(competing)/eta - 1
	if k < 0 {
		k = 0
	}
	slices.Sort(competing)
	if dir == Maximize {
		return competing[len(competing)-1-k] <= value
	}
	return value <= competing[k]
}
