package serve

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
)

func TestPredictMatchesBundle(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// The same rows through bundle.PredictFrame and through the server.
	when := []time.Time{time.Date(2021, 3, 4, 10, 0, 0, 0, time.UTC), time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2020, 1, 9, 23, 0, 0, 0, time.UTC)}
	live, err := frame.New([]string{"tenure", "spend", "plan", "active", "signup"}, []frame.Column{
		frame.NewNumeric([]float64{3, 60, math.NaN()}), frame.NewNumeric([]float64{12.5, 45, 20}),
		frame.NewCategoricalFromStrings([]string{"basic", "team", "pro"}, nil), frame.NewBool([]bool{false, true, true}, nil),
		frame.NewDatetimeFromTimes(when),
	})
	require.NoError(t, err)
	want, err := f.ms.v1.Bundle().PredictFrame(live)
	require.NoError(t, err)

	bodies := map[string]string{
		"instances": `{"instances": [` + goodRow + `,
			{"tenure": 60, "spend": 45, "plan": "team", "active": true, "signup": "2023-07-01"},
			{"tenure": null, "spend": 20, "plan": "pro", "active": true, "signup": "2020-01-09 23:00:00"}]}`,
		"dataframe_records": `{"dataframe_records": [` + goodRow + `,
			{"tenure": 60, "spend": 45, "plan": "team", "active": true, "signup": "2023-07-01"},
			{"tenure": null, "spend": 20, "plan": "pro", "active": true, "signup": "2020-01-09 23:00:00"}]}`,
		"dataframe_split": `{"dataframe_split": {"index": [0, 1, 2], "data": [[3, 12.5, "basic", false, "2021-03-04T10:00:00Z", "ignored"],
			[60, 45, "team", true, "2023-07-01", 1], [null, "20", "pro", true, "2020-01-09T23:00:00+00:00", null]],
			"columns": ["tenure", "spend", "plan", "active", "signup", "extra"]}}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := f.predict(t, "churn", body, "X-Request-Id", "req-"+name)
			require.Equal(t, []any{want.Labels[0], want.Labels[1], want.Labels[2]}, r.Predictions)
			require.Len(t, r.Probabilities, 3)
			for i := range 3 {
				require.Equal(t, want.Row(i), r.Probabilities[i], "row %d: the server predicts exactly what the bundle does", i)
			}
			require.Equal(t, []string{"stays", "churns"}, r.Classes)
			require.Equal(t, "churn@1", r.Model)
			require.Equal(t, "primary", r.Variant)
			require.Equal(t, "req-"+name, r.RequestID)
			require.Empty(t, r.Warnings)
		})
	}
}

func TestPredictRegressor(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.predict(t, "price", `{"instances": [{"x1": 4, "x2": -1}, {"x1": 0.5, "x2": 3, "unused": {"nested": [1, 2]}}]}`)
	require.Len(t, r.Predictions, 2)
	require.InDelta(t, 7.0, r.Predictions[0].(float64), 1.5, "y = 2 x1 + x2, roughly learned")
	require.Nil(t, r.Probabilities)
	require.Nil(t, r.Classes)
	require.NotEmpty(t, r.RequestID, "a request id is generated")
}

func TestUnknownCategories(t *testing.T) {
	t.Parallel()
	f := setup(t)
	row := `{"instances": [{"tenure": 3, "spend": 1, "plan": "platinum", "active": true, "signup": "2021-01-01"}]}`
	// v1 has no other bucket: the category is treated as missing.
	r := f.predict(t, "churn", row)
	require.Len(t, r.Warnings, 1)
	require.Contains(t, r.Warnings[0], `column plan: category "platinum" was not seen in training and is treated as missing`)
	// v2 kept 3 categories and groups the rest in an "other" bucket.
	v2, err := Single(&Variant{Name: "primary", Model: f.ms.v2})
	require.NoError(t, err)
	require.NoError(t, f.table.Set("churn2", v2))
	r = f.predict(t, "churn2", row)
	require.Len(t, r.Warnings, 1)
	require.Contains(t, r.Warnings[0], `goes to the model's "other" bucket`)
	// A rare category seen in training also goes to the other bucket, silently.
	r = f.predict(t, "churn2", strings.Replace(row, "platinum", "basic", 1))
	require.Empty(t, r.Warnings)
}

