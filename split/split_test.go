package split_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/split"
)

// Property tests: each strategy's guarantees, checked over several seeds,
// sizes and ratios.

var (
	testSeeds  = []int64{0, 1, 7, 42, 12345}
	testSizes  = []int{7, 50, 333, 2000}
	testRatios = []split.Ratios{
		split.DefaultRatios,
		{Train: 0.8, Test: 0.2},
		{Train: 0.6, Validation: 0.2, Test: 0.2},
		{Train: 0.5, Validation: 0.1, Test: 0.4},
	}
)

// mustFrame builds a frame from alternating names and columns.
func mustFrame(tb testing.TB, namesAndCols ...any) *frame.Frame {
	tb.Helper()
	var names []string
	var cols []frame.Column
	for i := 0; i < len(namesAndCols); i += 2 {
		names = append(names, namesAndCols[i].(string))
		cols = append(cols, namesAndCols[i+1].(frame.Column))
	}
	f, err := frame.New(names, cols)
	require.NoError(tb, err)
	return f
}

// seqFrame is a frame of n rows with one numeric column x = 0..n-1.
func seqFrame(tb testing.TB, n int) *frame.Frame {
	tb.Helper()
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
	}
	return mustFrame(tb, "x", frame.NewNumeric(x))
}

func mustSplit(tb testing.TB, f *frame.Frame, cfg split.Config) *split.Assignment {
	tb.Helper()
	a, err := split.Split(f, cfg)
	require.NoError(tb, err)
	require.Equal(tb, f.NumRows(), a.Len())
	require.Equal(tb, f.NumRows(), a.Counts.Total())
	for p := range split.Part(split.NumParts) {
		require.Len(tb, a.Rows(p), a.Counts.Of(p))
	}
	return a
}

func ratioOf(r split.Ratios, p split.Part) float64 {
	return []float64{r.Train, r.Validation, r.Test}[p]
}

// requireWithinRounding requires every part to hold the floor or the
// ceiling of its share of n rows.
func requireWithinRounding(tb testing.TB, a *split.Assignment, r split.Ratios) {
	tb.Helper()
	n := float64(a.Len())
	for p := range split.Part(split.NumParts) {
		want := n * ratioOf(r, p)
		require.Lessf(tb, math.Abs(float64(a.Counts.Of(p))-want), 1.0, "part %s: %d rows, want %.2f", p, a.Counts.Of(p), want)
	}
}

func TestParseRatios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    split.Ratios
		wantErr string
	}{
		{in: "0.7,0.15,0.15", want: split.Ratios{Train: 0.7, Validation: 0.15, Test: 0.15}},
		{in: " 0.8 , 0.2 ", want: split.Ratios{Train: 0.8, Test: 0.2}},
		{in: "0.6,0,0.4", want: split.Ratios{Train: 0.6, Test: 0.4}},
		{in: "0.1,0.2,0.3,0.4", wantErr: `ratios "0.1,0.2,0.3,0.4": want TRAIN,VALIDATION,TEST or TRAIN,TEST`},
		{in: "0.7,0.2,0.2", wantErr: `ratios "0.7,0.2,0.2" sum to 1.1, want 1`},
		{in: "0.7,0.15,0.15000001", wantErr: `ratios "0.7,0.15,0.15000001" sum to 1.00000001, want 1`},
		{in: "0.7,x,0.3", wantErr: `ratios "0.7,x,0.3": "x" is not a number`},
		{in: "1.2,-0.2", wantErr: `ratios "1.2,-0.2": each ratio must be a finite number >= 0`},
		{in: "0,1", wantErr: `ratios "0,1": train and test ratios must be above 0`},
		{in: "NaN,0.5", wantErr: `ratios "NaN,0.5": each ratio must be a finite number >= 0`},
		{in: "", wantErr: `ratios "": want`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := split.ParseRatios(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			back, err := split.ParseRatios(got.String())
			require.NoError(t, err)
			require.Equal(t, got, back)
		})
	}
}

func TestRatiosSumTolerance(t *testing.T) {
	t.Parallel()
	// 0.1+0.2+0.7 is 1 - 1.1e-16 in float64: within 1e-9.
	require.NoError(t, split.Ratios{Train: 0.7, Validation: 0.2, Test: 0.1}.Validate())
	require.NoError(t, split.Ratios{Train: 0.7, Validation: 0.15, Test: 0.15 + 5e-10}.Validate())
	require.Error(t, split.Ratios{Train: 0.7, Validation: 0.15, Test: 0.15 + 2e-9}.Validate())
}

