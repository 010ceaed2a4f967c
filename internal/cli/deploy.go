package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"mlw.dev/internal/deploy"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/report"
)

// deployService returns the deployment service of an opened project;
// blue-green candidates are verified by loading them.
func (e *env) deployService() *deploy.Service {
	return &deploy.Service{Store: e.store, Now: e.app.Now, Actor: e.actor,
		Verify: deploy.VerifyWith(&deploy.Loader{Blobs: e.artifacts}), Promoted: e.retire}
}

func (app *App) deployCommand() *cobra.Command {
	var (
		r        deploy.Request
		weights  string
		steps    string
		interval time.Duration
		asJSON   bool
	)
	c := &cobra.Command{
		Use:   "deploy ENDPOINT MODEL",
		Short: "Deploy a model version to an endpoint: direct, shadow, A/B, canary or blue-green",
		Long: `Deploy MODEL (NAME@N, NAME@alias or NAME) to ENDPOINT. Deployments live in the
store as revisions of the endpoint; every change is audited, and running
servers ('mlw serve') pick it up within a second, without a restart and
without failing a request.

Strategies (--strategy):
  direct     replace what the endpoint serves (the first deployment)
  shadow     the new version gets a mirror of live traffic; only the current
             one answers; 'mlw deploy status' compares both
  ab         split traffic by --weights (current,new; default 50,50), sticky by
             --sticky-header or --sticky-field so a user keeps a variant
  canary     the new version takes --steps percent of traffic (default
             5,25,50,100), each held for --interval; at each step the server
             compares it with the stable version over the prediction log
             (error rate, p99 latency, prediction shift, online accuracy once
             feedback exists) and rolls back on a limit crossed, or steps on,
             and promotes after the last step
  bluegreen  load and verify the new version (smoke predictions from its
             training reference) beside the live one, then switch at once;
             the old one stays loaded so 'mlw rollback' is instant

End a shadow, A/B split or canary with 'mlw promote' or 'mlw rollback'.

JSON (--json): the new revision: endpoint, revision, strategy, state, spec
(variants with model, version, weight; canary plan), reason, created_at.`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			r.Endpoint, r.Model, r.Interval = args[0], args[1], interval
			var err error
			if r.Weights, err = parseInts("--weights", weights); err != nil {
				return err
			}
			if r.Steps, err = parseInts("--steps", steps); err != nil {
				return err
			}
			if c.Flags().Changed("weights") && r.Strategy != deploy.AB {
				return usagef("mlw deploy ENDPOINT MODEL --strategy ab --weights 90,10", "--weights is for --strategy ab")
			}
			if (c.Flags().Changed("steps") || c.Flags().Changed("interval")) && r.Strategy != deploy.Canary {
				return usagef("mlw deploy ENDPOINT MODEL --strategy canary --steps 5,25,50,100 --interval 5m", "--steps and --interval are for --strategy canary")
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			d, err := e.deployService().Deploy(c.Context(), r)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, d)
			}
			spec, err := deploy.ParseSpec(d)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Out, "endpoint %s revision %d (%s, %s): %s\n", d.Endpoint, d.Revision, d.Strategy, d.State, serves(spec))
			if cs := spec.Canary; cs != nil {
				fmt.Fprintf(app.Out, "canary steps %s%%, each held %s; limits: error rate %g, p99 %s, shift %g\n",
					joinInts(cs.Steps), time.Duration(cs.Interval), cs.MaxErrorRate, msOrNone(cs.MaxP99Ms), cs.MaxShift)
				fmt.Fprintln(app.Out, "a running 'mlw serve' analyses each step and promotes or rolls back")
			}
			for _, ch := range spec.Verified {
				fmt.Fprintf(app.Out, "verified: %s\n", ch)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&r.Strategy, "strategy", deploy.Direct, "direct, shadow, ab, canary or bluegreen")
	f.StringVar(&weights, "weights", "", "A/B weights: the current version's, then the new one's (e.g. 90,10)")
	f.StringVar(&r.StickyHeader, "sticky-header", "", "A/B and canary: request header whose hashed value picks the variant")
	f.StringVar(&r.StickyField, "sticky-field", "", "A/B and canary: input field whose hashed value picks the variant")
	f.StringVar(&steps, "steps", "", "canary traffic percentages (default 5,25,50,100)")
	f.DurationVar(&interval, "interval", 0, "canary: how long each step is held before its analysis (default 5m)")
	f.Float64Var(&r.MaxErrorRate, "max-error-rate", 0, "canary: roll back when its error rate exceeds this share (default 0.01)")
	f.Float64Var(&r.MaxP99Ms, "max-p99-ms", 0, "canary: roll back when its p99 latency exceeds this (default: no limit)")
	f.Float64Var(&r.MaxShift, "max-shift", 0, "canary: roll back when the PSI of its predictions against the stable version's exceeds this (default 0.25)")
	f.Float64Var(&r.MaxAccuracyDrop, "max-accuracy-drop", 0, "canary: roll back when its online accuracy is this much below the stable version's (default 0.05)")
	f.IntVar(&r.MinRequests, "min-requests", 0, "canary: requests a step needs before it is judged (default 20)")
	f.StringVar(&r.Reason, "reason", "", "why, recorded in the audit trail")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(app.deployStatusCommand(), app.deployListCommand())
	return c
}

