package serve

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
)

func TestNumberMatchesStrconv(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	digits := func(n int) string {
		var sb strings.Builder
		for i := range n {
			d := byte('0' + r.IntN(10))
			if i == 0 && d == '0' {
				d = '1'
			}
			sb.WriteByte(d)
		}
		return sb.String()
	}
	cases := []string{"0", "-0", "0.0", "1", "-1", "0.1", "0.000123", "123456789012345678901234", "9007199254740993",
		"1e22", "1e23", "4.9e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "0.30000000000000004",
		"123.456e-7", "1E+2", "1e-400", "100000000000000000000000e-22",
		// About 19 digits: the most the fast path takes, and one more.
		"1234567890123456789", "12345678901234567890", "9999999999999999999", "0.0000000000000000001",
		"0.00000000000000000001", "123456789.0123456789", "1234567890.123456789", "4503599627370495.5",
		"9007199254740991", "9007199254740992", "-0.0000000000000000000e5", "1.0000000000000000000"}
	for range 20000 {
		s := digits(1 + r.IntN(22))
		if r.IntN(2) == 0 {
			s = "0"
			if r.IntN(3) > 0 {
				s = digits(1 + r.IntN(8))
			}
			s += "." + strings.Repeat("0", r.IntN(4)) + digits(1+r.IntN(18))
		}
		if r.IntN(3) == 0 {
			s += "e" + []string{"", "+", "-"}[r.IntN(3)] + strconv.Itoa(r.IntN(40))
		}
		if r.IntN(2) == 0 {
			s = "-" + s
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		l := &lexer{data: []byte(s)}
		got, err := l.number()
		require.NoError(t, err, s)
		want, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, s)
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%s: got %v, want %v", s, got, want)
		require.Equal(t, len(s), l.pos)
	}
}

func TestDecodeColumnsAcrossRowsAndRequests(t *testing.T) {
	t.Parallel()
	ms := models(t)
	var b batch
	var p prediction
	lim := limits{maxRows: 10, maxDepth: 10}
	bodies := []string{
		`{"instances": [{"x1": 1, "x2": 2}, {"x2": 4, "x1": 3}, {"x1": 5, "extra": 0, "x2": 6}]}`,
		`{"instances": [{"x2": 8, "x1": 7}, {"x1": 9, "x2": 10}]}`,
		`{"instances": [{"x1": 11, "x2": 12}]}`,
		`{"instances": [{"other": 1, "x1": 13, "x2": 14}]}`,
	}
	want := [][]float64{{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10}, {11, 12}, {13, 14}}
	for i, body := range bodies {
		require.NoError(t, decodePredict([]byte(body), &b, lim))
		require.NoError(t, ms.reg.bind(&p, &b))
		var got []float64
		for _, v := range p.vals[:b.rows()*2] {
			got = append(got, v.Num)
		}
		require.Equal(t, want[i], got, body)
	}
	require.NoError(t, decodePredict([]byte(`{"instances": [{"x1": 1, "x1": 2}]}`), &b, lim))
	err := ms.reg.bind(&p, &b)
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	require.ErrorContains(t, err, "column x1 appears twice")
}
