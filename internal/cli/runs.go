package cli

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"mlw.dev/internal/audit"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
	"mlw.dev/internal/track"
)

// runDetail is a run with its metrics and artifacts, as runs show prints it.
type runDetail struct {
	*mlw.Run
	Metrics   map[string]float64 `json:"metrics"`
	Artifacts []mlw.RunArtifact  `json:"artifacts"`
}

func (e *env) tracker() *track.Tracker {
	return &track.Tracker{Store: e.store, Now: e.app.Now, Actor: e.actor}
}

func (e *env) runDetail(c *cobra.Command, id string) (*runDetail, error) {
	r, err := e.store.GetRun(c.Context(), id)
	if err != nil {
		return nil, err
	}
	m, err := e.tracker().Metrics(c.Context(), id)
	if err != nil {
		return nil, err
	}
	arts, err := e.store.ListRunArtifacts(c.Context(), id)
	if err != nil {
		return nil, err
	}
	if arts == nil {
		arts = []mlw.RunArtifact{}
	}
	return &runDetail{Run: r, Metrics: m, Artifacts: arts}, nil
}

func (app *App) runsCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "runs",
		Short: "List, show, compare and delete tracked runs",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.AddCommand(app.runsListCommand(), app.runsShowCommand(), app.runsCompareCommand(), app.runsDeleteCommand())
	return c
}

