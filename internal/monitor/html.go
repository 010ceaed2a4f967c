package monitor

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"mlw.dev/internal/report"
)

// maxDriftSeries is the number of features drawn on the drift-over-time
// chart.
const maxDriftSeries = 8

// WriteHTML writes the report as one self-contained HTML page (inline CSS
// and SVG, no script, nothing fetched): a summary, the variants, latency,
// traffic, drift and the online metric over time, and tables of drift,
// data quality and alerts. The same report gives the same bytes.
func WriteHTML(w io.Writer, r *Report) error {
	page, err := report.RenderPage("Monitoring of "+cmp.Or(r.Endpoint, "an endpoint"), htmlTemplate, newHTMLView(r))
	if err != nil {
		return fmt.Errorf("render monitoring report: %w", err)
	}
	_, err = w.Write(page)
	return err
}

// htmlView is what the template shows, prepared in Go.
type htmlView struct {
	CSS       template.CSS
	Title     string
	Meta      string
	Summary   []kv
	Notes     []string
	Variants  []htmlVariant
	Latency   template.HTML
	Traffic   template.HTML
	Drift     []htmlChart
	Online    template.HTML
	OnlineTag string
	TimeNote  string
	DriftRows []htmlDrift
	Quality   []htmlQuality
	Alerts    []htmlAlert
	Metrics   []htmlMetric
}

type kv struct {
	Key, Value string
	Badge      string // pass, fail or warn: shows Value as a badge
}

type htmlVariant struct {
	Model, Variant, Role, Requests, Rows, ErrorRate, P50, P95, P99, Mean, Agreement string
}

type htmlChart struct {
	Caption string
	Chart   template.HTML
}

type htmlDrift struct {
	Feature, Method, Statistic, PValue, Value, Threshold, Note string
	Drifted, Prediction                                        bool
}

type htmlQuality struct {
	Feature, Values, Missing, RefMissing, Unseen, Examples, OutOfRange, TypeErrors string
	Flagged                                                                        bool
}

type htmlAlert struct {
	At, Rule, State, Badge, Value, Message string
}

type htmlMetric struct {
	Name, Online, Expected, Gap string
	Primary                     bool
}

func newHTMLView(r *Report) *htmlView {
	v := &htmlView{CSS: template.CSS(htmlCSS), Title: "Monitoring of " + cmp.Or(r.Endpoint, "an endpoint"), Notes: r.Notes}
	v.Meta = fmt.Sprintf("Window %s to %s (UTC), %s per point", r.From.UTC().Format("2006-01-02 15:04"), r.To.UTC().Format("2006-01-02 15:04"),
		time.Duration(r.BucketSeconds*float64(time.Second)).String())
	if r.Reference != "" {
		v.Meta += "; compared with the training data of " + r.Reference
	}
	v.summary(r)
	v.variants(r)
	v.charts(r)
	v.tables(r)
	return v
}

// pct writes a share as a percentage with up to four significant digits.
func pct(x float64) string { return report.FormatNum(100*x) + "%" }

// ms writes milliseconds.
func ms(x float64) string { return report.FormatNum(x) + " ms" }

