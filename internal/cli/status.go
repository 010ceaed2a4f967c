package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"mlw.dev/internal/deploy"
	"mlw.dev/internal/lifecycle"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/project"
	"mlw.dev/internal/store"
)

func (app *App) statusCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status",
		Short: "Where the project is in the lifecycle, what is done, what comes next, open pitfalls",
		Long: `Show the lifecycle stage the project is in, what each stage has done, what
to do next, and the pitfalls it is exposed to: an incomplete canvas, models
without a baseline, training on data that was never profiled, a test set used
more than once, a model in production without monitoring.

JSON (--json): project, stage, stages (each with id, name, done, summary),
next, pitfalls (each with id, severity, message).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			facts, err := gatherFacts(c.Context(), e)
			if err != nil {
				return err
			}
			st := lifecycle.Assess(*facts)
			if asJSON {
				return writeJSON(app.Out, struct {
					Project string `json:"project"`
					*lifecycle.Status
				}{e.proj.Config.Name, st})
			}
			app.printStatus(e.proj.Config.Name, st)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (app *App) printStatus(name string, st *lifecycle.Status) {
	fmt.Fprintf(app.Out, "Project %s\n\n", name)
	for i, s := range st.Stages {
		mark := "[ ]"
		switch {
		case s.Done:
			mark = "[x]"
		case s.ID == st.Stage:
			mark = "[>]"
		}
		fmt.Fprintf(app.Out, "%s %d. %-28s %s\n", mark, i+1, s.Name, s.Summary)
	}
	fmt.Fprintln(app.Out, "\nNext:")
	for _, n := range st.Next {
		fmt.Fprintf(app.Out, "  - %s\n", n)
	}
	if len(st.Pitfalls) > 0 {
		fmt.Fprintln(app.Out, "\nPitfalls:")
		for _, p := range st.Pitfalls {
			fmt.Fprintf(app.Out, "  %-7s %s\n", p.Severity, p.Message)
		}
	}
}

// gatherFacts reads what the lifecycle assessment needs from the canvas and the store.
func gatherFacts(ctx context.Context, e *env) (*lifecycle.Facts, error) {
	cfg := &e.proj.Config
	lint := project.Lint(cfg, e.proj.Source, metricLookup)
	f := &lifecycle.Facts{
		CanvasErrors:   lint.Errors,
		CanvasWarnings: lint.Warnings,
		AlertRules:     len(cfg.Monitoring.Alerts),
	}
	for _, m := range cfg.Canvas.SuccessMetrics.Technical {
		if m.Min != nil || m.Max != nil {
			f.CanvasTargets++
		}
	}
	sets, err := e.store.ListDatasets(ctx, &store.ListDatasetsParams{})
	if err != nil {
		return nil, err
	}
	f.Datasets = len(sets)
	splits, err := e.store.ListSplits(ctx, &store.ListSplitsParams{})
	if err != nil {
		return nil, err
	}
	f.Splits = len(splits)
	runs, err := e.store.ListRuns(ctx, &store.ListRunsParams{TopLevel: true})
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if r.Status != mlw.RunFinished {
			continue
		}
		switch r.Kind {
		case "profile":
			f.Profiles++
		case "baseline":
			f.BaselineRuns++
			f.Runs++
		case "train":
			f.Runs++
		}
	}
	evals, err := e.store.ListRuns(ctx, &store.ListRunsParams{Kind: "evaluation", Status: mlw.RunFinished})
	if err != nil {
		return nil, err
	}
	perSplit := map[string]map[string]bool{}
	for _, r := range evals {
		if r.Tags["part"] != "test" {
			continue
		}
		if perSplit[r.SplitID] == nil {
			perSplit[r.SplitID] = map[string]bool{}
		}
		perSplit[r.SplitID][r.ParentID] = true
	}
	for _, runs := range perSplit {
		f.TestEvals += len(runs)
		f.TestEvalMax = max(f.TestEvalMax, len(runs))
	}
	versions, err := e.store.ListModelVersions(ctx, &store.ListModelVersionsParams{})
	if err != nil {
		return nil, err
	}
	f.ModelVersions = len(versions)
	aliases, err := e.store.ListAliases(ctx, &store.ListAliasesParams{})
	if err != nil {
		return nil, err
	}
	for _, a := range aliases {
		if a.Alias == "champion" {
			f.Champion = true
		}
	}
	overrides, err := e.store.ListAudit(ctx, &store.ListAuditParams{ActionPrefix: "model.alias.override"})
	if err != nil {
		return nil, err
	}
	f.GateOverrides = len(overrides)
	deps, err := e.store.ListDeployments(ctx, &store.ListDeploymentsParams{})
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		if d.State == deploy.StateUndeployed {
			continue
		}
		f.Deployments++
		evs, err := e.store.ListAlertEvents(ctx, &store.ListAlertEventsParams{Endpoint: d.Endpoint, Limit: 500})
		if err != nil {
			return nil, err
		}
		latest := map[string]*mlw.AlertEvent{}
		for _, ev := range evs { // oldest first: the last one of a rule is its state
			latest[ev.Rule] = ev
		}
		for _, ev := range latest {
			if ev.State == mlw.AlertFiring {
				f.FiringAlerts = append(f.FiringAlerts, d.Endpoint+": "+ev.Message)
			}
		}
	}
	slices.Sort(f.FiringAlerts)
	return f, nil
}

// schemaColumns counts the columns of a stored dataset schema.
func schemaColumns(raw json.RawMessage) int {
	var s struct {
		Fields []json.RawMessage `json:"fields"`
	}
	if json.Unmarshal(raw, &s) == nil && len(s.Fields) > 0 {
		return len(s.Fields)
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		return len(list)
	}
	return 0
}
