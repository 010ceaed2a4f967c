package report

import (
	"html/template"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func chartsPage(t *testing.T) []byte {
	t.Helper()
	nan := math.NaN()
	var b strings.Builder
	b.WriteString("<h2>BarChart</h2>")
	b.WriteString(string(BarChart([]Bar{
		{Label: "insulin", Value: 48.7, Note: "48.7%", Color: colorWarn},
		{Label: "a very long column name that does not fit the label area", Value: 3.25},
		{Label: "zero", Value: 0},
		{Label: "undefined", Value: nan},
		{Label: "negative", Value: -1},
	}, BarOptions{Title: "bars", Max: 100})))
	b.WriteString("<h2>Histogram</h2>")
	b.WriteString(string(Histogram([]float64{0, 0.5, 1, 1.5, 2}, []int{3, 10, 0, 1}, HistogramOptions{Title: "hist"})))
	b.WriteString("<h2>Heatmap (diverging)</h2>")
	b.WriteString(string(Heatmap([]string{"x1", "x2", "<x3>"}, [][]float64{{1, 0.98, -0.4}, {0.98, 1, nan}, {-0.4, nan, 1}}, HeatmapOptions{Title: "corr"})))
	b.WriteString("<h2>Heatmap (sequential)</h2>")
	b.WriteString(string(Heatmap([]string{"a", "b"}, [][]float64{{1, 0.3}, {0.3, 1}}, HeatmapOptions{Title: "v", Min: 0, Max: 1})))
	b.WriteString("<h2>LineChart</h2>")
	b.WriteString(string(LineChart([]Series{
		{Name: "model", X: []float64{0, 0.1, 0.3, 1}, Y: []float64{0, 0.6, 0.9, 1}},
		{Name: "baseline & <b>", X: []float64{0, nan, 1}, Y: []float64{0, 0.5, 1}},
	}, LineOptions{Title: "roc", XLabel: "false positive rate", YLabel: "true positive rate", XMin: 0, XMax: 1, YMin: 0, YMax: 1, Diagonal: true})))
	page, err := Page("charts", template.HTML(b.String()))
	require.NoError(t, err)
	return []byte(page)
}

func TestChartsGolden(t *testing.T) {
	t.Parallel()
	got := chartsPage(t)
	golden(t, "profile_charts.html", got)
	require.Equal(t, got, chartsPage(t), "deterministic")
	s := string(got)
	for _, banned := range []string{"<script", "http://", "https://", "NaN", "Inf", "<x3>", "<b>"} {
		require.NotContains(t, s, banned)
	}
	require.Contains(t, s, "&lt;x3&gt;")
}

func TestBarChart(t *testing.T) {
	t.Parallel()
	require.Empty(t, BarChart(nil, BarOptions{}))
	s := string(BarChart([]Bar{{Label: "a", Value: 2}, {Label: "b", Value: 1}}, BarOptions{Title: "t", Width: 400}))
	require.Equal(t, 2, strings.Count(s, "<rect"))
	require.True(t, strings.HasPrefix(s, `<svg class="chart" viewBox="0 0 400 44"`), s)
	require.Contains(t, s, `<title>a: 2</title>`)
	require.Contains(t, s, `<title>b: 1</title>`)
}

func TestHistogram(t *testing.T) {
	t.Parallel()
	require.Empty(t, Histogram(nil, nil, HistogramOptions{}))
	s := string(Histogram([]float64{0, 1, 2}, []int{4, 2}, HistogramOptions{}))
	require.Equal(t, 2, strings.Count(s, "<rect"))
	require.Contains(t, s, "<title>[0, 1): 4</title>")
	require.Contains(t, s, "<title>[1, 2]: 2</title>")
	require.Panics(t, func() { Histogram([]float64{0, 1}, []int{1, 2}, HistogramOptions{}) })
}

func TestHeatmap(t *testing.T) {
	t.Parallel()
	require.Empty(t, Heatmap(nil, nil, HeatmapOptions{}))
	s := string(Heatmap([]string{"a", "b"}, [][]float64{{1, -1}, {-1, math.NaN()}}, HeatmapOptions{}))
	require.Contains(t, s, `fill="#b3261e"`, "+1 is full red")
	require.Contains(t, s, `fill="#2f6fb3"`, "-1 is full blue")
	require.Contains(t, s, `fill="`+colorNaN+`"`, "NaN is grey")
	require.Contains(t, s, "<title>b × b: —</title>")
	require.Panics(t, func() { Heatmap([]string{"a"}, [][]float64{{1, 2}}, HeatmapOptions{}) })
	require.Panics(t, func() { Heatmap([]string{"a", "b"}, [][]float64{{1, 2}}, HeatmapOptions{}) })
	require.Equal(t, "#ffffff", svgScaleColor(0, -1, 1))
	require.Equal(t, "#ffffff", svgScaleColor(0, 0, 1))
}

func TestLineChart(t *testing.T) {
	t.Parallel()
	require.Empty(t, LineChart(nil, LineOptions{}))
	require.Empty(t, LineChart([]Series{{X: []float64{math.NaN()}, Y: []float64{1}}}, LineOptions{}))
	s := string(LineChart([]Series{{Name: "s", X: []float64{0, 1, math.NaN(), 2, 3}, Y: []float64{0, 1, 1, 2, 3}}}, LineOptions{}))
	m := regexp.MustCompile(`<path d="([^"]*)" fill="none" stroke="[^"]*" stroke-width="2">`).FindStringSubmatch(s)
	require.Len(t, m, 2, s)
	require.Equal(t, 2, strings.Count(m[1], "M"), "a NaN breaks the line into two")
	require.Panics(t, func() { LineChart([]Series{{X: []float64{1}}}, LineOptions{}) })
}