func (v *htmlView) summary(r *Report) {
	add := func(k, val, badge string) { v.Summary = append(v.Summary, kv{k, val, badge}) }
	add("Requests", fmt.Sprintf("%s (%s per second), %s rows", report.FormatNum(float64(r.Requests)), report.FormatNum(r.RequestRate),
		report.FormatNum(float64(r.Rows))), "")
	errBadge := ""
	if r.Errors > 0 {
		errBadge = "warn"
	}
	add("Error rate", fmt.Sprintf("%s (%d failed requests)", pct(r.ErrorRate), r.Errors), errBadge)
	if l := r.LatencyMS; l != nil {
		add("Latency p50 / p95 / p99", fmt.Sprintf("%s / %s / %s", ms(l.P50), ms(l.P95), ms(l.P99)), "")
	} else {
		add("Latency p50 / p95 / p99", "no requests", "")
	}
	compared := 0
	for _, d := range r.Drift {
		if d.Method != "" {
			compared++
		}
	}
	if compared > 0 {
		add("Drift share", fmt.Sprintf("%s of %d features drifted", pct(r.DriftShare), compared), "")
		if r.DatasetDrift {
			add("Dataset drift", "drifted", "fail")
		} else {
			add("Dataset drift", "no drift", "pass")
		}
	} else {
		add("Drift", "not computed", "")
	}
	if d := r.PredictionDrift; d != nil && d.Method != "" {
		badge, text := "pass", "no drift"
		if d.Drifted {
			badge, text = "fail", "drifted"
		}
		add("Prediction drift", text+" ("+d.Method+" "+report.FormatNum(d.Value)+")", badge)
	}
	if r.SchemaViolations > 0 {
		add("Schema violations", counted(r.SchemaViolations, "row", "rows"), "warn")
	}
	if p := r.Online.Primary; p != "" {
		if x, ok := r.Online.Metrics[p]; ok {
			s := fmt.Sprintf("%s over %d labelled rows", report.FormatNum(x), r.Online.LabeledRows)
			if e, ok := r.Online.Expected[p]; ok {
				s += fmt.Sprintf("; %s at evaluation", report.FormatNum(e))
			}
			add("Online "+p, s, "")
		} else {
			add("Online "+p, "no labelled rows", "")
		}
	}
	firing := 0
	for _, a := range r.Alerts {
		if a.State == "firing" {
			firing++
		}
	}
	if len(r.Alerts) > 0 {
		badge := ""
		if firing > 0 {
			badge = "fail"
		}
		add("Alert events", fmt.Sprintf("%d (%d firing)", len(r.Alerts), firing), badge)
	}
}

func (v *htmlView) variants(r *Report) {
	for _, x := range r.Variants {
		h := htmlVariant{Model: cmp.Or(x.Model, "—"), Variant: cmp.Or(x.Variant, "—"), Role: "serving",
			Requests: report.FormatNum(float64(x.Requests)), Rows: report.FormatNum(float64(x.Rows)), ErrorRate: pct(x.ErrorRate),
			P50: "—", P95: "—", P99: "—", Mean: "—", Agreement: "—"}
		if x.Shadow {
			h.Role = "shadow"
		}
		if l := x.LatencyMS; l != nil {
			h.P50, h.P95, h.P99 = ms(l.P50), ms(l.P95), ms(l.P99)
		}
		if x.PredictionMean != nil {
			h.Mean = report.FormatNum(*x.PredictionMean)
		}
		if x.Agreement != nil {
			h.Agreement = fmt.Sprintf("%s of %d rows", pct(*x.Agreement), x.Compared)
		}
		v.Variants = append(v.Variants, h)
	}
}