func msOrNone(ms float64) string {
	if ms <= 0 {
		return "no limit"
	}
	return fmt.Sprintf("%g ms", ms)
}

// parseInts parses a comma-separated list of integers ("" is nil).
func parseInts(flag, s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, usagef("e.g. "+flag+" 90,10", "%s %q: %q is not an integer", flag, s, p)
		}
		out = append(out, n)
	}
	return out, nil
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// serves describes a spec's variants.
func serves(s *deploy.Spec) string {
	if len(s.Variants) == 0 {
		return "nothing"
	}
	var parts []string
	for _, v := range s.Variants {
		p := v.Name + " " + v.Ref()
		if len(s.Variants) > 1 {
			p += fmt.Sprintf(" %d%%", v.Weight)
		}
		parts = append(parts, p)
	}
	for _, v := range s.Shadows {
		parts = append(parts, "shadow "+v.Ref())
	}
	if s.Standby != nil {
		parts = append(parts, "standby "+s.Standby.Ref())
	}
	return strings.Join(parts, ", ")
}

func (app *App) deployStatusCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status ENDPOINT",
		Short: "What an endpoint serves, each variant's traffic since the last change, and its history",
		Long: `Show an endpoint's live revision (strategy, state, variants and weights, canary
step and next analysis), each variant's logged traffic since the revision
began, at most the last hour (requests, error rate, latency p50/p99,
prediction distribution, and for a shadow its agreement with the answering
version), and every revision. 'mlw monitor' covers any window.

JSON (--json): endpoint, revision, strategy, state, reason, created_at,
spec, since, variants (name, model, version, weight, shadow, traffic
{requests, errors, error_rate, p50_ms, p99_ms, rows, score_mean, labeled,
accuracy}, score_quantiles, classes, agreement), next_check, history.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			st, err := e.deployService().Status(c.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, st)
			}
			printDeployStatus(app.Out, st)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printDeployStatus(w io.Writer, st *deploy.Status) {
	fmt.Fprintf(w, "endpoint %s: revision %d, %s, %s — %s\n", st.Endpoint, st.Revision, st.Strategy, st.State, serves(st.Spec))
	if st.Reason != "" {
		fmt.Fprintf(w, "reason: %s\n", st.Reason)
	}
	if cs := st.Spec.Canary; cs != nil {
		fmt.Fprintf(w, "canary at %d%% (step %d of %d), next analysis %s\n", cs.Steps[cs.Step], cs.Step+1, len(cs.Steps), st.NextCheck.Format(time.RFC3339))
	}
	if a := st.Spec.Analysis; a != nil {
		verdict := "passed"
		if !a.Passed {
			verdict = "failed: " + strings.Join(a.Failures, "; ")
		}
		fmt.Fprintf(w, "last canary analysis (%d%%): %s\n", a.Percent, verdict)
	}
	if len(st.Variants) > 0 {
		fmt.Fprintf(w, "\ntraffic since %s:\n", st.Since.Format(time.RFC3339))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "VARIANT\tMODEL\tREQUESTS\tERROR RATE\tP50 MS\tP99 MS\tSCORE P10/P50/P90\tAGREEMENT")
		for _, v := range st.Variants {
			name := v.Name
			if v.Shadow {
				name += " (shadow)"
			}
			q := "-"
			if len(v.ScoreQuantiles) == 3 {
				q = fmt.Sprintf("%s/%s/%s", report.FormatNum(v.ScoreQuantiles[0]), report.FormatNum(v.ScoreQuantiles[1]), report.FormatNum(v.ScoreQuantiles[2]))
			}
			agree := "-"
			if v.Agreement != nil {
				agree = fmt.Sprintf("%.1f%%", 100**v.Agreement)
			}
			t := v.Traffic
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f%%\t%s\t%s\t%s\t%s\n", name, v.Ref(), t.Requests, 100*t.ErrorRate, report.FormatNum(t.P50Ms), report.FormatNum(t.P99Ms), q, agree)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\nhistory:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REVISION\tAT\tBY\tSTRATEGY\tSTATE\tSERVES")
	for _, h := range st.History {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", h.Revision, h.CreatedAt.Format(time.RFC3339), h.CreatedBy, h.Strategy, h.State, h.Serves)
	}
	tw.Flush()
}

func (app *App) deployListCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List endpoints with their live revision",
		Long: `List every endpoint with its latest revision, strategy, state and what it serves.

