package tune

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mlw.dev/internal/mlw"
)

// Log attribute keys.
const (
	LogKeyStudy  = "study"
	LogKeyTrial  = "trial"
	LogKeyWorker = "worker"
)

// Defaults of Config.
const (
	DefaultStudyName         = "study"
	DefaultHeartbeatInterval = 10 * time.Second
	// DefaultStaleAfter is how long a running trial may go without a
	// heartbeat before another worker gives it back to the queue.
	DefaultStaleAfter = 3 * DefaultHeartbeatInterval
	// finishTimeout bounds the storage call that records a trial's end after
	// the study's context was cancelled.
	finishTimeout = 30 * time.Second
)

// ErrPruned is what an objective returns (wrapped or not) to stop a trial
// that Trial.ShouldPrune said to stop; the trial is recorded as pruned.
var ErrPruned = errors.New("trial pruned")

// Objective evaluates one trial: it reads t.Params, may report intermediate
// values with t.Report and stop early when t.ShouldPrune says so (returning
// ErrPruned), and returns the value to optimise. An error (or a panic)
// records the trial as failed with the error's message and the study goes
// on. ctx is cancelled when the study is stopped; a trial that then returns
// an error is given back to the queue and re-run by the next worker.
type Objective func(ctx context.Context, t *Trial) (float64, error)

// Config configures a study. Zero values mean the defaults noted.
type Config struct {
	// Study names the study in the storage; "study" by default. A study of
	// that name that exists is resumed: its finished trials count towards
	// Trials and its history guides the sampler.
	Study     string
	Direction Direction // Minimize by default
	Space     *Space    // required
	// Sampler proposes params; nil means TPESampler{Seed: Seed}.
	Sampler Sampler
	// Seed seeds the default sampler.
	Seed uint64
	// Pruner decides Trial.ShouldPrune; nil never prunes.
	Pruner Pruner
	// IterationInterval: Trial.ReportIteration reports every
	// IterationInterval-th iteration; 0 means 10. Each report costs a write
	// and a read of the study's trials in the storage.
	IterationInterval int
	// Storage keeps the study; nil means a new MemoryStorage.
	Storage Storage
	// Trials caps the study's number of trials (all workers, all runs, any
	// state); 0 means no cap: the study runs until Timeout, ctx or a
	// finished grid stops it.
	Trials int
	// Timeout stops claiming new trials that long after Optimize starts;
	// running trials are finished. 0 means none.
	Timeout time.Duration
	// Parallel is the number of trials run at once in this process; 0 means 1.
	Parallel int
	// Worker names this process in the storage; host name and process id
	// ("HOST-PID") by default. With the default, a trial left running by a
	// process of this host that no longer exists (killed, crashed) is
	// given back to the queue as soon as Optimize starts, without waiting
	// StaleAfter.
	Worker string
	// HeartbeatInterval is how often a running trial's heartbeat is stored;
	// 0 means 10 s.
	HeartbeatInterval time.Duration
	// StaleAfter is how long without a heartbeat before a running trial is
	// given back to the queue; 0 means 30 s. It must exceed HeartbeatInterval.
	StaleAfter time.Duration
	// Attrs are stored with a new study.
	Attrs map[string]string
	// OnTrial, when set, is called after every trial this process finishes
	// (for a progress line), never concurrently.
	OnTrial func(TrialRecord)
	// Now returns the time; time.Now by default.
	Now func() time.Time
	// Logger receives debug and error logs; nil discards them.
	Logger *slog.Logger
}

// WithDefaults returns c with the zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.Study = cmp.Or(c.Study, DefaultStudyName)
	c.Direction = cmp.Or(c.Direction, Minimize)
	if c.Sampler == nil {
		c.Sampler = TPESampler{Seed: c.Seed}
	}
	if c.Storage == nil {
		c.Storage = NewMemoryStorage()
	}
	c.Parallel = max(c.Parallel, 1)
	c.IterationInterval = cmp.Or(c.IterationInterval, DefaultIterationInterval)
	if c.Worker == "" {
		host, _ := os.Hostname()
		c.Worker = localWorker(host, os.Getpid())
	}
	c.HeartbeatInterval = cmp.Or(c.HeartbeatInterval, DefaultHeartbeatInterval)
	c.StaleAfter = cmp.Or(c.StaleAfter, max(DefaultStaleAfter, 3*c.HeartbeatInterval))
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate checks a config that went through WithDefaults.
func (c Config) Validate() error {
	switch {
	case c.Space == nil:
		return mlw.Errorf(mlw.EINVALID, "study %s: no search space", c.Study)
	case c.Direction != Minimize && c.Direction != Maximize:
		return mlw.Errorf(mlw.EINVALID, "study %s: direction %q (want minimize or maximize)", c.Study, c.Direction)
	case c.Trials < 0:
		return mlw.Errorf(mlw.EINVALID, "study %s: trials %d must be >= 0", c.Study, c.Trials)
	case c.IterationInterval < 0:
		return mlw.Errorf(mlw.EINVALID, "study %s: iteration interval %d must be at least 1 (0 for 10)", c.Study, c.IterationInterval)
	case c.Timeout < 0:
		return mlw.Errorf(mlw.EINVALID, "study %s: timeout %s must be >= 0", c.Study, c.Timeout)
	case c.StaleAfter <= c.HeartbeatInterval:
		return mlw.Errorf(mlw.EINVALID, "study %s: stale-after %s must exceed the heartbeat interval %s", c.Study, c.StaleAfter, c.HeartbeatInterval)
	}
	return nil
}

