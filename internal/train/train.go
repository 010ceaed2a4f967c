// Package train fits a model on the training part of a split, scores it on the
// validation part (never the test part), and logs the run: params, metrics,
// learning curves, duration, peak memory, the model bundle and its lineage.
package train

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/internal/artifact"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/track"
	"mlw.dev/metrics"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
	"mlw.dev/split"
)

// Data is a dataset version loaded with its split.
type Data struct {
	Version *mlw.DatasetVersion
	Frame   *frame.Frame
	Schema  frame.Schema
	Split   *mlw.Split
	Parts   *split.Assignment
	// Task is classification or regression (mlw.yaml task).
	Task string
}

// Spec is what to train.
type Spec struct {
	Model  string            // estimator kind
	Params map[string]string // hyperparameters by name
	Seed   int64
	// DropFeatures and OnlyFeatures choose the feature columns.
	DropFeatures []string
	OnlyFeatures []string
	// CV chooses the folds of CrossValidate; the zero value is the task's default.
	CV CVConfig
	// CVWorkers is how many folds CrossValidate fits at once; 0 means one
	// per core (GOMAXPROCS). See CrossValidate for how the cores are shared.
	CVWorkers int
	// OnIteration, when set, watches the fit of CrossValidate's first fold
	// if the estimator reports its iterations (model.IterationReporter:
	// boosting iterations, epochs): after iteration iter (1, 2, ...) it gets
	// Metric, computed on the fold's validation rows from the model so far
	// (undefined values are skipped). An error stops the fit, and
	// CrossValidate returns it as it is (a pruning decision, say). The other
	// folds and other estimators are not watched, and Train ignores it.
	OnIteration func(iter int, score float64) error
	// RunKind is "train" (default) or "baseline"; ParentRunID makes it a child run.
	RunKind     string
	ParentRunID string
	Tags        map[string]string
	GitCommit   string
	// Metric is the primary metric, used for permutation importance (Train)
	// and given to OnIteration (CrossValidate).
	Metric string
	// Reason is recorded with the run's audit event.
	Reason string
}

// Result is a trained and logged model.
type Result struct {
	Run         *mlw.Run
	Bundle      *bundle.Bundle
	BundleInfo  artifact.Info
	Valid       map[string]float64 // validation metrics by name
	Curves      []model.Curve
	Importances map[string]float64
	// Permutation is the permutation importance of each input column on the
	// validation part (at most permutationRows rows).
	Permutation []Importance
	FitTime     time.Duration
	PeakRSSMB   float64
	TrainRows   int
	ValidRows   int
}

// Service trains models.
type Service struct {
	Tracker   *track.Tracker
	Artifacts *artifact.Store
}

// Permutation importance settings.
const (
	permutationRows    = 5000
	permutationRepeats = 3
)

// kindConfig is the preprocessing of each kind of estimator.
func kindConfig(kind string) feature.Config {
	switch kind {
	case "gbdt":
		return feature.ForBoosting()
	case "tree", "forest", "extratrees", "rule":
		return feature.ForTrees()
	case "most_frequent", "prior", "mean", "median":
		return feature.ForTrees()
	}
	return feature.ForLinear()
}

// Prepared is the training and validation data of one split, transformed.
type Prepared struct {
	Pipeline   *feature.Pipeline
	Classes    []string
	Task       model.Task
	Train      *model.Problem
	Valid      *model.Problem
	TrainRows  []int // rows of the frame
	ValidRows  []int
	TrainFrame *frame.Frame
}

