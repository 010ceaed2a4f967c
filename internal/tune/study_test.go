package tune_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/tune"
)

var lineSpace = tune.MustSpace(tune.FloatParam("x", 0, 1))

// newStudy opens a study on lineSpace with a random sampler, with cfg's
// non-zero fields.
func newStudy(t *testing.T, cfg tune.Config) *tune.Study {
	t.Helper()
	if cfg.Space == nil {
		cfg.Space = lineSpace
	}
	if cfg.Sampler == nil {
		cfg.Sampler = tune.RandomSampler{Seed: 1}
	}
	st, err := tune.NewStudy(t.Context(), cfg)
	require.NoError(t, err)
	return st
}

func states(trials []tune.TrialRecord) []tune.State {
	out := make([]tune.State, len(trials))
	for i, t := range trials {
		out[i] = t.State
	}
	return out
}

func TestStudyRecordsFailures(t *testing.T) {
	t.Parallel()
	st := newStudy(t, tune.Config{Trials: 10})
	res, err := st.Optimize(t.Context(), func(_ context.Context, tr *tune.Trial) (float64, error) {
		switch tr.Number % 5 {
		case 1:
			return 0, errors.New("diverged: loss is inf")
		case 2:
			panic(errors.New("index out of range"))
		case 3:
			return math.NaN(), nil
		case 4:
			return 0, fmt.Errorf("fold 2: %w", tune.ErrPruned)
		}
		return float64(tr.Number), nil
	})
	require.NoError(t, err)
	require.Equal(t, tune.StopBudget, res.Stop)
	require.Equal(t, []tune.State{
		tune.StateComplete, tune.StateFailed, tune.StateFailed, tune.StateFailed, tune.StatePruned,
		tune.StateComplete, tune.StateFailed, tune.StateFailed, tune.StateFailed, tune.StatePruned,
	}, states(res.Trials), "the study goes on after failures")
	require.Equal(t, "diverged: loss is inf", res.Trials[1].Error)
	require.Equal(t, "panic: index out of range", res.Trials[2].Error)
	require.Equal(t, "the objective returned NaN", res.Trials[3].Error)
	require.NotNil(t, res.Best)
	require.Equal(t, 0, res.Best.Number)
	for _, tr := range res.Trials {
		require.Equal(t, 1, tr.Attempts)
		require.False(t, tr.FinishedAt.IsZero())
	}
}

// fakeClock is a clock that moves one minute each time it is read.
type fakeClock struct{ ticks atomic.Int64 }

func (c *fakeClock) Now() time.Time {
	return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c.ticks.Add(1)) * time.Minute)
}

func TestStudyTimeout(t *testing.T) {
	t.Parallel()
	var clock fakeClock
	st := newStudy(t, tune.Config{Timeout: 10 * time.Minute, Now: clock.Now})
	res, err := st.Optimize(t.Context(), func(context.Context, *tune.Trial) (float64, error) { return 1, nil })
	require.NoError(t, err)
	require.Equal(t, tune.StopTimeout, res.Stop)
	require.NotEmpty(t, res.Trials)
	require.Less(t, len(res.Trials), 10, "each trial reads the clock more than once")
	for _, tr := range res.Trials {
		require.Equal(t, tune.StateComplete, tr.State, "running trials finish after the timeout")
	}
}

