package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/report"
	"mlw.dev/internal/store"
	"mlw.dev/internal/tune"
)

// tuneShow is the JSON of mlw tune show.
type tuneShow struct {
	Study     string `json:"study"`
	Direction string `json:"direction"`
	Metric    string `json:"metric"`
	// Attrs are the study's attributes (model, split, cv_strategy ...)
	// without the space, which Space holds.
	Attrs map[string]string `json:"attrs"`
	Space []tune.Param      `json:"space"`
	// SpaceInferred is true for a study stored without its space: Space is
	// then guessed from the trials' values.
	SpaceInferred bool           `json:"space_inferred,omitempty"`
	Counts        map[string]int `json:"counts"`
	Best          *tuneTrial     `json:"best,omitempty"`
	// BestRunID is the run of the best params refit on the training part.
	BestRunID   string                 `json:"best_run_id,omitempty"`
	StudyRunIDs []string               `json:"study_run_ids"`
	Importance  []tune.ParamImportance `json:"importance"`
	Trials      []tuneTrial            `json:"trials"`
	HTML        string                 `json:"html,omitempty"`
}

func (app *App) tuneShowCommand() *cobra.Command {
	var (
		asJSON  bool
		htmlOut string
	)
	c := &cobra.Command{
		Use:   "show STUDY",
		Short: "Show a tuning study: trial history, best trial, parameter importance, HTML report",
		Long: `Show a tuning study from the project's store (it may still be running, in
this process or others): every trial with its state (complete, pruned,
failed, running or waiting), params, cross-validated value and duration;
the best trial and the run that refit it; and the importance of each
parameter, the share of the score's variation it explains on its own over
the complete trials.

--html FILE writes a self-contained report (no scripts, nothing fetched):
the optimisation history (each trial's value and the best so far), the
score against each parameter, the importance chart and the trial table.

JSON (--json): study, direction, metric, attrs (model, split, metric,
cv_strategy, cv_by, cv_folds, drop_features, only_features), space (name,
type, low, high, log, step, choices, when), space_inferred, counts (by
state), best (a trial), best_run_id, study_run_ids, importance (name,
importance, explained, trials), trials (number, state, params, value,
duration_seconds, intermediate, error, worker, attempts), html. A trial's
intermediate values (step, value) are the scores it reported for pruning:
after iteration i of its first fold at step i, and of fold f at step
` + strconv.Itoa(tune.FoldStepBase) + `+f.`,
		Example: "  mlw tune show gbdt-s-5a0e50db47-tpe --html study.html",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("mlw tune show STUDY (mlw runs list --kind study lists them)", "want one study name, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			e, err := app.open(ctx)
			if err != nil {
				return err
			}
			defer e.Close()
			out, s, err := e.tuneShow(ctx, args[0])
			if err != nil {
				return err
			}
			if htmlOut != "" {
				page, err := report.StudyHTML(s, "Tuning study "+out.Study)
				if err != nil {
					return err
				}
				if err := writeFile(app.abs(htmlOut), page); err != nil {
					return err
				}
				out.HTML = htmlOut
			}
			if asJSON {
				return writeJSON(app.Out, out)
			}
			app.printTuneShow(out, s.Space)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&htmlOut, "html", "", "write an HTML report to FILE")
	return c
}

// tuneShow reads a study, its trials and runs from the store.
func (e *env) tuneShow(ctx context.Context, name string) (*tuneShow, *report.Study, error) {
	storage, ok := e.store.(tune.Storage)
	if !ok {
		return nil, nil, mlw.Errorf(mlw.EINVALID, "this store does not keep studies")
	}
	rec, err := storage.GetStudy(ctx, name)
	if mlw.ErrorCode(err) == mlw.ENOTFOUND {
		return nil, nil, mlw.Errorf(mlw.ENOTFOUND, "study %q not found", name).WithHint("mlw runs list --kind study lists the studies (their name is the study's)")
	}
	if err != nil {
		return nil, nil, err
	}
	trials, err := storage.ListTrials(ctx, &tune.ListTrialsParams{Study: name})
	if err != nil {
		return nil, nil, err
	}
	space, inferred, err := studySpace(rec, trials)
	if err != nil {
		return nil, nil, err
	}
	metric := cmp.Or(rec.Attrs["metric"], "objective")
	imp := tune.Importance(space, trials)
	out := &tuneShow{
		Study: rec.Name, Direction: string(rec.Direction), Metric: metric, Attrs: maps.Clone(rec.Attrs),
		Space: space.Params, SpaceInferred: inferred, Counts: map[string]int{},
		StudyRunIDs: []string{}, Importance: imp, Trials: []tuneTrial{},
	}
	if out.Attrs == nil {
		out.Attrs = map[string]string{}
	}
	delete(out.Attrs, studyAttrSpace)
	for _, t := range trials {
		out.Counts[string(t.State)]++
		out.Trials = append(out.Trials, newTuneTrial(t))
	}
	runs, err := studyRuns(ctx, e, name)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range runs {
		out.StudyRunIDs = append(out.StudyRunIDs, r.ID)
	}
	if best, ok := tune.BestTrial(trials, rec.Direction); ok {
		bt := newTuneTrial(best)
		out.Best = &bt
		out.BestRunID, err = refitRun(ctx, e, runs, best.Number)
		if err != nil {
			return nil, nil, err
		}
	}
	return out, &report.Study{Record: *rec, Metric: metric, Space: space, Trials: trials, Importance: imp}, nil
}

// refitRun returns the newest finished run that refit trial number of a
// study, among the children of its study runs; "" when none did.
func refitRun(ctx context.Context, e *env, studyRuns []*mlw.Run, number int) (string, error) {
	for _, p := range studyRuns { // newest first
		runs, err := e.store.ListRuns(ctx, &store.ListRunsParams{ParentID: p.ID, Kind: "train", Status: mlw.RunFinished})
		if err != nil {
			return "", err
		}
		for _, r := range runs {
			if r.Tags["trial"] == strconv.Itoa(number) {
				return r.ID, nil
			}
		}
	}
	return "", nil
}

// studySpace returns the search space stored with a study, or one inferred
// from its trials' values when it was stored without (inferred true):
// numbers become a float range (log scale when it spans two decades of
// positive values), anything else a category.
func studySpace(rec *tune.StudyRecord, trials []tune.TrialRecord) (space *tune.Space, inferred bool, err error) {
	if js := rec.Attrs[studyAttrSpace]; js != "" {
		var s tune.Space
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			return nil, false, fmt.Errorf("study %s: stored space: %w", rec.Name, err)
		}
		return &s, false, nil
	}
	values := map[string][]string{}
	for _, t := range trials {
		for k, v := range t.Params {
			if !slices.Contains(values[k], v) {
				values[k] = append(values[k], v)
			}
		}
	}
	var ps []tune.Param
	for _, name := range sortedKeys(values) {
		vs := values[name]
		lo, hi, numeric := math.Inf(1), math.Inf(-1), true
		for _, v := range vs {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				numeric = false
				break
			}
			lo, hi = min(lo, f), max(hi, f)
		}
		switch {
		case len(vs) == 1:
			ps = append(ps, tune.FixedParam(name, vs[0]))
		case numeric && lo > 0 && hi/lo >= 100:
			ps = append(ps, tune.LogFloatParam(name, lo, hi))
		case numeric:
			ps = append(ps, tune.FloatParam(name, lo, hi))
		default:
			slices.Sort(vs)
			ps = append(ps, tune.CategoricalParam(name, vs...))
		}
	}
	s, err := tune.NewSpace(ps...)
	return s, true, err
}