// Prepare fits the feature pipeline on the training rows and encodes the
// target. Rows with a missing target are left out. Test rows are never read.
func Prepare(d *Data, spec *Spec) (*Prepared, error) {
	target := d.Version.Roles.Target
	if target == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "dataset %s has no target column", d.Version.Ref()).
			WithHint("mlw data add %s FILE --target COLUMN (or data.target in mlw.yaml)", d.Version.Dataset)
	}
	ycol := d.Frame.Column(target)
	if ycol == nil {
		return nil, mlw.Errorf(mlw.EINVALID, "dataset %s has no column %s", d.Version.Ref(), target)
	}
	keep := func(rows []int) []int {
		return slices.DeleteFunc(rows, func(i int) bool { return ycol.IsMissing(i) })
	}
	trainRows := keep(d.Parts.Rows(split.Train))
	validRows := keep(d.Parts.Rows(split.Validation))
	if len(trainRows) == 0 {
		return nil, mlw.Errorf(mlw.EINVALID, "split %s has no training rows with a target", d.Split.ID)
	}
	exclude := []string{target}
	r := d.Version.Roles
	for _, c := range []string{r.ID, r.Time} {
		if c != "" {
			exclude = append(exclude, c)
		}
	}
	exclude = append(exclude, spec.DropFeatures...)
	for _, c := range spec.DropFeatures {
		if d.Frame.ColumnIndex(c) < 0 {
			return nil, mlw.Errorf(mlw.EINVALID, "--drop-features %s: no such column", c)
		}
	}
	if len(spec.OnlyFeatures) > 0 {
		for _, c := range spec.OnlyFeatures {
			if d.Frame.ColumnIndex(c) < 0 {
				return nil, mlw.Errorf(mlw.EINVALID, "--only-features %s: no such column", c)
			}
		}
		for _, c := range d.Frame.Names() {
			if !slices.Contains(spec.OnlyFeatures, c) {
				exclude = append(exclude, c)
			}
		}
	}
	cfg := kindConfig(spec.Model)
	cfg.Exclude = exclude
	trainFrame := d.Frame.Take(trainRows)
	pipe, err := feature.Fit(trainFrame, d.Schema, cfg)
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "features of %s: %v", d.Version.Ref(), err)
	}
	p := &Prepared{Pipeline: pipe, TrainRows: trainRows, ValidRows: validRows, TrainFrame: trainFrame}
	var ytrain, yvalid []float64
	switch d.Task {
	case "regression":
		num, ok := ycol.(*frame.Numeric)
		if !ok {
			return nil, mlw.Errorf(mlw.EINVALID, "target %s is %s, a regression target must be numeric", target, ycol.Type())
		}
		p.Task = model.Regression
		pick := func(rows []int) []float64 {
			out := make([]float64, len(rows))
			for i, r := range rows {
				out[i] = num.Values()[r]
			}
			return out
		}
		ytrain, yvalid = pick(trainRows), pick(validRows)
	default:
		seen := map[string]bool{}
		for _, r := range trainRows {
			seen[ycol.Cell(r)] = true
		}
		classes := make([]string, 0, len(seen))
		for c := range seen {
			classes = append(classes, c)
		}
		sortLabels(classes)
		if len(classes) < 2 {
			return nil, mlw.Errorf(mlw.EINVALID, "target %s has one class (%s) in the training part: nothing to learn", target, strings.Join(classes, ""))
		}
		p.Classes = classes
		p.Task = model.BinaryClassification
		if len(classes) > 2 {
			p.Task = model.MulticlassClassification
		}
		code := make(map[string]float64, len(classes))
		for i, c := range classes {
			code[c] = float64(i)
		}
		ytrain = make([]float64, len(trainRows))
		for i, r := range trainRows {
			ytrain[i] = code[ycol.Cell(r)]
		}
		// Validation rows whose label training never saw cannot be scored.
		kept := validRows[:0:0]
		for _, r := range validRows {
			if c, ok := code[ycol.Cell(r)]; ok {
				kept = append(kept, r)
				yvalid = append(yvalid, c)
			}
		}
		p.ValidRows = kept
	}
	xtrain, err := pipe.Transform(trainFrame)
	if err != nil {
		return nil, err
	}
	p.Train = &model.Problem{Task: p.Task, Classes: len(p.Classes), Features: pipe.Outputs, X: xtrain, Y: ytrain}
	if len(p.ValidRows) > 0 {
		xvalid, err := pipe.Transform(d.Frame.Take(p.ValidRows))
		if err != nil {
			return nil, err
		}
		p.Valid = &model.Problem{Task: p.Task, Classes: len(p.Classes), Features: pipe.Outputs, X: xvalid, Y: yvalid}
	}
	return p, nil
}