func TestStudyPruning(t *testing.T) {
	t.Parallel()
	for _, p := range []tune.Pruner{tune.MedianPruner{StartupTrials: 3}, tune.SuccessiveHalvingPruner{MinResource: 1, ReductionFactor: 2}} {
		t.Run(fmt.Sprintf("%T", p), func(t *testing.T) {
			t.Parallel()
			st := newStudy(t, tune.Config{Trials: 30, Pruner: p})
			res, err := st.Optimize(t.Context(), func(_ context.Context, tr *tune.Trial) (float64, error) {
				x, err := tr.Params.Float("x")
				if err != nil {
					return 0, err
				}
				// A learning curve converging to x.
				v := 0.0
				for step := range 10 {
					v = x + float64(10-step)/10
					if err := tr.Report(step, v); err != nil {
						return 0, err
					}
					if tr.ShouldPrune() {
						return v, tune.ErrPruned
					}
				}
				return v, nil
			})
			require.NoError(t, err)
			pruned, complete := 0, 0
			for _, tr := range res.Trials {
				switch tr.State {
				case tune.StatePruned:
					pruned++
					require.Less(t, len(tr.Intermediate), 10)
					last, ok := tr.LastStep()
					require.True(t, ok)
					require.Equal(t, last.Value, tr.Value, "a pruned trial's value is its last intermediate value")
				case tune.StateComplete:
					complete++
					require.Len(t, tr.Intermediate, 10)
				default:
					t.Fatalf("trial %d is %s", tr.Number, tr.State)
				}
			}
			require.Positive(t, pruned)
			require.Positive(t, complete)
			require.Equal(t, 30, pruned+complete)
		})
	}
}

func TestTrialReport(t *testing.T) {
	t.Parallel()
	st := newStudy(t, tune.Config{Trials: 1})
	res, err := st.Optimize(t.Context(), func(_ context.Context, tr *tune.Trial) (float64, error) {
		require.NoError(t, tr.Report(3, 0.3))
		require.NoError(t, tr.Report(1, 0.1))
		require.NoError(t, tr.Report(3, 99), "a repeated step keeps its first value")
		require.ErrorContains(t, tr.Report(-1, 1), "step -1 must be >= 0")
		require.False(t, tr.ShouldPrune(), "no pruner")
		return 1, nil
	})
	require.NoError(t, err)
	require.Equal(t, []tune.StepValue{{Step: 1, Value: 0.1}, {Step: 3, Value: 0.3}}, res.Trials[0].Intermediate)
}

// TestStudyCancelAndResume stops a study while two trials run, checks that
// they are given back, and resumes it to the budget with another Study on
// the same storage.
func TestStudyCancelAndResume(t *testing.T) {
	t.Parallel()
	storage := tune.NewMemoryStorage()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	st := newStudy(t, tune.Config{Study: "churn", Storage: storage, Trials: 6, Parallel: 2})
	started := make(chan int)
	done := make(chan error)
	var res *tune.Result
	go func() {
		var err error
		res, err = st.Optimize(ctx, func(ctx context.Context, tr *tune.Trial) (float64, error) {
			if tr.Number < 2 {
				return float64(tr.Number), nil
			}
			started <- tr.Number
			<-ctx.Done()
			return 0, ctx.Err()
		})
		done <- err
	}()
	blocked := map[int]bool{<-started: true, <-started: true}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.Equal(t, tune.StopCanceled, res.Stop)
	require.Equal(t, map[int]bool{2: true, 3: true}, blocked)
	require.Equal(t, []tune.State{tune.StateComplete, tune.StateComplete, tune.StateWaiting, tune.StateWaiting}, states(res.Trials),
		"no new trial after the cancel; the interrupted ones wait for a re-run")

	again, err := tune.NewStudy(t.Context(), tune.Config{Study: "churn", Space: lineSpace, Sampler: tune.RandomSampler{Seed: 1}, Storage: storage, Trials: 6})
	require.NoError(t, err)
	require.True(t, again.Resumed())
	res, err = again.Optimize(t.Context(), func(_ context.Context, tr *tune.Trial) (float64, error) { return float64(tr.Number), nil })
	require.NoError(t, err)
	require.Equal(t, slicesRepeat(tune.StateComplete, 6), states(res.Trials))
	attempts := make([]int, 6)
	for i, tr := range res.Trials {
		attempts[i] = tr.Attempts
	}
	require.Equal(t, []int{1, 1, 2, 2, 1, 1}, attempts, "the interrupted trials ran again, with their params")
}

func slicesRepeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// recordingSampler records how many pending trials each Sample call saw.
type recordingSampler struct {
	tune.Sampler
	mu      sync.Mutex
	pending map[int]int
}

