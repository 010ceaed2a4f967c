package frame

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzReadCSV checks that ReadCSV never panics, that cutting the input into
// small chunks changes nothing, that a frame it returns is consistent, and
// that WriteCSV writes what ReadCSV reads back.
func FuzzReadCSV(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzz seeds skipped with -short")
	}
	for _, seed := range []string{
		"a,b\n1,x\n2,y\n",
		"a;b\r\n1,5;\"x;y\"\r\n",
		"\xef\xbb\xbfid\tname\n1\t\"multi\nline\"\n",
		"a,b\n\"unclosed,1\n",
		"a,b\n\"x\"y,1\n",
		"a,a\n1,2\n",
		"a,b\n1\n",
		"a,b\n1,2,3\n",
		"x\nNA\n\n\"\"\n1e400\n-0\ninf\n",
		"flag,when,n\ntrue,2024-01-02T03:04:05Z,1\nno,01/02/2006,\nyes,,x\n",
		"c\n\xff\n",
		"id,text\n1," + strings.Repeat("long text ", 5) + "\n2," + strings.Repeat("more text ", 5) + "\n",
		"",
		"\n\n",
		"PAR1",
		"\x1f\x8b\x08\x00garbage",
		gzipString("a,b\n1,2\n"),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ReadCSV(bytes.NewReader(data), ReadOptions{Name: "fuzz.csv"})
		chunked, err2 := ReadCSV(bytes.NewReader(data), ReadOptions{Name: "fuzz.csv", chunkSize: 7})
		if err != nil {
			require.Error(t, err2)
			require.Equal(t, err.Error(), err2.Error())
			var perr *ParseError
			require.True(t, errors.As(err, &perr), "%v", err)
			return
		}
		require.NoError(t, err2)
		require.Equal(t, fr.Names(), chunked.Names())
		require.Equal(t, types(fr), types(chunked))
		require.Equal(t, cells(fr), cells(chunked))
		requireConsistent(t, fr)

		var buf bytes.Buffer
		require.NoError(t, WriteCSV(&buf, fr))
		back, err := ReadCSV(bytes.NewReader(buf.Bytes()), ReadOptions{Delimiter: ','})
		require.NoError(t, err, "re-reading %q", buf.String())
		require.Equal(t, fr.Names(), back.Names())
		require.Equal(t, types(fr), types(back), "re-reading %q", buf.String())
		require.Equal(t, cells(fr), cells(back))
		require.Equal(t, fr.RowHashes(), back.RowHashes())
	})
}

func gzipString(s string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return buf.String()
}

// requireConsistent checks the invariants of a frame read with the default
// missing tokens.
func requireConsistent(tb testing.TB, f *Frame) {
	tb.Helper()
	names := f.Names()
	for i, name := range names {
		require.NotEmpty(tb, name)
		require.Equal(tb, strings.TrimSpace(name), name)
		require.False(tb, slices.Contains(names[:i], name))
		require.Equal(tb, i, f.ColumnIndex(name))
	}
	for j := range f.NumCols() {
		c := f.ColumnAt(j)
		require.Equal(tb, f.NumRows(), c.Len())
		missing := 0
		for i := range c.Len() {
			if c.IsMissing(i) {
				missing++
				require.Equal(tb, "", c.Cell(i))
			} else {
				require.NotEqual(tb, "", c.Cell(i))
			}
		}
		require.Equal(tb, missing, c.NumMissing())
		if cat, ok := c.(*Categorical); ok {
			require.True(tb, slices.IsSorted(cat.Categories()))
		}
	}
	s := InferSchema(f, SchemaOptions{})
	require.Len(tb, s.Fields, f.NumCols())
	for _, fd := range s.Fields {
		require.Contains(tb, allowedKinds[fd.Type], fd.Kind, fd.Name)
	}
}