// printTuneShow prints a study for people.
func (app *App) printTuneShow(out *tuneShow, space *tune.Space) {
	w := app.Out
	fmt.Fprintf(w, "study %s: %s %s", out.Study, out.Direction, out.Metric)
	if m := out.Attrs["model"]; m != "" {
		fmt.Fprintf(w, ", model %s", m)
	}
	if sp := out.Attrs["split"]; sp != "" {
		fmt.Fprintf(w, ", split %s", sp)
	}
	if st := out.Attrs[studyAttrCVStrategy]; st != "" {
		fmt.Fprintf(w, ", %s-fold %s CV", cmp.Or(out.Attrs[studyAttrFolds], "K"), st)
		if by := out.Attrs[studyAttrCVBy]; by != "" {
			fmt.Fprintf(w, " by %s", by)
		}
	}
	fmt.Fprintln(w)
	var counts []string
	for _, st := range []tune.State{tune.StateComplete, tune.StatePruned, tune.StateFailed, tune.StateRunning, tune.StateWaiting} {
		if n := out.Counts[string(st)]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, st))
		}
	}
	fmt.Fprintf(w, "%d trials", len(out.Trials))
	if len(counts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(counts, ", "))
	}
	fmt.Fprintln(w)
	params := func(p map[string]string) string {
		var ps []string
		for _, sp := range space.Params {
			if v, ok := p[sp.Name]; ok && !sp.Fixed() {
				ps = append(ps, sp.Name+"="+v)
			}
		}
		return strings.Join(ps, " ")
	}
	if len(out.Trials) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "\n#\tSTATE\t%s\tDURATION\tPARAMS\n", strings.ToUpper(out.Metric))
		for _, t := range out.Trials {
			val, dur := "-", "-"
			if t.Value != nil {
				val = fmt.Sprintf("%.4f", *t.Value)
			}
			if t.DurationSeconds != nil {
				dur = fmt.Sprintf("%.2fs", *t.DurationSeconds)
			}
			note := ""
			if t.Error != "" {
				note = "  (" + t.Error + ")"
			}
			mark := ""
			if out.Best != nil && t.Number == out.Best.Number {
				mark = " *"
			}
			fmt.Fprintf(tw, "%d%s\t%s\t%s\t%s\t%s%s\n", t.Number, mark, t.State, val, dur, params(t.Params), note)
		}
		tw.Flush()
	}
	if out.Best == nil {
		fmt.Fprintln(w, "\nno trial is complete yet")
	} else {
		fmt.Fprintf(w, "\nbest trial %d: %s %.4f  %s\n", out.Best.Number, out.Metric, *out.Best.Value, params(out.Best.Params))
	}
	var imp bytes.Buffer
	tw := tabwriter.NewWriter(&imp, 0, 0, 2, ' ', 0)
	for _, p := range out.Importance {
		if sp := space.Param(p.Name); sp != nil && sp.Fixed() {
			continue
		}
		bar := strings.Repeat("█", int(math.Round(20*p.Importance)))
		fmt.Fprintf(tw, "  %s\t%3.0f%%\t%s\n", p.Name, 100*p.Importance, bar)
	}
	tw.Flush()
	if imp.Len() > 0 {
		fmt.Fprintf(w, "\nparameter importance (the share of the score's variation each explains alone):\n%s", imp.Bytes())
	}
	if out.HTML != "" {
		fmt.Fprintf(w, "\nHTML report: %s\n", out.HTML)
	}
	if out.BestRunID != "" {
		fmt.Fprintf(w, "Next: mlw evaluate %s --on validation\n", out.BestRunID)
	}
}
