package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"mlw.dev/internal/project"
)

func (app *App) canvasCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "canvas",
		Short: "Check the ML Project Canvas in mlw.yaml",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return c.Help()
		},
	}
	c.AddCommand(app.canvasLintCommand())
	return c
}

func (app *App) canvasLintCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "lint",
		Short: "List empty or placeholder fields, unknown metrics, impossible thresholds and contradictions",
		Long: `Check the ML Project Canvas and the project configuration in mlw.yaml.

Warnings: empty or placeholder fields ("TODO", "TBD", "..."), a missing target
column, risks without mitigation. Errors: unknown metric names, metrics that do
not fit the task, impossible thresholds (precision min 1.5), contradictions
(realtime mode with no latency budget, formulation type not the project's
task), invalid cron schedules and drift settings.

Exit status: 1 when there are errors, 0 with only warnings.

JSON (--json): findings (each with severity, field, line, message), errors,
warnings.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			proj, err := app.loadProject()
			if err != nil {
				return err
			}
			res := project.Lint(&proj.Config, proj.Source, metricLookup)
			if asJSON {
				if err := writeJSON(app.Out, res); err != nil {
					return err
				}
			} else {
				name := filepath.Base(proj.Path)
				for _, f := range res.Findings {
					loc := name
					if f.Line > 0 {
						loc = fmt.Sprintf("%s:%d", name, f.Line)
					}
					fmt.Fprintf(app.Out, "%-14s %-8s %s\n", loc, f.Severity, f.Message)
				}
				switch {
				case len(res.Findings) == 0:
					fmt.Fprintln(app.Out, "canvas OK: no errors, no warnings")
				default:
					fmt.Fprintf(app.Out, "\n%d error(s), %d warning(s)\n", res.Errors, res.Warnings)
				}
			}
			if !res.OK() {
				return &exitError{code: ExitError}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
