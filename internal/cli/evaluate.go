package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"mlw.dev/frame"
	"mlw.dev/internal/evaluate"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/report"
	"mlw.dev/internal/store"
	"mlw.dev/internal/track"
	"mlw.dev/internal/train"
	"mlw.dev/metrics"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
	"mlw.dev/split"
)

func (app *App) evaluateCommand() *cobra.Command {
	var (
		on, htmlOut string
		segments    []string
		resamples   int
		asJSON      bool
	)
	c := &cobra.Command{
		Use:   "evaluate RUN --on validation|test",
		Short: "Evaluate a run on validation or test: lift over the baseline, segments, fairness, calibration, error slices",
		Long: `Evaluate a trained run on the validation or test part of its split: every
metric with its lift over the split's baseline and a paired bootstrap 95%
confidence interval; metrics per segment (--segments, else data.segments and
data.sensitive) with gaps flagged against evaluation.max_segment_gap;
fairness figures for sensitive columns; the calibration curve and ECE;
confusion matrix, ROC and precision-recall curves, the cost-minimising
threshold from evaluation.costs; residuals for regression; permutation
importance; and error analysis: slices whose error rate is significantly
above the overall rate (exact binomial test, Benjamini-Hochberg), ranked by
excess errors, with examples of the errors.

Every evaluation is recorded as a run (kind evaluation). Evaluations on the
test part are counted per split: evaluating a second model on the same test
part warns that choices made from test scores overfit the test set, and mlw
status shows the count.

JSON (--json): metrics, baseline_metrics, lift (per metric: model, baseline,
lift, ci_low, ci_high, verdict), segments, fairness, calibration,
confusion_matrix, roc_curve, pr_curve, threshold, residuals,
permutation_importance, error_analysis, slices (conditions, slice, rows,
errors, error_share, error_rate, p_value, q_value, summary), examples,
evaluation_run_id, test_evaluations.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var part split.Part
			if err := part.UnmarshalText([]byte(on)); err != nil || part == split.Train {
				return usagef("mlw evaluate RUN --on validation|test", "--on %q: want validation or test", on)
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			ctx := c.Context()
			run, err := e.store.GetRun(ctx, args[0])
			if err != nil {
				return err
			}
			rep, evalRun, testCount, err := e.evaluateRun(c, run, part, segments, resamples, htmlOut)
			if err != nil {
				return err
			}
			task, _ := taskOfReport(rep)
			splitID := evalRun.SplitID
			if asJSON {
				return writeJSON(app.Out, struct {
					*evaluate.Report
					EvaluationRunID string `json:"evaluation_run_id"`
					TestEvaluations int    `json:"test_evaluations"`
				}{rep, evalRun.ID, testCount})
			}
			app.printEvaluation(rep, task)
			if part == split.Test && testCount > 1 {
				fmt.Fprintf(app.Err, "warning: %d different models have now been evaluated on the test part of split %s: choices made from test scores overfit the test set\n", testCount, splitID)
			}
			if htmlOut != "" {
				fmt.Fprintf(app.Out, "\nwrote %s\n", htmlOut)
			}
			return nil
		},
	}
	c.Flags().StringVar(&on, "on", "", "validation or test")
	c.Flags().StringSliceVar(&segments, "segments", nil, "columns to report metrics by (default: data.segments)")
	c.Flags().StringVar(&htmlOut, "html", "", "also write a self-contained HTML report to FILE")
	c.Flags().IntVar(&resamples, "resamples", 0, "bootstrap resamples for the confidence intervals (default 1000)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// evaluateRun evaluates a training run on a part of its split against the
// split's baseline, records the evaluation and returns it with the number of
// models evaluated on that split's test part.
func (e *env) evaluateRun(c *cobra.Command, run *mlw.Run, part split.Part, segments []string, resamples int, htmlOut string) (*evaluate.Report, *mlw.Run, int, error) {
	ctx := c.Context()
	if run.Kind != "train" && run.Kind != "baseline" {
		return nil, nil, 0, mlw.Errorf(mlw.EINVALID, "run %s is a %s run: evaluate a training run", run.ID, run.Kind)
	}
	b, _, err := e.loadBundle(ctx, run.ID)
	if err != nil {
		return nil, nil, 0, err
	}
	dv, err := e.store.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{ID: run.DatasetVersionID})
	if err != nil {
		return nil, nil, 0, err
	}
	d, err := e.loadTrainData(ctx, dv.Ref().String(), run.SplitID)
	if err != nil {
		return nil, nil, 0, err
	}
	rows, target, err := evaluationRows(d, b, part)
	if err != nil {
		return nil, nil, 0, err
	}
	svc := &train.Service{Tracker: e.tracker(), Artifacts: e.artifacts}
	baseRun, _, _, err := e.ensureBaseline(ctx, svc, d, d.Split.Seed, "")
	if err != nil {
		return nil, nil, 0, err
	}
	baseBundle, _, err := e.loadBundle(ctx, baseRun.ID)
	if err != nil {
		return nil, nil, 0, err
	}
	evalFrame := d.Frame.Take(rows)
	basePreds, err := baseBundle.PredictFrame(evalFrame)
	if err != nil {
		return nil, nil, 0, err
	}
	features, err := evalFrame.Drop(dv.Roles.Target)
	if err != nil {
		return nil, nil, 0, err
	}
	task, _ := b.TaskOf()
	cfg := &e.proj.Config
	if len(segments) == 0 {
		segments = slices.Clone(dv.Roles.Segments)
	}
	var sliceCols []string
	for _, name := range features.Names() {
		if name != dv.Roles.ID && name != dv.Roles.Time && features.Column(name).Type() != frame.TypeText {
			sliceCols = append(sliceCols, name)
		}
	}
	in := &evaluate.Input{
		Task: task, Classes: b.Classes, Target: target, Baseline: basePreds, Rows: features, Model: b,
		PrimaryMetric: e.primaryMetric(),
		Costs:         metrics.Costs{FP: cfg.Evaluation.Costs.FalsePositive, FN: cfg.Evaluation.Costs.FalseNegative},
		Segments:      segments, Sensitive: dv.Roles.Sensitive, MaxSegmentGap: cfg.Evaluation.MaxSegmentGap,
		SliceColumns: sliceCols, Seed: uint64(d.Split.Seed),
		RunID: run.ID, ModelKind: run.Model, Part: part.String(), BaselineRunID: baseRun.ID, BaselineKind: baseRun.Model,
	}
	for _, m := range cfg.Canvas.SuccessMetrics.Technical {
		switch {
		case m.Metric == "precision" && m.Min != nil:
			in.TargetPrecision = *m.Min
		case m.Metric == "recall" && m.Min != nil:
			in.TargetRecall = *m.Min
		}
	}
	rep, err := evaluate.Evaluate(ctx, in, evaluate.Options{Resamples: resamples})
	if err != nil {
		return nil, nil, 0, mlw.Errorf(mlw.EINVALID, "%v", err)
	}
	evalRun, testCount, err := e.recordEvaluation(c, run, d, part, rep, htmlOut)
	if err != nil {
		return nil, nil, 0, err
	}
	return rep, evalRun, testCount, nil
}

func taskOfReport(r *evaluate.Report) (model.Task, error) {
	switch r.Task {
	case "regression":
		return model.Regression, nil
	case "binary":
		return model.BinaryClassification, nil
	}
	return model.MulticlassClassification, nil
}

// evaluationRows returns the rows of a part with a target the model knows, and
// their targets as class codes (in the bundle's class order) or values.
func evaluationRows(d *train.Data, b *bundle.Bundle, part split.Part) ([]int, []float64, error) {
	ycol := d.Frame.Column(d.Version.Roles.Target)
	if ycol == nil {
		return nil, nil, mlw.Errorf(mlw.EINVALID, "dataset %s has no target column", d.Version.Ref())
	}
	code := map[string]int{}
	for i, c := range b.Classes {
		code[c] = i
	}
	var rows []int
	var y []float64
	for _, r := range d.Parts.Rows(part) {
		if ycol.IsMissing(r) {
			continue
		}
		if b.Task == "regression" {
			rows, y = append(rows, r), append(y, ycol.(*frame.Numeric).Values()[r])
			continue
		}
		if k, ok := code[ycol.Cell(r)]; ok {
			rows, y = append(rows, r), append(y, float64(k))
		}
	}
	if len(rows) == 0 {
		return nil, nil, mlw.Errorf(mlw.EINVALID, "the %s part of split %s has no rows to evaluate", part, d.Split.ID)
	}
	return rows, y, nil
}

// recordEvaluation logs the evaluation as a child run of the evaluated run and
// returns it with the number of distinct runs evaluated on this split's test part.
func (e *env) recordEvaluation(c *cobra.Command, run *mlw.Run, d *train.Data, part split.Part, rep *evaluate.Report, htmlOut string) (*mlw.Run, int, error) {
	ctx := c.Context()
	tr := e.tracker()
	ev, err := tr.Start(ctx, track.StartParams{
		ParentID: run.ID, Kind: "evaluation", Model: run.Model, DatasetVersionID: d.Version.ID, SplitID: d.Split.ID,
		Tags: map[string]string{"part": part.String()}, AuditAction: "run.evaluate",
	})
	if err != nil {
		return nil, 0, err
	}
	fail := func(err error) (*mlw.Run, int, error) {
		tr.Fail(ctx, ev.ID, err)
		return nil, 0, err
	}
	vals := map[string]float64{}
	for k, v := range rep.Metrics {
		vals[part.String()+"."+k] = v
	}
	for k, l := range rep.Lift {
		vals["lift."+k] = l.Lift
	}
	if err := tr.LogMetrics(ctx, ev.ID, 0, vals); err != nil {
		return fail(err)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		return fail(err)
	}
	info, err := e.artifacts.PutBytes(ctx, js)
	if err != nil {
		return fail(err)
	}
	if err := e.store.AddRunArtifact(ctx, &store.AddRunArtifactParams{RunID: ev.ID, Artifact: mlw.RunArtifact{Name: "evaluation.json", Key: info.Key, Size: info.Size}}); err != nil {
		return fail(err)
	}
	if htmlOut != "" {
		page, err := report.EvaluationHTML(rep, fmt.Sprintf("Evaluation of %s (%s) on %s", run.ID, run.Model, part))
		if err != nil {
			return fail(err)
		}
		if err := writeFile(e.app.abs(htmlOut), page); err != nil {
			return fail(err)
		}
	}
	done, err := tr.Finish(ctx, ev.ID)
	if err != nil {
		return nil, 0, err
	}
	count, err := e.testEvaluations(ctx, d.Split.ID)
	return done, count, err
}

// testEvaluations counts the distinct runs evaluated on a split's test part.
func (e *env) testEvaluations(ctx context.Context, splitID string) (int, error) {
	evs, err := e.store.ListRuns(ctx, &store.ListRunsParams{Kind: "evaluation", SplitID: splitID, Status: mlw.RunFinished})
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	for _, r := range evs {
		if r.Tags["part"] == "test" {
			seen[r.ParentID] = true
		}
	}
	return len(seen), nil
}

func (app *App) printEvaluation(r *evaluate.Report, task model.Task) {
	out := app.Out
	fmt.Fprintf(out, "%s (%s) on %s: %d rows, baseline %s\n\n", r.RunID, r.Model, r.Part, r.Rows, r.Baseline)
	keys := []string{"accuracy", "balanced_accuracy", "roc_auc", "f1_macro", "log_loss", "brier", "ece"}
	if task == model.Regression {
		keys = []string{"r2", "rmse", "mae", "median_ae"}
	}
	fmt.Fprintf(out, "%-18s %9s %9s %9s  %s\n", "METRIC", "MODEL", "BASELINE", "LIFT", "95% CI, VERDICT")
	for _, k := range keys {
		l, ok := r.Lift[k]
		if !ok {
			if v, ok := r.Metrics[k]; ok {
				fmt.Fprintf(out, "%-18s %9.4f\n", k, v)
			}
			continue
		}
		fmt.Fprintf(out, "%-18s %9.4f %9.4f %+9.4f  [%+.4f, %+.4f] %s\n", k, l.Model, l.Baseline, l.Lift, float64(l.Low), float64(l.High), l.Verdict)
	}
	var flagged []string
	for _, s := range r.Segments {
		if s.Flagged {
			flagged = append(flagged, fmt.Sprintf("%s (%d rows, gap %.3f)", s.Segment, s.Rows, float64(s.Gap)))
		}
	}
	if len(flagged) > 0 {
		fmt.Fprintf(out, "\nsegments beyond the allowed gap: %s\n", strings.Join(flagged, "; "))
	}
	if len(r.Slices) > 0 {
		fmt.Fprintln(out, "\nerror analysis:")
		for i, s := range r.Slices {
			if i == 3 {
				break
			}
			fmt.Fprintf(out, "  %s\n", s.Summary)
		}
	}
}
