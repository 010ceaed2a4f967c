package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
	"mlw.dev/internal/track"
	"mlw.dev/internal/train"
	"mlw.dev/internal/tune"
	"mlw.dev/model"
)

// tuneTrial is one trial in the JSON of mlw tune and mlw tune show.
type tuneTrial struct {
	Number int               `json:"number"`
	State  string            `json:"state"`
	Params map[string]string `json:"params"`
	// Value is a complete trial's CV score.
	Value *float64 `json:"value,omitempty"`
	// DurationSeconds is a finished trial's wall time.
	DurationSeconds *float64 `json:"duration_seconds,omitempty"`
	// Intermediate are the values the trial reported for pruning: scores
	// after iterations of its first fold, then fold scores (tune.FoldStep).
	Intermediate []tune.StepValue `json:"intermediate,omitempty"`
	Error        string           `json:"error,omitempty"`
	Worker       string           `json:"worker,omitempty"`
	Attempts     int              `json:"attempts,omitempty"`
}

// newTuneTrial returns a stored trial as it appears in JSON.
func newTuneTrial(t tune.TrialRecord) tuneTrial {
	tt := tuneTrial{Number: t.Number, State: string(t.State), Params: t.Params, Intermediate: t.Intermediate,
		Error: t.Error, Worker: t.Worker, Attempts: t.Attempts}
	if tt.Params == nil {
		tt.Params = map[string]string{}
	}
	if t.State == tune.StateComplete {
		v := t.Value
		tt.Value = &v
	}
	if d, ok := trialDuration(t); ok {
		secs := d.Seconds()
		tt.DurationSeconds = &secs
	}
	return tt
}

// trialDuration is a finished trial's wall time (its last attempt's).
func trialDuration(t tune.TrialRecord) (time.Duration, bool) {
	if !t.State.Finished() || t.StartedAt.IsZero() || t.FinishedAt.IsZero() {
		return 0, false
	}
	return t.FinishedAt.Sub(t.StartedAt), true
}

// cvStrategyHelp documents --cv-strategy and --cv-by in Long texts.
const cvStrategyHelp = `--cv-strategy chooses the folds: kfold (shuffled rows), stratified (keeping
the class shares; the default for classification, kfold for regression),
group (--cv-by COLUMN: all rows of a group in the same fold, so that the
score is for unseen groups such as new customers) or time (expanding
window: each fold trains on the rows before its validation block, ordered
by --cv-by COLUMN, by default the dataset's time role).`

// featureFlags are --drop-features and --only-features.
type featureFlags struct {
	drop, only []string
}

func (f *featureFlags) register(c *cobra.Command) {
	c.Flags().StringSliceVar(&f.drop, "drop-features", nil, "columns not to use as features")
	c.Flags().StringSliceVar(&f.only, "only-features", nil, "use only these columns as features")
}

// check returns an EINVALID error naming a column d lacks, before any
// trial runs (train.Prepare would fail every trial with it).
func (f *featureFlags) check(d *train.Data) error {
	for _, fl := range []struct {
		name string
		cols []string
	}{{"--drop-features", f.drop}, {"--only-features", f.only}} {
		for _, col := range fl.cols {
			if d.Frame.ColumnIndex(col) < 0 {
				return mlw.Errorf(mlw.EINVALID, "%s %s: no such column in %s", fl.name, col, d.Version.Ref())
			}
		}
	}
	return nil
}

// cvFlags are --cv, --cv-strategy and --cv-by.
type cvFlags struct {
	k        int
	strategy string
	by       string
}

func (f *cvFlags) register(c *cobra.Command) {
	c.Flags().IntVar(&f.k, "cv", 3, "cross-validation folds on the training part")
	c.Flags().StringVar(&f.strategy, "cv-strategy", "", "folds: kfold, stratified, group or time (default: stratified for classification, kfold for regression)")
	c.Flags().StringVar(&f.by, "cv-by", "", "the group column (group) or the time column (time; default: the dataset's time role)")
}

