package report

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/project"
	"mlw.dev/internal/quickstart"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/report -update to create it")
	require.Equal(t, string(want), string(got))
}

func fixedTime() time.Time { return time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) }

func quickstartProposal(t *testing.T) *Proposal {
	cfg, err := project.Parse("mlw.yaml", []byte(quickstart.ProjectYAML))
	require.NoError(t, err)
	return &Proposal{
		Project: cfg.Name, Task: cfg.Task, Generated: fixedTime(),
		Canvas: cfg.Canvas, Data: cfg.Data,
		Lint:     &project.LintResult{},
		Datasets: []DatasetEvidence{{Ref: "tickets@1", Rows: 6000, Columns: 9, Target: "resolved_without_agent", Findings: []string{"order_value: 17.9% missing"}}},
		Models: []ModelEvidence{
			{Role: "baseline", Ref: "r-1", Model: "prior", Metric: "roc_auc", Value: 0.5, Baseline: 0.5},
			{Role: "best", Ref: "r-2", Model: "gbdt", Metric: "roc_auc", Value: 0.7712, Baseline: 0.5},
		},
		Gates: []GateEvidence{{Item: "beats the baseline", Status: "pass", Detail: "roc_auc +0.2712"}, {Item: "rollback plan documented", Status: "needs sign-off"}},
	}
}

func emptyProposal(t *testing.T) *Proposal {
	src, err := project.Template(project.TemplateParams{Name: "churn", Task: project.Classification})
	require.NoError(t, err)
	cfg, err := project.Parse("mlw.yaml", src)
	require.NoError(t, err)
	return &Proposal{Project: cfg.Name, Task: cfg.Task, Generated: fixedTime(), Canvas: cfg.Canvas, Data: cfg.Data,
		Lint: &project.LintResult{Errors: 0, Warnings: 21}}
}

func TestProposalGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		p    func(*testing.T) *Proposal
	}{{"quickstart", quickstartProposal}, {"empty", emptyProposal}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.p(t)
			md, err := p.Markdown()
			require.NoError(t, err)
			golden(t, "proposal_"+tc.name+".md", md)
			html, err := p.HTML()
			require.NoError(t, err)
			golden(t, "proposal_"+tc.name+".html", html)
		})
	}
}

func TestProposalContent(t *testing.T) {
	t.Parallel()
	p := quickstartProposal(t)
	md, err := p.Markdown()
	require.NoError(t, err)
	s := string(md)
	for _, want := range []string{
		"# ML Project Proposal: ticket-deflection",
		"## 1. Problem statement", "## 2. ML formulation", "## 3. Data requirements", "## 4. Success metrics",
		"## 6. Timeline and resources", "## 7. Risks and mitigation",
		"| roc_auc | ≥ 0.7 |", "| **Total** | **10** |", "| best | gbdt (r-2) | roc_auc | 0.7712 | 0.5000 | +0.2712 |",
	} {
		require.Contains(t, s, want)
	}
	require.NotContains(t, s, missingMark, "the quickstart canvas is complete")

	e := emptyProposal(t)
	md, err = e.Markdown()
	require.NoError(t, err)
	require.Contains(t, string(md), "**Problem.** (not stated)")
	require.Contains(t, string(md), "Not yet measured")

	html, err := p.HTML()
	require.NoError(t, err)
	h := string(html)
	require.True(t, strings.HasPrefix(h, "<!DOCTYPE html>"))
	for _, banned := range []string{"<script", "http://", "https://", "<link"} {
		require.NotContains(t, h, banned, "self-contained and offline")
	}
}

func TestProposalEscapesHTML(t *testing.T) {
	t.Parallel()
	p := emptyProposal(t)
	p.Canvas.BusinessProblem.Problem = `<script>alert("x")</script>`
	html, err := p.HTML()
	require.NoError(t, err)
	require.NotContains(t, string(html), "<script>")
	require.Contains(t, string(html), "&lt;script&gt;")
}
