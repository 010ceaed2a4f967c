package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// ConfusionOptions configures a ConfusionChart.
type ConfusionOptions struct {
	// Title is the accessible name of the chart.
	Title string
	// MaxSide bounds the side of the grid in pixels; 0 means 360.
	MaxSide int
}

// ConfusionChart draws a confusion matrix: one row per true class and one
// column per predicted class, in the order of labels. Each cell shows its
// count and, when large enough, its share of the row (on the diagonal, the
// recall of the class), and is shaded by that share: green on the diagonal,
// red off it. counts must be len(labels)×len(labels); it returns "" for no
// labels and panics on a shape mismatch.
func ConfusionChart(labels []string, counts [][]float64, opts ConfusionOptions) template.HTML {
	k := len(labels)
	if k == 0 {
		return ""
	}
	if len(counts) != k {
		panic("report: confusion counts must be len(labels) x len(labels)")
	}
	side := float64(svgOrInt(opts.MaxSide, 360))
	cell := math.Floor(min(max(side/float64(k), 28), 96))
	labelW := 0.0
	for _, l := range labels {
		labelW = max(labelW, svgTextWidth(svgShorten(l, 16)))
	}
	const axis = 18.0 // room for the axis titles
	left := axis + labelW + 8
	top := axis + 20.0
	grid := cell * float64(k)
	width := max(left+grid, left+svgTextWidth("predicted class")) + 8
	height := top + grid + 4
	var s strings.Builder
	svgOpen(&s, width, height, opts.Title)
	fmt.Fprintf(&s, `<text x="%s" y="12" text-anchor="middle" fill="%s">predicted class</text>`, svgF(left+grid/2), colorMuted)
	fmt.Fprintf(&s, `<text transform="translate(12,%s) rotate(-90)" text-anchor="middle" fill="%s">true class</text>`, svgF(top+grid/2), colorMuted)
	short := max(3, int(cell/7))
	for i, l := range labels {
		fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="end" fill="#1d2733">%s<title>%s</title></text>`,
			svgF(left-6), svgF(top+cell*float64(i)+cell/2+4), svgEsc(svgShorten(l, 16)), svgEsc(l))
		fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="middle" fill="#1d2733">%s<title>%s</title></text>`,
			svgF(left+cell*float64(i)+cell/2), svgF(top-6), svgEsc(svgShorten(l, short)), svgEsc(l))
	}
	for i, row := range counts {
		if len(row) != k {
			panic("report: confusion counts must be len(labels) x len(labels)")
		}
		total := 0.0
		for _, v := range row {
			total += v
		}
		for j, v := range row {
			share := math.NaN()
			if total > 0 {
				share = v / total
			}
			r, g, b := 179, 38, 30 // bad red
			if i == j {
				r, g, b = 29, 122, 70 // ok green
			}
			fill := colorNaN
			if !math.IsNaN(share) {
				fill = svgMix(r, g, b, 0.85*share)
			}
			x, y := left+cell*float64(j), top+cell*float64(i)
			fmt.Fprintf(&s, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#fff"><title>true %s, predicted %s: %s (%s of the row)</title></rect>`,
				svgF(x), svgF(y), svgF(cell), svgF(cell), fill, svgEsc(labels[i]), svgEsc(labels[j]), FormatNum(v), svgPct(share))
			ink := "#1d2733"
			if share > 0.6 {
				ink = "#fff"
			}
			if cell >= 44 {
				fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="middle" font-weight="600" fill="%s">%s</text>`,
					svgF(x+cell/2), svgF(y+cell/2-2), ink, FormatNum(v))
				fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="middle" font-size="10" fill="%s">%s</text>`,
					svgF(x+cell/2), svgF(y+cell/2+12), ink, svgPct(share))
			} else {
				fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="middle" font-size="10" fill="%s">%s</text>`,
					svgF(x+cell/2), svgF(y+cell/2+3.5), ink, FormatNum(v))
			}
		}
	}
	s.WriteString("</svg>")
	return template.HTML(s.String())
}

// svgPct formats a share in [0, 1] as a whole percentage, "—" for NaN.
func svgPct(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}

// ScatterOptions configures a ScatterChart.
type ScatterOptions struct {
	// Title is the accessible name of the chart.
	Title string
	// XLabel and YLabel name the axes.
	XLabel, YLabel string
	// Width is the width in pixels; 0 means 640. Height is the height of
	// the plot area; 0 means 220.
	Width, Height int
	// ZeroLine draws the dashed line y = 0, as on residual plots.
	ZeroLine bool
}

// ScatterChart draws points (x[i], y[i]) as small translucent dots, the
// axes labelled at the ends of the ranges of the data. Points with a NaN or
// infinite coordinate are left out. It returns "" when no point remains and
// panics if len(x) != len(y).
func ScatterChart(x, y []float64, opts ScatterOptions) template.HTML {
	if len(x) != len(y) {
		panic("report: scatter with len(x) != len(y)")
	}
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	points := 0
	ok := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for i, xv := range x {
		if !ok(xv) || !ok(y[i]) {
			continue
		}
		points++
		xlo, xhi, ylo, yhi = min(xlo, xv), max(xhi, xv), min(ylo, y[i]), max(yhi, y[i])
	}
	if points == 0 {
		return ""
	}
	if opts.ZeroLine {
		ylo, yhi = min(ylo, 0), max(yhi, 0)
	}
	if xlo == xhi {
		xlo, xhi = xlo-0.5, xhi+0.5
	}
	if ylo == yhi {
		ylo, yhi = ylo-0.5, yhi+0.5
	}
	width := float64(svgOrInt(opts.Width, 640))
	plotH := float64(svgOrInt(opts.Height, 220))
	const left, right, top, bottom = 52.0, 12.0, 8.0, 36.0
	plotW := width - left - right
	px := func(v float64) float64 { return left + plotW*(v-xlo)/(xhi-xlo) }
	py := func(v float64) float64 { return top + plotH*(1-(v-ylo)/(yhi-ylo)) }
	var s strings.Builder
	svgOpen(&s, width, top+plotH+bottom, opts.Title)
	svgAxes(&s, left, top, plotW, plotH)
	if opts.ZeroLine {
		fmt.Fprintf(&s, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-dasharray="4 3"/>`,
			svgF(left), svgF(py(0)), svgF(left+plotW), svgF(py(0)), colorMuted)
	}
	fmt.Fprintf(&s, `<g fill="%s" fill-opacity="0.45">`, colorAccent)
	for i, xv := range x {
		if !ok(xv) || !ok(y[i]) {
			continue
		}
		fmt.Fprintf(&s, `<circle cx="%s" cy="%s" r="2.2"/>`, svgF(px(xv)), svgF(py(y[i])))
	}
	s.WriteString(`</g>`)
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
	s.WriteString("</svg>")
	return template.HTML(s.String())
}
