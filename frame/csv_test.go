package frame

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// cells returns every cell of f, row by row, for comparisons.
func cells(f *Frame) [][]string {
	out := make([][]string, f.NumRows())
	for i := range out {
		out[i] = make([]string, f.NumCols())
		for j := range out[i] {
			out[i][j] = f.Cell(i, j)
		}
	}
	return out
}

// types returns the storage type of every column of f.
func types(f *Frame) []Type {
	out := make([]Type, f.NumCols())
	for j := range out {
		out[j] = f.ColumnAt(j).Type()
	}
	return out
}

func readString(tb testing.TB, s string, opts ReadOptions) *Frame {
	tb.Helper()
	f, err := ReadCSV(strings.NewReader(s), opts)
	require.NoError(tb, err)
	return f
}

func TestReadCSV(t *testing.T) {
	t.Parallel()
	N, C, B, D, T := TypeNumeric, TypeCategorical, TypeBool, TypeDatetime, TypeText
	tests := []struct {
		name  string
		input string
		opts  ReadOptions
		names []string
		types []Type
		cells [][]string
	}{
		{
			name:  "plain",
			input: "a,b\n1,x\n2,y\n",
			names: []string{"a", "b"}, types: []Type{N, C},
			cells: [][]string{{"1", "x"}, {"2", "y"}},
		},
		{
			name:  "no final newline",
			input: "a,b\n1,x\n2,y",
			names: []string{"a", "b"}, types: []Type{N, C},
			cells: [][]string{{"1", "x"}, {"2", "y"}},
		},
		{
			name:  "quoted delimiter, doubled quote and newline",
			input: "a,b,c\n\"1,5\",\"say \"\"hi\"\"\",\"two\nlines\"\n\"x\",\"\",\"y\"\n",
			names: []string{"a", "b", "c"}, types: []Type{C, C, C},
			cells: [][]string{{"1,5", `say "hi"`, "two\nlines"}, {"x", "", "y"}},
		},
		{
			name:  "quoted numbers stay numbers",
			input: "a\n\"1.5\"\n\"2\"\n",
			names: []string{"a"}, types: []Type{N},
			cells: [][]string{{"1.5"}, {"2"}},
		},
		{
			name:  "bare quote inside unquoted field is literal",
			input: "a,b\n5\"7,x\n6,y\n",
			names: []string{"a", "b"}, types: []Type{C, C},
			cells: [][]string{{`5"7`, "x"}, {"6", "y"}},
		},
		{
			name:  "CRLF and quoted field before CRLF",
			input: "a,b\r\n1,\"x\"\r\n2,y\r\n",
			names: []string{"a", "b"}, types: []Type{N, C},
			cells: [][]string{{"1", "x"}, {"2", "y"}},
		},
		{
			name:  "BOM is stripped",
			input: "\xef\xbb\xbfid,v\n1,2\n",
			names: []string{"id", "v"}, types: []Type{N, N},
			cells: [][]string{{"1", "2"}},
		},
		{
			name:  "blank lines are skipped",
			input: "\na,b\n\n1,2\r\n\r\n3,4\n\n",
			names: []string{"a", "b"}, types: []Type{N, N},
			cells: [][]string{{"1", "2"}, {"3", "4"}},
		},
		{
			name:  "header names are trimmed",
			input: " a , b\n1,2\n",
			names: []string{"a", "b"}, types: []Type{N, N},
			cells: [][]string{{"1", "2"}},
		},
		{
			name:  "header only",
			input: "a,b\n",
			names: []string{"a", "b"}, types: []Type{N, N},
			cells: [][]string{},
		},
		{
			name:  "semicolon detected",
			input: "a;b;c\n1;x,y;3\n4;z;6\n",
			names: []string{"a", "b", "c"}, types: []Type{N, C, N},
			cells: [][]string{{"1", "x,y", "3"}, {"4", "z", "6"}},
		},
		{
			name:  "tab detected",
			input: "a\tb\n1\tx y\n2\tz\n",
			names: []string{"a", "b"}, types: []Type{N, C},
			cells: [][]string{{"1", "x y"}, {"2", "z"}},
		},
		{
			name:  "pipe detected",
			input: "a|b\n1|2\n",
			names: []string{"a", "b"}, types: []Type{N, N},
			cells: [][]string{{"1", "2"}},
		},
		{
			name:  "comma inside quotes does not fool detection",
			input: "a;b\n\"1,2,3\";4\n\"5,6,7\";8\n",
			names: []string{"a", "b"}, types: []Type{C, N},
			cells: [][]string{{"1,2,3", "4"}, {"5,6,7", "8"}},
		},
		{
			name:  "explicit delimiter",
			input: "a;b,c\n1;2,3\n",
			opts:  ReadOptions{Delimiter: ','},
			names: []string{"a;b", "c"}, types: []Type{C, N},
			cells: [][]string{{"1;2", "3"}},
		},
		{
			name:  "single column",
			input: "a\n1\n2\n",
			names: []string{"a"}, types: []Type{N},
			cells: [][]string{{"1"}, {"2"}},
		},
		{
			name:  "default missing tokens",
			input: "a,b\n,x\nNA,N/A\nNaN,nan\nnull,NULL\nNone,?\n\" NA \",y\n1,\"\"\n",
			names: []string{"a", "b"}, types: []Type{N, C},
			cells: [][]string{{"", "x"}, {"", ""}, {"", ""}, {"", ""}, {"", ""}, {"", "y"}, {"1", ""}},
		},
		{
			name:  "custom missing tokens",
			input: "a,b\n-999,x\n1,-\n,NA\n",
			opts:  ReadOptions{MissingTokens: []string{"-999", "-", ""}},
			names: []string{"a", "b"}, types: []Type{N, C},
			cells: [][]string{{"", "x"}, {"1", ""}, {"", "NA"}},
		},
		{
			name:  "no missing tokens keeps empty strings",
			input: "a,b\n1,\n2,x\n",
			opts:  ReadOptions{MissingTokens: []string{}},
			names: []string{"a", "b"}, types: []Type{N, C},
			cells: [][]string{{"1", ""}, {"2", "x"}},
		},
		{
			name:  "numbers with spaces, signs, exponents and infinities",
			input: "a\n 1.5 \n+2\n-3e2\n.5\n5.\nInf\n-infinity\n",
			names: []string{"a"}, types: []Type{N},
			cells: [][]string{{"1.5"}, {"2"}, {"-300"}, {"0.5"}, {"5"}, {"+Inf"}, {"-Inf"}},
		},
		{
			name:  "strings keep their spaces",
			input: "a,b\n x ,1\ny,2\n",
			names: []string{"a", "b"}, types: []Type{C, N},
			cells: [][]string{{" x ", "1"}, {"y", "2"}},
		},
		{
			name:  "mixed column turns categorical and keeps the text of numbers",
			input: "a\n1.0\n007\nx\n1.0\n",
			names: []string{"a"}, types: []Type{C},
			cells: [][]string{{"1.0"}, {"007"}, {"x"}, {"1.0"}},
		},
		{
			name:  "booleans and datetimes",
			input: "flag,when,yn\ntrue,2024-01-02,yes\nFALSE,2024-01-03 10:00:00,no\n,,\n",
			names: []string{"flag", "when", "yn"}, types: []Type{B, D, B},
			cells: [][]string{{"true", "2024-01-02", "true"}, {"false", "2024-01-03T10:00:00Z", "false"}, {"", "", ""}},
		},
		{
			name:  "forced types",
			input: "zip,n,t\n00501,1,x\n02134,2,y\n",
			opts:  ReadOptions{Types: map[string]Type{"zip": C, "n": T, "t": T}},
			names: []string{"zip", "n", "t"}, types: []Type{C, T, T},
			cells: [][]string{{"00501", "1", "x"}, {"02134", "2", "y"}},
		},
		{
			name:  "forced numeric, boolean and datetime",
			input: "a,b,c\n1,1,2024-01-02\nNA,0,\n",
			opts:  ReadOptions{Types: map[string]Type{"a": N, "b": B, "c": D}},
			names: []string{"a", "b", "c"}, types: []Type{N, B, D},
			cells: [][]string{{"1", "true", "2024-01-02"}, {"", "false", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := readString(t, tt.input, tt.opts)
			require.Equal(t, tt.names, f.Names())
			require.Equal(t, tt.types, types(f))
			require.Equal(t, tt.cells, cells(f))
			// The same input cut into tiny chunks reads the same.
			tt.opts.chunkSize = 3
			g := readString(t, tt.input, tt.opts)
			require.Equal(t, types(f), types(g))
			require.Equal(t, cells(f), cells(g))
		})
	}
}

func TestReadCSVMissingIsExact(t *testing.T) {
	t.Parallel()
	f := readString(t, "n,c,b,d,t\n"+
		"1,x,true,2024-01-01,"+strings.Repeat("long text ", 5)+"\n"+
		"NA,NA,NA,NA,NA\n"+
		"2,y,false,2024-01-02,"+strings.Repeat("more text ", 5)+"\n", ReadOptions{})
	require.Equal(t, []Type{TypeNumeric, TypeCategorical, TypeBool, TypeDatetime, TypeText}, types(f))
	for j := range f.NumCols() {
		c := f.ColumnAt(j)
		require.False(t, c.IsMissing(0), f.Name(j))
		require.True(t, c.IsMissing(1), f.Name(j))
		require.Equal(t, 1, c.NumMissing(), f.Name(j))
	}
	require.True(t, math.IsNaN(f.Column("n").(*Numeric).Values()[1]))
	require.Equal(t, int32(-1), f.Column("c").(*Categorical).Codes()[1])
	require.Equal(t, int64(NaT), f.Column("d").(*Datetime).Values()[1])
}

func TestReadCSVChunks(t *testing.T) {
	t.Parallel()
	// Enough rows for many chunks, with quotes across chunk boundaries,
	// blank lines, and a column that turns to text late.
	var b strings.Builder
	b.WriteString("id,x,note,late\n")
	for i := range 2000 {
		late := fmt.Sprint(i % 7)
		if i == 1900 {
			late = "seven"
		}
		fmt.Fprintf(&b, "%d,%g,\"note %d, with \"\"quotes\"\"\nand a newline\",%s\n", i, float64(i)/3, i%5, late)
		if i%97 == 0 {
			b.WriteString("\n\r\n")
		}
	}
	input := b.String()
	want := readString(t, input, ReadOptions{chunkSize: 1 << 20})
	require.Equal(t, 2000, want.NumRows())
	require.Equal(t, []Type{TypeNumeric, TypeNumeric, TypeCategorical, TypeCategorical}, types(want))
	require.Equal(t, "note 3, with \"quotes\"\nand a newline", want.Cell(3, 2))
	require.Equal(t, "seven", want.Cell(1900, 3))
	require.Equal(t, "2", want.Cell(1899, 3))
	for _, size := range []int{1, 10, 100, 1000, 4096} {
		got := readString(t, input, ReadOptions{chunkSize: size})
		require.Equal(t, types(want), types(got), "chunk size %d", size)
		require.Equal(t, cells(want), cells(got), "chunk size %d", size)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path  string
		names []string
		rows  int
		first []string
	}{
		{"testdata/quoted.csv", []string{"id", "name", "comment", "score"}, 4, []string{"1", "Smith, John", `He said "hi"`, "1.5"}},
		{"testdata/bom_crlf_semicolon.csv", []string{"city", "temp", "when"}, 3, []string{"Paris", "12,5", "2024-01-02"}},
		{"testdata/iris_head.csv", []string{"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)", "target"}, 20, []string{"5.1", "3.5", "1.4", "0.2", "0"}},
		{"testdata/iris_head.csv.gz", []string{"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)", "target"}, 20, []string{"5.1", "3.5", "1.4", "0.2", "0"}},
		{"testdata/tabs.tsv", []string{"a", "b", "c"}, 2, []string{"1", "x y", "true"}},
		{"testdata/pipe.txt", []string{"a", "b"}, 2, []string{"1", "2"}},
		{"testdata/alltypes_plain.parquet", []string{"id", "bool_col", "tinyint_col", "smallint_col", "int_col", "bigint_col", "float_col", "double_col", "date_string_col", "string_col", "timestamp_col"}, 8, []string{"4", "true", "0", "0", "0", "0", "0", "0", "03/01/09", "0", "2009-03-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			f, err := ReadFile(tt.path, ReadOptions{})
			require.NoError(t, err)
			require.Equal(t, tt.names, f.Names())
			require.Equal(t, tt.rows, f.NumRows())
			require.Equal(t, tt.first, cells(f)[0])
		})
	}
}

func TestReadCSVGzipWithoutExtension(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte("a,b\n1,x\n"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	path := filepath.Join(t.TempDir(), "data.bin")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	f, err := ReadFile(path, ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"1", "x"}}, cells(f))
}

func TestReadCSVErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		opts  ReadOptions
		want  string
		line  int
		col   int
	}{
		{"empty file", "", ReadOptions{}, "data.csv: empty file, no header", 0, 0},
		{"only blank lines and BOM", "\xef\xbb\xbf\n\r\n", ReadOptions{}, "data.csv: empty file, no header", 0, 0},
		{"too few fields", "a,b,c\n1,2,3\n1,2\n", ReadOptions{}, "data.csv line 3: 2 fields, header has 3", 3, 0},
		{"too many fields", "a,b\n1,2\n\n1,2,3\n", ReadOptions{}, "data.csv line 4: 3 fields, header has 2", 4, 0},
		{"line counts quoted newlines", "a,b\n\"x\ny\",1\n1\n", ReadOptions{}, "data.csv line 4: 1 fields, header has 2", 4, 0},
		{"invalid UTF-8", "id,city\n1,Paris\n2,\xffOslo\n", ReadOptions{}, `data.csv line 3 column 2 ("city"): invalid UTF-8`, 3, 2},
		{"invalid UTF-8 in header", "a,\xff\n1,2\n", ReadOptions{}, `data.csv line 1 column 2: invalid UTF-8 in header`, 1, 2},
		{"empty header name", "a,,c\n1,2,3\n", ReadOptions{}, "data.csv line 1 column 2: empty header name", 1, 2},
		{"repeated header name", "a,b,a\n1,2,3\n", ReadOptions{}, `data.csv line 1 column 3: header name "a" repeated (also column 1)`, 1, 3},
		{"unclosed quote", "a,b\n1,\"x\n2,y\n", ReadOptions{}, `data.csv line 2 column 2 ("b"): quoted field is not closed`, 2, 2},
		{"character after closing quote", "a,b\n1,2\n\"x\"y,3\n", ReadOptions{}, `data.csv line 3 column 1 ("a"): unexpected 'y' after closing quote`, 3, 1},
		{"forced numeric", "a,b\n1,2\nx,3\n", ReadOptions{Types: map[string]Type{"a": TypeNumeric}}, `data.csv line 3 column 1 ("a"): cannot parse "x" as a number`, 3, 1},
		{"forced boolean", "a,b\n1,yes\n2,maybe\n3,perhaps\n", ReadOptions{Types: map[string]Type{"b": TypeBool}}, `data.csv line 3 column 2 ("b"): cannot parse "maybe" as a boolean`, 3, 2},
		{"forced datetime", "a,b\n1,2024-01-01\n2,2024-13-01\n", ReadOptions{Types: map[string]Type{"b": TypeDatetime}}, `data.csv line 3 column 2 ("b"): cannot parse "2024-13-01" as a datetime`, 3, 2},
		{"type for unknown column", "a\n1\n", ReadOptions{Types: map[string]Type{"z": TypeNumeric}}, `data.csv: ReadOptions.Types names column "z", which is not in the header`, 0, 0},
		{"parquet given to ReadCSV", "PAR1xxxx", ReadOptions{}, "data.csv: this is a Parquet file, not CSV (use ReadFile or ReadParquet)", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, size := range []int{0, 2} {
				tt.opts.Name = "data.csv"
				tt.opts.chunkSize = size
				_, err := ReadCSV(strings.NewReader(tt.input), tt.opts)
				require.EqualError(t, err, tt.want)
				var perr *ParseError
				require.True(t, errors.As(err, &perr))
				require.Equal(t, "data.csv", perr.File)
				require.Equal(t, tt.line, perr.Line)
				require.Equal(t, tt.col, perr.Column)
			}
		})
	}
}

