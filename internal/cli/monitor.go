package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"mlw.dev/internal/artifact"
	"mlw.dev/internal/audit"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/monitor"
	"mlw.dev/internal/predlog"
	"mlw.dev/internal/report"
	"mlw.dev/internal/store"
	"mlw.dev/model/bundle"
)

// monitorPage is the number of prediction log records monitorWindow reads
// at a time: the analysis holds one page, never the whole window.
const monitorPage = 10_000

// monitorWindow analyses an endpoint's logged traffic in [from, to),
// reading the log page by page into a monitor.Accumulator. The bundles of
// the versions that served are loaded as their first records come (a
// version whose bundle cannot be loaded counts as traffic only) and kept in
// bundles, a cache the caller may pass from one window to the next (nil: none).
func (e *env) monitorWindow(ctx context.Context, endpoint string, from, to time.Time, bucket time.Duration, bundles map[string]*bundle.Bundle) (*monitor.Report, error) {
	alerts, err := e.store.ListAlertEvents(ctx, &store.ListAlertEventsParams{Endpoint: endpoint, Since: from})
	if err != nil {
		return nil, err
	}
	if bundles == nil {
		bundles = map[string]*bundle.Bundle{}
	}
	acc, err := monitor.NewAccumulator(monitor.Input{Endpoint: endpoint, From: from, To: to,
		LoadModel: func(ref string) *bundle.Bundle {
			if b, ok := bundles[ref]; ok {
				return b
			}
			b, _, err := e.loadBundle(ctx, ref)
			if err != nil {
				return nil // reported as traffic of a version without a bundle
			}
			bundles[ref] = b
			return b
		},
		Drift: e.proj.Config.Monitoring.Drift, Bucket: bucket, Alerts: alerts})
	if err != nil {
		return nil, err
	}
	type version struct {
		model   string
		version int
	}
	served := map[version]int{}
	params := &store.ListPredictionsParams{Endpoint: endpoint, Since: from, Until: to, IncludeShadow: true, Limit: monitorPage}
	for {
		page, err := e.store.ListPredictions(ctx, params)
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			served[version{p.Model, p.Version}]++
		}
		acc.Add(page...)
		if len(page) < monitorPage {
			break
		}
		params.AfterID = page[len(page)-1].ID
	}
	// The evaluation-time figures of the version that served the most rows.
	var top string
	n := 0
	for v, k := range served {
		ref := fmt.Sprintf("%s@%d", v.model, v.version)
		if top == "" || k > n || k == n && ref < top {
			top, n = ref, k
		}
	}
	if top != "" {
		acc.SetExpected(e.expectedMetrics(ctx, top))
	}
	return acc.Report()
}

// expectedMetrics returns the test metrics of a model version's run, if it
// was evaluated on test (monitoring never evaluates on test itself).
func (e *env) expectedMetrics(ctx context.Context, ref string) map[string]float64 {
	v, err := e.registry().Resolve(ctx, ref)
	if err != nil {
		return nil
	}
	run, err := e.store.GetRun(ctx, v.RunID)
	if err != nil {
		return nil
	}
	rep, err := e.latestTestEvaluation(ctx, run)
	if err != nil || rep == nil {
		return nil
	}
	return rep.Metrics
}

