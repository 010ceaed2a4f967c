package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// cancerProject adds breast_cancer with a stratified split and sets the
// canvas's technical target to accuracy >= min.
func cancerProject(t *testing.T, min string) (string, string) {
	t.Helper()
	dir := initProject(t)
	path := filepath.Join(dir, "mlw.yaml")
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	s := strings.Replace(string(src), "{metric: roc_auc, min: 0.8}", "{metric: accuracy, min: "+min+"}", 1)
	s = strings.Replace(s, "      - {metric: recall, min: 0.7}\n", "", 1)
	s = strings.Replace(s, "primary_metric: roc_auc", "primary_metric: accuracy", 1)
	require.NoError(t, os.WriteFile(path, []byte(s), 0o644))
	src2 := filepath.Join(testRoot(t), "testdata", "datasets", "breast_cancer.csv")
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "cancer", src2, "--target", "target").code)
	r := run(t, dir, nil, "data", "split", "cancer", "--seed", "3", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var sp struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sp))
	return dir, sp.ID
}

type ladderOut struct {
	StoppedAt int `json:"stopped_at"`
	Chosen    string
	Models    []struct {
		Rung         int
		Model        string
		MeetsTargets bool `json:"meets_targets"`
	}
}

func TestLadderStopsAtASimpleRung(t *testing.T) {
	t.Parallel()
	dir, split := cancerProject(t, "0.9")
	r := run(t, dir, nil, "ladder", "--dataset", "cancer", "--split", split, "--trials", "2", "--cv", "2", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var out ladderOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Equal(t, 1, out.StoppedAt, "a linear model reaches 90%% accuracy on breast_cancer")
	for _, m := range out.Models {
		require.Equal(t, 1, m.Rung, "no ensemble was tried")
	}
	require.NotEmpty(t, out.Chosen)
}

func TestLadderClimbsWhenTheTargetIsHigh(t *testing.T) {
	t.Parallel()
	dir, split := cancerProject(t, "0.9999")
	r := run(t, dir, nil, "ladder", "--dataset", "cancer", "--split", split, "--trials", "1", "--cv", "2", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var out ladderOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Zero(t, out.StoppedAt, "no rung is perfect")
	var kinds []string
	for _, m := range out.Models {
		kinds = append(kinds, m.Model)
	}
	require.Equal(t, []string{"logistic", "tree", "forest", "gbdt", "mlp"}, kinds, "climbed to the top")
}

func TestTuneStudyResumes(t *testing.T) {
	t.Parallel()
	dir, split := irisProject(t)
	args := []string{"tune", "--dataset", "iris", "--split", split, "--model", "logistic", "--search", "random", "--cv", "2", "--study", "s1", "--json"}
	r := run(t, dir, nil, append(args, "--trials", "3")...)
	require.Equal(t, 0, r.code, r.stderr)
	var first struct {
		Trials []struct {
			Number int
			Params map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &first))
	require.Len(t, first.Trials, 3)
	r = run(t, dir, nil, append(args, "--trials", "5")...)
	require.Equal(t, 0, r.code, r.stderr)
	var second struct {
		Trials []struct {
			Number int
			Params map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &second))
	require.Len(t, second.Trials, 5, "the study continued up to 5 trials")
	for i := range first.Trials {
		require.Equal(t, first.Trials[i].Params, second.Trials[i].Params, "finished trials are kept, not rerun")
	}
}