func (r *recordingSampler) Sample(space *tune.Space, dir tune.Direction, history []tune.TrialRecord, number int) (tune.Params, error) {
	n := 0
	for _, t := range history {
		if t.State == tune.StateRunning && t.Params != nil {
			n++
		}
	}
	r.mu.Lock()
	r.pending[number] = n
	r.mu.Unlock()
	return r.Sampler.Sample(space, dir, history, number)
}

// TestStudyParallel runs 4 workers: the budget holds exactly, every trial
// number is used once, and each worker's sampler sees the trials the others
// are running (what the constant liar needs).
func TestStudyParallel(t *testing.T) {
	t.Parallel()
	rec := &recordingSampler{Sampler: tune.TPESampler{Seed: 2, StartupTrials: 4}, pending: map[int]int{}}
	st := newStudy(t, tune.Config{Trials: 25, Parallel: 4, Sampler: rec})
	started := make(chan int, 4)
	release := make(chan struct{})
	var calls atomic.Int32
	done := make(chan struct{})
	var res *tune.Result
	go func() {
		defer close(done)
		var err error
		res, err = st.Optimize(t.Context(), func(_ context.Context, tr *tune.Trial) (float64, error) {
			calls.Add(1)
			if tr.Number < 4 {
				started <- tr.Number
				<-release
			}
			x, err := tr.Params.Float("x")
			return (x - 0.3) * (x - 0.3), err
		})
		require.NoError(t, err)
	}()
	for range 4 {
		<-started
	}
	close(release)
	<-done
	require.Equal(t, int32(25), calls.Load())
	require.Len(t, res.Trials, 25)
	for i, tr := range res.Trials {
		require.Equal(t, i, tr.Number)
		require.Equal(t, tune.StateComplete, tr.State)
	}
	require.Equal(t, map[int]int{0: 0, 1: 1, 2: 2, 3: 3}, map[int]int{0: rec.pending[0], 1: rec.pending[1], 2: rec.pending[2], 3: rec.pending[3]},
		"trial n was sampled while trials 0..n-1 were running")
}

// TestStudyLostTrial gives a running trial back to the queue behind its
// worker's back (as another worker does when heartbeats stop): the worker
// learns it from its next heartbeat, abandons the trial without recording
// anything, and the trial is run again.
func TestStudyLostTrial(t *testing.T) {
	t.Parallel()
	storage := tune.NewMemoryStorage()
	st := newStudy(t, tune.Config{Study: "s", Storage: storage, Trials: 2, HeartbeatInterval: time.Millisecond, StaleAfter: time.Hour})
	var first atomic.Bool
	res, err := st.Optimize(t.Context(), func(ctx context.Context, tr *tune.Trial) (float64, error) {
		if tr.Number == 0 && first.CompareAndSwap(false, true) {
			n, err := storage.RequeueStale(ctx, &tune.RequeueStaleParams{Study: "s", Before: time.Now().Add(2 * time.Hour)})
			require.NoError(t, err)
			require.Equal(t, 1, n)
			<-ctx.Done() // cancelled when the next heartbeat finds the trial gone
			require.Error(t, tr.Report(0, 1), "reports of a lost trial are refused")
			return 0, ctx.Err()
		}
		return 1, nil
	})
	require.NoError(t, err)
	require.Equal(t, []tune.State{tune.StateComplete, tune.StateComplete}, states(res.Trials))
	require.Equal(t, 2, res.Trials[0].Attempts)
}

func TestStudyEnqueue(t *testing.T) {
	t.Parallel()
	st := newStudy(t, tune.Config{Trials: 3})
	_, err := st.Enqueue(t.Context(), tune.Params{"x": "0.5"})
	require.NoError(t, err)
	_, err = st.Enqueue(t.Context(), tune.Params{"x": "2"})
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	res, err := st.Optimize(t.Context(), func(context.Context, *tune.Trial) (float64, error) { return 1, nil })
	require.NoError(t, err)
	require.Len(t, res.Trials, 3)
	require.Equal(t, tune.Params{"x": "0.5"}, res.Trials[0].Params, "the enqueued point runs first")

	full := newStudy(t, tune.Config{Trials: 1})
	_, err = full.Enqueue(t.Context(), tune.Params{"x": "0.1"})
	require.NoError(t, err)
	_, err = full.Enqueue(t.Context(), tune.Params{"x": "0.2"})
	require.ErrorIs(t, err, tune.ErrBudget)
}

