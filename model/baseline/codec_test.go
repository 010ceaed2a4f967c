package baseline

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

// fitted returns one fitted model of every kind.
func fitted(tb testing.TB) []model.Estimator {
	tb.Helper()
	ctx := context.Background()
	clf := churn()
	clf.X.Data[10] = 0 // no NaN for the constant baselines' sake: they ignore X anyway
	reg := regressionProblem([]float64{1, 2, 6}, []float64{1, 2, 1})
	out := []model.Estimator{&MostFrequent{}, &Prior{}, &Mean{}, &Median{}, &Rule{Expr: "tenure < 6 && tickets > 3", Probability: 0.75}}
	probs := []*model.Problem{clf, clf, reg, reg, clf}
	for i, m := range out {
		require.NoError(tb, m.Fit(ctx, probs[i]))
	}
	return out
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	x := churn().X
	for _, m := range fitted(t) {
		t.Run(m.Kind(), func(t *testing.T) {
			t.Parallel()
			b, err := m.MarshalBinary()
			require.NoError(t, err)
			again, err := m.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, b, again)
			n := newEmpty(m.Kind())
			require.NoError(t, n.UnmarshalBinary(b))
			require.Equal(t, m.Params(), n.Params())
			require.Equal(t, m.PredictTo(nil, x), n.PredictTo(nil, x))
			nb, err := n.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, b, nb)
			for cut := range len(b) {
				require.Error(t, newEmpty(m.Kind()).UnmarshalBinary(b[:cut]), "cut at %d", cut)
			}
			require.Error(t, n.UnmarshalBinary(append(b, 0)), "trailing byte")
		})
	}
	for _, kind := range []string{KindMostFrequent, KindRule} {
		b, err := newEmpty(kind).MarshalBinary()
		require.NoError(t, err)
		require.NoError(t, newEmpty(kind).UnmarshalBinary(b), "an unfitted model round-trips")
	}
	var p Prior
	b, err := (&Mean{}).MarshalBinary()
	require.NoError(t, err)
	require.ErrorContains(t, p.UnmarshalBinary(b), "kind")
}

func newEmpty(kind string) model.Estimator {
	if kind == KindRule {
		return &Rule{}
	}
	return newEstimator(kind)
}

// FuzzUnmarshal checks that decoding arbitrary bytes never panics and that
// whatever decodes predicts without panicking.
func FuzzUnmarshal(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is slow")
	}
	for _, m := range fitted(f) {
		b, err := m.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("MLWB"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []string{KindMostFrequent, KindPrior, KindMean, KindMedian, KindRule} {
			m := newEmpty(kind)
			if m.UnmarshalBinary(data) != nil || m.Outputs() == 0 {
				continue
			}
			cols := 2
			if r, ok := m.(*Rule); ok {
				cols = len(r.fit.columns)
			}
			x := model.NewMatrix(2, cols)
			require.Len(t, m.PredictTo(nil, x), 2*m.Outputs())
		}
	})
}
