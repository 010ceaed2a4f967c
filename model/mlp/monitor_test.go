package mlp

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

func TestMonitorStopsTraining(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := synthetic(400, 4, 3, 21)
	held := synthetic(150, 4, 3, 22)
	var (
		epochs []int
		last   []float64
	)
	m := Model{Config: Config{HiddenLayerSizes: []int{16}, MaxIter: 200, Seed: 2}}
	m.SetMonitor(&model.Monitor{X: held.X, OnIteration: func(epoch int, pred []float64) bool {
		epochs = append(epochs, epoch)
		last = slices.Clone(pred)
		return epoch == 10
	}})
	require.NoError(t, m.Fit(ctx, p))
	require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, epochs)
	require.Equal(t, 10, m.NIter())
	require.Equal(t, 10, m.BestEpoch())
	for _, c := range m.Curves() {
		require.Len(t, c.Values, 10, c.Name)
	}
	// The stopped model predicts, as the monitor saw it, bit for bit.
	pred := m.PredictTo(nil, held.X)
	require.Equal(t, last, pred)
	for i := range held.X.Rows {
		require.InDelta(t, 1, pred[3*i]+pred[3*i+1]+pred[3*i+2], 1e-12)
	}

	// It is the model of max_iter 10.
	ten := Model{Config: Config{HiddenLayerSizes: []int{16}, MaxIter: 10, Seed: 2}}
	require.NoError(t, ten.Fit(ctx, p))
	require.Equal(t, ten.PredictTo(nil, held.X), pred)

	b, err := m.MarshalBinary()
	require.NoError(t, err)
	var back Model
	require.NoError(t, back.UnmarshalBinary(b))
	require.Equal(t, pred, back.PredictTo(nil, held.X))
}

func TestMonitorDoesNotChangeTheFit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		classes int
		es      bool
	}{{"binary", 2, false}, {"multiclass_early_stopping", 3, true}, {"regression", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := synthetic(300, 4, tc.classes, 7)
			held := synthetic(50, 4, tc.classes, 8)
			fit := func(mon *model.Monitor) []byte {
				m := Model{Config: Config{HiddenLayerSizes: []int{16, 8}, MaxIter: 30, Seed: 5, EarlyStopping: tc.es}}
				m.SetMonitor(mon)
				require.NoError(t, m.Fit(ctx, p))
				b, err := m.MarshalBinary()
				require.NoError(t, err)
				return b
			}
			var calls int
			outputs := max(tc.classes, 1)
			watch := &model.Monitor{X: held.X, OnIteration: func(_ int, pred []float64) bool {
				calls++
				require.Len(t, pred, held.X.Rows*outputs)
				return false
			}}
			require.Equal(t, fit(nil), fit(watch))
			require.Positive(t, calls)
		})
	}
}

func TestMonitorColumnMismatch(t *testing.T) {
	t.Parallel()
	p := synthetic(100, 4, 2, 1)
	m := Model{Config: Config{MaxIter: 5}}
	m.SetMonitor(&model.Monitor{X: model.NewMatrix(2, 3), OnIteration: func(int, []float64) bool { return false }})
	require.ErrorContains(t, m.Fit(context.Background(), p), "monitored rows have 3 columns")
	require.Zero(t, m.Outputs())
}
