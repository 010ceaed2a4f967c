package bundle_test

import "mlw.dev/model"

type modelProblem struct {
	X        model.Matrix
	Y        []float64
	Features []model.Feature
}

func (p *modelProblem) problem() *model.Problem {
	return &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: p.Features, X: p.X, Y: p.Y}
}
