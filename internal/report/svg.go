package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// The chart helpers below draw small inline SVG charts for the HTML reports.
// They are pure: the same input gives the same bytes. Labels are escaped, the
// charts need no script, font or stylesheet of their own, and they scale to
// the width of the page (viewBox with a maximum width). NaN values draw as
// gaps or grey cells.

// Chart colours, matching the page CSS.
const (
	colorAccent = "#2f6fb3"
	colorBad    = "#b3261e"
	colorWarn   = "#a66300"
	colorOK     = "#1d7a46"
	colorMuted  = "#5b6876"
	colorLine   = "#d8dee5"
	colorNaN    = "#e9ecef"
)

// seriesColors colour the series of a line chart in turn.
var seriesColors = []string{colorAccent, "#d9822b", colorOK, colorBad, "#6a4c93", colorMuted}

// svgFont is the text style of every chart.
const svgFont = `font-family="-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif" font-size="12"`

// Bar is one bar of a BarChart.
type Bar struct {
	// Label names the bar, on its left.
	Label string
	// Value is the length of the bar; NaN and negative values draw none.
	Value float64
	// Note is written after the bar; empty writes Value with four
	// significant digits.
	Note string
	// Color fills the bar; empty means the accent blue.
	Color string
}

// BarOptions configures a BarChart.
type BarOptions struct {
	// Title is the accessible name of the chart.
	Title string
	// Width is the width in pixels; 0 means 640.
	Width int
	// Max is the value of a full-length bar; 0 means the largest value.
	Max float64
}

// BarChart draws horizontal bars, one row per bar in the order given, with
// the label on the left and the note on the right. It returns "" for no bars.
func BarChart(bars []Bar, opts BarOptions) template.HTML {
	if len(bars) == 0 {
		return ""
	}
	width := float64(svgOrInt(opts.Width, 640))
	labelW := 0.0
	for _, b := range bars {
		labelW = max(labelW, svgTextWidth(svgShorten(b.Label, 32)))
	}
	labelW = min(max(labelW+10, 30), width*0.4)
	noteW := 0.0
	for _, b := range bars {
		noteW = max(noteW, svgTextWidth(svgBarNote(b)))
	}
	noteW += 8
	top := opts.Max
	if top <= 0 {
		for _, b := range bars {
			if b.Value > top {
				top = b.Value
			}
		}
	}
	const rowH, barH = 20.0, 14.0
	plotW := max(width-labelW-noteW, 20)
	height := rowH*float64(len(bars)) + 4
	var s strings.Builder
	svgOpen(&s, width, height, opts.Title)
	for i, b := range bars {
		y := 2 + rowH*float64(i)
		w := 0.0
		if b.Value > 0 && top > 0 {
			w = plotW * min(b.Value/top, 1)
		}
		label := svgShorten(b.Label, 32)
		fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="end" fill="#1d2733">%s</text>`,
			svgF(labelW-6), svgF(y+barH-3), svgEsc(label))
		fmt.Fprintf(&s, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s: %s</title></rect>`,
			svgF(labelW), svgF(y), svgF(w), svgF(barH), svgOrStr(b.Color, colorAccent), svgEsc(b.Label), svgEsc(svgBarNote(b)))
		fmt.Fprintf(&s, `<text x="%s" y="%s" fill="%s">%s</text>`, svgF(labelW+w+4), svgF(y+barH-3), colorMuted, svgEsc(svgBarNote(b)))
	}
	s.WriteString("</svg>")
	return template.HTML(s.String())
}

func svgBarNote(b Bar) string {
	if b.Note != "" {
		return b.Note
	}
	return FormatNum(b.Value)
}

// HistogramOptions configures a Histogram.
type HistogramOptions struct {
	// Title is the accessible name of the chart.
	Title string
	// Width is the width in pixels; 0 means 640.
	Width int
	// Height is the height of the plot area in pixels; 0 means 140.
	Height int
}

