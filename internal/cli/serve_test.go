package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lockedBuffer is a bytes.Buffer safe for a server writing while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is an 'mlw serve' running in-process.
type server struct {
	url    string
	out    *lockedBuffer
	errb   *lockedBuffer
	cancel context.CancelFunc
	done   chan int
}

// startServer runs mlw serve in dir with extra flags and waits until it listens.
func startServer(t *testing.T, dir string, flags ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{out: &lockedBuffer{}, errb: &lockedBuffer{}, cancel: cancel, done: make(chan int, 1)}
	app := &App{Out: s.out, Err: s.errb, Getenv: func(k string) string {
		if k == "MLW_USER" {
			return "tester"
		}
		return ""
	}, Now: time.Now, Dir: dir}
	go func() {
		s.done <- Main(ctx, app, append([]string{"serve", "--addr", "127.0.0.1:0", "--poll", "50ms", "--log-level", "warn"}, flags...))
	}()
	re := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
	require.Eventually(t, func() bool {
		if m := re.FindStringSubmatch(s.out.String()); m != nil {
			s.url = m[1]
			return true
		}
		select {
		case code := <-s.done:
			t.Fatalf("mlw serve exited %d: %s %s", code, s.out.String(), s.errb.String())
		default:
		}
		return false
	}, 20*time.Second, 20*time.Millisecond)
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop interrupts the server and waits for it.
func (s *server) stop(t *testing.T) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case code := <-s.done:
		require.Equal(t, 0, code, "%s %s", s.out.String(), s.errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("mlw serve did not stop")
	}
}

