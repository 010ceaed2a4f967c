package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"mlw.dev/internal/artifact"
	"mlw.dev/internal/dataset"
	"mlw.dev/internal/gate"
	"mlw.dev/internal/lifecycle"
	"mlw.dev/internal/project"
	"mlw.dev/internal/quickstart"
	"mlw.dev/internal/report"
	"mlw.dev/internal/train"
	"mlw.dev/internal/tune"
	"mlw.dev/model"
	"mlw.dev/profile"
	"mlw.dev/split"
)

func (app *App) quickstartCommand() *cobra.Command {
	var (
		rows    int
		seed    uint64
		noServe bool
	)
	c := &cobra.Command{
		Use:   "quickstart [DIR]",
		Short: "Run the whole lifecycle on a bundled customer-support dataset",
		Long: `Create a project in DIR (default: mlw-quickstart) from a bundled example: a
ticket-deflection project for an e-commerce support team, with a filled-in
canvas and a generated dataset of support tickets (ticket text length,
category, channel, customer tenure, order value, region, creation time, and
whether the ticket was resolved without an agent), with realistic missing
values, a weaker region and a time trend. Then run every lifecycle stage on
it, printing what each one found: the canvas, data versioning, profile and
split, a baseline and models, the ladder, evaluation and the gate; a
blue-green deployment served by an in-process 'mlw serve' with feedback and a
canary; then a drifting week of traffic whose drift and degradation alerts
trigger the retraining workflow, a canary of the retrained model, its
promotion and the old version's archiving. Finish with 'mlw status'.

Afterwards, cd into DIR and use any mlw command on the project.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := app.abs("mlw-quickstart")
			if len(args) == 1 {
				dir = app.abs(args[0])
			}
			if rows < 100 {
				return usagef("mlw quickstart --rows 6000", "--rows %d: want at least 100", rows)
			}
			out := app.Out
			fmt.Fprintf(out, "mlw quickstart: a ticket-deflection project in %s\n\n", dir)

			// 1. Problem definition.
			fmt.Fprintln(out, "1. Problem definition")
			if err := app.createProject(c, dir, []byte(quickstart.ProjectYAML), "project.quickstart", "quickstart example project"); err != nil {
				return err
			}
			app.projectDir = dir
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			lint := project.Lint(&e.proj.Config, e.proj.Source, metricLookup)
			fmt.Fprintf(out, "   wrote %s: the ML Project Canvas, filled in\n", project.FileName)
			fmt.Fprintf(out, "   canvas lint: %d error(s), %d warning(s)\n", lint.Errors, lint.Warnings)

			// 2. Data.
			fmt.Fprintln(out, "\n2. Data")
			tickets := quickstart.Generate(rows, seed)
			dataPath := filepath.Join(dir, "data", "support_tickets.csv")
			if err := os.MkdirAll(filepath.Dir(dataPath), 0o755); err != nil {
				return fmt.Errorf("create %s: %w", filepath.Dir(dataPath), err)
			}
			if err := artifact.WriteFileAtomic(dataPath, func(w io.Writer) error { return quickstart.WriteCSV(w, tickets) }); err != nil {
				return err
			}
			resolved := 0
			for _, t := range tickets {
				if t.Resolved {
					resolved++
				}
			}
			fmt.Fprintf(out, "   wrote data/support_tickets.csv: %d tickets, %.1f%% resolved without an agent\n", len(tickets), 100*float64(resolved)/float64(len(tickets)))
			added, err := e.datasets().Add(c.Context(), dataset.AddParams{
				Name: "tickets", Path: dataPath, Defaults: e.proj.Config.Data.Roles, Reason: "quickstart data",
			})
			if err != nil {
				return err
			}
			v := added.Version
			fmt.Fprintf(out, "   mlw data add tickets: %s, %d rows, sha256 %s…\n", v.Ref(), v.Rows, v.Hash[:12])
			prof := profile.Compute(added.Frame, profile.Options{Target: v.Roles.Target, Time: v.Roles.Time, IDs: []string{v.Roles.ID}, Task: profile.Task(e.proj.Config.Task)})
			if _, err := e.recordProfile(c, v, prof); err != nil {
				return err
			}
			page, err := report.ProfileHTML(prof, "Data profile: "+v.Ref().String())
			if err != nil {
				return err
			}
			if err := writeFile(filepath.Join(dir, "profile.html"), page); err != nil {
				return err
			}
			fmt.Fprintf(out, "   mlw data profile tickets --html profile.html: %d finding(s)", len(prof.Findings))
			for i, f := range prof.Findings {
				if i == 2 {
					break
				}
				fmt.Fprintf(out, "; %s", f.Message)
			}
			fmt.Fprintln(out)
			sp, rep, _, err := e.createSplit(c.Context(), v, added.Frame, split.Config{Strategy: split.Time, By: v.Roles.Time}.WithDefaults(), false, "quickstart split")
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "   mlw data split tickets --strategy time: %s, train %d / validation %d / test %d, leakage: %d error(s), %d warning(s)\n",
				sp.ID, sp.Counts.Train, sp.Counts.Validation, sp.Counts.Test, rep.Errors, rep.Warnings)

			// 3. Model development.
			fmt.Fprintln(out, "\n3. Model development")
			d, err := e.loadTrainData(c.Context(), v.Ref().String(), sp.ID)
			if err != nil {
				return err
			}
			svc := &train.Service{Tracker: e.tracker(), Artifacts: e.artifacts}
			baseRun, baseMetrics, _, err := e.ensureBaseline(c.Context(), svc, d, 0, "")
			if err != nil {
				return err
			}
			primary := e.primaryMetric()
			fmt.Fprintf(out, "   baseline %-9s run %s: %s %.4f\n", baseRun.Model, baseRun.ID, primary, baseMetrics[primary])
			var best *train.Result
			var trained []*train.Result
			for _, kind := range []string{"logistic", "tree", "gbdt"} {
				params := map[string]string{}
				if kind == "tree" {
					params["max_depth"] = "6"
				}
				res, err := svc.Train(c.Context(), d, train.Spec{Model: kind, Params: params, Metric: primary})
				if err != nil {
					return err
				}
				trained = append(trained, res)
				if best == nil || res.Valid[primary] > best.Valid[primary] {
					best = res
				}
				lift, _ := liftOf(primary, res.Valid, baseMetrics)
				fmt.Fprintf(out, "   %-18s run %s: %s %.4f, lift %+.4f over the baseline\n", kind, res.Run.ID, primary, res.Valid[primary], lift)
			}

			// The "start simple" ladder, with a small budget.
			space := func(kind string) *tune.Space {
				sp, _ := tune.DefaultSpace(kind, model.BinaryClassification)
				return sp
			}
			var climbed []string
			var targets []gate.Target
			for _, t := range e.proj.Config.Canvas.SuccessMetrics.Technical {
				targets = append(targets, gate.Target{Metric: t.Metric, Min: t.Min, Max: t.Max})
			}
			met := false
			for _, kind := range []string{"logistic", "tree"} {
				sr, err := e.runStudy(c.Context(), d, studySpec{Name: "quickstart-ladder-" + kind, Kind: kind, Space: space(kind),
					Sampler: tune.TPESampler{}, Metric: primary, Dir: tune.Maximize, Trials: 4, CV: 3, Parallel: 1}, newProgress(app.Err, false))
				if err != nil {
					return err
				}
				climbed = append(climbed, fmt.Sprintf("%s %.4f (CV %.4f)", kind, sr.refit.Valid[primary], sr.result.Best.Value))
				met = met || gate.CheckTargets(targets, sr.refit.Valid, "validation").Status == gate.Pass
			}
			verdict := "a simple model meets the canvas targets on validation: the ladder stops before ensembles"
			if !met {
				verdict = "no simple model meets the canvas targets yet: mlw ladder climbs to ensembles"
			}
			fmt.Fprintf(out, "   mlw ladder rung 1 (4 TPE trials per model): %s; %s\n", strings.Join(climbed, ", "), verdict)

			// 4. Registry.
			fmt.Fprintln(out, "\n4. Evaluation and registry")
			reg := e.registry()
			mv, err := reg.Register(c.Context(), best.Run.ID, "deflect", "best validation "+primary+" of the quickstart", "quickstart: best model")
			if err != nil {
				return err
			}
			if _, _, err := reg.SetAlias(c.Context(), mv.Ref().String(), "challenger", "quickstart: best on validation", nil); err != nil {
				return err
			}
			fmt.Fprintf(out, "   mlw model register %s --name deflect: %s (%s), alias challenger\n", best.Run.ID, mv.Ref(), best.Run.Model)
			ev, _, _, err := e.evaluateRun(c, best.Run, split.Test, nil, 300, filepath.Join(dir, "evaluation.html"))
			if err != nil {
				return err
			}
			l := ev.Lift[primary]
			fmt.Fprintf(out, "   mlw evaluate %s --on test --html evaluation.html: %s %.4f, lift %+.4f over the baseline (95%% CI %+.4f to %+.4f, %s)\n",
				best.Run.ID, primary, l.Model, l.Lift, float64(l.Low), float64(l.High), l.Verdict)
			for _, sg := range ev.Segments {
				if sg.Flagged {
					fmt.Fprintf(out, "   segment %s is %.3f below the overall %s (limit %.2f)\n", sg.Segment, float64(sg.Gap), primary, ev.SegmentGap.MaxGap)
				}
			}
			if len(ev.Slices) > 0 {
				fmt.Fprintf(out, "   error analysis: %s\n", ev.Slices[0].Summary)
			}
			fmt.Fprintf(out, "   mlw lineage %s walks back to the bytes of data/support_tickets.csv\n", mv.Ref())
			res, err := e.runCheck(c, mv.Ref().String())
			if err != nil {
				return err
			}
			var failed []string
			for _, it := range res.Items {
				if it.Status == gate.Fail {
					failed = append(failed, it.ID)
				}
			}
			fmt.Fprintf(out, "   mlw check %s: %d automatic check(s) failed%s, %d item(s) await sign-off: not champion yet\n",
				mv.Ref(), res.Failed, listSuffix(failed), res.Unsigned)

			// 5. Deployment.
			if !noServe {
				fmt.Fprintln(out, "\n5. Deployment")
				if err := app.quickstartDeploy(c.Context(), e, mv, best, trained, added.Frame, v, sp.ID, primary); err != nil {
					return err
				}

				// 6. Monitoring and maintenance.
				fmt.Fprintln(out, "\n6. Monitoring and maintenance")
				if err := app.quickstartWeek(c.Context(), e, dir, tickets, seed); err != nil {
					return err
				}
			}

			// The proposal, with the evidence measured above.
			fmt.Fprintln(out, "\nReport")
			p, err := app.buildProposal(c, e)
			if err != nil {
				return err
			}
			for _, f := range []struct {
				name   string
				render func() ([]byte, error)
			}{{"proposal.md", p.Markdown}, {"proposal.html", p.HTML}} {
				b, err := f.render()
				if err != nil {
					return err
				}
				if err := writeFile(filepath.Join(dir, f.name), b); err != nil {
					return err
				}
			}
			fmt.Fprintln(out, "   wrote proposal.md and proposal.html: the ML Project Proposal, with the evidence above")

			// Where the project stands.
			fmt.Fprintln(out)
			facts, err := gatherFacts(c.Context(), e)
			if err != nil {
				return err
			}
			app.printStatus(e.proj.Config.Name, lifecycle.Assess(*facts))
			fmt.Fprintf(out, "\nThe project is in %s: cd there and run 'mlw status', 'mlw canvas lint' or 'mlw audit'.\n", dir)
			return nil
		},
	}
	c.Flags().IntVar(&rows, "rows", 6000, "tickets to generate")
	c.Flags().Uint64Var(&seed, "seed", 1, "random seed of the generated data")
	c.Flags().BoolVar(&noServe, "no-serve", false, "stop after evaluation and registry: no local server, deployment, monitoring or retraining")
	return c
}

// writeFile writes b to path atomically.
func writeFile(path string, b []byte) error {
	return writeFileWith(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// writeFileWith writes path atomically with a writer function.
func writeFileWith(path string, write func(io.Writer) error) error {
	return artifact.WriteFileAtomic(path, write)
}

func listSuffix(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, ", ") + ")"
}
