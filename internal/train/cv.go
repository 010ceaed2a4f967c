package train

import (
	"context"
	"math"
	"runtime"
	"sort"
	"strconv"
	"sync"

	"mlw.dev/internal/mlw"
	"mlw.dev/metrics"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
	"mlw.dev/split"
)

// CVResult is a K-fold cross-validation estimate on the training part.
type CVResult struct {
	Folds int                `json:"folds"`
	Mean  map[string]float64 `json:"mean"`
	Std   map[string]float64 `json:"std"`
}

// CrossValidate fits spec on K folds of the training rows (cut as spec.CV
// says; by default stratified for classification) and returns the mean and
// sample standard deviation of every validation metric. Validation and test
// rows are never used.
//
// Folds are fitted spec.CVWorkers at a time (see CVWorkers); the result is
// the same, bit for bit, whatever the number of workers. Cores are shared
// between folds and estimator threads: while w folds run at once, an
// estimator with an n_jobs parameter that spec.Params leaves unset gets
// n_jobs = GOMAXPROCS/w (at least 1), which does not change what it learns.
// Estimators without n_jobs run as they are; their goroutines share the
// GOMAXPROCS threads with the other folds'. With spec.OnIteration set and
// an estimator that reports its iterations, the first fold runs alone
// first, with every core, so that a trial pruned during it wastes no work
// on the other folds; the others then run in parallel.
func CrossValidate(ctx context.Context, d *Data, spec Spec, k int) (*CVResult, error) {
	return CrossValidateEach(ctx, d, spec, k, nil)
}

// CrossValidateEach is CrossValidate with a hook called after each fold with
// the fold's validation metrics; an error from the hook (such as a pruning
// decision) stops the cross-validation and is returned. The hook is called
// in fold order, never concurrently, whatever the number of workers.
func CrossValidateEach(ctx context.Context, d *Data, spec Spec, k int, onFold func(fold int, scores map[string]float64) error) (*CVResult, error) {
	folds, err := spec.CV.Folds(d, k, spec.Seed)
	if mlw.ErrorCode(err) == mlw.EINVALID {
		return nil, err
	} else if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "--cv %d: %v", k, err)
	}
	if spec.OnIteration != nil {
		if err := checkIterationMetric(d, spec.Metric); err != nil {
			return nil, err
		}
	}
	cv := &crossValidation{d: d, spec: spec, folds: folds}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]foldResult, len(folds))
	var scores []map[string]float64
	// deliver passes a fitted fold to onFold, in fold order.
	deliver := func(r *foldResult) error {
		if r.err == nil && r.scores != nil && onFold != nil {
			r.err = onFold(len(scores), r.scores)
		}
		if r.err == nil && r.scores != nil {
			scores = append(scores, r.scores)
		}
		return r.err
	}
	first := 0
	if spec.OnIteration != nil && iterative(spec.Model) && len(folds) > 0 {
		// The monitored fold runs alone, and the others wait for its verdict.
		results[0].scores, results[0].err = cv.fit(ctx, 0, 1)
		if err := deliver(&results[0]); err != nil {
			return nil, err
		}
		first = 1
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	if first < len(folds) {
		workers := CVWorkers(spec.CVWorkers, len(folds)-first)
		next := make(chan int, len(folds)-first)
		for i := first; i < len(folds); i++ {
			results[i].done = make(chan struct{})
			next <- i
		}
		close(next)
		for range workers {
			wg.Go(func() {
				for i := range next {
					r := &results[i]
					if r.err = ctx.Err(); r.err == nil {
						r.scores, r.err = cv.fit(ctx, i, workers)
					}
					close(r.done)
				}
			})
		}
	}
	for i := first; i < len(folds); i++ {
		<-results[i].done
		if err := deliver(&results[i]); err != nil {
			cancel() // the deferred wg.Wait waits for the folds still running
			return nil, err
		}
	}
	return summarize(len(folds), scores), nil
}

// CVWorkers returns how many folds CrossValidate fits at once for the
// CVWorkers setting n: n, or GOMAXPROCS when n <= 0, at most folds and at
// least 1.
func CVWorkers(n, folds int) int {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return max(1, min(n, folds))
}

// crossValidation is one run of CrossValidateEach.
type crossValidation struct {
	d     *Data
	spec  Spec
	folds []split.Fold
}

// foldResult is the outcome of one fold: its validation metrics (nil when
// the fold has no validation rows), or an error. done, when set, is closed
// by the worker that fitted the fold once scores and err are set.
type foldResult struct {
	scores map[string]float64
	err    error
	done   chan struct{}
}