// Study runs trials of one study: it samples params, runs the objective on
// a bounded pool of workers, and records every trial in the storage.
type Study struct {
	cfg     Config
	rec     *StudyRecord
	created bool
	log     *slog.Logger

	sampleMu   sync.Mutex // serialises claim-or-sample within the process
	progressMu sync.Mutex // serialises OnTrial
}

// NewStudy creates the study in cfg.Storage, or loads it if it exists (a
// resumed study). It returns an ECONFLICT error when the stored study has
// another direction.
func NewStudy(ctx context.Context, cfg Config) (*Study, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rec, created, err := cfg.Storage.CreateStudy(ctx, &CreateStudyParams{
		Name: cfg.Study, Direction: cfg.Direction, Attrs: cfg.Attrs, At: cfg.Now(),
	})
	if err != nil {
		return nil, fmt.Errorf("open study %s: %w", cfg.Study, err)
	}
	return &Study{
		cfg: cfg, rec: rec, created: created,
		log: cfg.Logger.With("subsystem", "tune", LogKeyStudy, cfg.Study, LogKeyWorker, cfg.Worker),
	}, nil
}

// Record returns the stored study.
func (s *Study) Record() StudyRecord { return *cloneStudy(s.rec) }

// Resumed reports whether the study existed before NewStudy.
func (s *Study) Resumed() bool { return !s.created }

// Trials returns the study's trials ordered by number.
func (s *Study) Trials(ctx context.Context) ([]TrialRecord, error) {
	return s.cfg.Storage.ListTrials(ctx, &ListTrialsParams{Study: s.cfg.Study})
}

// Enqueue adds a waiting trial with the given params (for example the
// estimator's defaults, so that the study is sure to try them); the next
// free worker runs it before sampling new points. It counts towards Trials
// (ErrBudget when the budget is used up) and returns an EINVALID error when
// params are not a point of the space.
func (s *Study) Enqueue(ctx context.Context, params Params) (*TrialRecord, error) {
	if err := s.cfg.Space.Check(params); err != nil {
		return nil, err
	}
	return s.cfg.Storage.CreateTrial(ctx, &CreateTrialParams{
		Study: s.cfg.Study, State: StateWaiting, Params: params, MaxTrials: s.cfg.Trials, At: s.cfg.Now(),
	})
}

// StopReason says why Optimize returned.
type StopReason string

// Stop reasons.
const (
	StopBudget    StopReason = "budget"    // the study holds Trials trials
	StopTimeout   StopReason = "timeout"   // Timeout elapsed
	StopExhausted StopReason = "exhausted" // the sampler has nothing left to try
	StopCanceled  StopReason = "canceled"  // ctx was cancelled
	StopError     StopReason = "error"     // a storage or sampler error
)

// Result is the outcome of Optimize.
type Result struct {
	Study     string
	Direction Direction
	// Best is the best complete trial, nil if none is complete.
	Best *TrialRecord
	// Trials are all the study's trials (every worker's), by number.
	Trials []TrialRecord
	Stop   StopReason
}

