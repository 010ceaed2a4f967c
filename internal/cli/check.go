package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/internal/audit"
	"mlw.dev/internal/evaluate"
	"mlw.dev/internal/gate"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
	"mlw.dev/internal/train"
	"mlw.dev/model/bundle"
	"mlw.dev/split"
)

func (app *App) checkCommand() *cobra.Command {
	var (
		asJSON       bool
		sign, reason string
	)
	c := &cobra.Command{
		Use:   "check NAME@N",
		Short: "Run the pre-production gate on a model version",
		Long: `Run the evaluation checklist and pre-production validation of a model version.
Each item is pass, fail, needs sign-off, signed or skipped, with its evidence:

  success_metrics   the canvas technical success metrics are met on the test part
  beats_baseline    the primary metric's lift over the baseline is positive with 95% confidence
  segment_gaps      no segment is worse than overall beyond evaluation.max_segment_gap
  fairness          no sensitive column's parity or equalized-odds gap beyond the limit
  calibration       expected calibration error within evaluation.max_ece (probabilistic models)
  edge_cases        all-missing rows, unseen categories, out-of-range numbers and empty
                    strings predict without error
  latency           single-row p99 latency within canvas.constraints.latency_p99_ms
  save_load         the bundle reloaded from its bytes predicts identically
  recent_data       the most recent fifth of the test rows is not worse beyond the gap
  beats_champion    improves on the current champion by evaluation.promotion

The test-part evaluation is the version's latest one (mlw evaluate RUN --on
test), made now if there is none. Items no program can check (privacy review,
fairness audit, security scan, rollback plan, on-call, stakeholders informed,
support trained) are signed with --sign ITEM --reason TEXT, recorded in the
audit trail. Aliasing a version champion requires its latest check to pass,
or mlw model alias ... --override --reason.

Exit status: 1 when the gate does not pass.

JSON (--json): model, passed, failed, unsigned, items (id, title, status, evidence).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			if sign != "" {
				return app.signItem(c, e, args[0], sign, reason)
			}
			res, err := e.runCheck(c, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(app.Out, res); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
				fmt.Fprintf(tw, "CHECK\tSTATUS\tEVIDENCE\n")
				for _, it := range res.Items {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", it.ID, it.Status, it.Evidence)
				}
				tw.Flush()
				verdict := "PASSES"
				if !res.Passed {
					verdict = fmt.Sprintf("does not pass: %d failed, %d to sign off", res.Failed, res.Unsigned)
				}
				fmt.Fprintf(app.Out, "\ngate for %s %s\n", res.Model, verdict)
			}
			if !res.Passed {
				return &exitError{code: ExitError}
			}
			return nil
		},
	}
	c.Flags().StringVar(&sign, "sign", "", "sign off an item: "+signOffNames())
	c.Flags().StringVar(&reason, "reason", "", "evidence for the sign-off (required with --sign)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func signOffNames() string {
	var n []string
	for _, it := range gate.SignOffItems {
		n = append(n, it.ID)
	}
	return strings.Join(n, ", ")
}

func (app *App) signItem(c *cobra.Command, e *env, ref, item, reason string) error {
	if !gate.IsSignOff(item) {
		return usagef("mlw check NAME@N --sign rollback_plan --reason TEXT", "--sign %q: want one of %s", item, signOffNames())
	}
	if strings.TrimSpace(reason) == "" {
		return usagef("mlw check NAME@N --sign ITEM --reason TEXT", "--sign needs --reason (the evidence)")
	}
	v, err := e.registry().Resolve(c.Context(), ref)
	if err != nil {
		return err
	}
	ev := audit.New(app.Now(), e.actor, "check.sign", v.Ref().String(), reason, map[string]string{"item": item})
	if _, err := e.store.AppendAudit(c.Context(), appendParams(ev)); err != nil {
		return err
	}
	fmt.Fprintf(app.Out, "%s: %s signed off by %s\n", v.Ref(), item, e.actor)
	return nil
}

// signedItems returns the sign-offs recorded for a version: item → evidence.
func (e *env) signedItems(ctx context.Context, ref string) (map[string]string, error) {
	evs, err := e.store.ListAudit(ctx, &store.ListAuditParams{Target: ref, ActionPrefix: "check.sign"})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, ev := range evs {
		var d struct{ Item string }
		if json.Unmarshal(ev.Details, &d) == nil && d.Item != "" {
			out[d.Item] = fmt.Sprintf("signed by %s on %s: %s", ev.Actor, ev.Time.Format("2006-01-02"), ev.Reason)
		}
	}
	return out, nil
}

// latestCheck returns whether the latest recorded check of a version passed.
func (e *env) latestCheck(ctx context.Context, ref string) (passed, found bool, err error) {
	res, err := e.latestCheckResult(ctx, ref)
	if err != nil || res == nil {
		return false, false, err
	}
	return res.Passed, true, nil
}

// latestCheckResult returns the latest recorded check of a version, or nil.
func (e *env) latestCheckResult(ctx context.Context, ref string) (*gate.Result, error) {
	evs, err := e.store.ListAudit(ctx, &store.ListAuditParams{Target: ref, ActionPrefix: "check.run"})
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	res := &gate.Result{Model: ref}
	if err := json.Unmarshal(evs[len(evs)-1].Details, res); err != nil {
		return nil, fmt.Errorf("check of %s: %w", ref, err)
	}
	return res, nil
}

// testEvaluation returns the latest test-part evaluation of a run, made now if
// there is none.
func (e *env) testEvaluation(c *cobra.Command, run *mlw.Run) (*evaluate.Report, error) {
	rep, err := e.latestTestEvaluation(c.Context(), run)
	if err != nil || rep != nil {
		return rep, err
	}
	rep, _, _, err = e.evaluateRun(c, run, split.Test, nil, 500, "")
	return rep, err
}

// latestTestEvaluation returns the latest test-part evaluation of a run, or
// nil when there is none.
func (e *env) latestTestEvaluation(ctx context.Context, run *mlw.Run) (*evaluate.Report, error) {
	evs, err := e.store.ListRuns(ctx, &store.ListRunsParams{ParentID: run.ID, Kind: "evaluation", Status: mlw.RunFinished})
	if err != nil {
		return nil, err
	}
	for _, ev := range evs { // newest first
		if ev.Tags["part"] != "test" {
			continue
		}
		arts, err := e.store.ListRunArtifacts(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range arts {
			if a.Name == "evaluation.json" {
				b, err := e.artifacts.Get(ctx, a.Key)
				if err != nil {
					return nil, err
				}
				var rep evaluate.Report
				if err := json.Unmarshal(b, &rep); err != nil {
					return nil, fmt.Errorf("evaluation %s: %w", ev.ID, err)
				}
				return &rep, nil
			}
		}
	}
	return nil, nil
}

// runCheck runs the gate on a version and records the outcome.
func (e *env) runCheck(c *cobra.Command, ref string) (*gate.Result, error) {
	ctx := c.Context()
	cfg := &e.proj.Config
	v, err := e.registry().Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	run, err := e.store.GetRun(ctx, v.RunID)
	if err != nil {
		return nil, err
	}
	data, err := e.artifacts.Get(ctx, v.ArtifactKey)
	if err != nil {
		return nil, err
	}
	b, err := bundle.Decode(v.Ref().String(), data)
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "%v", err)
	}
	rep, err := e.testEvaluation(c, run)
	if err != nil {
		return nil, err
	}
	dv, err := e.store.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{ID: run.DatasetVersionID})
	if err != nil {
		return nil, err
	}
	d, err := e.loadTrainData(ctx, dv.Ref().String(), run.SplitID)
	if err != nil {
		return nil, err
	}
	rows, target, err := evaluationRows(d, b, split.Test)
	if err != nil {
		return nil, err
	}
	testFrame := d.Frame.Take(rows)
	primary := e.primaryMetric()
	higher := true
	if info, ok := metricLookup.Lookup(primary); ok {
		higher = info.HigherIsBetter
	}
	maxGap := cfg.Evaluation.MaxSegmentGap
	if maxGap == 0 {
		maxGap = 0.05
	}

	var items []gate.Item
	var targets []gate.Target
	for _, t := range cfg.Canvas.SuccessMetrics.Technical {
		targets = append(targets, gate.Target{Metric: t.Metric, Min: t.Min, Max: t.Max})
	}
	items = append(items, gate.CheckTargets(targets, rep.Metrics, "test"))

	it := gate.Item{ID: "beats_baseline", Title: "Beats the baseline"}
	if l, ok := rep.Lift[primary]; ok {
		it.Evidence = fmt.Sprintf("%s %.4f vs baseline %.4f: lift %+.4f, 95%% CI %+.4f to %+.4f", primary, l.Model, l.Baseline, l.Lift, float64(l.Low), float64(l.High))
		it.Status = gate.Fail
		if l.Verdict == evaluate.Better {
			it.Status = gate.Pass
		}
	} else {
		it.Status, it.Evidence = gate.Fail, "no baseline comparison for "+primary
	}
	items = append(items, it)

	it = gate.Item{ID: "segment_gaps", Title: "Segment gaps within evaluation.max_segment_gap"}
	var flagged []string
	for _, s := range rep.Segments {
		// Judged against today's limit, whatever it was at evaluation time.
		if !s.Small && !math.IsNaN(float64(s.Gap)) && float64(s.Gap) > maxGap {
			flagged = append(flagged, fmt.Sprintf("%s %.3f", s.Segment, float64(s.Gap)))
		}
	}
	switch {
	case len(rep.Segments) == 0:
		it.Status, it.Evidence = gate.Skipped, "no segment columns"
	case len(flagged) > 0:
		it.Status, it.Evidence = gate.Fail, fmt.Sprintf("beyond %.2f: %s", maxGap, strings.Join(flagged, "; "))
	default:
		it.Status, it.Evidence = gate.Pass, fmt.Sprintf("%d segments within %.2f", len(rep.Segments), maxGap)
	}
	items = append(items, it)

	it = gate.Item{ID: "fairness", Title: "Fairness gaps within the limit"}
	flagged = nil
	for _, f := range rep.Fairness {
		if f.Flagged {
			flagged = append(flagged, f.Column)
		}
	}
	switch {
	case len(rep.Fairness) == 0:
		it.Status, it.Evidence = gate.Skipped, "no sensitive columns (data.sensitive)"
	case len(flagged) > 0:
		it.Status, it.Evidence = gate.Fail, "flagged: "+strings.Join(flagged, ", ")
	default:
		it.Status, it.Evidence = gate.Pass, fmt.Sprintf("%d sensitive column(s) within the limit", len(rep.Fairness))
	}
	items = append(items, it)

	it = gate.Item{ID: "calibration", Title: "Calibration within evaluation.max_ece"}
	maxECE := cfg.Evaluation.MaxECE
	if maxECE == 0 {
		maxECE = 0.1
	}
	if rep.Calibration == nil {
		it.Status, it.Evidence = gate.Skipped, "not a probabilistic binary model"
	} else {
		it.Evidence = fmt.Sprintf("ECE %.4f (limit %.2f), Brier %.4f", rep.Calibration.ECE, maxECE, rep.Calibration.Brier)
		it.Status = gate.Pass
		if rep.Calibration.ECE > maxECE {
			it.Status = gate.Fail
		}
	}
	items = append(items, it)

	items = append(items, edgeCases(b), latencyCheck(b, testFrame, cfg.Canvas.Constraints.LatencyP99Ms))

	it = gate.Item{ID: "save_load", Title: "Bundle save/load gives identical predictions"}
	want, err1 := b.PredictFrame(testFrame)
	again, err2 := bundle.Decode("reloaded", data)
	if err1 == nil && err2 == nil {
		got, err3 := again.PredictFrame(testFrame)
		if err3 == nil && slices.Equal(want.Values, got.Values) {
			it.Status, it.Evidence = gate.Pass, fmt.Sprintf("%d test rows predicted identically after a reload", len(rows))
		} else {
			it.Status, it.Evidence = gate.Fail, "predictions differ after a reload"
		}
	} else {
		it.Status, it.Evidence = gate.Fail, fmt.Sprintf("reload failed: %v %v", err1, err2)
	}
	items = append(items, it)

	items = append(items, recentData(d, b, rows, target, want, primary, higher, maxGap))

	it = gate.Item{ID: "beats_champion", Title: "Improves on the current champion"}
	champ, err := e.store.GetAlias(ctx, v.Name, "champion")
	switch {
	case err != nil && mlw.ErrorCode(err) != mlw.ENOTFOUND:
		return nil, err
	case err != nil || champ.Version == v.Version:
		it.Status, it.Evidence = gate.Skipped, "no other champion to beat"
		items = append(items, it)
	default:
		cv, err := e.registry().Resolve(ctx, fmt.Sprintf("%s@%d", v.Name, champ.Version))
		if err != nil {
			return nil, err
		}
		cdata, err := e.artifacts.Get(ctx, cv.ArtifactKey)
		if err != nil {
			return nil, err
		}
		cb, err := bundle.Decode(cv.Ref().String(), cdata)
		if err != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "%v", err)
		}
		cp, err := cb.PredictFrame(testFrame)
		if err != nil {
			it.Status, it.Evidence = gate.Fail, fmt.Sprintf("champion %s cannot score this test part: %v", cv.Ref(), err)
			items = append(items, it)
			break
		}
		task, _ := cb.TaskOf()
		cm := train.Score(task, target, cp)[primary]
		pr := cfg.Evaluation.Promotion
		it = gate.CheckImprovement(primary, rep.Metrics[primary], cm, higher, pr.MinImprovement, pr.MinRelativeImprovement)
		it.Evidence += " (champion " + cv.Ref().String() + ", same test rows)"
		items = append(items, it)
	}

	signed, err := e.signedItems(ctx, v.Ref().String())
	if err != nil {
		return nil, err
	}
	res := gate.Finish(v.Ref().String(), items, signed)
	ev := audit.New(e.app.Now(), e.actor, "check.run", v.Ref().String(), "", map[string]any{"passed": res.Passed, "failed": res.Failed, "unsigned": res.Unsigned, "items": res.Items})
	if _, err := e.store.AppendAudit(ctx, appendParams(ev)); err != nil {
		return nil, err
	}
	return res, nil
}

// edgeCases predicts rows that production will send sooner or later.
func edgeCases(b *bundle.Bundle) gate.Item {
	it := gate.Item{ID: "edge_cases", Title: "Edge cases predict without error"}
	rp := b.NewRowPredictor()
	n := len(b.Pipeline.Inputs)
	cases := map[string][]feature.Value{}
	allMissing := make([]feature.Value, n)
	for i := range allMissing {
		allMissing[i] = feature.Value{Missing: true}
	}
	cases["all missing"] = allMissing
	unseen, empty, high, low := make([]feature.Value, n), make([]feature.Value, n), make([]feature.Value, n), make([]feature.Value, n)
	for i, in := range b.Pipeline.Inputs {
		switch {
		case in.Encoding != "":
			unseen[i] = feature.Value{Str: "__never_seen_category__", IsStr: true}
			high[i], low[i] = feature.Value{Missing: true}, feature.Value{Missing: true}
		case in.Parts != nil:
			unseen[i] = feature.Value{Str: "2099-12-31T23:59:59Z", IsStr: true}
			high[i], low[i] = unseen[i], feature.Value{Str: "1970-01-01", IsStr: true}
		default:
			span := math.Max(1, in.Max-in.Min)
			unseen[i] = feature.Value{Num: in.Max}
			high[i], low[i] = feature.Value{Num: in.Max + 1000*span}, feature.Value{Num: in.Min - 1000*span}
		}
		empty[i] = feature.Value{Str: "", IsStr: true}
	}
	cases["unseen categories"], cases["empty strings"], cases["numbers far above range"], cases["numbers far below range"] = unseen, empty, high, low
	names := make([]string, 0, len(cases))
	for k := range cases {
		names = append(names, k)
	}
	sort.Strings(names)
	var bad []string
	for _, name := range names {
		out, err := rp.Predict(cases[name])
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		for _, x := range out {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				bad = append(bad, name+": non-finite output")
				break
			}
		}
	}
	if len(bad) > 0 {
		it.Status, it.Evidence = gate.Fail, strings.Join(bad, "; ")
	} else {
		it.Status, it.Evidence = gate.Pass, strings.Join(names, ", ")+": all predicted"
	}
	return it
}

// latencyCheck measures single-row prediction latency through pipeline and model.
func latencyCheck(b *bundle.Bundle, f *frame.Frame, budgetMs float64) gate.Item {
	it := gate.Item{ID: "latency", Title: "Single-row p99 latency within the canvas budget"}
	rp := b.NewRowPredictor()
	rows := make([][]feature.Value, 0, min(f.NumRows(), 200))
	for i := 0; i < f.NumRows() && len(rows) < 200; i++ {
		row := make([]feature.Value, len(b.Pipeline.Inputs))
		for k, in := range b.Pipeline.Inputs {
			row[k] = cellValue(f.Column(in.Name), i)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		it.Status, it.Evidence = gate.Skipped, "no rows to time"
		return it
	}
	const n = 2000
	lat := make([]time.Duration, n)
	for i := range n {
		start := time.Now()
		_, _ = rp.Predict(rows[i%len(rows)])
		lat[i] = time.Since(start)
	}
	slices.Sort(lat)
	p50, p99 := lat[n/2], lat[n*99/100]
	it.Evidence = fmt.Sprintf("p50 %s, p99 %s over %d single-row predictions", p50, p99, n)
	switch {
	case budgetMs <= 0:
		it.Status = gate.Pass
		it.Evidence += " (no latency budget in the canvas)"
	case float64(p99)/1e6 <= budgetMs:
		it.Status = gate.Pass
		it.Evidence += fmt.Sprintf(" ≤ %g ms", budgetMs)
	default:
		it.Status = gate.Fail
		it.Evidence += fmt.Sprintf(" > %g ms", budgetMs)
	}
	return it
}

// cellValue turns a frame cell into a live input value.
func cellValue(col frame.Column, i int) feature.Value {
	if col == nil || col.IsMissing(i) {
		return feature.Value{Missing: true}
	}
	switch c := col.(type) {
	case *frame.Numeric:
		return feature.Value{Num: c.Values()[i]}
	case *frame.Datetime:
		t, _ := c.Time(i)
		return feature.Value{Str: t.UTC().Format(time.RFC3339Nano), IsStr: true}
	}
	return feature.Value{Str: col.Cell(i), IsStr: true}
}

// recentData compares the most recent fifth of the test rows with all of them.
func recentData(d *train.Data, b *bundle.Bundle, rows []int, target []float64, preds *bundle.Predictions, metric string, higher bool, maxGap float64) gate.Item {
	it := gate.Item{ID: "recent_data", Title: "The most recent data is not worse than overall"}
	tcol, ok := d.Frame.Column(d.Version.Roles.Time).(*frame.Datetime)
	if d.Version.Roles.Time == "" || !ok || preds == nil {
		it.Status, it.Evidence = gate.Skipped, "no time column"
		return it
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, c int) bool { return tcol.Values()[rows[order[a]]] < tcol.Values()[rows[order[c]]] })
	recent := order[len(order)*4/5:]
	if len(recent) < 20 {
		it.Status, it.Evidence = gate.Skipped, "fewer than 20 recent rows"
		return it
	}
	sub := &bundle.Predictions{Rows: len(recent), Outputs: preds.Outputs}
	y := make([]float64, len(recent))
	for k, i := range recent {
		y[k] = target[i]
		sub.Values = append(sub.Values, preds.Row(i)...)
		if preds.Codes != nil {
			sub.Codes = append(sub.Codes, preds.Codes[i])
			sub.Labels = append(sub.Labels, preds.Labels[i])
		}
	}
	task, _ := b.TaskOf()
	all := train.Score(task, target, preds)[metric]
	rec := train.Score(task, y, sub)[metric]
	gap := all - rec
	if !higher {
		gap = -gap
	}
	it.Evidence = fmt.Sprintf("%s %.4f on the latest %d test rows vs %.4f overall (gap %+.4f, limit %.2f)", metric, rec, len(recent), all, gap, maxGap)
	it.Status = gate.Pass
	if gap > maxGap {
		it.Status = gate.Fail
	}
	return it
}
