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

	"mlw.dev/internal/tune"
)

// Study is a tuning study as StudyHTML shows it.
type Study struct {
	// Record is the stored study: name, direction and attributes (model,
	// split, metric, cv_strategy, cv_by, cv_folds are shown when set).
	Record tune.StudyRecord
	// Metric names the objective; empty means the "metric" attribute.
	Metric string
	// Space is the study's search space (required): it places parameter
	// values on the plots (log scale, categories) and orders them.
	Space *tune.Space
	// Trials are the study's trials, in any order.
	Trials []tune.TrialRecord
	// Importance is the parameters' importance (tune.Importance).
	Importance []tune.ParamImportance
}

// StudyHTML renders a tuning study as one self-contained HTML page: an
// overview with the best trial, the optimisation history (each complete
// trial's value and the best so far), the parameters' importance, one plot
// of the score against each parameter, and the table of trials. The page has
// no scripts and fetches nothing, and the same study gives the same bytes.
func StudyHTML(s *Study, title string) ([]byte, error) {
	page, err := RenderPage(title, studyTemplate, struct {
		CSS string
		V   *studyView
	}{studyCSS, newStudyView(s, title)})
	if err != nil {
		return nil, fmt.Errorf("render study: %w", err)
	}
	return page, nil
}

// studyView is what the study template shows, prepared in Go.
type studyView struct {
	Title, Meta    string
	Overview       []profileKV
	Best           []profileKV
	History        htmltemplate.HTML
	HistoryNote    string
	Importance     htmltemplate.HTML
	ImportanceNote string
	Params         []studyParam
	FixedNote      string
	Trials         []studyTrial
}

type studyParam struct {
	Name  string
	Chart htmltemplate.HTML
	Note  string
}

type studyTrial struct {
	Number, State, Badge, Value, Duration, Params, Note string
	Best                                                bool
}

func newStudyView(s *Study, title string) *studyView {
	rec := &s.Record
	metric := cmp.Or(s.Metric, rec.Attrs["metric"], "objective")
	trials := slices.Clone(s.Trials)
	slices.SortFunc(trials, func(a, b tune.TrialRecord) int { return a.Number - b.Number })
	best, hasBest := tune.BestTrial(trials, rec.Direction)

	v := &studyView{Title: title}
	counts := map[tune.State]int{}
	for _, t := range trials {
		counts[t.State]++
	}
	var parts []string
	for _, st := range []tune.State{tune.StateComplete, tune.StatePruned, tune.StateFailed, tune.StateRunning, tune.StateWaiting} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	v.Meta = fmt.Sprintf("Tuning study %s: %s", rec.Name, plural(len(trials), "trial", "trials"))
	if len(parts) > 0 {
		v.Meta += " (" + strings.Join(parts, ", ") + ")"
	}
	v.Overview = []profileKV{{"Study", rec.Name}}
	if m := rec.Attrs["model"]; m != "" {
		v.Overview = append(v.Overview, profileKV{"Model", m})
	}
	if sp := rec.Attrs["split"]; sp != "" {
		v.Overview = append(v.Overview, profileKV{"Split", sp})
	}
	v.Overview = append(v.Overview, profileKV{"Objective", fmt.Sprintf("%s %s", rec.Direction, metric)})
	if cv := describeStudyCV(rec.Attrs); cv != "" {
		v.Overview = append(v.Overview, profileKV{"Cross-validation", cv})
	}
	if f := rec.Attrs["drop_features"]; f != "" {
		v.Overview = append(v.Overview, profileKV{"Dropped features", f})
	}
	if f := rec.Attrs["only_features"]; f != "" {
		v.Overview = append(v.Overview, profileKV{"Only features", f})
	}
	nTrials := strconv.Itoa(len(trials))
	if len(parts) > 0 {
		nTrials += " (" + strings.Join(parts, ", ") + ")"
	}
	v.Overview = append(v.Overview, profileKV{"Trials", nTrials})
	if !rec.CreatedAt.IsZero() {
		v.Overview = append(v.Overview, profileKV{"Created", rec.CreatedAt.UTC().Format(time.RFC3339)})
	}
	if hasBest {
		v.Best = []profileKV{{"Trial", strconv.Itoa(best.Number)}, {metric, FormatNum(best.Value)}}
		for _, kv := range orderedParams(s.Space, best.Params) {
			v.Best = append(v.Best, profileKV{kv[0], kv[1]})
		}
	}
	v.history(trials, rec.Direction, metric)
	v.importance(s.Space, s.Importance)
	v.params(s, trials, metric)
	for _, t := range trials {
		st := studyTrial{Number: strconv.Itoa(t.Number), State: string(t.State), Badge: stateBadge(t.State), Value: "—",
			Best: hasBest && t.Number == best.Number}
		if t.State == tune.StateComplete {
			st.Value = FormatNum(t.Value)
		}
		if t.State.Finished() && !t.StartedAt.IsZero() && !t.FinishedAt.IsZero() {
			st.Duration = formatDuration(t.FinishedAt.Sub(t.StartedAt))
		}
		var ps []string
		for _, kv := range orderedParams(s.Space, t.Params) {
			if p := s.Space.Param(kv[0]); p == nil || !p.Fixed() {
				ps = append(ps, kv[0]+"="+kv[1])
			}
		}
		st.Params = strings.Join(ps, " ")
		switch {
		case t.Error != "":
			st.Note = t.Error
		case t.State == tune.StatePruned:
			if sv, ok := t.LastStep(); ok {
				st.Note = "pruned " + stepText(sv)
			}
		}
		v.Trials = append(v.Trials, st)
	}
	return v
}

