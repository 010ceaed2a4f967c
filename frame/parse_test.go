package frame

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireSameFloat checks that parseFloat agrees with strconv.ParseFloat on
// s: the same bits when strconv accepts s (±Inf for out-of-range numbers
// included), and a refusal when it does not.
func requireSameFloat(tb testing.TB, s string) {
	tb.Helper()
	got, ok := parseFloat([]byte(s))
	want, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(want, 0) {
		// strconv refuses it; parseFloat accepts a subset of strconv.
		require.False(tb, ok, "%q parsed as %v", s, got)
		return
	}
	if !ok {
		return // hexadecimal or underscores: strconv only
	}
	if math.IsNaN(want) {
		require.True(tb, math.IsNaN(got), s)
		return
	}
	require.Equal(tb, math.Float64bits(want), math.Float64bits(got), "%q: got %v, want %v", s, got, want)
}

func TestParseFloat(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"0", "-0", "+1", ".5", "5.", "-.5e-3", "1e5", "1E-5", "00012.50", "inf", "-Inf", "+infinity", "nan", "NaN",
		"1e400", "-1e400", "1e-400", "4.9e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
		"123456789012345678901234567890", "0.000000000000000000000000000000001234567890123456789",
		"9007199254740993", "9007199254740993.0", "18446744073709551615", "18446744073709551616",
		"0.1", "0.2", "0.30000000000000004", "0.038075906433423026", "1234567890123456789e-19",
		"9999999999999999999", "0.9999999999999999999", "1e-19", "1e19", "12345678.12345678",
		"", ".", "-", "+", "e5", "1e", "1e+", "1.2.3", "0x10", "0x1p-2", "1_000", "abc", "1 ", " 1", "--1", "1-", "infx", "nana", "+nan", "1e5x",
	} {
		requireSameFloat(t, s)
	}
	// Random numbers in the shapes files have, including halfway cases.
	rng := rand.New(rand.NewPCG(3, 4))
	var buf []byte
	for i := range 200_000 {
		buf = buf[:0]
		switch i % 6 {
		case 0:
			buf = strconv.AppendFloat(buf, rng.Float64(), 'g', -1, 64)
		case 1:
			buf = strconv.AppendFloat(buf, rng.NormFloat64()*1e6, 'f', rng.IntN(12), 64)
		case 2:
			buf = strconv.AppendUint(buf, rng.Uint64()>>rng.IntN(64), 10)
			k := rng.IntN(len(buf) + 1)
			buf = append(buf[:k], append([]byte{'.'}, buf[k:]...)...)
		case 3:
			buf = strconv.AppendFloat(buf, rng.ExpFloat64()*float64(rng.IntN(1e9)), 'e', rng.IntN(20), 64)
		case 4:
			for range 1 + rng.IntN(22) {
				buf = append(buf, byte('0'+rng.IntN(10)))
			}
			buf = append(buf, 'e')
			buf = strconv.AppendInt(buf, int64(rng.IntN(50)-25), 10)
		case 5:
			// The decimal midpoint between two neighbouring floats.
			f := rng.Float64() * math.Pow(10, float64(rng.IntN(30)-15))
			buf = strconv.AppendFloat(buf, f, 'e', 16, 64)
			buf = append(buf[:len(buf)-4], '5', buf[len(buf)-4], buf[len(buf)-3], buf[len(buf)-2], buf[len(buf)-1])
		}
		requireSameFloat(t, string(buf))
	}
}

func TestParseISO(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC, "" when it does not parse
	}{
		{"2024-01-02", "2024-01-02T00:00:00Z"},
		{" 2024-01-02 ", "2024-01-02T00:00:00Z"},
		{"2024-02-29", "2024-02-29T00:00:00Z"},
		{"2023-02-29", ""},
		{"2024-13-01", ""},
		{"2024-00-10", ""},
		{"2024-04-31", ""},
		{"2024-1-2", ""},
		{"2024-01-02T15:04", "2024-01-02T15:04:00Z"},
		{"2024-01-02 15:04:05", "2024-01-02T15:04:05Z"},
		{"2024-01-02t15:04:05.5", "2024-01-02T15:04:05.5Z"},
		{"2024-01-02T15:04:05,123456789", "2024-01-02T15:04:05.123456789Z"},
		{"2024-01-02T15:04:05.1234567891", "2024-01-02T15:04:05.123456789Z"},
		{"2024-01-02T15:04:05Z", "2024-01-02T15:04:05Z"},
		{"2024-01-02T15:04:05+02:00", "2024-01-02T13:04:05Z"},
		{"2024-01-02T15:04:05-0130", "2024-01-02T16:34:05Z"},
		{"2024-01-02T00:30:00+01", "2024-01-01T23:30:00Z"},
		{"2024-01-02T24:00:00", ""},
		{"2024-01-02T15:60", ""},
		{"2024-01-02T15:04:05.", ""},
		{"2024-01-02T15:04:05+2", ""},
		{"2024-01-02X", ""},
		{"1677-01-01", ""},
		{"2262-06-01", ""},
		{"1678-01-01", "1678-01-01T00:00:00Z"},
		{"1969-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999999999Z"},
	}
	for _, tt := range tests {
		ns, ok := parseISO(tt.in)
		if tt.want == "" {
			require.False(t, ok, tt.in)
			continue
		}
		require.True(t, ok, tt.in)
		require.Equal(t, tt.want, time.Unix(0, ns).UTC().Format(time.RFC3339Nano), tt.in)
	}
}

func TestParseBool(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"true": true, "TRUE": true, "t": true, "Yes": true, "y": true, "1": true, " true ": true,
		"false": false, "F": false, "no": false, "N": false, "0": false} {
		v, ok := parseBool(s)
		require.True(t, ok, s)
		require.Equal(t, want, v, s)
	}
	for _, s := range []string{"", "2", "on", "off", "truee", "yes!", "nope"} {
		_, ok := parseBool(s)
		require.False(t, ok, s)
	}
}

func TestDaysFromCivil(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1678, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2261, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC),
	} {
		require.Equal(t, d.Unix()/86400, daysFromCivil(d.Year(), int(d.Month()), d.Day()), d)
	}
}