func TestPartJSON(t *testing.T) {
	t.Parallel()
	for p := range split.Part(split.NumParts) {
		b, err := p.MarshalText()
		require.NoError(t, err)
		var back split.Part
		require.NoError(t, back.UnmarshalText(b))
		require.Equal(t, p, back)
	}
	require.Equal(t, "train", split.Train.String())
	require.Equal(t, "Part(7)", split.Part(7).String())
	var p split.Part
	require.ErrorContains(t, p.UnmarshalText([]byte("holdout")), `unknown part "holdout"`)
}

func TestNewAssignment(t *testing.T) {
	t.Parallel()
	a, err := split.NewAssignment([]split.Part{split.Test, split.Train, split.Validation, split.Train})
	require.NoError(t, err)
	require.Equal(t, split.Counts{Train: 2, Validation: 1, Test: 1}, a.Counts)
	require.Equal(t, []int{1, 3}, a.Rows(split.Train))
	require.Equal(t, []int{2}, a.Rows(split.Validation))
	require.Equal(t, []int{0}, a.Rows(split.Test))
	_, err = split.NewAssignment([]split.Part{split.Train, 3})
	require.ErrorContains(t, err, "row 1 has invalid part 3")
}

func TestSplitRandom(t *testing.T) {
	t.Parallel()
	for _, n := range testSizes {
		for _, r := range testRatios {
			t.Run(fmt.Sprintf("n=%d/ratios=%s", n, r), func(t *testing.T) {
				t.Parallel()
				f := seqFrame(t, n)
				var prev *split.Assignment
				for _, seed := range testSeeds {
					cfg := split.Config{Ratios: r, Seed: seed}
					a := mustSplit(t, f, cfg)
					require.Equal(t, split.Random, a.Strategy)
					requireWithinRounding(t, a, r)
					require.Equal(t, a, mustSplit(t, f, cfg), "same seed, same assignment")
					if prev != nil && n >= 50 {
						require.NotEqual(t, prev.Parts, a.Parts, "different seeds, different assignments")
					}
					prev = a
				}
			})
		}
	}
}

