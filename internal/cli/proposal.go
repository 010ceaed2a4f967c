package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/project"
	"mlw.dev/internal/report"
	"mlw.dev/internal/store"
	"mlw.dev/profile"
)

func (app *App) proposalCommand() *cobra.Command {
	var format, out string
	c := &cobra.Command{
		Use:   "proposal",
		Short: "Render the ML Project Proposal from the canvas and the evidence measured so far",
		Long: `Render the ML Project Proposal: problem statement, ML formulation, data
requirements, success metrics, constraints, timeline and resources, risks and
mitigation, from the canvas in mlw.yaml; and the evidence the lifecycle has
recorded (datasets, baseline and best model, gate status), or what to run to
get it. Fields the canvas leaves empty show as "(not stated)".

Markdown goes to standard output unless -o is given. HTML is one
self-contained file that reads well in a browser, offline.`,
		Example: "  mlw proposal\n  mlw proposal -o proposal.html",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			format, err := documentFormat(format, out, "mlw proposal --format md|html")
			if err != nil {
				return err
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			p, err := app.buildProposal(c, e)
			if err != nil {
				return err
			}
			return app.writeProposal(p, format, out)
		},
	}
	c.Flags().StringVar(&format, "format", "", "md or html (default: from the -o extension, else md)")
	c.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	return c
}

// documentFormat is md or html: the --format flag, else the -o extension.
func documentFormat(format, out, usage string) (string, error) {
	if format == "" {
		format = "md"
		if ext := strings.ToLower(filepath.Ext(out)); ext == ".html" || ext == ".htm" {
			format = "html"
		}
	}
	if format != "md" && format != "html" {
		return "", usagef(usage, "--format %q: want md or html", format)
	}
	return format, nil
}

// writeProposal renders p as Markdown or HTML to out, or to standard output.
func (app *App) writeProposal(p *report.Proposal, format, out string) error {
	render := p.Markdown
	if format == "html" {
		render = p.HTML
	}
	b, err := render()
	if err != nil {
		return err
	}
	if out == "" {
		_, err = app.Out.Write(b)
		return err
	}
	return writeFile(app.abs(out), b)
}

// buildProposal gathers the canvas and the evidence recorded in the store.
func (app *App) buildProposal(c *cobra.Command, e *env) (*report.Proposal, error) {
	cfg := &e.proj.Config
	p := &report.Proposal{
		Project:   cfg.Name,
		Task:      cfg.Task,
		Generated: app.Now(),
		Canvas:    cfg.Canvas,
		Data:      cfg.Data,
		Lint:      project.Lint(cfg, e.proj.Source, metricLookup),
	}
	sets, err := e.store.ListDatasets(c.Context(), &store.ListDatasetsParams{})
	if err != nil {
		return nil, err
	}
	for _, d := range sets {
		v, err := e.store.GetDatasetVersion(c.Context(), &store.GetDatasetVersionParams{Dataset: d.Name})
		if err != nil {
			return nil, err
		}
		findings, err := e.profileFindings(c.Context(), v)
		if err != nil {
			return nil, err
		}
		p.Datasets = append(p.Datasets, report.DatasetEvidence{
			Ref:      v.Ref().String(),
			Rows:     v.Rows,
			Columns:  schemaColumns(v.Schema),
			Target:   v.Roles.Target,
			Findings: findings,
		})
	}
	if err := e.addGateEvidence(c.Context(), p); err != nil {
		return nil, err
	}
	best, base, err := e.bestAndBaseline(c.Context())
	if err != nil {
		return nil, err
	}
	metric := e.primaryMetric()
	if base != nil {
		p.Models = append(p.Models, report.ModelEvidence{Role: "baseline", Ref: base.run.ID, Model: base.run.Model, Metric: metric, Value: base.valid[metric], Baseline: base.valid[metric]})
	}
	if best != nil {
		b := best.valid[metric]
		if base != nil {
			b = base.valid[metric]
		}
		p.Models = append(p.Models, report.ModelEvidence{Role: "best", Ref: best.run.ID, Model: best.run.Model, Metric: metric, Value: best.valid[metric], Baseline: b})
	}
	return p, nil
}

