package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
	"mlw.dev/model/gbdt"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testRows are the rows the test models are fitted on.
const testRows = 300

// trainFrame returns a churn-like frame: tenure, spend, plan (basic, pro,
// team, and rare enterprise/legacy), active (boolean), signup (datetime),
// and the target.
func trainFrame(t testing.TB) (*frame.Frame, []float64) {
	t.Helper()
	tenure := make([]float64, testRows)
	spend := make([]float64, testRows)
	plan := make([]string, testRows)
	active := make([]bool, testRows)
	signup := make([]time.Time, testRows)
	y := make([]float64, testRows)
	plans := []string{"basic", "pro", "team", "basic", "pro", "team", "basic", "pro", "team", "enterprise", "basic", "pro", "team", "legacy"}
	for i := range testRows {
		tenure[i] = float64(1 + (i*7)%72)
		spend[i] = float64((i*13)%50) + 0.5
		plan[i] = plans[i%len(plans)]
		active[i] = i%3 != 0
		signup[i] = time.Date(2020+i%4, time.Month(1+i%12), 1+i%28, i%24, 0, 0, 0, time.UTC)
		if tenure[i] < 20 && plan[i] == "basic" || spend[i] > 40 || !active[i] && tenure[i] < 30 {
			y[i] = 1
		}
	}
	tenure[5] = math.NaN()
	f, err := frame.New([]string{"tenure", "spend", "plan", "active", "signup"}, []frame.Column{
		frame.NewNumeric(tenure), frame.NewNumeric(spend), frame.NewCategoricalFromStrings(plan, nil),
		frame.NewBool(active, nil), frame.NewDatetimeFromTimes(signup),
	})
	require.NoError(t, err)
	return f, y
}

// fitClassifier fits a small gbdt churn classifier. maxCategories < 5 gives
// plan an "other" bucket.
func fitClassifier(t testing.TB, maxCategories, rounds int) *bundle.Bundle {
	t.Helper()
	f, y := trainFrame(t)
	cfg := feature.ForBoosting()
	cfg.MaxCategories = maxCategories
	pipe, err := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), cfg)
	require.NoError(t, err)
	X, err := pipe.Transform(f)
	require.NoError(t, err)
	m := &gbdt.Model{}
	require.NoError(t, m.SetParam("min_samples_leaf", "5"))
	require.NoError(t, m.SetParam("max_iter", strconv.Itoa(rounds)))
	require.NoError(t, m.Fit(context.Background(), &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: pipe.Outputs, X: X, Y: y}))
	return &bundle.Bundle{Header: bundle.Header{Task: "binary", Target: "churn", Classes: []string{"stays", "churns"}, Pipeline: pipe}, Estimator: m}
}

// fitRegressor fits a gbdt regressor on two numeric columns, y = 2 x1 + x2.
func fitRegressor(t testing.TB) *bundle.Bundle {
	t.Helper()
	x1 := make([]float64, testRows)
	x2 := make([]float64, testRows)
	y := make([]float64, testRows)
	for i := range testRows {
		x1[i] = float64(i%17) * 0.5
		x2[i] = float64(i%11) - 5
		y[i] = 2*x1[i] + x2[i]
	}
	f, err := frame.New([]string{"x1", "x2"}, []frame.Column{frame.NewNumeric(x1), frame.NewNumeric(x2)})
	require.NoError(t, err)
	pipe, err := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), feature.ForBoosting())
	require.NoError(t, err)
	X, err := pipe.Transform(f)
	require.NoError(t, err)
	m := &gbdt.Model{}
	require.NoError(t, m.SetParam("min_samples_leaf", "3"))
	require.NoError(t, m.Fit(context.Background(), &model.Problem{Task: model.Regression, Features: pipe.Outputs, X: X, Y: y}))
	return &bundle.Bundle{Header: bundle.Header{Task: "regression", Target: "y", Pipeline: pipe}, Estimator: m}
}

// testModels are fitted once and shared (Models are immutable).
type testModels struct {
	v1, v2, reg *Model
}

var (
	fitMu  sync.Mutex
	fitted *testModels
)

// models returns the test models, fitting them on first use.
func models(t testing.TB) testModels {
	t.Helper()
	fitMu.Lock()
	defer fitMu.Unlock()
	if fitted == nil {
		v1, err := NewModel("churn", 1, fitClassifier(t, 0, 20))
		require.NoError(t, err)
		v2, err := NewModel("churn", 2, fitClassifier(t, 3, 30))
		require.NoError(t, err)
		reg, err := NewModel("price", 1, fitRegressor(t))
		require.NoError(t, err)
		fitted = &testModels{v1: v1, v2: v2, reg: reg}
	}
	return *fitted
}

// fixture is a started server with a churn (v1) and a price endpoint.
type fixture struct {
	s      *Server
	url    string
	table  *Table
	reg    *prometheus.Registry
	client *http.Client
	ms     testModels
}

// setup starts a server on 127.0.0.1:0; opts adjust its Config.
func setup(t testing.TB, opts ...func(*Config)) *fixture {
	t.Helper()
	ms := models(t)
	churn, err := Single(&Variant{Name: "primary", Model: ms.v1})
	require.NoError(t, err)
	price, err := Single(&Variant{Name: "primary", Model: ms.reg})
	require.NoError(t, err)
	table, err := NewTable(map[string]*Route{"churn": churn, "price": price})
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	cfg := Config{Addr: "127.0.0.1:0", Router: table, Registerer: reg}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	f := &fixture{s: s, url: "http://" + s.Addr().String(), table: table, reg: reg, client: &http.Client{Transport: tr, Timeout: 20 * time.Second}, ms: ms}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		require.NoError(t, s.Stop())
	})
	return f
}

// do sends a request and returns the status and body.
func (f *fixture) do(t testing.TB, method, path, body string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// predict posts a simple JSON request to endpoint and decodes a 200 answer.
func (f *fixture) predict(t testing.TB, endpoint, body string, header ...string) PredictResponse {
	t.Helper()
	code, data := f.do(t, "POST", "/v1/endpoints/"+endpoint+"/predict", body, header...)
	require.Equal(t, http.StatusOK, code, "%s", data)
	var r PredictResponse
	require.NoError(t, json.Unmarshal(data, &r), "%s", data)
	return r
}

// errorOf decodes an error answer.
func errorOf(t testing.TB, data []byte) ErrorResponse {
	t.Helper()
	var e ErrorResponse
	require.NoError(t, json.NewDecoder(bytes.NewReader(data)).Decode(&e), "%s", data)
	return e
}

// goodRow is a valid churn row.
const goodRow = `{"tenure": 3, "spend": 12.5, "plan": "basic", "active": false, "signup": "2021-03-04T10:00:00Z"}`