// sortLabels orders class labels numerically when they are all numbers
// ("0" < "1" < "10"), else as strings.
func sortLabels(ls []string) {
	numeric := true
	for _, l := range ls {
		if _, err := strconv.ParseFloat(l, 64); err != nil {
			numeric = false
			break
		}
	}
	sort.Slice(ls, func(i, j int) bool {
		if numeric {
			a, _ := strconv.ParseFloat(ls[i], 64)
			b, _ := strconv.ParseFloat(ls[j], 64)
			return a < b
		}
		return ls[i] < ls[j]
	})
}

// NewEstimator makes an estimator of a kind with params set by name.
func NewEstimator(kind string, params map[string]string, seed int64) (model.Estimator, error) {
	est, err := bundle.NewEstimator(kind)
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "--model: %v", err)
	}
	if _, ok := params["random_state"]; !ok && hasParam(est, "random_state") {
		if err := est.SetParam("random_state", strconv.FormatInt(seed, 10)); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := est.SetParam(k, params[k]); err != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "--param %s=%s: %v", k, params[k], err).WithHint("mlw train --model %s --help-params", kind)
		}
	}
	return est, nil
}

func hasParam(est model.Estimator, name string) bool {
	for _, s := range est.ParamSpecs() {
		if s.Name == name {
			return true
		}
	}
	return false
}

// Train fits, scores and logs one model.
func (s *Service) Train(ctx context.Context, d *Data, spec Spec) (*Result, error) {
	est, err := NewEstimator(spec.Model, spec.Params, spec.Seed)
	if err != nil {
		return nil, err
	}
	prep, err := Prepare(d, &spec)
	if err != nil {
		return nil, err
	}
	kind := spec.RunKind
	if kind == "" {
		kind = "train"
	}
	tags := map[string]string{"features": strconv.Itoa(len(prep.Pipeline.Outputs))}
	for k, v := range spec.Tags {
		tags[k] = v
	}
	if len(spec.DropFeatures) > 0 {
		tags["drop_features"] = strings.Join(spec.DropFeatures, ",")
	}
	if len(spec.OnlyFeatures) > 0 {
		tags["only_features"] = strings.Join(spec.OnlyFeatures, ",")
	}
	run, err := s.Tracker.Start(ctx, track.StartParams{
		ParentID: spec.ParentRunID, Kind: kind, Model: spec.Model, DatasetVersionID: d.Version.ID, SplitID: d.Split.ID,
		Params: est.Params(), Tags: tags, GitCommit: spec.GitCommit, AuditAction: "run." + kind, Reason: spec.Reason,
	})
	if err != nil {
		return nil, err
	}
	res, err := s.fitAndLog(ctx, d, &spec, est, prep, run)
	if err != nil {
		if ctx.Err() != nil {
			s.Tracker.Kill(ctx, run.ID)
		} else {
			s.Tracker.Fail(ctx, run.ID, err)
		}
		return nil, err
	}
	return res, nil
}