func TestInfer(t *testing.T) {
	t.Parallel()
	f := setup(t)
	named := `{"id": "abc", "inputs": [
		{"name": "tenure", "shape": [2], "datatype": "FP64", "data": [3, 60]},
		{"name": "spend", "shape": [2, 1], "datatype": "FP32", "data": [[12.5], [45]]},
		{"name": "plan", "shape": [2], "datatype": "BYTES", "data": ["basic", "team"]},
		{"name": "active", "shape": [2], "datatype": "BOOL", "data": [false, true]},
		{"name": "signup", "shape": [2], "datatype": "BYTES", "data": ["2021-03-04T10:00:00Z", "2023-07-01"]}]}`
	code, data := f.do(t, "POST", "/v2/models/churn/infer", named)
	require.Equal(t, http.StatusOK, code, "%s", data)
	var r InferResponse
	require.NoError(t, json.Unmarshal(data, &r))
	require.Equal(t, "churn", r.ModelName)
	require.Equal(t, "1", r.ModelVersion)
	require.Equal(t, "abc", r.ID)
	require.Equal(t, "churn@1", r.Parameters.Model)
	require.Equal(t, "primary", r.Parameters.Variant)
	require.Len(t, r.Outputs, 2)
	require.Equal(t, OutputPredict, r.Outputs[0].Name)
	require.Equal(t, "BYTES", r.Outputs[0].Datatype)
	require.Equal(t, []int{2}, r.Outputs[0].Shape)
	require.Equal(t, OutputProba, r.Outputs[1].Name)
	require.Equal(t, []int{2, 2}, r.Outputs[1].Shape)
	require.Len(t, r.Outputs[1].Data, 4)

	// The simple JSON form gives the same answer.
	p := f.predict(t, "churn", `{"instances": [`+goodRow+`, {"tenure": 60, "spend": 45, "plan": "team", "active": true, "signup": "2023-07-01"}]}`)
	require.Equal(t, p.Predictions, r.Outputs[0].Data)
	require.Equal(t, []any{p.Probabilities[0][0], p.Probabilities[0][1], p.Probabilities[1][0], p.Probabilities[1][1]}, r.Outputs[1].Data)

	// Only the outputs asked for.
	code, data = f.do(t, "POST", "/v2/models/churn/infer", strings.Replace(named, `"inputs"`, `"outputs": [{"name": "proba"}], "inputs"`, 1))
	require.Equal(t, http.StatusOK, code, "%s", data)
	r = InferResponse{}
	require.NoError(t, json.Unmarshal(data, &r))
	require.Len(t, r.Outputs, 1)
	require.Equal(t, OutputProba, r.Outputs[0].Name)

	// One [N, C] tensor in signature order (regressor: all numeric).
	code, data = f.do(t, "POST", "/v2/models/price/infer", `{"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP64", "data": [4, -1, 0.5, 3]}]}`)
	require.Equal(t, http.StatusOK, code, "%s", data)
	r = InferResponse{}
	require.NoError(t, json.Unmarshal(data, &r))
	require.Len(t, r.Outputs, 1)
	require.Equal(t, "FP64", r.Outputs[0].Datatype)
	p = f.predict(t, "price", `{"instances": [{"x1": 4, "x2": -1}, {"x1": 0.5, "x2": 3}]}`)
	require.Equal(t, p.Predictions, r.Outputs[0].Data)
	require.NotEmpty(t, r.ID, "the request id when the client sends none")
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.MaxBatch = 5; c.MaxBodyBytes = 64 << 10 })
	deep := `{"instances": [{"tenure": ` + strings.Repeat("[", 50000) + `]}]}`
	deepSkip := `{"other": ` + strings.Repeat(`{"a":`, 1000) + `1` + strings.Repeat("}", 1000) + `, "instances": [` + goodRow + `]}`
	rows := func(n int) string {
		return `{"instances": [` + strings.TrimSuffix(strings.Repeat(goodRow+",", n), ",") + `]}`
	}
	infer := func(inputs string) string { return `{"inputs": [` + inputs + `]}` }
	cases := []struct {
		name, path, body string
		code             int
		msg              string
	}{
		{"malformed", "predict", `{"instances": [{"tenure": 3,}]}`, 400, "malformed JSON at offset 28: want a string key"},
		{"truncated", "predict", `{"instances": [{"tenure": 3`, 400, "malformed JSON at offset 27: want ',' or '}', found the end of the body"},
		{"not json", "predict", `tenure=3`, 400, "malformed JSON at offset 0: want '{'"},
		{"empty body", "predict", ``, 400, "malformed JSON at offset 0"},
		{"trailing garbage", "predict", rows(1) + ` x`, 400, "unexpected 'x' after the JSON value"},
		{"bad escape", "predict", `{"instances": [{"plan": "a\q"}]}`, 400, `bad escape \q`},
		{"invalid utf8", "predict", "{\"instances\": [{\"plan\": \"\xff\"}]}", 400, "not valid UTF-8"},
		{"NaN", "predict", `{"instances": [{"tenure": NaN}]}`, 400, "NaN and Infinity are not allowed"},
		{"Infinity", "predict", `{"instances": [{"tenure": -Infinity}]}`, 400, "NaN and Infinity are not allowed"},
		{"NaN string", "predict", strings.Replace(rows(1), `"tenure": 3`, `"tenure": "NaN"`, 1), 400, `row 0: column tenure: want a finite number, got the string "NaN"`},
		{"huge number", "predict", strings.Replace(rows(1), `"tenure": 3`, `"tenure": 1e400`, 1), 400, "number 1e400 is out of range"},
		{"deeply nested", "predict", deep, 400, "JSON nested deeper than 32 levels (offset 55)"},
		{"array value", "predict", strings.Replace(rows(1), `"tenure": 3`, `"tenure": [3]`, 1), 400, "row 0: column tenure: want a number, string, boolean or null, got an array"},
		{"deeply nested skipped", "predict", deepSkip, 400, "JSON nested deeper than 32 levels"},
		{"wrong type", "predict", strings.Replace(rows(1), `"tenure": 3`, `"tenure": "three"`, 1), 400, `row 0: column tenure: want a finite number, got the string "three"`},
		{"boolean for number", "predict", strings.Replace(rows(1), `"tenure": 3`, `"tenure": true`, 1), 400, "row 0: column tenure: want a number, got true"},
		{"number for datetime", "predict", strings.Replace(rows(1), `"2021-03-04T10:00:00Z"`, `20210304`, 1), 400, "column signup: want an ISO 8601 date-time string"},
		{"bad datetime", "predict", strings.Replace(rows(1), `"2021-03-04T10:00:00Z"`, `"yesterday"`, 1), 400, `row 0: column signup: "yesterday" is not an ISO 8601 date-time`},
		{"missing column", "predict", `{"instances": [{"tenure": 3, "spend": 1, "plan": "pro", "active": true}]}`, 400, "row 0: column signup is missing"},
		{"duplicate column", "predict", `{"instances": [{"tenure": 3, "tenure": 4}]}`, 400, "row 0: column tenure appears twice"},
		{"row not an object", "predict", `{"instances": [[1, 2]]}`, 400, "instances[0]: want an object of column values"},
		{"no instances", "predict", `{"rows": []}`, 400, `the body needs "instances"`},
		{"empty instances", "predict", `{"instances": []}`, 400, "instances is empty"},
		{"both forms", "predict", `{"instances": [], "dataframe_split": {}}`, 400, `both "instances" and "dataframe_split"`},
		{"split ragged", "predict", `{"dataframe_split": {"columns": ["tenure", "spend"], "data": [[1, 2], [3]]}}`, 400, "data[1] has 1 values, columns names 2"},
		{"split no columns", "predict", `{"dataframe_split": {"data": [[1]]}}`, 400, `"columns" is missing`},
		{"too many rows", "predict", rows(6), 413, "more than 5 rows"},
		{"body too large", "predict", `{"instances": [` + strings.Repeat(" ", 70<<10) + `]}`, 413, "larger than 65536 bytes"},
		{"unknown endpoint", "predict", rows(1), 404, `endpoint "nope" is not deployed`},
		{"infer no inputs", "infer", `{"inputs": []}`, 400, `"inputs" is missing or empty`},
		{"infer bad datatype", "infer", infer(`{"name": "tenure", "shape": [1], "datatype": "COMPLEX", "data": [1]}`), 400, `datatype "COMPLEX" is not supported`},
		{"infer shape mismatch", "infer", infer(`{"name": "tenure", "shape": [2], "datatype": "FP64", "data": [1, 2, 3]}`), 400, "input tenure: shape [2] holds 2 values, data has 3"},
		{"infer rows differ", "infer", infer(`{"name": "tenure", "shape": [2], "datatype": "FP64", "data": [1, 2]}, {"name": "spend", "shape": [1], "datatype": "FP64", "data": [1]}`), 400, "input spend has 1 rows, input tenure has 2"},
		{"infer 3-D", "infer", infer(`{"name": "x", "shape": [1, 1, 1], "datatype": "FP64", "data": [1]}`), 400, "want [N] or [N, C], got more than 2 dimensions"},
		{"infer wrong width", "infer", infer(`{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}`), 400, "the input tensor has 3 columns, model churn@1 expects 5"},
		{"infer datatype vs data", "infer", infer(`{"name": "tenure", "shape": [1], "datatype": "FP64", "data": ["3"]}`), 400, "input tenure: datatype FP64 needs numbers, data[0] is a string"},
		{"infer fractional int", "infer", infer(`{"name": "tenure", "shape": [1], "datatype": "INT64", "data": [1.5]}`), 400, "datatype INT64 needs integers, data[0] is 1.5"},
		{"infer no data", "infer", infer(`{"name": "tenure", "shape": [1], "datatype": "FP64"}`), 400, "input tenure has no data"},
		{"infer missing column", "infer", infer(`{"name": "tenure", "shape": [1], "datatype": "FP64", "data": [1]}`), 400, "row 0: column spend is missing"},
		{"infer unknown output", "infer", `{"outputs": [{"name": "logits"}], "inputs": []}`, 400, `unknown output "logits"`},
		{"infer too many rows", "infer", infer(`{"name": "tenure", "shape": [6], "datatype": "FP64", "data": [1,2,3,4,5,6]}`), 413, "more than 5 rows"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := "/v1/endpoints/churn/predict"
			if tc.path == "infer" {
				path = "/v2/models/churn/infer"
			}
			if tc.name == "unknown endpoint" {
				path = "/v1/endpoints/nope/predict"
			}
			code, data := f.do(t, "POST", path, tc.body, "X-Request-Id", "bad-1")
			require.Equal(t, tc.code, code, "%s", data)
			e := errorOf(t, data)
			require.Contains(t, e.Error, tc.msg)
			require.Equal(t, "bad-1", e.RequestID)
			// The server keeps serving.
			f.predict(t, "churn", rows(1))
		})
	}
	t.Run("proba of a regressor", func(t *testing.T) {
		t.Parallel()
		code, data := f.do(t, "POST", "/v2/models/price/infer", `{"outputs": [{"name": "proba"}], "inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]}]}`)
		require.Equal(t, http.StatusBadRequest, code)
		require.Contains(t, errorOf(t, data).Error, "model price@1 is a regressor")
	})
}

