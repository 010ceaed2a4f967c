package report

import (
	"cmp"
	"fmt"
	htmltemplate "html/template"
	"math"
	"slices"
	"strconv"
	"strings"

	"mlw.dev/internal/evaluate"
	"mlw.dev/metrics"
)

// EvaluationHTML renders an evaluation report as one self-contained HTML
// page: a summary, the metrics against the baseline with their confidence
// intervals, the confusion matrix and thresholds, ROC, precision-recall and
// calibration curves (classification) or residual plots (regression),
// segments and fairness, the error slices, permutation importance and
// examples of errors. The page has no scripts and fetches nothing, and the
// same report gives the same bytes.
func EvaluationHTML(r *evaluate.Report, title string) ([]byte, error) {
	page, err := RenderPage(title, evalTemplate, struct {
		CSS string
		V   *evalView
	}{evalCSS, newEvalView(r, title)})
	if err != nil {
		return nil, fmt.Errorf("render evaluation: %w", err)
	}
	return page, nil
}

// evalView is what the evaluation template shows, prepared in Go.
type evalView struct {
	Title, Meta string
	Primary     string
	Confidence  string // "95%"
	Summary     []string

	Metrics       []evalMetric
	HasBaseline   bool
	BootstrapNote string

	Classification bool
	Confusion      htmltemplate.HTML
	Thresholds     []evalThreshold
	CostNote       string
	ROC, PR        htmltemplate.HTML
	AUCNote        string
	Calibration    htmltemplate.HTML
	CalibNote      string

	Residuals      []profileKV
	ResidualPlot   htmltemplate.HTML
	ResidualHist   htmltemplate.HTML
	HasResiduals   bool
	SegmentNote    string
	Segments       []evalSegment
	Fairness       []evalFairness
	ErrorNote      string
	TestNote       string
	Slices         []evalSlice
	Importance     htmltemplate.HTML
	ImportanceNote string
	Examples       []evalExamples
}

type evalMetric struct {
	Name, Doc, Model, Baseline, Lift, CI, Verdict, Badge string
	Primary                                              bool
}

type evalThreshold struct {
	Name, Threshold, Precision, Recall, FP, FN, Cost, MeanCost string
}

type evalSegment struct {
	Column, Segment, Rows, Primary, Gap, Badge, Status string
	Sensitive, Small                                   bool
}

type evalFairness struct {
	Column, DPD, DPR, EOD string
	Flagged               bool
	Groups                []evalGroup
}

type evalGroup struct {
	Group, Rows, Positive, TPR, FPR string
	Included                        bool
}

type evalSlice struct {
	Rank                                                        int
	Sentence, Rows, Errors, Excess, Rate, PValue, QValue, Under string
}

type evalExamples struct {
	Title, Note string
	Rows        []int
	Lines       []evalLine
}

type evalLine struct {
	Name  string
	Cells []evalCell
	Head  bool
}

type evalCell struct {
	Text    string
	Missing bool
}

func newEvalView(r *evaluate.Report, title string) *evalView {
	v := &evalView{Title: title, Primary: r.PrimaryMetric, Classification: r.Task != "regression",
		Confidence: strconv.FormatFloat(100*r.Bootstrap.Confidence, 'g', -1, 64) + "%"}
	v.Meta = evalMeta(r)
	v.metricsTable(r)
	if cm := r.ConfusionMatrix; cm != nil {
		v.Confusion = ConfusionChart(cm.Labels, cm.Counts, ConfusionOptions{Title: "Confusion matrix"})
	}
	v.thresholds(r)
	v.curves(r)
	v.residuals(r)
	v.segments(r)
	v.fairness(r)
	v.slices(r)
	v.importance(r)
	v.examples(r)
	v.summary(r)
	return v
}

