// Package jsonw writes JSON values into byte slices without allocating: the
// numbers and strings of the inference server's answers and of the
// prediction log. Numbers are formatted as encoding/json formats them (the
// shortest text that reads back as the number), with fast paths for the
// decimals clients send; NaN and infinities, which JSON cannot hold, are
// written null. Strings are escaped as encoding/json escapes them, except
// that NUL bytes and invalid UTF-8 become U+FFFD (PostgreSQL stores neither).
package jsonw

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// AppendNumbers appends the JSON array of xs (null for NaN and infinities).
func AppendNumbers(dst []byte, xs []float64) []byte {
	dst = append(dst, '[')
	for j, x := range xs {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = AppendNumber(dst, x)
	}
	return append(dst, ']')
}

// roundMagic rounds a double t with |t| < 2^51 to an integer:
// (t + roundMagic) - roundMagic.
const roundMagic = 0x1.8p52

// AppendNumber appends x as a JSON number, formatted as encoding/json does
// (the shortest text that reads back as x), or null when x is NaN or
// infinite.
func AppendNumber(dst []byte, x float64) []byte {
	// Fast paths for the numbers clients send.
	if a := math.Abs(x); a < 1e15 { // false for NaN
		if i := int64(x); float64(i) == x {
			return strconv.AppendInt(dst, i, 10)
		}
		// At most 6 decimals, as in the JSON text 0.123456: for |x| < 2^31
		// the spacing of doubles is below 1e-6, so the one such decimal
		// that reads back as x is also the shortest text.
		if a < 1<<31 {
			t := float64(x * 1e6) // the conversion forbids a fused multiply-add
			if m := int64(t + roundMagic - roundMagic); float64(m)/1e6 == x {
				return appendMicros(dst, m)
			}
		}
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(dst, 'n', 'u', 'l', 'l')
	}
	format := byte('f')
	if a := math.Abs(x); a < 1e-6 || a >= 1e21 {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, x, format, -1, 64)
	if format == 'e' {
		// Shorten e-09 to e-9, as encoding/json does.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// digitPairs are the two-digit numbers 00 to 99.
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// appendMicros appends m/1e6 in decimal, without trailing zeros.
func appendMicros(dst []byte, m int64) []byte {
	if m < 0 {
		dst = append(dst, '-')
		m = -m
	}
	u := uint64(m)
	if q := u / 1e6; q < 10 {
		dst = append(dst, byte('0'+q))
	} else {
		dst = strconv.AppendUint(dst, q, 10)
	}
	f := u % 1e6
	if f == 0 {
		return dst
	}
	a, b, c := f/10000*2, f/100%100*2, f%100*2
	dst = append(dst, '.', digitPairs[a], digitPairs[a+1], digitPairs[b], digitPairs[b+1], digitPairs[c], digitPairs[c+1])
	n := len(dst)
	for dst[n-1] == '0' {
		n--
	}
	return dst[:n]
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. NUL bytes and invalid UTF-8
// become U+FFFD: PostgreSQL stores neither in text or jsonb.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case 0:
				dst = append(dst, `\ufffd`...)
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
