package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/gate"
)

type checkOut struct {
	Model    string
	Passed   bool
	Failed   int
	Unsigned int
	Items    []struct{ ID, Status, Evidence string }
}

func (c checkOut) status(id string) string {
	for _, it := range c.Items {
		if it.ID == id {
			return it.Status
		}
	}
	return ""
}

func TestCheckBlocksAModelThatDoesNotBeatItsBaseline(t *testing.T) {
	t.Parallel()
	dir := quickstartData(t, "800")
	r := run(t, dir, nil, "runs", "list", "--kind", "baseline", "--json")
	var bases []struct {
		SplitID string `json:"split_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &bases))
	// A model that is no better than the baseline: the class priors again.
	weak := trainJSON(t, dir, "--dataset", "tickets", "--split", bases[0].SplitID, "--model", "prior")
	require.Equal(t, 0, run(t, dir, nil, "model", "register", weak.RunID, "--name", "weak").code)

	r = run(t, dir, nil, "check", "weak@1", "--json")
	require.Equal(t, ExitError, r.code, r.stderr)
	var c checkOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &c))
	require.False(t, c.Passed)
	require.Equal(t, gate.Fail, c.status("beats_baseline"))
	require.Equal(t, gate.Fail, c.status("success_metrics"), "roc_auc 0.5 is below the canvas's 0.70")
	require.Equal(t, gate.Pass, c.status("edge_cases"))
	require.Equal(t, gate.Pass, c.status("save_load"))

	r = run(t, dir, nil, "model", "alias", "weak@1", "champion")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "weak@1 cannot become champion: its latest check did not pass")
	r = run(t, dir, nil, "model", "alias", "weak@1", "champion", "--override")
	require.Equal(t, ExitUsage, r.code)
	r = run(t, dir, nil, "model", "alias", "weak@1", "champion", "--override", "--reason", "demo only")
	require.Equal(t, 0, r.code, r.stderr)
	r = run(t, dir, nil, "status", "--json")
	require.Contains(t, r.stdout, "gate_override")
}

func TestCheckPassesWhenEverythingHoldsAndIsSigned(t *testing.T) {
	t.Parallel()
	dir := quickstartData(t, "1500")
	// Loosen the limits this small test set cannot meet reliably, so that the
	// gate's verdict rests on the sign-offs.
	path := filepath.Join(dir, "mlw.yaml")
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	src = []byte(strings.Replace(string(src), "max_segment_gap: 0.05", "max_segment_gap: 0.5\n  max_ece: 0.5", 1))
	require.NoError(t, os.WriteFile(path, src, 0o644))
	// The quickstart registered its best model as deflect@1.
	r := run(t, dir, nil, "check", "deflect@1", "--json")
	var c checkOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &c))
	require.Equal(t, gate.Pass, c.status("beats_baseline"))
	require.Equal(t, gate.Pass, c.status("latency"))
	require.Equal(t, len(gate.SignOffItems), c.Unsigned)

	r = run(t, dir, nil, "check", "deflect@1", "--sign", "nope", "--reason", "x")
	require.Equal(t, ExitUsage, r.code)
	r = run(t, dir, nil, "check", "deflect@1", "--sign", "rollback_plan")
	require.Equal(t, ExitUsage, r.code)
	for _, it := range gate.SignOffItems {
		r = run(t, dir, nil, "check", "deflect@1", "--sign", it.ID, "--reason", "done in review R-1")
		require.Equal(t, 0, r.code, r.stderr)
	}
	r = run(t, dir, nil, "check", "deflect@1", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &c))
	require.Zero(t, c.Unsigned)
	require.Equal(t, gate.Signed, c.status("rollback_plan"))
	require.Zero(t, c.Failed, "%+v", c.Items)
	require.True(t, c.Passed)
	require.Equal(t, 0, r.code)
	r = run(t, dir, nil, "model", "alias", "deflect@1", "champion")
	require.Equal(t, 0, r.code, "a passing gate lets it become champion: %s", r.stderr)
	r = run(t, dir, nil, "audit", "--action", "check.sign", "--json")
	var evs []any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &evs))
	require.Len(t, evs, len(gate.SignOffItems))
}
