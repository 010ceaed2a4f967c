package report

import (
	"cmp"
	"fmt"
	htmltemplate "html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"mlw.dev/frame"
	"mlw.dev/profile"
)

// ProfileHTML renders a data profile as one self-contained HTML page: an
// overview with the findings, the target (class balance and the strength of
// each feature), missing values, correlation and association heatmaps, and a
// section per column with its statistics and a histogram or a chart of its
// most frequent values. The page has no scripts and fetches nothing, and the
// same profile gives the same bytes.
func ProfileHTML(p *profile.Profile, title string) ([]byte, error) {
	page, err := RenderPage(title, profileTemplate, struct {
		CSS string
		V   *profileView
	}{profileCSS, newProfileView(p, title)})
	if err != nil {
		return nil, fmt.Errorf("render profile: %w", err)
	}
	return page, nil
}

// profileView is what the profile template shows, prepared in Go.
type profileView struct {
	Title    string
	Meta     string
	Overview []profileKV
	Types    string
	Findings []profileFinding
	Counts   string // findings by severity

	Target         *profile.Target
	TargetChart    htmltemplate.HTML
	Measure        string // the strength measure named on the bars
	StrengthChart  htmltemplate.HTML
	StrengthRows   []profileStrength
	StrengthByAUC  bool
	StrengthByR2   bool
	MissingChart   htmltemplate.HTML
	Pearson        htmltemplate.HTML
	Spearman       htmltemplate.HTML
	CramersV       htmltemplate.HTML
	Columns        []profileColumn
	MissingColumns int
}

type profileKV struct {
	Key, Value string
}

type profileFinding struct {
	Severity, Badge, Check, Columns, Message string
}

type profileStrength struct {
	Column, Rows, AUC, R2, MI string
	Leak                      bool
}

type profileColumn struct {
	Anchor, Name, Type, Storage, Role, Missing, Distinct, Summary string
	Stats                                                         []profileKV
	Chart                                                         htmltemplate.HTML
	Note                                                          string
	Flags                                                         []profileFinding
}

func newProfileView(p *profile.Profile, title string) *profileView {
	v := &profileView{Title: title}
	v.Meta = fmt.Sprintf("%s rows × %d columns", FormatNum(float64(p.Rows)), len(p.Columns))
	if p.SampledFrom > 0 {
		v.Meta += fmt.Sprintf(", a random sample of %s rows", FormatNum(float64(p.SampledFrom)))
	}
	v.Overview = []profileKV{
		{"Rows", FormatNum(float64(p.Rows))},
		{"Columns", strconv.Itoa(len(p.Columns))},
		{"Duplicate rows", countPct(p.DuplicateRows, p.Rows)},
	}
	if p.DuplicateRowsIgnoringIDs != p.DuplicateRows {
		v.Overview = append(v.Overview, profileKV{"Duplicates ignoring ids", countPct(p.DuplicateRowsIgnoringIDs, p.Rows)})
	}
	if p.Target != nil {
		v.Overview = append(v.Overview, profileKV{"Target", p.Target.Column + " (" + string(p.Target.Task) + ")"})
	}
	kinds := map[string]int{}
	var order []string
	for _, c := range p.Columns {
		k := c.Type.String()
		if kinds[k] == 0 {
			order = append(order, k)
		}
		kinds[k]++
	}
	slices.Sort(order)
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%d %s", kinds[k], k))
	}
	v.Types = strings.Join(parts, ", ")
	v.Overview = append(v.Overview, profileKV{"Column types", v.Types})

	bySev := map[profile.Severity]int{}
	flags := map[string][]profileFinding{}
	leaks := map[string]bool{}
	for _, f := range p.Findings {
		pf := profileFinding{Severity: string(f.Severity), Badge: severityBadge(f.Severity), Check: f.Check,
			Columns: strings.Join(f.Columns, ", "), Message: f.Message}
		v.Findings = append(v.Findings, pf)
		bySev[f.Severity]++
		for _, c := range f.Columns {
			flags[c] = append(flags[c], pf)
		}
		if f.Check == profile.CheckLeakage && len(f.Columns) > 0 {
			leaks[f.Columns[0]] = true
		}
	}
	v.Counts = fmt.Sprintf("%d error(s), %d warning(s), %d note(s)",
		bySev[profile.SeverityError], bySev[profile.SeverityWarning], bySev[profile.SeverityInfo])

	if t := p.Target; t != nil {
		v.Target = t
		v.targetCharts(p, t, leaks)
	}

	var missing []Bar
	for _, c := range p.Columns {
		if c.Missing == 0 {
			continue
		}
		color := colorAccent
		if c.MissingPct > 100*p.Thresholds.Missing {
			color = colorWarn
		}
		missing = append(missing, Bar{Label: c.Name, Value: c.MissingPct,
			Note: fmt.Sprintf("%s (%s)", pctText(c.MissingPct), FormatNum(float64(c.Missing))), Color: color})
	}
	v.MissingColumns = len(missing)
	v.MissingChart = BarChart(missing, BarOptions{Title: "Missing values by column", Max: 100})

	if m := p.Correlations.Pearson; len(m.Columns) > 1 {
		v.Pearson = Heatmap(m.Columns, floats(m.Values), HeatmapOptions{Title: "Pearson correlation"})
	}
	if m := p.Correlations.Spearman; len(m.Columns) > 1 {
		v.Spearman = Heatmap(m.Columns, floats(m.Values), HeatmapOptions{Title: "Spearman correlation"})
	}
	if m := p.CramersV; len(m.Columns) > 1 {
		v.CramersV = Heatmap(m.Columns, floats(m.Values), HeatmapOptions{Title: "Cramér's V", Min: 0, Max: 1})
	}

	for i, c := range p.Columns {
		v.Columns = append(v.Columns, newProfileColumn(i, &c, flags[c.Name]))
	}
	return v
}

