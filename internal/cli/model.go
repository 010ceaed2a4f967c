package cli

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/registry"
	"mlw.dev/internal/store"
)

func (e *env) registry() *registry.Registry {
	return &registry.Registry{Store: e.store, Now: e.app.Now, Actor: e.actor}
}

func (app *App) modelCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "model",
		Short: "Register model versions and move aliases such as champion",
		Long: `The model registry: a run's bundle registered as an immutable version
NAME@N; aliases (champion, challenger, or any name) that point at versions and
keep their full history; archiving. NAME@alias works wherever NAME@N does.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.AddCommand(app.modelRegisterCommand(), app.modelAliasCommand(), app.modelListCommand(),
		app.modelShowCommand(), app.modelHistoryCommand(), app.modelArchiveCommand())
	return c
}

func (app *App) modelRegisterCommand() *cobra.Command {
	var name, description, reason string
	var asJSON bool
	c := &cobra.Command{
		Use:   "register RUN --name NAME",
		Short: "Register a finished run's model bundle as a new immutable version NAME@N",
		Long: `Register the model bundle of a finished run as the next version of model NAME.
Versions are immutable; registering is audited.

JSON (--json): the version: id, name, version, run_id, artifact_key, status,
description, created_at, created_by.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if name == "" {
				return usagef("mlw model register RUN --name NAME", "--name is required")
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			v, err := e.registry().Register(c.Context(), args[0], name, description, reason)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, v)
			}
			fmt.Fprintf(app.Out, "registered %s from run %s\n", v.Ref(), v.RunID)
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "model name")
	c.Flags().StringVar(&description, "description", "", "what this version is")
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (app *App) modelAliasCommand() *cobra.Command {
	var reason string
	var remove, override bool
	c := &cobra.Command{
		Use:   "alias NAME@N ALIAS",
		Short: "Point an alias (champion, challenger, any name) at a version; the move is kept in the history",
		Long: `Point ALIAS of the model at version N (or at the version another alias names:
mlw model alias churn@challenger champion). The previous holder's span is
closed and the move is audited; mlw model history shows every span.
--remove removes the alias instead (NAME ALIAS).

Aliasing a version champion requires its latest 'mlw check' to have passed;
--override --reason moves it anyway, recorded in the audit trail and shown by
mlw status.`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			if remove {
				rf, err := mlw.ParseRef(args[0])
				if err != nil {
					return err
				}
				if err := e.registry().RemoveAlias(c.Context(), rf.Name, args[1], reason); err != nil {
					return err
				}
				fmt.Fprintf(app.Out, "removed alias %s of %s\n", args[1], rf.Name)
				return nil
			}
			var before *mlw.Alias
			if rf, err := mlw.ParseRef(args[0]); err == nil {
				before, _ = e.store.GetAlias(c.Context(), rf.Name, args[1])
			}
			details := map[string]any{}
			if args[1] == "champion" {
				target, err := e.registry().Resolve(c.Context(), args[0])
				if err != nil {
					return err
				}
				passed, found, err := e.latestCheck(c.Context(), target.Ref().String())
				if err != nil {
					return err
				}
				if !passed {
					why := "its latest check did not pass"
					if !found {
						why = "it was never checked"
					}
					if !override {
						return mlw.Errorf(mlw.EFORBIDDEN, "%s cannot become champion: %s", target.Ref(), why).
							WithHint("mlw check %s, or --override --reason TEXT", target.Ref())
					}
					if strings.TrimSpace(reason) == "" {
						return usagef("mlw model alias NAME@N champion --override --reason TEXT", "--override needs --reason")
					}
					details["override"] = why
					ev := e.event("model.alias.override", target.Ref().String(), reason, map[string]string{"alias": "champion", "gate": why})
					if _, err := e.store.AppendAudit(c.Context(), appendParams(ev)); err != nil {
						return err
					}
				}
			}
			a, v, err := e.registry().SetAlias(c.Context(), args[0], args[1], reason, details)
			if err != nil {
				return err
			}
			if before != nil && before.Version != a.Version {
				fmt.Fprintf(app.Out, "%s@%s: version %d → %d\n", v.Name, a.Alias, before.Version, a.Version)
			} else {
				fmt.Fprintf(app.Out, "%s@%s → %s\n", v.Name, a.Alias, v.Ref())
			}
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the history and the audit trail")
	c.Flags().BoolVar(&remove, "remove", false, "remove the alias")
	c.Flags().BoolVar(&override, "override", false, "make a version champion although its gate did not pass (needs --reason; audited)")
	return c
}

// modelSummary is one model in mlw model list.
type modelSummary struct {
	Name     string         `json:"name"`
	Latest   int            `json:"latest"`
	Versions int            `json:"versions"`
	Aliases  map[string]int `json:"aliases"`
}

func (app *App) modelListCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List registered models with their latest version and aliases",
		Long: `List registered models.

JSON (--json): a list of models with name, latest, versions, aliases (alias → version).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			versions, err := e.store.ListModelVersions(c.Context(), &store.ListModelVersionsParams{})
			if err != nil {
				return err
			}
			aliases, err := e.store.ListAliases(c.Context(), &store.ListAliasesParams{})
			if err != nil {
				return err
			}
			byName := map[string]*modelSummary{}
			var names []string
			for _, v := range versions {
				m := byName[v.Name]
				if m == nil {
					m = &modelSummary{Name: v.Name, Aliases: map[string]int{}}
					byName[v.Name] = m
					names = append(names, v.Name)
				}
				m.Versions++
				m.Latest = max(m.Latest, v.Version)
			}
			for _, a := range aliases {
				if m := byName[a.Model]; m != nil {
					m.Aliases[a.Alias] = a.Version
				}
			}
			sort.Strings(names)
			list := []*modelSummary{}
			for _, n := range names {
				list = append(list, byName[n])
			}
			if asJSON {
				return writeJSON(app.Out, list)
			}
			tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "MODEL\tLATEST\tVERSIONS\tALIASES")
			for _, m := range list {
				var as []string
				for _, k := range sortedKeys(m.Aliases) {
					as = append(as, fmt.Sprintf("%s=@%d", k, m.Aliases[k]))
				}
				fmt.Fprintf(tw, "%s\t@%d\t%d\t%s\n", m.Name, m.Latest, m.Versions, strings.Join(as, " "))
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (app *App) modelShowCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show NAME[@N|@alias]",
		Short: "Show a model's versions and aliases, or one version with its run",
		Long: `With NAME: every version of the model and its current aliases. With NAME@N or
NAME@alias: that version, the run it came from (model, params, validation
metrics, data and split).

JSON (--json): NAME gives versions and aliases; NAME@N gives version, aliases
pointing at it, and run (see mlw runs show --json).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			rf, err := mlw.ParseRef(args[0])
			if err != nil {
				return err
			}
			aliases, err := e.store.ListAliases(c.Context(), &store.ListAliasesParams{Model: rf.Name})
			if err != nil {
				return err
			}
			if rf.Version == 0 && rf.Alias == "" {
				versions, err := e.store.ListModelVersions(c.Context(), &store.ListModelVersionsParams{Name: rf.Name})
				if err != nil {
					return err
				}
				if len(versions) == 0 {
					return mlw.Errorf(mlw.ENOTFOUND, "model %s not found", rf.Name).WithHint("mlw model list shows the registered models")
				}
				if asJSON {
					return writeJSON(app.Out, map[string]any{"versions": versions, "aliases": nonNil(aliases)})
				}
				held := map[int][]string{}
				for _, a := range aliases {
					held[a.Version] = append(held[a.Version], a.Alias)
				}
				tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tSTATUS\tRUN\tALIASES\tREGISTERED\tBY")
				for _, v := range versions {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Ref(), v.Status, v.RunID, strings.Join(held[v.Version], ","), v.CreatedAt.Local().Format("2006-01-02 15:04"), v.CreatedBy)
				}
				return tw.Flush()
			}
			v, err := e.registry().Resolve(c.Context(), args[0])
			if err != nil {
				return err
			}
			var mine []string
			for _, a := range aliases {
				if a.Version == v.Version {
					mine = append(mine, a.Alias)
				}
			}
			d, err := e.runDetail(c, v.RunID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, map[string]any{"version": v, "aliases": nonNil(mine), "run": d})
			}
			fmt.Fprintf(app.Out, "%s  %s  aliases: %s\n", v.Ref(), v.Status, dash(strings.Join(mine, ", ")))
			fmt.Fprintf(app.Out, "  registered %s by %s from run %s (%s)\n", v.CreatedAt.Local().Format("2006-01-02 15:04:05"), v.CreatedBy, v.RunID, d.Model)
			if v.Description != "" {
				fmt.Fprintf(app.Out, "  %s\n", v.Description)
			}
			fmt.Fprintf(app.Out, "  validation: %s\n", headlineMetrics(d.Metrics))
			printKV(app, "params", d.Params)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (app *App) modelHistoryCommand() *cobra.Command {
	var asJSON bool
	var alias string
	c := &cobra.Command{
		Use:   "history NAME",
		Short: "Which version held which alias, from when to when, who moved it and why",
		Long: `The alias history of a model: every span during which an alias pointed at a
version, with who set it and why, and who ended it and why — the control
auditors ask for.

JSON (--json): a list of spans: model, alias, version, from, to (absent while
current), set_by, reason, ended_by, end_reason.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			spans, err := e.store.AliasHistory(c.Context(), &store.AliasHistoryParams{Model: args[0], Alias: alias})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, nonNil(spans))
			}
			tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ALIAS\tVERSION\tFROM\tTO\tSET BY\tWHY\tENDED BY\tWHY")
			for _, s := range spans {
				to := "now"
				if !s.To.IsZero() {
					to = s.To.Local().Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(tw, "%s\t@%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Alias, s.Version, s.From.Local().Format("2006-01-02 15:04:05"), to, s.SetBy, dash(oneLine(s.Reason)), dash(s.EndedBy), dash(oneLine(s.EndReason)))
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&alias, "alias", "", "only this alias")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (app *App) modelArchiveCommand() *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "archive NAME@N",
		Short: "Archive a version (it keeps its record; it can no longer take an alias)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			v, err := e.registry().Archive(c.Context(), args[0], reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Out, "archived %s\n", v.Ref())
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	return c
}