func (app *App) monitorCommand() *cobra.Command {
	var (
		window, bucket time.Duration
		since, until   string
		htmlOut        string
		asJSON         bool
	)
	c := &cobra.Command{
		Use:   "monitor ENDPOINT",
		Short: "Latency, errors, data quality, drift and online metrics of an endpoint",
		Long: `Analyse an endpoint's prediction log over a window (--window before now, or
--since/--until):

  system        requests, request rate, error rate, latency p50/p95/p99, per
                model version and variant (shadows with their agreement)
  data quality  missing rate per feature against training, unseen categories,
                out-of-range values, type errors, schema violations
  drift         every feature and the prediction against the training
                reference stored in the model bundle (the training data is
                never re-read), with Evidently's defaults: KS / chi-square
                (p <= 0.05) for references of up to 1000 rows, normalised
                Wasserstein / Jensen-Shannon (>= 0.1) above, or the methods
                and thresholds of mlw.yaml monitoring.drift; dataset drift
                when the drifted share reaches dataset_share
  online        the task's metrics over the rows with feedback labels, next
                to the figures of the model's test evaluation
  alerts        alert events (firing, resolved) of the window

--html writes one self-contained page with time-series plots (latency,
traffic, drift per feature, online metric).

JSON (--json): endpoint, from, to, bucket_seconds, reference, task, requests,
rows, errors, error_rate, request_rate, latency_ms {p50, p95, p99}, variants,
data_quality, schema_violations, drift [{feature, method, statistic, p_value,
value, threshold, drifted}], prediction_drift, drift_share, dataset_drift,
online {labeled_rows, primary, metrics, expected}, series, alerts, notes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			now := app.Now().UTC()
			to := now
			if until != "" {
				t, err := parseWhen("--until", until, now)
				if err != nil {
					return err
				}
				to = t
			}
			from := to.Add(-window)
			if since != "" {
				t, err := parseWhen("--since", since, now)
				if err != nil {
					return err
				}
				from = t
			}
			if window <= 0 && since == "" {
				return usagef("mlw monitor ENDPOINT --window 1h", "--window %s: want a positive duration", window)
			}
			if !from.Before(to) {
				return usagef("mlw monitor ENDPOINT --since 2h", "the window is empty: from %s to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			rep, err := e.monitorWindow(c.Context(), args[0], from, to, bucket, nil)
			if err != nil {
				return err
			}
			if htmlOut != "" {
				if err := artifact.WriteFileAtomic(app.abs(htmlOut), func(w io.Writer) error { return monitor.WriteHTML(w, rep) }); err != nil {
					return err
				}
			}
			if asJSON {
				return writeJSON(app.Out, rep)
			}
			printMonitor(app.Out, rep)
			if htmlOut != "" {
				fmt.Fprintf(app.Out, "\nwrote %s\n", htmlOut)
			}
			return nil
		},
	}
	f := c.Flags()
	f.DurationVar(&window, "window", time.Hour, "the window before now (or before --until)")
	f.StringVar(&since, "since", "", "start of the window (RFC 3339, a date, or a duration ago such as 2h)")
	f.StringVar(&until, "until", "", "end of the window (default now)")
	f.DurationVar(&bucket, "bucket", 0, "time-series resolution (default the window / 24)")
	f.StringVar(&htmlOut, "html", "", "write the HTML report to this file")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printMonitor(w io.Writer, r *monitor.Report) {
	fmt.Fprintf(w, "endpoint %s, %s to %s", r.Endpoint, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	if r.Reference != "" {
		fmt.Fprintf(w, " (reference %s)", r.Reference)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "traffic: %d requests (%.2f/s), %d rows, error rate %.2f%%", r.Requests, r.RequestRate, r.Rows, 100*r.ErrorRate)
	if l := r.LatencyMS; l != nil {
		fmt.Fprintf(w, ", latency p50 %s ms, p95 %s ms, p99 %s ms", report.FormatNum(l.P50), report.FormatNum(l.P95), report.FormatNum(l.P99))
	}
	fmt.Fprintln(w)
	state := "no dataset drift"
	if r.DatasetDrift {
		state = "DATASET DRIFT"
	}
	fmt.Fprintf(w, "drift: %.0f%% of features drifted: %s\n", 100*r.DriftShare, state)
	if len(r.Drift) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FEATURE\tMETHOD\tSTATISTIC\tVALUE\tTHRESHOLD\tDRIFTED")
		rows := slices.Clone(r.Drift)
		if r.PredictionDrift != nil {
			rows = append(rows, *r.PredictionDrift)
		}
		for _, d := range rows {
			mark := ""
			if d.Drifted {
				mark = "yes"
			}
			if d.Note != "" {
				mark = d.Note
			}
			fmt.Fprintf(tw, "%s\t%s\t%.4g\t%.4g\t%.4g\t%s\n", d.Feature, d.Method, d.Statistic, d.Value, d.Threshold, mark)
		}
		tw.Flush()
	}
	var issues []string
	for _, q := range r.DataQuality {
		ref := 0.0
		if q.ReferenceMissingRate != nil {
			ref = *q.ReferenceMissingRate
		}
		if q.UnseenCategories > 0 || q.OutOfRange > 0 || q.TypeErrors > 0 || q.MissingRate > ref+0.05 {
			issues = append(issues, fmt.Sprintf("%s (missing %.1f%% vs %.1f%% in training, %d unseen categories, %d out of range, %d type errors)",
				q.Feature, 100*q.MissingRate, 100*ref, q.UnseenCategories, q.OutOfRange, q.TypeErrors))
		}
	}
	if r.SchemaViolations > 0 {
		issues = append(issues, fmt.Sprintf("%d rows violate the schema", r.SchemaViolations))
	}
	if len(issues) == 0 {
		fmt.Fprintln(w, "data quality: no issue against training")
	} else {
		fmt.Fprintf(w, "data quality: %s\n", strings.Join(issues, "; "))
	}
	if o := r.Online; o.LabeledRows > 0 {
		names := make([]string, 0, len(o.Metrics))
		for k := range o.Metrics {
			names = append(names, k)
		}
		slices.Sort(names)
		var parts []string
		for _, k := range names {
			p := fmt.Sprintf("%s %.4f", k, o.Metrics[k])
			if x, ok := o.Expected[k]; ok {
				p += fmt.Sprintf(" (test %.4f)", x)
			}
			parts = append(parts, p)
		}
		fmt.Fprintf(w, "online (%d labeled rows): %s\n", o.LabeledRows, strings.Join(parts, ", "))
	} else {
		fmt.Fprintln(w, "online: no feedback labels yet (mlw feedback, or POST /v1/endpoints/ENDPOINT/feedback)")
	}
	if len(r.Variants) > 1 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "VARIANT\tMODEL\tREQUESTS\tERROR RATE\tP99 MS")
		for _, v := range r.Variants {
			p99 := math.NaN()
			if v.LatencyMS != nil {
				p99 = v.LatencyMS.P99
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f%%\t%s\n", v.Variant, v.Model, v.Requests, 100*v.ErrorRate, report.FormatNum(p99))
		}
		tw.Flush()
	}
	for _, a := range r.Alerts {
		fmt.Fprintf(w, "alert %s %s: %s (%s)\n", a.At.Format(time.RFC3339), a.State, a.Message, a.Rule)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// alertWindow is the traffic alert rules are evaluated on.
const alertWindow = 10 * time.Minute

// runAlerts evaluates the alert rules of mlw.yaml for every served endpoint
// every interval until ctx ends: events are stored (audited) and sent to the
// webhook of monitoring.webhook when set.
func (app *App) runAlerts(ctx context.Context, e *env, plog *predlog.Logger, interval time.Duration, endpoints func() []string, log *slog.Logger) {
	rules, err := monitor.ParseRules(e.proj.Config.Monitoring.Alerts)
	if err != nil || len(rules) == 0 {
		if err != nil {
			log.Error("alert rules not evaluated", "err", err)
		}
		return
	}
	al := newAlerting(e, rules, plog, log, app.Now().UTC())
	every(ctx, interval, func() {
		for _, ep := range endpoints() {
			now := app.Now().UTC()
			if _, err := al.evaluate(ctx, ep, now.Add(-alertWindow), now); err != nil && ctx.Err() == nil {
				log.Error("alert evaluation", "endpoint", ep, "err", mlw.ErrorMessage(err))
			}
		}
	})
}

// newAlerting prepares alert evaluation; no traffic counts from started.
func newAlerting(e *env, rules []monitor.Rule, plog *predlog.Logger, log *slog.Logger, started time.Time) *alerting {
	al := &alerting{e: e, rules: rules, plog: plog, log: log, started: started,
		evals: map[string]*monitor.Evaluator{}, last: map[string]time.Time{}, bundles: map[string]*bundle.Bundle{}}
	if u := e.proj.Config.Monitoring.Webhook; u != "" {
		al.hook = &monitor.Webhook{URL: u}
	}
	return al
}

// alerting is the state of alert evaluation in a server: one evaluator per
// endpoint, the time of each endpoint's last request, and loaded bundles.
type alerting struct {
	e       *env
	rules   []monitor.Rule
	plog    *predlog.Logger // nil: nothing dropped
	hook    *monitor.Webhook
	log     *slog.Logger
	started time.Time // no traffic counts from here

	evals   map[string]*monitor.Evaluator
	last    map[string]time.Time
	bundles map[string]*bundle.Bundle
}

// evaluate evaluates the rules of one endpoint at now over its log since
// from, and stores, audits, logs and sends the events.
func (al *alerting) evaluate(ctx context.Context, ep string, from, now time.Time) ([]mlw.AlertEvent, error) {
	e, last := al.e, al.last
	ev, ok := al.evals[ep]
	if !ok {
		prev, err := e.store.ListAlertEvents(ctx, &store.ListAlertEventsParams{Endpoint: ep, Limit: 200})
		if err != nil {
			return nil, err
		}
		ev = monitor.NewEvaluator(ep, al.rules, prev)
		al.evals[ep] = ev
	}
	rep, err := e.monitorWindow(ctx, ep, from, now, 0, al.bundles)
	if err != nil {
		return nil, err
	}
	if _, ok := last[ep]; !ok {
		last[ep] = al.started
	}
	for _, p := range rep.Series {
		if p.Requests > 0 {
			if end := p.Start.Add(time.Duration(rep.BucketSeconds * float64(time.Second))); end.After(last[ep]) {
				if end.After(now) {
					end = now
				}
				last[ep] = end
			}
		}
	}
	dropped := 0.0
	if al.plog != nil {
		dropped = float64(al.plog.Dropped())
	}
	events := ev.Evaluate(now, monitor.ValuesFromReport(rep, last[ep], dropped))
	for _, a := range events {
		details := map[string]any{"rule": a.Rule, "value": finiteOrNil(a.Value)}
		au := audit.New(now, e.actor, "alert."+a.State, "endpoint/"+ep, a.Message, details)
		if _, err := e.store.AppendAlertEvent(ctx, &store.AppendAlertEventParams{Event: a, Audit: au}); err != nil {
			return nil, err
		}
		al.log.Warn("alert "+a.State, "endpoint", ep, "rule", a.Rule, "message", a.Message)
	}
	if al.hook != nil && len(events) > 0 {
		if err := al.hook.Send(ctx, events); err != nil {
			al.log.Error("alert webhook", "err", err)
		}
	}
	return events, nil
}

func finiteOrNil(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}