func (v *profileView) targetCharts(p *profile.Profile, t *profile.Target, leaks map[string]bool) {
	if len(t.Classes) > 0 {
		bars := make([]Bar, len(t.Classes))
		for i, c := range t.Classes {
			bars[i] = Bar{Label: c.Value, Value: float64(c.Count), Note: fmt.Sprintf("%s (%s)", FormatNum(float64(c.Count)), pctText(100*c.Share))}
		}
		v.TargetChart = BarChart(bars, BarOptions{Title: "Class balance of " + t.Column})
	} else if c := p.Column(t.Column); c != nil && c.NumericStats != nil && c.Histogram != nil {
		v.TargetChart = Histogram(c.Histogram.Edges, c.Histogram.Counts, HistogramOptions{Title: "Distribution of " + t.Column})
	}
	feats := slices.Clone(t.Features)
	key := func(r profile.Relation) float64 { return float64(r.MutualInfo) }
	opts := BarOptions{Title: "Strength of each feature alone"}
	switch {
	case len(t.Classes) == 2:
		v.Measure, v.StrengthByAUC = "ROC AUC above chance (0.5); the note gives the AUC", true
		key = func(r profile.Relation) float64 { return float64(r.AUC) }
		opts.Max = 0.5
	case t.Task == profile.Regression:
		v.Measure, v.StrengthByR2 = "R² of a fit on the feature alone", true
		key = func(r profile.Relation) float64 { return float64(r.R2) }
		opts.Max = 1
	default:
		v.Measure = "mutual information with the target, in nats"
	}
	slices.SortStableFunc(feats, func(a, b profile.Relation) int {
		x, y := key(a), key(b)
		switch {
		case math.IsNaN(x) && math.IsNaN(y):
			return 0
		case math.IsNaN(x):
			return 1
		case math.IsNaN(y):
			return -1
		}
		return cmp.Compare(y, x)
	})
	bars := make([]Bar, 0, len(feats))
	for _, r := range feats {
		val := key(r)
		b := Bar{Label: r.Column, Value: val, Note: fmt.Sprintf("%.3f", val)}
		if v.StrengthByAUC {
			b.Value = val - 0.5
		}
		if math.IsNaN(val) {
			b.Note = "—"
		}
		if leaks[r.Column] {
			b.Color = colorBad
		}
		bars = append(bars, b)
		v.StrengthRows = append(v.StrengthRows, profileStrength{Column: r.Column, Rows: FormatNum(float64(r.Rows)),
			AUC: fmt3(float64(r.AUC)), R2: fmt3(float64(r.R2)), MI: fmt3(float64(r.MutualInfo)), Leak: leaks[r.Column]})
	}
	v.StrengthChart = BarChart(bars, opts)
}