func evalMeta(r *evaluate.Report) string {
	var b strings.Builder
	b.WriteString("Evaluation of ")
	switch {
	case r.RunID != "" && r.Model != "":
		fmt.Fprintf(&b, "run %s (%s)", r.RunID, r.Model)
	case r.RunID != "":
		b.WriteString("run " + r.RunID)
	case r.Model != "":
		b.WriteString("a " + r.Model + " model")
	default:
		b.WriteString("a model")
	}
	if r.Part != "" {
		fmt.Fprintf(&b, " on the %s part", r.Part)
	}
	fmt.Fprintf(&b, ": %s rows, %s task", FormatNum(float64(r.Rows)), r.Task)
	if r.Baseline != "" || r.BaselineRunID != "" {
		b.WriteString("; baseline ")
		switch {
		case r.BaselineRunID != "" && r.Baseline != "":
			fmt.Fprintf(&b, "run %s (%s)", r.BaselineRunID, r.Baseline)
		case r.BaselineRunID != "":
			b.WriteString("run " + r.BaselineRunID)
		default:
			b.WriteString(r.Baseline)
		}
	}
	return b.String()
}

// f4 formats a metric with four decimals and a typographic minus, "—" when
// not finite; a value that rounds to zero has no sign.
func f4(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	if s == "-0.0000" {
		return "0.0000"
	}
	return strings.Replace(s, "-", "−", 1)
}

// signed4 formats a difference with four decimals and its sign.
func signed4(v float64) string {
	s := f4(v)
	if s == "—" || strings.HasPrefix(s, "−") {
		return s
	}
	return "+" + s
}

// sharePct formats a share in [0, 1] as a percentage: whole from 10%, one
// decimal below, as evaluate's summaries do.
func sharePct(v float64) string {
	p := 100 * v
	if p >= 9.95 || p == 0 {
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

func verdictBadge(v string) string {
	switch v {
	case evaluate.Better:
		return "pass"
	case evaluate.Worse:
		return "fail"
	}
	return "todo"
}

func (v *evalView) metricsTable(r *evaluate.Report) {
	names := make([]string, 0, len(r.Metrics))
	for name := range r.Metrics {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		rank := func(name string) int {
			if name == r.PrimaryMetric {
				return 0
			}
			return 1
		}
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b))
	})
	v.HasBaseline = len(r.BaselineMetrics) > 0
	for _, name := range names {
		m := evalMetric{Name: name, Model: f4(r.Metrics[name]), Baseline: "—", Lift: "—", CI: "—", Primary: name == r.PrimaryMetric}
		if info, ok := metrics.Lookup(name); ok {
			m.Doc = info.Doc
			if !info.HigherIsBetter {
				m.Doc += " (lower is better)"
			}
		}
		if b, ok := r.BaselineMetrics[name]; ok {
			m.Baseline = f4(b)
		}
		if l, ok := r.Lift[name]; ok {
			m.Lift = signed4(l.Lift)
			if lo, hi := float64(l.Low), float64(l.High); !math.IsNaN(lo) && !math.IsNaN(hi) {
				m.CI = signed4(lo) + " to " + signed4(hi)
			}
			m.Verdict, m.Badge = l.Verdict, verdictBadge(l.Verdict)
		}
		v.Metrics = append(v.Metrics, m)
	}
	bs := r.Bootstrap
	if v.HasBaseline {
		v.BootstrapNote = fmt.Sprintf("Lift is model − baseline. The %s%% confidence intervals come from a %s (%s resamples, seed %d): “better” or “worse” when the interval excludes zero, in the direction of the metric.",
			strconv.FormatFloat(100*bs.Confidence, 'g', -1, 64), bs.Method, FormatNum(float64(bs.Resamples)), bs.Seed)
	}
}

