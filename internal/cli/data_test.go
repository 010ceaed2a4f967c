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
