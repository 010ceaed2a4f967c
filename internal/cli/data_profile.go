package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/report"
	"mlw.dev/internal/store"
	"mlw.dev/internal/track"
	"mlw.dev/profile"
)

func (app *App) dataProfileCommand() *cobra.Command {
	var (
		htmlOut string
		asJSON  bool
		sample  int
	)
	c := &cobra.Command{
		Use:   "profile NAME[@N]",
		Short: "Profile a dataset version: statistics, correlations, target relations, quality findings",
		Long: `Exploratory data analysis of a dataset version. Per column: type, count,
missing, distinct values, top values, mean, standard deviation, quantiles,
skewness, zeros, outliers (IQR rule and |z| > 3) and a histogram. For the table:
duplicate rows, constant and near-constant columns, high-cardinality
categoricals, id-like columns, Pearson and Spearman correlations, Cramér's V,
each feature's relation to the target (ROC AUC or R², mutual information),
class balance. Findings in plain words with a severity ("insulin: 48.7%
missing", "x3 and x7 correlate at 0.98").

The profile is recorded as a run (kind profile) with the JSON as an artifact,
so mlw status knows the data was profiled. --html writes a self-contained
report with plots that works offline.

JSON (--json): the profile: rows, columns (name, type, missing, missing_pct,
distinct, top, mean, std, min, max, quantiles, skewness, zeros, outliers_iqr,
outliers_z, histogram), duplicate_rows, constant_columns,
near_constant_columns, high_cardinality, id_like, correlations (pearson,
spearman), cramers_v, target, findings (severity, check, column, columns,
message, value), run_id.`,
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
			opts := profile.Options{Target: v.Roles.Target, Time: v.Roles.Time, SampleRows: sample}
			if v.Roles.Target != "" {
				opts.Task = profile.Task(e.proj.Config.Task)
			}
			if v.Roles.ID != "" {
				opts.IDs = []string{v.Roles.ID}
			}
			p := profile.Compute(f, opts)
			run, err := e.recordProfile(c, v, p)
			if err != nil {
				return err
			}
			if htmlOut != "" {
				page, err := report.ProfileHTML(p, "Data profile: "+v.Ref().String())
				if err != nil {
					return err
				}
				if err := writeFile(app.abs(htmlOut), page); err != nil {
					return err
				}
			}
			if asJSON {
				return writeJSON(app.Out, struct {
					*profile.Profile
					Findings []profileFinding `json:"findings"`
					RunID    string           `json:"run_id"`
				}{p, profileFindings(p), run.ID})
			}
			app.printProfile(v, p)
			if htmlOut != "" {
				fmt.Fprintf(app.Out, "\nwrote %s\n", htmlOut)
			}
			return nil
		},
	}
	c.Flags().StringVar(&htmlOut, "html", "", "also write a self-contained HTML report to FILE")
	c.Flags().IntVar(&sample, "sample", 0, "profile a random sample of N rows (0: all)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// profileFinding adds the first column as "column" to a finding.
type profileFinding struct {
	profile.Finding
	Column string `json:"column"`
}

func profileFindings(p *profile.Profile) []profileFinding {
	out := make([]profileFinding, len(p.Findings))
	for i, f := range p.Findings {
		out[i] = profileFinding{Finding: f, Column: strings.Join(f.Columns, ",")}
	}
	return out
}

// recordProfile logs the profile as a finished run of kind profile.
func (e *env) recordProfile(c *cobra.Command, v *mlw.DatasetVersion, p *profile.Profile) (*mlw.Run, error) {
	ctx := c.Context()
	tr := e.tracker()
	run, err := tr.Start(ctx, track.StartParams{Kind: "profile", DatasetVersionID: v.ID, Tags: map[string]string{"dataset": v.Ref().String()}})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		tr.Fail(ctx, run.ID, err)
		return nil, err
	}
	info, err := e.artifacts.PutBytes(ctx, b)
	if err != nil {
		tr.Fail(ctx, run.ID, err)
		return nil, err
	}
	if err := e.store.AddRunArtifact(ctx, &store.AddRunArtifactParams{RunID: run.ID, Artifact: mlw.RunArtifact{Name: "profile.json", Key: info.Key, Size: info.Size}}); err != nil {
		return nil, err
	}
	counts := map[string]float64{"rows": float64(p.Rows), "columns": float64(len(p.Columns)), "duplicate_rows": float64(p.DuplicateRows)}
	for _, f := range p.Findings {
		counts["findings."+string(f.Severity)]++
	}
	if err := tr.LogMetrics(ctx, run.ID, 0, counts); err != nil {
		return nil, err
	}
	return tr.Finish(ctx, run.ID)
}

func (app *App) printProfile(v *mlw.DatasetVersion, p *profile.Profile) {
	out := app.Out
	fmt.Fprintf(out, "%s: %d rows, %d columns, %d duplicate rows\n\n", v.Ref(), p.Rows, len(p.Columns), p.DuplicateRows)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tMISSING\tDISTINCT\tMEAN\tSTD\tMIN\tMEDIAN\tMAX\tTOP")
	for _, col := range p.Columns {
		mean, std, mn, med, mx := "", "", "", "", ""
		if s := col.NumericStats; s != nil {
			mean, std, mn, med, mx = num(s.Mean), num(s.Std), num(s.Min), num(s.Quantiles.P50), num(s.Max)
		}
		top := ""
		if len(col.Top) > 0 {
			top = fmt.Sprintf("%s (%d)", col.Top[0].Value, col.Top[0].Count)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f%%\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", col.Name, col.Type, col.MissingPct, col.Distinct, mean, std, mn, med, mx, top)
	}
	tw.Flush()
	if t := p.Target; t != nil && len(t.Features) > 0 {
		rel := slices.Clone(t.Features)
		slices.SortStableFunc(rel, func(a, b profile.Relation) int { return cmp.Compare(float64(b.MutualInfo), float64(a.MutualInfo)) })
		fmt.Fprintf(out, "\nstrongest relations to %s (mutual information, nats):\n", v.Roles.Target)
		for _, r := range rel[:min(5, len(rel))] {
			extra := ""
			if !math.IsNaN(float64(r.AUC)) {
				extra = fmt.Sprintf("  ROC AUC %.3f", float64(r.AUC))
			} else if !math.IsNaN(float64(r.R2)) {
				extra = fmt.Sprintf("  R² %.3f", float64(r.R2))
			}
			fmt.Fprintf(out, "  %-28s %.3f%s\n", r.Column, float64(r.MutualInfo), extra)
		}
		for _, cc := range t.Classes {
			fmt.Fprintf(out, "  class %s: %d rows\n", cc.Value, cc.Count)
		}
	}
	if len(p.Findings) > 0 {
		fmt.Fprintln(out, "\nfindings:")
		for _, f := range p.Findings {
			fmt.Fprintf(out, "  %-7s %s\n", f.Severity, f.Message)
		}
	}
}

func num(v profile.Float) string {
	f := float64(v)
	if math.IsNaN(f) {
		return "-"
	}
	return fmt.Sprintf("%.4g", f)
}