func (v *evalView) thresholds(r *evaluate.Report) {
	t := r.Threshold
	if t == nil {
		return
	}
	add := func(name string, p *evaluate.OperatingPoint) {
		thr := f4(float64(p.Threshold))
		if thr == "—" {
			thr = "none positive"
		}
		v.Thresholds = append(v.Thresholds, evalThreshold{Name: name, Threshold: thr, Precision: f4(p.Precision), Recall: f4(p.Recall),
			FP: FormatNum(p.FP), FN: FormatNum(p.FN), Cost: FormatNum(p.Cost), MeanCost: f4(p.MeanCost)})
	}
	add("model's threshold", &t.Current)
	if t.MinCost != nil {
		add("lowest cost", t.MinCost)
	}
	for _, tt := range t.Targets {
		name := fmt.Sprintf("%s ≥ %s", tt.Metric, FormatNum(tt.Target))
		if !tt.Met {
			v.Thresholds = append(v.Thresholds, evalThreshold{Name: name, Threshold: "no threshold meets it"})
			continue
		}
		add(name, tt.Point)
	}
	v.CostNote = fmt.Sprintf("A row is predicted positive when its probability reaches the threshold. Costs from the canvas: %s per false positive, %s per false negative.",
		FormatNum(t.Costs.FalsePositive), FormatNum(t.Costs.FalseNegative))
}

func (v *evalView) curves(r *evaluate.Report) {
	opts := LineOptions{Width: 440, Height: 200, XMin: 0, XMax: 1, YMin: 0, YMax: 1}
	if c := r.ROCCurve; c != nil {
		o := opts
		o.Title, o.XLabel, o.YLabel, o.Diagonal = "ROC curve", "false positive rate", "true positive rate", true
		v.ROC = LineChart([]Series{{Name: "model", X: unFloat(c.FPR), Y: unFloat(c.TPR)}}, o)
		v.AUCNote = "ROC AUC " + f4(float64(c.AUC))
	}
	if c := r.PRCurve; c != nil {
		o := opts
		o.Title, o.XLabel, o.YLabel = "Precision-recall curve", "recall", "precision"
		v.PR = LineChart([]Series{{Name: "model", X: unFloat(c.Recall), Y: unFloat(c.Precision)}}, o)
		v.AUCNote += ", average precision " + f4(float64(c.AveragePrecision))
	}
	if c := r.Calibration; c != nil && len(c.Bins) > 0 {
		x, y := make([]float64, len(c.Bins)), make([]float64, len(c.Bins))
		for i, b := range c.Bins {
			x[i], y[i] = b.MeanPredicted, b.FractionPositive
		}
		o := opts
		o.Title, o.XLabel, o.YLabel, o.Diagonal, o.Width = "Calibration curve", "mean predicted probability", "fraction of positives", true, 560
		v.Calibration = LineChart([]Series{{Name: "model", X: x, Y: y}}, o)
		v.CalibNote = fmt.Sprintf("Expected calibration error %s and Brier score %s, over %d equal-width bins of the probability of %s; the dashed diagonal is perfect calibration.",
			f4(c.ECE), f4(c.Brier), len(c.Bins), positiveLabel(r))
	}
}

func positiveLabel(r *evaluate.Report) string {
	if len(r.Classes) == 2 {
		return "“" + r.Classes[1] + "”"
	}
	return "class 1"
}

func unFloat(x []evaluate.Float) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func (v *evalView) residuals(r *evaluate.Report) {
	res := r.Residuals
	if res == nil {
		return
	}
	v.HasResiduals = true
	v.Residuals = []profileKV{
		{"Mean", FormatNum(res.Mean)}, {"Standard deviation", FormatNum(res.Std)}, {"Mean absolute", FormatNum(res.MAE)},
		{"Median", FormatNum(res.Median)}, {"5% / 95%", FormatNum(res.P05) + " / " + FormatNum(res.P95)},
		{"Min / max", FormatNum(res.Min) + " / " + FormatNum(res.Max)},
	}
	v.ResidualPlot = ScatterChart(res.Predicted, res.Residual, ScatterOptions{Title: "Residuals against predictions",
		XLabel: "predicted", YLabel: "residual", ZeroLine: true})
	v.ResidualHist = Histogram(res.Histogram.Edges, res.Histogram.Counts, HistogramOptions{Title: "Distribution of the residuals"})
}

