package jsonw

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestAppendNumber(t *testing.T) {
	t.Parallel()
	// encoding/json is the reference for finite numbers.
	for _, x := range []float64{
		0, math.Copysign(0, -1), 1, -1, 12, 0.5, 30.25, -0.1, 1.0 / 3, 1e-6, 9.99e-7, 1e-7, 1.5e-300, 5e-324,
		123456789, 1e15 - 1, 1e15, 1e15 + 0.5, 4.5e15, 1e20, 1e21, 1.2345e22, -2.5e-10, math.MaxFloat64, -math.MaxFloat64,
	} {
		want, err := json.Marshal(x)
		require.NoError(t, err)
		if x == 0 {
			want = []byte("0") // -0 is written 0
		}
		require.Equal(t, string(want), string(AppendNumber(nil, x)), "%v", x)
	}
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		require.Equal(t, "null", string(AppendNumber(nil, x)))
	}
	// Decimals as clients send them (the fast path and around it), and
	// arbitrary doubles.
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 20000 {
		var x float64
		switch i % 4 {
		case 0:
			digits := r.Int64N(1 << 53)
			x = float64(digits>>r.IntN(53)) / math.Pow10(r.IntN(9))
		case 3:
			x = math.Round(r.NormFloat64()*math.Pow10(r.IntN(11))*1e6) / 1e6
		case 1:
			x = math.Ldexp(r.Float64(), r.IntN(80)-30)
		default:
			x = math.Float64frombits(r.Uint64())
			if math.IsNaN(x) || math.IsInf(x, 0) {
				continue
			}
		}
		if r.IntN(2) == 0 {
			x = -x
		}
		want, err := json.Marshal(x)
		require.NoError(t, err)
		if x == 0 {
			want = []byte("0")
		}
		require.Equal(t, string(want), string(AppendNumber(nil, x)), "%v", x)
	}
}

func FuzzAppendNumber(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is skipped under -short")
	}
	for _, x := range []float64{0, 0.5, -0.123456, 1e-7, 1e21, 2147483647.999999, math.NaN()} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		got := string(AppendNumber(nil, x))
		if math.IsNaN(x) || math.IsInf(x, 0) {
			require.Equal(t, "null", got)
			return
		}
		want, err := json.Marshal(x)
		require.NoError(t, err)
		if x == 0 {
			want = []byte("0")
		}
		require.Equal(t, string(want), got)
	})
}

func TestAppendString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"", `""`},
		{"plain", `"plain"`},
		{`q"b\s`, `"q\"b\\s"`},
		{"tab\tnl\ncr\r", `"tab\tnl\ncr\r"`},
		{"bell\x07 esc\x1b", `"bell\u0007 esc\u001b"`},
		{"nul\x00", `"nul\ufffd"`},
		{"café ✓ 𝄞", `"café ✓ 𝄞"`},
		{"bad\xffutf8\xc3", `"bad\ufffdutf8\ufffd"`},
		{"<html>&", `"<html>&"`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, string(AppendString(nil, tt.in)), "%q", tt.in)
	}
}

func FuzzAppendString(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is skipped under -short")
	}
	for _, s := range []string{"", "a", `"\`, "\x00\x01\x1f", "é\xff\xc3", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString(nil, s)
		var got string
		require.NoError(t, json.Unmarshal(b, &got), "%s", b)
		require.NotContains(t, got, "\x00")
		if utf8.ValidString(s) {
			require.Equal(t, strings.ReplaceAll(s, "\x00", "\uFFFD"), got)
		}
	})
}