func TestReadCSVFirstErrorWins(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := range 5000 {
		switch i {
		case 1000:
			b.WriteString("1\n")
		case 4000:
			b.WriteString("1,2,3\n")
		default:
			b.WriteString("1,2\n")
		}
	}
	for _, size := range []int{64, 1 << 20} {
		_, err := ReadCSV(strings.NewReader(b.String()), ReadOptions{Name: "x.csv", chunkSize: size})
		require.EqualError(t, err, "x.csv line 1002: 1 fields, header has 2")
	}
}

func TestReadOptionsInvalid(t *testing.T) {
	t.Parallel()
	for _, opts := range []ReadOptions{
		{Delimiter: '"'},
		{Delimiter: '\n'},
		{Delimiter: 0xe9},
		{Types: map[string]Type{"a": 0}},
	} {
		_, err := ReadCSV(strings.NewReader("a\n1\n"), opts)
		require.Error(t, err)
	}
}

func TestReadFileNotFound(t *testing.T) {
	t.Parallel()
	_, err := ReadFile(filepath.Join(t.TempDir(), "missing.csv"), ReadOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestParseErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  ParseError
		want string
	}{
		{ParseError{File: "d.csv", Line: 3, Column: 2, ColumnName: "city", Msg: "bad"}, `d.csv line 3 column 2 ("city"): bad`},
		{ParseError{Line: 3, Column: 2, Msg: "bad"}, "line 3 column 2: bad"},
		{ParseError{File: "d.csv", Msg: "bad"}, "d.csv: bad"},
		{ParseError{Msg: "bad", Err: os.ErrClosed}, "bad: " + os.ErrClosed.Error()},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.err.Error())
	}
	e := &ParseError{Msg: "x", Err: os.ErrClosed}
	require.ErrorIs(t, e, os.ErrClosed)
}