// Histogram draws vertical bars for counts over bins with the given edges
// (len(edges) == len(counts)+1, as numpy.histogram returns them), the x axis
// labelled at both ends and the middle, and the largest count on the y axis.
// It returns "" for no bins and panics if the lengths disagree.
func Histogram(edges []float64, counts []int, opts HistogramOptions) template.HTML {
	if len(counts) == 0 {
		return ""
	}
	if len(edges) != len(counts)+1 {
		panic("report: len(edges) != len(counts)+1")
	}
	width := float64(svgOrInt(opts.Width, 640))
	plotH := float64(svgOrInt(opts.Height, 140))
	const left, right, top, bottom = 44.0, 8.0, 8.0, 22.0
	plotW := width - left - right
	maxC := 0
	for _, c := range counts {
		maxC = max(maxC, c)
	}
	var s strings.Builder
	svgOpen(&s, width, plotH+top+bottom, opts.Title)
	bw := plotW / float64(len(counts))
	for i, c := range counts {
		h := 0.0
		if maxC > 0 {
			h = plotH * float64(c) / float64(maxC)
		}
		fmt.Fprintf(&s, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>[%s, %s%s: %d</title></rect>`,
			svgF(left+bw*float64(i)+0.5), svgF(top+plotH-h), svgF(max(bw-1, 0.5)), svgF(h), colorAccent,
			FormatNum(edges[i]), FormatNum(edges[i+1]), svgCloseBracket(i == len(counts)-1), c)
	}
	svgAxes(&s, left, top, plotW, plotH)
	fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="end" fill="%s">%d</text>`, svgF(left-4), svgF(top+9), colorMuted, maxC)
	fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="end" fill="%s">0</text>`, svgF(left-4), svgF(top+plotH), colorMuted)
	mid := len(edges) / 2
	for _, e := range []struct {
		x      float64
		v      float64
		anchor string
	}{{left, edges[0], "start"}, {left + bw*float64(mid), edges[mid], "middle"}, {left + plotW, edges[len(edges)-1], "end"}} {
		fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="%s" fill="%s">%s</text>`,
			svgF(e.x), svgF(top+plotH+15), e.anchor, colorMuted, FormatNum(e.v))
	}
	s.WriteString("</svg>")
	return template.HTML(s.String())
}

func svgCloseBracket(last bool) string {
	if last {
		return "]"
	}
	return ")"
}

// HeatmapOptions configures a Heatmap.
type HeatmapOptions struct {
	// Title is the accessible name of the chart.
	Title string
	// Min and Max are the ends of the colour scale. Min < 0 selects a
	// diverging scale (blue below zero, red above, white at zero); Min >= 0
	// a sequential one from white to blue. Both zero means -1 and 1.
	Min, Max float64
	// MaxSide bounds the side of the grid in pixels; 0 means 560.
	MaxSide int
}

// Heatmap draws a square matrix as coloured cells, labelled with the names
// of the rows on the left and of the columns on top, with the values written
// in the cells when they are large enough and a colour legend below. NaN
// cells are grey. values must be len(labels)×len(labels); it returns "" for
// no labels and panics on a shape mismatch.
func Heatmap(labels []string, values [][]float64, opts HeatmapOptions) template.HTML {
	k := len(labels)
	if k == 0 {
		return ""
	}
	if len(values) != k {
		panic("report: heatmap values must be len(labels) x len(labels)")
	}
	lo, hi := opts.Min, opts.Max
	if lo == 0 && hi == 0 {
		lo, hi = -1, 1
	}
	side := float64(svgOrInt(opts.MaxSide, 560))
	cell := math.Floor(min(max(side/float64(k), 8), 40))
	labelW := 0.0
	for _, l := range labels {
		labelW = max(labelW, svgTextWidth(svgShorten(l, 24)))
	}
	labelW += 8
	grid := cell * float64(k)
	const legendH = 40.0
	const steps, stepW = 11, 18.0
	legendW := stepW*steps + 24 + 14 + svgTextWidth("undefined")
	width := labelW + max(grid, legendW) + 8
	height := labelW + grid + legendH
	var s strings.Builder
	svgOpen(&s, width, height, opts.Title)
	fontSize := min(12, max(7, cell*0.45))
	for i, l := range labels {
		y := labelW + cell*float64(i) + cell/2 + fontSize/3
		fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="end" font-size="%s" fill="#1d2733">%s<title>%s</title></text>`,
			svgF(labelW-4), svgF(y), svgF(fontSize), svgEsc(svgShorten(l, 24)), svgEsc(l))
		x := labelW + cell*float64(i) + cell/2 + fontSize/3
		fmt.Fprintf(&s, `<text transform="translate(%s,%s) rotate(-90)" font-size="%s" fill="#1d2733">%s<title>%s</title></text>`,
			svgF(x), svgF(labelW-4), svgF(fontSize), svgEsc(svgShorten(l, 24)), svgEsc(l))
	}
	for i, row := range values {
		if len(row) != k {
			panic("report: heatmap values must be len(labels) x len(labels)")
		}
		for j, v := range row {
			x, y := labelW+cell*float64(j), labelW+cell*float64(i)
			fmt.Fprintf(&s, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s × %s: %s</title></rect>`,
				svgF(x), svgF(y), svgF(cell), svgF(cell), svgScaleColor(v, lo, hi), svgEsc(labels[i]), svgEsc(labels[j]), FormatCorr(v))
			if cell >= 28 && !math.IsNaN(v) {
				fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="middle" font-size="10" fill="%s">%s</text>`,
					svgF(x+cell/2), svgF(y+cell/2+3.5), svgTextOn(v, lo, hi), FormatCorr(v))
			}
		}
	}
	// Legend: eleven steps from lo to hi.
	ly := labelW + grid + 10
	for i := range steps {
		v := lo + (hi-lo)*float64(i)/float64(steps-1)
		fmt.Fprintf(&s, `<rect x="%s" y="%s" width="%s" height="10" fill="%s"/>`, svgF(labelW+stepW*float64(i)), svgF(ly), svgF(stepW), svgScaleColor(v, lo, hi))
	}
	fmt.Fprintf(&s, `<text x="%s" y="%s" fill="%s">%s</text>`, svgF(labelW), svgF(ly+24), colorMuted, FormatCorr(lo))
	fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="end" fill="%s">%s</text>`, svgF(labelW+stepW*steps), svgF(ly+24), colorMuted, FormatCorr(hi))
	fmt.Fprintf(&s, `<rect x="%s" y="%s" width="10" height="10" fill="%s"/><text x="%s" y="%s" fill="%s">undefined</text>`,
		svgF(labelW+stepW*steps+24), svgF(ly), colorNaN, svgF(labelW+stepW*steps+38), svgF(ly+9), colorMuted)
	s.WriteString("</svg>")
	return template.HTML(s.String())
}