JSON (--json): an array of {endpoint, revision, strategy, state, serves,
created_at, created_by}.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			list, err := e.deployService().List(c.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if list == nil {
					list = []deploy.Summary{}
				}
				return writeJSON(app.Out, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(app.Out, "no endpoint is deployed; mlw deploy ENDPOINT NAME@N deploys one")
				return nil
			}
			tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ENDPOINT\tREVISION\tSTRATEGY\tSTATE\tSERVES\tSINCE")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", s.Endpoint, s.Revision, s.Strategy, s.State, s.Serves, s.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// changeCommand builds rollback, promote and undeploy.
func (app *App) changeCommand(use, short, long string, variant bool,
	do func(s *deploy.Service, c *cobra.Command, endpoint, variant, reason string) (*mlw.Deployment, error)) *cobra.Command {
	var (
		reason, v string
		asJSON    bool
	)
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + "\n\nJSON (--json): the new revision (as mlw deploy --json).",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			d, err := do(e.deployService(), c, args[0], v, reason)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, d)
			}
			spec, err := deploy.ParseSpec(d)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Out, "endpoint %s revision %d (%s): %s\n", d.Endpoint, d.Revision, d.State, serves(spec))
			return nil
		},
	}
	if variant {
		c.Flags().StringVar(&v, "variant", "", "A/B: the variant to promote (default b, the new version)")
	}
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (app *App) rollbackCommand() *cobra.Command {
	return app.changeCommand("rollback ENDPOINT", "Switch an endpoint back to the version it was changed from",
		`Return ENDPOINT to the revision it was changed from: a canary, shadow or A/B
split ends with the stable version alone; after a direct deployment, a
promotion or a blue-green switch the previous version serves again (at once
for blue-green: it is still loaded). Audited.`, false,
		func(s *deploy.Service, c *cobra.Command, ep, _, reason string) (*mlw.Deployment, error) {
			return s.Rollback(c.Context(), ep, reason)
		})
}

func (app *App) promoteCommand() *cobra.Command {
	return app.changeCommand("promote ENDPOINT", "Give an endpoint's candidate version all traffic",
		`End a change in progress in favour of the new version: the canary, the shadow
or the A/B split's variant (--variant, default b) takes all traffic. After a
blue-green switch, promote releases the old version kept loaded for a
rollback. Audited.`, true,
		func(s *deploy.Service, c *cobra.Command, ep, v, reason string) (*mlw.Deployment, error) {
			return s.Promote(c.Context(), ep, v, reason)
		})
}

func (app *App) undeployCommand() *cobra.Command {
	return app.changeCommand("undeploy ENDPOINT", "Stop serving an endpoint (its history stays)",
		`Stop serving ENDPOINT: running servers drop it within a second (requests in
flight finish). Its revisions stay in the store. Audited.`, false,
		func(s *deploy.Service, c *cobra.Command, ep, _, reason string) (*mlw.Deployment, error) {
			return s.Undeploy(c.Context(), ep, reason)
		})
}

// Version is mlw's version, reported by the server (GET /v2).
var Version = "dev"

// parseWhen parses a time flag: RFC 3339, a date-time without zone (UTC), a
// date, or a duration ago ("90m" means 90 minutes before now).
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, usagef(flag+" 2026-11-28T10:00:00Z or "+flag+" 2h", "%s %q: want an RFC 3339 time, a date, or a duration ago such as 2h", flag, s)
}

func (app *App) servedCommand() *cobra.Command {
	var (
		at     string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "served ENDPOINT --at TIME",
		Short: "Which model versions (and variants) served an endpoint at a given time",
		Long: `Answer which model versions served ENDPOINT at TIME: the deployment revision
live then, with its variants, weights and shadows. TIME is RFC 3339
(2026-11-28T10:00:00Z), a date, or a duration ago (2h).

JSON (--json): at, endpoint, revision, strategy, state, created_at,
created_by, reason, variants (name, model, version, weight), shadows.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if at == "" {
				return usagef("mlw served ENDPOINT --at 2h", "--at is required")
			}
			t, err := parseWhen("--at", at, app.Now())
			if err != nil {
				return err
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			d, spec, err := e.deployService().Served(c.Context(), args[0], t)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, map[string]any{"at": t, "endpoint": d.Endpoint, "revision": d.Revision,
					"strategy": d.Strategy, "state": d.State, "created_at": d.CreatedAt, "created_by": d.CreatedBy,
					"reason": d.Reason, "variants": nonNil(spec.Variants), "shadows": nonNil(spec.Shadows)})
			}
			fmt.Fprintf(app.Out, "at %s endpoint %s served revision %d (%s, %s since %s by %s): %s\n", t.Format(time.RFC3339),
				d.Endpoint, d.Revision, d.Strategy, d.State, d.CreatedAt.Format(time.RFC3339), d.CreatedBy, serves(spec))
			return nil
		},
	}
	c.Flags().StringVar(&at, "at", "", "the time (RFC 3339, a date, or a duration ago such as 2h)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