// labelsFrame returns a frame with a categorical column y holding the
// given number of rows of each class, in a shuffled order.
func labelsFrame(tb testing.TB, sizes []int, seed uint64) (*frame.Frame, []string) {
	tb.Helper()
	var y []string
	for c, m := range sizes {
		for range m {
			y = append(y, "c"+strconv.Itoa(c))
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(y), func(i, j int) { y[i], y[j] = y[j], y[i] })
	return mustFrame(tb, "y", frame.NewCategoricalFromStrings(y, nil)), y
}

func TestSplitStratified(t *testing.T) {
	t.Parallel()
	classSizes := [][]int{
		{5, 5},
		{90, 10},
		{980, 20},
		{40, 33, 17, 9, 5, 3},
		{1000, 700, 300, 157, 61, 13, 7, 4},
		{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, // many classes of the smallest size that reaches every part
	}
	for _, sizes := range classSizes {
		for _, r := range testRatios {
			t.Run(fmt.Sprintf("classes=%v/ratios=%s", sizes, r), func(t *testing.T) {
				t.Parallel()
				f, y := labelsFrame(t, sizes, uint64(len(sizes)))
				var prev *split.Assignment
				for _, seed := range testSeeds {
					cfg := split.Config{Strategy: split.Stratified, By: "y", Ratios: r, Seed: seed}
					a := mustSplit(t, f, cfg)
					require.Empty(t, a.Notes)
					requireWithinRounding(t, a, r)
					// Every class has, in every part, its share to within one row.
					for c, m := range sizes {
						label := "c" + strconv.Itoa(c)
						for p := range split.Part(split.NumParts) {
							got := 0
							for _, row := range a.Rows(p) {
								if y[row] == label {
									got++
								}
							}
							want := float64(m) * ratioOf(r, p)
							require.Lessf(t, math.Abs(float64(got)-want), 1.0, "class %s part %s: %d rows, want %.2f", label, p, got, want)
						}
					}
					require.Equal(t, a, mustSplit(t, f, cfg), "same seed, same assignment")
					if prev != nil && f.NumRows() >= 50 {
						require.NotEqual(t, prev.Parts, a.Parts, "different seeds, different assignments")
					}
					prev = a
				}
			})
		}
	}
}

func TestSplitStratifiedSmallClasses(t *testing.T) {
	t.Parallel()
	// "one" has 1 row and "two" 2 rows: too few for 3 parts.
	y := []string{"two", "big", "one", "big", "two"}
	for range 95 {
		y = append(y, "big")
	}
	missing := make([]bool, len(y))
	missing[10] = true // a missing target is a class of its own, here of 1 row
	f := mustFrame(t, "label", frame.NewCategoricalFromStrings(y, missing))
	for _, seed := range testSeeds {
		a := mustSplit(t, f, split.Config{Strategy: split.Stratified, By: "label", Seed: seed})
		require.Equal(t, split.Train, a.Parts[2], "a 1-row class goes to train")
		require.Equal(t, split.Train, a.Parts[10], "the 1-row missing class goes to train")
		require.ElementsMatch(t, []split.Part{split.Train, split.Test}, []split.Part{a.Parts[0], a.Parts[4]},
			"a 2-row class goes to train and test")
		require.Len(t, a.Notes, 1)
		note := a.Notes[0]
		require.Equal(t, split.NoteSmallClass, note.Check)
		require.Equal(t, split.SeverityWarning, note.Severity)
		require.Equal(t, "label", note.Column)
		require.Equal(t, 4, note.Count)
		require.Equal(t, []string{"one", "two", "(missing)"}, note.Values)
		require.Equal(t, `3 classes of "label" have fewer rows than the 3 parts and cannot appear in every part; `+
			`their rows went to train, test, validation, in that order, one row each: "one" (1 row), "two" (2 rows), "(missing)" (1 row)`,
			note.Message)
	}
	// Without validation, two parts: only the 1-row classes are small.
	a := mustSplit(t, f, split.Config{Strategy: split.Stratified, By: "label", Ratios: split.Ratios{Train: 0.5, Test: 0.5}})
	require.Len(t, a.Notes, 1)
	require.Equal(t, []string{"one", "(missing)"}, a.Notes[0].Values)
	require.NotEqual(t, a.Parts[0], a.Parts[4], "a 2-row class is split in half")
}

func TestSplitStratifiedNumericTarget(t *testing.T) {
	t.Parallel()
	y := make([]float64, 300)
	for i := range y {
		y[i] = float64(i % 3)
	}
	f := mustFrame(t, "y", frame.NewNumeric(y))
	a := mustSplit(t, f, split.Config{Strategy: split.Stratified, By: "y", Seed: 3})
	for p := range split.Part(split.NumParts) {
		var count [3]int
		for _, row := range a.Rows(p) {
			count[int(y[row])]++
		}
		want := 100 * ratioOf(split.DefaultRatios, p)
		for _, got := range count {
			require.InDelta(t, want, float64(got), 1)
		}
	}
}

// timeFrame returns a frame whose datetime column t has n values drawn
// from distinct instants (distinct=true) or from only n/10 days.
func timeFrame(tb testing.TB, n int, distinct bool, seed uint64) (*frame.Frame, []int64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	base := int64(1_700_000_000) * 1e9
	t := make([]int64, n)
	for i := range t {
		if distinct {
			t[i] = base + int64(i)*37e9
		} else {
			t[i] = base + int64(rng.IntN(max(n/10, 1)))*86400e9
		}
	}
	rng.Shuffle(n, func(i, j int) { t[i], t[j] = t[j], t[i] })
	return mustFrame(tb, "t", frame.NewDatetime(t)), t
}

// requireTimeOrdered requires every row of a later part to be strictly
// later than every row of an earlier part.
func requireTimeOrdered(tb testing.TB, a *split.Assignment, t []int64) {
	tb.Helper()
	lo := [split.NumParts]int64{math.MaxInt64, math.MaxInt64, math.MaxInt64}
	hi := [split.NumParts]int64{math.MinInt64, math.MinInt64, math.MinInt64}
	for i, p := range a.Parts {
		lo[p], hi[p] = min(lo[p], t[i]), max(hi[p], t[i])
	}
	for p := range split.NumParts {
		for q := p + 1; q < split.NumParts; q++ {
			if a.Counts.Of(split.Part(p)) > 0 && a.Counts.Of(split.Part(q)) > 0 {
				require.Less(tb, hi[p], lo[q], "every %s row before every %s row", split.Part(p), split.Part(q))
			}
		}
	}
}

func TestSplitTime(t *testing.T) {
	t.Parallel()
	for _, n := range []int{20, 333, 2000} {
		for _, r := range testRatios {
			for _, distinct := range []bool{true, false} {
				if !distinct && n < 100 {
					continue // n/10 days are too few for three parts
				}
				t.Run(fmt.Sprintf("n=%d/ratios=%s/distinct=%v", n, r, distinct), func(t *testing.T) {
					t.Parallel()
					f, times := timeFrame(t, n, distinct, uint64(n))
					cfg := split.Config{Strategy: split.Time, By: "t", Ratios: r}
					a := mustSplit(t, f, cfg)
					requireTimeOrdered(t, a, times)
					if distinct {
						requireWithinRounding(t, a, r)
					} else {
						// Ties stay in the earlier part: boundaries only move later.
						want := float64(n) * r.Train
						require.GreaterOrEqual(t, float64(a.Counts.Train), math.Floor(want))
						require.GreaterOrEqual(t, float64(a.Counts.Train+a.Counts.Validation), math.Floor(float64(n)*(r.Train+r.Validation)))
					}
					for _, seed := range testSeeds {
						cfg.Seed = seed
						require.Equal(t, a, mustSplit(t, f, cfg), "a time split has no randomness")
					}
				})
			}
		}
	}
}

func TestSplitTimeTiesStayInEarlierPart(t *testing.T) {
	t.Parallel()
	// 10 rows, times -3..7 with 6 repeated: the train boundary (7 rows)
	// falls inside the run of 6s, which stays in train.
	x := []float64{6, -3, 1, 6, 2, 3, 6, 4, 5, 7}
	f := mustFrame(t, "t", frame.NewNumeric(x))
	a := mustSplit(t, f, split.Config{Strategy: split.Time, By: "t", Ratios: split.Ratios{Train: 0.7, Test: 0.3}})
	require.Equal(t, split.Counts{Train: 9, Test: 1}, a.Counts)
	require.Equal(t, []int{9}, a.Rows(split.Test))
}

func TestSplitTimeRefusesMissing(t *testing.T) {
	t.Parallel()
	_, times := timeFrame(t, 100, true, 5)
	times[17], times[40] = frame.NaT, frame.NaT
	f := mustFrame(t, "created_at", frame.NewDatetime(times))
	_, err := split.Split(f, split.Config{Strategy: split.Time, By: "created_at"})
	require.EqualError(t, err, `split: time column "created_at" has 2 rows with a missing time (first at row 17): drop or fill them before a time split`)
}

func TestSplitGroup(t *testing.T) {
	t.Parallel()
	for _, n := range []int{50, 333, 2000} {
		for _, r := range testRatios {
			t.Run(fmt.Sprintf("n=%d/ratios=%s", n, r), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(uint64(n), 3))
				// Groups of 1 to 10 rows, in a shuffled order.
				var g []string
				maxSize := 0
				for id := 0; len(g) < n; id++ {
					size := min(1+rng.IntN(10), n-len(g))
					maxSize = max(maxSize, size)
					for range size {
						g = append(g, "user"+strconv.Itoa(id))
					}
				}
				rng.Shuffle(n, func(i, j int) { g[i], g[j] = g[j], g[i] })
				f := mustFrame(t, "user", frame.NewCategoricalFromStrings(g, nil))
				var prev *split.Assignment
				for _, seed := range testSeeds {
					cfg := split.Config{Strategy: split.Group, By: "user", Ratios: r, Seed: seed}
					a := mustSplit(t, f, cfg)
					partOf := make(map[string]split.Part)
					for i, p := range a.Parts {
						if q, ok := partOf[g[i]]; ok {
							require.Equal(t, q, p, "group %s split", g[i])
						}
						partOf[g[i]] = p
					}
					for p := range split.Part(split.NumParts) {
						want := float64(n) * ratioOf(r, p)
						require.LessOrEqual(t, math.Abs(float64(a.Counts.Of(p))-want), float64(maxSize), "part %s", p)
					}
					require.Equal(t, a, mustSplit(t, f, cfg), "same seed, same assignment")
					// The seed orders groups of equal size, so a few groups
					// of distinct sizes may split alike whatever the seed.
					if prev != nil && n >= 300 {
						require.NotEqual(t, prev.Parts, a.Parts, "different seeds, different assignments")
					}
					prev = a
				}
			})
		}
	}
}

