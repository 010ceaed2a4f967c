package profile_test

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats/scalar"

	"mlw.dev/frame"
	"mlw.dev/profile"
)

// The reference values in testdata/reference.json were computed by numpy
// 1.24.2, pandas 1.5.3, scipy 1.10.1 and scikit-learn 1.2.1 with
// testdata/gen_reference.py, which also writes the fixtures messy.csv,
// multiclass.csv and regression.csv; the file records the versions.

// tol is the absolute and relative tolerance of comparisons with the
// reference.
const tol = 1e-9

// num is a float64 decoded from reference.json, where null stands for NaN.
type num float64

func (x *num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = num(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*x = num(v)
	return err
}

type refMatrix struct {
	Columns []string `json:"columns"`
	Values  [][]num  `json:"values"`
}

type refColumn struct {
	Count       int      `json:"count"`
	Missing     int      `json:"missing"`
	Distinct    int      `json:"distinct"`
	Zeros       *int     `json:"zeros"`
	Mean        *num     `json:"mean"`
	Std         num      `json:"std"`
	Min         num      `json:"min"`
	Max         num      `json:"max"`
	Quantiles   []num    `json:"quantiles"`
	Skewness    num      `json:"skewness"`
	OutliersIQR int      `json:"outliers_iqr"`
	OutliersZ   int      `json:"outliers_z"`
	TopNumbers  [][2]num `json:"top_numbers"`
	Top         [][2]any `json:"top"`
	Histogram   *struct {
		Counts []int `json:"counts"`
		Edges  []num `json:"edges"`
	} `json:"histogram"`
	Earliest string `json:"earliest"`
	Latest   string `json:"latest"`
}

type refDataset struct {
	Name    string `json:"name"`
	File    string `json:"file"`
	Options struct {
		Target string   `json:"target"`
		IDs    []string `json:"ids"`
		Time   string   `json:"time"`
	} `json:"options"`
	Rows                     int                  `json:"rows"`
	DuplicateRows            int                  `json:"duplicate_rows"`
	DuplicateRowsIgnoringIDs int                  `json:"duplicate_rows_ignoring_ids"`
	Columns                  map[string]refColumn `json:"columns"`
	Pearson                  refMatrix            `json:"pearson"`
	Spearman                 refMatrix            `json:"spearman"`
	CramersV                 refMatrix            `json:"cramers_v"`
	Target                   *struct {
		Column   string   `json:"column"`
		Task     string   `json:"task"`
		Count    int      `json:"count"`
		Missing  int      `json:"missing"`
		Classes  [][2]any `json:"classes"`
		Features []struct {
			Column     string `json:"column"`
			Rows       int    `json:"rows"`
			AUC        num    `json:"auc"`
			MutualInfo num    `json:"mutual_info"`
			R2         num    `json:"r2"`
		} `json:"features"`
	} `json:"target"`
}

type reference struct {
	Versions map[string]string `json:"versions"`
	Bins     int               `json:"bins"`
	Datasets []refDataset      `json:"datasets"`
}

var loadReference = sync.OnceValues(func() (*reference, error) {
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		return nil, err
	}
	var r reference
	return &r, json.Unmarshal(b, &r)
})

// profiles caches the profile of each reference dataset.
var profiles sync.Map

func referenceProfile(t testing.TB, ds refDataset) *profile.Profile {
	t.Helper()
	if p, ok := profiles.Load(ds.Name); ok {
		return p.(*profile.Profile)
	}
	f, err := frame.ReadFile(ds.File, frame.ReadOptions{})
	require.NoError(t, err)
	p := profile.Compute(f, profile.Options{Target: ds.Options.Target, IDs: ds.Options.IDs, Time: ds.Options.Time, Workers: 3})
	profiles.Store(ds.Name, p)
	return p
}

func requireClose(t *testing.T, want, got float64, msgAndArgs ...any) {
	t.Helper()
	if math.IsNaN(want) || math.IsNaN(got) {
		require.True(t, math.IsNaN(want) && math.IsNaN(got), append([]any{"want %v, got %v", want, got}, msgAndArgs...)...)
		return
	}
	require.True(t, scalar.EqualWithinAbsOrRel(got, want, tol, tol), append([]any{"want %v, got %v", want, got}, msgAndArgs...)...)
}

func TestReferenceColumns(t *testing.T) {
	t.Parallel()
	ref, err := loadReference()
	require.NoError(t, err)
	require.Equal(t, profile.DefaultBins, ref.Bins)
	for _, ds := range ref.Datasets {
		t.Run(ds.Name, func(t *testing.T) {
			t.Parallel()
			p := referenceProfile(t, ds)
			require.Equal(t, ds.Rows, p.Rows)
			require.Equal(t, ds.DuplicateRows, p.DuplicateRows)
			require.Equal(t, ds.DuplicateRowsIgnoringIDs, p.DuplicateRowsIgnoringIDs)
			require.Len(t, p.Columns, len(ds.Columns))
			for name, want := range ds.Columns {
				c := p.Column(name)
				require.NotNil(t, c, name)
				require.Equal(t, want.Count, c.Count, name)
				require.Equal(t, want.Missing, c.Missing, name)
				require.Equal(t, want.Distinct, c.Distinct, name)
				require.InDelta(t, 100*float64(want.Missing)/float64(ds.Rows), c.MissingPct, 1e-12, name)
				switch {
				case want.Mean != nil:
					checkNumeric(t, name, want, c)
				case want.Earliest != "":
					require.NotNil(t, c.DatetimeStats, name)
					require.Equal(t, want.Earliest, c.Earliest.Format(time.DateOnly), name)
					require.Equal(t, want.Latest, c.Latest.Format(time.DateOnly), name)
				case c.Type == frame.KindID:
					require.Empty(t, c.Top, name)
				default:
					require.Len(t, c.Top, len(want.Top), name)
					for i, tv := range want.Top {
						require.Equal(t, tv[0], c.Top[i].Value, name)
						require.Equal(t, tv[1], float64(c.Top[i].Count), name)
					}
				}
			}
		})
	}
}

