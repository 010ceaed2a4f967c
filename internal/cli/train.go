package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"mlw.dev/internal/dataset"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
	"mlw.dev/internal/track"
	"mlw.dev/internal/train"
	"mlw.dev/model/bundle"
)

// loadTrainData resolves a dataset version and one of its splits.
func (e *env) loadTrainData(ctx context.Context, ref, splitID string) (*train.Data, error) {
	ds := e.datasets()
	v, err := ds.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	f, err := ds.Load(ctx, v)
	if err != nil {
		return nil, err
	}
	s, a, err := e.loadSplit(ctx, v, splitID)
	if err != nil {
		if mlw.ErrorCode(err) == mlw.ENOTFOUND {
			return nil, mlw.Errorf(mlw.ENOTFOUND, "split %s not found", splitID).WithHint("mlw data split %s creates one", v.Ref())
		}
		return nil, err
	}
	schema, err := dataset.Schema(v)
	if err != nil {
		return nil, err
	}
	return &train.Data{Version: v, Frame: f, Schema: schema, Split: s, Parts: a, Task: e.proj.Config.Task}, nil
}

// baselineKind is the baseline trained for a task.
func baselineKind(task string) string {
	if task == "regression" {
		return "mean"
	}
	return "prior"
}

// primaryMetric is the metric results are compared by.
func (e *env) primaryMetric() string {
	if m := e.proj.Config.Evaluation.PrimaryMetric; m != "" {
		return m
	}
	if e.proj.Config.Task == "regression" {
		return "r2"
	}
	return "accuracy"
}

// ensureBaseline returns the split's baseline run, training it the first time.
func (e *env) ensureBaseline(ctx context.Context, svc *train.Service, d *train.Data, seed int64, commit string) (*mlw.Run, map[string]float64, bool, error) {
	runs, err := e.store.ListRuns(ctx, &store.ListRunsParams{Kind: "baseline", SplitID: d.Split.ID, Status: mlw.RunFinished, Limit: 1})
	if err != nil {
		return nil, nil, false, err
	}
	if len(runs) > 0 {
		m, err := e.tracker().Metrics(ctx, runs[0].ID)
		return runs[0], validOnly(m), false, err
	}
	res, err := svc.Train(ctx, d, train.Spec{Model: baselineKind(d.Task), Seed: seed, RunKind: "baseline", GitCommit: commit})
	if err != nil {
		return nil, nil, false, fmt.Errorf("baseline: %w", err)
	}
	return res.Run, res.Valid, true, nil
}

func validOnly(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if name, ok := strings.CutPrefix(k, "valid."); ok {
			out[name] = v
		}
	}
	return out
}

