// Package tunetest is the conformance suite of tune.Storage: the tests and
// benchmarks every implementation (the in-memory one, and the SQL ones that
// make studies resumable and distributed) runs against itself.
//
// An implementation's test calls Exercise with a function that returns a
// fresh, empty storage for one test and releases it in t.Cleanup:
//
//	func TestStorage(t *testing.T) {
//		t.Parallel()
//		tunetest.Exercise(t.Context(), t, func(t *testing.T) tune.Storage {
//			return openTestDB(t)
//		})
//	}
//
// Timestamps given to the storage are UTC with microsecond precision, which
// SQL backends store exactly. Any change to the Storage contract extends
// this suite first.
package tunetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/tune"
)

// newStorageFunc returns a fresh, empty storage for one test.
type newStorageFunc func(t *testing.T) tune.Storage

// Exercise runs the conformance suite, each subtest in parallel on its own
// storage.
func Exercise(ctx context.Context, t *testing.T, newStorage func(t *testing.T) tune.Storage) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(ctx context.Context, t *testing.T, newStorage newStorageFunc)
	}{
		{"Studies", testStudies},
		{"UnknownStudy", testUnknownStudy},
		{"TrialLifecycle", testTrialLifecycle},
		{"Ownership", testOwnership},
		{"Budget", testBudget},
		{"BudgetConcurrent", testBudgetConcurrent},
		{"Claim", testClaim},
		{"ClaimConcurrent", testClaimConcurrent},
		{"RequeueStale", testRequeueStale},
		{"GiveBack", testGiveBack},
		{"RequeueDeadLocalWorker", testRequeueDeadLocalWorker},
		{"ListStates", testListStates},
		{"Copies", testCopies},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(ctx, t, newStorage)
		})
	}
}

// at returns a fixed time i seconds after a base, UTC, microsecond precision.
func at(i int) time.Time {
	return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
}

func requireCode(t *testing.T, code string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, mlw.ErrorCode(err), "error %v", err)
}

// newStudy creates study "s" (minimize) in a fresh storage.
func newStudy(ctx context.Context, t *testing.T, newStorage newStorageFunc) tune.Storage {
	t.Helper()
	s := newStorage(t)
	_, created, err := s.CreateStudy(ctx, &tune.CreateStudyParams{Name: "s", Direction: tune.Minimize, At: at(0)})
	require.NoError(t, err)
	require.True(t, created)
	return s
}

func running(ctx context.Context, t *testing.T, s tune.Storage, worker string, params tune.Params) *tune.TrialRecord {
	t.Helper()
	tr, err := s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateRunning, Worker: worker, Params: params, At: at(1)})
	require.NoError(t, err)
	return tr
}

func testStudies(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStorage(t)
	attrs := map[string]string{"model": "gbdt", "metric": "roc_auc"}
	rec, created, err := s.CreateStudy(ctx, &tune.CreateStudyParams{Name: "churn-gbdt", Direction: tune.Maximize, Attrs: attrs, At: at(0)})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, tune.StudyRecord{Name: "churn-gbdt", Direction: tune.Maximize, Attrs: attrs, CreatedAt: at(0)}, *rec)

	again, created, err := s.CreateStudy(ctx, &tune.CreateStudyParams{Name: "churn-gbdt", Direction: tune.Maximize, Attrs: map[string]string{"x": "y"}, At: at(5)})
	require.NoError(t, err)
	require.False(t, created, "an existing study is returned, not created")
	require.Equal(t, rec, again, "attrs and creation time are those of the first call")

	_, _, err = s.CreateStudy(ctx, &tune.CreateStudyParams{Name: "churn-gbdt", Direction: tune.Minimize, At: at(6)})
	requireCode(t, mlw.ECONFLICT, err)

	got, err := s.GetStudy(ctx, "churn-gbdt")
	require.NoError(t, err)
	require.Equal(t, rec, got)
	_, err = s.GetStudy(ctx, "nope")
	requireCode(t, mlw.ENOTFOUND, err)
}

func testUnknownStudy(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStorage(t)
	_, err := s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "nope", State: tune.StateRunning, Worker: "w", Params: tune.Params{}, At: at(0)})
	requireCode(t, mlw.ENOTFOUND, err)
	_, err = s.ClaimTrial(ctx, &tune.ClaimTrialParams{Study: "nope", Worker: "w", At: at(0)})
	requireCode(t, mlw.ENOTFOUND, err)
	_, err = s.ListTrials(ctx, &tune.ListTrialsParams{Study: "nope"})
	requireCode(t, mlw.ENOTFOUND, err)
	_, err = s.RequeueStale(ctx, &tune.RequeueStaleParams{Study: "nope", Before: at(0)})
	requireCode(t, mlw.ENOTFOUND, err)
	s2 := newStudy(ctx, t, newStorage)
	err = s2.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: 7, Worker: "w", Step: 0, Value: 1})
	requireCode(t, mlw.ENOTFOUND, err)
	_, err = s2.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: 7, Worker: "w", State: tune.StateComplete, At: at(0)})
	requireCode(t, mlw.ENOTFOUND, err)
}