func TestSplitGroupFewGroups(t *testing.T) {
	t.Parallel()
	// Groups of 5, 3 and 2 rows: the largest-need rule alone would put the
	// first two in train; the last groups go to the parts still empty.
	g := []string{"a", "a", "a", "a", "a", "b", "b", "b", "c", "c"}
	f := mustFrame(t, "g", frame.NewCategoricalFromStrings(g, nil))
	for _, seed := range testSeeds {
		a := mustSplit(t, f, split.Config{Strategy: split.Group, By: "g", Seed: seed})
		require.Equal(t, split.Counts{Train: 5, Validation: 3, Test: 2}, a.Counts)
	}
}

func TestSplitGroupMissing(t *testing.T) {
	t.Parallel()
	g := make([]float64, 100)
	for i := range g {
		g[i] = float64(i / 4)
	}
	g[3], g[50], g[99] = math.NaN(), math.NaN(), math.NaN()
	f := mustFrame(t, "customer", frame.NewNumeric(g))
	a := mustSplit(t, f, split.Config{Strategy: split.Group, By: "customer", Seed: 1})
	require.Equal(t, a.Parts[3], a.Parts[50])
	require.Equal(t, a.Parts[3], a.Parts[99])
	require.Len(t, a.Notes, 1)
	require.Equal(t, split.NoteMissingGroup, a.Notes[0].Check)
	require.Equal(t, split.SeverityInfo, a.Notes[0].Severity)
	require.Equal(t, []int{3, 50, 99}, a.Notes[0].Rows)
	require.Equal(t, fmt.Sprintf(`3 rows have no value in group column "customer": they form one group, placed in %s`, a.Parts[3]),
		a.Notes[0].Message)
}

