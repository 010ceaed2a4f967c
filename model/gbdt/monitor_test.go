package gbdt

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

func TestMonitorStopsBoosting(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	p := synthClassification(t, 1500, 6, 11)
	held := synthClassification(t, 400, 6, 12)
	var (
		iters []int
		last  []float64
	)
	var m Model
	m.MaxIter, m.Subsample, m.Seed, m.EarlyStopping = 100, 0.8, 3, EarlyStoppingOff
	m.SetMonitor(&model.Monitor{X: held.X, OnIteration: func(iter int, pred []float64) bool {
		iters = append(iters, iter)
		last = slices.Clone(pred)
		return iter == 10
	}})
	require.NoError(t, m.Fit(tb.ctx, p))
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, iters)
	require.Equal(t, 10, m.NIter())
	require.Len(t, m.fit.roots, 10, "one tree per iteration")
	require.Len(t, m.Curves()[0].Values, 10)

	// The stopped model is a valid model that predicts, and the monitor saw
	// its predictions bit for bit.
	pred := m.PredictTo(nil, held.X)
	require.Equal(t, last, pred)
	require.Greater(t, accuracy(&m, held), 0.7)

	// It predicts as a model fitted with max_iter 10.
	var ten Model
	ten.MaxIter, ten.Subsample, ten.Seed, ten.EarlyStopping = 10, 0.8, 3, EarlyStoppingOff
	require.NoError(t, ten.Fit(tb.ctx, p))
	require.Equal(t, ten.PredictTo(nil, held.X), pred)
	require.Equal(t, ten.Curves(), m.Curves())

	// Marshalling round-trips; the monitor is not part of the model.
	b, err := m.MarshalBinary()
	require.NoError(t, err)
	var back Model
	require.NoError(t, back.UnmarshalBinary(b))
	require.Equal(t, pred, back.PredictTo(nil, held.X))
}

func TestMonitorDoesNotChangeTheFit(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	p := synthClassification(t, 2000, 8, 5)
	held := synthClassification(t, 300, 8, 6)
	fit := func(mon *model.Monitor, es EarlyStopping) []byte {
		var m Model
		m.MaxIter, m.Subsample, m.Colsample, m.Seed, m.EarlyStopping = 40, 0.8, 0.7, 3, es
		m.SetMonitor(mon)
		require.NoError(t, m.Fit(tb.ctx, p))
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		return b
	}
	for _, es := range []EarlyStopping{EarlyStoppingOff, EarlyStoppingOn} {
		calls := 0
		watch := &model.Monitor{X: held.X, OnIteration: func(int, []float64) bool { calls++; return false }}
		require.Equal(t, fit(nil, es), fit(watch, es), "early_stopping %s", es)
		require.Positive(t, calls)
		// No rows: the monitor gets nil predictions, and still every iteration.
		var got []int
		none := &model.Monitor{OnIteration: func(iter int, pred []float64) bool {
			require.Nil(t, pred)
			got = append(got, iter)
			return false
		}}
		require.Equal(t, fit(nil, es), fit(none, es))
		require.Len(t, got, calls)
	}
}

func TestMonitorMulticlassAndRegression(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	n := 600
	r := newRNG(4, 4)
	x := model.NewMatrix(n, 3)
	yReg := make([]float64, n)
	yCls := make([]float64, n)
	for i := range n {
		row := x.Row(i)
		for j := range row {
			row[j] = r.float64()
		}
		yReg[i] = 3*row[0] + row[1]*row[2]
		yCls[i] = float64(min(int(row[0]*3), 2))
	}
	for _, p := range []*model.Problem{
		{Task: model.Regression, Features: features(3), X: x, Y: yReg},
		{Task: model.MulticlassClassification, Classes: 3, Features: features(3), X: x, Y: yCls},
	} {
		var last []float64
		var m Model
		m.MaxIter = 50
		m.SetMonitor(&model.Monitor{X: x, OnIteration: func(iter int, pred []float64) bool {
			last = slices.Clone(pred)
			return iter == 7
		}})
		require.NoError(t, m.Fit(tb.ctx, p))
		require.Equal(t, 7, m.NIter(), p.Task.String())
		require.Len(t, m.fit.roots, 7*max(p.Classes, 1), "one tree per class per iteration")
		require.Equal(t, m.PredictTo(nil, x), last, p.Task.String())
	}
}

func TestMonitorColumnMismatch(t *testing.T) {
	t.Parallel()
	p := synthClassification(t, 200, 4, 1)
	var m Model
	m.SetMonitor(&model.Monitor{X: model.NewMatrix(3, 5), OnIteration: func(int, []float64) bool { return false }})
	require.ErrorContains(t, m.Fit(setup(t).ctx, p), "monitored rows have 5 columns")
	require.Zero(t, m.Outputs())
}
