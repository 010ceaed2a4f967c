package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMain lets a test re-execute its own binary as mlw (MLW_CLI_TEST_MAIN=1),
// so multi-process tests need no build step.
func TestMain(m *testing.M) {
	if os.Getenv("MLW_CLI_TEST_MAIN") == "1" {
		ctx, stop := signalContext()
		code := Main(ctx, NewApp(), os.Args[1:])
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// replica is an 'mlw serve' process.
type replica struct {
	cmd *exec.Cmd
	url string
}

func startReplica(t *testing.T, dir string) *replica {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--poll", "100ms", "--log-level", "warn")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MLW_CLI_TEST_MAIN=1", "MLW_USER=replica")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	r := &replica{cmd: cmd}
	t.Cleanup(func() { r.stop(t) })
	lines := bufio.NewScanner(out)
	re := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if m := re.FindStringSubmatch(lines.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case r.url = <-found:
	case <-time.After(60 * time.Second):
		t.Fatal("replica did not start")
	}
	return r
}

func (r *replica) stop(t *testing.T) {
	if r.cmd.Process == nil || r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "a replica exits 0 on SIGTERM")
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		t.Fatal("replica did not stop")
	}
}

// predict asks a replica as user and returns the variant and model.
func (r *replica) predict(t *testing.T, user string) (string, string) {
	t.Helper()
	req, err := http.NewRequest("POST", r.url+"/v1/endpoints/iris/predict", strings.NewReader(irisRow))
	require.NoError(t, err)
	req.Header.Set("X-User", user)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, "%s", data)
	var pr struct {
		Variant string `json:"variant"`
		Model   string `json:"model"`
	}
	require.NoError(t, json.Unmarshal(data, &pr))
	return pr.Variant, pr.Model
}

// TestReplicasServeTheSameDeployments runs two server processes on one
// PostgreSQL store and one artifact store: they serve the same versions,
// assign the same A/B variant to the same user, and follow changes.
func TestReplicasServeTheSameDeployments(t *testing.T) {
	dir := postgresProject(t)
	src := filepath.Join(testRoot(t), "testdata", "datasets", "iris.csv")
	require.Equal(t, 0, run(t, dir, nil, "data", "add", "iris", src, "--target", "target").code)
	r := run(t, dir, nil, "data", "split", "iris", "--seed", "1", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var sp struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sp))
	for _, c := range []string{"1", "0.01"} {
		tr := trainJSON(t, dir, "--dataset", "iris", "--split", sp.ID, "--model", "logistic", "--param", "C="+c)
		require.Equal(t, 0, run(t, dir, nil, "model", "register", tr.RunID, "--name", "iris").code)
	}
	require.Equal(t, 0, run(t, dir, nil, "deploy", "iris", "iris@1").code)

	a, b := startReplica(t, dir), startReplica(t, dir)
	for _, rep := range []*replica{a, b} {
		_, m := rep.predict(t, "u0")
		require.Equal(t, "iris@1", m)
	}

	r = run(t, dir, nil, "deploy", "iris", "iris@2", "--strategy", "ab", "--weights", "50,50", "--sticky-header", "X-User")
	require.Equal(t, 0, r.code, r.stderr)
	require.Eventually(t, func() bool {
		va, _ := a.predict(t, "u1")
		vb, _ := b.predict(t, "u1")
		return va != "primary" && vb != "primary"
	}, 20*time.Second, 50*time.Millisecond, "both replicas pick up the A/B split")
	seen := map[string]int{}
	for i := range 40 {
		user := fmt.Sprintf("user-%d", i)
		va, ma := a.predict(t, user)
		vb, mb := b.predict(t, user)
		require.Equal(t, va+" "+ma, vb+" "+mb, "user %s gets the same variant from both replicas", user)
		seen[va]++
	}
	require.Greater(t, seen["a"], 5)
	require.Greater(t, seen["b"], 5)

	require.Equal(t, 0, run(t, dir, nil, "rollback", "iris", "--reason", "b loses").code)
	require.Eventually(t, func() bool {
		va, ma := a.predict(t, "u2")
		vb, mb := b.predict(t, "u2")
		return va == "primary" && vb == "primary" && ma == "iris@1" && mb == "iris@1"
	}, 20*time.Second, 50*time.Millisecond)
	a.stop(t)
	b.stop(t)

	// Both replicas logged their predictions to the shared store.
	r = run(t, dir, nil, "deploy", "status", "iris", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var st struct {
		History []struct{ Revision int }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	require.Len(t, st.History, 3)
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