func TestSplitErrors(t *testing.T) {
	t.Parallel()
	f := mustFrame(t,
		"x", frame.NewNumeric([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
		"day", frame.NewDatetime([]int64{1, 1, 1, 1, 1, 1, 1, 1, 2, 2}),
		"g", frame.NewCategoricalFromStrings([]string{"a", "a", "a", "a", "a", "b", "b", "b", "b", "b"}, nil),
		"note", frame.NewText([]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, nil),
	)
	tests := []struct {
		name    string
		f       *frame.Frame
		cfg     split.Config
		wantErr string
	}{
		{"unknown strategy", f, split.Config{Strategy: "kmeans"}, `split: unknown strategy "kmeans" (want random, stratified, time or group)`},
		{"no column", f, split.Config{Strategy: split.Group}, `split: the group strategy needs a column to split by`},
		{"unknown column", f, split.Config{Strategy: split.Time, By: "ts"}, `split: time split by "ts": no such column`},
		{"bad ratios", f, split.Config{Ratios: split.Ratios{Train: 0.9, Test: 0.2}}, `split: ratios "0.9,0,0.2" sum to 1.1, want 1`},
		{"time on text", f, split.Config{Strategy: split.Time, By: "note"}, `split: time split by "note": the column is text, want datetime or numeric`},
		{"too few times", f, split.Config{Strategy: split.Time, By: "day"},
			`split: time split with ratios "0.7,0.15,0.15": column "day" has too few distinct times: the test part would be empty`},
		{"too few groups", f, split.Config{Strategy: split.Group, By: "g"},
			`split: group split with ratios "0.7,0.15,0.15": column "g" has too few groups: the test part would be empty`},
		{"stratified by a unique column", seqFrame(t, 10), split.Config{Strategy: split.Stratified, By: "x"},
			`split: stratified split with ratios "0.7,0.15,0.15": 10 of 10 rows are in classes of "x" too small to reach every part: ` +
				`the validation and test parts would be empty`},
		{"too few rows", seqFrame(t, 2), split.Config{},
			`split: random split with ratios "0.7,0.15,0.15": 2 rows are too few: the validation and test parts would be empty`},
		{"empty frame", seqFrame(t, 0), split.Config{Strategy: split.Time, By: "x"},
			`split: time split with ratios "0.7,0.15,0.15": column "x" has too few distinct times: the train, validation and test parts would be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := split.Split(tt.f, tt.cfg)
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestSplitRowsIncreasing(t *testing.T) {
	t.Parallel()
	a := mustSplit(t, seqFrame(t, 500), split.Config{Seed: 9})
	seen := make([]bool, 500)
	for p := range split.Part(split.NumParts) {
		rows := a.Rows(p)
		require.True(t, slices.IsSorted(rows))
		for _, row := range rows {
			require.False(t, seen[row])
			seen[row] = true
		}
	}
	require.NotContains(t, seen, false)
}