func testTrialLifecycle(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	params := tune.Params{"hidden_layer_sizes": "64,32", "learning_rate": "0.0123457", "note": "héllo \"quoted\""}
	t0 := running(ctx, t, s, "w1", params)
	require.Equal(t, tune.TrialRecord{
		Study: "s", Number: 0, State: tune.StateRunning, Params: params, Worker: "w1", Attempts: 1,
		CreatedAt: at(1), StartedAt: at(1), HeartbeatAt: at(1),
	}, *t0)
	t1 := running(ctx, t, s, "w2", tune.Params{})
	require.Equal(t, 1, t1.Number, "numbers are dense, in creation order")

	// Steps stored ordered by step; a repeated step keeps its first value.
	for _, sv := range []tune.StepValue{{Step: 2, Value: 0.5}, {Step: 0, Value: 0.9}, {Step: 1, Value: 0.7}, {Step: 2, Value: 99}} {
		require.NoError(t, s.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: 0, Worker: "w1", Step: sv.Step, Value: sv.Value}))
	}
	require.NoError(t, s.Heartbeat(ctx, &tune.HeartbeatParams{Study: "s", Number: 0, Worker: "w1", At: at(7)}))
	done, err := s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: 0, Worker: "w1", State: tune.StateComplete, Value: 0.25, At: at(9)})
	require.NoError(t, err)
	require.Equal(t, tune.TrialRecord{
		Study: "s", Number: 0, State: tune.StateComplete, Params: params, Value: 0.25,
		Intermediate: []tune.StepValue{{Step: 0, Value: 0.9}, {Step: 1, Value: 0.7}, {Step: 2, Value: 0.5}},
		Worker:       "w1", Attempts: 1, CreatedAt: at(1), StartedAt: at(1), HeartbeatAt: at(7), FinishedAt: at(9),
	}, *done)

	// Pruned: the value is the last intermediate value.
	require.NoError(t, s.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: 1, Worker: "w2", Step: 0, Value: 3}))
	require.NoError(t, s.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: 1, Worker: "w2", Step: 4, Value: 2.5}))
	pruned, err := s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: 1, Worker: "w2", State: tune.StatePruned, At: at(10)})
	require.NoError(t, err)
	require.Equal(t, tune.StatePruned, pruned.State)
	require.Equal(t, 2.5, pruned.Value)

	// Failed: the error is kept.
	t2 := running(ctx, t, s, "w1", tune.Params{"a": "1"})
	failed, err := s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: t2.Number, Worker: "w1", State: tune.StateFailed, Error: "panic: boom", At: at(11)})
	require.NoError(t, err)
	require.Equal(t, tune.StateFailed, failed.State)
	require.Equal(t, "panic: boom", failed.Error)

	// Infinite values round-trip.
	t3 := running(ctx, t, s, "w1", tune.Params{"a": "2"})
	inf, err := s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: t3.Number, Worker: "w1", State: tune.StateComplete, Value: math.Inf(1), At: at(12)})
	require.NoError(t, err)
	require.True(t, math.IsInf(inf.Value, 1))

	// A bad final state changes nothing.
	t4 := running(ctx, t, s, "w1", tune.Params{"a": "3"})
	_, err = s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: t4.Number, Worker: "w1", State: tune.StateRunning, At: at(13)})
	requireCode(t, mlw.EINVALID, err)

	all, err := s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s"})
	require.NoError(t, err)
	require.Len(t, all, 5)
	require.Equal(t, *done, all[0])
	require.Equal(t, *pruned, all[1])
	require.Equal(t, tune.StateRunning, all[4].State)
}