func TestHugeBodies(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, chunked := range []bool{false, true} {
		name := map[bool]string{false: "content-length", true: "chunked"}[chunked]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, data := sendHuge(t, f.s.Addr().String(), 100<<20, chunked)
			require.Equal(t, http.StatusRequestEntityTooLarge, code, "%s", data)
			require.Contains(t, errorOf(t, data).Error, "larger than 1048576 bytes")
			f.predict(t, "churn", `{"instances": [`+goodRow+`]}`)
		})
	}
}

func TestMetadataAndHealth(t *testing.T) {
	t.Parallel()
	f := setup(t)
	code, data := f.do(t, "GET", "/v2/models/churn", "")
	require.Equal(t, http.StatusOK, code, "%s", data)
	var md ModelMetadata
	require.NoError(t, json.Unmarshal(data, &md))
	require.Equal(t, "churn", md.Name)
	require.Equal(t, []string{"1"}, md.Versions)
	require.Equal(t, "mlw", md.Platform)
	require.Len(t, md.Inputs, 5)
	byName := map[string]TensorMetadata{}
	for _, in := range md.Inputs {
		byName[in.Name] = in
	}
	require.Equal(t, "FP64", byName["tenure"].Datatype)
	require.Equal(t, []int{-1}, byName["tenure"].Shape)
	require.Equal(t, "BYTES", byName["plan"].Datatype)
	require.Equal(t, "missing", byName["plan"].Parameters.UnknownCategory)
	require.Contains(t, byName["plan"].Parameters.Categories, "basic")
	require.Equal(t, "BOOL", byName["active"].Datatype)
	require.Equal(t, "ISO 8601", byName["signup"].Parameters.Format)
	require.Equal(t, []TensorMetadata{
		{Name: "predict", Datatype: "BYTES", Shape: []int{-1}},
		{Name: "proba", Datatype: "FP64", Shape: []int{-1, 2}},
	}, md.Outputs)
	require.Equal(t, "churn@1", md.Parameters.Model)
	require.Equal(t, []VariantSummary{{Name: "primary", Model: "churn@1", Weight: 1}}, md.Parameters.Variants)

	for path, want := range map[string]string{
		"/v2/health/live": `{"live":true}`, "/v2/health/ready": `{"ready":true}`, "/healthz": `{"status":"ok"}`,
		"/v2/models/churn/ready": `{"ready":true,"name":"churn"}`, "/v2": `{"name":"mlw","version":"dev","extensions":[]}`,
	} {
		code, data := f.do(t, "GET", path, "")
		require.Equal(t, http.StatusOK, code, path)
		require.JSONEq(t, want, string(data), path)
	}
	code, data = f.do(t, "GET", "/v2/models/nope/ready", "")
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, mlw.ENOTFOUND, errorOf(t, data).Code)

	// No endpoint: alive but not ready.
	require.NoError(t, f.table.Replace(nil))
	code, data = f.do(t, "GET", "/v2/health/ready", "")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, errorOf(t, data).Error, "no endpoint is deployed")
	code, _ = f.do(t, "GET", "/v2/health/live", "")
	require.Equal(t, http.StatusOK, code)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for range 3 {
		f.predict(t, "churn", `{"instances": [`+goodRow+`]}`)
	}
	f.do(t, "POST", "/v1/endpoints/churn/predict", `{"instances": [{"tenure": NaN}]}`)
	f.do(t, "POST", "/v1/endpoints/nope/predict", `{}`)
	m := f.s.Metrics()
	require.Equal(t, 3.0, testutil.ToFloat64(m.requests.WithLabelValues("churn", "churn@1", "primary", "200")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("churn", "", "", "400")), "decoding failed before a variant was picked")
	require.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("", "", "", "404")), "unknown endpoints are not labelled by name")
	require.Equal(t, 1.0, testutil.ToFloat64(m.errors.WithLabelValues("churn", mlw.EINVALID)))
	require.Equal(t, 1.0, testutil.ToFloat64(m.errors.WithLabelValues("", mlw.ENOTFOUND)))
	require.Equal(t, 0.0, testutil.ToFloat64(m.panics))
	require.Equal(t, 0.0, testutil.ToFloat64(m.inFlight))

	code, data := f.do(t, "GET", "/metrics", "")
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`mlw_serve_requests_total{code="200",endpoint="churn",variant="primary",version="churn@1"} 3`,
		`mlw_serve_request_duration_seconds_count{endpoint="churn",variant="primary",version="churn@1"} 3`,
		`mlw_serve_errors_total{code="invalid",endpoint="churn"} 1`,
		`mlw_serve_panics_total 0`,
	} {
		require.Contains(t, string(data), want)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.Token = "s3cret" })
	body := `{"instances": [` + goodRow + `]}`
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "s3cret"}} {
		code, data := f.do(t, "POST", "/v1/endpoints/churn/predict", body, h...)
		require.Equal(t, http.StatusUnauthorized, code)
		require.Equal(t, codeUnauthorized, errorOf(t, data).Code)
	}
	code, _ := f.do(t, "GET", "/v2/models/churn", "")
	require.Equal(t, http.StatusUnauthorized, code, "metadata needs the token too")
	f.predict(t, "churn", body, "Authorization", "Bearer s3cret")
	code, _ = f.do(t, "GET", "/v2/health/ready", "")
	require.Equal(t, http.StatusOK, code, "health stays open")
}

