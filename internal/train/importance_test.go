package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
	"mlw.dev/model/linear"
)

func TestPermutationImportanceRanksTheSignal(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	n := 600
	signal, noise, y := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		signal[i], noise[i] = rng.NormFloat64(), rng.NormFloat64()
		if signal[i]+0.3*rng.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	f, err := frame.New([]string{"noise", "signal"}, []frame.Column{frame.NewNumeric(noise), frame.NewNumeric(signal)})
	require.NoError(t, err)
	pipe, err := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), feature.ForLinear())
	require.NoError(t, err)
	X, err := pipe.Transform(f)
	require.NoError(t, err)
	var m linear.Logistic
	require.NoError(t, m.Fit(context.Background(), &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: pipe.Outputs, X: X, Y: y}))
	b := &bundle.Bundle{Header: bundle.Header{Task: "binary", Classes: []string{"0", "1"}, Pipeline: pipe}, Estimator: &m}

	imp, err := PermutationImportance(b, f, y, "accuracy", 5, 7)
	require.NoError(t, err)
	require.Len(t, imp, 2)
	require.Equal(t, "signal", imp[0].Column)
	require.Greater(t, imp[0].Mean, 0.3, "shuffling the signal costs most of the accuracy above chance")
	require.InDelta(t, 0, imp[1].Mean, 0.02, "shuffling noise costs nothing")
	again, err := PermutationImportance(b, f, y, "accuracy", 5, 7)
	require.NoError(t, err)
	require.Equal(t, imp, again, "same seed, same result")

	_, err = PermutationImportance(b, f, y, "nope", 5, 7)
	require.ErrorContains(t, err, "unknown metric")
}