func TestStudyOnTrial(t *testing.T) {
	t.Parallel()
	var seen []int
	st := newStudy(t, tune.Config{Trials: 5, Parallel: 3, OnTrial: func(tr tune.TrialRecord) { seen = append(seen, tr.Number) }})
	_, err := st.Optimize(t.Context(), func(context.Context, *tune.Trial) (float64, error) { return 1, nil })
	require.NoError(t, err)
	require.ElementsMatch(t, []int{0, 1, 2, 3, 4}, seen)
}

func TestNewStudyErrors(t *testing.T) {
	t.Parallel()
	storage := tune.NewMemoryStorage()
	_, err := tune.NewStudy(t.Context(), tune.Config{Study: "s", Space: lineSpace, Storage: storage, Direction: tune.Maximize, Attrs: map[string]string{"model": "gbdt"}})
	require.NoError(t, err)
	_, err = tune.NewStudy(t.Context(), tune.Config{Study: "s", Space: lineSpace, Storage: storage, Direction: tune.Minimize})
	require.Equal(t, mlw.ECONFLICT, mlw.ErrorCode(err))
	st, err := tune.NewStudy(t.Context(), tune.Config{Study: "s", Space: lineSpace, Storage: storage, Direction: tune.Maximize})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"model": "gbdt"}, st.Record().Attrs)

	for _, c := range []struct {
		cfg     tune.Config
		wantErr string
	}{
		{tune.Config{}, "no search space"},
		{tune.Config{Space: lineSpace, Direction: "up"}, `direction "up"`},
		{tune.Config{Space: lineSpace, Trials: -1}, "trials -1"},
		{tune.Config{Space: lineSpace, Timeout: -time.Second}, "timeout -1s"},
		{tune.Config{Space: lineSpace, HeartbeatInterval: time.Minute, StaleAfter: time.Second}, "must exceed the heartbeat interval"},
	} {
		_, err := tune.NewStudy(t.Context(), c.cfg)
		require.ErrorContains(t, err, c.wantErr)
		require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	}
}

// failingStorage fails CreateTrial from the given call on.
type failingStorage struct {
	*tune.MemoryStorage
	calls, failFrom int
}

func (f *failingStorage) CreateTrial(ctx context.Context, p *tune.CreateTrialParams) (*tune.TrialRecord, error) {
	f.calls++
	if f.calls >= f.failFrom {
		return nil, mlw.Errorf(mlw.EUNAVAILABLE, "database is down")
	}
	return f.MemoryStorage.CreateTrial(ctx, p)
}

func TestStudyStorageError(t *testing.T) {
	t.Parallel()
	st := newStudy(t, tune.Config{Storage: &failingStorage{MemoryStorage: tune.NewMemoryStorage(), failFrom: 3}, Trials: 10})
	res, err := st.Optimize(t.Context(), func(context.Context, *tune.Trial) (float64, error) { return 1, nil })
	require.ErrorContains(t, err, "create trial: database is down")
	require.Equal(t, tune.StopError, res.Stop)
	require.Len(t, res.Trials, 2)
}

func TestBestTrial(t *testing.T) {
	t.Parallel()
	trials := []tune.TrialRecord{
		{Number: 0, State: tune.StateComplete, Value: 2},
		{Number: 1, State: tune.StatePruned, Value: -5},
		{Number: 2, State: tune.StateComplete, Value: 1},
		{Number: 3, State: tune.StateComplete, Value: 1},
		{Number: 4, State: tune.StateComplete, Value: 3},
	}
	best, ok := tune.BestTrial(trials, tune.Minimize)
	require.True(t, ok)
	require.Equal(t, 2, best.Number, "the lowest number among equals; pruned trials never win")
	best, ok = tune.BestTrial(trials, tune.Maximize)
	require.True(t, ok)
	require.Equal(t, 4, best.Number)
	_, ok = tune.BestTrial(trials[1:2], tune.Minimize)
	require.False(t, ok)
}
