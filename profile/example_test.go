package profile_test

import (
	"fmt"
	"math"

	"mlw.dev/frame"
	"mlw.dev/profile"
)

func ExampleCompute() {
	nan := math.NaN() // missing
	f, err := frame.New(
		[]string{"tenure", "plan", "spend", "churned"},
		[]frame.Column{
			frame.NewNumeric([]float64{1, 5, 2, 8, 3, 9, 4, 12, nan, 7}),
			frame.NewCategoricalFromStrings([]string{"a", "b", "a", "b", "a", "b", "a", "b", "a", "b"}, nil),
			frame.NewNumeric([]float64{10, 11, 10, 11, 10, 11, 10, 11, 10, 11}),
			frame.NewNumeric([]float64{1, 0, 1, 0, 1, 0, 1, 0, 1, 0}),
		})
	if err != nil {
		panic(err)
	}
	p := profile.Compute(f, profile.Options{Target: "churned"})
	fmt.Println(p.Rows, "rows; tenure mean", p.Column("tenure").Mean)
	for _, r := range p.Target.Features {
		fmt.Printf("%s: AUC %.2f\n", r.Column, r.AUC)
	}
	for _, fd := range p.Findings {
		fmt.Println(fd.Severity, fd.Check, fd.Message)
	}
	// Output:
	// 10 rows; tenure mean 5.666666666666667
	// tenure: AUC 1.00
	// plan: AUC 1.00
	// spend: AUC 1.00
	// error leakage tenure alone predicts churned almost perfectly (ROC AUC 1.000): check that it is not derived from the target or recorded after it
	// error leakage plan alone predicts churned almost perfectly (ROC AUC 1.000): check that it is not derived from the target or recorded after it
	// error leakage spend alone predicts churned almost perfectly (ROC AUC 1.000): check that it is not derived from the target or recorded after it
	// warning missing tenure: 10.0% missing
}