// svgScaleColor maps v to a colour of the scale [lo, hi]; see HeatmapOptions.
func svgScaleColor(v, lo, hi float64) string {
	if math.IsNaN(v) {
		return colorNaN
	}
	v = max(lo, min(hi, v))
	if lo < 0 {
		if v < 0 {
			return svgMix(47, 111, 179, v/lo) // accent blue
		}
		return svgMix(179, 38, 30, v/max(hi, 1e-300)) // bad red
	}
	return svgMix(47, 111, 179, (v-lo)/max(hi-lo, 1e-300))
}

// svgTextOn picks a text colour readable on svgScaleColor(v, lo, hi).
func svgTextOn(v, lo, hi float64) string {
	t := 0.0
	switch {
	case lo < 0 && v < 0:
		t = v / lo
	case lo < 0:
		t = v / hi
	default:
		t = (v - lo) / (hi - lo)
	}
	if t > 0.55 {
		return "#fff"
	}
	return "#1d2733"
}

// svgMix blends white with the colour (r, g, b) at weight t in [0, 1].
func svgMix(r, g, b int, t float64) string {
	t = max(0, min(1, t))
	c := func(x int) int { return int(math.Round(255 + (float64(x)-255)*t)) }
	return fmt.Sprintf("#%02x%02x%02x", c(r), c(g), c(b))
}

// Series is one line of a LineChart.
type Series struct {
	// Name labels the series in the legend.
	Name string
	// X and Y are the points, in drawing order; NaN breaks the line.
	X, Y []float64
}

// LineOptions configures a LineChart.
type LineOptions struct {
	// Title is the accessible name of the chart.
	Title string
	// XLabel and YLabel name the axes.
	XLabel, YLabel string
	// Width is the width in pixels; 0 means 640. Height is the height of
	// the plot area; 0 means 220.
	Width, Height int
	// XMin, XMax, YMin and YMax fix the ranges of the axes; when a pair is
	// equal the range is taken from the data.
	XMin, XMax, YMin, YMax float64
	// Diagonal draws the dashed line y = x, as on ROC and calibration
	// charts.
	Diagonal bool
}