func (app *App) trainCommand() *cobra.Command {
	var (
		dsRef, splitID, kind, rule string
		reason                     string
		params                     []string
		cv                         int
		seed                       int64
		asJSON, helpParams         bool
		drop, only                 []string
	)
	c := &cobra.Command{
		Use:   "train --dataset NAME[@N] --split ID --model KIND",
		Short: "Train a baseline or a model on a split and log the run",
		Long: `Fit a model on the training part of a split, score it on the validation part
(the test part is never read), and log a run: params, every applicable
metric, learning curves (boosting, MLP), fit time, peak memory, the model
bundle as an artifact, the dataset version and split, and the git commit of
the working directory. The first time a split is used, its baseline (class
priors, or the mean) is trained and logged too, and every result prints its
lift over it.

Models: ` + "`" + `mlw train --model KIND --help-params` + "`" + ` lists a model's parameters
(scikit-learn's names) with their defaults.

JSON (--json): run_id, model, params, metrics (validation: accuracy,
roc_auc (binary), f1_macro, log_loss...; regression: rmse, mae, r2...),
cv (folds, mean, std) with --cv, baseline (run_id, model, metrics),
lift (primary metric minus the baseline's), fit_seconds, bundle (key, size).`,
		Example: "  mlw train --dataset tickets --split s-5a0e50db47 --model gbdt --param learning_rate=0.05 --cv 5",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if kind == "" && rule != "" {
				kind = "rule"
			}
			if helpParams {
				return app.printParams(kind)
			}
			if dsRef == "" || splitID == "" || kind == "" {
				return usagef("mlw train --dataset NAME --split ID --model KIND", "--dataset, --split and --model are required")
			}
			p, err := parseParams(params)
			if err != nil {
				return err
			}
			if rule != "" {
				p["rule"] = rule
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			ctx := c.Context()
			prog := newProgress(app.Err, !asJSON)
			prog.Step("loading %s", dsRef)
			d, err := e.loadTrainData(ctx, dsRef, splitID)
			if err != nil {
				return err
			}
			commit := track.GitCommit(ctx, e.proj.Dir)
			svc := &train.Service{Tracker: e.tracker(), Artifacts: e.artifacts}
			prog.Step("baseline")
			baseRun, baseMetrics, _, err := e.ensureBaseline(ctx, svc, d, seed, commit)
			if err != nil {
				return err
			}
			spec := train.Spec{Model: kind, Params: p, Seed: seed, GitCommit: commit, DropFeatures: drop, OnlyFeatures: only, Metric: e.primaryMetric(), Reason: reason}
			var cvRes *train.CVResult
			if cv > 0 {
				prog.Step("%d-fold cross-validation", cv)
				if cvRes, err = train.CrossValidate(ctx, d, spec, cv); err != nil {
					return err
				}
			}
			prog.Step("training %s", kind)
			res, err := svc.Train(ctx, d, spec)
			if err != nil {
				return err
			}
			if cvRes != nil {
				vals := map[string]float64{}
				for k, v := range cvRes.Mean {
					vals["cv."+k] = v
				}
				for k, v := range cvRes.Std {
					vals["cv."+k+".std"] = v
				}
				if err := e.tracker().LogMetrics(ctx, res.Run.ID, 0, vals); err != nil {
					return err
				}
			}
			prog.Done()
			primary := e.primaryMetric()
			lift, hasLift := liftOf(primary, res.Valid, baseMetrics)
			if asJSON {
				out := map[string]any{
					"run_id": res.Run.ID, "model": kind, "params": res.Run.Params,
					"metrics":     map[string]any{"validation": res.Valid},
					"baseline":    map[string]any{"run_id": baseRun.ID, "model": baseRun.Model, "metrics": map[string]any{"validation": baseMetrics}},
					"fit_seconds": res.FitTime.Seconds(), "peak_rss_mb": res.PeakRSSMB,
					"bundle":     map[string]any{"key": res.BundleInfo.Key, "size": res.BundleInfo.Size},
					"train_rows": res.TrainRows, "valid_rows": res.ValidRows,
				}
				if hasLift {
					out["lift"] = map[string]any{"metric": primary, "value": lift}
				}
				if cvRes != nil {
					out["cv"] = cvRes
				}
				return writeJSON(app.Out, out)
			}
			task, _ := res.Bundle.TaskOf()
			fmt.Fprintf(app.Out, "run %s: %s on %s, split %s (%d training rows, %d validation rows), %.2fs\n",
				res.Run.ID, kind, d.Version.Ref(), d.Split.ID, res.TrainRows, res.ValidRows, res.FitTime.Seconds())
			fmt.Fprintf(app.Out, "  validation: %s\n", train.Describe(task, res.Valid))
			if cvRes != nil {
				fmt.Fprintf(app.Out, "  %d-fold CV on train: %s %.4f ± %.4f\n", cvRes.Folds, primary, cvRes.Mean[primary], cvRes.Std[primary])
			}
			if hasLift {
				fmt.Fprintf(app.Out, "  baseline (%s, run %s): %s %.4f → lift %+.4f\n", baseRun.Model, baseRun.ID, primary, baseMetrics[primary], lift)
			}
			printTopImportances(app.Out, res.Importances, 5)
			printPermutation(app.Out, primary, res.Permutation, 5)
			fmt.Fprintf(app.Out, "Next: mlw runs show %s, or mlw runs compare %s %s\n", res.Run.ID, baseRun.ID, res.Run.ID)
			return nil
		},
	}
	c.Flags().StringVar(&dsRef, "dataset", "", "dataset version NAME[@N]")
	c.Flags().StringVar(&splitID, "split", "", "split ID (mlw data split)")
	c.Flags().StringVar(&kind, "model", "", "model kind: "+strings.Join(bundle.Kinds(), ", "))
	c.Flags().StringArrayVar(&params, "param", nil, "hyperparameter k=v (repeat)")
	c.Flags().StringVar(&rule, "rule", "", "rule baseline: an expression over columns, e.g. 'tenure < 6 && tickets > 3'")
	c.Flags().IntVar(&cv, "cv", 0, "also report K-fold cross-validation on the training part")
	c.Flags().Int64Var(&seed, "seed", 0, "random seed")
	c.Flags().StringSliceVar(&drop, "drop-features", nil, "columns not to use as features")
	c.Flags().StringSliceVar(&only, "only-features", nil, "use only these columns as features")
	c.Flags().BoolVar(&helpParams, "help-params", false, "list the model's parameters with defaults")
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func parseParams(kvs []string) (map[string]string, error) {
	p := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("mlw train --param learning_rate=0.05", "--param %q: want NAME=VALUE", kv)
		}
		p[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return p, nil
}

func (app *App) printParams(kind string) error {
	if kind == "" {
		fmt.Fprintf(app.Out, "models: %s\nmlw train --model KIND --help-params lists one model's parameters\n", strings.Join(bundle.Kinds(), ", "))
		return nil
	}
	est, err := bundle.NewEstimator(kind)
	if err != nil {
		return usagef("mlw train --model gbdt --help-params", "--model: %v", err)
	}
	tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PARAM\tTYPE\tDEFAULT\tMEANING\n")
	for _, s := range est.ParamSpecs() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Type, s.Default, s.Doc)
	}
	return tw.Flush()
}

