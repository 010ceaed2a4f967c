package deploy

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/internal/artifact"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/serve"
	"mlw.dev/internal/store"
	"mlw.dev/internal/store/sqlite"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
	"mlw.dev/model/gbdt"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testRows = 200

// fitBundle fits a small churn classifier on tenure (numeric) and plan
// (categorical); rounds varies the model so versions differ.
func fitBundle(t testing.TB, rounds int) []byte {
	t.Helper()
	tenure := make([]float64, testRows)
	plan := make([]string, testRows)
	y := make([]float64, testRows)
	plans := []string{"basic", "pro", "team"}
	for i := range testRows {
		tenure[i] = float64(1 + (i*7)%72)
		plan[i] = plans[i%3]
		if tenure[i] < 20 && plan[i] == "basic" || tenure[i] > 60 {
			y[i] = 1
		}
	}
	f, err := frame.New([]string{"tenure", "plan"}, []frame.Column{frame.NewNumeric(tenure), frame.NewCategoricalFromStrings(plan, nil)})
	require.NoError(t, err)
	pipe, err := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), feature.ForBoosting())
	require.NoError(t, err)
	X, err := pipe.Transform(f)
	require.NoError(t, err)
	m := &gbdt.Model{}
	require.NoError(t, m.SetParam("min_samples_leaf", "5"))
	require.NoError(t, m.SetParam("max_iter", strconv.Itoa(rounds)))
	require.NoError(t, m.Fit(context.Background(), &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: pipe.Outputs, X: X, Y: y}))
	b := &bundle.Bundle{Header: bundle.Header{Task: "binary", Target: "churn", Classes: []string{"stays", "churns"}, Pipeline: pipe}, Estimator: m}
	b.Reference = b.NewReference(f, b.PredictMatrix(X))
	data, err := b.Bytes()
	require.NoError(t, err)
	return data
}

// env is a store with model churn versions 1..3 registered and a service
// with a settable clock.
type env struct {
	t      *testing.T // for helpers called without one
	st     store.Store
	blobs  *artifact.Store
	svc    *Service
	loader *Loader
	mu     sync.Mutex
	now    time.Time
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	blobs, err := artifact.Open(ctx, "mem://")
	require.NoError(t, err)
	t.Cleanup(func() { blobs.Close() })
	e := &env{st: st, blobs: blobs, now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	for v, rounds := range []int{5, 12, 20} {
		info, err := blobs.PutBytes(ctx, fitBundle(t, rounds))
		require.NoError(t, err)
		id := fmt.Sprintf("r-%d", v+1)
		_, err = st.CreateRun(ctx, &store.CreateRunParams{Run: mlw.Run{ID: id, Kind: "train", Status: mlw.RunFinished, StartedAt: e.now}})
		require.NoError(t, err)
		_, err = st.CreateModelVersion(ctx, &store.CreateModelVersionParams{Version: mlw.ModelVersion{Name: "churn", RunID: id, ArtifactKey: info.Key, CreatedBy: "test"}})
		require.NoError(t, err)
	}
	e.loader = &Loader{Blobs: blobs}
	e.svc = &Service{Store: st, Now: e.clock, Actor: "tester", Verify: VerifyWith(e.loader)}
	return e
}

// deploy applies a request and fails the test on error.
func (e *env) deploy(t *testing.T, r Request) *mlw.Deployment {
	t.Helper()
	r.Endpoint = cmpOr(r.Endpoint, "churn")
	d, err := e.svc.Deploy(context.Background(), r)
	require.NoError(t, err)
	return d
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// spec returns the endpoint's live spec.
func (e *env) spec(t *testing.T) (*mlw.Deployment, *Spec) {
	t.Helper()
	d, s, err := e.svc.Current(context.Background(), "churn")
	require.NoError(t, err)
	return d, s
}

// log appends prediction records for a variant: n requests of one row,
// errs of them failed, with latency lat and the given score and output.
func (e *env) log(t *testing.T, variant string, version, n, errs int, lat time.Duration, score float64, output, label string) {
	if t == nil {
		t = e.t
	}
	t.Helper()
	recs := make([]mlw.Prediction, n)
	for i := range recs {
		p := mlw.Prediction{
			RequestID: fmt.Sprintf("%s-%d-%d", variant, version, i), Endpoint: "churn", Model: "churn", Version: version,
			Variant: variant, At: e.clock().Add(-time.Second), Latency: lat, Score: score + float64(i%10)*0.01, Output: output,
			Inputs: []byte(`[3,"basic"]`), Proba: []byte(`[0.5,0.5]`),
		}
		if i < errs {
			p.Error, p.Inputs, p.Output, p.Proba = "column tenure is missing", nil, "", nil
		}
		recs[i] = p
	}
	require.NoError(t, e.st.LogPredictions(context.Background(), &store.LogPredictionsParams{Predictions: recs}))
	if label != "" {
		fb := make([]mlw.Feedback, 0, n)
		for i := errs; i < n; i++ {
			fb = append(fb, mlw.Feedback{Endpoint: "churn", RequestID: recs[i].RequestID, Label: label})
		}
		require.NoError(t, e.st.RecordFeedback(context.Background(), &store.RecordFeedbackParams{Feedback: fb}))
	}
}

// route returns what the table serves for churn after a sync.
func (e *env) served(t *testing.T, sy *Syncer) []string {
	t.Helper()
	require.NoError(t, sy.Sync(context.Background()))
	r, err := sy.Table.Route("churn")
	require.NoError(t, err)
	var out []string
	cfg := r.Config()
	for i, v := range cfg.Variants {
		s := v.Name + "=" + v.Model.Ref()
		if len(cfg.Variants) > 1 {
			s += fmt.Sprintf(":%d", cfg.Weights[i])
		}
		out = append(out, s)
	}
	for _, v := range cfg.Shadows {
		out = append(out, "shadow "+v.Name+"="+v.Model.Ref())
	}
	return out
}

func (e *env) syncer() *Syncer {
	return &Syncer{Store: e.st, Loader: e.loader, Table: &serve.Table{}}
}

// actions returns the audit actions on the endpoint.
func (e *env) actions(t *testing.T) []string {
	t.Helper()
	evs, err := e.st.ListAudit(context.Background(), &store.ListAuditParams{Target: "endpoint/churn"})
	require.NoError(t, err)
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Action)
	}
	return out
}
