package clean

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
)

func sample(t *testing.T) *frame.Frame {
	t.Helper()
	nan := math.NaN()
	f, err := frame.New([]string{"id", "age", "plan", "y"}, []frame.Column{
		frame.NewNumeric([]float64{1, 2, 3, 3, 4, 5, 6, 7}),
		frame.NewNumeric([]float64{30, nan, 35, 35, 1000, 32, 31, nan}),
		frame.NewCategoricalFromStrings([]string{"a", "b", "", "", "a", "a", "test", "b"}, []bool{false, false, true, true, false, false, false, false}),
		frame.NewNumeric([]float64{0, 1, 0, 0, 1, nan, 0, 1}),
	})
	require.NoError(t, err)
	return f
}

func TestApplyRecipe(t *testing.T) {
	t.Parallel()
	r := &Recipe{
		Filter:         `plan != "test"`,
		DropDuplicates: true,
		ClipOutliers:   "iqr",
		Impute:         "median",
		Protect:        []string{"y", "id"},
	}
	out, steps, err := Apply(sample(t), r)
	require.NoError(t, err)
	// Row 7 (plan "test") filtered, row 4 (a copy of row 3) dropped.
	require.Equal(t, 6, out.NumRows())
	byStep := map[string]Step{}
	for _, s := range steps {
		byStep[s.Step+":"+s.Column] = s
	}
	require.Equal(t, 1, byStep["filter:"].Changed)
	require.Equal(t, 1, byStep["drop_duplicates:"].Changed)
	// age present after filtering: 30, 35, 1000, 32 (sorted 30 32 35 1000):
	// numpy's linear Q1 = 31.5, Q3 = 276.25, upper fence Q3 + 1.5 IQR = 643.375.
	require.Equal(t, 1, byStep["clip_outliers:age"].Changed)
	age := out.Column("age").(*frame.Numeric).Values()
	require.Equal(t, 643.375, age[3])
	// Then the median of {30, 35, 643.375, 32} = 33.5 fills the 2 missing ages.
	require.Equal(t, 2, byStep["impute:age"].Changed)
	require.Equal(t, []float64{30, 33.5, 35, 643.375, 32, 33.5}, age)
	// plan's mode "a" fills its missing value; the protected target keeps its NaN.
	require.Equal(t, 1, byStep["impute:plan"].Changed)
	require.Equal(t, 1, out.Column("y").NumMissing())
	require.Zero(t, out.Column("plan").NumMissing())
}

func TestRecipeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    Recipe
		want string
	}{
		{Recipe{}, "does nothing"},
		{Recipe{ClipOutliers: "mad"}, "--clip-outliers"},
		{Recipe{Impute: "knn"}, "--impute"},
		{Recipe{Filter: "age >"}, "--filter"},
		{Recipe{DropColumns: []string{"nope"}}, "no column nope"},
		{Recipe{Impute: "constant:x"}, "not a number"},
	} {
		_, _, err := Apply(sample(t), &tc.r)
		require.ErrorContains(t, err, tc.want)
	}
}

func TestZScoreAndConstant(t *testing.T) {
	t.Parallel()
	vals := make([]float64, 50)
	for i := range vals {
		vals[i] = float64(i % 5)
	}
	vals[10] = 500
	vals[11] = math.NaN()
	f, err := frame.New([]string{"x"}, []frame.Column{frame.NewNumeric(vals)})
	require.NoError(t, err)
	out, steps, err := Apply(f, &Recipe{ClipOutliers: "zscore", Impute: "constant:-1"})
	require.NoError(t, err)
	x := out.Column("x").(*frame.Numeric).Values()
	require.Less(t, x[10], 500.0)
	require.Equal(t, -1.0, x[11])
	require.Len(t, steps, 2)
}

func TestFilterTreatsMissingLikeSQL(t *testing.T) {
	t.Parallel()
	out, steps, err := Apply(sample(t), &Recipe{Filter: "age > 31"})
	require.NoError(t, err)
	// ages 30 NaN 35 35 1000 32 31 NaN: 35, 35, 1000 and 32 pass; NaN rows are not kept.
	require.Equal(t, 4, out.NumRows())
	require.Equal(t, 4, steps[0].Changed)
	_, _, err = Apply(sample(t), &Recipe{Filter: `plan + 1 > 2`})
	require.ErrorContains(t, err, "--filter on line 2")
}
