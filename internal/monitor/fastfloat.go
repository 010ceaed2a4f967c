package monitor

import (
	"math"
	"math/big"
	"math/bits"
)

// Decoding a million logged rows is dominated by turning decimal text into
// float64. strconv.ParseFloat is correct but generic (underscores, hex,
// infinities, a string argument); the inputs log holds plain JSON numbers,
// so scanNumber collects the decimal mantissa and exponent while checking
// the grammar and converts them here: exactly with one float operation when
// both fit (Clinger's fast path), otherwise with the Eisel–Lemire algorithm
// as strconv implements it (correctly rounded, or it declines), and
// strconv.ParseFloat for what remains (more than 19 significant digits,
// extreme exponents, the rare ambiguous cases). The results are identical
// to strconv.ParseFloat's; TestDecimalToFloatMatchesStrconv checks millions.

// exactPow10 are the powers of ten a float64 holds exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// Decimal exponents covered by the Eisel–Lemire table.
const (
	elMinExp10 = -120
	elMaxExp10 = 120
)

// elPow10 holds, for each e in [elMinExp10, elMaxExp10], 10^e scaled by a
// power of two into [2^127, 2^128) and truncated to 128 bits ({high, low}),
// as strconv's pow10gen.go computes its table (about 0.1 ms at start).
var elPow10 = newPow10Table()

func newPow10Table() *[elMaxExp10 - elMinExp10 + 1][2]uint64 {
	one := big.NewInt(1)
	ten := big.NewInt(10)
	mask := new(big.Int).Sub(new(big.Int).Lsh(one, 64), one)
	tab := new([elMaxExp10 - elMinExp10 + 1][2]uint64)
	for e := elMinExp10; e <= elMaxExp10; e++ {
		var m *big.Int
		if e >= 0 {
			p := new(big.Int).Exp(ten, big.NewInt(int64(e)), nil)
			if n := p.BitLen(); n > 128 {
				m = p.Rsh(p, uint(n-128))
			} else {
				m = p.Lsh(p, uint(128-n))
			}
		} else {
			// floor(2^k / 10^−e) with k chosen so the quotient lies in
			// [2^127, 2^128): 10^−e is not a power of two.
			d := new(big.Int).Exp(ten, big.NewInt(int64(-e)), nil)
			k := 127 + d.BitLen()
			m = new(big.Int).Quo(new(big.Int).Lsh(one, uint(k)), d)
		}
		lo := new(big.Int).And(m, mask).Uint64()
		hi := new(big.Int).Rsh(m, 64).Uint64()
		tab[e-elMinExp10] = [2]uint64{hi, lo}
	}
	return tab
}

// decimalToFloat returns ±man·10^exp10 correctly rounded, or ok == false
// when it cannot decide cheaply (the caller then uses strconv).
func decimalToFloat(man uint64, exp10 int, neg bool) (float64, bool) {
	if man == 0 {
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	if man <= 1<<53 && exp10 >= -22 && exp10 <= 22 {
		f := float64(man)
		if exp10 < 0 {
			f /= exactPow10[-exp10]
		} else {
			f *= exactPow10[exp10]
		}
		if neg {
			f = -f
		}
		return f, true
	}
	return eiselLemire64(man, exp10, neg)
}

// eiselLemire64 is strconv's eiselLemire64 (Go 1.26), with the table above.
func eiselLemire64(man uint64, exp10 int, neg bool) (float64, bool) {
	if exp10 < elMinExp10 || exp10 > elMaxExp10 {
		return 0, false
	}
	pow := elPow10[exp10-elMinExp10]
	// Normalization.
	clz := bits.LeadingZeros64(man)
	man <<= uint(clz)
	const float64ExponentBias = 1023
	retExp2 := uint64(217706*exp10>>16+64+float64ExponentBias) - uint64(clz)
	// Multiplication.
	xHi, xLo := bits.Mul64(man, pow[0])
	// Wider approximation.
	if xHi&0x1FF == 0x1FF && xLo+man < man {
		yHi, yLo := bits.Mul64(man, pow[1])
		mergedHi, mergedLo := xHi, xLo+yHi
		if mergedLo < xLo {
			mergedHi++
		}
		if mergedHi&0x1FF == 0x1FF && mergedLo+1 == 0 && yLo+man < man {
			return 0, false
		}
		xHi, xLo = mergedHi, mergedLo
	}
	// Shifting to 54 bits.
	msb := xHi >> 63
	retMantissa := xHi >> (msb + 9)
	retExp2 -= 1 ^ msb
	// Half-way ambiguity.
	if xLo == 0 && xHi&0x1FF == 0 && retMantissa&3 == 1 {
		return 0, false
	}
	// From 54 to 53 bits.
	retMantissa += retMantissa & 1
	retMantissa >>= 1
	if retMantissa>>53 > 0 {
		retMantissa >>= 1
		retExp2++
	}
	// Subnormal, infinite or NaN: let strconv decide.
	if retExp2-1 >= 0x7FF-1 {
		return 0, false
	}
	retBits := retExp2<<52 | retMantissa&(1<<52-1)
	if neg {
		retBits |= 1 << 63
	}
	return math.Float64frombits(retBits), true
}