// timeAxis returns the x of each point and the axis label: minutes, hours
// or days since the start of the window.
func timeAxis(r *Report) ([]float64, string) {
	span := r.To.Sub(r.From)
	unit, name := time.Minute, "minutes"
	switch {
	case span > 72*time.Hour:
		unit, name = 24*time.Hour, "days"
	case span > 3*time.Hour:
		unit, name = time.Hour, "hours"
	}
	x := make([]float64, len(r.Series))
	for i, p := range r.Series {
		x[i] = float64(p.Start.Sub(r.From)) / float64(unit)
	}
	return x, name + " since " + r.From.UTC().Format("2006-01-02 15:04")
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func (v *htmlView) charts(r *Report) {
	if len(r.Series) == 0 {
		return
	}
	x, xl := timeAxis(r)
	n := len(r.Series)
	col := func(f func(p Point) float64) []float64 {
		y := make([]float64, n)
		for i, p := range r.Series {
			y[i] = f(p)
		}
		return y
	}
	v.TimeNote = fmt.Sprintf("%d points of %s each.", n, time.Duration(r.BucketSeconds*float64(time.Second)))
	v.Latency = report.LineChart([]report.Series{
		{Name: "p50", X: x, Y: col(func(p Point) float64 { return deref(p.P50) })},
		{Name: "p95", X: x, Y: col(func(p Point) float64 { return deref(p.P95) })},
		{Name: "p99", X: x, Y: col(func(p Point) float64 { return deref(p.P99) })},
	}, report.LineOptions{Title: "Latency percentiles over time", XLabel: xl, YLabel: "ms"})
	v.Traffic = report.LineChart([]report.Series{
		{Name: "requests", X: x, Y: col(func(p Point) float64 { return float64(p.Requests) })},
		{Name: "failed requests", X: x, Y: col(func(p Point) float64 { return float64(p.Errors) })},
	}, report.LineOptions{Title: "Traffic over time", XLabel: xl, YLabel: "requests per point"})

	// Drift per feature: the most drifted features of the window, split by
	// what their value is (a p-value, low is drift; or a distance, high is
	// drift).
	var top []Drift
	for _, d := range r.Drift {
		if d.Method != "" {
			top = append(top, d)
		}
	}
	slices.SortStableFunc(top, func(a, b Drift) int { return cmp.Compare(severity(b), severity(a)) })
	top = top[:min(len(top), maxDriftSeries)]
	for _, tests := range []bool{true, false} {
		var series []report.Series
		var thresholds []string
		for _, d := range top {
			if isTest(d.Method) != tests {
				continue
			}
			y := col(func(p Point) float64 {
				if val, ok := p.Drift[d.Feature]; ok {
					return val
				}
				return math.NaN()
			})
			series = append(series, report.Series{Name: d.Feature, X: x, Y: y})
			if t := d.Method + " " + report.FormatNum(d.Threshold); !slices.Contains(thresholds, t) {
				thresholds = append(thresholds, t)
			}
		}
		chart := report.LineChart(series, report.LineOptions{Title: "Drift per feature over time", XLabel: xl, YLabel: map[bool]string{true: "p-value", false: "distance"}[tests]})
		if chart == "" {
			continue
		}
		caption := "Distance from the training data (higher is more drift; thresholds: " + strings.Join(thresholds, ", ") + ")"
		if tests {
			caption = "p-value against the training data (lower is more drift; thresholds: " + strings.Join(thresholds, ", ") + ")"
		}
		v.Drift = append(v.Drift, htmlChart{Caption: caption, Chart: chart})
	}
	if p := r.Online.Primary; p != "" {
		v.OnlineTag = p
		v.Online = report.LineChart([]report.Series{{Name: p, X: x, Y: col(func(pt Point) float64 { return deref(pt.Online) })}},
			report.LineOptions{Title: "Online " + p + " over time", XLabel: xl, YLabel: p})
	}
}

// isTest reports whether a method's value is a p-value.
func isTest(method string) bool { return method == "ks" || method == "chisquare" }

// severity orders drift results across methods: the value relative to the
// threshold, in the direction of drift (above 1 drifted).
func severity(d Drift) float64 {
	if d.Threshold <= 0 {
		return 0
	}
	if isTest(d.Method) {
		return d.Threshold / math.Max(d.Value, 1e-300)
	}
	return d.Value / d.Threshold
}

func (v *htmlView) tables(r *Report) {
	row := func(d Drift, prediction bool) htmlDrift {
		h := htmlDrift{Feature: d.Feature, Method: cmp.Or(d.Method, "—"), Statistic: "—", PValue: "—", Value: "—", Threshold: "—",
			Note: d.Note, Drifted: d.Drifted, Prediction: prediction}
		if d.Method != "" {
			h.Statistic, h.Value, h.Threshold = report.FormatNum(d.Statistic), report.FormatNum(d.Value), report.FormatNum(d.Threshold)
		}
		if d.PValue != nil {
			h.PValue = report.FormatNum(*d.PValue)
		}
		return h
	}
	drifts := slices.Clone(r.Drift)
	slices.SortStableFunc(drifts, func(a, b Drift) int { return cmp.Compare(severity(b), severity(a)) })
	for _, d := range drifts {
		v.DriftRows = append(v.DriftRows, row(d, false))
	}
	if r.PredictionDrift != nil {
		v.DriftRows = append(v.DriftRows, row(*r.PredictionDrift, true))
	}
	for _, q := range r.DataQuality {
		h := htmlQuality{Feature: q.Feature, Values: report.FormatNum(float64(q.Values)), Missing: pct(q.MissingRate), RefMissing: "—",
			Unseen: report.FormatNum(float64(q.UnseenCategories)), Examples: strings.Join(q.UnseenExamples, ", "),
			OutOfRange: report.FormatNum(float64(q.OutOfRange)), TypeErrors: report.FormatNum(float64(q.TypeErrors))}
		if q.ReferenceMissingRate != nil {
			h.RefMissing = pct(*q.ReferenceMissingRate)
		}
		h.Flagged = qualityFlagged(q)
		v.Quality = append(v.Quality, h)
	}
	for _, a := range r.Alerts {
		h := htmlAlert{At: a.At.UTC().Format("2006-01-02 15:04:05"), Rule: a.Rule, State: a.State, Badge: "pass",
			Value: report.FormatNum(a.Value), Message: a.Message}
		if a.State == "firing" {
			h.Badge = "fail"
		}
		v.Alerts = append(v.Alerts, h)
	}
	names := slices.Sorted(maps.Keys(r.Online.Metrics))
	for _, k := range slices.Sorted(maps.Keys(r.Online.Expected)) {
		if _, ok := r.Online.Metrics[k]; !ok {
			names = append(names, k)
		}
	}
	for _, name := range names {
		m := htmlMetric{Name: name, Online: "—", Expected: "—", Gap: "—", Primary: name == r.Online.Primary}
		on, okOn := r.Online.Metrics[name]
		ex, okEx := r.Online.Expected[name]
		if okOn {
			m.Online = report.FormatNum(on)
		}
		if okEx {
			m.Expected = report.FormatNum(ex)
		}
		if okOn && okEx {
			m.Gap = signed(on - ex)
		}
		v.Metrics = append(v.Metrics, m)
	}
}

// qualityFlagged reports a feature worth a look: type errors, at least 1%
// of unseen categories or out-of-range numbers, or 5 points more missing
// values than in training.
func qualityFlagged(q Quality) bool {
	share := func(n int) float64 { return float64(n) / math.Max(float64(q.Values), 1) }
	return q.TypeErrors > 0 || share(q.UnseenCategories) >= 0.01 || share(q.OutOfRange) >= 0.01 ||
		q.ReferenceMissingRate != nil && q.MissingRate > *q.ReferenceMissingRate+0.05
}

// signed writes a difference with its sign.
func signed(x float64) string {
	s := report.FormatNum(x)
	if x > 0 {
		return "+" + s
	}
	return strings.Replace(s, "-", "−", 1)
}

// htmlCSS adds to the page CSS what the monitoring report needs.
const htmlCSS = `
.chart{display:block;margin:6px 0 12px}
figure{margin:0 0 12px}
figcaption{font-size:13px;color:var(--muted);font-weight:600}
.note{color:var(--muted);font-size:13px;margin:2px 0 8px}
ul.notes{padding-left:20px;color:var(--muted);font-size:13px}
tr.flagged td{background:#fbeeed}
tr.prediction td{border-top:2px solid var(--line)}
tr.primary td{font-weight:600}
td.num,th.num{white-space:nowrap}
th.num{text-align:right}
`

var htmlTemplate = template.Must(template.New("monitor.html").Parse(`<style>{{.CSS}}</style>
<header>
<h1>{{.Title}}</h1>
<div class="meta">{{.Meta}}. Generated by mlw.</div>
</header>
<h2>Summary</h2>
<dl>
{{range .Summary}}<dt>{{.Key}}</dt><dd>{{if .Badge}}<span class="badge {{.Badge}}">{{.Value}}</span>{{else}}{{.Value}}{{end}}</dd>
{{end}}</dl>
{{if .Notes}}<ul class="notes">
{{range .Notes}}<li>{{.}}</li>
{{end}}</ul>
{{end}}
<h2>Variants</h2>
{{if .Variants}}<table><tr><th>model</th><th>variant</th><th>role</th><th class="num">requests</th><th class="num">rows</th><th class="num">error rate</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">mean prediction</th><th class="num">agreement</th></tr>
{{range .Variants}}<tr><td><code>{{.Model}}</code></td><td>{{.Variant}}</td><td>{{.Role}}</td><td class="num">{{.Requests}}</td><td class="num">{{.Rows}}</td><td class="num">{{.ErrorRate}}</td><td class="num">{{.P50}}</td><td class="num">{{.P95}}</td><td class="num">{{.P99}}</td><td class="num">{{.Mean}}</td><td class="num">{{.Agreement}}</td></tr>
{{end}}</table>
<p class="note">Agreement: the share of a shadow's rows predicted as the serving variant predicted them.</p>
{{else}}<p class="pending">No traffic in the window.</p>
{{end}}
<h2>Latency and traffic</h2>
{{if .TimeNote}}<p class="note">{{.TimeNote}} Latency is per request, percentiles with linear interpolation.</p>{{end}}
{{if .Latency}}<figure><figcaption>Latency percentiles</figcaption>{{.Latency}}</figure>{{else}}<p class="pending">No requests in the window.</p>{{end}}
{{if .Traffic}}<figure><figcaption>Requests and failed requests per point</figcaption>{{.Traffic}}</figure>{{end}}
<h2>Drift</h2>
{{range .Drift}}<figure><figcaption>{{.Caption}}</figcaption>{{.Chart}}</figure>
{{else}}<p class="pending">No drift over time: no reference, or no point with enough rows.</p>
{{end}}
{{if .DriftRows}}<table><tr><th>feature</th><th>method</th><th class="num">statistic</th><th class="num">p-value</th><th class="num">value</th><th class="num">threshold</th><th></th></tr>
{{range .DriftRows}}<tr{{if .Prediction}} class="prediction"{{end}}><td>{{if .Prediction}}<em>prediction</em>{{else}}{{.Feature}}{{end}}</td><td>{{.Method}}</td><td class="num">{{.Statistic}}</td><td class="num">{{.PValue}}</td><td class="num">{{.Value}}</td><td class="num">{{.Threshold}}</td><td>{{if .Note}}{{.Note}}{{else if .Drifted}}<span class="badge fail">drifted</span>{{else}}<span class="badge pass">no drift</span>{{end}}</td></tr>
{{end}}</table>
{{end}}
<h2>Online metrics</h2>
{{if .Metrics}}<table><tr><th>metric</th><th class="num">online</th><th class="num">at evaluation</th><th class="num">difference</th></tr>
{{range .Metrics}}<tr{{if .Primary}} class="primary"{{end}}><td><code>{{.Name}}</code></td><td class="num">{{.Online}}</td><td class="num">{{.Expected}}</td><td class="num">{{.Gap}}</td></tr>
{{end}}</table>
{{else}}<p class="pending">No labelled rows in the window: send feedback to measure the model online.</p>
{{end}}
{{if .Online}}<figure><figcaption>Online {{.OnlineTag}} per point</figcaption>{{.Online}}</figure>{{end}}
<h2>Data quality</h2>
{{if .Quality}}<table><tr><th>feature</th><th class="num">values</th><th class="num">missing</th><th class="num">missing in training</th><th class="num">unseen categories</th><th>examples</th><th class="num">out of range</th><th class="num">type errors</th></tr>
{{range .Quality}}<tr{{if .Flagged}} class="flagged"{{end}}><td>{{.Feature}}</td><td class="num">{{.Values}}</td><td class="num">{{.Missing}}</td><td class="num">{{.RefMissing}}</td><td class="num">{{.Unseen}}</td><td>{{.Examples}}</td><td class="num">{{.OutOfRange}}</td><td class="num">{{.TypeErrors}}</td></tr>
{{end}}</table>
{{else}}<p class="pending">No inputs to check.</p>
{{end}}
<h2>Alerts</h2>
{{if .Alerts}}<table><tr><th>time (UTC)</th><th>rule</th><th>state</th><th class="num">value</th><th>message</th></tr>
{{range .Alerts}}<tr><td>{{.At}}</td><td><code>{{.Rule}}</code></td><td><span class="badge {{.Badge}}">{{.State}}</span></td><td class="num">{{.Value}}</td><td>{{.Message}}</td></tr>
{{end}}</table>
{{else}}<p class="pending">No alert events in the window.</p>
{{end}}`))
