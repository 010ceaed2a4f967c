package tune_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/tune"
)

// curve returns a trial in the given state that reported values at steps 0, 1, 2 ...
func curve(number int, state tune.State, values ...float64) tune.TrialRecord {
	t := tune.TrialRecord{Number: number, State: state}
	for i, v := range values {
		t.Intermediate = append(t.Intermediate, tune.StepValue{Step: i, Value: v})
	}
	if len(values) > 0 && state == tune.StateComplete {
		t.Value = values[len(values)-1]
	}
	return t
}

// at returns a trial that reported the given (step, value) pairs.
func at(number int, state tune.State, pairs ...float64) tune.TrialRecord {
	t := tune.TrialRecord{Number: number, State: state}
	for i := 0; i+1 < len(pairs); i += 2 {
		t.Intermediate = append(t.Intermediate, tune.StepValue{Step: int(pairs[i]), Value: pairs[i+1]})
	}
	return t
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	// numpy.percentile (linear interpolation).
	require.Equal(t, 3.0, tune.Percentile([]float64{5, 1, 3, 2, 4}, 50))
	require.Equal(t, 2.5, tune.Percentile([]float64{4, 1, 3, 2}, 50))
	require.Equal(t, 1.75, tune.Percentile([]float64{4, 1, 3, 2}, 25))
	require.Equal(t, 7.0, tune.Percentile([]float64{7}, 50))
}

func TestMedianPruner(t *testing.T) {
	t.Parallel()
	// Five complete trials whose values at step 2 are 1..5: the median is 3.
	five := []tune.TrialRecord{
		curve(0, tune.StateComplete, 9, 9, 1), curve(1, tune.StateComplete, 9, 9, 2), curve(2, tune.StateComplete, 9, 9, 3),
		curve(3, tune.StateComplete, 9, 9, 4), curve(4, tune.StateComplete, 9, 9, 5),
	}
	withOthers := append(append([]tune.TrialRecord(nil), five...),
		curve(5, tune.StatePruned, 0, 0, 0), curve(6, tune.StateRunning, 0, 0, 0), curve(7, tune.StateFailed, 0, 0, 0))
	tests := []struct {
		name    string
		pruner  tune.MedianPruner
		dir     tune.Direction
		trial   tune.TrialRecord
		history []tune.TrialRecord
		want    bool
	}{
		{"worse than the median", tune.MedianPruner{}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 3.5), five, true},
		{"better than the median", tune.MedianPruner{}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 2.5), five, false},
		{"equal to the median", tune.MedianPruner{}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 3), five, false},
		{"best so far counts, not the last", tune.MedianPruner{}, tune.Minimize, curve(9, tune.StateRunning, 9, 2, 3.5), five, false},
		{"maximize: below the median", tune.MedianPruner{}, tune.Maximize, curve(9, tune.StateRunning, 0, 0, 2.5), five, true},
		{"maximize: above the median", tune.MedianPruner{}, tune.Maximize, curve(9, tune.StateRunning, 0, 0, 3.5), five, false},
		{"only complete trials count", tune.MedianPruner{}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 3.5), withOthers, true},
		{"fewer than 5 complete: startup", tune.MedianPruner{}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 100), five[:4], false},
		{"startup 4", tune.MedianPruner{StartupTrials: 4}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 2.6), five[:4], true}, // median of 1..4 = 2.5
		{"none complete", tune.MedianPruner{StartupTrials: 1}, tune.Minimize, curve(9, tune.StateRunning, 100), nil, false},
		{"warmup", tune.MedianPruner{WarmupSteps: 3}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 100), five, false},
		{"after warmup", tune.MedianPruner{WarmupSteps: 2}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 100), five, true},
		{"nothing reported", tune.MedianPruner{}, tune.Minimize, curve(9, tune.StateRunning), five, false},
		{"no value at that step", tune.MedianPruner{}, tune.Minimize, at(9, tune.StateRunning, 7, 100), five, false},
		{"too few at that step", tune.MedianPruner{MinTrials: 6}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 100), five, false},
		{"NaN is pruned", tune.MedianPruner{}, tune.Minimize, curve(9, tune.StateRunning, math.NaN()), five, true},
		// Interval 2 from warmup 0: steps 0, 2, 4 ... are judged at the first
		// report in their interval; step 1 follows step 0 in the same interval.
		{"interval: same interval", tune.MedianPruner{IntervalSteps: 2}, tune.Minimize, curve(9, tune.StateRunning, 9, 100), five, false},
		{"interval: new interval", tune.MedianPruner{IntervalSteps: 2}, tune.Minimize, curve(9, tune.StateRunning, 9, 9, 100), five, true},
		{"interval: first report in a later interval", tune.MedianPruner{IntervalSteps: 2}, tune.Minimize, at(9, tune.StateRunning, 0, 9, 3, 9.5), append(five[:0:0], curve(0, tune.StateComplete, 1, 1, 1, 1), curve(1, tune.StateComplete, 1, 1, 1, 1), curve(2, tune.StateComplete, 1, 1, 1, 1), curve(3, tune.StateComplete, 1, 1, 1, 1), curve(4, tune.StateComplete, 1, 1, 1, 1)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.pruner.Prune(tt.dir, &tt.trial, tt.history))
		})
	}
}

