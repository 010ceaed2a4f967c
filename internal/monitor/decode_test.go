package monitor

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestScanRow(t *testing.T) {
	t.Parallel()
	vals, err := scanRow(nil, []byte(` [ 1, -2.5e3 ,null,"pro","a\"b\u00e9",true,false, 0, -0.0, 1E-2 ] `))
	require.NoError(t, err)
	require.Len(t, vals, 10)
	require.Equal(t, rawValue{Kind: kindNumber, Num: 1}, vals[0])
	require.Equal(t, -2500.0, vals[1].Num)
	require.Equal(t, kindNull, vals[2].Kind)
	require.Equal(t, "pro", string(vals[3].Str))
	require.Equal(t, "a\"bé", string(vals[4].Str))
	require.Equal(t, rawValue{Kind: kindBool, Bool: true}, vals[5])
	require.Equal(t, rawValue{Kind: kindBool}, vals[6])
	require.True(t, math.Signbit(vals[8].Num))
	require.Equal(t, 0.01, vals[9].Num)

	vals, err = scanRow(vals, []byte(`[]`))
	require.NoError(t, err)
	require.Empty(t, vals)

	for _, bad := range []string{``, `null`, `[`, `[1,]`, `[,1]`, `[1 2]`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[+1]`, `[-]`,
		`[1e400]`, `["a]`, "[\"a\tb\"]", `[[1]]`, `[{"a":1}]`, `[nul]`, `[1] x`, `[tru]`, `["\x"]`, `[NaN]`} {
		_, err := scanRow(nil, []byte(bad))
		require.ErrorIs(t, err, errRow, "%q", bad)
	}
}

// TestDecimalToFloatMatchesStrconv checks the fast number conversion
// against strconv.ParseFloat on numbers written in every usual way.
func TestDecimalToFloatMatchesStrconv(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	n := 60_000
	if testing.Short() {
		n = 10_000
	}
	var buf []byte
	check := func(s []byte) {
		want, werr := strconv.ParseFloat(string(s), 64)
		got, end, err := scanNumber(s, 0)
		if werr != nil {
			require.Error(t, err, "%s", s)
			return
		}
		require.NoError(t, err, "%s", s)
		require.Equal(t, len(s), end)
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%s: got %v want %v", s, got, want)
	}
	for range n {
		var v float64
		switch rng.IntN(4) {
		case 0:
			v = rng.NormFloat64()
		case 1:
			v = math.Float64frombits(rng.Uint64()) // any bit pattern
		case 2:
			v = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))
		default:
			v = float64(rng.IntN(1_000_000)) / 100
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		for _, f := range []byte{'g', 'e', 'f'} {
			prec := -1
			if rng.IntN(2) == 0 {
				prec = rng.IntN(22)
			}
			if f == 'f' && math.Abs(v) > 1e30 || f == 'f' && math.Abs(v) < 1e-30 && v != 0 {
				continue
			}
			buf = strconv.AppendFloat(buf[:0], v, f, prec, 64)
			check(bytes.Replace(buf, []byte("e+"), []byte("e"), 1))
		}
	}
	// Random digit strings, including more than 19 significant digits and
	// halfway cases.
	for range n / 4 {
		buf = buf[:0]
		if rng.IntN(2) == 0 {
			buf = append(buf, '-')
		}
		buf = strconv.AppendUint(buf, rng.Uint64N(1<<62)+1, 10)
		if rng.IntN(2) == 0 {
			buf = append(buf, '.')
			buf = strconv.AppendUint(buf, rng.Uint64(), 10)
		}
		buf = append(buf, 'e')
		buf = strconv.AppendInt(buf, int64(rng.IntN(700)-350), 10)
		check(buf)
	}
	for _, s := range []string{"9007199254740993", "9007199254740992", "2.2250738585072011e-308", "4.9e-324", "1e-400", "1.7976931348623157e308",
		"1.7976931348623159e308", "0.000000000000000000000000000001", "123456789012345678901234567890", "0e1000", "-0"} {
		check([]byte(s))
	}
}

// FuzzScanRow checks the scanner against encoding/json: whatever array of
// scalars json accepts, scanRow decodes to the same values, and what
// scanRow accepts, json accepts.
func FuzzScanRow(f *testing.F) {
	for _, s := range []string{`[1, 2.5, null, "a", true]`, `[]`, `["\u00e9\n", -0, 1e-7]`, `[0.1e+2,"x",false]`, `[1e400]`, `[[1]]`,
		`[ 12345678901234567890123, 1.7976931348623157e308 ]`, `["a\"b"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if testing.Short() {
			t.Skip("fuzzing is not short")
		}
		vals, err := scanRow(nil, data)
		var ref []any
		jerr := json.Unmarshal(data, &ref)
		scalars := jerr == nil && ref != nil
		for _, v := range ref {
			switch v.(type) {
			case nil, float64, string, bool:
			default:
				scalars = false
			}
		}
		if err != nil {
			if scalars {
				t.Fatalf("json accepts %q, scanRow does not: %v", data, err)
			}
			return
		}
		if jerr != nil || !scalars {
			t.Fatalf("scanRow accepts %q, json does not (%v)", data, jerr)
		}
		if len(vals) != len(ref) {
			t.Fatalf("%q: %d values, json %d", data, len(vals), len(ref))
		}
		for k, v := range vals {
			switch want := ref[k].(type) {
			case nil:
				require.Equal(t, kindNull, v.Kind)
			case float64:
				require.Equal(t, kindNumber, v.Kind)
				require.Equal(t, math.Float64bits(want), math.Float64bits(v.Num), "%q", data)
			case string:
				require.Equal(t, kindString, v.Kind)
				if utf8.Valid(data) { // json replaces invalid UTF-8
					require.Equal(t, want, string(v.Str))
				}
			case bool:
				require.Equal(t, rawValue{Kind: kindBool, Bool: want}, v)
			}
		}
	})
}
