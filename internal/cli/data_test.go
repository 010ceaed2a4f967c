package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
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