// history draws each complete trial's value and the best value so far.
func (v *studyView) history(trials []tune.TrialRecord, dir tune.Direction, metric string) {
	var x, y, bx, by []float64
	best := math.NaN()
	for _, t := range trials {
		if t.State != tune.StateComplete || math.IsNaN(t.Value) {
			continue
		}
		n := float64(t.Number)
		x, y = append(x, n), append(y, t.Value)
		prev := best
		if math.IsNaN(best) || dir == tune.Maximize && t.Value > best || dir != tune.Maximize && t.Value < best {
			best = t.Value
		}
		if !math.IsNaN(prev) && prev != best {
			bx, by = append(bx, n), append(by, prev) // a step, not a slope
		}
		bx, by = append(bx, n), append(by, best)
	}
	if len(x) == 0 {
		return
	}
	v.History = LineChart([]Series{{Name: "trial " + metric, X: x, Y: y}, {Name: "best so far", X: bx, Y: by}},
		LineOptions{Title: "Optimisation history", XLabel: "trial", YLabel: metric})
	goal := "lowest"
	if dir == tune.Maximize {
		goal = "highest"
	}
	v.HistoryNote = fmt.Sprintf("The cross-validated %s of each complete trial, in trial order, and the %s value so far. Pruned and failed trials have no value.",
		metric, goal)
}

// importance draws the importance of the parameters that vary.
func (v *studyView) importance(space *tune.Space, imp []tune.ParamImportance) {
	bars := make([]Bar, 0, len(imp))
	for _, p := range imp {
		if sp := space.Param(p.Name); sp != nil && sp.Fixed() {
			continue
		}
		bars = append(bars, Bar{Label: p.Name, Value: p.Importance,
			Note: fmt.Sprintf("%s (ε² %s, %s)", svgPct(p.Importance), fmt3(p.Explained), plural(p.Trials, "trial", "trials"))})
	}
	v.Importance = BarChart(bars, BarOptions{Title: "Parameter importance", Max: 1})
	v.ImportanceNote = "Share of the variation of the score's ranks over the complete trials that each parameter explains on its own " +
		"(epsilon-squared of a one-way analysis of variance over bins of its values), normalised to sum to 100%. " +
		"With few trials, or trials concentrated near the optimum, read it as a hint."
}

// params draws the score against each parameter that varies, most
// important first.
func (v *studyView) params(s *Study, trials []tune.TrialRecord, metric string) {
	order := make([]string, 0, len(s.Space.Params))
	for _, p := range s.Importance {
		if s.Space.Param(p.Name) != nil {
			order = append(order, p.Name)
		}
	}
	for _, p := range s.Space.Params {
		if !slices.Contains(order, p.Name) {
			order = append(order, p.Name)
		}
	}
	var fixed []string
	for _, name := range order {
		p := s.Space.Param(name)
		if p.Fixed() {
			fixed = append(fixed, name+" = "+fixedValue(p))
			continue
		}
		var x, y []float64
		for _, t := range trials {
			if t.State != tune.StateComplete {
				continue
			}
			raw, ok := t.Params[name]
			if !ok {
				continue
			}
			pos, ok := paramPosition(p, raw)
			if !ok {
				continue
			}
			x, y = append(x, pos), append(y, t.Value)
		}
		sp := studyParam{Name: name}
		xlabel := name
		switch {
		case p.Type == tune.Categorical:
			var pos []string
			for i, c := range p.Choices {
				pos = append(pos, fmt.Sprintf("%d = %s", i, c))
			}
			sp.Note = "Categories by position: " + strings.Join(pos, ", ") + "."
			xlabel += " (category)"
		case p.Log:
			xlabel += " (log10)"
			sp.Note = fmt.Sprintf("Log scale: from %s to %s.", FormatNum(p.Low), FormatNum(p.High))
		}
		sp.Chart = ScatterChart(x, y, ScatterOptions{Title: metric + " against " + name, XLabel: xlabel, YLabel: metric, Width: 440, Height: 160})
		if sp.Chart == "" {
			sp.Note = "No complete trial set this parameter."
		}
		v.Params = append(v.Params, sp)
	}
	if len(fixed) > 0 {
		v.FixedNote = "Fixed: " + strings.Join(fixed, ", ") + "."
	}
}