// panicRouter panics on every lookup.
type panicRouter struct{ Router }

func (panicRouter) Route(string) (*Route, error) { panic("router exploded") }

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	f := setup(t)
	s, err := New(Config{Router: panicRouter{f.table}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Stop()) })
	for i := range 2 {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/v1/endpoints/churn/predict", strings.NewReader(`{}`)))
		require.Equal(t, http.StatusInternalServerError, w.Code)
		e := errorOf(t, w.Body.Bytes())
		require.Equal(t, mlw.EINTERNAL, e.Code)
		require.NotContains(t, e.Error, "exploded", "internal details are not shown")
		require.Equal(t, float64(i+1), testutil.ToFloat64(s.Metrics().panics))
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/v2/health/live", nil))
	require.Equal(t, http.StatusOK, w.Code, "the server keeps serving")
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.predict(t, "churn", `{"instances": [`+goodRow+`]}`)
	b := f.predict(t, "churn", `{"instances": [`+goodRow+`]}`, "X-Request-Id", "bad id with spaces")
	require.NotEqual(t, a.RequestID, b.RequestID)
	require.NotContains(t, b.RequestID, " ", "an unprintable client id is replaced")
	c := f.predict(t, "churn", `{"instances": [`+goodRow+`]}`, "X-Request-Id", "trace-42")
	require.Equal(t, "trace-42", c.RequestID)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{},
		{Router: &Table{}, Addr: "nonsense"},
		{Router: &Table{}, MaxBatch: -1},
		{Router: &Table{}, MaxDepth: 2},
	} {
		_, err := New(cfg)
		require.Error(t, err)
		require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	}
	s, err := New(Config{Router: &Table{}})
	require.NoError(t, err)
	require.Equal(t, DefaultAddr, s.cfg.Addr, "loopback by default")
	require.NoError(t, s.Stop())
}

