package bundle_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/model/bundle"
	"mlw.dev/model/linear"
)

// fitted returns a small fitted logistic-regression bundle and its frame.
func fitted(t testing.TB) (*bundle.Bundle, *frame.Frame) {
	t.Helper()
	nan := math.NaN()
	n := 60
	x := make([]float64, n)
	plan := make([]string, n)
	y := make([]float64, n)
	for i := range n {
		x[i] = float64(i%10) + 0.1*float64(i%3)
		plan[i] = []string{"basic", "pro", "team"}[i%3]
		if x[i] > 5 || plan[i] == "pro" {
			y[i] = 1
		}
	}
	x[3] = nan
	f, err := frame.New([]string{"x", "plan"}, []frame.Column{frame.NewNumeric(x), frame.NewCategoricalFromStrings(plan, nil)})
	require.NoError(t, err)
	pipe, err := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), feature.ForLinear())
	require.NoError(t, err)
	X, err := pipe.Transform(f)
	require.NoError(t, err)
	var m linear.Logistic
	p := &modelProblem{X: X, Y: y, Features: pipe.Outputs}
	require.NoError(t, m.Fit(context.Background(), p.problem()))
	b := &bundle.Bundle{Header: bundle.Header{Task: "binary", Target: "y", Classes: []string{"no", "yes"}, Pipeline: pipe,
		Lineage: bundle.Lineage{Dataset: "toy", DatasetVersion: 1, SplitID: "s-1"}}, Estimator: &m}
	return b, f
}

func TestRoundTripPredictsTheSame(t *testing.T) {
	t.Parallel()
	b, f := fitted(t)
	want, err := b.PredictFrame(f)
	require.NoError(t, err)
	data, err := b.Bytes()
	require.NoError(t, err)
	again, err := b.Bytes()
	require.NoError(t, err)
	require.Equal(t, data, again, "encoding is deterministic")

	path := filepath.Join(t.TempDir(), "model.mlwb")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	loaded, err := bundle.ReadFile(path)
	require.NoError(t, err)
	got, err := loaded.PredictFrame(f)
	require.NoError(t, err)
	require.Equal(t, want.Values, got.Values, "save/load gives identical predictions")
	require.Equal(t, want.Labels, got.Labels)
	require.Equal(t, "logistic", loaded.Kind)
	require.Equal(t, "s-1", loaded.Lineage.SplitID)
	require.Equal(t, bundle.FormatVersion, loaded.FormatVersion)
}

func TestLoadRefusesDamagedFiles(t *testing.T) {
	t.Parallel()
	b, _ := fitted(t)
	data, err := b.Bytes()
	require.NoError(t, err)
	flip := func(i int) []byte {
		c := bytes.Clone(data)
		c[i] ^= 0x40
		return c
	}
	newer := bytes.Clone(data)
	binary.LittleEndian.PutUint16(newer[8:], bundle.FormatVersion+1)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not an mlw model bundle"},
		{"other file", []byte("PAR1 not a bundle at all"), "not an mlw model bundle"},
		{"newer format", newer, "format version 2 is not supported"},
		{"truncated", data[:len(data)-10], "checksum mismatch"},
		{"cut short", data[:20], "truncated"},
		{"one flipped byte in the header", flip(30), "checksum mismatch"},
		{"one flipped byte in the estimator", flip(len(data) - 40), "checksum mismatch"},
	} {
		_, err := bundle.Decode("model.mlwb", tc.data)
		require.Error(t, err, tc.name)
		require.ErrorContains(t, err, tc.want, tc.name)
		var fe *bundle.FormatError
		require.True(t, errors.As(err, &fe), tc.name)
		require.Contains(t, err.Error(), "model.mlwb", tc.name)
	}
}

func TestRowPredictorMatchesBatchAndAllocatesNothing(t *testing.T) {
	b, f := fitted(t)
	batch, err := b.PredictFrame(f)
	require.NoError(t, err)
	rp := b.NewRowPredictor()
	row := make([]feature.Value, 2)
	for i := range f.NumRows() {
		x := f.Column("x").(*frame.Numeric).Values()[i]
		row[0] = feature.Value{Num: x, Missing: math.IsNaN(x)}
		row[1] = feature.Value{Str: f.Column("plan").Cell(i), IsStr: true}
		out, err := rp.Predict(row)
		require.NoError(t, err)
		require.InDeltaSlice(t, batch.Row(i), out, 1e-15)
	}
	require.Zero(t, testing.AllocsPerRun(200, func() { _, _ = rp.Predict(row) }))
}

func TestReferenceSummarisesTraining(t *testing.T) {
	t.Parallel()
	b, f := fitted(t)
	preds, err := b.PredictFrame(f)
	require.NoError(t, err)
	ref := b.NewReference(f, preds)
	require.Equal(t, 60, ref.Rows)
	require.Len(t, ref.Features, 2)
	require.NotNil(t, ref.Features[0].Numeric)
	require.Equal(t, 1, ref.Features[0].Numeric.Missing)
	require.Equal(t, map[string]int{"basic": 20, "pro": 20, "team": 20}, ref.Features[1].Categorical.Counts)
	require.NotNil(t, ref.Prediction)
	require.Equal(t, 60, ref.PredictedClass.Count)
}

func FuzzDecode(f *testing.F) {
	b, _ := fitted(f)
	data, err := b.Bytes()
	require.NoError(f, err)
	f.Add(data)
	f.Add(data[:40])
	f.Add([]byte("MLWBNDL\x00\x01\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		// Reseal the checksum so the fuzzer reaches the header and estimator decoders.
		if len(in) > sha256.Size {
			body := in[:len(in)-sha256.Size]
			sum := sha256.Sum256(body)
			in = append(bytes.Clone(body), sum[:]...)
		}
		bb, err := bundle.Decode("fuzz.mlwb", in)
		if err == nil {
			_, _ = bb.Bytes()
		}
	})
}
