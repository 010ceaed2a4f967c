package monitor

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The prediction log stores each row's inputs as a JSON array of scalars.
// Decoding a million of them through encoding/json into []any costs seconds
// and an allocation per value, so scanRow reads them with a small scanner
// that allocates nothing except for strings holding escapes.

// valueKind is the JSON type of one input value.
type valueKind uint8

const (
	kindNull valueKind = iota
	kindNumber
	kindString
	kindBool
)

// rawValue is one decoded input value. Str aliases the decoded bytes (or a
// fresh slice when the string held escapes) and is only valid until the
// bytes change.
type rawValue struct {
	Kind valueKind
	Num  float64
	Str  []byte
	Bool bool
}

// errRow is returned, wrapped, for every malformed inputs array.
var errRow = errors.New("malformed inputs array")

// scanRow decodes data, a JSON array of numbers, strings, booleans and
// nulls, into dst (reused from its start) and returns it. Whitespace is
// allowed where JSON allows it. Nested arrays or objects, numbers that
// overflow float64 and any other deviation from JSON are errors.
func scanRow(dst []rawValue, data []byte) ([]rawValue, error) {
	dst = dst[:0]
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return dst, fmt.Errorf("%w: want '[' at offset %d", errRow, i)
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		if j := skipSpace(data, i+1); j != len(data) {
			return dst, fmt.Errorf("%w: trailing data at offset %d", errRow, j)
		}
		return dst, nil
	}
	for {
		var v rawValue
		var err error
		if i >= len(data) {
			return dst, fmt.Errorf("%w: unexpected end", errRow)
		}
		switch c := data[i]; {
		case c == '"':
			v.Kind = kindString
			v.Str, i, err = scanString(data, i)
		case c == '-' || c >= '0' && c <= '9':
			v.Kind = kindNumber
			v.Num, i, err = scanNumber(data, i)
		case c == 'n':
			i, err = scanLiteral(data, i, "null")
		case c == 't':
			v.Kind, v.Bool = kindBool, true
			i, err = scanLiteral(data, i, "true")
		case c == 'f':
			v.Kind = kindBool
			i, err = scanLiteral(data, i, "false")
		default:
			return dst, fmt.Errorf("%w: unexpected %q at offset %d", errRow, c, i)
		}
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
		i = skipSpace(data, i)
		if i >= len(data) {
			return dst, fmt.Errorf("%w: unexpected end", errRow)
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			if j := skipSpace(data, i+1); j != len(data) {
				return dst, fmt.Errorf("%w: trailing data at offset %d", errRow, j)
			}
			return dst, nil
		default:
			return dst, fmt.Errorf("%w: want ',' or ']' at offset %d", errRow, i)
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func scanLiteral(data []byte, i int, lit string) (int, error) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return i, fmt.Errorf("%w: bad literal at offset %d", errRow, i)
	}
	return i + len(lit), nil
}

// scanString reads the string starting at data[i] == '"' and returns its
// contents and the offset after the closing quote. Without escapes the
// contents alias data; with escapes encoding/json decodes them (rare).
func scanString(data []byte, i int) ([]byte, int, error) {
	start := i + 1
	escaped := false
	for j := start; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			if !escaped {
				return data[start:j], j + 1, nil
			}
			var s string
			if err := json.Unmarshal(data[i:j+1], &s); err != nil {
				return nil, j + 1, fmt.Errorf("%w: bad string at offset %d", errRow, i)
			}
			return []byte(s), j + 1, nil
		case c == '\\':
			escaped = true
			j++ // skip the escaped byte; \uXXXX is checked by encoding/json
		case c < 0x20:
			return nil, j, fmt.Errorf("%w: control character in string at offset %d", errRow, j)
		}
	}
	return nil, len(data), fmt.Errorf("%w: unterminated string at offset %d", errRow, i)
}

// scanNumber reads the JSON number starting at data[i] and returns its
// value and the offset after it. It checks the grammar while collecting up
// to 19 significant digits and the decimal exponent, which decimalToFloat
// converts; longer or extreme numbers go to strconv.ParseFloat. Numbers
// beyond the float64 range are errors, as for encoding/json.
func scanNumber(data []byte, i int) (float64, int, error) {
	start := i
	neg := false
	if data[i] == '-' {
		neg = true
		i++
	}
	var man uint64
	nd, exp10 := 0, 0 // digits kept in man, decimal exponent
	trunc := false    // a non-zero digit did not fit in man
	// digits reads a run of digits, keeping the first 19 (leading zeros of
	// a fraction included: such rare numbers go to strconv).
	digits := func(frac bool) int {
		s, kept := i, 0
		for nd+8 <= 19 && i+8 <= len(data) {
			x := binary.LittleEndian.Uint64(data[i:])
			if !eightDigits(x) {
				break
			}
			man = man*100_000_000 + parseEightDigits(x)
			nd, kept, i = nd+8, kept+8, i+8
		}
		for ; i < len(data); i++ {
			d := data[i] - '0'
			if d > 9 {
				break
			}
			if nd < 19 {
				man = man*10 + uint64(d)
				nd++
				kept++
			} else if d != 0 {
				trunc = true
			}
		}
		if frac {
			exp10 -= kept
		} else {
			exp10 += i - s - kept
		}
		return i - s
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case digits(false) == 0:
		return 0, i, fmt.Errorf("%w: bad number at offset %d", errRow, start)
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits(true) == 0 {
			return 0, i, fmt.Errorf("%w: bad number at offset %d", errRow, start)
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		eneg := false
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			eneg = data[i] == '-'
			i++
		}
		e, n := 0, 0
		for ; i < len(data) && data[i] >= '0' && data[i] <= '9'; i++ {
			if e < 100000 {
				e = e*10 + int(data[i]-'0')
			}
			n++
		}
		if n == 0 {
			return 0, i, fmt.Errorf("%w: bad number at offset %d", errRow, start)
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	if !trunc {
		if v, ok := decimalToFloat(man, exp10, neg); ok {
			return v, i, nil
		}
	}
	v, err := strconv.ParseFloat(string(data[start:i]), 64)
	if err != nil {
		return 0, i, fmt.Errorf("%w: number at offset %d out of range", errRow, start)
	}
	return v, i, nil
}

// eightDigits reports whether the 8 bytes of x (little-endian) are all
// ASCII digits (the SWAR test of fast_float).
func eightDigits(x uint64) bool {
	return (x&0xF0F0F0F0F0F0F0F0)|(((x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) == 0x3333333333333333
}

// parseEightDigits returns the value of the 8 ASCII digits read
// little-endian into x (fast_float's parse_eight_digits_unrolled).
func parseEightDigits(x uint64) uint64 {
	const mask = 0x000000FF000000FF
	const mul1 = 100 + 1000000<<32
	const mul2 = 1 + 10000<<32
	x -= 0x3030303030303030
	x = x*10 + x>>8
	return (((x&mask)*mul1 + ((x>>16)&mask)*mul2) >> 32) & 0xFFFFFFFF
}