// validate checks the flags alone; hint is the command to suggest.
func (f *cvFlags) validate(hint string) error {
	if f.k < 2 {
		return usagef(hint+" --cv 3", "--cv %d: want at least 2 folds", f.k)
	}
	if f.strategy != "" && !slices.Contains(train.CVStrategies, f.strategy) {
		return usagef(hint+" --cv-strategy group --cv-by COLUMN", "--cv-strategy %q: want kfold, stratified, group or time", f.strategy)
	}
	return nil
}

// config returns the fold strategy the flags ask for on d, resolved: the
// task's default strategy and the dataset's time column filled in. It cuts
// the folds once, so that data that cannot give them (too few groups,
// missing times) is an error before any trial runs.
func (f *cvFlags) config(d *train.Data, seed int64) (train.CVConfig, error) {
	cfg, err := train.CVConfig{Strategy: f.strategy, By: f.by}.Resolve(d)
	if err != nil {
		return cfg, err
	}
	if _, err := cfg.Folds(d, f.k, seed); err != nil {
		return cfg, mlw.Errorf(mlw.EINVALID, "--cv %d: %v", f.k, err)
	}
	return cfg, nil
}

// describeCV says how a study cross-validates, e.g. "3-fold group CV by customer".
func describeCV(k int, cv train.CVConfig) string {
	s := fmt.Sprintf("%d-fold %s CV", k, cv.Strategy)
	if cv.By != "" {
		s += " by " + cv.By
	}
	return s
}

