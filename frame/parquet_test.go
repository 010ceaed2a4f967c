package frame

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"
)

func parquetRoundTrip(tb testing.TB, f *Frame) *Frame {
	tb.Helper()
	var buf bytes.Buffer
	require.NoError(tb, WriteParquet(&buf, f))
	g, err := ReadParquet(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{Name: "mem.parquet"})
	require.NoError(tb, err)
	return g
}

func TestParquetRoundTrip(t *testing.T) {
	t.Parallel()
	// Column names out of alphabetical order: the order is kept.
	f, err := New(
		[]string{"zeta", "alpha", "mid", "when", "note"},
		[]Column{
			NewNumeric([]float64{1.5, math.NaN(), math.Inf(-1), math.Copysign(0, -1)}),
			NewCategorical([]int32{1, 0, -1, 1}, []string{"a", "b"}),
			NewBool([]bool{true, false, false, true}, []bool{false, false, true, false}),
			NewDatetime([]int64{0, NaT, -86400e9 + 7, 1700000000123456789}),
			NewText([]string{"x", "", "", "z\nwith newline"}, []bool{false, true, false, false}),
		})
	require.NoError(t, err)
	g := parquetRoundTrip(t, f)
	require.Equal(t, f.Names(), g.Names())
	require.Equal(t, types(f), types(g))
	require.Equal(t, cells(f), cells(g))
	require.Equal(t, f.RowHashes(), g.RowHashes())
	require.True(t, g.Column("note").IsMissing(1))
	require.False(t, g.Column("note").IsMissing(2), "an empty string is not missing")
}

func TestParquetRoundTripRowGroups(t *testing.T) {
	t.Parallel()
	n := parquetRowGroupRows + 1000
	vals := make([]float64, n)
	strs := make([]string, n)
	for i := range vals {
		vals[i] = float64(i) / 7
		if i%11 == 0 {
			vals[i] = math.NaN()
		}
		strs[i] = "c" + strconv.Itoa(i%13)
	}
	f, err := New([]string{"x", "c"}, []Column{NewNumeric(vals), NewCategoricalFromStrings(strs, nil)})
	require.NoError(t, err)
	g := parquetRoundTrip(t, f)
	require.Equal(t, n, g.NumRows())
	require.Equal(t, f.RowHashes(), g.RowHashes())
}

func TestParquetEmpty(t *testing.T) {
	t.Parallel()
	f, err := New([]string{"a", "b"}, []Column{NewNumeric([]float64{}), NewText([]string{}, nil)})
	require.NoError(t, err)
	g := parquetRoundTrip(t, f)
	require.Equal(t, 0, g.NumRows())
	require.Equal(t, []string{"a", "b"}, g.Names())
	require.Equal(t, types(f), types(g))
}

func TestParquetFile(t *testing.T) {
	t.Parallel()
	// testdata/alltypes_plain.parquet comes from apache/parquet-testing
	// (written by Impala): INT32/INT64/FLOAT/DOUBLE, BOOLEAN, BYTE_ARRAY
	// without a logical type, and INT96 timestamps.
	f, err := ReadFile("testdata/alltypes_plain.parquet", ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, 8, f.NumRows())
	require.Equal(t, []Type{
		TypeNumeric, TypeBool, TypeNumeric, TypeNumeric, TypeNumeric, TypeNumeric,
		TypeNumeric, TypeNumeric, TypeCategorical, TypeCategorical, TypeDatetime,
	}, types(f))
	require.Equal(t, []string{"5", "false", "1", "1", "1", "10", "1.100000023841858", "10.1", "03/01/09", "1", "2009-03-01T00:01:00Z"}, cells(f)[1])

	// A frame read from CSV survives the trip through Parquet on disk.
	csv, err := ReadFile("testdata/quoted.csv", ReadOptions{})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "quoted.parquet")
	file, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, WriteParquet(file, csv))
	require.NoError(t, file.Close())
	back, err := ReadFile(path, ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, cells(csv), cells(back))
}

func TestParquetForeignStrings(t *testing.T) {
	t.Parallel()
	// Without the type record, strings are categorical or text by the
	// inference rules, and integer timestamps come back as datetimes.
	type row struct {
		Code  string  `parquet:"code"`
		Note  *string `parquet:"note,optional"`
		Day   int32   `parquet:"day,date"`
		Milli int64   `parquet:"milli,timestamp(millisecond)"`
		Small float32 `parquet:"small"`
	}
	long := "a long free-text note that goes on for well over thirty bytes "
	var rows []row
	for i := range 6 {
		note := long + strconv.Itoa(i)
		rows = append(rows, row{Code: "k" + strconv.Itoa(i%2), Note: &note, Day: int32(i), Milli: int64(i) * 1500, Small: 0.5})
	}
	rows[2].Note = nil
	var buf bytes.Buffer
	require.NoError(t, parquet.Write(&buf, rows))
	f, err := ReadParquet(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"code", "note", "day", "milli", "small"}, f.Names())
	require.Equal(t, []Type{TypeCategorical, TypeText, TypeDatetime, TypeDatetime, TypeNumeric}, types(f))
	require.Equal(t, []string{"k1", long + "1", "1970-01-02", "1970-01-01T00:00:01.5Z", "0.5"}, cells(f)[1])
	require.True(t, f.Column("note").IsMissing(2))
}

func TestParquetErrors(t *testing.T) {
	t.Parallel()
	_, err := ReadFile("testdata/list_columns.parquet", ReadOptions{})
	require.EqualError(t, err, `testdata/list_columns.parquet column 1 ("int64_list"): nested and repeated columns are not supported`)

	path := filepath.Join(t.TempDir(), "bad.parquet")
	require.NoError(t, os.WriteFile(path, []byte("PAR1 this is not parquet"), 0o644))
	_, err = ReadFile(path, ReadOptions{})
	var perr *ParseError
	require.True(t, errors.As(err, &perr))
	require.Equal(t, path, perr.File)
	require.Contains(t, err.Error(), path+": not a valid Parquet file: ")
}

func TestParquetTypes(t *testing.T) {
	t.Parallel()
	f, err := New([]string{"code", "n"}, []Column{
		NewCategoricalFromStrings([]string{"a", "b", "a"}, nil),
		NewNumeric([]float64{1, 2, 3}),
	})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteParquet(&buf, f))
	read := func(types map[string]Type) (*Frame, error) {
		return ReadParquet(bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{Name: "x.parquet", Types: types})
	}
	g, err := read(map[string]Type{"code": TypeText})
	require.NoError(t, err)
	require.Equal(t, []Type{TypeText, TypeNumeric}, types(g))
	require.Equal(t, cells(f), cells(g))

	_, err = read(map[string]Type{"n": TypeCategorical})
	require.EqualError(t, err, `x.parquet column 2 ("n"): ReadOptions.Types: a Parquet DOUBLE column cannot be read as categorical`)
	_, err = read(map[string]Type{"zz": TypeText})
	require.EqualError(t, err, `x.parquet: ReadOptions.Types names column "zz", which is not in the file`)
}