func testOwnership(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	tr := running(ctx, t, s, "w1", tune.Params{"x": "1"})
	n := tr.Number
	requireCode(t, mlw.ECONFLICT, s.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: n, Worker: "w2", Step: 0, Value: 1}))
	requireCode(t, mlw.ECONFLICT, s.Heartbeat(ctx, &tune.HeartbeatParams{Study: "s", Number: n, Worker: "w2", At: at(2)}))
	_, err := s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: n, Worker: "w2", State: tune.StateComplete, At: at(2)})
	requireCode(t, mlw.ECONFLICT, err)

	_, err = s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: n, Worker: "w1", State: tune.StateComplete, Value: 1, At: at(3)})
	require.NoError(t, err)
	// A finished trial takes nothing more, even from its worker.
	requireCode(t, mlw.ECONFLICT, s.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: n, Worker: "w1", Step: 1, Value: 1}))
	requireCode(t, mlw.ECONFLICT, s.Heartbeat(ctx, &tune.HeartbeatParams{Study: "s", Number: n, Worker: "w1", At: at(4)}))
	_, err = s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: n, Worker: "w1", State: tune.StateFailed, At: at(4)})
	requireCode(t, mlw.ECONFLICT, err)
	all, err := s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s"})
	require.NoError(t, err)
	require.Equal(t, tune.StateComplete, all[0].State)
	require.Empty(t, all[0].Intermediate)
}

func testBudget(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	for i := range 3 {
		tr, err := s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateWaiting, Params: tune.Params{"i": fmt.Sprint(i)}, MaxTrials: 3, At: at(i)})
		require.NoError(t, err)
		require.Equal(t, i, tr.Number)
		require.Equal(t, tune.StateWaiting, tr.State)
		require.Zero(t, tr.Attempts)
		require.Empty(t, tr.Worker)
	}
	_, err := s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateRunning, Worker: "w", Params: tune.Params{}, MaxTrials: 3, At: at(4)})
	require.ErrorIs(t, err, tune.ErrBudget)
	// Without a cap, or with a larger one, more can be added.
	_, err = s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateRunning, Worker: "w", Params: tune.Params{}, MaxTrials: 4, At: at(4)})
	require.NoError(t, err)
	_, err = s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateRunning, Worker: "w", Params: tune.Params{}, At: at(5)})
	require.NoError(t, err)
	all, err := s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s"})
	require.NoError(t, err)
	require.Len(t, all, 5)
}

func testBudgetConcurrent(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	const workers, budget = 8, 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		numbers = map[int]bool{}
	)
	for w := range workers {
		wg.Go(func() {
			for {
				tr, err := s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateRunning, Worker: fmt.Sprintf("w%d", w), Params: tune.Params{}, MaxTrials: budget, At: at(0)})
				if errors.Is(err, tune.ErrBudget) {
					return
				}
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				mu.Lock()
				if numbers[tr.Number] {
					t.Errorf("trial number %d given twice", tr.Number)
				}
				numbers[tr.Number] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, numbers, budget)
	for i := range budget {
		require.True(t, numbers[i], "number %d", i)
	}
}

func testClaim(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	none, err := s.ClaimTrial(ctx, &tune.ClaimTrialParams{Study: "s", Worker: "w1", At: at(0)})
	require.NoError(t, err)
	require.Nil(t, none)
	running(ctx, t, s, "w0", tune.Params{"x": "0"})
	for i := 1; i <= 2; i++ {
		_, err := s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateWaiting, Params: tune.Params{"x": fmt.Sprint(i)}, At: at(i)})
		require.NoError(t, err)
	}
	c1, err := s.ClaimTrial(ctx, &tune.ClaimTrialParams{Study: "s", Worker: "w1", At: at(5)})
	require.NoError(t, err)
	require.Equal(t, tune.TrialRecord{
		Study: "s", Number: 1, State: tune.StateRunning, Params: tune.Params{"x": "1"}, Worker: "w1", Attempts: 1,
		CreatedAt: at(1), StartedAt: at(5), HeartbeatAt: at(5),
	}, *c1, "the lowest-numbered waiting trial")
	c2, err := s.ClaimTrial(ctx, &tune.ClaimTrialParams{Study: "s", Worker: "w2", At: at(6)})
	require.NoError(t, err)
	require.Equal(t, 2, c2.Number)
	none, err = s.ClaimTrial(ctx, &tune.ClaimTrialParams{Study: "s", Worker: "w3", At: at(7)})
	require.NoError(t, err)
	require.Nil(t, none)
}

