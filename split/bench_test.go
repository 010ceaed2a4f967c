package split_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/frame"
	"mlw.dev/split"
)

// benchFrame returns a rows x 30 table shaped like a real one: an id, an
// event time, a binary target, 19 numeric features (5% missing in some), 6
// categorical features (4 to 5,000 categories), a boolean and a datetime
// feature.
func benchFrame(tb testing.TB, rows int) *frame.Frame {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(rows), 99))
	var names []string
	var cols []frame.Column
	add := func(name string, col frame.Column) {
		names = append(names, name)
		cols = append(cols, col)
	}
	id := make([]float64, rows)
	t := make([]int64, rows)
	opened := make([]int64, rows)
	flag := make([]bool, rows)
	target := make([]string, rows)
	signal := make([]float64, rows)
	for i := range rows {
		id[i] = float64(i)
		t[i] = int64(1_600_000_000+rng.IntN(100_000_000)) * 1e9
		opened[i] = t[i] - int64(rng.IntN(1e6))*1e9
		flag[i] = rng.IntN(3) == 0
		signal[i] = rng.NormFloat64()
		target[i] = "no"
		if signal[i]+rng.NormFloat64() > 1 {
			target[i] = "yes"
		}
	}
	add("id", frame.NewNumeric(id))
	add("t", frame.NewDatetime(t))
	add("churn", frame.NewCategoricalFromStrings(target, nil))
	add("x0", frame.NewNumeric(signal))
	for j := 1; j < 19; j++ {
		x := make([]float64, rows)
		for i := range x {
			x[i] = rng.NormFloat64() * float64(j)
			if j%4 == 0 && rng.IntN(20) == 0 {
				x[i] = math.NaN()
			}
		}
		add("x"+strconv.Itoa(j), frame.NewNumeric(x))
	}
	for j, card := range []int{4, 12, 50, 300, 1000, 5000} {
		cats := make([]string, card)
		for k := range cats {
			cats[k] = "c" + strconv.Itoa(k)
		}
		codes := make([]int32, rows)
		for i := range codes {
			codes[i] = int32(rng.IntN(card))
		}
		add("cat"+strconv.Itoa(j), frame.NewCategorical(codes, cats))
	}
	add("flag", frame.NewBool(flag, nil))
	add("opened_at", frame.NewDatetime(opened))
	f, err := frame.New(names, cols)
	require.NoError(tb, err)
	require.Equal(tb, 30, f.NumCols())
	return f
}

var (
	largeOnce  sync.Once
	largeFrame *frame.Frame
)

// benchFrame1e6 returns the 1e6-row bench frame, built once for all
// benchmarks.
func benchFrame1e6(b *testing.B) *frame.Frame {
	largeOnce.Do(func() { largeFrame = benchFrame(b, 1_000_000) })
	return largeFrame
}

func BenchmarkSplitAndCheck(b *testing.B) {
	roles := split.Roles{Target: "churn", Time: "t", ID: "id"}
	for _, size := range []string{"rows=1e5", "rows=1e6"} {
		b.Run(size, func(b *testing.B) {
			f := benchFrame1e6(b)
			if size == "rows=1e5" {
				f = f.Head(100_000)
			}
			b.ReportAllocs()
			for b.Loop() {
				a, err := split.Split(f, split.Config{Strategy: split.Stratified, By: "churn", Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				r, err := split.Check(f, a, roles)
				if err != nil {
					b.Fatal(err)
				}
				if r.Errors != 0 {
					b.Fatalf("unexpected errors: %+v", r.Findings)
				}
			}
		})
	}
}

func BenchmarkSplit(b *testing.B) {
	for _, cfg := range []split.Config{
		{Strategy: split.Random},
		{Strategy: split.Stratified, By: "churn"},
		{Strategy: split.Time, By: "t"},
		{Strategy: split.Group, By: "cat5"},
	} {
		b.Run("rows=1e6/strategy="+string(cfg.Strategy), func(b *testing.B) {
			f := benchFrame1e6(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := split.Split(f, cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
