package testutil

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

func TestLoadDatasetsAndFolds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		rows, cols, k int
		task          model.Task
	}{
		{"iris", 150, 4, 3, model.MulticlassClassification},
		{"wine", 178, 13, 3, model.MulticlassClassification},
		{"breast_cancer", 569, 30, 2, model.BinaryClassification},
		{"diabetes", 442, 10, 0, model.Regression},
	} {
		d := LoadDataset(t, tc.name)
		require.Equal(t, tc.rows, d.X.Rows)
		require.Equal(t, tc.cols, d.X.Cols)
		require.Equal(t, tc.k, d.Classes)
		require.Equal(t, tc.task, d.Task)
		require.NoError(t, d.Problem().Validate())
		folds := Folds(t, tc.name)
		require.Len(t, folds, 5)
		seen := make([]bool, tc.rows)
		for _, f := range folds {
			require.Equal(t, tc.rows, len(f.Train)+len(f.Test))
			for _, r := range f.Test {
				require.False(t, seen[r])
				seen[r] = true
			}
			require.NoError(t, d.Subset(f.Train).Validate())
		}
	}
}
