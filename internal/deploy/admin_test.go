package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/serve"
)

// server starts a serve.Server routed by a syncer over e's store, with the
// admin API behind token "admin-secret".
func (e *env) server(t *testing.T) (*serve.Server, *Syncer, string) {
	t.Helper()
	sy := e.syncer()
	require.NoError(t, sy.Sync(context.Background()))
	s, err := serve.New(serve.Config{Addr: "127.0.0.1:0", Router: sy.Table, AdminToken: "admin-secret",
		Admin: Admin(e.svc, func() { _ = sy.Sync(context.Background()) })})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(func() { require.NoError(t, s.Stop()) })
	return s, sy, "http://" + s.Addr().String()
}

func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func TestAdminAPI(t *testing.T) {
	e := newEnv(t)
	_, _, url := e.server(t)
	tok := "admin-secret"

	code, _ := call(t, "POST", url+"/v1/admin/deployments/churn", "", `{"model":"churn@1"}`)
	require.Equal(t, http.StatusUnauthorized, code, "the admin API needs the token")
	code, _ = call(t, "POST", url+"/v1/admin/deployments/churn", "wrong", `{"model":"churn@1"}`)
	require.Equal(t, http.StatusUnauthorized, code)

	tests := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/v1/admin/deployments/churn", `{"model":"churn@1","reason":"first"}`, 200, `"revision":1`},
		{"POST", "/v1/admin/deployments/churn", `{"model":"churn@2","strategy":"canary","interval":"1m","steps":[10,100]}`, 200, `"state":"canary"`},
		{"POST", "/v1/admin/deployments/churn", `{"model":"churn@3","strategy":"ab"}`, 409, `canary in progress`},
		{"POST", "/v1/admin/deployments/churn", `{"model":"churn@3","strategi":"ab"}`, 400, `unknown field \"strategi\"`},
		{"POST", "/v1/admin/deployments/churn", `{"model":`, 400, `request body`},
		{"POST", "/v1/admin/deployments/churn", `{"model":"churn@2","interval":"soon"}`, 400, `field interval`},
		{"POST", "/v1/admin/deployments/churn", `{}`, 400, `field model`},
		{"POST", "/v1/admin/deployments/churn", `{"model":"churn@1"}{}`, 400, `more than one JSON value`},
		{"POST", "/v1/admin/deployments/churn", `{"model":"` + strings.Repeat("x", 70<<10) + `"}`, 400, `larger than`},
		{"GET", "/v1/admin/deployments/churn", ``, 200, `"strategy":"canary"`},
		{"GET", "/v1/admin/deployments/nope", ``, 404, `not deployed`},
		{"POST", "/v1/admin/deployments/churn/explode", `{}`, 404, `no admin operation`},
		{"POST", "/v1/admin/deployments/churn/rollback", `{"reason":"changed my mind"}`, 200, `"state":"rolled_back"`},
		{"GET", "/v1/admin/deployments", ``, 200, `"serves":"primary=churn@1"`},
		{"DELETE", "/v1/admin/deployments/churn", ``, 404, `no admin route`},
	}
	for i, tt := range tests {
		req, err := http.NewRequest(tt.method, url+tt.path, strings.NewReader(tt.body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, tt.code, resp.StatusCode, "case %d %s %s: %s", i, tt.method, tt.path, data)
		require.Contains(t, string(data), tt.want, "case %d", i)
	}
	require.Equal(t, []string{"deploy.create", "deploy.create", "deploy.rollback"}, e.actions(t))
}

// TestSwitchUnderLoad switches the endpoint between versions and
// strategies while clients predict: no request may fail.
func TestSwitchUnderLoad(t *testing.T) {
	e := newEnv(t)
	e.deploy(t, Request{Model: "churn@1"})
	_, sy, url := e.server(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				body := fmt.Sprintf(`{"instances":[{"tenure":%d,"plan":"pro"}]}`, (w*31+i)%70)
				resp, err := client.Post(url+"/v1/endpoints/churn/predict", "application/json", strings.NewReader(body))
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", resp.StatusCode, data))
					continue
				}
				ok.Add(1)
			}
		})
	}
	seq := []Request{
		{Model: "churn@2", Strategy: BlueGreen}, {Model: "churn@3"}, {Model: "churn@2", Strategy: Canary, Steps: []int{50, 100}}, {Model: "churn@3", Strategy: Shadow},
	}
	switches := 0
	for round := 0; round < 6; round++ {
		r := seq[round%len(seq)]
		e.deploy(t, r)
		require.NoError(t, sy.Sync(ctx))
		time.Sleep(20 * time.Millisecond)
		_, err := e.svc.Rollback(ctx, "churn", "load test")
		require.NoError(t, err)
		require.NoError(t, sy.Sync(ctx))
		time.Sleep(20 * time.Millisecond)
		switches += 2
	}
	cancel()
	wg.Wait()
	require.Zero(t, failed.Load(), "first failure: %v", firstErr.Load())
	require.Greater(t, ok.Load(), int64(switches), "requests were served during the switches")
	t.Logf("%d requests, %d switches, 0 failed", ok.Load(), switches)
}
