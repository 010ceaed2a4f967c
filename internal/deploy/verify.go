package deploy

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"mlw.dev/feature"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/stats"
	"mlw.dev/model/bundle"
)

// smokeQuantiles are where the smoke rows sit in each numeric column's
// training distribution.
var smokeQuantiles = []float64{0.1, 0.5, 0.9}

// SmokeRows builds rows from a bundle's training reference: numeric columns
// at their 10th, 50th and 90th percentiles, categorical columns at their most
// frequent categories, and one row with every value missing.
func SmokeRows(b *bundle.Bundle) [][]feature.Value {
	inputs := b.Pipeline.Inputs
	rows := make([][]feature.Value, len(smokeQuantiles)+1)
	for i := range rows {
		rows[i] = make([]feature.Value, len(inputs))
	}
	var refs map[string]int
	if b.Reference != nil {
		refs = map[string]int{}
		for i, r := range b.Reference.Features {
			refs[r.Name] = i
		}
	}
	for j, in := range inputs {
		for i := range rows {
			rows[i][j] = feature.Value{Missing: true}
		}
		k, ok := refs[in.Name]
		if !ok {
			continue
		}
		ref := b.Reference.Features[k]
		switch {
		case ref.Numeric != nil && len(ref.Numeric.Sample) > 0:
			for i, q := range smokeQuantiles {
				rows[i][j] = feature.Value{Num: stats.Quantile(ref.Numeric.Sample, q)}
			}
		case ref.Categorical != nil && len(ref.Categorical.Counts) > 0:
			cats := make([]string, 0, len(ref.Categorical.Counts))
			for c := range ref.Categorical.Counts {
				cats = append(cats, c)
			}
			slices.SortFunc(cats, func(a, b string) int {
				if d := ref.Categorical.Counts[b] - ref.Categorical.Counts[a]; d != 0 {
					return d
				}
				return strings.Compare(a, b)
			})
			for i := range smokeQuantiles {
				rows[i][j] = feature.Value{Str: cats[i%len(cats)], IsStr: true}
			}
		}
	}
	return rows
}

// VerifyWith returns a Verifier that loads a version through l and predicts
// its smoke rows: every output must be finite, and a classifier's
// probabilities must sum to 1.
func VerifyWith(l *Loader) Verifier {
	return func(ctx context.Context, v VariantSpec) ([]string, error) {
		m, err := l.Load(ctx, v)
		if err != nil {
			return nil, err
		}
		checks := []string{"loaded " + v.Ref()}
		b := m.Bundle()
		rp := b.NewRowPredictor()
		rows := SmokeRows(b)
		for i, row := range rows {
			out, err := rp.Predict(row)
			if err != nil {
				return nil, mlw.Errorf(mlw.EINVALID, "smoke row %d: %v", i+1, err)
			}
			sum := 0.0
			for _, x := range out {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return nil, mlw.Errorf(mlw.EINVALID, "smoke row %d: prediction %v is not finite", i+1, x)
				}
				sum += x
			}
			if len(b.Classes) > 0 && math.Abs(sum-1) > 1e-6 {
				return nil, mlw.Errorf(mlw.EINVALID, "smoke row %d: class probabilities sum to %g", i+1, sum)
			}
		}
		return append(checks, fmt.Sprintf("%d smoke predictions from the training reference are finite", len(rows))), nil
	}
}
