package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestModelRegistryAliasesAndHistory(t *testing.T) {
	t.Parallel()
	dir, split := irisProject(t)
	a := trainJSON(t, dir, "--dataset", "iris", "--split", split, "--model", "logistic")
	b := trainJSON(t, dir, "--dataset", "iris", "--split", split, "--model", "gbdt")

	r := run(t, dir, nil, "model", "register", a.RunID, "--name", "flowers", "--reason", "first", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var v struct {
		Name    string
		Version int
		RunID   string `json:"run_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	require.Equal(t, 1, v.Version)
	require.Equal(t, a.RunID, v.RunID)
	require.Equal(t, 0, run(t, dir, nil, "model", "register", b.RunID, "--name", "flowers").code)

	require.Equal(t, 0, run(t, dir, nil, "model", "alias", "flowers@1", "production", "--reason", "simple and good").code)
	require.Equal(t, 0, run(t, dir, nil, "model", "alias", "flowers@2", "challenger").code)
	require.Equal(t, 0, run(t, dir, nil, "model", "alias", "flowers@challenger", "production", "--reason", "gbdt wins").code)

	r = run(t, dir, nil, "model", "history", "flowers", "--alias", "production", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var spans []struct {
		Version   int
		Reason    string
		EndReason string `json:"end_reason"`
		SetBy     string `json:"set_by"`
		To        string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &spans))
	require.Len(t, spans, 2)
	require.Equal(t, 1, spans[0].Version)
	require.Equal(t, "simple and good", spans[0].Reason)
	require.Equal(t, "gbdt wins", spans[0].EndReason)
	require.NotEmpty(t, spans[0].To)
	require.Equal(t, 2, spans[1].Version)
	require.Empty(t, spans[1].To, "current")
	require.Equal(t, "tester", spans[1].SetBy)

	// Predict through an alias.
	src := filepath.Join(testRoot(t), "testdata", "datasets", "iris.csv")
	r = run(t, dir, nil, "predict", "flowers@production", src)
	require.Equal(t, 0, r.code, r.stderr)

	// Archiving: refused while it holds an alias, then allowed; archived versions take no alias.
	r = run(t, dir, nil, "model", "archive", "flowers@2")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "holds alias")
	require.Equal(t, 0, run(t, dir, nil, "model", "archive", "flowers@1", "--reason", "superseded").code)
	r = run(t, dir, nil, "model", "alias", "flowers@1", "production")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "archived")

	r = run(t, dir, nil, "model", "list", "--json")
	var list []struct {
		Name    string
		Latest  int
		Aliases map[string]int
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Equal(t, 2, list[0].Latest)
	require.Equal(t, map[string]int{"production": 2, "challenger": 2}, list[0].Aliases)

	r = run(t, dir, nil, "audit", "--action", "model.", "--json")
	var evs []struct{ Action, Target string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &evs))
	require.Len(t, evs, 6, "2 registers, 3 alias moves, 1 archive")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"model", "register", "r-nope", "--name", "x"}, "not found"},
		{[]string{"model", "register", a.RunID}, "--name is required"},
		{[]string{"model", "alias", "flowers@9", "production"}, "flowers@9 not found"},
		{[]string{"model", "show", "flowers@staging"}, "no alias staging"},
		{[]string{"model", "alias", "flowers@2", "latest"}, "reserved"},
	} {
		r := run(t, dir, nil, tc.args...)
		require.NotEqual(t, 0, r.code, tc.args)
		require.Contains(t, r.stderr, tc.want, tc.args)
	}
}

func TestLineageUpAndDown(t *testing.T) {
	t.Parallel()
	dir := quickstartData(t, "400")
	// The cleaned version is trained on, so lineage walks through the recipe.
	r := run(t, dir, nil, "data", "clean", "tickets", "--impute", "median")
	require.Equal(t, 0, r.code, r.stderr)
	r = run(t, dir, nil, "data", "split", "tickets@2", "--strategy", "time", "--json")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	var s struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	out := trainJSON(t, dir, "--dataset", "tickets@2", "--split", s.ID, "--model", "logistic")
	require.Equal(t, 0, run(t, dir, nil, "model", "register", out.RunID, "--name", "cleaned").code)

	r = run(t, dir, nil, "lineage", "cleaned@1", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var chain []struct {
		Kind, Ref string
		Detail    map[string]string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &chain))
	var kinds []string
	for _, n := range chain {
		kinds = append(kinds, n.Kind+":"+n.Ref)
	}
	require.Equal(t, []string{"source:" + filepath.Join(dir, "data", "support_tickets.csv"), "dataset:tickets@1", "dataset:tickets@2",
		"split:" + s.ID, "run:" + out.RunID, "model:cleaned@1"}, kinds)
	require.Contains(t, chain[2].Detail["recipe"], `"impute":"median"`)
	require.Equal(t, "logistic", chain[4].Detail["model"])

	r = run(t, dir, nil, "lineage", "tickets@1", "--downstream")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "dataset  tickets@2")
	require.Contains(t, r.stdout, "model    cleaned@1")
}