func newProfileColumn(i int, c *profile.Column, flags []profileFinding) profileColumn {
	pc := profileColumn{
		Anchor: "col-" + strconv.Itoa(i+1), Name: c.Name, Type: c.Type.String(), Storage: c.Storage.String(),
		Role: string(c.Role), Missing: pctText(c.MissingPct), Distinct: FormatNum(float64(c.Distinct)), Flags: flags,
	}
	kv := func(k, v string) { pc.Stats = append(pc.Stats, profileKV{k, v}) }
	kv("Count", FormatNum(float64(c.Count)))
	kv("Missing", fmt.Sprintf("%s (%s)", FormatNum(float64(c.Missing)), pctText(c.MissingPct)))
	kv("Distinct", FormatNum(float64(c.Distinct)))
	if len(c.Top) > 0 {
		kv("Most frequent", fmt.Sprintf("%s (%s)", shortValue(c.Top[0].Value), pctText(100*c.TopShare)))
	}
	switch {
	case c.NumericStats != nil:
		s := c.NumericStats
		q := s.Quantiles
		kv("Mean", FormatNum(float64(s.Mean)))
		kv("Std", FormatNum(float64(s.Std)))
		kv("Min", FormatNum(float64(s.Min)))
		kv("5% / 25%", FormatNum(float64(q.P05))+" / "+FormatNum(float64(q.P25)))
		kv("Median", FormatNum(float64(q.P50)))
		kv("75% / 95%", FormatNum(float64(q.P75))+" / "+FormatNum(float64(q.P95)))
		kv("Max", FormatNum(float64(s.Max)))
		kv("Skewness", FormatNum(float64(s.Skewness)))
		kv("Zeros", countPct(s.Zeros, c.Count))
		kv("Outliers (IQR / 3σ)", FormatNum(float64(s.OutliersIQR))+" / "+FormatNum(float64(s.OutliersZ)))
		if s.Infinite > 0 {
			kv("Infinite", FormatNum(float64(s.Infinite)))
		}
		if !c.Discrete {
			pc.Summary = "mean " + FormatNum(float64(s.Mean)) + ", median " + FormatNum(float64(q.P50))
		}
	case c.DatetimeStats != nil:
		if c.Count > 0 {
			kv("Earliest", timeText(c.Earliest))
			kv("Latest", timeText(c.Latest))
			pc.Summary = timeText(c.Earliest) + " to " + timeText(c.Latest)
		}
	}
	if pc.Summary == "" && len(c.Top) > 0 {
		pc.Summary = "top " + shortValue(c.Top[0].Value) + " (" + pctText(100*c.TopShare) + ")"
	}
	continuous := c.NumericStats != nil && !c.Discrete
	switch {
	case c.Type == frame.KindID:
		pc.Note = "An identifier: every value is distinct, so it has no distribution to show."
	case continuous && c.Histogram != nil:
		pc.Chart = Histogram(c.Histogram.Edges, c.Histogram.Counts, HistogramOptions{Title: "Histogram of " + c.Name, Width: 560})
	case len(c.Top) > 0 && (c.Top[0].Count > 1 || c.Discrete):
		bars := make([]Bar, len(c.Top))
		for j, t := range c.Top {
			share := 0.0
			if c.Count > 0 {
				share = 100 * float64(t.Count) / float64(c.Count)
			}
			bars[j] = Bar{Label: t.Value, Value: float64(t.Count), Note: fmt.Sprintf("%s (%s)", FormatNum(float64(t.Count)), pctText(share))}
		}
		pc.Chart = BarChart(bars, BarOptions{Title: "Most frequent values of " + c.Name, Width: 560})
		if c.Distinct > len(c.Top) {
			pc.Note = fmt.Sprintf("The %d most frequent of %s distinct values.", len(c.Top), FormatNum(float64(c.Distinct)))
		}
	case c.Storage == frame.TypeText:
		pc.Note = "Free text: no value repeats often enough to chart."
	}
	return pc
}

func severityBadge(s profile.Severity) string {
	switch s {
	case profile.SeverityError:
		return "fail"
	case profile.SeverityWarning:
		return "warn"
	}
	return "info"
}

func floats(m [][]profile.Float) [][]float64 {
	out := make([][]float64, len(m))
	for i, row := range m {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j] = float64(v)
		}
	}
	return out
}

// countPct writes n and its share of total, as "12 (2.9%)".
func countPct(n, total int) string {
	if total == 0 {
		return FormatNum(float64(n))
	}
	return fmt.Sprintf("%s (%s)", FormatNum(float64(n)), pctText(100*float64(n)/float64(total)))
}

