package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDataAddShowList(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	src := filepath.Join(testRoot(t), "testdata", "datasets", "iris.csv")

	r := run(t, dir, nil, "data", "add", "iris", src, "--target", "target", "--reason", "first look", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var v struct {
		Dataset string
		Version int
		Rows    int64
		Hash    string
		Created bool
		Roles   struct{ Target string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	require.Equal(t, "iris", v.Dataset)
	require.Equal(t, 1, v.Version)
	require.EqualValues(t, 150, v.Rows)
	require.True(t, v.Created)
	require.Equal(t, "target", v.Roles.Target)
	// sha256sum testdata/datasets/iris.csv
	require.Len(t, v.Hash, 64)

	// The same content again: the existing version, nothing new.
	r = run(t, dir, nil, "data", "add", "iris", src, "--target", "target", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	require.False(t, v.Created)
	require.Equal(t, 1, v.Version)

	// New content: version 2.
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	changed := filepath.Join(t.TempDir(), "iris2.csv")
	require.NoError(t, os.WriteFile(changed, append(b, []byte("5.0,3.0,1.5,0.2,0\n")...), 0o644))
	r = run(t, dir, nil, "data", "add", "iris", changed, "--target", "target", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	require.Equal(t, 2, v.Version)
	require.EqualValues(t, 151, v.Rows)

	r = run(t, dir, nil, "data", "show", "iris@1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "iris@1  (1 of 2 versions)")
	require.Contains(t, r.stdout, "petal width (cm)")

	r = run(t, dir, nil, "data", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var list []struct {
		Dataset string
		Version int
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list, 1)
	require.Equal(t, 2, list[0].Version)

	r = run(t, dir, nil, "audit", "--action", "dataset.", "--json")
	var evs []struct{ Action, Target, Reason string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &evs))
	require.Len(t, evs, 2)
	require.Equal(t, "first look", evs[0].Reason)
}

func TestDataAddErrors(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("a,b\n1,2\n3\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "add", "bad", bad}, "bad.csv line 3: 1 fields, header has 2"},
		{[]string{"data", "add", "x", filepath.Join(dir, "nope.csv")}, "no such file"},
		{[]string{"data", "add", "x", filepath.Join(testRoot(t), "testdata", "datasets", "iris.csv"), "--target", "species"}, "--target species: no such column"},
		{[]string{"data", "add", "bad name", bad}, "not allowed"},
		{[]string{"data", "show", "missing@3"}, "dataset missing@3 not found"},
		{[]string{"data", "show", "iris@champion"}, "not aliases"},
	} {
		r := run(t, dir, nil, tc.args...)
		require.NotEqual(t, 0, r.code, tc.args)
		require.Contains(t, r.stderr, tc.want, tc.args)
	}
	r := run(t, dir, nil, "data", "list", "--json")
	require.Equal(t, "[]\n", r.stdout, "nothing half-added")
	r = run(t, dir, nil, "audit", "--json")
	var evs []any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &evs))
	require.Len(t, evs, 1, "only project.init")
}

func TestDataExpectAndValidate(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	src := filepath.Join(testRoot(t), "testdata", "datasets", "iris.csv")
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "iris", src, "--target", "target").code)

	r := run(t, dir, nil, "data", "validate", "iris")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "no data.expectations")
	require.Contains(t, r.stderr, "Try: mlw data expect iris")

	r = run(t, dir, nil, "data", "expect", "iris@1")
	require.Equal(t, 0, r.code, r.stderr)
	cfg, err := os.ReadFile(filepath.Join(dir, "mlw.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(cfg), "expectations:")
	require.Contains(t, string(cfg), "# the column to predict", "comments kept")

	r = run(t, dir, nil, "data", "validate", "iris")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "iris@1 meets all")

	// A version with an impossible petal length and a new class fails.
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	bad := filepath.Join(t.TempDir(), "iris_bad.csv")
	require.NoError(t, os.WriteFile(bad, append(b, []byte("5.0,3.0,99.0,0.2,7\n")...), 0o644))
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "iris", bad).code)
	r = run(t, dir, nil, "data", "validate", "iris@2", "--json")
	require.Equal(t, ExitError, r.code)
	var rep struct {
		OK       bool
		Failures []struct {
			Check, Column string
			Examples      []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	require.False(t, rep.OK)
	found := map[string][]string{}
	for _, f := range rep.Failures {
		found[f.Check+":"+f.Column] = f.Examples
	}
	require.Equal(t, []string{"line 152: 99"}, found["range:petal length (cm)"])
	require.Contains(t, found, "range:target")
}

// quickstartData makes a project with the quickstart tickets added as tickets@1.
func quickstartData(t *testing.T, rows string) string {
	t.Helper()
	base := t.TempDir()
	r := run(t, base, nil, "quickstart", "qs", "--rows", rows, "--no-serve")
	require.Equal(t, 0, r.code, r.stderr)
	return filepath.Join(base, "qs")
}

func TestDataSplitCleanExport(t *testing.T) {
	t.Parallel()
	dir := quickstartData(t, "600")

	r := run(t, dir, nil, "data", "split", "tickets", "--strategy", "time", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var s struct {
		ID      string
		Counts  struct{ Train, Validation, Test int }
		Created bool
		Leakage struct{ Errors int }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	require.False(t, s.Created, "quickstart made this split already")
	require.Equal(t, 420, s.Counts.Train)
	require.Equal(t, 90, s.Counts.Validation)
	require.Equal(t, 90, s.Counts.Test)
	first := s.ID

	// Same input, same split.
	r = run(t, dir, nil, "data", "split", "tickets", "--strategy", "time", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	require.False(t, s.Created)
	require.Equal(t, first, s.ID)

	// Export the test part: 90 rows, all later than every training row.
	out := filepath.Join(dir, "test.csv")
	r = run(t, dir, nil, "data", "export", "tickets@1", "--split", first, "--part", "test", "-o", out)
	require.Equal(t, 0, r.code, r.stderr)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 91)
	train := filepath.Join(dir, "train.csv")
	require.Equal(t, 0, run(t, dir, nil, "data", "export", "tickets@1", "--split", first, "--part", "train", "-o", train).code)
	tb, err := os.ReadFile(train)
	require.NoError(t, err)
	trainLines := strings.Split(strings.TrimSpace(string(tb)), "\n")
	lastTrain := strings.Split(trainLines[len(trainLines)-1], ",")[1]
	firstTest := strings.Split(lines[1], ",")[1]
	require.Less(t, lastTrain, firstTest, "time split: test after train")

	r = run(t, dir, nil, "data", "split", "tickets", "--ratios", "0.7,0.2,0.2")
	require.Equal(t, ExitUsage, r.code)
	require.Contains(t, r.stderr, "sum to")

	// Cleaning makes tickets@2 with its lineage.
	r = run(t, dir, nil, "data", "clean", "tickets", "--impute", "median", "--filter", "text_length > 50", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var cl struct {
		Version struct {
			Version  int
			Rows     int64
			ParentID int64 `json:"parent_id"`
		}
		Parent string
		Steps  []struct {
			Step, Column string
			Changed      int
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cl))
	require.Equal(t, 2, cl.Version.Version)
	require.Equal(t, "tickets@1", cl.Parent)
	require.NotZero(t, cl.Version.ParentID)
	require.Less(t, cl.Version.Rows, int64(600))

	// Replaying the recipe on the same raw data gives the same content.
	r = run(t, dir, nil, "data", "clean", "tickets@1", "--recipe", "tickets@2", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var again struct {
		Created bool
		Version struct{ Version int }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &again))
	require.False(t, again.Created)
	require.Equal(t, 2, again.Version.Version)

	r = run(t, dir, nil, "data", "clean", "tickets@1", "--recipe", "tickets@1")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "not made by mlw data clean")
}

func TestSplitRefusesLeakage(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	// A planted leaky column (a copy of the label) and duplicated rows.
	var b strings.Builder
	b.WriteString("x,leak,y\n")
	for i := range 400 {
		y := i % 2
		fmt.Fprintf(&b, "%d,%d,%d\n", i%7, y*10, y)
	}
	path := filepath.Join(t.TempDir(), "leaky.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "leaky", path, "--target", "y").code)

	r := run(t, dir, nil, "data", "split", "leaky", "--strategy", "random")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "split refused")
	require.Contains(t, r.stdout, "target_leak")
	require.Contains(t, r.stdout, "duplicate_rows")

	r = run(t, dir, nil, "data", "split", "leaky", "--strategy", "random", "--allow-leakage")
	require.Equal(t, ExitUsage, r.code)
	r = run(t, dir, nil, "data", "split", "leaky", "--strategy", "random", "--allow-leakage", "--reason", "teaching example")
	require.Equal(t, 0, r.code, r.stderr)
	r = run(t, dir, nil, "audit", "--action", "split.", "--json")
	var evs []struct{ Action, Reason string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &evs))
	require.Equal(t, []struct{ Action, Reason string }{{"split.create.allow_leakage", "teaching example"}}, evs)
}

func TestDataProfile(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	// A messy file: missing values, a duplicate row, an id column, a constant.
	var b strings.Builder
	b.WriteString("ticket_id,insulin,plan,const,y\n")
	for i := range 60 {
		insulin := fmt.Sprint(50 + i%17)
		if i%2 == 0 {
			insulin = "NA"
		}
		fmt.Fprintf(&b, "T%03d,%s,%s,7,%d\n", i, insulin, []string{"basic", "pro"}[i%2], (i/3)%2)
	}
	path := filepath.Join(t.TempDir(), "messy.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "messy", path, "--target", "y").code)

	html := filepath.Join(dir, "profile.html")
	r := run(t, dir, nil, "data", "profile", "messy", "--json", "--html", html)
	require.Equal(t, 0, r.code, r.stderr)
	var p struct {
		Rows    int
		Columns []struct {
			Name       string
			Type       string
			Missing    int
			MissingPct float64 `json:"missing_pct"`
			Mean       *float64
		}
		DuplicateRows int `json:"duplicate_rows"`
		Findings      []struct{ Severity, Column, Message string }
		RunID         string `json:"run_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &p))
	require.Equal(t, 60, p.Rows)
	require.Equal(t, "insulin", p.Columns[1].Name)
	require.Equal(t, 30, p.Columns[1].Missing)
	require.InDelta(t, 50.0, p.Columns[1].MissingPct, 1e-12)
	messages := map[string]string{}
	for _, f := range p.Findings {
		messages[f.Column] = f.Message
	}
	require.Equal(t, "insulin: 50.0% missing", messages["insulin"])
	require.FileExists(t, html)
	require.NotEmpty(t, p.RunID)

	r = run(t, dir, nil, "status", "--json")
	var st struct {
		Stages []struct{ ID, Summary string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	require.Contains(t, st.Stages[1].Summary, "1 profile(s)")
}
