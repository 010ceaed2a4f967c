package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// postgresProject creates a project whose store is a fresh schema of the
// PostgreSQL at MLW_TEST_POSTGRES_URL, dropped at the end of the test; it
// skips the test when the variable is unset.
func postgresProject(t *testing.T) string {
	t.Helper()
	base := os.Getenv("MLW_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("MLW_TEST_POSTGRES_URL is not set: skipping a multi-process PostgreSQL test")
	}
	schema := "mlwtest_" + strings.ToLower(rand.Text())
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
		require.NoError(t, err)
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	dir := initProject(t)
	f, err := os.OpenFile(filepath.Join(dir, "mlw.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fmt.Fprintf(f, "store: %s%sschema=%s\n", base, sep, schema)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return dir
}

// TestTuneDistributedOnPostgres runs two 'mlw tune --study S' processes (of
// two workers each) on one PostgreSQL store: together they finish the study
// with exactly N trials, numbered 0..N-1, each run once.
func TestTuneDistributedOnPostgres(t *testing.T) {
	t.Parallel()
	dir := postgresProject(t)
	src := filepath.Join(testRoot(t), "testdata", "datasets", "breast_cancer.csv")
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "cancer", src, "--target", "target").code)
	r := run(t, dir, nil, "data", "split", "cancer", "--seed", "1", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var sp struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sp))

	const trials = 20
	type proc struct {
		cmd         *exec.Cmd
		out, stderr bytes.Buffer
	}
	procs := make([]*proc, 2)
	for i := range procs {
		p := &proc{cmd: exec.Command(os.Args[0], "tune", "--dataset", "cancer", "--split", sp.ID, "--model", "gbdt",
			"--search", "tpe", "--trials", strconv.Itoa(trials), "--cv", "3", "--parallel", "2", "--study", "shared",
			"--seed", strconv.Itoa(i), "--json")}
		p.cmd.Dir = dir
		p.cmd.Env = append(os.Environ(), "MLW_CLI_TEST_MAIN=1", fmt.Sprintf("MLW_USER=worker-%d", i))
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.stderr
		procs[i] = p
	}
	for _, p := range procs {
		require.NoError(t, p.cmd.Start())
	}
	for i, p := range procs {
		require.NoError(t, p.cmd.Wait(), "process %d: %s", i, p.stderr.String())
		var out struct {
			Trials []struct{ Number int }
		}
		require.NoError(t, json.Unmarshal(p.out.Bytes(), &out), p.out.String())
		require.Len(t, out.Trials, trials, "process %d sees the whole study", i)
	}

	r = run(t, dir, nil, "tune", "show", "shared", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var st tuneShowOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	require.Len(t, st.Trials, trials, "exactly the budget, across processes")
	workers := map[string]int{}
	for i, tr := range st.Trials {
		require.Equal(t, i, tr.Number, "numbers without gaps or duplicates")
		require.Contains(t, []string{"complete", "pruned", "failed"}, tr.State, "trial %d finished", i)
		workers[tr.Worker]++
	}
	t.Logf("trials per worker: %v", workers)
	require.Len(t, workers, 2, "both processes ran trials")
	require.Len(t, st.StudyRunIDs, 2, "one study run per process")
	require.NotEmpty(t, st.BestRunID)

	// Each trial ran once: one finished (or pruned, or failed) trial run
	// per trial, under one process's study run or the other's.
	r = run(t, dir, nil, "runs", "list", "--all", "--kind", "trial", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var runs []struct {
		Name     string
		ParentID string `json:"parent_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &runs))
	names := map[string]bool{}
	for _, tr := range runs {
		require.False(t, names[tr.Name], "trial run %s twice", tr.Name)
		names[tr.Name] = true
		require.Contains(t, st.StudyRunIDs, tr.ParentID)
	}
	require.Len(t, names, trials)
}