func (s *Service) fitAndLog(ctx context.Context, d *Data, spec *Spec, est model.Estimator, prep *Prepared, run *mlw.Run) (*Result, error) {
	start := time.Now()
	if err := est.Fit(ctx, prep.Train); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, mlw.Errorf(mlw.EINVALID, "%s did not fit: %v", spec.Model, err)
	}
	fitTime := time.Since(start)
	res := &Result{FitTime: fitTime, PeakRSSMB: peakRSSMB(), TrainRows: len(prep.TrainRows), ValidRows: len(prep.ValidRows)}

	b := &bundle.Bundle{Header: bundle.Header{
		Task: taskName(prep.Task), Target: d.Version.Roles.Target, Classes: prep.Classes,
		Params: est.Params(), Pipeline: prep.Pipeline,
		Lineage: bundle.Lineage{Dataset: d.Version.Dataset, DatasetVersion: d.Version.Version, DatasetHash: d.Version.Hash, SplitID: d.Split.ID, GitCommit: spec.GitCommit},
	}, Estimator: est}
	trainPreds := b.PredictMatrix(prep.Train.X)
	b.Reference = b.NewReference(prep.TrainFrame, trainPreds)

	metricsOut := map[string]float64{"fit_seconds": fitTime.Seconds(), "peak_rss_mb": res.PeakRSSMB,
		"train_rows": float64(len(prep.TrainRows)), "valid_rows": float64(len(prep.ValidRows))}
	for k, v := range Score(prep.Task, prep.Train.Y, trainPreds) {
		metricsOut["train."+k] = v
	}
	if prep.Valid != nil {
		res.Valid = Score(prep.Task, prep.Valid.Y, b.PredictMatrix(prep.Valid.X))
		for k, v := range res.Valid {
			metricsOut["valid."+k] = v
		}
	}
	if err := s.Tracker.LogMetrics(ctx, run.ID, 0, metricsOut); err != nil {
		return nil, err
	}
	if cr, ok := est.(model.CurveReporter); ok {
		res.Curves = cr.Curves()
		for _, c := range res.Curves {
			if err := s.Tracker.LogCurve(ctx, run.ID, "curve."+c.Name, c.Values); err != nil {
				return nil, err
			}
		}
	}
	if prep.Valid != nil && spec.Metric != "" && spec.RunKind != "baseline" {
		rows := prep.ValidRows
		y := prep.Valid.Y
		if len(rows) > permutationRows {
			step := float64(len(rows)) / permutationRows
			var r2 []int
			var y2 []float64
			for k := 0; k < permutationRows; k++ {
				i := int(float64(k) * step)
				r2, y2 = append(r2, rows[i]), append(y2, y[i])
			}
			rows, y = r2, y2
		}
		imp, err := PermutationImportance(b, d.Frame.Take(rows), y, spec.Metric, permutationRepeats, uint64(spec.Seed))
		if err != nil {
			return nil, err
		}
		res.Permutation = imp
		vals := map[string]float64{}
		for _, x := range imp {
			vals["importance."+x.Column] = x.Mean
		}
		if err := s.Tracker.LogMetrics(ctx, run.ID, 0, vals); err != nil {
			return nil, err
		}
	}
	if im, ok := est.(model.Importancer); ok {
		res.Importances = map[string]float64{}
		for j, v := range im.FeatureImportances() {
			res.Importances[prep.Pipeline.Outputs[j].Name] = v
		}
	}

	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		return nil, err
	}
	info, err := s.Artifacts.PutBytes(ctx, buf.Bytes())
	if err != nil {
		return nil, err
	}
	if err := s.Tracker.Store.AddRunArtifact(ctx, addArtifact(run.ID, "model.mlwb", info)); err != nil {
		return nil, err
	}
	done, err := s.Tracker.Finish(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	res.Run, res.Bundle, res.BundleInfo = done, b, info
	return res, nil
}

func taskName(t model.Task) string {
	switch t {
	case model.Regression:
		return "regression"
	case model.BinaryClassification:
		return "binary"
	}
	return "multiclass"
}

// Score computes every metric of the registry that applies to the task.
func Score(task model.Task, y []float64, p *bundle.Predictions) map[string]float64 {
	out := map[string]float64{}
	if len(y) == 0 {
		return out
	}
	in, wantTask := scoreInput(task, y, p)
	for _, name := range metrics.Names() {
		info, _ := metrics.Lookup(name)
		if info.Task != wantTask || info.BinaryOnly && task != model.BinaryClassification {
			continue
		}
		v := info.Compute(in)
		if !math.IsNaN(v) {
			out[name] = v
		}
	}
	return out
}

// scoreInput is the metrics input of predictions p of targets y, and the
// kind of metrics that apply to task.
func scoreInput(task model.Task, y []float64, p *bundle.Predictions) (metrics.Input, metrics.Task) {
	var in metrics.Input
	if task == model.Regression {
		in.Target, in.Predicted = y, p.Values
		return in, metrics.Regression
	}
	in.YTrue = make([]int, len(y))
	for i, v := range y {
		in.YTrue[i] = int(v)
	}
	in.YPred = p.Codes
	in.Proba, in.K = p.Values, p.Outputs
	return in, metrics.Classification
}

// peakRSSMB is the process's peak resident memory so far, in MB.
func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.Sys) / (1 << 20)
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}

// Describe is a one-line summary of validation metrics for people.
func Describe(task model.Task, m map[string]float64) string {
	keys := []string{"accuracy", "roc_auc", "f1_macro", "log_loss"}
	if task == model.Regression {
		keys = []string{"r2", "rmse", "mae"}
	}
	var parts []string
	for _, k := range keys {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.4f", k, v))
		}
	}
	return strings.Join(parts, ", ")
}
