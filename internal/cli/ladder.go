package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"mlw.dev/feature"
	"mlw.dev/internal/gate"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/track"
	"mlw.dev/internal/train"
	"mlw.dev/internal/tune"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
)

// ladderRungs are the rungs of the "start simple" ladder, simplest first.
func ladderRungs(task model.Task) [][]string {
	if task == model.Regression {
		return [][]string{{"linear", "tree"}, {"forest", "gbdt"}, {"mlp"}}
	}
	return [][]string{{"logistic", "tree"}, {"forest", "gbdt"}, {"mlp"}}
}

// interpretability says how well people can follow a kind of model.
var interpretability = map[string]string{
	"logistic": "high (coefficients)", "linear": "high (coefficients)", "tree": "high (readable rules)",
	"forest": "medium (importances)", "extratrees": "medium (importances)", "gbdt": "medium (importances)", "mlp": "low",
}

// ladderModel is one model tried on the ladder.
type ladderModel struct {
	Rung             int                `json:"rung"`
	Model            string             `json:"model"`
	RunID            string             `json:"run_id"`
	Study            string             `json:"study"`
	CVMean           float64            `json:"cv_mean"`
	CVStd            float64            `json:"cv_std"`
	Valid            map[string]float64 `json:"validation"`
	Lift             float64            `json:"lift"`
	FitSeconds       float64            `json:"fit_seconds"`
	LatencyMicros    float64            `json:"latency_us"`
	SizeBytes        int64              `json:"size_bytes"`
	Interpretability string             `json:"interpretability"`
	MeetsTargets     bool               `json:"meets_targets"`
	Targets          string             `json:"targets"`
}