// LineChart draws series as lines on shared axes, labelled at the ends of
// the ranges, with a legend when there are several series. It returns "" if
// no series has a point and panics if a series has len(X) != len(Y).
func LineChart(series []Series, opts LineOptions) template.HTML {
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	points := 0
	for _, sr := range series {
		if len(sr.X) != len(sr.Y) {
			panic("report: series with len(X) != len(Y)")
		}
		for i, x := range sr.X {
			y := sr.Y[i]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
				continue
			}
			points++
			xlo, xhi, ylo, yhi = min(xlo, x), max(xhi, x), min(ylo, y), max(yhi, y)
		}
	}
	if points == 0 {
		return ""
	}
	if opts.XMin != opts.XMax {
		xlo, xhi = opts.XMin, opts.XMax
	}
	if opts.YMin != opts.YMax {
		ylo, yhi = opts.YMin, opts.YMax
	}
	if xlo == xhi {
		xlo, xhi = xlo-0.5, xhi+0.5
	}
	if ylo == yhi {
		ylo, yhi = ylo-0.5, yhi+0.5
	}
	width := float64(svgOrInt(opts.Width, 640))
	plotH := float64(svgOrInt(opts.Height, 220))
	const left, right, top = 52.0, 12.0, 8.0
	bottom := 36.0
	legend := len(series) > 1
	if legend {
		bottom += 18
	}
	plotW := width - left - right
	px := func(x float64) float64 { return left + plotW*(x-xlo)/(xhi-xlo) }
	py := func(y float64) float64 { return top + plotH*(1-(y-ylo)/(yhi-ylo)) }
	var s strings.Builder
	svgOpen(&s, width, top+plotH+bottom, opts.Title)
	svgAxes(&s, left, top, plotW, plotH)
	if opts.Diagonal {
		a, b := max(xlo, ylo), min(xhi, yhi)
		if a < b {
			fmt.Fprintf(&s, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-dasharray="4 3"/>`,
				svgF(px(a)), svgF(py(a)), svgF(px(b)), svgF(py(b)), colorMuted)
		}
	}
	for k, sr := range series {
		color := seriesColors[k%len(seriesColors)]
		var d strings.Builder
		pen := false
		for i, x := range sr.X {
			y := sr.Y[i]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s ", cmd, svgF(px(x)), svgF(py(y)))
			pen = true
		}
		fmt.Fprintf(&s, `<path d="%s" fill="none" stroke="%s" stroke-width="2"><title>%s</title></path>`,
			strings.TrimSpace(d.String()), color, svgEsc(sr.Name))
	}
	fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="end" fill="%s">%s</text>`, svgF(left-4), svgF(top+9), colorMuted, FormatNum(yhi))
	fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="end" fill="%s">%s</text>`, svgF(left-4), svgF(top+plotH), colorMuted, FormatNum(ylo))
	fmt.Fprintf(&s, `<text x="%s" y="%s" fill="%s">%s</text>`, svgF(left), svgF(top+plotH+15), colorMuted, FormatNum(xlo))
	fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="end" fill="%s">%s</text>`, svgF(left+plotW), svgF(top+plotH+15), colorMuted, FormatNum(xhi))
	if opts.XLabel != "" {
		fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="middle" fill="#1d2733">%s</text>`, svgF(left+plotW/2), svgF(top+plotH+30), svgEsc(opts.XLabel))
	}
	if opts.YLabel != "" {
		fmt.Fprintf(&s, `<text transform="translate(12,%s) rotate(-90)" text-anchor="middle" fill="#1d2733">%s</text>`, svgF(top+plotH/2), svgEsc(opts.YLabel))
	}
	if legend {
		x := left
		y := top + plotH + bottom - 6
		for k, sr := range series {
			color := seriesColors[k%len(seriesColors)]
			fmt.Fprintf(&s, `<rect x="%s" y="%s" width="12" height="3" fill="%s"/><text x="%s" y="%s" fill="#1d2733">%s</text>`,
				svgF(x), svgF(y-4), color, svgF(x+16), svgF(y), svgEsc(sr.Name))
			x += 28 + svgTextWidth(sr.Name)
		}
	}
	s.WriteString("</svg>")
	return template.HTML(s.String())
}

// svgOpen starts an SVG element that scales down to the page width.
func svgOpen(s *strings.Builder, width, height float64, title string) {
	fmt.Fprintf(s, `<svg class="chart" viewBox="0 0 %s %s" width="%s" height="%s" style="max-width:100%%;height:auto" role="img" aria-label="%s" %s>`,
		svgF(width), svgF(height), svgF(width), svgF(height), svgEsc(title), svgFont)
}

// svgAxes draws the left and bottom axis lines of a plot area.
func svgAxes(s *strings.Builder, left, top, w, h float64) {
	fmt.Fprintf(s, `<path d="M%s %sV%sH%s" fill="none" stroke="%s"/>`, svgF(left), svgF(top), svgF(top+h), svgF(left+w), colorLine)
}

// svgTextWidth estimates the width in pixels of s in the 12px chart font.
func svgTextWidth(s string) float64 {
	return 7 * float64(len([]rune(s)))
}

// svgShorten cuts s to n runes, ending in an ellipsis when cut.
func svgShorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// svgEsc escapes s for SVG text and attributes.
func svgEsc(s string) string { return template.HTMLEscapeString(s) }

// svgF formats a coordinate with at most one decimal.
func svgF(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// FormatNum formats v for people: integers in full up to 1e15, other values with
// four significant digits, and "—" for NaN.
func FormatNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "−∞"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 1e4 && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// FormatCorr formats v with two decimals, as for correlations, or "—" for NaN.
func FormatCorr(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func svgOrInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func svgOrStr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