func testClaimConcurrent(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	const waiting = 30
	for i := range waiting {
		_, err := s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateWaiting, Params: tune.Params{"i": fmt.Sprint(i)}, At: at(i)})
		require.NoError(t, err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed = map[int]string{}
	)
	for w := range 6 {
		wg.Go(func() {
			worker := fmt.Sprintf("w%d", w)
			for {
				tr, err := s.ClaimTrial(ctx, &tune.ClaimTrialParams{Study: "s", Worker: worker, At: at(100)})
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if tr == nil {
					return
				}
				mu.Lock()
				if prev, dup := claimed[tr.Number]; dup {
					t.Errorf("trial %d claimed by %s and %s", tr.Number, prev, worker)
				}
				claimed[tr.Number] = worker
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, claimed, waiting)
}

func testRequeueStale(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	dead := running(ctx, t, s, "dead", tune.Params{"x": "1"}) // heartbeat at(1)
	alive := running(ctx, t, s, "alive", tune.Params{"x": "2"})
	require.NoError(t, s.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: dead.Number, Worker: "dead", Step: 0, Value: 1}))
	require.NoError(t, s.Heartbeat(ctx, &tune.HeartbeatParams{Study: "s", Number: alive.Number, Worker: "alive", At: at(50)}))

	n, err := s.RequeueStale(ctx, &tune.RequeueStaleParams{Study: "s", Before: at(30)})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	all, err := s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s"})
	require.NoError(t, err)
	require.Equal(t, tune.StateWaiting, all[0].State)
	require.Equal(t, tune.Params{"x": "1"}, all[0].Params, "params are kept for the re-run")
	require.Empty(t, all[0].Intermediate, "the abandoned attempt's values are dropped")
	require.Empty(t, all[0].Worker)
	require.Equal(t, tune.StateRunning, all[1].State)

	// The old worker, if it was only slow, has lost the trial.
	requireCode(t, mlw.ECONFLICT, s.Heartbeat(ctx, &tune.HeartbeatParams{Study: "s", Number: dead.Number, Worker: "dead", At: at(31)}))
	_, err = s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: dead.Number, Worker: "dead", State: tune.StateComplete, Value: 1, At: at(31)})
	requireCode(t, mlw.ECONFLICT, err)

	again, err := s.ClaimTrial(ctx, &tune.ClaimTrialParams{Study: "s", Worker: "new", At: at(32)})
	require.NoError(t, err)
	require.Equal(t, dead.Number, again.Number)
	require.Equal(t, 2, again.Attempts)
	require.Equal(t, "new", again.Worker)

	n, err = s.RequeueStale(ctx, &tune.RequeueStaleParams{Study: "s", Before: at(30)})
	require.NoError(t, err)
	require.Zero(t, n, "the re-claimed trial's heartbeat is fresh")
}

func testGiveBack(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	tr := running(ctx, t, s, "w1", tune.Params{"x": "1"})
	require.NoError(t, s.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: tr.Number, Worker: "w1", Step: 0, Value: 1}))
	back, err := s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: tr.Number, Worker: "w1", State: tune.StateWaiting, At: at(3)})
	require.NoError(t, err)
	require.Equal(t, tune.StateWaiting, back.State)
	require.Empty(t, back.Intermediate)
	require.Empty(t, back.Worker)
	require.True(t, back.FinishedAt.IsZero())
	c, err := s.ClaimTrial(ctx, &tune.ClaimTrialParams{Study: "s", Worker: "w2", At: at(4)})
	require.NoError(t, err)
	require.Equal(t, tr.Number, c.Number)
	require.Equal(t, 2, c.Attempts)
}

// testRequeueDeadLocalWorker resumes a study whose trial was left running
// by a killed process of this host (a process id that cannot exist): the
// trial is given back and re-run at once, while its heartbeat is fresh,
// and the trials of another host and of a live process are left running.
func testRequeueDeadLocalWorker(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	host, err := os.Hostname()
	if err != nil {
		t.Skipf("no host name: %v", err)
	}
	const deadPID = math.MaxInt32 // above every kernel's pid_max
	dead := running(ctx, t, s, fmt.Sprintf("%s-%d", host, deadPID), tune.Params{"x": "0.25"})
	other := running(ctx, t, s, fmt.Sprintf("other-%s-%d", host, deadPID), tune.Params{"x": "0.5"})
	live := running(ctx, t, s, fmt.Sprintf("%s-%d", host, os.Getppid()), tune.Params{"x": "0.75"})

	st, err := tune.NewStudy(ctx, tune.Config{
		Study: "s", Storage: s, Space: tune.MustSpace(tune.FloatParam("x", 0, 1)), Sampler: tune.RandomSampler{Seed: 1},
		Trials: 4, Now: func() time.Time { return at(10) }, // heartbeats at(1) are fresh
	})
	require.NoError(t, err)
	require.True(t, st.Resumed())
	var ran []int
	res, err := st.Optimize(ctx, func(_ context.Context, tr *tune.Trial) (float64, error) {
		ran = append(ran, tr.Number)
		return tr.Params.Float("x")
	})
	require.NoError(t, err)
	require.Equal(t, tune.StopBudget, res.Stop)
	require.Equal(t, []int{dead.Number, 3}, ran, "the dead worker's trial is re-run first, then a new one")
	all, err := s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s"})
	require.NoError(t, err)
	require.Equal(t, tune.StateComplete, all[dead.Number].State)
	require.Equal(t, 2, all[dead.Number].Attempts)
	require.Equal(t, 0.25, all[dead.Number].Value)
	require.Equal(t, tune.StateRunning, all[other.Number].State, "another host's trial waits for its heartbeat to go stale")
	require.Equal(t, tune.StateRunning, all[live.Number].State, "a live process keeps its trial")
	require.Equal(t, 1, all[live.Number].Attempts)
}