// Optimize runs trials until the budget is used up, Timeout elapses, the
// sampler is exhausted or ctx is cancelled, with up to Parallel trials at
// once, and returns the study's trials. Objective errors and panics fail
// their trial only. When ctx is cancelled, no new trial starts, running
// trials see their ctx cancelled (those that then fail are given back to
// the queue for a later run), and Optimize returns the result so far with
// ctx's error. A storage or sampler error stops the study the same way and
// is returned.
func (s *Study) Optimize(ctx context.Context, objective Objective) (*Result, error) {
	var deadline time.Time
	if s.cfg.Timeout > 0 {
		deadline = s.cfg.Now().Add(s.cfg.Timeout)
	}
	if n, err := s.requeueDeadLocal(ctx); err != nil {
		// RequeueStale gives the trials back later.
		s.log.DebugContext(ctx, "trials of dead local workers not given back", "err", err)
	} else if n > 0 {
		s.log.InfoContext(ctx, "gave back trials of local workers that no longer run", "count", n)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		reason   StopReason
	)
	stop := func(r StopReason, err error) {
		mu.Lock()
		defer mu.Unlock()
		if reason == "" || err != nil && firstErr == nil {
			reason = r
		}
		if err != nil && firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	var wg sync.WaitGroup
	for range s.cfg.Parallel {
		wg.Go(func() {
			for runCtx.Err() == nil {
				if !deadline.IsZero() && !s.cfg.Now().Before(deadline) {
					stop(StopTimeout, nil)
					return
				}
				t, err := s.next(runCtx)
				switch {
				case errors.Is(err, ErrBudget):
					stop(StopBudget, nil)
					return
				case errors.Is(err, ErrExhausted):
					stop(StopExhausted, nil)
					return
				case err != nil:
					if runCtx.Err() == nil {
						stop(StopError, err)
					}
					return
				}
				if err := s.run(runCtx, t, objective); err != nil {
					stop(StopError, err)
					return
				}
			}
		})
	}
	wg.Wait()
	res := &Result{Study: s.cfg.Study, Direction: s.cfg.Direction, Stop: reason}
	trials, err := s.Trials(context.WithoutCancel(ctx))
	if err != nil {
		return res, cmp.Or(firstErr, err)
	}
	res.Trials = trials
	if best, ok := BestTrial(trials, s.cfg.Direction); ok {
		res.Best = &best
	}
	if firstErr != nil {
		return res, firstErr
	}
	if err := ctx.Err(); err != nil {
		res.Stop = StopCanceled
		return res, err
	}
	return res, nil
}

// next returns a running trial for this worker: a waiting one if any
// (enqueued, or given back by a dead worker), otherwise a new one with
// freshly sampled params. Sampling is serialised within the process so that
// every worker's sampler sees the others' running trials (constant liar).
func (s *Study) next(ctx context.Context) (*TrialRecord, error) {
	s.sampleMu.Lock()
	defer s.sampleMu.Unlock()
	now := s.cfg.Now()
	n, err := s.cfg.Storage.RequeueStale(ctx, &RequeueStaleParams{Study: s.cfg.Study, Before: now.Add(-s.cfg.StaleAfter)})
	if err != nil {
		return nil, fmt.Errorf("requeue stale trials: %w", err)
	}
	if n > 0 {
		s.log.InfoContext(ctx, "gave back trials of workers that stopped sending heartbeats", "count", n)
	}
	t, err := s.cfg.Storage.ClaimTrial(ctx, &ClaimTrialParams{Study: s.cfg.Study, Worker: s.cfg.Worker, At: now})
	if err != nil {
		return nil, fmt.Errorf("claim a trial: %w", err)
	}
	if t != nil {
		return t, nil
	}
	history, err := s.Trials(ctx)
	if err != nil {
		return nil, fmt.Errorf("list trials: %w", err)
	}
	if s.cfg.Trials > 0 && len(history) >= s.cfg.Trials {
		return nil, ErrBudget
	}
	params, err := s.cfg.Sampler.Sample(s.cfg.Space, s.cfg.Direction, history, len(history))
	if err != nil {
		return nil, fmt.Errorf("sample trial %d: %w", len(history), err)
	}
	t, err = s.cfg.Storage.CreateTrial(ctx, &CreateTrialParams{
		Study: s.cfg.Study, State: StateRunning, Worker: s.cfg.Worker, Params: params, MaxTrials: s.cfg.Trials, At: now,
	})
	if err != nil {
		return nil, fmt.Errorf("create trial: %w", err)
	}
	return t, nil
}

// errLost cancels a trial whose storage record was given to another worker.
var errLost = errors.New("trial lost: its heartbeat was missed and it was given back to the queue")

// run runs one trial and records how it ended. It returns only storage errors.
func (s *Study) run(ctx context.Context, rec *TrialRecord, objective Objective) error {
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	t := &Trial{Number: rec.Number, Params: rec.Params.Clone(), study: s, ctx: tctx, rec: rec.Clone()}
	log := s.log.With(LogKeyTrial, rec.Number)

	hbDone := make(chan struct{})
	var hbWG sync.WaitGroup
	hbWG.Go(func() {
		tick := time.NewTicker(s.cfg.HeartbeatInterval)
		defer tick.Stop()
		for {
			select {
			case <-hbDone:
				return
			case <-tctx.Done():
				return
			case <-tick.C:
				err := s.cfg.Storage.Heartbeat(tctx, &HeartbeatParams{Study: s.cfg.Study, Number: rec.Number, Worker: s.cfg.Worker, At: s.cfg.Now()})
				if mlw.ErrorCode(err) == mlw.ECONFLICT {
					t.lost.Store(true)
					cancel(errLost)
					return
				}
				if err != nil && tctx.Err() == nil {
					log.WarnContext(ctx, "heartbeat not stored", "err", err)
				}
			}
		}
	})
	value, err := s.call(tctx, objective, t, log)
	close(hbDone)
	hbWG.Wait()
	if t.lost.Load() {
		log.WarnContext(ctx, "trial abandoned", "err", errLost)
		return nil
	}
	p := &FinishTrialParams{Study: s.cfg.Study, Number: rec.Number, Worker: s.cfg.Worker}
	switch {
	case err == nil && math.IsNaN(value):
		p.State, p.Error = StateFailed, "the objective returned NaN"
	case err == nil:
		p.State, p.Value = StateComplete, value
	case errors.Is(err, ErrPruned):
		p.State = StatePruned
	case ctx.Err() != nil:
		p.State = StateWaiting // stopped by the study, not by its own fault: run it again later
	default:
		p.State, p.Error = StateFailed, err.Error()
	}
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer fcancel()
	p.At = s.cfg.Now()
	done, ferr := s.cfg.Storage.FinishTrial(fctx, p)
	if mlw.ErrorCode(ferr) == mlw.ECONFLICT {
		log.WarnContext(ctx, "trial abandoned", "err", ferr)
		return nil
	}
	if ferr != nil {
		return fmt.Errorf("record the end of trial %d: %w", rec.Number, ferr)
	}
	log.DebugContext(ctx, "trial finished", "state", done.State, "value", done.Value)
	if s.cfg.OnTrial != nil && done.State.Finished() {
		s.progressMu.Lock()
		s.cfg.OnTrial(*done)
		s.progressMu.Unlock()
	}
	return nil
}

// call runs the objective, turning a panic into an error.
func (s *Study) call(ctx context.Context, objective Objective, t *Trial, log *slog.Logger) (value float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			log.ErrorContext(ctx, "objective panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			value, err = 0, fmt.Errorf("panic: %v", r)
		}
	}()
	return objective(ctx, t)
}