func checkNumeric(t *testing.T, name string, want refColumn, c *profile.Column) {
	t.Helper()
	require.NotNil(t, c.NumericStats, name)
	require.Equal(t, *want.Zeros, c.Zeros, name)
	requireClose(t, float64(*want.Mean), float64(c.Mean), name, "mean")
	requireClose(t, float64(want.Std), float64(c.Std), name, "std")
	requireClose(t, float64(want.Min), float64(c.Min), name, "min")
	requireClose(t, float64(want.Max), float64(c.Max), name, "max")
	q := c.Quantiles
	for i, got := range []profile.Float{q.P05, q.P25, q.P50, q.P75, q.P95} {
		requireClose(t, float64(want.Quantiles[i]), float64(got), name, "quantile", i)
	}
	requireClose(t, float64(want.Skewness), float64(c.Skewness), name, "skewness")
	require.Equal(t, want.OutliersIQR, c.OutliersIQR, name)
	require.Equal(t, want.OutliersZ, c.OutliersZ, name)
	require.NotNil(t, c.Histogram, name)
	require.Equal(t, want.Histogram.Counts, c.Histogram.Counts, name)
	require.Len(t, c.Histogram.Edges, len(want.Histogram.Edges), name)
	for i, e := range want.Histogram.Edges {
		requireClose(t, float64(e), c.Histogram.Edges[i], name, "edge", i)
	}
	require.Len(t, c.Top, len(want.TopNumbers), name)
	for i, tv := range want.TopNumbers {
		v, err := strconv.ParseFloat(c.Top[i].Value, 64)
		require.NoError(t, err, name)
		require.Equal(t, float64(tv[0]), v, name)
		require.Equal(t, int(tv[1]), c.Top[i].Count, name)
	}
}

func requireMatrix(t *testing.T, want refMatrix, got profile.Matrix, what string) {
	t.Helper()
	require.Equal(t, want.Columns, got.Columns, what)
	for i := range want.Values {
		for j := range want.Values[i] {
			requireClose(t, float64(want.Values[i][j]), float64(got.Values[i][j]), what, want.Columns[i], want.Columns[j])
		}
	}
}

func TestReferenceMatrices(t *testing.T) {
	t.Parallel()
	ref, err := loadReference()
	require.NoError(t, err)
	for _, ds := range ref.Datasets {
		t.Run(ds.Name, func(t *testing.T) {
			t.Parallel()
			p := referenceProfile(t, ds)
			requireMatrix(t, ds.Pearson, p.Correlations.Pearson, "pearson")
			requireMatrix(t, ds.Spearman, p.Correlations.Spearman, "spearman")
			requireMatrix(t, ds.CramersV, p.CramersV, "cramers_v")
		})
	}
}

func TestReferenceTarget(t *testing.T) {
	t.Parallel()
	ref, err := loadReference()
	require.NoError(t, err)
	for _, ds := range ref.Datasets {
		if ds.Target == nil {
			continue
		}
		t.Run(ds.Name, func(t *testing.T) {
			t.Parallel()
			p := referenceProfile(t, ds)
			want, got := ds.Target, p.Target
			require.NotNil(t, got)
			require.Equal(t, want.Column, got.Column)
			require.Equal(t, want.Task, string(got.Task))
			require.Equal(t, want.Count, got.Count)
			require.Equal(t, want.Missing, got.Missing)
			require.Len(t, got.Classes, len(want.Classes))
			for i, c := range want.Classes {
				switch v := c[0].(type) {
				case string:
					require.Equal(t, v, got.Classes[i].Value)
				case float64:
					g, err := strconv.ParseFloat(got.Classes[i].Value, 64)
					require.NoError(t, err)
					require.Equal(t, v, g)
				}
				require.Equal(t, c[1], float64(got.Classes[i].Count))
			}
			require.Len(t, got.Features, len(want.Features))
			for i, w := range want.Features {
				g := got.Features[i]
				require.Equal(t, w.Column, g.Column)
				require.Equal(t, w.Rows, g.Rows, w.Column)
				requireClose(t, float64(w.AUC), float64(g.AUC), w.Column, "auc")
				requireClose(t, float64(w.MutualInfo), float64(g.MutualInfo), w.Column, "mutual_info")
				requireClose(t, float64(w.R2), float64(g.R2), w.Column, "r2")
			}
		})
	}
}
