package frame

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// pow10u holds the powers of ten that fit in a uint64.
var pow10u = [...]uint64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// parseFloat parses b as a decimal number: an optional sign, digits with an
// optional decimal point, and an optional exponent; or "inf", "infinity" or
// "nan" in any case, with an optional sign. It returns exactly what
// strconv.ParseFloat returns for the same text, keeping ±Inf for numbers too
// large to represent. Hexadecimal floats and underscores are not accepted.
func parseFloat(b []byte) (float64, bool) {
	f, n, ok := parseNumber(b)
	if ok && n == len(b) {
		return f, true
	}
	if !ok && len(b) > 0 {
		c := b[0]
		if (c == '-' || c == '+') && len(b) > 1 {
			c = b[1]
		}
		if c|0x20 == 'i' || c|0x20 == 'n' {
			return parseSpecial(b)
		}
	}
	return 0, false
}

// parseNumber parses the longest prefix of b that is a decimal number (see
// parseFloat; no infinities or NaN) and returns its value and length.
//
// Numbers with at most 19 significant digits and a decimal exponent within
// ±19 are converted with exact integer arithmetic (Clinger's fast path when
// it applies, else a 128-bit product or quotient rounded once); others go to
// strconv.ParseFloat.
func parseNumber(b []byte) (float64, int, bool) {
	n := len(b)
	i := 0
	neg := false
	if n > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i++
	}
	intStart := i
	i, mant := digits(b, i, 0)
	intEnd := i
	fracStart, fracEnd := i, i
	if i < n && b[i] == '.' {
		fracStart = i + 1
		i, mant = digits(b, fracStart, mant)
		fracEnd = i
	}
	ndigits := intEnd - intStart + fracEnd - fracStart
	if ndigits == 0 {
		return 0, 0, false
	}
	exp := -(fracEnd - fracStart)
	if i < n && b[i]|0x20 == 'e' {
		i++
		eneg := false
		if i < n && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		e, start := 0, i
		for i < n {
			d := b[i] - '0'
			if d >= 10 {
				break
			}
			if e < 100000 {
				e = e*10 + int(d)
			}
			i++
		}
		if i == start {
			return 0, 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if ndigits > 19 {
		// Leading zeros do not count; beyond 19 significant digits the
		// mantissa overflowed, so let strconv do it.
		j := intStart
		for j < fracEnd && (b[j] == '0' || b[j] == '.') {
			j++
		}
		sig := fracEnd - j
		if j < intEnd && fracEnd > intEnd {
			sig-- // the decimal point
		}
		if sig > 19 {
			f, ok := parseSlow(b[:i])
			return f, i, ok
		}
	}
	f, ok := exactFloat(mant, exp)
	if !ok {
		f, ok = parseSlow(b[:i])
		return f, i, ok
	}
	if neg {
		f = -f
	}
	return f, i, true
}

// digits reads the decimal digits of b from i on into mant and returns the
// position after them and the new mantissa, which wraps after 19 digits.
func digits(b []byte, i int, mant uint64) (int, uint64) {
	for i+8 <= len(b) {
		v, ok := eightDigits(b[i:])
		if !ok {
			break
		}
		mant = mant*1e8 + v
		i += 8
	}
	for i < len(b) {
		d := b[i] - '0'
		if d >= 10 {
			break
		}
		mant = mant*10 + uint64(d)
		i++
	}
	return i, mant
}

// eightDigits returns the value of the eight ASCII digits at the start of b,
// or false if they are not all digits (the SWAR method of simdjson).
func eightDigits(b []byte) (uint64, bool) {
	v := binary.LittleEndian.Uint64(b) - 0x3030303030303030
	if (v|(v+0x7676767676767676))&0x8080808080808080 != 0 {
		return 0, false
	}
	v = v*10 + v>>8
	v = ((v&0x000000FF000000FF)*(100+(1000000<<32)) + (v>>16&0x000000FF000000FF)*(1+(10000<<32))) >> 32
	return v, true
}

// exactFloat returns the float64 nearest to mant * 10^exp, ties to even,
// when it can compute it exactly with integer arithmetic.
func exactFloat(mant uint64, exp int) (float64, bool) {
	switch {
	case mant == 0:
		return 0, true
	case mant>>53 == 0 && exp >= 0 && exp <= 22:
		return float64(mant) * pow10[exp], true
	case mant>>53 == 0 && exp < 0 && exp >= -22:
		return float64(mant) / pow10[-exp], true
	case exp >= 0 && exp <= 19:
		hi, lo := bits.Mul64(mant, pow10u[exp])
		return round128(hi, lo, 0, false), true
	case exp < 0 && exp >= -19:
		// q = mant * 2^s / d with s chosen so that 2^62 <= q < 2^64.
		d := pow10u[-exp]
		s := 63 - bits.Len64(mant) + bits.Len64(d)
		var hi, lo uint64
		if s >= 64 {
			hi = mant << (s - 64)
		} else {
			hi, lo = mant>>(64-s), mant<<s
		}
		q, r := bits.Div64(hi, lo, d)
		return round128(0, q, -s, r != 0), true
	}
	return 0, false
}

// round128 returns the float64 nearest to (hi*2^64 + lo + ε) * 2^e2, ties to
// even, where ε is in (0, 1) when sticky is set and 0 otherwise. When sticky
// is set, hi:lo must have more than 53 bits; the result must be a normal
// float64.
func round128(hi, lo uint64, e2 int, sticky bool) float64 {
	nbits := bits.Len64(lo)
	if hi != 0 {
		nbits = 64 + bits.Len64(hi)
	}
	if nbits <= 53 && !sticky {
		return math.Ldexp(float64(lo), e2)
	}
	shift := nbits - 53
	var m uint64
	var half, below bool
	switch {
	case shift <= 0:
		// Unreachable: callers pass sticky only with at least 62 bits.
		return math.Ldexp(float64(lo), e2)
	case shift < 64:
		m = hi<<(64-shift) | lo>>shift
		half = lo>>(shift-1)&1 == 1
		below = lo&(1<<(shift-1)-1) != 0
	default:
		m = hi >> (shift - 64)
		if shift == 64 {
			half = lo>>63 == 1
			below = lo&(1<<63-1) != 0
		} else {
			half = hi>>(shift-65)&1 == 1
			below = lo != 0 || hi&(1<<(shift-65)-1) != 0
		}
	}
	if half && (below || sticky || m&1 == 1) {
		m++
		if m == 1<<53 {
			m >>= 1
			shift++
		}
	}
	return math.Ldexp(float64(m), e2+shift)
}

func parseSlow(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func parseSpecial(b []byte) (float64, bool) {
	if len(b) > 9 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// trimSpace trims ASCII spaces and tabs from both ends of b.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// parseBool parses the boolean spellings accepted by inference, in any case:
// true/false, t/f, yes/no, y/n and 1/0.
func parseBool(s string) (v, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 5 {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

// timeLayout parses a datetime spelling to Unix nanoseconds in UTC.
type timeLayout struct {
	name  string
	parse func(s string) (int64, bool)
}

// timeLayouts are tried in order; a column is a datetime column when all its
// values parse with one layout. ISO 8601 comes first, then month-first and
// day-first numeric dates, then named months.
var timeLayouts = []timeLayout{
	{"iso8601", parseISO},
	{"01/02/2006", stdLayouts("1/2/2006", "1/2/2006 15:04", "1/2/2006 15:04:05", "1/2/2006 3:04 PM", "1/2/2006 3:04:05 PM")},
	{"02/01/2006", stdLayouts("2/1/2006", "2/1/2006 15:04", "2/1/2006 15:04:05")},
	{"02.01.2006", stdLayouts("2.1.2006", "2.1.2006 15:04", "2.1.2006 15:04:05")},
	{"2006/01/02", stdLayouts("2006/1/2", "2006/1/2 15:04", "2006/1/2 15:04:05")},
	{"02-Jan-2006", stdLayouts("2-Jan-2006", "2 Jan 2006", "Jan 2, 2006", "January 2, 2006", "2 January 2006", "2-Jan-2006 15:04:05")},
	{"RFC1123", stdLayouts(time.RFC1123, time.RFC1123Z, time.RFC850, time.ANSIC)},
}

func stdLayouts(layouts ...string) func(string) (int64, bool) {
	return func(s string) (int64, bool) {
		s = strings.TrimSpace(s)
		if len(s) < 6 || len(s) > 40 {
			return 0, false
		}
		for _, l := range layouts {
			if t, err := time.Parse(l, s); err == nil {
				return unixNano(t)
			}
		}
		return 0, false
	}
}

func unixNano(t time.Time) (int64, bool) {
	if y := t.UTC().Year(); y < 1678 || y > 2261 {
		return 0, false
	}
	return t.UnixNano(), true
}

// parseISO parses ISO 8601 dates and times: 2006-01-02, optionally followed
// by 'T' or a space and 15:04, 15:04:05 or 15:04:05.999999999, optionally
// followed by Z or an offset such as +01:00, +0100 or +01. Times without an
// offset are taken as UTC.
func parseISO(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 10 || len(s) > 40 {
		return 0, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i]-'0' >= 10 {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	if s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return 0, false
	}
	var hour, minute, sec, nsec int
	offset := 0
	rest := s[10:]
	if rest != "" {
		if rest[0] != 'T' && rest[0] != ' ' && rest[0] != 't' {
			return 0, false
		}
		rest = rest[1:]
		if len(rest) < 5 || rest[2] != ':' {
			return 0, false
		}
		var ok1, ok2 bool
		hour, ok1 = num(rest[0:2])
		minute, ok2 = num(rest[3:5])
		if !ok1 || !ok2 || hour > 23 || minute > 59 {
			return 0, false
		}
		rest = rest[5:]
		if len(rest) >= 3 && rest[0] == ':' {
			var ok bool
			if sec, ok = num(rest[1:3]); !ok || sec > 59 {
				return 0, false
			}
			rest = rest[3:]
			if len(rest) >= 2 && (rest[0] == '.' || rest[0] == ',') {
				j := 1
				scale := 100000000
				for j < len(rest) && rest[j]-'0' < 10 {
					if scale > 0 {
						nsec += int(rest[j]-'0') * scale
						scale /= 10
					}
					j++
				}
				if j == 1 {
					return 0, false
				}
				rest = rest[j:]
			}
		}
		switch {
		case rest == "":
		case rest == "Z" || rest == "z":
		case rest[0] == '+' || rest[0] == '-':
			sign := 1
			if rest[0] == '-' {
				sign = -1
			}
			var oh, om int
			var ok1, ok2 bool
			switch len(rest) {
			case 3: // +01
				oh, ok1 = num(rest[1:3])
				ok2 = true
			case 5: // +0100
				oh, ok1 = num(rest[1:3])
				om, ok2 = num(rest[3:5])
			case 6: // +01:00
				oh, ok1 = num(rest[1:3])
				om, ok2 = num(rest[4:6])
				ok2 = ok2 && rest[3] == ':'
			}
			if !ok1 || !ok2 || oh > 23 || om > 59 {
				return 0, false
			}
			offset = sign * (oh*3600 + om*60)
		default:
			return 0, false
		}
	}
	if year < 1678 || year > 2261 {
		return 0, false
	}
	days := daysFromCivil(year, month, day)
	secs := days*86400 + int64(hour*3600+minute*60+sec-offset)
	return secs*1e9 + int64(nsec), true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given date
// in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// dict assigns int32 codes to distinct strings in order of first appearance
// and remembers the line where each first appeared.
type dict struct {
	index  map[string]int32
	values []string
	lines  []int
}

func newDict(sizeHint int) *dict {
	return &dict{index: make(map[string]int32, sizeHint)}
}

// code returns the code of s, adding it if it is new.
func (d *dict) code(s string) int32 {
	if k, ok := d.index[s]; ok {
		return k
	}
	return d.add(s, 0)
}

func (d *dict) add(s string, line int) int32 {
	k := int32(len(d.values))
	d.index[s] = k
	d.values = append(d.values, s)
	d.lines = append(d.lines, line)
	return k
}

// sorted returns the values in sorted order and, for each old code, its new
// code.
func (d *dict) sorted() ([]string, []int32) {
	order := make([]int32, len(d.values))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(d.values[a], d.values[b]) })
	cats := make([]string, len(order))
	remap := make([]int32, len(order))
	for newCode, old := range order {
		cats[newCode] = d.values[old]
		remap[old] = int32(newCode)
	}
	return cats, remap
}

// remapCodes replaces every code k >= 0 by remap[k].
func remapCodes(codes []int32, remap []int32) {
	for i, k := range codes {
		if k >= 0 {
			codes[i] = remap[k]
		}
	}
}
