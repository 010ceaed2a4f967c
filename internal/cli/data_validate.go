package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"mlw.dev/internal/audit"
	"mlw.dev/internal/dataset"
	"mlw.dev/internal/expect"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/project"
)

func (app *App) dataValidateCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "validate NAME[@N]",
		Short: "Check a dataset version against the expectations in mlw.yaml",
		Long: `Check a dataset version against data.expectations in mlw.yaml: columns
present, types, numeric ranges, allowed values, maximum missing share,
unique columns, row-count range, no duplicate rows. Each failure is listed
with examples of offending rows (file line numbers).

'mlw data expect NAME@N' writes expectations inferred from a good version
into mlw.yaml for review.

Exit status: 1 when an expectation fails.

JSON (--json): dataset, checked, ok, failures (each with check, column,
expected, observed, count, examples).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			exp := e.proj.Config.Data.Expectations
			if exp == nil {
				return mlw.Errorf(mlw.EINVALID, "%s has no data.expectations to validate against", e.proj.Path).
					WithHint("mlw data expect %s writes expectations inferred from this version", args[0])
			}
			ds := e.datasets()
			v, err := ds.Resolve(c.Context(), args[0])
			if err != nil {
				return err
			}
			f, err := ds.Load(c.Context(), v)
			if err != nil {
				return err
			}
			rep := expect.Check(f, exp)
			if asJSON {
				if err := writeJSON(app.Out, struct {
					Dataset string `json:"dataset"`
					OK      bool   `json:"ok"`
					*expect.Report
				}{v.Ref().String(), rep.OK(), rep}); err != nil {
					return err
				}
			} else {
				printValidation(app, v.Ref().String(), rep)
			}
			if !rep.OK() {
				return &exitError{code: ExitError}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printValidation(app *App, ref string, rep *expect.Report) {
	if rep.OK() {
		fmt.Fprintf(app.Out, "%s meets all %d expectations\n", ref, rep.Checked)
		return
	}
	fmt.Fprintf(app.Out, "%s fails %d of %d expectations:\n\n", ref, len(rep.Failures), rep.Checked)
	tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tCOLUMN\tEXPECTED\tOBSERVED\tROWS")
	for _, f := range rep.Failures {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", f.Check, dash(f.Column), f.Expected, f.Observed, f.Count)
	}
	tw.Flush()
	for _, f := range rep.Failures {
		if len(f.Examples) > 0 {
			fmt.Fprintf(app.Out, "\n%s %s, for example:\n  %s\n", f.Check, f.Column, strings.Join(f.Examples, "\n  "))
		}
	}
}

func (app *App) dataExpectCommand() *cobra.Command {
	var (
		dryRun bool
		reason string
	)
	c := &cobra.Command{
		Use:   "expect NAME[@N]",
		Short: "Infer expectations from a good dataset version and write them into mlw.yaml",
		Long: `Infer expectations from a dataset version you trust: every column present with
its type, numeric ranges widened by 10% of the observed span, the allowed
values of categoricals, missing shares capped at twice the observed share plus
one point, unique id columns, a row count from half to twice this version's,
and no duplicate rows when it has none. They are written into data.expectations
in mlw.yaml (replacing any there; the rest of the file and its comments are
kept) for you to review and tighten. --dry-run prints them instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			ds := e.datasets()
			v, err := ds.Resolve(c.Context(), args[0])
			if err != nil {
				return err
			}
			f, err := ds.Load(c.Context(), v)
			if err != nil {
				return err
			}
			schema, err := dataset.Schema(v)
			if err != nil {
				return err
			}
			exp := expect.Infer(f, schema)
			if dryRun {
				b, err := yaml.Marshal(map[string]any{"expectations": exp})
				if err != nil {
					return err
				}
				_, err = app.Out.Write(b)
				return err
			}
			out, err := project.SetExpectations(e.proj.Path, e.proj.Source, exp)
			if err != nil {
				return err
			}
			if err := writeFile(e.proj.Path, out); err != nil {
				return err
			}
			ev := audit.New(app.Now(), e.actor, "data.expect", v.Ref().String(), reason, map[string]int{"columns": len(exp.Columns)})
			if _, err := e.store.AppendAudit(c.Context(), appendParams(ev)); err != nil {
				return err
			}
			fmt.Fprintf(app.Out, "wrote expectations for %d columns of %s into %s: review them, then run mlw data validate\n", len(exp.Columns), v.Ref(), project.FileName)
			return nil
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print the expectations instead of writing mlw.yaml")
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	return c
}