func TestSuccessiveHalvingPruner(t *testing.T) {
	t.Parallel()
	sh := tune.SuccessiveHalvingPruner{MinResource: 1} // rungs at steps 1, 4, 16, with η = 4
	// Three trials that passed rung 0 (step 1) with 0.1, 0.2, 0.3.
	three := []tune.TrialRecord{
		at(0, tune.StateComplete, 0, 9, 1, 0.1, 4, 0.05),
		at(1, tune.StatePruned, 0, 9, 1, 0.2),
		at(2, tune.StateRunning, 0, 9, 1, 0.3, 2, 0.25),
	}
	seven := append(append([]tune.TrialRecord(nil), three...),
		at(3, tune.StatePruned, 1, 0.4), at(4, tune.StatePruned, 1, 0.5), at(5, tune.StatePruned, 1, 0.6), at(6, tune.StateFailed, 1, 0.7))
	tests := []struct {
		name    string
		pruner  tune.SuccessiveHalvingPruner
		dir     tune.Direction
		trial   tune.TrialRecord
		history []tune.TrialRecord
		want    bool
	}{
		{"before the first rung", sh, tune.Minimize, at(9, tune.StateRunning, 0, 100), three, false},
		{"alone at a rung: promoted", sh, tune.Minimize, at(9, tune.StateRunning, 0, 1, 1, 100), nil, false},
		// 4 competitors: 4/4-1 = 0, only the best goes on.
		{"4 at the rung, not the best", sh, tune.Minimize, at(9, tune.StateRunning, 0, 1, 1, 0.15), three, true},
		{"4 at the rung, the best", sh, tune.Minimize, at(9, tune.StateRunning, 0, 1, 1, 0.05), three, false},
		{"ties promote", sh, tune.Minimize, at(9, tune.StateRunning, 0, 1, 1, 0.1), three, false},
		// 8 competitors: the best 2 (0.1 and the trial's own 0.15) go on.
		{"8 at the rung, second best", sh, tune.Minimize, at(9, tune.StateRunning, 1, 0.15), seven, false},
		{"8 at the rung, third best", sh, tune.Minimize, at(9, tune.StateRunning, 1, 0.25), seven, true},
		{"maximize: 8 at the rung, second best", sh, tune.Maximize, at(9, tune.StateRunning, 1, 0.65), seven, false},
		{"maximize: 8 at the rung, third best", sh, tune.Maximize, at(9, tune.StateRunning, 1, 0.55), seven, true},
		// Rung 0 was judged at step 1; step 2 is between rungs: nothing to judge.
		{"between rungs", sh, tune.Minimize, at(9, tune.StateRunning, 1, 0.01, 2, 0.9), three, false},
		// Reaching step 4 (rung 1): only trial 0 got there (0.05).
		{"second rung, worse", sh, tune.Minimize, at(9, tune.StateRunning, 1, 0.01, 4, 0.06), three, true},
		{"second rung, better", sh, tune.Minimize, at(9, tune.StateRunning, 1, 0.01, 4, 0.04), three, false},
		// A trial's value at a rung is the one at its first step at or after it:
		// trial 2's step 2 does not count for rung 1 (step 4), it never got there.
		{"value at the first step past the rung", sh, tune.Minimize, at(9, tune.StateRunning, 1, 0.01, 5, 0.06), []tune.TrialRecord{at(0, tune.StateComplete, 1, 0.1, 6, 0.05)}, true},
		// A report that jumps over two rungs is judged at both, with its value:
		// 0.06 is the best at rung 0 but not at rung 1 (trial 0 had 0.05).
		{"jump over two rungs", sh, tune.Minimize, at(9, tune.StateRunning, 0, 0.5, 4, 0.06), three, true},
		{"jump over two rungs, best at both", sh, tune.Minimize, at(9, tune.StateRunning, 0, 0.5, 4, 0.04), three, false},
		{"minimum early-stopping rate 1", tune.SuccessiveHalvingPruner{MinResource: 1, MinEarlyStoppingRate: 1}, tune.Minimize, at(9, tune.StateRunning, 0, 1, 1, 100), three, false},
		{"bootstrap count", tune.SuccessiveHalvingPruner{MinResource: 1, BootstrapCount: 2}, tune.Minimize, at(9, tune.StateRunning, 0, 1, 1, 0.01), nil, true},
		{"auto: no complete trial", tune.SuccessiveHalvingPruner{}, tune.Minimize, at(9, tune.StateRunning, 0, 1, 1, 100), []tune.TrialRecord{at(1, tune.StatePruned, 1, 0.1)}, false},
		// Auto min resource: 399/100 = 3, rungs at 3, 12, ...
		{"auto: before the first rung", tune.SuccessiveHalvingPruner{}, tune.Minimize, at(9, tune.StateRunning, 2, 100), []tune.TrialRecord{at(0, tune.StateComplete, 3, 0.1, 399, 0.01)}, false},
		{"auto: at the first rung", tune.SuccessiveHalvingPruner{}, tune.Minimize, at(9, tune.StateRunning, 2, 100, 3, 100), []tune.TrialRecord{at(0, tune.StateComplete, 3, 0.1, 399, 0.01), at(1, tune.StatePruned, 3, 0.2), at(2, tune.StatePruned, 3, 0.3)}, true},
		{"NaN is pruned", sh, tune.Minimize, at(9, tune.StateRunning, 0, math.NaN()), three, true},
		{"nothing reported", sh, tune.Minimize, at(9, tune.StateRunning), three, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.pruner.Prune(tt.dir, &tt.trial, tt.history))
		})
	}
}
