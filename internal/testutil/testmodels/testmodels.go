// Package testmodels builds the models tests and benchmarks share: fitted once
// per process and immutable, so tests may use them concurrently. (It is a
// package of its own because internal/testutil is imported by the model
// packages' tests, and this one imports a model package.)
package testmodels

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
	"mlw.dev/model/gbdt"
)

var (
	gbdt30Once   sync.Once
	gbdt30Bundle *bundle.Bundle
)

// GBDT30 is a 100-tree gradient-boosting classifier on 30 numeric columns
// f0…f29 (classes "0" and "1"), the model of the serving benchmarks
// (internal/serve, internal/predlog and bench/serve).
func GBDT30(tb testing.TB) *bundle.Bundle {
	tb.Helper()
	gbdt30Once.Do(func() {
		const n, d = 4000, 30
		r := rand.New(rand.NewPCG(1, 2))
		names := make([]string, d)
		cols := make([]frame.Column, d)
		x := make([][]float64, d)
		for j := range d {
			names[j] = "f" + strconv.Itoa(j)
			x[j] = make([]float64, n)
			for i := range n {
				x[j][i] = r.NormFloat64()
			}
			cols[j] = frame.NewNumeric(x[j])
		}
		y := make([]float64, n)
		for i := range n {
			if x[0][i]+x[1][i]*x[2][i]-x[3][i] > 0 {
				y[i] = 1
			}
		}
		f, err := frame.New(names, cols)
		require.NoError(tb, err)
		pipe, err := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), feature.ForBoosting())
		require.NoError(tb, err)
		X, err := pipe.Transform(f)
		require.NoError(tb, err)
		est := &gbdt.Model{}
		est.MaxIter, est.EarlyStopping = 100, gbdt.EarlyStoppingOff
		require.NoError(tb, est.Fit(context.Background(), &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: pipe.Outputs, X: X, Y: y}))
		gbdt30Bundle = &bundle.Bundle{Header: bundle.Header{Task: "binary", Classes: []string{"0", "1"}, Pipeline: pipe}, Estimator: est}
	})
	require.NotNil(tb, gbdt30Bundle, "the fixture failed to fit in an earlier test")
	return gbdt30Bundle
}

// GBDT30Body is a request in the simple JSON form for GBDT30: rows rows of
// f0…f29, numbers with six decimals as clients send them, the same for
// every call.
func GBDT30Body(rows int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString(`{"instances": [`)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('{')
		for j := range 30 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`"f` + strconv.Itoa(j) + `": ` + strconv.FormatFloat(r.NormFloat64(), 'f', 6, 64))
		}
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return []byte(b.String())
}