func (v *evalView) segments(r *evaluate.Report) {
	g := r.SegmentGap
	kind := "below"
	if info, ok := metrics.Lookup(g.Metric); ok && !info.HigherIsBetter {
		kind = "above"
	}
	if g.Relative {
		v.SegmentNote = fmt.Sprintf("Gap: how much worse the segment's %s is than overall (%s), relative to the overall value; flagged when more than %s%% worse, for segments of at least the minimum size.",
			g.Metric, f4(float64(g.Overall)), FormatNum(100*g.MaxGap))
	} else {
		v.SegmentNote = fmt.Sprintf("Gap: how far the segment's %s is %s the overall %s; flagged beyond %s, for segments of at least the minimum size.",
			g.Metric, kind, f4(float64(g.Overall)), FormatNum(g.MaxGap))
	}
	for _, s := range r.Segments {
		es := evalSegment{Column: s.Column, Segment: s.Segment, Rows: countShare(s.Rows, s.Share), Primary: f4(float64(s.Primary)),
			Gap: f4(float64(s.Gap)), Sensitive: s.Sensitive, Small: s.Small, Badge: "pass", Status: "ok"}
		if g.Relative && !math.IsNaN(float64(s.Gap)) {
			es.Gap = strings.Replace(strconv.FormatFloat(100*float64(s.Gap), 'f', 1, 64), "-", "−", 1) + "%"
		}
		switch {
		case s.Flagged:
			es.Badge, es.Status = "fail", "flagged"
		case s.Small:
			es.Badge, es.Status = "todo", "too small"
		case math.IsNaN(float64(s.Gap)):
			es.Badge, es.Status = "todo", "undefined"
		}
		v.Segments = append(v.Segments, es)
	}
}

func countShare(n int, share float64) string {
	return fmt.Sprintf("%s (%s)", FormatNum(float64(n)), pctText(100*share))
}

func (v *evalView) fairness(r *evaluate.Report) {
	for _, f := range r.Fairness {
		ef := evalFairness{Column: f.Column, DPD: fmt3(float64(f.DemographicParityDifference)), DPR: fmt3(float64(f.DemographicParityRatio)),
			EOD: fmt3(float64(f.EqualizedOddsDifference)), Flagged: f.Flagged}
		for _, g := range f.Groups {
			ef.Groups = append(ef.Groups, evalGroup{Group: g.Group, Rows: FormatNum(float64(g.Rows)), Positive: fmt3(float64(g.PositiveRate)),
				TPR: fmt3(float64(g.TruePositiveRate)), FPR: fmt3(float64(g.FalsePositiveRate)), Included: g.Included})
		}
		v.Fairness = append(v.Fairness, ef)
	}
}