func TestWriteCSVRoundTrip(t *testing.T) {
	t.Parallel()
	input := "n,c,b,d,t\n" +
		"1.5,\"a, b\",true,2024-01-02,\"" + strings.Repeat("x", 40) + "\"\"q\"\"\"\n" +
		"NA,\" padded \",no,2024-01-02T03:04:05.123456789+01:00,\"line\nbreak" + strings.Repeat("y", 30) + "\"\n" +
		"1e300,plain,,,\n"
	f := readString(t, input, ReadOptions{})
	require.Equal(t, []Type{TypeNumeric, TypeCategorical, TypeBool, TypeDatetime, TypeText}, types(f))
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, f))
	require.Equal(t, "n,c,b,d,t\n"+
		"1.5,\"a, b\",true,2024-01-02,\""+strings.Repeat("x", 40)+"\"\"q\"\"\"\n"+
		",\" padded \",false,2024-01-02T02:04:05.123456789Z,\"line\nbreak"+strings.Repeat("y", 30)+"\"\n"+
		"1e+300,plain,,,\n", buf.String())
	g := readString(t, buf.String(), ReadOptions{Delimiter: ','})
	require.Equal(t, types(f), types(g))
	require.Equal(t, cells(f), cells(g))
}

func TestWriteCSVSingleColumnMissing(t *testing.T) {
	t.Parallel()
	f, err := New([]string{"a"}, []Column{NewNumeric([]float64{1, math.NaN(), 3})})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, f))
	require.Equal(t, "a\n1\n\"\"\n3\n", buf.String())
	g := readString(t, buf.String(), ReadOptions{})
	require.Equal(t, cells(f), cells(g))
}