// allowedKinds lists the kinds InferSchema may give each storage type; the
// readers store strings as Text only when their kind is text or id.
var allowedKinds = map[Type][]Kind{
	TypeNumeric:     {KindNumeric, KindBoolean, KindID, KindConstant},
	TypeCategorical: {KindCategorical, KindConstant},
	TypeBool:        {KindBoolean, KindConstant},
	TypeDatetime:    {KindDatetime, KindConstant},
	TypeText:        {KindText, KindID},
}

// FuzzInfer reads one column of values (one per line of values) and checks
// the inferred storage against the values: numbers parse to what is stored,
// strings are kept as they are, booleans and datetimes parse back, missing
// tokens are missing, and the kind fits the storage type.
func FuzzInfer(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzz seeds skipped with -short")
	}
	for _, seed := range []struct{ name, values string }{
		{"x", "1\n2\n3"},
		{"x", "1.5\nNA\n-2e3\n"},
		{"flag", "yes\nno\nY\n0"},
		{"x", "0\n1\n1"},
		{"when", "2024-01-02\n2024-01-03 10:00:00\n"},
		{"when", "01/02/2006\n13/02/2006"},
		{"when", "2024-01-02T10:00:00+01:00\n\n"},
		{"city", "Paris\nOslo\nParis\n NA "},
		{"ticket_id", "T1\nT2\nT3"},
		{"note", strings.Repeat("a long sentence of free text ", 2) + "\n" + strings.Repeat("another long sentence ", 2)},
		{"x", "007\n1.0\nx"},
		{"x", "inf\n-Infinity\nnan"},
		{"x", "\xff\n"},
		{"", "1"},
	} {
		f.Add(seed.name, seed.values)
	}
	missingTokens := DefaultMissingTokens()
	f.Fuzz(func(t *testing.T, name, values string) {
		vals := strings.Split(values, "\n")
		for _, v := range vals {
			requireSameFloat(t, v)
			if _, ok := parseBool(v); ok {
				require.Contains(t, []string{"true", "t", "yes", "y", "1", "false", "f", "no", "n", "0"}, strings.ToLower(strings.TrimSpace(v)))
			}
			for _, l := range timeLayouts {
				if ns, ok := l.parse(v); ok {
					y := time.Unix(0, ns).UTC().Year()
					require.True(t, y >= 1677 && y <= 2262, "%q parsed by %s as year %d", v, l.name, y)
				}
			}
		}
		fr, err := ReadCSV(strings.NewReader(oneColumn(name, vals...)), ReadOptions{Delimiter: ','})
		if err != nil {
			var perr *ParseError
			require.True(t, errors.As(err, &perr), "%v", err)
			return
		}
		requireConsistent(t, fr)
		require.Equal(t, len(vals), fr.NumRows())
		col := fr.ColumnAt(0)
		for i, v := range vals {
			trimmed := string(trimSpace([]byte(v)))
			if slices.Contains(missingTokens, trimmed) {
				require.True(t, col.IsMissing(i), "%q", v)
				continue
			}
			switch c := col.(type) {
			case *Numeric:
				want, ok := parseFloat([]byte(trimmed))
				require.True(t, ok, "%q", v)
				if math.IsNaN(want) {
					require.True(t, c.IsMissing(i))
				} else {
					require.Equal(t, math.Float64bits(want), math.Float64bits(c.Values()[i]), "%q", v)
				}
			case *Categorical:
				got, ok := c.Value(i)
				require.True(t, ok)
				require.Equal(t, v, got)
			case *Text:
				got, ok := c.Value(i)
				require.True(t, ok)
				require.Equal(t, v, got)
			case *Bool:
				want, ok := parseBool(v)
				require.True(t, ok, "%q", v)
				got, ok := c.Value(i)
				require.True(t, ok)
				require.Equal(t, want, got)
			case *Datetime:
				tm, ok := c.Time(i)
				require.True(t, ok)
				ns, ok := parseISO(tm.Format(time.RFC3339Nano))
				require.True(t, ok)
				require.Equal(t, c.Values()[i], ns)
			}
		}
	})
}