func (v *evalView) slices(r *evaluate.Report) {
	ea := r.ErrorAnalysis
	what := "a misclassified row"
	if ea.ResidualThreshold != nil {
		what = fmt.Sprintf("a row whose absolute residual exceeds %s, the %d%s percentile", FormatNum(*ea.ResidualThreshold),
			int(100*evaluate.ErrorQuantile), "th")
	} else if r.Task == "regression" {
		what = "a row without a finite residual"
	}
	v.ErrorNote = fmt.Sprintf("An error is %s. %s of %s rows are errors (%s).",
		what, FormatNum(float64(ea.Errors)), FormatNum(float64(ea.Rows)), sharePct(ea.ErrorRate))
	v.TestNote = fmt.Sprintf("Slices are the categories, quantile bins and missing values of %d column(s), and pairs of them. %s slices of at least %d rows were tested with a one-sided binomial test against the overall error rate (a pair against the higher error rate of its two parts), with the Benjamini–Hochberg correction at a false discovery rate of %s%%. %s, ranked by excess errors: the errors beyond what the overall rate predicts.",
		len(ea.Columns), FormatNum(float64(ea.Tested)), ea.MinRows, FormatNum(100*ea.FDR), plural(ea.Significant, "is significant", "are significant"))
	for i, s := range r.Slices {
		es := evalSlice{Rank: i + 1, Sentence: fmt.Sprintf("%s of errors are in %s", sharePct(s.ErrorShare), s.Slice),
			Rows: countShare(s.Rows, s.Share), Errors: FormatNum(float64(s.Errors)), Excess: "+" + strconv.FormatFloat(s.ExcessErrors, 'f', 0, 64),
			Rate: sharePct(s.ErrorRate) + " vs " + sharePct(ea.ErrorRate), PValue: pvalue(s.PValue), QValue: pvalue(s.QValue)}
		if s.SubsumedBy != "" {
			es.Under = "Outside “" + s.SubsumedBy + "” this slice errs no more than overall."
		}
		v.Slices = append(v.Slices, es)
	}
}