func TestAdminMount(t *testing.T) {
	t.Parallel()
	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"admin":"` + r.URL.Path + `"}`)) })
	_, err := New(Config{Router: &Table{}, Admin: admin})
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err), "an admin handler without a token is refused")
	f := setup(t, func(c *Config) { c.Admin, c.AdminToken = admin, "adm1n" })
	code, data := f.do(t, "POST", "/v1/admin/deploy", "")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, codeUnauthorized, errorOf(t, data).Code)
	code, _ = f.do(t, "POST", "/v1/admin/deploy", "", "Authorization", "Bearer wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	code, data = f.do(t, "POST", "/v1/admin/deploy", "", "Authorization", "Bearer adm1n")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"admin":"/v1/admin/deploy"}`, string(data))
}

// TestFastRoute checks that prediction requests routed without the mux
// and those the mux routes (escaped paths, other methods) are answered
// alike.
func TestFastRoute(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path string
		name string
		ok   bool
	}{
		{"/v1/endpoints/churn/predict", "churn", true},
		{"/v1/endpoints/a-b_c.1/predict", "a-b_c.1", true},
		{"/v1/endpoints//predict", "", false},
		{"/v1/endpoints/./predict", "", false},
		{"/v1/endpoints/../predict", "", false},
		{"/v1/endpoints/-a/predict", "", false},
		{"/v1/endpoints/a/b/predict", "", false},
		{"/v1/endpoints/a%20b/predict", "", false},
		{"/v1/endpoints/churn/predict/", "", false},
		{"/v1/endpoints/churn/infer", "", false},
		{"/v2/endpoints/churn/predict", "", false},
	} {
		name, ok := pathName(tc.path, "/v1/endpoints/", "/predict")
		require.Equal(t, tc.ok, ok, tc.path)
		require.Equal(t, tc.name, name, tc.path)
	}

	f := setup(t)
	body := `{"instances": [` + goodRow + `]}`
	code, fast := f.do(t, "POST", "/v1/endpoints/churn/predict", body, "X-Request-Id", "r1")
	require.Equal(t, http.StatusOK, code, "%s", fast)
	code, mux := f.do(t, "POST", "/v1/endpoints/%63hurn/predict", body, "X-Request-Id", "r1") // escaped: the mux
	require.Equal(t, http.StatusOK, code, "%s", mux)
	require.JSONEq(t, string(fast), string(mux))
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/v1/endpoints/nope/predict", http.StatusNotFound},
		{"POST", "/v1/endpoints/n%6Fpe/predict", http.StatusNotFound},
		{"POST", "/v1/endpoints/x%2Fy/predict", http.StatusNotFound},
		{"GET", "/v1/endpoints/churn/predict", http.StatusMethodNotAllowed},
		{"POST", "/v2/models/churn/infer", http.StatusBadRequest}, // the simple form is not an infer request
		{"POST", "/v2/models/nope/infer", http.StatusNotFound},
	} {
		code, data := f.do(t, tc.method, tc.path, body)
		require.Equal(t, tc.status, code, "%s %s: %s", tc.method, tc.path, data)
	}
}
