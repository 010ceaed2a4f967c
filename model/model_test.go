package model

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProblemValidate(t *testing.T) {
	t.Parallel()
	good := func() *Problem {
		return &Problem{Task: BinaryClassification, Classes: 2, Features: []Feature{{Name: "a"}}, X: Matrix{Rows: 2, Cols: 1, Data: []float64{1, 2}}, Y: []float64{0, 1}}
	}
	require.NoError(t, good().Validate())
	for _, tc := range []struct {
		name string
		edit func(p *Problem)
		want string
	}{
		{"no rows", func(p *Problem) { p.X = Matrix{} }, "no training rows"},
		{"short data", func(p *Problem) { p.X.Data = p.X.Data[:1] }, "matrix data has 1 values"},
		{"features", func(p *Problem) { p.Features = nil }, "0 features described"},
		{"targets", func(p *Problem) { p.Y = p.Y[:1] }, "1 targets for 2 rows"},
		{"class code", func(p *Problem) { p.Y[1] = 2 }, "class code 2 is not in 0..1"},
		{"binary classes", func(p *Problem) { p.Classes = 3 }, "binary task with 3 classes"},
		{"negative weight", func(p *Problem) { p.Weights = []float64{1, -1} }, "weight -1"},
		{"NaN weight", func(p *Problem) { p.Weights = []float64{1, math.NaN()} }, "weight NaN"},
		{"NaN regression target", func(p *Problem) { p.Task, p.Classes, p.Y[0] = Regression, 0, math.NaN() }, "target NaN"},
		{"valid task", func(p *Problem) { v := *p; v.Task = Regression; v.Classes = 0; p.Valid = &v }, "validation data is a regression task"},
		{"valid short targets", func(p *Problem) { v := *p; v.Y = v.Y[:1]; p.Valid = &v }, "validation data: 1 targets for 2 rows"},
		{"valid class code", func(p *Problem) { v := *p; v.Y = []float64{0, 5}; p.Valid = &v }, "validation data: row 1: class code 5"},
	} {
		p := good()
		tc.edit(p)
		require.ErrorContains(t, p.Validate(), tc.want, tc.name)
	}
}
