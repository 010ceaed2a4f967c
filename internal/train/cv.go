package train

import (
	"context"
	"math"
	"sort"

	"mlw.dev/internal/mlw"
	"mlw.dev/model/bundle"
	"mlw.dev/split"
)

// CVResult is a K-fold cross-validation estimate on the training part.
type CVResult struct {
	Folds int                `json:"folds"`
	Mean  map[string]float64 `json:"mean"`
	Std   map[string]float64 `json:"std"`
}

// CrossValidate fits spec on K folds of the training rows (stratified for
// classification) and returns the mean and sample standard deviation of every
// validation metric. Validation and test rows are never used.
func CrossValidate(ctx context.Context, d *Data, spec Spec, k int) (*CVResult, error) {
	return CrossValidateEach(ctx, d, spec, k, nil)
}

// CrossValidateEach is CrossValidate with a hook called after each fold with
// the fold's validation metrics; an error from the hook (such as a pruning
// decision) stops the cross-validation and is returned.
func CrossValidateEach(ctx context.Context, d *Data, spec Spec, k int, onFold func(fold int, scores map[string]float64) error) (*CVResult, error) {
	trainRows := d.Parts.Rows(split.Train)
	cfg := split.FoldConfig{K: k, Shuffle: true, Seed: spec.Seed}
	var (
		folds []split.Fold
		err   error
	)
	if d.Task == "regression" {
		folds, err = split.KFold(trainRows, cfg)
	} else {
		folds, err = split.StratifiedKFold(d.Frame, d.Version.Roles.Target, trainRows, cfg)
	}
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "--cv %d: %v", k, err)
	}
	var scores []map[string]float64
	for _, f := range folds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		parts := make([]split.Part, d.Frame.NumRows())
		for i := range parts {
			parts[i] = split.Test // left out
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
		est, err := NewEstimator(spec.Model, spec.Params, spec.Seed)
		if err != nil {
			return nil, err
		}
		if err := est.Fit(ctx, prep.Train); err != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "%s did not fit on a fold: %v", spec.Model, err)
		}
		if prep.Valid == nil {
			continue
		}
		b := &bundle.Bundle{Header: bundle.Header{Task: taskName(prep.Task), Classes: prep.Classes}, Estimator: est}
		sc := Score(prep.Task, prep.Valid.Y, b.PredictMatrix(prep.Valid.X))
		scores = append(scores, sc)
		if onFold != nil {
			if err := onFold(len(scores)-1, sc); err != nil {
				return nil, err
			}
		}
	}
	return summarize(len(folds), scores), nil
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
