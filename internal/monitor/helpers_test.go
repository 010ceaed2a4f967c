package monitor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
	"mlw.dev/model/bundle"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// t0 is the start of every test window.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// spec describes a synthetic dataset: numeric features x0..x{n-1}, each
// normal with mean shift[j] and standard deviation 1, and optionally a
// categorical feature "plan" drawn from plans with the given weights.
type spec struct {
	numeric int
	shift   map[int]float64 // feature → mean
	plans   []string
	weights []float64
	missing float64 // share of missing values of x0
}

func (s spec) names() []string {
	var names []string
	for j := range s.numeric {
		names = append(names, fmt.Sprintf("x%d", j))
	}
	if s.plans != nil {
		names = append(names, "plan")
	}
	return names
}

// sample draws n rows: numeric columns and the plan column (as strings).
func (s spec) sample(rng *rand.Rand, n int) ([][]float64, []string) {
	num := make([][]float64, s.numeric)
	for j := range num {
		num[j] = make([]float64, n)
		for i := range n {
			num[j][i] = rng.NormFloat64() + s.shift[j]
			if j == 0 && s.missing > 0 && rng.Float64() < s.missing {
				num[j][i] = math.NaN()
			}
		}
	}
	var plan []string
	if s.plans != nil {
		plan = make([]string, n)
		for i := range plan {
			u, acc := rng.Float64(), 0.0
			plan[i] = s.plans[len(s.plans)-1]
			for k, w := range s.weights {
				if acc += w; u < acc {
					plan[i] = s.plans[k]
					break
				}
			}
		}
	}
	return num, plan
}

// testBundle returns a binary classifier bundle (no estimator: monitoring
// reads only the header) whose signature and reference come from n rows of
// s drawn with seed. The reference predictions score each row with a
// logistic function of x0.
func testBundle(tb testing.TB, s spec, n int, seed uint64) *bundle.Bundle {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	num, plan := s.sample(rng, n)
	var cols []frame.Column
	for _, x := range num {
		cols = append(cols, frame.NewNumeric(x))
	}
	if plan != nil {
		cols = append(cols, frame.NewCategoricalFromStrings(plan, nil))
	}
	f, err := frame.New(s.names(), cols)
	require.NoError(tb, err)
	pipe, err := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), feature.ForBoosting())
	require.NoError(tb, err)
	require.Len(tb, pipe.Inputs, len(s.names()))
	b := &bundle.Bundle{Header: bundle.Header{FormatVersion: bundle.FormatVersion, Kind: "gbdt", Task: "binary", Target: "y",
		Classes: []string{"no", "yes"}, Pipeline: pipe}}
	preds := &bundle.Predictions{Rows: n, Outputs: 2, Values: make([]float64, 2*n), Labels: make([]string, n), Codes: make([]int, n)}
	for i := range n {
		p := score(num[0][i])
		preds.Values[2*i], preds.Values[2*i+1] = 1-p, p
		if p >= 0.5 {
			preds.Labels[i], preds.Codes[i] = "yes", 1
		} else {
			preds.Labels[i] = "no"
		}
	}
	b.Reference = b.NewReference(f, preds)
	return b
}

// score is the test model: P(yes) = logistic(x0), 0.5 when x0 is missing.
func score(x0 float64) float64 {
	if math.IsNaN(x0) {
		return 0.5
	}
	return 1 / (1 + math.Exp(-x0))
}

// traffic returns n single-row requests of s drawn with seed, spread
// evenly over one hour from t0 and served by model@version, with
// predictions from score.
func traffic(s spec, n int, seed uint64, model string, version int) []*mlw.Prediction {
	rng := rand.New(rand.NewPCG(seed, 2))
	num, plan := s.sample(rng, n)
	preds := make([]*mlw.Prediction, n)
	var buf []byte
	for i := range n {
		buf = append(buf[:0], '[')
		for j := range num {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONNumber(buf, num[j][i])
		}
		if plan != nil {
			buf = strconv.AppendQuote(append(buf, ','), plan[i])
		}
		buf = append(buf, ']')
		p := score(num[0][i])
		out := "no"
		if p >= 0.5 {
			out = "yes"
		}
		preds[i] = &mlw.Prediction{RequestID: fmt.Sprintf("%s-%d-%d", model, seed, i), Endpoint: "churn", Model: model, Version: version,
			Variant: "main", At: t0.Add(time.Duration(i) * time.Hour / time.Duration(n)), Latency: 5 * time.Millisecond,
			Inputs: append([]byte(nil), buf...), Output: out, Score: p}
	}
	return preds
}

func appendJSONNumber(buf []byte, v float64) []byte {
	if math.IsNaN(v) {
		return append(buf, "null"...)
	}
	return strconv.AppendFloat(buf, v, 'g', -1, 64)
}

// hour is the window of traffic.
func hour(preds []*mlw.Prediction, models map[string]*bundle.Bundle) Input {
	return Input{Endpoint: "churn", From: t0, To: t0.Add(time.Hour), Predictions: preds, Models: models}
}

// driftOfFeature returns the drift entry of a feature.
func driftOfFeature(tb testing.TB, r *Report, name string) Drift {
	tb.Helper()
	for _, d := range r.Drift {
		if d.Feature == name {
			return d
		}
	}
	tb.Fatalf("no drift entry for %s", name)
	return Drift{}
}

// qualityOf returns the data-quality entry of a feature.
func qualityOf(tb testing.TB, r *Report, name string) Quality {
	tb.Helper()
	for _, q := range r.DataQuality {
		if q.Feature == name {
			return q
		}
	}
	tb.Fatalf("no data quality entry for %s", name)
	return Quality{}
}