func (app *App) tuneCommand() *cobra.Command {
	var (
		dsRef, splitID, kind, search, metric, spaceFile, study string
		trials, parallel                                       int
		timeout                                                time.Duration
		seed                                                   int64
		asJSON                                                 bool
		cvf                                                    cvFlags
		feats                                                  featureFlags
	)
	c := &cobra.Command{
		Use:   "tune --dataset NAME[@N] --split ID --model KIND",
		Short: "Tune hyperparameters with grid, random or Bayesian (TPE) search on cross-validation",
		Long: `Search a model's hyperparameters by K-fold cross-validation on the training
part of a split (the validation and test parts are never read), with grid,
random or TPE (Bayesian, Optuna's defaults, constant liar for parallel
trials) search and median pruning: on the boosting iterations or MLP epochs
of the first fold (every 10th), then across folds, so hopeless trials stop
early and are recorded as pruned. Folds run in parallel. Each trial is a child run
(params, CV metrics, state complete, pruned or failed); the best params are
refit on the whole training part and logged as a run ready for evaluation.

Spaces default to what a practitioner would choose per model; --space FILE
(YAML) overrides them:
  gbdt:
    extends: default
    params:
      learning_rate: {type: float, low: 0.01, high: 0.2, log: true}
      max_leaf_nodes: [15, 31, 63]

` + cvStrategyHelp + `

--drop-features and --only-features choose the feature columns, as in
mlw train, for every trial and the refit.

--study NAME names the study; running the same command again continues it
when the store keeps studies (trials already finished are not lost), and
several processes given the same --study on a shared PostgreSQL store work
on it together. 'mlw tune show STUDY' prints a study's history, parameter
importance and an HTML report.

JSON (--json): study, study_run_id, metric, direction, cv (folds, strategy,
by), drop_features, only_features, best_trial, best_params, best_score,
best_std, best_run_id (the refit model's run), trials (number, state,
params, value, duration_seconds, intermediate, error, worker, attempts).`,
		Example: `  mlw tune --dataset tickets --split s-5a0e50db47 --model gbdt --search tpe --trials 30 --cv 3
  mlw tune --dataset tickets --split s-5a0e50db47 --model logistic --cv-strategy group --cv-by customer_id
  mlw tune show gbdt-s-5a0e50db47-tpe --html study.html`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dsRef == "" || splitID == "" || kind == "" {
				return usagef("mlw tune --dataset NAME --split ID --model KIND", "--dataset, --split and --model are required")
			}
			var sampler tune.Sampler
			switch search {
			case "tpe":
				sampler = tune.TPESampler{Seed: uint64(seed)}
			case "random":
				sampler = tune.RandomSampler{Seed: uint64(seed)}
			case "grid":
				sampler = tune.GridSampler{}
			default:
				return usagef("mlw tune --search tpe", "--search %q: want grid, random or tpe", search)
			}
			if err := cvf.validate("mlw tune"); err != nil {
				return err
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			ctx := c.Context()
			d, err := e.loadTrainData(ctx, dsRef, splitID)
			if err != nil {
				return err
			}
			cvc, err := cvf.config(d, seed)
			if err != nil {
				return err
			}
			if err := feats.check(d); err != nil {
				return err
			}
			task := taskOfData(d)
			space, err := tune.DefaultSpace(kind, task)
			if spaceFile != "" {
				src, rerr := os.ReadFile(app.abs(spaceFile))
				if rerr != nil {
					return mlw.Errorf(mlw.EINVALID, "--space: %v", rerr)
				}
				sf, perr := tune.ParseSpaceFile(spaceFile, src)
				if perr != nil {
					return perr
				}
				space, err = sf.Space(kind, task)
			}
			if err != nil {
				return mlw.Errorf(mlw.EINVALID, "--model %s: %v", kind, err)
			}
			if metric == "" {
				metric = e.primaryMetric()
			}
			info, ok := metricLookup.Lookup(metric)
			if !ok {
				return usagef("mlw tune --metric roc_auc", "--metric %q is not a metric mlw knows", metric)
			}
			dir := tune.Minimize
			if info.HigherIsBetter {
				dir = tune.Maximize
			}
			if study == "" {
				study = fmt.Sprintf("%s-%s-%s", kind, d.Split.ID, search)
			}
			if _, persistent := e.store.(tune.Storage); !persistent {
				fmt.Fprintln(app.Err, "note: this store does not keep studies; an interrupted study starts over")
			}
			sr, err := e.runStudy(ctx, d, studySpec{Name: study, Kind: kind, Space: space, Sampler: sampler, Metric: metric, Dir: dir,
				Trials: trials, Timeout: timeout, CV: cvf.k, CVConfig: cvc, Features: feats, Parallel: parallel, Seed: seed}, newProgress(app.Err, !asJSON))
			if err != nil {
				return err
			}
			studyRun, result, refit, bestTrial := sr.run, sr.result, sr.refit, sr.bestMetrics
			std := bestTrial["cv."+metric+".std"]
			ts := []tuneTrial{}
			for _, t := range result.Trials {
				ts = append(ts, newTuneTrial(t))
			}
			sort.Slice(ts, func(i, j int) bool { return ts[i].Number < ts[j].Number })
			if asJSON {
				out := map[string]any{
					"study": study, "study_run_id": studyRun.ID, "metric": metric, "direction": string(dir),
					"cv":          map[string]any{"folds": cvf.k, "strategy": cvc.Strategy, "by": cvc.By},
					"best_params": result.Best.Params, "best_score": result.Best.Value, "best_std": std,
					"best_trial": result.Best.Number, "best_run_id": refit.Run.ID, "trials": ts,
				}
				if len(feats.drop) > 0 {
					out["drop_features"] = feats.drop
				}
				if len(feats.only) > 0 {
					out["only_features"] = feats.only
				}
				return writeJSON(app.Out, out)
			}
			counts := map[string]int{}
			for _, t := range result.Trials {
				counts[string(t.State)]++
			}
			fmt.Fprintf(app.Out, "study %s (run %s): %d trials (%d complete, %d pruned, %d failed)\n", study, studyRun.ID, len(result.Trials), counts["complete"], counts["pruned"], counts["failed"])
			fmt.Fprintf(app.Out, "best trial %d: %s %.4f ± %.4f (%s on the training part)\n", result.Best.Number, metric, result.Best.Value, std, describeCV(cvf.k, cvc))
			var ps []string
			for _, k := range sortedKeys(result.Best.Params) {
				ps = append(ps, k+"="+result.Best.Params[k])
			}
			fmt.Fprintf(app.Out, "  params: %s\n", strings.Join(ps, " "))
			fmt.Fprintf(app.Out, "refit on the whole training part: run %s, validation %s\n", refit.Run.ID, train.Describe(task, refit.Valid))
			fmt.Fprintf(app.Out, "Next: mlw evaluate %s --on validation  (history: mlw tune show %s)\n", refit.Run.ID, study)
			return nil
		},
	}
	c.AddCommand(app.tuneShowCommand())
	c.Flags().StringVar(&dsRef, "dataset", "", "dataset version NAME[@N]")
	c.Flags().StringVar(&splitID, "split", "", "split ID")
	c.Flags().StringVar(&kind, "model", "", "model kind")
	c.Flags().StringVar(&search, "search", "tpe", "grid, random or tpe")
	c.Flags().IntVar(&trials, "trials", 20, "number of trials in the study (a cap across runs of the same study)")
	c.Flags().DurationVar(&timeout, "timeout", 0, "stop starting trials after this long (e.g. 10m)")
	cvf.register(c)
	feats.register(c)
	c.Flags().StringVar(&metric, "metric", "", "metric to optimise (default: evaluation.primary_metric)")
	c.Flags().StringVar(&spaceFile, "space", "", "YAML file overriding the search space")
	c.Flags().IntVar(&parallel, "parallel", 1, "trials run at once in this process")
	c.Flags().StringVar(&study, "study", "", "study name (default: MODEL-SPLIT-SEARCH); the same name continues a study")
	c.Flags().Int64Var(&seed, "seed", 0, "random seed")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// studySpec describes one tuning study.
type studySpec struct {
	Name    string
	Kind    string
	Space   *tune.Space
	Sampler tune.Sampler
	Metric  string
	Dir     tune.Direction
	Trials  int
	Timeout time.Duration
	CV      int
	// CVConfig is the resolved fold strategy.
	CVConfig train.CVConfig
	Features featureFlags
	Parallel int
	Seed     int64
	ParentID string
}

// Study attributes stored with a new study, besides model, split and metric.
const (
	studyAttrSpace      = "space"       // the search space as JSON, for mlw tune show
	studyAttrCVStrategy = "cv_strategy" // train.CVConfig.Strategy
	studyAttrCVBy       = "cv_by"
	studyAttrFolds      = "cv_folds"
	studyAttrDrop       = "drop_features"
	studyAttrOnly       = "only_features"
)

// studyResult is a finished study with its refit model.
type studyResult struct {
	run         *mlw.Run
	result      *tune.Result
	refit       *train.Result
	bestMetrics map[string]float64
}

// runStudy runs a study over CV on the training part, one child run per
// trial, and refits the best params on the whole training part.
func (e *env) runStudy(ctx context.Context, d *train.Data, sp studySpec, prog *progress) (*studyResult, error) {
	study, kind, metric, dir, cv, seed := sp.Name, sp.Kind, sp.Metric, sp.Dir, sp.CV, sp.Seed
	storage, persistent := e.store.(tune.Storage)
	if !persistent {
		storage = tune.NewMemoryStorage()
	}
	tr := e.tracker()
	commit := track.GitCommit(ctx, e.proj.Dir)
	params := map[string]string{"cv": strconv.Itoa(cv), "metric": metric, "space": sp.Space.String(), studyAttrCVStrategy: sp.CVConfig.Strategy}
	attrs := map[string]string{"model": kind, "split": d.Split.ID, "metric": metric,
		studyAttrCVStrategy: sp.CVConfig.Strategy, studyAttrFolds: strconv.Itoa(cv)}
	for k, v := range map[string]string{studyAttrCVBy: sp.CVConfig.By,
		studyAttrDrop: strings.Join(sp.Features.drop, ","), studyAttrOnly: strings.Join(sp.Features.only, ",")} {
		if v != "" {
			params[k], attrs[k] = v, v
		}
	}
	spaceJSON, err := json.Marshal(sp.Space)
	if err != nil {
		return nil, err
	}
	attrs[studyAttrSpace] = string(spaceJSON)
	studyRun, err := tr.Start(ctx, track.StartParams{Kind: "study", Name: study, Model: kind, DatasetVersionID: d.Version.ID, SplitID: d.Split.ID,
		Params: params, GitCommit: commit, AuditAction: "run.study", ParentID: sp.ParentID})
	if err != nil {
		return nil, err
	}
	best := -1e308
	if dir == tune.Minimize {
		best = 1e308
	}
	cfg := tune.Config{Study: study, Direction: dir, Space: sp.Space, Sampler: sp.Sampler, Seed: uint64(seed),
		Pruner: tune.MedianPruner{WarmupSteps: 10}, Storage: storage, Trials: sp.Trials, Timeout: sp.Timeout, Parallel: max(sp.Parallel, 1),
		Attrs: attrs,
		OnTrial: func(r tune.TrialRecord) {
			if r.State == tune.StateComplete && (dir == tune.Maximize && r.Value > best || dir == tune.Minimize && r.Value < best) {
				best = r.Value
			}
			prog.Step("trial %d %s, best %s %.4f", r.Number, r.State, metric, best)
		}}
	st, err := tune.NewStudy(ctx, cfg)
	if err != nil {
		tr.Fail(ctx, studyRun.ID, err)
		return nil, mlw.Errorf(mlw.EINVALID, "%v", err)
	}
	if st.Resumed() {
		if err := sameStudySetup(st.Record(), attrs); err != nil {
			tr.Fail(ctx, studyRun.ID, err)
			return nil, err
		}
	}
	objective := func(ctx context.Context, t *tune.Trial) (float64, error) {
		spec := train.Spec{Model: kind, Params: t.Params, Seed: seed, CV: sp.CVConfig,
			DropFeatures: sp.Features.drop, OnlyFeatures: sp.Features.only,
			Metric: metric, OnIteration: t.ReportIteration,
			CVWorkers: max(1, runtime.GOMAXPROCS(0)/max(sp.Parallel, 1))} // parallel trials share the cores
		trialRun, err := tr.Start(ctx, track.StartParams{ParentID: studyRun.ID, Kind: "trial", Name: fmt.Sprintf("%s#%d", study, t.Number), Model: kind,
			DatasetVersionID: d.Version.ID, SplitID: d.Split.ID, Params: t.Params})
		if err != nil {
			return 0, err
		}
		res, err := train.CrossValidateEach(ctx, d, spec, cv, func(fold int, s map[string]float64) error {
			return t.ReportFold(fold, s[metric])
		})
		switch {
		case errors.Is(err, tune.ErrPruned):
			tr.Prune(ctx, trialRun.ID)
			return 0, err
		case err != nil:
			tr.Fail(ctx, trialRun.ID, err)
			return 0, err
		}
		vals := map[string]float64{}
		for k, v := range res.Mean {
			vals["cv."+k] = v
		}
		for k, v := range res.Std {
			vals["cv."+k+".std"] = v
		}
		if err := tr.LogMetrics(ctx, trialRun.ID, 0, vals); err != nil {
			return 0, err
		}
		if _, err := tr.Finish(ctx, trialRun.ID); err != nil {
			return 0, err
		}
		v, ok := res.Mean[metric]
		if !ok {
			return 0, fmt.Errorf("%s is undefined on some fold", metric)
		}
		return v, nil
	}
	result, err := st.Optimize(ctx, objective)
	prog.Done()
	if err != nil {
		tr.Fail(ctx, studyRun.ID, err)
		return nil, err
	}
	if result.Best == nil {
		why := ""
		for _, t := range result.Trials {
			if t.State == tune.StateFailed {
				why = fmt.Sprintf(" (trial %d failed: %s)", t.Number, t.Error)
				break
			}
		}
		tr.Fail(ctx, studyRun.ID, errors.New("no trial completed"+why))
		return nil, mlw.Errorf(mlw.EINVALID, "study %s: no trial completed%s", study, why)
	}
	// Refit the best params on the whole training part.
	svc := &train.Service{Tracker: tr, Artifacts: e.artifacts}
	if _, _, _, err := e.ensureBaseline(ctx, svc, d, seed, commit); err != nil {
		return nil, err
	}
	refit, err := svc.Train(ctx, d, train.Spec{Model: kind, Params: result.Best.Params, Seed: seed, ParentRunID: studyRun.ID,
		DropFeatures: sp.Features.drop, OnlyFeatures: sp.Features.only,
		Tags: map[string]string{"study": study, "trial": strconv.Itoa(result.Best.Number)}, GitCommit: commit, Metric: e.primaryMetric()})
	if err != nil {
		return nil, err
	}
	bestTrial, err := trialMetrics(ctx, e, result.Best.Number, study)
	if err != nil {
		return nil, err
	}
	if err := tr.LogMetrics(ctx, studyRun.ID, 0, map[string]float64{"best." + metric: result.Best.Value, "trials": float64(len(result.Trials))}); err != nil {
		return nil, err
	}
	if _, err := tr.Finish(ctx, studyRun.ID); err != nil {
		return nil, err
	}
	return &studyResult{run: studyRun, result: result, refit: refit, bestMetrics: bestTrial}, nil
}

// sameStudySetup returns an ECONFLICT error when a resumed study was
// created with another model, split, metric, folds or features than attrs
// ask for: the scores of its trials and of the new ones would not compare.
// A study stored without fold attributes (by an older mlw) is checked on
// model, split and metric only.
func sameStudySetup(rec tune.StudyRecord, attrs map[string]string) error {
	keys := []string{"model", "split", "metric"}
	_, withFolds := rec.Attrs[studyAttrCVStrategy]
	if withFolds {
		keys = append(keys, studyAttrCVStrategy, studyAttrCVBy, studyAttrFolds, studyAttrDrop, studyAttrOnly)
	}
	for _, k := range keys {
		was, ok := rec.Attrs[k]
		if (ok || withFolds) && was != attrs[k] {
			return mlw.Errorf(mlw.ECONFLICT, "study %s was started with %s %q, not %q: its trials would not compare with new ones", rec.Name, k, was, attrs[k]).
				WithHint("another --study NAME, or the flags the study was started with (mlw tune show %s)", rec.Name)
		}
	}
	return nil
}

// taskOfData is the model task of a training data set.
func taskOfData(d *train.Data) model.Task {
	if d.Task == "regression" {
		return model.Regression
	}
	ycol := d.Frame.Column(d.Version.Roles.Target)
	seen := map[string]bool{}
	for i := 0; ycol != nil && i < ycol.Len() && len(seen) < 3; i++ {
		if !ycol.IsMissing(i) {
			seen[ycol.Cell(i)] = true
		}
	}
	if len(seen) > 2 {
		return model.MulticlassClassification
	}
	return model.BinaryClassification
}

// studyRuns returns the runs of kind study named study: one per mlw tune
// process that worked on it (several when it was resumed or distributed).
func studyRuns(ctx context.Context, e *env, study string) ([]*mlw.Run, error) {
	runs, err := e.store.ListRuns(ctx, &store.ListRunsParams{Kind: "study"})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(runs, func(r *mlw.Run) bool { return r.Name != study }), nil
}

// trialMetrics returns the metrics of a study's trial run by number, from
// whichever process ran it; empty when no finished run is found.
func trialMetrics(ctx context.Context, e *env, number int, study string) (map[string]float64, error) {
	parents, err := studyRuns(ctx, e, study)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%s#%d", study, number)
	for _, p := range parents {
		runs, err := e.store.ListRuns(ctx, &store.ListRunsParams{ParentID: p.ID, Kind: "trial", Status: mlw.RunFinished})
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			if r.Name == name {
				return e.tracker().Metrics(ctx, r.ID)
			}
		}
	}
	return map[string]float64{}, nil
}