// paramPosition places a parameter's value on a plot's x axis: the choice
// index of a categorical parameter, log10 of a log-scale one, the value
// otherwise.
func paramPosition(p *tune.Param, raw string) (float64, bool) {
	if p.Type == tune.Categorical {
		i := slices.Index(p.Choices, raw)
		return float64(i), i >= 0
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	if p.Log {
		if f <= 0 {
			return 0, false
		}
		return math.Log10(f), true
	}
	return f, true
}

func fixedValue(p *tune.Param) string {
	if p.Type == tune.Categorical {
		return p.Choices[0]
	}
	return FormatNum(p.Low)
}

// orderedParams returns params as name-value pairs, in the space's order
// and then by name for any the space lacks.
func orderedParams(space *tune.Space, params tune.Params) [][2]string {
	out := make([][2]string, 0, len(params))
	for _, name := range space.Names() {
		if v, ok := params[name]; ok {
			out = append(out, [2]string{name, v})
		}
	}
	var rest []string
	for k := range params {
		if space.Param(k) == nil {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		out = append(out, [2]string{k, params[k]})
	}
	return out
}

// describeStudyCV describes the study's cross-validation from its
// attributes, e.g. "3-fold group by customer"; "" when unknown.
func describeStudyCV(attrs map[string]string) string {
	strategy, folds := attrs["cv_strategy"], attrs["cv_folds"]
	if strategy == "" && folds == "" {
		return ""
	}
	if folds != "" {
		folds += "-fold"
	}
	s := strings.TrimSpace(folds + " " + strategy)
	if by := attrs["cv_by"]; by != "" {
		s += " by " + by
	}
	return s
}

// stepText describes a pruned trial's last intermediate value, reported
// after an iteration of the first fold or after a fold (see tune.FoldStep).
func stepText(sv tune.StepValue) string {
	if sv.Step >= tune.FoldStepBase {
		return fmt.Sprintf("after fold %d at %s", sv.Step-tune.FoldStepBase+1, FormatNum(sv.Value))
	}
	return fmt.Sprintf("at iteration %d of the first fold, at %s", sv.Step, FormatNum(sv.Value))
}

func stateBadge(s tune.State) string {
	switch s {
	case tune.StateComplete:
		return "pass"
	case tune.StatePruned:
		return "warn"
	case tune.StateFailed:
		return "fail"
	}
	return "todo"
}

// formatDuration formats a trial's wall time: "420ms", "1.23s", "2m5.1s".
func formatDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// studyCSS adds to pageCSS what the study needs.
const studyCSS = `
.chart{display:block;margin:6px 0 12px}
.cols{display:flex;flex-wrap:wrap;gap:4px 24px;align-items:flex-start}
.cols figure{margin:0;flex:1 1 400px;min-width:0}
figcaption{font-size:13px;color:var(--muted);font-weight:600}
.note{color:var(--muted);font-size:13px;margin:2px 0 8px}
tr.best td{background:#eef6f0;font-weight:600}
div.sub{color:var(--muted);font-size:12px;font-weight:400}
td.params{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
`

var studyTemplate = htmltemplate.Must(htmltemplate.New("study.html").Funcs(profileFuncs).Parse(`<style>{{css .CSS}}</style>
<header>
<h1>{{.V.Title}}</h1>
<div class="meta">{{.V.Meta}}. Generated by mlw.</div>
</header>
{{with .V}}
<h2>Overview</h2>
<dl>
{{range .Overview}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>
{{end}}</dl>
<h3>Best trial</h3>
{{if .Best}}<dl>
{{range .Best}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>
{{end}}</dl>
{{else}}<p class="pending">No trial is complete yet.</p>
{{end}}
<h2>Optimisation history</h2>
{{if .History}}<p class="note">{{.HistoryNote}}</p>
{{.History}}
{{else}}<p class="pending">No trial is complete yet.</p>
{{end}}
<h2>Parameter importance</h2>
{{if .Importance}}<p class="note">{{.ImportanceNote}}</p>
{{.Importance}}
{{else}}<p class="pending">No parameter varies.</p>
{{end}}
<h2>Score against each parameter</h2>
{{if .FixedNote}}<p class="note">{{.FixedNote}}</p>{{end}}
{{if .Params}}<div class="cols">
{{range .Params}}<figure><figcaption>{{.Name}}</figcaption>{{.Chart}}{{if .Note}}<p class="note">{{.Note}}</p>{{end}}</figure>
{{end}}</div>
{{else}}<p class="pending">No parameter varies.</p>
{{end}}
<h2>Trials</h2>
{{if .Trials}}<table><tr><th class="num">#</th><th>state</th><th class="num">value</th><th class="num">duration</th><th>params</th></tr>
{{range .Trials}}<tr{{if .Best}} class="best"{{end}}><td class="num">{{.Number}}</td><td><span class="badge {{.Badge}}">{{.State}}</span></td><td class="num">{{.Value}}</td><td class="num">{{.Duration}}</td><td class="params">{{.Params}}{{if .Note}}<div class="sub">{{.Note}}</div>{{end}}</td></tr>
{{end}}</table>
{{else}}<p class="pending">No trials yet.</p>
{{end}}
{{end}}`))
