package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/testutil"
)

// result is what one mlw invocation produced.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the real command tree in-process in dir.
func run(t testing.TB, dir string, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	app := &App{
		Out: &out, Err: &errb,
		Getenv: func(k string) string {
			if v, ok := env[k]; ok {
				return v
			}
			if k == "MLW_USER" {
				return "tester"
			}
			return ""
		},
		Now:    testNow,
		Logger: nil,
		Dir:    dir,
	}
	code := Main(context.Background(), app, args)
	return result{code, out.String(), errb.String()}
}

// testRoot is the module's root directory.
func testRoot(t testing.TB) string { return testutil.Root(t) }

func testNow() time.Time { return time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC) }

// initProject creates a project in a fresh directory and returns it.
func initProject(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	r := run(t, dir, nil, "init", "--name", "churn")
	require.Equal(t, 0, r.code, r.stderr)
	return dir
}

func TestHelpReadsAsLifecycle(t *testing.T) {
	t.Parallel()
	r := run(t, t.TempDir(), nil, "--help")
	require.Equal(t, 0, r.code)
	last := -1
	for _, want := range []string{"1. Problem definition:", "init", "canvas", "proposal", "2. Data:", "data",
		"3. Model development:", "train", "tune", "runs", "4. Evaluation and registry:", "evaluate", "model", "check",
		"5. Deployment:", "serve", "deploy", "6. Monitoring and maintenance:", "monitor", "retrain",
		"Governance, throughout:", "lineage", "audit", "status", "Getting started:", "quickstart"} {
		i := strings.Index(r.stdout[last+1:], want)
		require.GreaterOrEqual(t, i, 0, "%q after position %d in\n%s", want, last, r.stdout)
		last += 1 + i
	}
}

func TestInitCreatesProjectAndRefusesOverwrite(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	src, err := os.ReadFile(filepath.Join(dir, "mlw.yaml"))
	require.NoError(t, err)
	for _, section := range []string{"business_problem:", "is_ml_problem:", "ml_formulation:", "success_metrics:",
		"constraints:", "timeline:", "resources:", "risks:", "data:", "evaluation:", "monitoring:", "retrain:"} {
		require.Contains(t, string(src), section)
	}
	require.FileExists(t, filepath.Join(dir, ".mlw", "store.db"))
	require.DirExists(t, filepath.Join(dir, ".mlw", "artifacts"))

	r := run(t, dir, nil, "init", "--name", "other")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "already exists")
	after, err := os.ReadFile(filepath.Join(dir, "mlw.yaml"))
	require.NoError(t, err)
	require.Equal(t, src, after, "mlw init never overwrites")

	r = run(t, dir, nil, "audit", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var evs []struct {
		Seq                   int64
		Action, Actor, Target string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &evs))
	require.Len(t, evs, 1)
	require.Equal(t, "project.init", evs[0].Action)
	require.Equal(t, "tester", evs[0].Actor)
	require.Equal(t, "churn", evs[0].Target)
}

func TestInitUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"init", "--name", "bad name!"},
		{"init", "--task", "ranking", "--name", "x"},
		{"init", "--no-such-flag"},
	} {
		r := run(t, dir, nil, args...)
		require.Equal(t, ExitUsage, r.code, "%v: %s", args, r.stderr)
		require.NotEmpty(t, r.stderr)
	}
	_, err := os.Stat(filepath.Join(dir, "mlw.yaml"))
	require.True(t, os.IsNotExist(err), "nothing written on a usage error")
	_, err = os.Stat(filepath.Join(dir, ".mlw"))
	require.True(t, os.IsNotExist(err))
}