func TestReadGzipErrors(t *testing.T) {
	t.Parallel()
	good := gzipString("a,b\n1,2\n")
	corrupt := good[:len(good)-6] + "xxxxxx" // bad checksum and size
	_, err := ReadCSV(strings.NewReader(corrupt), ReadOptions{Name: "data.csv.gz"})
	var perr *ParseError
	require.True(t, errors.As(err, &perr))
	require.Contains(t, err.Error(), "data.csv.gz: invalid gzip data: ")

	// Gzip-compressed Parquet.
	f, err := ReadFile("testdata/alltypes_plain.parquet", ReadOptions{})
	require.NoError(t, err)
	raw, err := os.ReadFile("testdata/alltypes_plain.parquet")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "x.parquet.gz")
	require.NoError(t, os.WriteFile(path, []byte(gzipString(string(raw))), 0o644))
	g, err := ReadFile(path, ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, cells(f), cells(g))
}

func TestReadFileTSVSingleColumn(t *testing.T) {
	t.Parallel()
	// Detection would take the commas for delimiters; .tsv means tab.
	path := filepath.Join(t.TempDir(), "names.tsv")
	require.NoError(t, os.WriteFile(path, []byte("name\nSmith, John\nDoe, Jane\n"), 0o644))
	f, err := ReadFile(path, ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"name"}, f.Names())
	require.Equal(t, [][]string{{"Smith, John"}, {"Doe, Jane"}}, cells(f))
}