func testListStates(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	states := []tune.State{tune.StateComplete, tune.StateRunning, tune.StatePruned, tune.StateFailed, tune.StateComplete}
	for i, st := range states {
		tr := running(ctx, t, s, "w", tune.Params{"i": fmt.Sprint(i)})
		if st != tune.StateRunning {
			_, err := s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: tr.Number, Worker: "w", State: st, Value: float64(i), At: at(2)})
			require.NoError(t, err)
		}
	}
	_, err := s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateWaiting, Params: tune.Params{"i": "5"}, At: at(3)})
	require.NoError(t, err)
	got, err := s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s", States: []tune.State{tune.StateComplete, tune.StatePruned}})
	require.NoError(t, err)
	var numbers []int
	for _, tr := range got {
		numbers = append(numbers, tr.Number)
	}
	require.Equal(t, []int{0, 2, 4}, numbers)
	got, err = s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s", States: []tune.State{tune.StateWaiting}})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, 5, got[0].Number)
}

func testCopies(ctx context.Context, t *testing.T, newStorage newStorageFunc) {
	s := newStudy(ctx, t, newStorage)
	params := tune.Params{"x": "1"}
	tr := running(ctx, t, s, "w", params)
	params["x"] = "changed by the caller"
	tr.Params["x"] = "changed too"
	require.NoError(t, s.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: 0, Worker: "w", Step: 0, Value: 1}))
	all, err := s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s"})
	require.NoError(t, err)
	all[0].Params["x"] = "changed"
	all[0].Intermediate[0].Value = 42
	again, err := s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s"})
	require.NoError(t, err)
	require.Equal(t, tune.Params{"x": "1"}, again[0].Params)
	require.Equal(t, []tune.StepValue{{Step: 0, Value: 1}}, again[0].Intermediate)
}

// Benchmark measures the storage work of one trial as a study does it:
// list the history and create the trial (sampling), report 5 intermediate
// values, read the history once for the pruner, one heartbeat, finish — on
// a study that already holds 40 finished trials. Issue 5 asks for under
// 20 ms per trial on PostgreSQL.
func Benchmark(ctx context.Context, b *testing.B, newStorage func(b *testing.B) tune.Storage) {
	b.Run("TrialOverhead/history=40", func(b *testing.B) {
		s := newStorage(b)
		_, _, err := s.CreateStudy(ctx, &tune.CreateStudyParams{Name: "s", Direction: tune.Minimize, At: at(0)})
		require.NoError(b, err)
		trial := func(i int) {
			_, err := s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s"})
			require.NoError(b, err)
			tr, err := s.CreateTrial(ctx, &tune.CreateTrialParams{Study: "s", State: tune.StateRunning, Worker: "w",
				Params: tune.Params{"learning_rate": "0.05", "max_leaf_nodes": "31", "subsample": "0.8"}, At: at(i)})
			require.NoError(b, err)
			for step := range 5 {
				require.NoError(b, s.ReportValue(ctx, &tune.ReportValueParams{Study: "s", Number: tr.Number, Worker: "w", Step: step, Value: 1 / float64(step+1)}))
			}
			_, err = s.ListTrials(ctx, &tune.ListTrialsParams{Study: "s", States: []tune.State{tune.StateComplete}})
			require.NoError(b, err)
			require.NoError(b, s.Heartbeat(ctx, &tune.HeartbeatParams{Study: "s", Number: tr.Number, Worker: "w", At: at(i)}))
			_, err = s.FinishTrial(ctx, &tune.FinishTrialParams{Study: "s", Number: tr.Number, Worker: "w", State: tune.StateComplete, Value: 0.2, At: at(i)})
			require.NoError(b, err)
		}
		for i := range 40 {
			trial(i)
		}
		b.ReportAllocs()
		i := 40
		for b.Loop() {
			trial(i)
			i++
		}
	})
}
