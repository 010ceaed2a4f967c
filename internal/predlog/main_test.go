package predlog

import (
	"context"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/serve"
	"mlw.dev/internal/store"
	"mlw.dev/model"
	"mlw.dev/model/baseline"
	"mlw.dev/model/bundle"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testRows are the rows the test models are fitted on.
const testRows = 40

// trainFrame returns a small churn-like frame: tenure and spend (numeric),
// plan (categorical) and active (boolean), and class codes of three
// classes.
func trainFrame(t testing.TB) (*frame.Frame, []float64) {
	t.Helper()
	tenure := make([]float64, testRows)
	spend := make([]float64, testRows)
	plan := make([]string, testRows)
	active := make([]bool, testRows)
	y := make([]float64, testRows)
	plans := []string{"basic", "pro", "team"}
	for i := range testRows {
		tenure[i] = float64(1 + (i*7)%72)
		spend[i] = float64((i*13)%50) + 0.5
		plan[i] = plans[i%len(plans)]
		active[i] = i%3 != 0
		y[i] = float64(i % 3)
	}
	tenure[5] = math.NaN()
	f, err := frame.New([]string{"tenure", "spend", "plan", "active"}, []frame.Column{
		frame.NewNumeric(tenure), frame.NewNumeric(spend), frame.NewCategoricalFromStrings(plan, nil), frame.NewBool(active, nil),
	})
	require.NoError(t, err)
	return f, y
}

// newModel fits est (a baseline, which is quick) behind a boosting pipeline
// on f and returns it as version 3 of name.
func newModel(t testing.TB, name string, f *frame.Frame, y []float64, task model.Task, classes []string, est model.Estimator) *serve.Model {
	t.Helper()
	pipe, err := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), feature.ForBoosting())
	require.NoError(t, err)
	X, err := pipe.Transform(f)
	require.NoError(t, err)
	require.NoError(t, est.Fit(context.Background(), &model.Problem{Task: task, Classes: len(classes), Features: pipe.Outputs, X: X, Y: y}))
	taskName := map[model.Task]string{model.Regression: "regression", model.BinaryClassification: "binary", model.MulticlassClassification: "multiclass"}[task]
	m, err := serve.NewModel(name, 3, &bundle.Bundle{Header: bundle.Header{Task: taskName, Target: "y", Classes: classes, Pipeline: pipe}, Estimator: est})
	require.NoError(t, err)
	return m
}

// testModels are fitted once and shared (Models are immutable).
type testModels struct {
	binary, multi, reg *serve.Model
}

var (
	fitOnce sync.Once
	fitted  testModels
)

// models returns a binary and a multiclass classifier and a regressor, all
// on the columns of trainFrame.
func models(t testing.TB) testModels {
	t.Helper()
	fitOnce.Do(func() {
		f, y := trainFrame(t)
		yb := make([]float64, len(y))
		for i, v := range y {
			yb[i] = min(v, 1)
		}
		fitted = testModels{
			binary: newModel(t, "churn", f, yb, model.BinaryClassification, []string{"stays", "churns"}, &baseline.Prior{}),
			multi:  newModel(t, "plan", f, y, model.MulticlassClassification, []string{"a", "b", "c"}, &baseline.Prior{}),
			reg:    newModel(t, "price", f, y, model.Regression, nil, &baseline.Mean{}),
		}
	})
	require.NotNil(t, fitted.reg, "fitting the test models failed")
	return fitted
}