// liftOf is the primary metric's improvement over the baseline, signed so that
// positive is better.
func liftOf(metric string, m, base map[string]float64) (float64, bool) {
	v, ok1 := m[metric]
	b, ok2 := base[metric]
	if !ok1 || !ok2 {
		return 0, false
	}
	if info, ok := metricLookup.Lookup(metric); ok && !info.HigherIsBetter {
		return b - v, true
	}
	return v - b, true
}

func printTopImportances(w io.Writer, imp map[string]float64, n int) {
	if len(imp) == 0 {
		return
	}
	names := make([]string, 0, len(imp))
	for k := range imp {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if imp[names[i]] != imp[names[j]] {
			return imp[names[i]] > imp[names[j]]
		}
		return names[i] < names[j]
	})
	var parts []string
	for _, k := range names[:min(n, len(names))] {
		parts = append(parts, fmt.Sprintf("%s %.3f", k, imp[k]))
	}
	fmt.Fprintf(w, "  top features: %s\n", strings.Join(parts, ", "))
}

func printPermutation(w io.Writer, metric string, imp []train.Importance, n int) {
	if len(imp) == 0 {
		return
	}
	var parts []string
	for _, x := range imp[:min(n, len(imp))] {
		parts = append(parts, fmt.Sprintf("%s %+.3f", x.Column, x.Mean))
	}
	fmt.Fprintf(w, "  permutation importance (%s drop on validation): %s\n", metric, strings.Join(parts, ", "))
}

// progress prints steps on stderr when it is a terminal.
type progress struct {
	w  io.Writer
	on bool
}

func newProgress(w io.Writer, enabled bool) *progress {
	on := false
	if f, ok := w.(interface{ Fd() uintptr }); ok && enabled {
		on = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, on: on}
}

// Step shows the current step.
func (p *progress) Step(format string, args ...any) {
	if p.on {
		fmt.Fprintf(p.w, "\r\033[K… "+format, args...)
	}
}

// Done clears the progress line.
func (p *progress) Done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