func TestCanvasLint(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	r := run(t, dir, nil, "canvas", "lint")
	require.Equal(t, 0, r.code, "a fresh canvas has only warnings: %s", r.stdout)
	require.Contains(t, r.stdout, "mlw.yaml:")
	require.Contains(t, r.stdout, "warning")
	require.Contains(t, r.stdout, "0 error(s)")

	path := filepath.Join(dir, "mlw.yaml")
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	bad := strings.Replace(string(src), "{metric: recall, min: 0.7}", "{metric: precision, min: 1.5}", 1)
	bad = strings.Replace(bad, `mode: ""`, "mode: realtime", 1)
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))

	r = run(t, dir, nil, "canvas", "lint", "--json")
	require.Equal(t, ExitError, r.code)
	var res struct {
		Errors   int
		Findings []struct {
			Severity, Field, Message string
			Line                     int
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	require.Equal(t, 2, res.Errors)
	require.Equal(t, "error", res.Findings[0].Severity)
	fields := []string{res.Findings[0].Field, res.Findings[1].Field}
	require.ElementsMatch(t, []string{"canvas.success_metrics.technical[1].min", "canvas.constraints.latency_p99_ms"}, fields)

	// Alert rules are checked with the monitor's grammar, naming the rule.
	alerts := strings.Replace(string(src), "alerts: []", `alerts: ["p99 > 50ms", "p99 > fast"]`, 1)
	require.NoError(t, os.WriteFile(path, []byte(alerts), 0o644))
	r = run(t, dir, nil, "canvas", "lint", "--json")
	require.Equal(t, ExitError, r.code, r.stdout)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	require.Equal(t, 1, res.Errors, r.stdout)
	require.Equal(t, "monitoring.alerts[1]", res.Findings[0].Field)
	require.Contains(t, res.Findings[0].Message, `"fast" is not a number`)
	require.Positive(t, res.Findings[0].Line)

	require.NoError(t, os.WriteFile(path, []byte("name: churn\ntask: classification\ncanvas:\n  risk: []\n"), 0o644))
	r = run(t, dir, nil, "canvas", "lint")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "mlw.yaml line 4")
	require.Contains(t, r.stderr, "risk")
}

func TestProjectDiscovery(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	sub := filepath.Join(dir, "notebooks", "eda")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	r := run(t, sub, nil, "status", "--json")
	require.Equal(t, 0, r.code, r.stderr)

	elsewhere := t.TempDir()
	r = run(t, elsewhere, nil, "status")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "no mlw.yaml")
	require.Contains(t, r.stderr, "Try: mlw init")

	r = run(t, elsewhere, nil, "--project", dir, "status", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	r = run(t, elsewhere, map[string]string{"MLW_PROJECT": dir}, "status", "--json")
	require.Equal(t, 0, r.code, r.stderr)
}

func TestProposal(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	r := run(t, dir, nil, "proposal")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "# ML Project Proposal: churn")
	require.Contains(t, r.stdout, "(not stated)")

	r = run(t, dir, nil, "proposal", "-o", "proposal.html")
	require.Equal(t, 0, r.code, r.stderr)
	html, err := os.ReadFile(filepath.Join(dir, "proposal.html"))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(html, []byte("<!DOCTYPE html>")))

	r = run(t, dir, nil, "proposal", "--format", "pdf")
	require.Equal(t, ExitUsage, r.code)
	require.Contains(t, r.stderr, "--format")
}

func TestStatus(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	r := run(t, dir, nil, "status", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var st struct {
		Project, Stage string
		Stages         []struct {
			ID   string
			Done bool
		}
		Next []string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	require.Equal(t, "churn", st.Project)
	require.Equal(t, "problem_definition", st.Stage)
	require.Len(t, st.Stages, 6)
	require.NotEmpty(t, st.Next)

	r = run(t, dir, nil, "status")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "[>] 1. Problem definition")
}

func TestQuickstart(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	r := run(t, base, nil, "quickstart", "qs", "--rows", "500")
	require.Equal(t, 0, r.code, r.stderr)
	dir := filepath.Join(base, "qs")
	for _, f := range []string{"mlw.yaml", "proposal.md", "proposal.html", "data/support_tickets.csv", ".mlw/store.db"} {
		require.FileExists(t, filepath.Join(dir, f))
	}
	require.Contains(t, r.stdout, "canvas lint: 0 error(s), 0 warning(s)")
	require.Contains(t, r.stdout, "500 tickets")
	require.Contains(t, r.stdout, "--strategy bluegreen: revision 1, blue deflect@1")
	require.Regexp(t, `canary at 20%: \d+ requests`, r.stdout)
	require.Regexp(t, `mlw deploy status deflect: revision \d+ \((promoted|rolled_back)\)`, r.stdout)
	require.Contains(t, r.stdout, "a week of traffic replayed")
	require.Regexp(t, `drifted: .*order_value`, r.stdout, "the planted shift is detected")
	require.Contains(t, r.stdout, "mlw retrain --if-needed")

	r = run(t, dir, nil, "canvas", "lint")
	require.Equal(t, 0, r.code, r.stdout)
	require.Contains(t, r.stdout, "canvas OK")

	r = run(t, base, nil, "quickstart", "qs")
	require.Equal(t, ExitError, r.code, "quickstart never overwrites a project")
}

func TestPanicIsAnInternalError(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := Main(context.Background(), &App{Out: &out, Err: &errb, Getenv: func(string) string { return "" }, Now: nil, Dir: t.TempDir()}, []string{"init", "--name", "x"})
	require.Equal(t, ExitError, code, "a nil clock panics inside the command")
	require.Contains(t, errb.String(), "mlw: internal error")
}