// plural writes n and the singular or plural phrase.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// pvalue formats a p-value with two significant digits.
func pvalue(p float64) string {
	if p < 1e-12 {
		return "< 1e-12"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

func (v *evalView) importance(r *evaluate.Report) {
	if len(r.PermutationImportance) == 0 {
		return
	}
	bars := make([]Bar, len(r.PermutationImportance))
	for i, imp := range r.PermutationImportance {
		bars[i] = Bar{Label: imp.Column, Value: imp.Mean, Note: f4(imp.Mean) + " ± " + f4(imp.Std)}
	}
	v.Importance = BarChart(bars, BarOptions{Title: "Permutation importance"})
	v.ImportanceNote = fmt.Sprintf("How much %s gets worse when a column's values are shuffled across rows (mean ± standard deviation over shuffles); near zero or negative: the model does not rely on the column.", r.PrimaryMetric)
}

func (v *evalView) examples(r *evaluate.Report) {
	ex := r.Examples
	if ex == nil {
		return
	}
	scoreName := "probability of " + positiveLabel(r)
	for _, g := range []struct {
		title, note, score string
		rows               []evaluate.Example
	}{
		{"False positives", "Negatives the model was most sure were positive.", scoreName, ex.FalsePositives},
		{"False negatives", "Positives the model was most sure were negative.", scoreName, ex.FalseNegatives},
		{"Misclassified", "Errors with the most confident wrong class.", "probability of the prediction", ex.Misclassified},
		{"Largest errors", "Rows with the largest absolute residuals.", "residual", ex.LargestErrors},
	} {
		if len(g.rows) == 0 {
			continue
		}
		ee := evalExamples{Title: g.title, Note: g.note}
		line := func(name string, head bool, cell func(x evaluate.Example) evalCell) {
			l := evalLine{Name: name, Head: head}
			for _, x := range g.rows {
				l.Cells = append(l.Cells, cell(x))
			}
			ee.Lines = append(ee.Lines, l)
		}
		for _, x := range g.rows {
			ee.Rows = append(ee.Rows, x.Row)
		}
		line("true", true, func(x evaluate.Example) evalCell { return evalCell{Text: cellText(x.True)} })
		line("predicted", true, func(x evaluate.Example) evalCell { return evalCell{Text: cellText(x.Predicted)} })
		line(g.score, true, func(x evaluate.Example) evalCell { return evalCell{Text: scoreText(x.Score, r.Task == "regression")} })
		for j, col := range ex.Columns {
			line(col, false, func(x evaluate.Example) evalCell {
				if x.Values[j] == "" {
					return evalCell{Text: "missing", Missing: true}
				}
				return evalCell{Text: cellText(x.Values[j])}
			})
		}
		v.Examples = append(v.Examples, ee)
	}
}

// scoreText formats a probability with four decimals (two significant
// digits below 0.001), or a residual with FormatNum.
func scoreText(v float64, residual bool) string {
	if residual || v < 1e-3 {
		return FormatNum(v)
	}
	return f4(v)
}

// cellText shortens a cell of an example: decimals to four significant
// digits, long text to 40 characters.
func cellText(s string) string {
	if strings.ContainsAny(s, ".eE") {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return FormatNum(v)
		}
	}
	return shortValue(s)
}

// summary writes the few sentences at the top of the page.
func (v *evalView) summary(r *evaluate.Report) {
	p := r.PrimaryMetric
	if m, ok := r.Metrics[p]; ok {
		if l, ok := r.Lift[p]; ok {
			ci := ""
			if lo, hi := float64(l.Low), float64(l.High); !math.IsNaN(lo) && !math.IsNaN(hi) {
				ci = fmt.Sprintf(" (%s%% CI %s to %s)", strconv.FormatFloat(100*r.Bootstrap.Confidence, 'g', -1, 64), signed4(lo), signed4(hi))
			}
			verdict := map[string]string{evaluate.Better: "better than the baseline", evaluate.Worse: "worse than the baseline",
				evaluate.Inconclusive: "not distinguishable from the baseline"}[l.Verdict]
			v.Summary = append(v.Summary, fmt.Sprintf("%s is %s against %s for the baseline, a lift of %s%s: %s.", p, f4(m), f4(l.Baseline), signed4(l.Lift), ci, verdict))
		} else {
			v.Summary = append(v.Summary, fmt.Sprintf("%s is %s; there is no baseline to compare with.", p, f4(m)))
		}
	}
	if len(r.Slices) > 0 {
		v.Summary = append(v.Summary, r.Slices[0].Summary+".")
	} else {
		v.Summary = append(v.Summary, fmt.Sprintf("No slice of the data errs significantly more often than overall (%s slices tested).", FormatNum(float64(r.ErrorAnalysis.Tested))))
	}
	if len(r.Segments) > 0 {
		var flagged []string
		for _, s := range r.Segments {
			if s.Flagged {
				flagged = append(flagged, s.Segment)
			}
		}
		if len(flagged) > 0 {
			v.Summary = append(v.Summary, fmt.Sprintf("%d of %d segments flagged for a gap in %s: %s.", len(flagged), len(r.Segments), r.SegmentGap.Metric, strings.Join(flagged, "; ")))
		} else {
			v.Summary = append(v.Summary, fmt.Sprintf("No segment's %s is further from the overall value than the allowed gap.", r.SegmentGap.Metric))
		}
	}
	for _, f := range r.Fairness {
		if f.Flagged {
			v.Summary = append(v.Summary, fmt.Sprintf("Fairness across %s: demographic parity difference %s and equalized-odds difference %s, beyond the allowed %s.",
				f.Column, fmt3(float64(f.DemographicParityDifference)), fmt3(float64(f.EqualizedOddsDifference)), FormatNum(f.MaxGap)))
		}
	}
	if t := r.Threshold; t != nil && t.MinCost != nil && float64(t.MinCost.Threshold) != float64(t.Current.Threshold) {
		thr := f4(float64(t.MinCost.Threshold))
		if thr == "—" {
			thr = "above every probability (predict no positive)"
		}
		v.Summary = append(v.Summary, fmt.Sprintf("The threshold with the lowest canvas cost is %s: %s per row against %s at the model's threshold %s.",
			thr, f4(t.MinCost.MeanCost), f4(t.Current.MeanCost), f4(float64(t.Current.Threshold))))
	}
}

// evalCSS adds to pageCSS what the evaluation needs.
const evalCSS = `
.chart{display:block;margin:6px 0 12px}
.cols{display:flex;flex-wrap:wrap;gap:4px 24px;align-items:flex-start}
.cols figure{margin:0;flex:1 1 400px;min-width:0}
.cols dl{grid-template-columns:max-content max-content;font-size:13px;margin:4px 0}
figcaption{font-size:13px;color:var(--muted);font-weight:600}
.note{color:var(--muted);font-size:13px;margin:2px 0 8px}
ul.summary{padding-left:20px}
ul.summary li{margin:4px 0}
tr.primary td{font-weight:600}
tr.flagged td{background:#fbeeed}
tr.excluded td{color:var(--muted)}
div.sub{color:var(--muted);font-size:12px;font-weight:400}
td.num,th.num{white-space:nowrap}
th.num{text-align:right}
table.examples td,table.examples th{font-size:13px;padding:4px 8px}
table.examples tr.head td{font-weight:600}
table.examples td.missing{color:var(--warn);font-style:italic}
.badge.todo{white-space:nowrap}
`

var evalTemplate = htmltemplate.Must(htmltemplate.New("evaluation.html").Funcs(profileFuncs).Parse(`<style>{{css .CSS}}</style>
<header>
<h1>{{.V.Title}}</h1>
<div class="meta">{{.V.Meta}}. Generated by mlw.</div>
</header>
{{with .V}}
<h2>Summary</h2>
<ul class="summary">
{{range .Summary}}<li>{{.}}</li>
{{end}}</ul>

<h2>Metrics against the baseline</h2>
{{if .BootstrapNote}}<p class="note">{{.BootstrapNote}}</p>{{else}}<p class="pending">No baseline: no lift to show.</p>{{end}}
<table><tr><th>metric</th><th class="num">model</th>{{if .HasBaseline}}<th class="num">baseline</th><th class="num">lift</th><th class="num">{{.Confidence}} interval</th><th></th>{{end}}</tr>
{{range .Metrics}}<tr{{if .Primary}} class="primary"{{end}}><td><code>{{.Name}}</code><div class="sub">{{.Doc}}</div></td><td class="num">{{.Model}}</td>{{if $.V.HasBaseline}}<td class="num">{{.Baseline}}</td><td class="num">{{.Lift}}</td><td class="num">{{.CI}}</td><td>{{if .Verdict}}<span class="badge {{.Badge}}">{{.Verdict}}</span>{{end}}</td>{{end}}</tr>
{{end}}</table>

{{if .Classification}}<h2>Errors by class</h2>
<div class="cols">
<figure>{{.Confusion}}<p class="note">Rows: true class; columns: predicted class. Each cell: count and share of its row.</p></figure>
</div>
{{if .Thresholds}}<h3>Decision threshold</h3>
<p class="note">{{.CostNote}}</p>
<table><tr><th>threshold</th><th></th><th class="num">precision</th><th class="num">recall</th><th class="num">false positives</th><th class="num">false negatives</th><th class="num">cost</th><th class="num">cost per row</th></tr>
{{range .Thresholds}}<tr><td>{{.Name}}</td><td class="num">{{.Threshold}}</td><td class="num">{{.Precision}}</td><td class="num">{{.Recall}}</td><td class="num">{{.FP}}</td><td class="num">{{.FN}}</td><td class="num">{{.Cost}}</td><td class="num">{{.MeanCost}}</td></tr>
{{end}}</table>
{{end}}
{{if .ROC}}<h2>ROC and precision-recall curves</h2>
<p class="note">{{.AUCNote}}.</p>
<div class="cols">
<figure><figcaption>ROC curve</figcaption>{{.ROC}}</figure>
<figure><figcaption>Precision-recall curve</figcaption>{{.PR}}</figure>
</div>
{{end}}
{{if .Calibration}}<h2>Calibration</h2>
<p class="note">{{.CalibNote}}</p>
{{.Calibration}}
{{end}}{{end}}
{{if .HasResiduals}}<h2>Residuals</h2>
<p class="note">Residual = true − predicted value.</p>
<div class="cols">
<dl>{{range .Residuals}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl>
<figure><figcaption>Distribution</figcaption>{{.ResidualHist}}</figure>
</div>
<figure><figcaption>Residuals against predictions</figcaption>{{.ResidualPlot}}</figure>
{{end}}
<h2>Segments</h2>
{{if .Segments}}<p class="note">{{.SegmentNote}}</p>
<table><tr><th>segment</th><th class="num">rows</th><th class="num">{{.Primary}}</th><th class="num">gap</th><th></th></tr>
{{range .Segments}}<tr{{if eq .Status "flagged"}} class="flagged"{{end}}><td>{{.Segment}}{{if .Sensitive}} <code>sensitive</code>{{end}}</td><td class="num">{{.Rows}}</td><td class="num">{{.Primary}}</td><td class="num">{{.Gap}}</td><td><span class="badge {{.Badge}}">{{.Status}}</span></td></tr>
{{end}}</table>
{{else}}<p class="pending">No segment or sensitive column was named (data.segments and data.sensitive in mlw.yaml).</p>
{{end}}
{{if .Fairness}}<h2>Fairness</h2>
<p class="note">Over the groups of each sensitive column with enough rows (greyed groups are left out): demographic parity compares the rates of positive predictions, equalized odds the true and false positive rates.</p>
{{range .Fairness}}<h3>{{.Column}} {{if .Flagged}}<span class="badge fail">flagged</span>{{else}}<span class="badge pass">within the gap</span>{{end}}</h3>
<dl><dt>Demographic parity difference</dt><dd>{{.DPD}}</dd><dt>Demographic parity ratio</dt><dd>{{.DPR}}</dd><dt>Equalized-odds difference</dt><dd>{{.EOD}}</dd></dl>
<table><tr><th>group</th><th class="num">rows</th><th class="num">positive rate</th><th class="num">true positive rate</th><th class="num">false positive rate</th></tr>
{{range .Groups}}<tr{{if not .Included}} class="excluded"{{end}}><td>{{.Group}}</td><td class="num">{{.Rows}}</td><td class="num">{{.Positive}}</td><td class="num">{{.TPR}}</td><td class="num">{{.FPR}}</td></tr>
{{end}}</table>
{{end}}{{end}}
<h2>Error analysis</h2>
<p class="note">{{.ErrorNote}}</p>
<p class="note">{{.TestNote}}</p>
{{if .Slices}}<table><tr><th>#</th><th>finding</th><th class="num">rows</th><th class="num">errors</th><th class="num">excess</th><th class="num">error rate vs overall</th><th class="num">p-value</th><th class="num">adjusted</th></tr>
{{range .Slices}}<tr><td class="num">{{.Rank}}</td><td>{{.Sentence}}{{if .Under}}<div class="sub">{{.Under}}</div>{{end}}</td><td class="num">{{.Rows}}</td><td class="num">{{.Errors}}</td><td class="num">{{.Excess}}</td><td class="num">{{.Rate}}</td><td class="num">{{.PValue}}</td><td class="num">{{.QValue}}</td></tr>
{{end}}</table>
{{else}}<p class="pending">No slice errs significantly more often than overall.</p>
{{end}}
{{if .Importance}}<h2>Permutation importance</h2>
<p class="note">{{.ImportanceNote}}</p>
{{.Importance}}
{{end}}
{{if .Examples}}<h2>Examples of errors</h2>
{{range .Examples}}<h3>{{.Title}}</h3>
<p class="note">{{.Note}}</p>
<table class="examples"><tr><th></th>{{range .Rows}}<th>row {{.}}</th>{{end}}</tr>
{{range .Lines}}<tr{{if .Head}} class="head"{{end}}><th>{{.Name}}</th>{{range .Cells}}<td{{if .Missing}} class="missing"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</table>
{{end}}{{end}}
{{end}}`))
