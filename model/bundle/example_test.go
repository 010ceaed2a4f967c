package bundle_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
	"mlw.dev/model/gbdt"
)

// Load a model bundle and predict in-process. The bundle here is made on the
// spot; in practice it comes from `mlw train` (the run's model.mlwb artifact).
func Example() {
	// Training data: churn is likely for short tenures on the basic plan.
	tenure := []float64{1, 2, 3, 24, 36, 48, 2, 30, 5, 40, 1, 60}
	plan := []string{"basic", "basic", "basic", "pro", "pro", "pro", "basic", "pro", "basic", "pro", "basic", "pro"}
	churn := []float64{1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0}
	f, _ := frame.New([]string{"tenure", "plan"}, []frame.Column{frame.NewNumeric(tenure), frame.NewCategoricalFromStrings(plan, nil)})
	pipe, _ := feature.Fit(f, frame.InferSchema(f, frame.SchemaOptions{}), feature.ForBoosting())
	X, _ := pipe.Transform(f)
	m := &gbdt.Model{}
	_ = m.SetParam("min_samples_leaf", "2")
	_ = m.Fit(context.Background(), &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: pipe.Outputs, X: X, Y: churn})
	b := &bundle.Bundle{Header: bundle.Header{Task: "binary", Target: "churn", Classes: []string{"stays", "churns"}, Pipeline: pipe}, Estimator: m}
	data, _ := b.Bytes()
	path := filepath.Join(os.TempDir(), "example.mlwb")
	_ = os.WriteFile(path, data, 0o644)
	defer os.Remove(path)

	// Load it and predict new rows.
	loaded, err := bundle.ReadFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	live, _ := frame.New([]string{"tenure", "plan"}, []frame.Column{
		frame.NewNumeric([]float64{2, 50}),
		frame.NewCategoricalFromStrings([]string{"basic", "pro"}, nil),
	})
	preds, err := loaded.PredictFrame(live)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range preds.Rows {
		fmt.Printf("tenure %v: %s\n", live.Cell(i, 0), preds.Labels[i])
	}
	// Output:
	// tenure 2: churns
	// tenure 50: stays
}