func (s *server) post(t *testing.T, path, body string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", s.url+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// irisModels registers two logistic models of iris as iris@1 and iris@2.
func irisModels(t *testing.T) string {
	t.Helper()
	dir, split := irisProject(t)
	for _, c := range []string{"1", "0.01"} {
		tr := trainJSON(t, dir, "--dataset", "iris", "--split", split, "--model", "logistic", "--param", "C="+c)
		r := run(t, dir, nil, "model", "register", tr.RunID, "--name", "iris")
		require.Equal(t, 0, r.code, r.stderr)
	}
	return dir
}

const irisRow = `{"instances": [{"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}]}`

func TestServeDeployLifecycle(t *testing.T) {
	dir := irisModels(t)
	r := run(t, dir, nil, "deploy", "iris", "iris@1", "--reason", "first")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "endpoint iris revision 1 (direct, live): primary iris@1")

	tokenFile := filepath.Join(dir, "admin.token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600))
	yaml := filepath.Join(dir, "mlw.yaml")
	src, err := os.ReadFile(yaml)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(yaml, bytes.Replace(src, []byte("alerts: []"), []byte(`alerts: ["error_rate > 1%"]`), 1), 0o644))
	s := startServer(t, dir, "--admin-token-file", tokenFile, "--alert-every", "100ms")
	require.Contains(t, s.out.String(), "(1 endpoints: iris)")

	code, data := s.post(t, "/v1/endpoints/iris/predict", irisRow)
	require.Equal(t, 200, code, "%s", data)
	var pr struct {
		RequestID string `json:"request_id"`
		Model     string `json:"model"`
	}
	require.NoError(t, json.Unmarshal(data, &pr))
	require.NotEmpty(t, pr.RequestID)
	code, data = s.post(t, "/v1/endpoints/iris/feedback", `{"request_id":"`+pr.RequestID+`","label":"0"}`)
	require.Equal(t, 200, code, "%s", data)
	code, _ = s.post(t, "/v1/endpoints/iris/predict", `{"instances": [{"sepal length (cm)": "x"}]}`)
	require.Equal(t, 400, code)
	require.Eventually(t, func() bool {
		r := run(t, dir, nil, "audit", "--action", "alert.")
		return strings.Contains(r.stdout, "alert.firing")
	}, 20*time.Second, 100*time.Millisecond, "one failed request of two fires error_rate > 1%%")

	// A change from another process is picked up without a restart.
	r = run(t, dir, nil, "deploy", "iris", "iris@2", "--strategy", "shadow")
	require.Equal(t, 0, r.code, r.stderr)
	require.Eventually(t, func() bool {
		_, data := s.post(t, "/v1/endpoints/iris/predict", irisRow)
		return strings.Contains(string(data), `"variant":"primary"`) && strings.Contains(string(data), "iris@1")
	}, 10*time.Second, 50*time.Millisecond)

	// The admin API promotes the shadow.
	code, data = s.post(t, "/v1/admin/deployments/iris/promote", `{"reason":"agrees"}`)
	require.Equal(t, 401, code, "%s", data)
	code, data = s.post(t, "/v1/admin/deployments/iris/promote", `{"reason":"agrees"}`, "Authorization", "Bearer s3cret")
	require.Equal(t, 200, code, "%s", data)
	code, data = s.post(t, "/v1/endpoints/iris/predict", irisRow)
	require.Equal(t, 200, code)
	require.Contains(t, string(data), "iris@2", "the admin change applies at once")
	for range 20 {
		code, _ = s.post(t, "/v1/endpoints/iris/predict", irisRow)
		require.Equal(t, 200, code)
	}
	s.stop(t)
	require.Contains(t, s.out.String(), "mlw serve: stopped")

	// The prediction log was flushed at shutdown.
	r = run(t, dir, nil, "deploy", "status", "iris", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var st struct {
		Revision int
		State    string
		Variants []struct {
			Model   string
			Traffic struct{ Requests int }
		}
		History []struct{ Revision int }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	require.Equal(t, 3, st.Revision)
	require.Equal(t, "promoted", st.State)
	require.Len(t, st.History, 3)
	require.GreaterOrEqual(t, st.Variants[0].Traffic.Requests, 21)

	r = run(t, dir, nil, "deploy", "status", "iris")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "endpoint iris: revision 3, shadow, promoted")

	// The CLI's test clock stamps revisions 1 and 2 at the same instant: the
	// later one was live at that time; the admin change came in real time.
	r = run(t, dir, nil, "served", "iris", "--at", "2026-11-28T09:30:00Z", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `"revision": 2`)
	require.Contains(t, r.stdout, `"shadows": [`)
	r = run(t, dir, nil, "served", "iris", "--at", "2026-11-28T09:29:00Z")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stderr, "was first deployed at")

	// mlw monitor reads the same log (the CLI's test clock is earlier than
	// the server's real one, hence the explicit window).
	r = run(t, dir, nil, "monitor", "iris", "--since", "2026-11-28", "--until", "2100-01-01", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var mon struct {
		Requests  int    `json:"requests"`
		Errors    int    `json:"errors"`
		Reference string `json:"reference"`
		Drift     []struct {
			Feature string
			Method  string
		}
		Online struct {
			LabeledRows int `json:"labeled_rows"`
		}
		Alerts []struct{ State, Rule string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &mon), r.stdout)
	require.GreaterOrEqual(t, mon.Requests, 23)
	require.Equal(t, 1, mon.Errors)
	require.Len(t, mon.Drift, 4, "one drift result per iris feature")
	require.Equal(t, 1, mon.Online.LabeledRows)
	require.NotEmpty(t, mon.Alerts)
	require.Equal(t, "firing", mon.Alerts[0].State)
	htmlPath := filepath.Join(dir, "monitor.html")
	r = run(t, dir, nil, "monitor", "iris", "--since", "2026-11-28", "--until", "2100-01-01", "--html", htmlPath)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "traffic: ")
	require.FileExists(t, htmlPath)

	r = run(t, dir, nil, "status")
	require.Contains(t, r.stdout, "alert firing on iris: error rate")

	// Lineage follows a version to the endpoints that served it.
	r = run(t, dir, nil, "lineage", "iris@2")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `deployment endpoint/iris\s+as=primary,shadow .*live=yes revisions=2,3`, r.stdout)
	r = run(t, dir, nil, "lineage", "iris@1")
	require.Regexp(t, `deployment endpoint/iris\s+as=primary .*live=no revisions=1,2`, r.stdout)

	r = run(t, dir, nil, "audit", "--action", "deploy.")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "deploy.promote")
	require.Contains(t, r.stdout, "tester (admin API)")
}

func TestDeployErrors(t *testing.T) {
	dir := irisModels(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"deploy", "iris", "iris@1", "--strategy", "canary"}, "serves nothing yet"},
		{[]string{"deploy", "iris", "iris@1", "--weights", "90,10"}, "--weights is for --strategy ab"},
		{[]string{"deploy", "iris", "iris@1", "--strategy", "ab", "--weights", "90,x"}, `"x" is not an integer`},
		{[]string{"deploy", "iris", "iris@7"}, "iris@7"},
		{[]string{"deploy", "status", "nope"}, "endpoint nope is not deployed"},
		{[]string{"rollback", "nope"}, "not deployed"},
		{[]string{"served", "iris"}, "--at is required"},
		{[]string{"served", "iris", "--at", "yesterday"}, `--at "yesterday"`},
		{[]string{"serve", "--log-format", "xml"}, "--log-format"},
		{[]string{"serve", "--admin-token-file", "missing.token"}, "--admin-token-file"},
	}
	for _, tt := range tests {
		r := run(t, dir, nil, tt.args...)
		require.NotEqual(t, 0, r.code, "%v", tt.args)
		require.Contains(t, r.stderr, tt.want, "%v", tt.args)
	}
	r := run(t, dir, nil, "deploy", "list")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "no endpoint is deployed")
}
