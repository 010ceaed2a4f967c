package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
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

// tuneTrial is one trial in mlw tune's JSON.
type tuneTrial struct {
	Number int               `json:"number"`
	State  string            `json:"state"`
	Params map[string]string `json:"params"`
	Value  *float64          `json:"value,omitempty"`
	Error  string            `json:"error,omitempty"`
}

func (app *App) tuneCommand() *cobra.Command {
	var (
		dsRef, splitID, kind, search, metric, spaceFile, study string
		trials, cv, parallel                                   int
		timeout                                                time.Duration
		seed                                                   int64
		asJSON                                                 bool
	)
	c := &cobra.Command{
		Use:   "tune --dataset NAME[@N] --split ID --model KIND",
		Short: "Tune hyperparameters with grid, random or Bayesian (TPE) search on cross-validation",
		Long: `Search a model's hyperparameters by K-fold cross-validation on the training
part of a split (the validation and test parts are never read), with grid,
random or TPE (Bayesian, Optuna's defaults, constant liar for parallel
trials) search and median pruning across folds. Each trial is a child run
(params, CV metrics, state complete, pruned or failed); the best params are
refit on the whole training part and logged as a run ready for evaluation.

Spaces default to what a practitioner would choose per model; --space FILE
(YAML) overrides them:
  gbdt:
    extends: default
    params:
      learning_rate: {type: float, low: 0.01, high: 0.2, log: true}
      max_leaf_nodes: [15, 31, 63]

--study NAME names the study; running the same command again continues it
when the store keeps studies (trials already finished are not lost).

JSON (--json): study, metric, direction, best_params, best_score, best_std,
best_run_id (the refit model's run), trials (number, state, params, value).`,
		Example: "  mlw tune --dataset tickets --split s-5a0e50db47 --model gbdt --search tpe --trials 30 --cv 3",
		Args:    cobra.NoArgs,
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
			if cv < 2 {
				return usagef("mlw tune --cv 3", "--cv %d: want at least 2 folds", cv)
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
				Trials: trials, Timeout: timeout, CV: cv, Parallel: parallel, Seed: seed}, newProgress(app.Err, !asJSON))
			if err != nil {
				return err
			}
			studyRun, result, refit, bestTrial := sr.run, sr.result, sr.refit, sr.bestMetrics
			std := bestTrial["cv."+metric+".std"]
			ts := []tuneTrial{}
			for _, t := range result.Trials {
				tt := tuneTrial{Number: t.Number, State: string(t.State), Params: t.Params, Error: t.Error}
				if t.State == tune.StateComplete {
					v := t.Value
					tt.Value = &v
				}
				ts = append(ts, tt)
			}
			sort.Slice(ts, func(i, j int) bool { return ts[i].Number < ts[j].Number })
			if asJSON {
				return writeJSON(app.Out, map[string]any{
					"study": study, "study_run_id": studyRun.ID, "metric": metric, "direction": string(dir),
					"best_params": result.Best.Params, "best_score": result.Best.Value, "best_std": std,
					"best_trial": result.Best.Number, "best_run_id": refit.Run.ID, "trials": ts,
				})
			}
			counts := map[string]int{}
			for _, t := range result.Trials {
				counts[string(t.State)]++
			}
			fmt.Fprintf(app.Out, "study %s (run %s): %d trials (%d complete, %d pruned, %d failed)\n", study, studyRun.ID, len(result.Trials), counts["complete"], counts["pruned"], counts["failed"])
			fmt.Fprintf(app.Out, "best trial %d: %s %.4f ± %.4f (%d-fold CV on the training part)\n", result.Best.Number, metric, result.Best.Value, std, cv)
			var ps []string
			for _, k := range sortedKeys(result.Best.Params) {
				ps = append(ps, k+"="+result.Best.Params[k])
			}
			fmt.Fprintf(app.Out, "  params: %s\n", strings.Join(ps, " "))
			fmt.Fprintf(app.Out, "refit on the whole training part: run %s, validation %s\n", refit.Run.ID, train.Describe(task, refit.Valid))
			fmt.Fprintf(app.Out, "Next: mlw evaluate %s --on validation\n", refit.Run.ID)
			return nil
		},
	}
	c.Flags().StringVar(&dsRef, "dataset", "", "dataset version NAME[@N]")
	c.Flags().StringVar(&splitID, "split", "", "split ID")
	c.Flags().StringVar(&kind, "model", "", "model kind")
	c.Flags().StringVar(&search, "search", "tpe", "grid, random or tpe")
	c.Flags().IntVar(&trials, "trials", 20, "number of trials in the study (a cap across runs of the same study)")
	c.Flags().DurationVar(&timeout, "timeout", 0, "stop starting trials after this long (e.g. 10m)")
	c.Flags().IntVar(&cv, "cv", 3, "cross-validation folds on the training part")
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
	Name     string
	Kind     string
	Space    *tune.Space
	Sampler  tune.Sampler
	Metric   string
	Dir      tune.Direction
	Trials   int
	Timeout  time.Duration
	CV       int
	Parallel int
	Seed     int64
	ParentID string
}

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
	studyRun, err := tr.Start(ctx, track.StartParams{Kind: "study", Name: study, Model: kind, DatasetVersionID: d.Version.ID, SplitID: d.Split.ID,
		Params: map[string]string{"cv": strconv.Itoa(cv), "metric": metric, "space": sp.Space.String()}, GitCommit: commit, AuditAction: "run.study", ParentID: sp.ParentID})
	if err != nil {
		return nil, err
	}
	best := -1e308
	if dir == tune.Minimize {
		best = 1e308
	}
	cfg := tune.Config{Study: study, Direction: dir, Space: sp.Space, Sampler: sp.Sampler, Seed: uint64(seed),
		Pruner: tune.MedianPruner{}, Storage: storage, Trials: sp.Trials, Timeout: sp.Timeout, Parallel: max(sp.Parallel, 1),
		Attrs: map[string]string{"model": kind, "split": d.Split.ID, "metric": metric},
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
	objective := func(ctx context.Context, t *tune.Trial) (float64, error) {
		spec := train.Spec{Model: kind, Params: t.Params, Seed: seed}
		trialRun, err := tr.Start(ctx, track.StartParams{ParentID: studyRun.ID, Kind: "trial", Name: fmt.Sprintf("%s#%d", study, t.Number), Model: kind,
			DatasetVersionID: d.Version.ID, SplitID: d.Split.ID, Params: t.Params})
		if err != nil {
			return 0, err
		}
		res, err := train.CrossValidateEach(ctx, d, spec, cv, func(fold int, s map[string]float64) error {
			if err := t.Report(fold, s[metric]); err != nil {
				return err
			}
			if t.ShouldPrune() {
				return tune.ErrPruned
			}
			return nil
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
		tr.Fail(ctx, studyRun.ID, errors.New("no trial completed"))
		return nil, mlw.Errorf(mlw.EINVALID, "study %s: no trial completed", study)
	}
	// Refit the best params on the whole training part.
	svc := &train.Service{Tracker: tr, Artifacts: e.artifacts}
	if _, _, _, err := e.ensureBaseline(ctx, svc, d, seed, commit); err != nil {
		return nil, err
	}
	refit, err := svc.Train(ctx, d, train.Spec{Model: kind, Params: result.Best.Params, Seed: seed, ParentRunID: studyRun.ID,
		Tags: map[string]string{"study": study, "trial": strconv.Itoa(result.Best.Number)}, GitCommit: commit, Metric: e.primaryMetric()})
	if err != nil {
		return nil, err
	}
	bestTrial, err := trialMetrics(ctx, e, studyRun.ID, result.Best.Number, study)
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

// trialMetrics returns the metrics of a study's trial run by number.
func trialMetrics(ctx context.Context, e *env, studyRunID string, number int, study string) (map[string]float64, error) {
	runs, err := e.store.ListRuns(ctx, &store.ListRunsParams{ParentID: studyRunID})
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%s#%d", study, number)
	for _, r := range runs {
		if r.Name == name {
			return e.tracker().Metrics(ctx, r.ID)
		}
	}
	return map[string]float64{}, nil
}
