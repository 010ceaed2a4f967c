package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// testBundle holds the references of a small mixed dataset and a current
// window in which the given numeric columns are shifted.
type testBundle struct {
	refs    []Reference
	current []Current
}

func setup(t testing.TB, shifted map[string]bool) testBundle {
	t.Helper()
	var b testBundle
	for i, name := range []string{"age", "income", "score", "tenure"} {
		seed := uint64(100 * (i + 1))
		b.refs = append(b.refs, Reference{Name: name, Numeric: NewNumericReference(normalSample(seed, 4000, 0, 1), SketchConfig{})})
		shift := 0.0
		if shifted[name] {
			shift = 1
		}
		b.current = append(b.current, Current{Name: name, Values: normalSample(seed+1, 1000, shift, 1)})
	}
	b.refs = append(b.refs, Reference{Name: "plan", Categorical: NewCategoricalReference(map[string]int{"free": 3000, "pro": 900, "team": 100}, 12)})
	plan := map[string]int{"free": 740, "pro": 230, "team": 30}
	if shifted["plan"] {
		plan = map[string]int{"free": 300, "pro": 600, "team": 100}
	}
	b.current = append(b.current, Current{Name: "plan", Counts: plan})
	// An extra current column without a reference is ignored.
	b.current = append(b.current, Current{Name: "request_id", Values: []float64{1, 2, 3}})
	return b
}

func TestDataset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		shifted map[string]bool
		cfg     Config
		drifted int
		dataset bool
	}{
		{"no drift", nil, Config{}, 0, false},
		{"two of five", map[string]bool{"age": true, "plan": true}, Config{}, 2, false},
		{"three of five", map[string]bool{"age": true, "income": true, "plan": true}, Config{}, 3, true},
		{"two of five at share 0.4", map[string]bool{"age": true, "plan": true}, Config{DatasetShare: 0.4}, 2, true},
		{"one worker", map[string]bool{"score": true}, Config{Workers: 1}, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tc.shifted)
			res, err := Dataset(b.refs, b.current, tc.cfg)
			require.NoError(t, err)
			require.Len(t, res.Columns, 5)
			for i, c := range res.Columns {
				require.Equal(t, b.refs[i].Name, c.Column)
				require.Equal(t, tc.shifted[c.Column], c.Drifted, "column %s: %+v", c.Column, c.Result)
			}
			require.Equal(t, MethodWasserstein, res.Columns[0].Method)
			require.Equal(t, MethodJensenShannon, res.Columns[4].Method)
			require.Equal(t, tc.drifted, res.DriftedColumns)
			require.InDelta(t, float64(tc.drifted)/5, res.DriftShare, 1e-15)
			require.Equal(t, tc.dataset, res.DatasetDrift)
			_, err = json.Marshal(res)
			require.NoError(t, err)
		})
	}
}

func TestDatasetMatchesPerColumn(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]bool{"income": true})
	cfg := Config{ColumnMethods: map[string]Method{"age": MethodKS, "plan": MethodPSI}, Workers: 3}
	res, err := Dataset(b.refs, b.current, cfg)
	require.NoError(t, err)
	for i, ref := range b.refs {
		c := cfg
		c.Method = cfg.ColumnMethods[ref.Name]
		var want Result
		if ref.Numeric != nil {
			want, err = CompareNumeric(ref.Numeric, b.current[i].Values, c)
		} else {
			want, err = CompareCategorical(ref.Categorical, b.current[i].Counts, c)
		}
		require.NoError(t, err)
		require.Equal(t, want, res.Columns[i].Result, ref.Name)
	}
	require.Equal(t, MethodKS, res.Columns[0].Method)
	require.Equal(t, MethodPSI, res.Columns[4].Method)
}

func TestDatasetErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, err := Dataset(b.refs, b.current[1:], Config{})
	require.ErrorContains(t, err, `no current column "age"`)

	_, err = Dataset(b.refs, append(b.current, Current{Name: "age"}), Config{})
	require.ErrorContains(t, err, "duplicate")

	bad := append([]Reference(nil), b.refs...)
	bad[1] = Reference{Name: "income"}
	_, err = Dataset(bad, b.current, Config{})
	require.ErrorContains(t, err, "either numeric or categorical")

	cur := append([]Current(nil), b.current...)
	cur[2] = Current{Name: "score", Values: []float64{math.NaN()}}
	_, err = Dataset(b.refs, cur, Config{})
	require.ErrorIs(t, err, ErrEmpty)
	require.ErrorContains(t, err, `column "score"`)

	cur = append([]Current(nil), b.current...)
	cur[4] = Current{Name: "plan", Values: []float64{1}}
	_, err = Dataset(b.refs, cur, Config{})
	require.ErrorContains(t, err, "categorical reference but numeric")

	_, err = Dataset(b.refs, b.current, Config{ColumnMethods: map[string]Method{"plan": MethodWasserstein}})
	require.ErrorIs(t, err, ErrMethod)
	_, err = Dataset(b.refs, b.current, Config{DatasetShare: 2})
	require.ErrorContains(t, err, "dataset share")

	res, err := Dataset(nil, nil, Config{})
	require.NoError(t, err)
	require.False(t, res.DatasetDrift)
	require.Equal(t, 0.0, res.DriftShare)
}

// BenchmarkDataset measures drift of numeric columns against references
// built from 100k training rows (the normalised Wasserstein default). Run
// with -benchtime=5x: setting up the 1e6-row case takes a few seconds.
func BenchmarkDataset(b *testing.B) {
	for _, size := range []struct {
		name       string
		rows, cols int
	}{
		{"rows=1e4/cols=30", 10_000, 30},
		{"rows=1e6/cols=30", 1_000_000, 30},
	} {
		b.Run(size.name, func(b *testing.B) {
			refs := make([]Reference, size.cols)
			current := make([]Current, size.cols)
			for j := range size.cols {
				name := fmt.Sprintf("f%02d", j)
				seed := uint64(j)
				refs[j] = Reference{Name: name, Numeric: NewNumericReference(normalSample(seed, 100_000, 0, 1), SketchConfig{})}
				current[j] = Current{Name: name, Values: normalSample(seed+1000, size.rows, 0.01*float64(j), 1)}
			}
			b.ReportAllocs()
			// CPU time per op does not depend on how busy the shared
			// machine is; wall time on W free cores is about cpu-s/op / W.
			cpu0 := processCPUSeconds()
			for b.Loop() {
				if _, err := Dataset(refs, current, Config{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((processCPUSeconds()-cpu0)/float64(b.N), "cpu-s/op")
		})
	}
}
