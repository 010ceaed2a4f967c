package serve

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/testutil/testmodels"
)

var (
	gbdt30Once  sync.Once
	gbdt30Model *Model
)

// gbdt30 is a 100-tree gradient-boosting classifier on 30 numeric columns,
// the model of the serving benchmark in bench/serve.
func gbdt30(tb testing.TB) *Model {
	tb.Helper()
	gbdt30Once.Do(func() {
		m, err := NewModel("synth", 1, testmodels.GBDT30(tb))
		require.NoError(tb, err)
		gbdt30Model = m
	})
	require.NotNil(tb, gbdt30Model)
	return gbdt30Model
}

// BenchmarkPredictCore is the per-request work after decoding: binding rows
// to the signature, the feature pipeline and the estimator. It allocates
// nothing once warm.
func BenchmarkPredictCore(b *testing.B) {
	for _, rows := range []int{1, 64} {
		b.Run("model=gbdt100x30/rows="+strconv.Itoa(rows), func(b *testing.B) {
			m := gbdt30(b)
			var bt batch
			require.NoError(b, decodePredict(testmodels.GBDT30Body(rows), &bt, limits{maxRows: 1024, maxDepth: 32}))
			var p prediction
			require.NoError(b, m.bind(&p, &bt))
			require.NoError(b, m.predict(&p, rows, time.Time{}))
			b.ReportAllocs()
			for b.Loop() {
				_ = m.bind(&p, &bt)
				_ = m.predict(&p, rows, time.Time{})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
	b.Run("model=churn/rows=1", func(b *testing.B) {
		m := models(b).v1
		var bt batch
		require.NoError(b, decodePredict([]byte(`{"instances": [`+goodRow+`]}`), &bt, limits{maxRows: 1024, maxDepth: 32}))
		var p prediction
		require.NoError(b, m.bind(&p, &bt))
		require.NoError(b, m.predict(&p, 1, time.Time{}))
		b.ReportAllocs()
		for b.Loop() {
			_ = m.bind(&p, &bt)
			_ = m.predict(&p, 1, time.Time{})
		}
	})
}

// BenchmarkDecodeInstances compares the hand-written decoder with
// encoding/json reading the same one-row, 30-column body.
func BenchmarkDecodeInstances(b *testing.B) {
	body := testmodels.GBDT30Body(1)
	b.Run("decoder=mlw", func(b *testing.B) {
		var bt batch
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := decodePredict(body, &bt, limits{maxRows: 1024, maxDepth: 32}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder=encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var req struct {
				Instances []map[string]any `json:"instances"`
			}
			if err := json.Unmarshal(body, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchWriter is a reusable ResponseWriter.
type benchWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }
func (w *benchWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// benchBody is a request body that can be rewound.
type benchBody struct{ bytes.Reader }

func (*benchBody) Close() error { return nil }

// BenchmarkHandler is one whole request through the server's handler (mux,
// decoding, prediction, encoding, metrics) without the network.
func BenchmarkHandler(b *testing.B) {
	m := gbdt30(b)
	route, err := Single(&Variant{Name: "primary", Model: m})
	require.NoError(b, err)
	table, err := NewTable(map[string]*Route{"synth": route})
	require.NoError(b, err)
	s, err := New(Config{Router: table})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Stop() })
	for _, proto := range []string{"predict", "infer"} {
		b.Run("protocol="+proto, func(b *testing.B) {
			body, path := testmodels.GBDT30Body(1), "/v1/endpoints/synth/predict"
			if proto == "infer" {
				path = "/v2/models/synth/infer"
				var sb strings.Builder
				sb.WriteString(`{"inputs": [{"name": "x", "shape": [1, 30], "datatype": "FP64", "data": [`)
				for j := range 30 {
					if j > 0 {
						sb.WriteString(", ")
					}
					sb.WriteString(strconv.FormatFloat(float64(j)/10-1.5, 'f', 6, 64))
				}
				sb.WriteString("]}]}")
				body = []byte(sb.String())
			}
			rb := &benchBody{}
			req, err := http.NewRequest("POST", "http://localhost"+path, rb)
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
		})
	}
}
