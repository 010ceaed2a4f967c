package split_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/split"
)

// The folds in testdata/folds.json were made by scikit-learn 1.2.1 (numpy
// 1.24.2) with testdata/gen_reference.py; the file records the versions.

type foldsRef struct {
	SklearnVersion string `json:"sklearn_version"`
	KFold          []struct {
		N, K  int
		Folds []split.Fold
	} `json:"kfold"`
	Stratified []struct {
		Y     []string
		K     int
		Folds []split.Fold
	} `json:"stratified"`
	Group []struct {
		Kind   string
		Groups []json.RawMessage
		K      int
		Folds  []split.Fold
	} `json:"group"`
	TimeSeries []struct {
		N, K         int
		MaxTrainSize int `json:"max_train_size"`
		TestSize     int `json:"test_size"`
		Gap          int
		Folds        []split.Fold
	} `json:"time_series"`
}

func loadFoldsRef(tb testing.TB) *foldsRef {
	tb.Helper()
	b, err := os.ReadFile("testdata/folds.json")
	require.NoError(tb, err)
	var ref foldsRef
	require.NoError(tb, json.Unmarshal(b, &ref))
	require.Equal(tb, "1.2.1", ref.SklearnVersion)
	return &ref
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestFoldsMatchSklearn(t *testing.T) {
	t.Parallel()
	ref := loadFoldsRef(t)
	require.NotEmpty(t, ref.KFold)
	require.NotEmpty(t, ref.Stratified)
	require.NotEmpty(t, ref.Group)
	require.NotEmpty(t, ref.TimeSeries)
	t.Run("KFold", func(t *testing.T) {
		t.Parallel()
		for _, c := range ref.KFold {
			got, err := split.KFold(seq(c.N), split.FoldConfig{K: c.K})
			require.NoError(t, err)
			require.Equal(t, c.Folds, got, "n=%d k=%d", c.N, c.K)
		}
	})
	t.Run("StratifiedKFold", func(t *testing.T) {
		t.Parallel()
		for _, c := range ref.Stratified {
			f := mustFrame(t, "y", frame.NewCategoricalFromStrings(c.Y, nil))
			got, err := split.StratifiedKFold(f, "y", nil, split.FoldConfig{K: c.K})
			require.NoError(t, err)
			require.Equal(t, c.Folds, got, "y=%v k=%d", c.Y, c.K)
		}
	})
	t.Run("GroupKFold", func(t *testing.T) {
		t.Parallel()
		for _, c := range ref.Group {
			var col frame.Column
			if c.Kind == "number" {
				g := make([]float64, len(c.Groups))
				for i, raw := range c.Groups {
					v, err := strconv.ParseFloat(string(raw), 64)
					require.NoError(t, err)
					g[i] = v
				}
				col = frame.NewNumeric(g)
			} else {
				g := make([]string, len(c.Groups))
				for i, raw := range c.Groups {
					require.NoError(t, json.Unmarshal(raw, &g[i]))
				}
				col = frame.NewCategoricalFromStrings(g, nil)
			}
			f := mustFrame(t, "g", col)
			got, err := split.GroupKFold(f, "g", nil, split.FoldConfig{K: c.K})
			require.NoError(t, err)
			require.Equal(t, c.Folds, got, "groups=%s k=%d", c.Groups, c.K)
		}
	})
	t.Run("TimeSeriesSplit", func(t *testing.T) {
		t.Parallel()
		for _, c := range ref.TimeSeries {
			cfg := split.FoldConfig{K: c.K, MaxTrainSize: c.MaxTrainSize, ValidSize: c.TestSize, Gap: c.Gap}
			got, err := split.TimeSeriesSplit(nil, "", seq(c.N), cfg)
			require.NoError(t, err)
			require.Equal(t, c.Folds, got, "%+v", c)
			// The same folds from a shuffled frame ordered by a time column.
			rng := rand.New(rand.NewPCG(uint64(c.N), 4))
			perm := rng.Perm(c.N) // row perm[i] holds time i
			times := make([]int64, c.N)
			for i, row := range perm {
				times[row] = int64(i) * 1e9
			}
			f := mustFrame(t, "t", frame.NewDatetime(times))
			got, err = split.TimeSeriesSplit(f, "t", nil, cfg)
			require.NoError(t, err)
			for j, fold := range got {
				for k, row := range fold.Train {
					require.Equal(t, perm[c.Folds[j].Train[k]], row)
				}
				for k, row := range fold.Valid {
					require.Equal(t, perm[c.Folds[j].Valid[k]], row)
				}
			}
		}
	})
}

// requirePartition requires the folds to validate on every row of rows
// exactly once and to train on the rest.
func requirePartition(tb testing.TB, rows []int, folds []split.Fold, k int) {
	tb.Helper()
	require.Len(tb, folds, k)
	count := make(map[int]int)
	for _, fold := range folds {
		require.NotEmpty(tb, fold.Valid)
		require.Len(tb, fold.Train, len(rows)-len(fold.Valid))
		for _, row := range fold.Valid {
			count[row]++
		}
		all := append(slices.Clone(fold.Train), fold.Valid...)
		slices.Sort(all)
		want := slices.Sorted(slices.Values(rows))
		require.Equal(tb, want, all)
	}
	for _, row := range rows {
		require.Equal(tb, 1, count[row], "row %d", row)
	}
}

func TestFoldProperties(t *testing.T) {
	t.Parallel()
	// The rows folded are a subset of the frame in a scrambled order, as
	// the training rows of a split would be.
	n := 600
	rng := rand.New(rand.NewPCG(5, 6))
	rows := rng.Perm(n)[:400]
	y := make([]string, n)
	g := make([]float64, n)
	tm := make([]float64, n)
	for i := range y {
		y[i] = []string{"a", "a", "a", "b", "b", "c"}[rng.IntN(6)]
		g[i] = float64(rng.IntN(40))
		tm[i] = float64(rng.IntN(100))
	}
	f := mustFrame(t,
		"y", frame.NewCategoricalFromStrings(y, nil),
		"g", frame.NewNumeric(g),
		"t", frame.NewNumeric(tm),
	)
	for _, k := range []int{2, 3, 5, 10} {
		for _, seed := range testSeeds {
			t.Run(fmt.Sprintf("k=%d/seed=%d", k, seed), func(t *testing.T) {
				t.Parallel()
				cfg := split.FoldConfig{K: k, Shuffle: true, Seed: seed}

				kf, err := split.KFold(rows, cfg)
				require.NoError(t, err)
				requirePartition(t, rows, kf, k)
				for _, fold := range kf {
					require.InDelta(t, float64(len(rows))/float64(k), float64(len(fold.Valid)), 1)
				}
				again, err := split.KFold(rows, cfg)
				require.NoError(t, err)
				require.Equal(t, kf, again, "same seed, same folds")
				other, err := split.KFold(rows, split.FoldConfig{K: k, Shuffle: true, Seed: seed + 1})
				require.NoError(t, err)
				require.NotEqual(t, kf, other, "different seeds, different folds")

				sk, err := split.StratifiedKFold(f, "y", rows, cfg)
				require.NoError(t, err)
				requirePartition(t, rows, sk, k)
				total := map[string]int{}
				for _, row := range rows {
					total[y[row]]++
				}
				for _, fold := range sk {
					per := map[string]int{}
					for _, row := range fold.Valid {
						per[y[row]]++
					}
					for label, m := range total {
						require.InDelta(t, float64(m)/float64(k), float64(per[label]), 1, "class %s", label)
					}
				}
				again, err = split.StratifiedKFold(f, "y", rows, cfg)
				require.NoError(t, err)
				require.Equal(t, sk, again, "same seed, same folds")

				gk, err := split.GroupKFold(f, "g", rows, cfg)
				require.NoError(t, err)
				requirePartition(t, rows, gk, k)
				foldOf := map[float64]int{}
				for j, fold := range gk {
					for _, row := range fold.Valid {
						if prev, ok := foldOf[g[row]]; ok {
							require.Equal(t, prev, j, "group %v in two folds", g[row])
						}
						foldOf[g[row]] = j
					}
				}

				ts, err := split.TimeSeriesSplit(f, "t", rows, split.FoldConfig{K: k, Gap: 2})
				require.NoError(t, err)
				require.Len(t, ts, k)
				for j, fold := range ts {
					var newest float64 = -1
					for _, row := range fold.Train {
						newest = max(newest, tm[row])
					}
					for _, row := range fold.Valid {
						require.GreaterOrEqual(t, tm[row], newest, "fold %d: validation before training", j)
					}
					if j > 0 {
						require.Greater(t, len(fold.Train), len(ts[j-1].Train), "expanding window")
					}
				}
			})
		}
	}
}

func TestFoldErrors(t *testing.T) {
	t.Parallel()
	f := mustFrame(t,
		"y", frame.NewCategoricalFromStrings([]string{"a", "a", "b", "b", "c", "c"}, nil),
		"t", frame.NewDatetime([]int64{1, 2, frame.NaT, 4, 5, 6}),
		"s", frame.NewText([]string{"a", "b", "c", "d", "e", "f"}, nil),
	)
	tests := []struct {
		name    string
		run     func() ([]split.Fold, error)
		wantErr string
	}{
		{"one fold", func() ([]split.Fold, error) { return split.KFold(seq(6), split.FoldConfig{K: 1}) },
			"split: 1 folds: want at least 2"},
		{"negative gap", func() ([]split.Fold, error) { return split.KFold(seq(6), split.FoldConfig{Gap: -1}) },
			"split: max train size, valid size and gap must be >= 0"},
		{"too few rows", func() ([]split.Fold, error) { return split.KFold(seq(4), split.FoldConfig{}) },
			"split: 5 folds need at least 5 rows, have 4"},
		{"small classes", func() ([]split.Fold, error) { return split.StratifiedKFold(f, "y", nil, split.FoldConfig{K: 3}) },
			`split: 3 stratified folds: no class of "y" has 3 rows`},
		{"unknown target", func() ([]split.Fold, error) { return split.StratifiedKFold(f, "label", nil, split.FoldConfig{}) },
			`split: stratified folds by "label": no such column`},
		{"few groups", func() ([]split.Fold, error) { return split.GroupKFold(f, "y", nil, split.FoldConfig{K: 4}) },
			`split: 4 group folds: column "y" has only 3 groups`},
		{"missing time", func() ([]split.Fold, error) { return split.TimeSeriesSplit(f, "t", nil, split.FoldConfig{K: 2}) },
			`split: time column "t" has 1 row with a missing time: drop or fill them before time series folds`},
		{"text time", func() ([]split.Fold, error) { return split.TimeSeriesSplit(f, "s", nil, split.FoldConfig{K: 2}) },
			`split: time series folds by "s": the column is text, want datetime or numeric`},
		{"time too short", func() ([]split.Fold, error) {
			return split.TimeSeriesSplit(nil, "", seq(6), split.FoldConfig{K: 2, ValidSize: 2, Gap: 2})
		}, "split: 2 time series folds of 2 validation rows with a gap of 2 need more than 6 rows, have 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.run()
			require.EqualError(t, err, tt.wantErr)
		})
	}
}
