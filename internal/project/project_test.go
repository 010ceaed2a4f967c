package project

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
)

// testCatalog knows a few metrics, as the metrics registry would.
type testCatalog struct{}

var testLookup testCatalog

func (testCatalog) Names() []string {
	return []string{"accuracy", "precision", "recall", "roc_auc", "log_loss", "rmse", "r2"}
}

func (testCatalog) Lookup(name string) (MetricInfo, bool) {
	inf := math.Inf(1)
	m, ok := map[string]MetricInfo{
		"accuracy":  {Classification, 0, 1, true},
		"precision": {Classification, 0, 1, true},
		"recall":    {Classification, 0, 1, true},
		"roc_auc":   {Classification, 0, 1, true},
		"log_loss":  {Classification, 0, inf, false},
		"rmse":      {Regression, 0, inf, false},
		"r2":        {Regression, -inf, 1, true},
	}[name]
	return m, ok
}

func TestTemplateParsesAndLintsWithoutErrors(t *testing.T) {
	t.Parallel()
	for _, task := range []string{Classification, Regression} {
		src, err := Template(TemplateParams{Name: "churn", Task: task})
		require.NoError(t, err)
		cfg, err := Parse("mlw.yaml", src)
		require.NoError(t, err)
		require.Equal(t, "churn", cfg.Name)
		require.Equal(t, task, cfg.Task)
		require.Equal(t, task, cfg.Canvas.MLFormulation.Type)
		res := Lint(cfg, src, testLookup)
		require.Zero(t, res.Errors, "%+v", res.Findings)
		require.Greater(t, res.Warnings, 10, "an empty canvas has many warnings")
		for _, f := range res.Findings {
			require.NotZero(t, f.Line, "every finding on the template names its line: %+v", f)
		}
	}
}

func TestTemplateRejectsBadInput(t *testing.T) {
	t.Parallel()
	_, err := Template(TemplateParams{Name: "bad name"})
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	require.Contains(t, err.Error(), "--name")
	_, err = Template(TemplateParams{Name: "ok", Task: "ranking"})
	require.Contains(t, err.Error(), `--task "ranking"`)
}

func TestParseErrorsNameLineAndField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown field", "name: x\ntask: classification\ncanvas:\n  busines_problem: {}\n", "mlw.yaml line 4 column"},
		{"wrong type", "name: x\ntask: classification\ncanvas:\n  timeline:\n    discovery_weeks: soon\n", "mlw.yaml line 5"},
		{"syntax", "name: x\ntask: [classification\n", "mlw.yaml line"},
		{"empty", "   \n", "mlw.yaml: empty file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("mlw.yaml", []byte(tc.src))
			require.Error(t, err)
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
			require.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := Parse("mlw.yaml", []byte("name: x\ntask: classification\ncanvas:\n  busines_problem: {}\n"))
	require.Contains(t, err.Error(), "busines_problem")
}