// wideModel returns a binary classifier on 30 columns: 25 numeric and 5
// categorical, the shape of the benchmarks.
func wideModel(t testing.TB) *serve.Model {
	t.Helper()
	const d, cats = 30, 5
	names := make([]string, d)
	cols := make([]frame.Column, d)
	for j := range d {
		names[j] = "f" + strconv.Itoa(j)
		if j >= d-cats {
			v := make([]string, testRows)
			for i := range v {
				v[i] = "c" + strconv.Itoa((i+j)%4)
			}
			cols[j] = frame.NewCategoricalFromStrings(v, nil)
			continue
		}
		v := make([]float64, testRows)
		for i := range v {
			v[i] = float64((i*(j+3))%17) * 0.37
		}
		cols[j] = frame.NewNumeric(v)
	}
	f, err := frame.New(names, cols)
	require.NoError(t, err)
	y := make([]float64, testRows)
	for i := range y {
		y[i] = float64(i % 2)
	}
	return newModel(t, "wide", f, y, model.BinaryClassification, []string{"no", "yes"}, &baseline.Prior{})
}

// wideObservation is a prediction of rows rows of wideModel: a missing
// value, whole numbers and categories, and numbers with 6 decimals as
// clients send them (JSON text such as 0.123456), or arbitrary doubles (17
// significant digits) when precise is set.
func wideObservation(m *serve.Model, rows int, precise bool) *serve.Observation {
	const d, cats = 30, 5
	r := rand.New(rand.NewPCG(uint64(rows), 1))
	in := make([]feature.Value, rows*d)
	out := make([]float64, rows*2)
	codes := make([]int, rows)
	for i := range rows {
		for j := range d {
			v := &in[i*d+j]
			switch {
			case j == i%(d-cats):
				v.Missing = true
			case j >= d-cats:
				v.Str, v.IsStr = "c"+strconv.Itoa((i+j)%4), true
			case j%5 == 0:
				v.Num = float64(i + j)
			case precise:
				v.Num = r.NormFloat64()
			default:
				v.Num = math.Round(r.NormFloat64()*1e6) / 1e6
			}
		}
		p := float64(i%10) / 10
		out[2*i], out[2*i+1] = 1-p, p
		codes[i] = int(p + 0.5)
	}
	return &serve.Observation{
		Time: testTime, Endpoint: "wide", Variant: "primary", Model: m.Ref(), Source: m, RequestID: "req-1",
		Duration: 120 * time.Microsecond, Rows: rows, Inputs: in, Outputs: out, Width: 2, Classes: codes,
	}
}

// testTime is the time of the test observations.
var testTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeSink records the batches it accepts. LogPredictionsFunc, when set,
// runs first and may refuse the batch (or block).
type fakeSink struct {
	LogPredictionsFunc func(ctx context.Context, p *store.LogPredictionsParams) error

	mu      sync.Mutex
	batches [][]mlw.Prediction
	// accepted, when not nil, receives the size of every accepted batch; it
	// must be buffered enough for the test.
	accepted chan int
}

func (s *fakeSink) LogPredictions(ctx context.Context, p *store.LogPredictionsParams) error {
	if s.LogPredictionsFunc != nil {
		if err := s.LogPredictionsFunc(ctx, p); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.batches = append(s.batches, slices.Clone(p.Predictions))
	s.mu.Unlock()
	if s.accepted != nil {
		s.accepted <- len(p.Predictions)
	}
	return nil
}

// sizes returns the sizes of the accepted batches.
func (s *fakeSink) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n []int
	for _, b := range s.batches {
		n = append(n, len(b))
	}
	return n
}

// records returns every accepted record, in order.
func (s *fakeSink) records() []mlw.Prediction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Concat(s.batches...)
}

// newLogger returns a Logger on sink with cfg's other fields, closed at
// the end of the test if the test did not close it.
func newLogger(t testing.TB, sink Sink, cfg Config) *Logger {
	t.Helper()
	cfg.Sink = sink
	l, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	return l
}

// waitBatch returns the size of the next batch accepted, failing after a
// few seconds.
func waitBatch(t testing.TB, s *fakeSink) int {
	t.Helper()
	select {
	case n := <-s.accepted:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no batch written within 5 s")
		return 0
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// slogTo returns a text logger writing to w under mu.
func slogTo(mu *sync.Mutex, w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{mu, w}, nil))
}