// Trial is the objective's handle on a running trial.
type Trial struct {
	// Number is the trial's number in the study.
	Number int
	// Params are the trial's parameter values, for the estimator's SetParam
	// (see Params.Apply). The objective must not modify them.
	Params Params

	study *Study
	ctx   context.Context
	lost  atomic.Bool
	mu    sync.Mutex
	rec   TrialRecord // the trial with the values reported so far
}

// Report records the objective's intermediate value at a step (a boosting
// iteration, an epoch, a cross-validation fold), for the pruner and the
// study's history. Steps are >= 0 and usually increase; a step reported
// twice keeps its first value. An error means the value could not be stored
// (the trial's context was cancelled, or the storage failed); the objective
// should then return.
func (t *Trial) Report(step int, value float64) error {
	if step < 0 {
		return mlw.Errorf(mlw.EINVALID, "trial %d: step %d must be >= 0", t.Number, step)
	}
	t.mu.Lock()
	i, found := slices.BinarySearchFunc(t.rec.Intermediate, step, func(sv StepValue, s int) int { return sv.Step - s })
	if !found {
		t.rec.Intermediate = slices.Insert(t.rec.Intermediate, i, StepValue{Step: step, Value: value})
	}
	t.mu.Unlock()
	if found {
		return nil
	}
	s := t.study
	return s.cfg.Storage.ReportValue(t.ctx, &ReportValueParams{Study: s.cfg.Study, Number: t.Number, Worker: s.cfg.Worker, Step: step, Value: value})
}

// ShouldPrune reports whether the study's pruner says to stop the trial
// after its last Report; the objective should then return ErrPruned. It is
// false without a pruner, and false when the other trials cannot be read.
func (t *Trial) ShouldPrune() bool {
	s := t.study
	if s.cfg.Pruner == nil {
		return false
	}
	all, err := s.Trials(t.ctx)
	if err != nil {
		s.log.DebugContext(t.ctx, "not pruning: trials not readable", LogKeyTrial, t.Number, "err", err)
		return false
	}
	others := slices.DeleteFunc(all, func(r TrialRecord) bool { return r.Number == t.Number })
	t.mu.Lock()
	rec := t.rec.Clone()
	t.mu.Unlock()
	return s.cfg.Pruner.Prune(s.cfg.Direction, &rec, others)
}

// BestTrial returns the best complete trial in direction dir (the lowest
// number among equals); ok is false when no trial is complete.
func BestTrial(trials []TrialRecord, dir Direction) (best TrialRecord, ok bool) {
	for _, t := range trials {
		if t.State != StateComplete {
			continue
		}
		if !ok || dir.better(t.Value, best.Value) {
			best, ok = t, true
		}
	}
	if ok {
		best = best.Clone()
	}
	return best, ok
}