// pctText formats a percentage with one decimal, or two significant digits
// below 0.1%.
func pctText(v float64) string {
	if v > 0 && v < 0.1 {
		return strconv.FormatFloat(v, 'g', 2, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "%"
}

// timeText formats t as a date when it is midnight UTC, as frame cells do.
func timeText(t time.Time) string {
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

func fmt3(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func shortValue(s string) string {
	return svgShorten(strings.ReplaceAll(s, "\n", " "), 40)
}

// profileCSS adds to pageCSS what the profile needs.
const profileCSS = `
.badge.info{background:var(--accent)}
.chart{display:block;margin:6px 0 12px}
.cols{display:flex;flex-wrap:wrap;gap:4px 24px;align-items:flex-start}
.cols dl{grid-template-columns:max-content max-content;font-size:13px;margin:4px 0}
.cols figure{margin:0;flex:1 1 420px;min-width:0}
.col{border-top:1px solid var(--line);padding-top:4px;margin-top:20px}
.col h3{margin:8px 0 2px}
.col h3 .kind{font-weight:400;color:var(--muted);font-size:13px;margin-left:6px}
.col ul{margin:4px 0;padding-left:20px;font-size:13px}
.note{color:var(--muted);font-size:13px;margin:2px 0}
nav.toc{columns:3 180px;font-size:13px;margin:6px 0 12px}
nav.toc a{display:block;color:var(--accent);text-decoration:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
tr.leak td{color:var(--bad);font-weight:600}
td.sev{white-space:nowrap}
`

var profileFuncs = htmltemplate.FuncMap{
	"css": func(s string) htmltemplate.CSS { return htmltemplate.CSS(s) },
}

var profileTemplate = htmltemplate.Must(htmltemplate.New("profile.html").Funcs(profileFuncs).Parse(`<style>{{css .CSS}}</style>
<header>
<h1>{{.V.Title}}</h1>
<div class="meta">Data profile: {{.V.Meta}}. Generated by mlw from the data alone.</div>
</header>
{{with .V}}
<h2>Overview</h2>
<dl>
{{range .Overview}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>
{{end}}</dl>
<h3>Findings</h3>
{{if .Findings}}<p class="note">{{.Counts}}.</p>
<table><tr><th>severity</th><th>finding</th><th>check</th></tr>
{{range .Findings}}<tr><td class="sev"><span class="badge {{.Badge}}">{{.Severity}}</span></td><td>{{.Message}}</td><td><code>{{.Check}}</code></td></tr>
{{end}}</table>
{{else}}<p class="pending">No findings: no check crossed its threshold.</p>
{{end}}
{{if .Target}}<h2>Target: {{.Target.Column}}</h2>
<p class="note">{{.Target.Task}}; {{.Target.Count}} rows with a target value{{if .Target.Missing}}, {{.Target.Missing}} without{{end}}{{if .Target.Positive}}; positive class “{{.Target.Positive}}”{{end}}.</p>
{{.TargetChart}}
{{if .StrengthRows}}<h3>Each feature alone</h3>
<p class="note">Bars: {{.Measure}}. Red: a possible leak of the target.</p>
{{.StrengthChart}}
<table><tr><th>feature</th><th>rows</th>{{if .StrengthByAUC}}<th>ROC AUC</th>{{end}}{{if .StrengthByR2}}<th>R²</th>{{end}}<th>mutual information</th></tr>
{{range .StrengthRows}}<tr{{if .Leak}} class="leak"{{end}}><td>{{.Column}}</td><td class="num">{{.Rows}}</td>{{if $.V.StrengthByAUC}}<td class="num">{{.AUC}}</td>{{end}}{{if $.V.StrengthByR2}}<td class="num">{{.R2}}</td>{{end}}<td class="num">{{.MI}}</td></tr>
{{end}}</table>
{{end}}{{end}}
<h2>Missing values</h2>
{{if .MissingColumns}}<p class="note">{{.MissingColumns}} column(s) with missing values; orange above the warning threshold.</p>
{{.MissingChart}}
{{else}}<p class="pending">No missing values.</p>
{{end}}
<h2>Correlations</h2>
{{if .Pearson}}<h3>Pearson</h3>
<p class="note">Linear correlation between numeric columns over the rows where both are present; blue negative, red positive.</p>
{{.Pearson}}
<h3>Spearman</h3>
<p class="note">Correlation of the ranks: any monotonic relationship.</p>
{{.Spearman}}
{{else}}<p class="pending">Fewer than two numeric columns.</p>
{{end}}
{{if .CramersV}}<h3>Cramér's V</h3>
<p class="note">Association between categorical columns, from 0 (none) to 1 (one determines the other).</p>
{{.CramersV}}
{{end}}
<h2>Columns</h2>
<nav class="toc">{{range .Columns}}<a href="#{{.Anchor}}">{{.Name}}</a>{{end}}</nav>
<table><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th><th>summary</th></tr>
{{range .Columns}}<tr><td><a href="#{{.Anchor}}">{{.Name}}</a>{{if .Role}} <code>{{.Role}}</code>{{end}}</td><td>{{.Type}}</td><td class="num">{{.Missing}}</td><td class="num">{{.Distinct}}</td><td>{{.Summary}}</td></tr>
{{end}}</table>
{{range .Columns}}<section class="col" id="{{.Anchor}}">
<h3>{{.Name}}<span class="kind">{{.Type}}{{if ne .Type .Storage}} (stored as {{.Storage}}){{end}}{{if .Role}}, {{.Role}}{{end}}</span></h3>
{{if .Flags}}<ul>{{range .Flags}}<li><span class="badge {{.Badge}}">{{.Severity}}</span> {{.Message}}</li>{{end}}</ul>{{end}}
<div class="cols">
<dl>{{range .Stats}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl>
<figure>{{.Chart}}{{if .Note}}<p class="note">{{.Note}}</p>{{end}}</figure>
</div>
</section>
{{end}}{{end}}`))
