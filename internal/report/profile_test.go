package report

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/profile"
)

// profileOf profiles a CSV file of the repository.
func profileOf(t *testing.T, path string, opts profile.Options) *profile.Profile {
	t.Helper()
	f, err := frame.ReadFile(path, frame.ReadOptions{})
	require.NoError(t, err)
	return profile.Compute(f, opts)
}

func TestProfileHTMLGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		golden, path, title string
		opts                profile.Options
	}{
		// A messy binary-classification file: findings of every kind.
		{"profile_messy.html", "../../profile/testdata/messy.csv", "Profile: messy.csv",
			profile.Options{Target: "label", Time: "created_at"}},
		// A regression file with categorical features and missing targets.
		{"profile_regression.html", "../../profile/testdata/regression.csv", "Profile: regression.csv",
			profile.Options{Target: "y"}},
		// A three-class target.
		{"profile_multiclass.html", "../../profile/testdata/multiclass.csv", "Profile: multiclass <b>&</b>",
			profile.Options{Target: "species"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			p := profileOf(t, tc.path, tc.opts)
			html, err := ProfileHTML(p, tc.title)
			require.NoError(t, err)
			golden(t, tc.golden, html)
			again, err := ProfileHTML(p, tc.title)
			require.NoError(t, err)
			require.Equal(t, html, again, "deterministic")
		})
	}
}

func TestProfileHTMLSelfContained(t *testing.T) {
	t.Parallel()
	p := profileOf(t, "../../profile/testdata/messy.csv", profile.Options{Target: "label", Time: "created_at"})
	html, err := ProfileHTML(p, "messy")
	require.NoError(t, err)
	h := string(html)
	require.True(t, strings.HasPrefix(h, "<!DOCTYPE html>"))
	for _, banned := range []string{"<script", "http://", "https://", "<link", "<img", "url("} {
		require.NotContains(t, h, banned, "self-contained and offline")
	}
	for _, want := range []string{
		"<h2>Overview</h2>", "<h2>Target: label</h2>", "<h2>Missing values</h2>", "<h2>Correlations</h2>",
		"Pearson correlation", "Spearman correlation", "Cramér&#39;s V", "Class balance of label",
		`<span class="badge fail">error</span>`, "insulin: 45.4% missing", "x1 and x2 correlate at 0.98 (Pearson)",
		`id="col-1"`, "Histogram of age", "Most frequent values of region",
	} {
		require.Contains(t, h, want)
	}
}

func TestProfileHTMLEscapes(t *testing.T) {
	t.Parallel()
	names := []string{`<script>alert(1)</script>`, `a"b`, "y"}
	cols := []frame.Column{
		frame.NewCategoricalFromStrings([]string{"<i>", "x", "<i>", "x", "y", "<i>"}, nil),
		frame.NewNumeric([]float64{1, 2, 3, 4, 5, 6.5}),
		frame.NewNumeric([]float64{0, 1, 0, 1, 1, 0}),
	}
	f, err := frame.New(names, cols)
	require.NoError(t, err)
	html, err := ProfileHTML(profile.Compute(f, profile.Options{Target: "y"}), "<script>")
	require.NoError(t, err)
	require.NotContains(t, string(html), "<script")
	require.NotContains(t, string(html), "<i>")
	require.Contains(t, string(html), "&lt;script&gt;")
}

func TestProfileHTMLEmpty(t *testing.T) {
	t.Parallel()
	f, err := frame.New(nil, nil)
	require.NoError(t, err)
	html, err := ProfileHTML(profile.Compute(f, profile.Options{}), "empty")
	require.NoError(t, err)
	require.Contains(t, string(html), "No missing values.")
	require.Contains(t, string(html), "Fewer than two numeric columns.")
}

func TestFormatNum(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {12, "12"}, {-3, "-3"}, {1234567, "1234567"}, {12345.678, "12346"}, {123.456, "123.5"},
		{0.012345, "0.01235"}, {1.5e-7, "1.5e-07"}, {math.NaN(), "—"}, {math.Inf(1), "∞"}, {2e20, "2e+20"},
	} {
		require.Equal(t, tc.want, FormatNum(tc.v), "%v", tc.v)
	}
	require.Equal(t, "0.98", FormatCorr(0.9789))
	require.Equal(t, "—", FormatCorr(math.NaN()))
}
