package predlog

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/feature"
	"mlw.dev/internal/serve"
	"mlw.dev/internal/store"
	"mlw.dev/internal/testutil/testmodels"
)

// discard is a sink that accepts everything.
type discard struct{}

func (discard) LogPredictions(context.Context, *store.LogPredictionsParams) error { return nil }

// BenchmarkObserve is the cost of logging on the request path: converting
// an observation to records and queueing them, with the writer running on
// a sink that accepts everything.
func BenchmarkObserve(b *testing.B) {
	cases := []struct {
		name string
		obs  func(rows int) *serve.Observation
	}{
		{"model=classifier/features=30/values=client", func(rows int) *serve.Observation { return wideObservation(sharedWide(b), rows, false) }},
		{"model=classifier/features=30/values=precise", func(rows int) *serve.Observation { return wideObservation(sharedWide(b), rows, true) }},
		{"model=regressor/features=4", func(rows int) *serve.Observation { return regressorObservation(models(b).reg, rows) }},
	}
	for _, c := range cases {
		for _, rows := range []int{1, 64} {
			b.Run(c.name+"/rows="+strconv.Itoa(rows), func(b *testing.B) {
				l, err := New(Config{Sink: discard{}})
				require.NoError(b, err)
				require.NoError(b, l.Start(context.Background()))
				o := c.obs(rows)
				b.ReportAllocs()
				for b.Loop() {
					l.Observe(o)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
				require.NoError(b, l.Close(context.Background()))
				b.ReportMetric(float64(l.Dropped())/float64(l.Dropped()+l.Logged()), "dropped/record")
			})
		}
	}
}

// BenchmarkConvert is the conversion of one 30-column row alone, without
// the queue.
func BenchmarkConvert(b *testing.B) {
	for _, precise := range []bool{false, true} {
		name := "values=client"
		if precise {
			name = "values=precise"
		}
		b.Run(name, func(b *testing.B) {
			o := wideObservation(sharedWide(b), 1, precise)
			var c conversion
			c.init(o)
			var e encoder
			b.ReportAllocs()
			for b.Loop() {
				e.convert(&c, o, 0, 1)
			}
		})
	}
}

// regressorObservation is a prediction of rows rows of the test regressor.
func regressorObservation(m *serve.Model, rows int) *serve.Observation {
	in := make([]feature.Value, 0, rows*4)
	out := make([]float64, rows)
	for i := range rows {
		in = append(in, feature.Value{Num: float64(i % 70)}, feature.Value{Num: float64(i%50) + 0.5},
			feature.Value{Str: "pro", IsStr: true}, feature.Value{Str: "true", IsStr: true})
		out[i] = 1.1234 + float64(i)*0.01
	}
	return &serve.Observation{
		Time: testTime, Endpoint: "price", Variant: "primary", Model: m.Ref(), Source: m, RequestID: "req-1",
		Rows: rows, Inputs: in, Outputs: out, Width: 1,
	}
}

var (
	gbdt30Once  sync.Once
	gbdt30Model *serve.Model
)

// gbdt30 is a 100-tree gradient-boosting classifier on 30 numeric columns,
// the model of internal/serve's BenchmarkHandler and of bench/serve.
func gbdt30(tb testing.TB) *serve.Model {
	tb.Helper()
	gbdt30Once.Do(func() {
		m, err := serve.NewModel("synth", 1, testmodels.GBDT30(tb))
		require.NoError(tb, err)
		gbdt30Model = m
	})
	require.NotNil(tb, gbdt30Model)
	return gbdt30Model
}

// benchWriter is a reusable ResponseWriter.
type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }

// benchBody is a request body that can be rewound.
type benchBody struct{ bytes.Reader }

func (*benchBody) Close() error { return nil }

// BenchmarkHandler is one whole request through the server's handler
// (mux, decoding, prediction, encoding, metrics; no network), without and
// with the prediction log: the logging overhead of the serving path, as
// internal/serve's BenchmarkHandler measures it.
func BenchmarkHandler(b *testing.B) {
	m := gbdt30(b)
	for _, rows := range []int{1, 64} {
		body := testmodels.GBDT30Body(rows)
		for _, logged := range []bool{false, true} {
			b.Run("rows="+strconv.Itoa(rows)+"/log="+strconv.FormatBool(logged), func(b *testing.B) {
				route, err := serve.Single(&serve.Variant{Name: "primary", Model: m})
				require.NoError(b, err)
				table, err := serve.NewTable(map[string]*serve.Route{"synth": route})
				require.NoError(b, err)
				cfg := serve.Config{Router: table}
				var l *Logger
				if logged {
					l, err = New(Config{Sink: discard{}})
					require.NoError(b, err)
					require.NoError(b, l.Start(context.Background()))
					cfg.Observer = l
				}
				s, err := serve.New(cfg)
				require.NoError(b, err)
				rb := &benchBody{}
				req, err := http.NewRequest("POST", "http://localhost/v1/endpoints/synth/predict", rb)
				require.NoError(b, err)
				req.ContentLength = int64(len(body))
				w := &benchWriter{h: http.Header{}}
				h := s.Handler()
				b.ReportAllocs()
				for b.Loop() {
					rb.Reset(body)
					clear(w.h)
					h.ServeHTTP(w, req)
					if w.code != 0 && w.code != http.StatusOK {
						b.Fatalf("status %d", w.code)
					}
				}
				require.NoError(b, s.Stop())
				if l != nil {
					require.NoError(b, l.Close(context.Background()))
					require.Zero(b, l.Dropped())
				}
			})
		}
	}
}