// fit fits fold i while workers folds run at once and returns its
// validation metrics, nil when the fold has no validation rows.
func (cv *crossValidation) fit(ctx context.Context, i, workers int) (map[string]float64, error) {
	d, spec, f := cv.d, cv.spec, cv.folds[i]
	parts := make([]split.Part, d.Frame.NumRows())
	for r := range parts {
		parts[r] = split.Test // left out
	}
	for _, r := range f.Train {
		parts[r] = split.Train
	}
	for _, r := range f.Valid {
		parts[r] = split.Validation
	}
	a, err := split.NewAssignment(parts)
	if err != nil {
		return nil, err
	}
	fd := *d
	fd.Parts = a
	prep, err := Prepare(&fd, &spec)
	if err != nil {
		return nil, err
	}
	est, err := NewEstimator(spec.Model, foldParams(spec, workers), spec.Seed)
	if err != nil {
		return nil, err
	}
	var stopped error // the error of spec.OnIteration that stopped the fit
	if i == 0 && spec.OnIteration != nil && prep.Valid != nil {
		if ir, ok := est.(model.IterationReporter); ok {
			ir.SetMonitor(iterationMonitor(prep, spec, &stopped))
		}
	}
	if err := est.Fit(ctx, prep.Train); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, mlw.Errorf(mlw.EINVALID, "%s did not fit on a fold: %v", spec.Model, err)
	}
	if stopped != nil {
		return nil, stopped
	}
	if prep.Valid == nil {
		return nil, nil
	}
	b := &bundle.Bundle{Header: bundle.Header{Task: taskName(prep.Task), Classes: prep.Classes}, Estimator: est}
	return Score(prep.Task, prep.Valid.Y, b.PredictMatrix(prep.Valid.X)), nil
}

// iterative reports whether estimators of kind report their iterations.
func iterative(kind string) bool {
	est, err := bundle.NewEstimator(kind)
	if err != nil {
		return false
	}
	_, ok := est.(model.IterationReporter)
	return ok
}

// foldParams returns spec.Params with, when several folds run at once, the
// estimator's n_jobs set to its share of the cores unless spec sets it.
func foldParams(spec Spec, workers int) map[string]string {
	if workers <= 1 {
		return spec.Params
	}
	if _, ok := spec.Params["n_jobs"]; ok {
		return spec.Params
	}
	est, err := bundle.NewEstimator(spec.Model)
	if err != nil || !hasParam(est, "n_jobs") {
		return spec.Params
	}
	p := make(map[string]string, len(spec.Params)+1)
	for k, v := range spec.Params {
		p[k] = v
	}
	p["n_jobs"] = strconv.Itoa(max(1, runtime.GOMAXPROCS(0)/workers))
	return p
}

// iterationMonitor watches a fold's fit: after every iteration it scores
// spec.Metric on the fold's validation rows and calls spec.OnIteration,
// stopping the fit and keeping its error in *stopped when it fails. An
// undefined (NaN) score is not reported.
func iterationMonitor(prep *Prepared, spec Spec, stopped *error) *model.Monitor {
	b := &bundle.Bundle{Header: bundle.Header{Task: taskName(prep.Task), Classes: prep.Classes}}
	y := prep.Valid.Y
	p := &bundle.Predictions{Rows: len(y), Outputs: prep.Train.Outputs()}
	if prep.Task.IsClassification() {
		p.Codes = make([]int, len(y))
	}
	return &model.Monitor{X: prep.Valid.X, OnIteration: func(iter int, pred []float64) bool {
		p.Values = pred
		for i := range p.Codes {
			p.Codes[i] = b.Decide(p.Row(i))
		}
		v, ok := scoreMetric(prep.Task, y, p, spec.Metric)
		if !ok || math.IsNaN(v) {
			return false
		}
		if err := spec.OnIteration(iter, v); err != nil {
			*stopped = err
			return true
		}
		return false
	}}
}

// checkIterationMetric returns an EINVALID error unless metric is a metric
// of d's task that OnIteration can receive.
func checkIterationMetric(d *Data, metric string) error {
	info, ok := metrics.Lookup(metric)
	if !ok {
		return mlw.Errorf(mlw.EINVALID, "metric %q is not a metric mlw knows", metric)
	}
	want := metrics.Classification
	if d.Task == "regression" {
		want = metrics.Regression
	}
	if info.Task != want {
		return mlw.Errorf(mlw.EINVALID, "metric %s does not apply to a %s task", metric, d.Task)
	}
	return nil
}

// scoreMetric computes one metric as Score does; ok is false when it does
// not apply to the task or is undefined on these rows.
func scoreMetric(task model.Task, y []float64, p *bundle.Predictions, name string) (float64, bool) {
	info, ok := metrics.Lookup(name)
	if !ok {
		return 0, false
	}
	in, wantTask := scoreInput(task, y, p)
	if info.Task != wantTask || info.BinaryOnly && task != model.BinaryClassification {
		return 0, false
	}
	v := info.Compute(in)
	return v, !math.IsNaN(v)
}

func summarize(k int, scores []map[string]float64) *CVResult {
	res := &CVResult{Folds: k, Mean: map[string]float64{}, Std: map[string]float64{}}
	keys := map[string]bool{}
	for _, s := range scores {
		for name := range s {
			keys[name] = true
		}
	}
	names := make([]string, 0, len(keys))
	for n := range keys {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		var vals []float64
		for _, s := range scores {
			if v, ok := s[name]; ok {
				vals = append(vals, v)
			}
		}
		if len(vals) < len(scores) {
			continue // undefined on some fold
		}
		mean := 0.0
		for _, v := range vals {
			mean += v
		}
		mean /= float64(len(vals))
		ss := 0.0
		for _, v := range vals {
			ss += (v - mean) * (v - mean)
		}
		res.Mean[name] = mean
		if len(vals) > 1 {
			res.Std[name] = math.Sqrt(ss / float64(len(vals)-1))
		}
	}
	return res
}