func (app *App) ladderCommand() *cobra.Command {
	var (
		dsRef, splitID string
		trials         int
		budget         time.Duration
		seed           int64
		asJSON         bool
		cvf            cvFlags
		feats          featureFlags
	)
	c := &cobra.Command{
		Use:   "ladder --dataset NAME[@N] --split ID",
		Short: "Climb from the baseline to complex models until the canvas targets are met",
		Long: `"Start simple, add complexity as needed", as a command. The ladder climbs
rungs — the baseline, then simple models (logistic or linear regression, a
decision tree), then ensembles (random forest, gradient boosting), then the
MLP — tuning each model with a small budget of trials (TPE over K-fold CV on
the training part), and stops at the first rung where a model meets the
canvas technical success metrics on the validation part, or climbs to the
top and says that none did.

It prints each model's CV score ± std, validation lift over the baseline,
fit time, single-row latency, bundle size and interpretability, so the choice
between "good enough and simple" and "best" is made on evidence and weighed
against the canvas constraints.

` + cvStrategyHelp + `

--drop-features and --only-features choose the feature columns of every
model, as in mlw train (run the ladder once per feature set to compare
them); the baseline uses no feature.

JSON (--json): ladder_run_id, metric, cv (folds, strategy, by),
drop_features, only_features, baseline (run_id, model, validation), models
(rung, model, run_id, study, cv_mean, cv_std, validation, lift,
fit_seconds, latency_us, size_bytes, interpretability, meets_targets,
targets), stopped_at (rung, or 0 when no rung met the targets), chosen (the
run to evaluate next).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dsRef == "" || splitID == "" {
				return usagef("mlw ladder --dataset NAME --split ID", "--dataset and --split are required")
			}
			if err := cvf.validate("mlw ladder"); err != nil {
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
			metric := e.primaryMetric()
			info, ok := metricLookup.Lookup(metric)
			if !ok {
				return mlw.Errorf(mlw.EINVALID, "evaluation.primary_metric %q is not a metric mlw knows", metric)
			}
			dir := tune.Minimize
			if info.HigherIsBetter {
				dir = tune.Maximize
			}
			var targets []gate.Target
			for _, t := range e.proj.Config.Canvas.SuccessMetrics.Technical {
				targets = append(targets, gate.Target{Metric: t.Metric, Min: t.Min, Max: t.Max})
			}
			tr := e.tracker()
			commit := track.GitCommit(ctx, e.proj.Dir)
			svc := &train.Service{Tracker: tr, Artifacts: e.artifacts}
			baseRun, baseValid, _, err := e.ensureBaseline(ctx, svc, d, seed, commit)
			if err != nil {
				return err
			}
			params := map[string]string{"trials": strconv.Itoa(trials), "cv": strconv.Itoa(cvf.k), "metric": metric, studyAttrCVStrategy: cvc.Strategy}
			for k, v := range map[string]string{studyAttrCVBy: cvc.By, studyAttrDrop: strings.Join(feats.drop, ","), studyAttrOnly: strings.Join(feats.only, ",")} {
				if v != "" {
					params[k] = v
				}
			}
			ladderRun, err := tr.Start(ctx, track.StartParams{Kind: "ladder", DatasetVersionID: d.Version.ID, SplitID: d.Split.ID,
				Params: params, GitCommit: commit, AuditAction: "run.ladder"})
			if err != nil {
				return err
			}
			rungs := ladderRungs(task)
			perModel := time.Duration(0)
			if budget > 0 {
				n := 0
				for _, r := range rungs {
					n += len(r)
				}
				perModel = budget / time.Duration(n)
			}
			prog := newProgress(app.Err, !asJSON)
			var models []ladderModel
			stopped := 0
			for i, rung := range rungs {
				met := false
				for _, kind := range rung {
					prog.Step("rung %d: tuning %s", i+1, kind)
					space, err := tune.DefaultSpace(kind, task)
					if err != nil {
						return err
					}
					study := fmt.Sprintf("ladder-%s-%s", ladderRun.ID, kind)
					sr, err := e.runStudy(ctx, d, studySpec{Name: study, Kind: kind, Space: space,
						Sampler: tune.TPESampler{Seed: uint64(seed)}, Metric: metric, Dir: dir, Trials: trials, Timeout: perModel,
						CV: cvf.k, CVConfig: cvc, Features: feats, Parallel: 1, Seed: seed, ParentID: ladderRun.ID}, prog)
					if err != nil {
						tr.Fail(ctx, ladderRun.ID, err)
						return err
					}
					lm := ladderModel{Rung: i + 1, Model: kind, RunID: sr.refit.Run.ID, Study: study, CVMean: sr.result.Best.Value,
						CVStd: sr.bestMetrics["cv."+metric+".std"], Valid: sr.refit.Valid, FitSeconds: sr.refit.FitTime.Seconds(),
						SizeBytes: sr.refit.BundleInfo.Size, Interpretability: interpretability[kind]}
					lm.Lift, _ = liftOf(metric, sr.refit.Valid, baseValid)
					lm.LatencyMicros = rowLatency(sr.refit.Bundle, d)
					it := gate.CheckTargets(targets, sr.refit.Valid, "validation")
					lm.MeetsTargets, lm.Targets = it.Status == gate.Pass, it.Evidence
					met = met || lm.MeetsTargets
					models = append(models, lm)
				}
				if met {
					stopped = i + 1
					break
				}
			}
			prog.Done()
			if _, err := tr.Finish(ctx, ladderRun.ID); err != nil {
				return err
			}
			chosen := chooseLadder(models, stopped, info.HigherIsBetter, metric)
			if asJSON {
				out := map[string]any{
					"baseline": map[string]any{"run_id": baseRun.ID, "model": baseRun.Model, "validation": baseValid},
					"metric":   metric, "models": models, "stopped_at": stopped, "chosen": chosen, "ladder_run_id": ladderRun.ID,
					"cv": map[string]any{"folds": cvf.k, "strategy": cvc.Strategy, "by": cvc.By},
				}
				if len(feats.drop) > 0 {
					out["drop_features"] = feats.drop
				}
				if len(feats.only) > 0 {
					out["only_features"] = feats.only
				}
				return writeJSON(app.Out, out)
			}
			tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "RUNG\tMODEL\tCV %s\tVALID\tLIFT\tFIT\tLATENCY\tSIZE\tINTERPRETABILITY\tTARGETS\n", metric)
			fmt.Fprintf(tw, "0\t%s\t-\t%.4f\t-\t-\t-\t-\thigh\tbaseline\n", baseRun.Model, baseValid[metric])
			for _, m := range models {
				mark := "not met"
				if m.MeetsTargets {
					mark = "met"
				}
				fmt.Fprintf(tw, "%d\t%s\t%.4f ± %.4f\t%.4f\t%+.4f\t%.2fs\t%.0fµs\t%s\t%s\t%s\n", m.Rung, m.Model, m.CVMean, m.CVStd, m.Valid[metric], m.Lift,
					m.FitSeconds, m.LatencyMicros, humanBytes(m.SizeBytes), m.Interpretability, mark)
			}
			tw.Flush()
			if stopped > 0 {
				fmt.Fprintf(app.Out, "\nstopped at rung %d: it meets the canvas targets; simpler models are easier to run and explain.\n", stopped)
			} else {
				fmt.Fprintln(app.Out, "\nno rung meets the canvas targets: climbed to the top. Revisit the targets, the features or the data.")
			}
			fmt.Fprintf(app.Out, "Next: mlw evaluate %s --on validation\n", chosen)
			return nil
		},
	}
	c.Flags().StringVar(&dsRef, "dataset", "", "dataset version NAME[@N]")
	c.Flags().StringVar(&splitID, "split", "", "split ID")
	c.Flags().IntVar(&trials, "trials", 5, "tuning trials per model")
	cvf.register(c)
	feats.register(c)
	c.Flags().DurationVar(&budget, "budget", 0, "total time budget, shared by the models (e.g. 5m)")
	c.Flags().Int64Var(&seed, "seed", 0, "random seed")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// chooseLadder picks the best validation model of the rung the ladder stopped
// at, or of all rungs when none met the targets.
func chooseLadder(models []ladderModel, stopped int, higher bool, metric string) string {
	best := ""
	bestV := 0.0
	for _, m := range models {
		if stopped > 0 && (m.Rung != stopped || !m.MeetsTargets) {
			continue
		}
		v := m.Valid[metric]
		if best == "" || higher && v > bestV || !higher && v < bestV {
			best, bestV = m.RunID, v
		}
	}
	return best
}

// rowLatency is the median single-row prediction time in microseconds.
func rowLatency(b *bundle.Bundle, d *train.Data) float64 {
	rp := b.NewRowPredictor()
	row := make([]feature.Value, len(b.Pipeline.Inputs))
	for k, in := range b.Pipeline.Inputs {
		row[k] = cellValue(d.Frame.Column(in.Name), 0)
	}
	lat := make([]time.Duration, 301)
	for i := range lat {
		start := time.Now()
		_, _ = rp.Predict(row)
		lat[i] = time.Since(start)
	}
	slices.Sort(lat)
	return float64(lat[len(lat)/2].Nanoseconds()) / 1e3
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0fkB", float64(n)/(1<<10))
	}
	return strings.TrimSpace(fmt.Sprintf("%dB", n))
}