func TestLintFindings(t *testing.T) {
	t.Parallel()
	base, err := Template(TemplateParams{Name: "p", Task: Classification})
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		replace [2]string
		sev     string
		field   string
		msg     string
	}{
		{"impossible threshold", [2]string{"{metric: recall, min: 0.7}", "{metric: precision, min: 1.5}"}, SevError, "canvas.success_metrics.technical[1].min", "1.5 is impossible for precision"},
		{"unknown metric with suggestion", [2]string{"{metric: recall, min: 0.7}", "{metric: recal, min: 0.7}"}, SevError, "canvas.success_metrics.technical[1].metric", `did you mean "recall"`},
		{"metric of the other task", [2]string{"{metric: recall, min: 0.7}", "{metric: rmse, max: 3}"}, SevError, "canvas.success_metrics.technical[1].metric", "rmse is a regression metric but task is classification"},
		{"no threshold", [2]string{"{metric: recall, min: 0.7}", "{metric: recall}"}, SevError, "canvas.success_metrics.technical[1]", "no threshold"},
		{"min above max", [2]string{"{metric: recall, min: 0.7}", "{metric: recall, min: 0.7, max: 0.5}"}, SevError, "canvas.success_metrics.technical[1]", "min 0.7 is above max 0.5"},
		{"realtime without latency", [2]string{`mode: ""`, "mode: realtime"}, SevError, "canvas.constraints.latency_p99_ms", "realtime but latency_p99_ms is 0"},
		{"unknown mode", [2]string{`mode: ""`, "mode: streaming"}, SevError, "canvas.constraints.mode", `"streaming" is unknown`},
		{"type contradicts task", [2]string{"type: classification", "type: regression"}, SevError, "canvas.ml_formulation.type", "regression but task is classification"},
		{"negative weeks", [2]string{"discovery_weeks: 0", "discovery_weeks: -2"}, SevError, "canvas.timeline.discovery_weeks", "-2 is impossible"},
		{"placeholder", [2]string{`problem: ""`, `problem: "TODO"`}, SevWarning, "canvas.business_problem.problem", "looks like a placeholder"},
		{"bad cron", [2]string{`schedule: ""`, `schedule: "every monday"`}, SevError, "retrain.schedule", "not a cron expression"},
		{"bad share", [2]string{"dataset_share: 0.5", "dataset_share: 1.5"}, SevError, "monitoring.drift.dataset_share", "1.5 is impossible"},
		{"unknown primary metric", [2]string{"primary_metric: roc_auc", "primary_metric: auc"}, SevError, "evaluation.primary_metric", `"auc" is not a metric`},
		{"lower is better as min", [2]string{"{metric: recall, min: 0.7}", "{metric: log_loss, min: 0.2}"}, SevWarning, "canvas.success_metrics.technical[1]", "did you mean max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := strings.Replace(string(base), tc.replace[0], tc.replace[1], 1)
			require.NotEqual(t, string(base), src, "replacement applies")
			cfg, err := Parse("mlw.yaml", []byte(src))
			require.NoError(t, err)
			res := Lint(cfg, []byte(src), testLookup)
			var found *Finding
			for i, f := range res.Findings {
				if f.Field == tc.field && f.Severity == tc.sev && strings.Contains(f.Message, tc.msg) {
					found = &res.Findings[i]
				}
			}
			require.NotNil(t, found, "want %s on %s containing %q; got %+v", tc.sev, tc.field, tc.msg, res.Findings)
			require.NotZero(t, found.Line)
			require.Equal(t, tc.sev == SevError, !res.OK())
		})
	}
}

func TestLintedLineIsTheFieldsLine(t *testing.T) {
	t.Parallel()
	src := []byte("name: p\ntask: classification\ncanvas:\n  constraints:\n    mode: realtime\n    latency_p99_ms: 0\n")
	cfg, err := Parse("mlw.yaml", src)
	require.NoError(t, err)
	res := Lint(cfg, src, testLookup)
	for _, f := range res.Findings {
		if f.Field == "canvas.constraints.latency_p99_ms" {
			require.Equal(t, 6, f.Line)
			return
		}
	}
	t.Fatalf("no latency finding in %+v", res.Findings)
}

func TestFindAndLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, err := Template(TemplateParams{Name: "p"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName), src, 0o644))
	sub := filepath.Join(dir, "a", "b")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	path, err := Find(sub)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, FileName), path)
	p, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, dir, p.Dir)
	require.Equal(t, filepath.Join(dir, DirName), p.StateDir())

	_, err = Find(t.TempDir())
	require.Equal(t, mlw.ENOTFOUND, mlw.ErrorCode(err))
	_, err = Load(filepath.Join(t.TempDir(), FileName))
	require.Equal(t, mlw.ENOTFOUND, mlw.ErrorCode(err))
}

func FuzzParse(f *testing.F) {
	src, err := Template(TemplateParams{Name: "p"})
	require.NoError(f, err)
	f.Add(src)
	f.Add([]byte("name: x\ntask: classification\n"))
	f.Add([]byte("canvas: {risks: [{risk: a}]}\n"))
	f.Add([]byte("name: [\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse("mlw.yaml", b)
		if err != nil {
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
			require.True(t, strings.HasPrefix(err.Error(), "mlw.yaml"), err.Error())
			return
		}
		_ = Lint(cfg, b, testLookup) // must not panic
	})
}