// addGateEvidence adds the latest check of the champion (of the first model
// that has one), else of the newest registered version.
func (e *env) addGateEvidence(ctx context.Context, p *report.Proposal) error {
	aliases, err := e.store.ListAliases(ctx, &store.ListAliasesParams{})
	if err != nil {
		return err
	}
	ref := ""
	for _, a := range aliases {
		if a.Alias == "champion" {
			ref = fmt.Sprintf("%s@%d", a.Model, a.Version)
			break
		}
	}
	if ref == "" {
		versions, err := e.store.ListModelVersions(ctx, &store.ListModelVersionsParams{})
		if err != nil || len(versions) == 0 {
			return err
		}
		ref = versions[len(versions)-1].Ref().String()
	}
	res, err := e.latestCheckResult(ctx, ref)
	if err != nil || res == nil {
		return err
	}
	for _, it := range res.Items {
		p.Gates = append(p.Gates, report.GateEvidence{Item: ref + ": " + it.Title, Status: it.Status, Detail: it.Evidence})
	}
	return nil
}

// profileFindings returns the warnings and errors of the latest profile of a
// dataset version ("not profiled yet" when there is none), at most five.
func (e *env) profileFindings(ctx context.Context, v *mlw.DatasetVersion) ([]string, error) {
	runs, err := e.store.ListRuns(ctx, &store.ListRunsParams{Kind: "profile", DatasetVersionID: v.ID, Status: mlw.RunFinished, Limit: 1})
	if err != nil || len(runs) == 0 {
		return []string{"not profiled yet: mlw data profile " + v.Ref().String()}, err
	}
	arts, err := e.store.ListRunArtifacts(ctx, runs[0].ID)
	if err != nil {
		return nil, err
	}
	for _, a := range arts {
		if a.Name != "profile.json" {
			continue
		}
		b, err := e.artifacts.Get(ctx, a.Key)
		if err != nil {
			return nil, err
		}
		var p profile.Profile
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("profile of %s: %w", v.Ref(), err)
		}
		var out []string
		for _, f := range p.Findings {
			if f.Severity != profile.SeverityInfo && len(out) < 5 {
				out = append(out, f.Message)
			}
		}
		if len(out) == 0 {
			out = append(out, fmt.Sprintf("profiled: %d rows, no warnings", p.Rows))
		}
		return out, nil
	}
	return nil, nil
}

// scoredRun is a finished run with its validation metrics.
type scoredRun struct {
	run   *mlw.Run
	valid map[string]float64
}

// bestAndBaseline returns the finished training run with the best validation
// primary metric and the baseline of its split.
func (e *env) bestAndBaseline(ctx context.Context) (best, base *scoredRun, err error) {
	metric := e.primaryMetric()
	higher := true
	if info, ok := metricLookup.Lookup(metric); ok {
		higher = info.HigherIsBetter
	}
	runs, err := e.store.ListRuns(ctx, &store.ListRunsParams{TopLevel: true, Kind: "train", Status: mlw.RunFinished})
	if err != nil {
		return nil, nil, err
	}
	for _, r := range runs {
		m, err := e.tracker().Metrics(ctx, r.ID)
		if err != nil {
			return nil, nil, err
		}
		v, ok := m["valid."+metric]
		if !ok {
			continue
		}
		if best == nil || higher && v > best.valid[metric] || !higher && v < best.valid[metric] {
			best = &scoredRun{r, validOnly(m)}
		}
	}
	if best == nil {
		return nil, nil, nil
	}
	bases, err := e.store.ListRuns(ctx, &store.ListRunsParams{Kind: "baseline", SplitID: best.run.SplitID, Status: mlw.RunFinished, Limit: 1})
	if err != nil || len(bases) == 0 {
		return best, nil, err
	}
	m, err := e.tracker().Metrics(ctx, bases[0].ID)
	if err != nil {
		return nil, nil, err
	}
	return best, &scoredRun{bases[0], validOnly(m)}, nil
}