func (app *App) runsListCommand() *cobra.Command {
	var (
		asJSON, all bool
		kind, model string
		limit       int
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List runs, newest first",
		Long: `List top-level runs (training, baselines, studies, profiles, evaluations),
newest first, with their status, model, split and main metrics.

JSON (--json): a list of runs with id, parent_id, kind, model, status,
dataset_version_id, split_id, params, tags, git_commit, error, created_by,
started_at, ended_at, metrics.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			runs, err := e.store.ListRuns(c.Context(), &store.ListRunsParams{TopLevel: !all, Kind: kind, Model: model, Limit: limit})
			if err != nil {
				return err
			}
			details := []*runDetail{}
			for _, r := range runs {
				d, err := e.runDetail(c, r.ID)
				if err != nil {
					return err
				}
				details = append(details, d)
			}
			if asJSON {
				return writeJSON(app.Out, details)
			}
			tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tKIND\tMODEL\tSTATUS\tSPLIT\tDURATION\tMETRICS")
			for _, d := range details {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Kind, dash(d.Model), d.Status, dash(d.SplitID), track.FormatDuration(d.Run), headlineMetrics(d.Metrics))
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&all, "all", false, "include child runs (tuning trials)")
	c.Flags().StringVar(&kind, "kind", "", "only runs of this kind (train, baseline, study, trial, profile, evaluation)")
	c.Flags().StringVar(&model, "model", "", "only runs of this model")
	c.Flags().IntVar(&limit, "limit", 50, "at most N runs (0: all)")
	return c
}

// headlineMetrics picks the validation metrics worth a glance.
func headlineMetrics(m map[string]float64) string {
	var parts []string
	for _, k := range []string{"valid.accuracy", "valid.roc_auc", "valid.f1_macro", "valid.r2", "valid.rmse", "cv.mean"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%.4f", strings.TrimPrefix(k, "valid."), v))
		}
	}
	return strings.Join(parts, " ")
}

func (app *App) runsShowCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show RUN",
		Short: "Show a run: params, metrics, artifacts, lineage",
		Long: `Show a run: its kind, model, status, who ran it and when, the dataset
version and split it used, the git commit, params, latest metric values and
artifacts.

JSON (--json): the run (see mlw runs list --json) with metrics and artifacts
(name, key, size).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			d, err := e.runDetail(c, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, d)
			}
			fmt.Fprintf(app.Out, "run %s  %s %s  %s\n", d.ID, d.Kind, d.Model, d.Status)
			fmt.Fprintf(app.Out, "  by %s, started %s, %s\n", d.CreatedBy, d.StartedAt.Local().Format("2006-01-02 15:04:05"), track.FormatDuration(d.Run))
			if d.ParentID != "" {
				fmt.Fprintf(app.Out, "  parent %s\n", d.ParentID)
			}
			if d.DatasetVersionID != 0 {
				if v, err := e.store.GetDatasetVersion(c.Context(), &store.GetDatasetVersionParams{ID: d.DatasetVersionID}); err == nil {
					fmt.Fprintf(app.Out, "  data %s (sha256 %s…)", v.Ref(), v.Hash[:12])
				}
				fmt.Fprintf(app.Out, ", split %s\n", dash(d.SplitID))
			}
			if d.GitCommit != "" {
				fmt.Fprintf(app.Out, "  code %s\n", d.GitCommit)
			}
			if d.Error != "" {
				fmt.Fprintf(app.Out, "  error: %s\n", d.Error)
			}
			printKV(app, "params", d.Params)
			printKV(app, "tags", d.Tags)
			if len(d.Metrics) > 0 {
				fmt.Fprintln(app.Out, "metrics:")
				for _, k := range sortedKeys(d.Metrics) {
					fmt.Fprintf(app.Out, "  %-28s %s\n", k, formatMetric(d.Metrics[k]))
				}
			}
			if len(d.Artifacts) > 0 {
				fmt.Fprintln(app.Out, "artifacts:")
				for _, a := range d.Artifacts {
					fmt.Fprintf(app.Out, "  %-28s %s  %d bytes\n", a.Name, a.Key, a.Size)
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printKV[V any](app *App, title string, m map[string]V) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(app.Out, "%s:\n", title)
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(app.Out, "  %-28s %v\n", k, m[k])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func formatMetric(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.6g", v)
}

func (app *App) runsCompareCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "compare RUN RUN...",
		Short: "Compare runs side by side: params and metrics, differences marked",
		Long: `Print the params and metrics of two or more runs side by side. Rows whose
values differ are marked with '*'; for metrics the best value is marked
with '<' when the metric's direction is known.

JSON (--json): runs (ids), params and metrics: each a list of rows with key,
values (one per run, null when absent) and differs.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			var ds []*runDetail
			for _, id := range args {
				d, err := e.runDetail(c, id)
				if err != nil {
					return err
				}
				ds = append(ds, d)
			}
			params := compareRows(ds, func(d *runDetail) map[string]string { return d.Params })
			metrics := compareRows(ds, func(d *runDetail) map[string]string {
				out := map[string]string{}
				for k, v := range d.Metrics {
					out[k] = formatMetric(v)
				}
				return out
			})
			if asJSON {
				return writeJSON(app.Out, struct {
					Runs    []string     `json:"runs"`
					Params  []compareRow `json:"params"`
					Metrics []compareRow `json:"metrics"`
				}{args, params, metrics})
			}
			tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, " \t\t%s\n", strings.Join(args, "\t"))
			fmt.Fprintf(tw, " \tmodel\t%s\n", strings.Join(mapRuns(ds, func(d *runDetail) string { return dash(d.Model) }), "\t"))
			printCompare(tw, "param", params)
			printCompare(tw, "metric", metrics)
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

type compareRow struct {
	Key     string    `json:"key"`
	Values  []*string `json:"values"`
	Differs bool      `json:"differs"`
}

func compareRows(ds []*runDetail, get func(*runDetail) map[string]string) []compareRow {
	keys := map[string]bool{}
	maps := make([]map[string]string, len(ds))
	for i, d := range ds {
		maps[i] = get(d)
		for k := range maps[i] {
			keys[k] = true
		}
	}
	rows := []compareRow{}
	for _, k := range sortedKeys(keys) {
		row := compareRow{Key: k}
		for i := range ds {
			if v, ok := maps[i][k]; ok {
				row.Values = append(row.Values, &v)
			} else {
				row.Values = append(row.Values, nil)
			}
		}
		for _, v := range row.Values[1:] {
			if (v == nil) != (row.Values[0] == nil) || v != nil && *v != *row.Values[0] {
				row.Differs = true
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func printCompare(tw *tabwriter.Writer, what string, rows []compareRow) {
	for _, r := range rows {
		mark := " "
		if r.Differs {
			mark = "*"
		}
		vals := make([]string, len(r.Values))
		for i, v := range r.Values {
			vals[i] = "-"
			if v != nil {
				vals[i] = *v
			}
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\n", mark, what, r.Key, strings.Join(vals, "\t"))
	}
}

func mapRuns(ds []*runDetail, f func(*runDetail) string) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = f(d)
	}
	return out
}

func (app *App) runsDeleteCommand() *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "delete RUN",
		Short: "Delete a run (kept in the store as deleted; audited)",
		Long: `Mark a run deleted: it disappears from listings but stays in the store, so
lineage and the audit trail keep pointing at it. Its artifacts are kept,
always while a model version references them. --reason is required.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usagef("mlw runs delete RUN --reason TEXT", "--reason is required to delete a run")
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			r, err := e.store.GetRun(c.Context(), args[0])
			if err != nil {
				return err
			}
			if !r.DeletedAt.IsZero() {
				return mlw.Errorf(mlw.ECONFLICT, "run %s is already deleted", r.ID)
			}
			versions, err := e.store.ListModelVersions(c.Context(), &store.ListModelVersionsParams{RunID: r.ID})
			if err != nil {
				return err
			}
			now := app.Now()
			refs := []string{}
			for _, v := range versions {
				refs = append(refs, v.Ref().String())
			}
			slices.Sort(refs)
			ev := audit.New(now, e.actor, "run.delete", r.ID, reason, map[string]any{"model_versions": refs})
			if _, err := e.store.UpdateRun(c.Context(), &store.UpdateRunParams{ID: r.ID, DeletedAt: &now, Audit: ev}); err != nil {
				return err
			}
			fmt.Fprintf(app.Out, "deleted run %s\n", r.ID)
			if len(refs) > 0 {
				fmt.Fprintf(app.Out, "  its artifacts are kept: model versions %s reference them\n", strings.Join(refs, ", "))
			}
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why (required, recorded in the audit trail)")
	return c
}
