package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"mlw.dev/internal/report"
)

func (app *App) reportCommand() *cobra.Command {
	var format, out string
	c := &cobra.Command{
		Use:   "report NAME@N",
		Short: "Write the report of a model version: the proposal with its test evaluation and gate",
		Long: `Write the project report of one model version: the ML Project Proposal
(problem, formulation, data, success metrics, constraints, timeline, risks)
with this version's evidence: its test metrics against the baseline and its
pre-production gate, run now (mlw check). The detailed evaluation is
'mlw evaluate RUN --on test --html FILE'.

Markdown goes to standard output unless -o is given; -o FILE.html writes one
self-contained HTML file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			format, err := documentFormat(format, out, "mlw report NAME@N --format md|html")
			if err != nil {
				return err
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			v, err := e.registry().Resolve(c.Context(), args[0])
			if err != nil {
				return err
			}
			res, err := e.runCheck(c, v.Ref().String())
			if err != nil {
				return err
			}
			run, err := e.store.GetRun(c.Context(), v.RunID)
			if err != nil {
				return err
			}
			rep, err := e.testEvaluation(c, run)
			if err != nil {
				return err
			}
			p, err := app.buildProposal(c, e)
			if err != nil {
				return err
			}
			p.Project = fmt.Sprintf("%s — %s", p.Project, v.Ref())
			metric := e.primaryMetric()
			p.Models = []report.ModelEvidence{
				{Role: "baseline (test)", Ref: rep.BaselineRunID, Model: rep.Baseline, Metric: metric, Value: rep.BaselineMetrics[metric], Baseline: rep.BaselineMetrics[metric]},
				{Role: "this version (test)", Ref: v.Ref().String(), Model: run.Model, Metric: metric, Value: rep.Metrics[metric], Baseline: rep.BaselineMetrics[metric]},
			}
			p.Gates = nil
			for _, it := range res.Items {
				p.Gates = append(p.Gates, report.GateEvidence{Item: it.Title, Status: it.Status, Detail: it.Evidence})
			}
			return app.writeProposal(p, format, out)
		},
	}
	c.Flags().StringVar(&format, "format", "", "md or html (default: from the -o extension, else md)")
	c.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	return c
}
