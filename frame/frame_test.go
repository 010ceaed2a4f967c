package frame

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testFrame returns a frame with one column of every type and a missing
// value in each.
func testFrame(tb testing.TB) *Frame {
	tb.Helper()
	f, err := New(
		[]string{"n", "c", "b", "d", "t"},
		[]Column{
			NewNumeric([]float64{1.5, math.NaN(), -2, 0}),
			NewCategorical([]int32{1, 0, -1, 1}, []string{"a", "b"}),
			NewBool([]bool{true, false, false, true}, []bool{false, false, true, false}),
			NewDatetime([]int64{0, NaT, 86400e9 + 1, 86400e9}),
			NewText([]string{"x", "", "y", "z"}, []bool{false, true, false, false}),
		})
	require.NoError(tb, err)
	return f
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	n := NewNumeric([]float64{1, 2})
	tests := []struct {
		name  string
		names []string
		cols  []Column
		want  string
	}{
		{"count", []string{"a"}, []Column{n, n}, "frame: 1 names for 2 columns"},
		{"empty name", []string{"a", ""}, []Column{n, n}, "frame: column 2 has an empty name"},
		{"repeated name", []string{"a", "a"}, []Column{n, n}, `frame: column name "a" repeated (columns 1 and 2)`},
		{"nil column", []string{"a"}, []Column{nil}, `frame: column "a" is nil`},
		{"lengths", []string{"a", "b"}, []Column{n, NewNumeric([]float64{1})}, `frame: column "b" has 1 rows, column "a" has 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.names, tt.cols)
			require.EqualError(t, err, tt.want)
		})
	}
	f, err := New(nil, nil)
	require.NoError(t, err)
	require.Equal(t, 0, f.NumRows())
	require.Equal(t, 0, f.NumCols())
}

func TestFrameAccessors(t *testing.T) {
	t.Parallel()
	f := testFrame(t)
	require.Equal(t, 4, f.NumRows())
	require.Equal(t, 5, f.NumCols())
	names := f.Names()
	require.Equal(t, []string{"n", "c", "b", "d", "t"}, names)
	names[0] = "changed"
	require.Equal(t, "n", f.Name(0), "Names returns a copy")
	require.Equal(t, 3, f.ColumnIndex("d"))
	require.Equal(t, -1, f.ColumnIndex("zz"))
	require.Nil(t, f.Column("zz"))
	require.Equal(t, TypeBool, f.Column("b").Type())
	require.Equal(t, TypeText, f.ColumnAt(4).Type())
	require.Equal(t, [][]string{
		{"1.5", "b", "true", "1970-01-01", "x"},
		{"", "a", "false", "", ""},
		{"-2", "", "", "1970-01-02T00:00:00.000000001Z", "y"},
		{"0", "b", "true", "1970-01-02", "z"},
	}, cells(f))
}

func TestSelectDrop(t *testing.T) {
	t.Parallel()
	f := testFrame(t)
	s, err := f.Select("t", "n")
	require.NoError(t, err)
	require.Equal(t, []string{"t", "n"}, s.Names())
	require.Equal(t, 4, s.NumRows())
	require.Equal(t, "x", s.Cell(0, 0))
	require.Equal(t, 1, s.ColumnIndex("n"))

	_, err = f.Select("n", "nope")
	require.True(t, errors.Is(err, ErrNoColumn))
	require.EqualError(t, err, `frame: select "nope": no such column`)
	_, err = f.Select("n", "n")
	require.EqualError(t, err, `frame: select: column "n" named twice`)

	d, err := f.Drop("c", "d")
	require.NoError(t, err)
	require.Equal(t, []string{"n", "b", "t"}, d.Names())
	require.Equal(t, -1, d.ColumnIndex("c"))
	_, err = f.Drop("nope")
	require.ErrorIs(t, err, ErrNoColumn)
	require.Equal(t, 5, f.NumCols(), "the receiver is unchanged")
}

func TestTake(t *testing.T) {
	t.Parallel()
	f := testFrame(t)
	tests := []struct {
		name string
		rows []int
		want [][]string
	}{
		{"reorder", []int{3, 0}, [][]string{{"0", "b", "true", "1970-01-02", "z"}, {"1.5", "b", "true", "1970-01-01", "x"}}},
		{"repeat and missing", []int{1, 1}, [][]string{{"", "a", "false", "", ""}, {"", "a", "false", "", ""}}},
		{"none", []int{}, [][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := f.Take(tt.rows)
			require.Equal(t, len(tt.rows), g.NumRows())
			require.Equal(t, f.Names(), g.Names())
			require.Equal(t, tt.want, cells(g))
			for j := range g.NumCols() {
				require.Equal(t, len(tt.rows), g.ColumnAt(j).Len())
			}
		})
	}
	require.Panics(t, func() { f.Take([]int{4}) })
	require.Panics(t, func() { f.Take([]int{-1}) })
	require.Equal(t, cells(f)[:2], cells(f.Head(2)))
	require.Equal(t, 4, f.Head(10).NumRows())
	require.Equal(t, 0, f.Head(-1).NumRows())
}

func TestColumns(t *testing.T) {
	t.Parallel()
	f := testFrame(t)

	n := f.Column("n").(*Numeric)
	require.Equal(t, 4, n.Len())
	require.True(t, n.IsMissing(1))
	require.Equal(t, 1, n.NumMissing())
	require.Equal(t, -2.0, n.Values()[2])

	c := f.Column("c").(*Categorical)
	require.Equal(t, []string{"a", "b"}, c.Categories())
	require.Equal(t, []int32{1, 0, -1, 1}, c.Codes())
	v, ok := c.Value(0)
	require.True(t, ok)
	require.Equal(t, "b", v)
	_, ok = c.Value(2)
	require.False(t, ok)
	require.Equal(t, 1, c.NumMissing())

	b := f.Column("b").(*Bool)
	bv, ok := b.Value(0)
	require.True(t, ok)
	require.True(t, bv)
	_, ok = b.Value(2)
	require.False(t, ok)
	require.Equal(t, 1, b.NumMissing())

	d := f.Column("d").(*Datetime)
	tm, ok := d.Time(3)
	require.True(t, ok)
	require.Equal(t, time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC), tm)
	_, ok = d.Time(1)
	require.False(t, ok)
	require.Equal(t, 1, d.NumMissing())

	tx := f.Column("t").(*Text)
	s, ok := tx.Value(2)
	require.True(t, ok)
	require.Equal(t, "y", s)
	_, ok = tx.Value(1)
	require.False(t, ok)
	require.Equal(t, 1, tx.NumMissing())

	require.Equal(t, 0, NewBool([]bool{true}, nil).NumMissing())
	require.Equal(t, 0, NewText([]string{""}, nil).NumMissing())
}

func TestColumnConstructors(t *testing.T) {
	t.Parallel()
	c := NewCategoricalFromStrings([]string{"b", "a", "x", "b"}, []bool{false, false, true, false})
	require.Equal(t, []string{"a", "b"}, c.Categories())
	require.Equal(t, []int32{1, 0, -1, 1}, c.Codes())

	d := NewDatetimeFromTimes([]time.Time{time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)), {}})
	require.Equal(t, "2024-01-02T02:04:05.000000006Z", d.Cell(0))
	require.True(t, d.IsMissing(1))

	require.Panics(t, func() { NewCategorical([]int32{2}, []string{"a", "b"}) })
	require.Panics(t, func() { NewCategorical([]int32{-2}, []string{"a"}) })
	require.Panics(t, func() { NewCategorical(nil, []string{"a", "a"}) })
	require.Panics(t, func() { NewCategoricalFromStrings([]string{"a"}, []bool{}) })
	require.Panics(t, func() { NewBool([]bool{true}, []bool{}) })
	require.Panics(t, func() { NewText([]string{"a"}, []bool{}) })
	require.Panics(t, func() { NewDatetimeFromTimes([]time.Time{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}) })
}

func TestNumericCell(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{-2.5, "-2.5"},
		{0.1, "0.1"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{1e-6, "0.000001"},
		{1.5e-7, "1.5e-07"},
		{0.30000000000000004, "0.30000000000000004"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
		{math.NaN(), ""},
	}
	for _, tt := range tests {
		c := NewNumeric([]float64{tt.v})
		require.Equal(t, tt.want, c.Cell(0))
		if tt.want != "" {
			back, ok := parseFloat([]byte(tt.want))
			require.True(t, ok)
			require.Equal(t, math.Float64bits(tt.v), math.Float64bits(back), tt.want)
		}
	}
}

func TestRowHashes(t *testing.T) {
	t.Parallel()
	f := testFrame(t)
	h := f.RowHashes()
	require.Len(t, h, 4)
	// Every row differs.
	seen := map[uint64]bool{}
	for _, v := range h {
		require.False(t, seen[v])
		seen[v] = true
	}
	// Take keeps the hashes of the rows it takes.
	g := f.Take([]int{3, 1, 3})
	require.Equal(t, []uint64{h[3], h[1], h[3]}, g.RowHashes())

	// Categories hash as strings, whatever the dictionary, and the same
	// as text; -0 hashes as 0.
	a, err := New([]string{"c", "n"}, []Column{
		NewCategorical([]int32{0, 1, -1}, []string{"x", "y"}),
		NewNumeric([]float64{0, 1, math.NaN()}),
	})
	require.NoError(t, err)
	b, err := New([]string{"c", "n"}, []Column{
		NewCategorical([]int32{2, 0, -1}, []string{"y", "z", "x"}),
		NewNumeric([]float64{math.Copysign(0, -1), 1, math.NaN()}),
	})
	require.NoError(t, err)
	c, err := New([]string{"c", "n"}, []Column{
		NewText([]string{"x", "y", ""}, []bool{false, false, true}),
		NewNumeric([]float64{0, 1, math.NaN()}),
	})
	require.NoError(t, err)
	require.Equal(t, a.RowHashes(), b.RowHashes())
	require.Equal(t, a.RowHashes(), c.RowHashes())

	// Missing differs from every value, and types differ from each other.
	distinct := []Column{
		NewNumeric([]float64{math.NaN()}),
		NewNumeric([]float64{0}),
		NewNumeric([]float64{1}),
		NewBool([]bool{true}, nil),
		NewBool([]bool{false}, nil),
		NewDatetime([]int64{0}),
		NewDatetime([]int64{1}),
		NewText([]string{""}, nil),
		NewText([]string{"1"}, nil),
	}
	seen = map[uint64]bool{}
	for i, col := range distinct {
		one, err := New([]string{"x"}, []Column{col})
		require.NoError(t, err)
		v := one.RowHashes()[0]
		require.False(t, seen[v], "column %d", i)
		seen[v] = true
	}

	// The hashes are stable across runs and platforms.
	one, err := New([]string{"a", "b"}, []Column{NewNumeric([]float64{1.5}), NewText([]string{"x"}, nil)})
	require.NoError(t, err)
	require.Equal(t, []uint64{0xe45166ee5b925ff6}, one.RowHashes(), "a change here changes every stored row hash")
}
