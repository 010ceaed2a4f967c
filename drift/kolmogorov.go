package drift

import (
	"math"
)

// This file ports the survival function of the one-sample two-sided
// Kolmogorov–Smirnov distribution D_n, as scipy 1.10 computes it
// (scipy.stats.kstwo.sf, scipy/stats/_ksstats.py, with the one-sided
// scipy.special.smirnov from scipy/special/cephes/kolmogorov.c). The
// selection of algorithms follows Simard and L'Ecuyer (2011), "Computing the
// Two-Sided Kolmogorov-Smirnov Distribution", J. Stat. Softw. 39(11).

const (
	ksScaleExp = 128
	ksMinLog   = -708
	// cephesMinLog is cephes' MINLOG, log(2^-1022).
	cephesMinLog = -7.083964185322641e2
)

var (
	ksScaleUp   = math.Ldexp(1, ksScaleExp)
	ksScaleDown = math.Ldexp(1, -ksScaleExp)
)

// kstwoSF returns Pr(D_n >= x) for the one-sample two-sided KS statistic
// (scipy's _kolmogn(n, x, cdf=False)).
func kstwoSF(x float64, n int) float64 {
	if n <= 0 || math.IsNaN(x) {
		return math.NaN()
	}
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	fn := float64(n)
	t := fn * x
	if t <= 1 { // Ruben–Gambino: 1/2n <= x <= 1/n.
		if t <= 0.5 {
			return 1
		}
		var prob float64
		if n <= 140 {
			prob = 1
			for i := 1; i <= n; i++ {
				prob *= float64(i) * (1 / fn) * (2*t - 1)
			}
		} else {
			prob = math.Exp(logNFactorialDivNPowN(fn) + fn*math.Log(2*t-1))
		}
		return clip01(1 - prob)
	}
	if t >= fn-1 { // Ruben–Gambino.
		return clip01(2 * math.Pow(1-x, fn))
	}
	if x >= 0.5 { // Exact: 2·smirnov.
		return clip01(2 * smirnovSF(n, x))
	}
	nxSquared := t * x
	if n <= 140 {
		if nxSquared <= 0.754693 {
			return clip01(1 - kolmogorovDMTW(n, x))
		}
		if nxSquared <= 4 {
			return clip01(1 - kolmogorovPomeranz(n, x))
		}
		return clip01(2 * smirnovSF(n, x))
	}
	if nxSquared >= 370 {
		return 0
	}
	if nxSquared >= 2.2 {
		return clip01(2 * smirnovSF(n, x))
	}
	var cdf float64
	if n <= 100000 && fn*math.Pow(x, 1.5) <= 1.4 {
		cdf = kolmogorovDMTW(n, x)
	} else {
		cdf = kolmogorovPelzGood(n, x)
	}
	return clip01(1 - cdf)
}

func clip01(p float64) float64 { return min(max(p, 0), 1) }

// stirlingCoeffs are B_{2j}/(2j)/(2j-1) for j = 8, …, 1.
var stirlingCoeffs = [...]float64{
	-2.955065359477124183e-2, 6.4102564102564102564e-3,
	-1.9175269175269175269e-3, 8.4175084175084175084e-4,
	-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2,
}

// logNFactorialDivNPowN returns log(n!/n^n) by Stirling's series.
func logNFactorialDivNPowN(n float64) float64 {
	rn := 1 / n
	var poly float64
	for _, c := range stirlingCoeffs {
		poly = poly*(rn/n) + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

// kolmogorovDMTW returns Pr(D_n <= d) by the Durbin matrix algorithm as
// implemented by Marsaglia, Tsang and Wang (2003).
func kolmogorovDMTW(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1

	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] = (1 - math.Pow(h, float64(j))) * fac
	}
	tt := math.Pow(max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac

	H := newSquare(m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H.set(r, i, w[r-i+1])
		}
	}
	for r := 0; r < m; r++ {
		H.set(r, 0, v[r])
	}
	for c := 0; c < m; c++ {
		H.set(m-1, c, v[m-1-c])
	}

	pow := newSquare(m)
	for i := 0; i < m; i++ {
		pow.set(i, i, 1)
	}
	tmp := newSquare(m)
	expnt, hExpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			tmp.mul(pow, H)
			pow, tmp = tmp, pow
			expnt += hExpnt
		}
		tmp.mul(H, H)
		H, tmp = tmp, H
		hExpnt *= 2
		if math.Abs(H.at(k-1, k-1)) > ksScaleUp {
			H.scale(ksScaleDown)
			hExpnt += ksScaleExp
		}
	}
	p := pow.at(k-1, k-1)
	fn := float64(n)
	for i := 1; i <= n; i++ {
		p = float64(i) * p / fn
		if math.Abs(p) < ksScaleDown {
			p *= ksScaleUp
			expnt -= ksScaleExp
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clip01(p)
}

// square is a dense row-major m×m matrix used by kolmogorovDMTW.
type square struct {
	m    int
	data []float64
}

func newSquare(m int) *square { return &square{m: m, data: make([]float64, m*m)} }

func (s *square) at(i, j int) float64     { return s.data[i*s.m+j] }
func (s *square) set(i, j int, v float64) { s.data[i*s.m+j] = v }

func (s *square) scale(f float64) {
	for i := range s.data {
		s.data[i] *= f
	}
}

// mul sets s = a·b; s must not alias a or b.
func (s *square) mul(a, b *square) {
	m := s.m
	clear(s.data)
	for i := 0; i < m; i++ {
		row := s.data[i*m : (i+1)*m]
		for k := 0; k < m; k++ {
			aik := a.data[i*m+k]
			if aik == 0 {
				continue
			}
			brow := b.data[k*m : (k+1)*m]
			for j, bkj := range brow {
				row[j] += aik * bkj
			}
		}
	}
}

// pomeranzJ1J2 returns the endpoints of the non-zero interval of row i.
func pomeranzJ1J2(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		ip1div2, ip1mod2 := (i+1)/2, (i+1)%2
		switch {
		case ip1mod2 == 0 && ip1div2 == n+1:
			j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
		case ip1mod2 == 0:
			j1, j2 = ip1div2-1-ll-roundf-1, ip1div2+ll-1+ceilf-1
		default:
			j1, j2 = ip1div2-1-ll-1, ip1div2+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// kolmogorovPomeranz returns Pr(D_n <= x) by the recursion of Pomeranz
// (1974), Algorithm 487.
func kolmogorovPomeranz(n int, x float64) float64 {
	fn := float64(n)
	t := fn * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := min(f, 1-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	gpower := make([]float64, npwrs)
	twogpower := make([]float64, npwrs)
	onem2gpower := make([]float64, npwrs)
	gpower[0], twogpower[0], onem2gpower[0] = 1, 1, 1
	expnt := 0
	gOverN, twoGOverN, oneMinusTwoGOverN := g/fn, 2*g/fn, (1-2*g)/fn
	for m := 1; m < npwrs; m++ {
		fm := float64(m)
		gpower[m] = gpower[m-1] * gOverN / fm
		twogpower[m] = twogpower[m-1] * twoGOverN / fm
		onem2gpower[m] = onem2gpower[m-1] * oneMinusTwoGOverN / fm
	}

	v0 := make([]float64, npwrs)
	v1 := make([]float64, npwrs)
	v1[0] = 1
	v0s, v1s := 0, 0
	conv := make([]float64, 2*npwrs)

	j1, _ := pomeranzJ1J2(0, n, ll, ceilf, roundf)
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		v0, v1 = v1, v0
		v0s, v1s = v1s, v0s
		clear(v1)
		var j2 int
		j1, j2 = pomeranzJ1J2(i, n, ll, ceilf, roundf)
		var pwrs []float64
		switch {
		case i == 1 || i == 2*n+1:
			pwrs = gpower
		case i%2 == 1:
			pwrs = twogpower
		default:
			pwrs = onem2gpower
		}
		ln2 := j2 - k1 + 1
		if ln2 <= 0 {
			continue
		}
		// conv = np.convolve(V0[k1-V0s : k1-V0s+ln2], pwrs[:ln2]); numpy
		// slicing truncates at the end of V0.
		lo := k1 - v0s
		hi := min(lo+ln2, len(v0))
		src := v0[lo:hi]
		kern := pwrs[:ln2]
		nconv := len(src) + len(kern) - 1
		conv = conv[:0]
		for c := 0; c < nconv; c++ {
			var s float64
			for a := max(0, c-len(kern)+1); a <= min(c, len(src)-1); a++ {
				s += src[a] * kern[c-a]
			}
			conv = append(conv, s)
		}
		convStart := j1 - k1
		convLen := j2 - j1 + 1
		copy(v1[:convLen], conv[convStart:convStart+convLen])
		var vmax float64
		for _, v := range v1 {
			vmax = max(vmax, v)
		}
		if 0 < vmax && vmax < ksScaleDown {
			for c := range v1 {
				v1[c] *= ksScaleUp
			}
			expnt -= ksScaleExp
		}
		v1s = v0s + j1 - k1
	}
	ans := v1[n-v1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > ksScaleUp {
			ans *= ksScaleDown
			expnt += ksScaleExp
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return clip01(ans)
}

// kolmogorovPelzGood returns the Pelz–Good (1976) approximation to
// Pr(D_n <= x).
func kolmogorovPelzGood(n int, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	const (
		pi2 = math.Pi * math.Pi
		pi4 = pi2 * pi2
		pi6 = pi4 * pi2
	)
	sqrt2pi := math.Sqrt(2 * math.Pi)
	z := math.Sqrt(float64(n)) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, math.Pow(z, 6)

	qlog := -pi2 / 8 / z2
	if qlog < ksMinLog {
		return 0
	}
	q := math.Exp(qlog)

	k1a := -z2
	k1b := pi2 / 4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)

	var k0to3 [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2, m4, m6 := m*m, m*m*m*m, math.Pow(m, 6)
		qpower := math.Pow(q, float64(8*k))
		coeffs := [4]float64{
			1,
			k1a + k1b*m2,
			k2a + k2b*m2 + k2c*m4,
			k3a + k3b*m2 + k3c*m4 + k3d*m6,
		}
		for i := range k0to3 {
			k0to3[i] = k0to3[i]*qpower + coeffs[i]
		}
	}
	div := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range k0to3 {
		k0to3[i] = k0to3[i] * q * sqrt2pi / div[i]
	}

	q = math.Exp(-pi2 / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		fk := float64(k)
		k2 := fk * fk
		qp := math.Pow(q, k2)
		k2extra += k2 * qp
		kspi := math.Pi * fk
		k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * k2 * qp
	}
	k0to3[2] += k2extra * (pi2 * sqrt2pi / (-36 * z3))
	k0to3[3] += k3extra * (pi2 * sqrt2pi / (216 * z6))
	var sum float64
	for i := range k0to3 {
		sum += k0to3[i] / math.Pow(float64(n), float64(i)/2)
	}
	return sum
}

// smirnovSF returns Pr(D+_n >= x) for the one-sided one-sample KS statistic
// (scipy.special.smirnov). It follows scipy's cephes kolmogorov.c
// (van Mulbregt 2018, arXiv:1802.06966): the Smirnov/Birnbaum–Tingey sum
//
//	Pr(D+_n >= x) = x · Σ_{v=0}^{⌊n(1−x)⌋} C(n,v) (x+v/n)^(v−1) (1−x−v/n)^(n−v)
//
// or, for small x and a short tail, the complementary upper sum. scipy sums
// in double-double arithmetic; here each term is evaluated in log space and
// the terms are added with compensated summation, which agrees with scipy to
// about 1e-11 relative for n up to 4·10^5 (testdata/reference.json).
func smirnovSF(n int, x float64) float64 {
	if n <= 0 || math.IsNaN(x) || x < 0 || x > 1 {
		return math.NaN()
	}
	if n == 1 {
		return 1 - x
	}
	if x == 0 {
		return 1
	}
	if x == 1 {
		return 0
	}
	fn := float64(n)
	// floor(n·x) and its remainder, exactly.
	nx := fn * x
	nxErr := math.FMA(fn, x, -nx)
	nxfl := math.Floor(nx)
	if nx == nxfl && nxErr < 0 {
		nxfl--
	}
	alpha := (nx - nxfl) + nxErr
	if alpha >= 1 {
		nxfl++
		alpha = 0
	}
	inxfl := int(nxfl)
	n1mxfl := n - inxfl - 1
	n1mxceil := n - inxfl
	if alpha == 0 {
		n1mxfl = n - inxfl - 1
		n1mxceil = n - inxfl + 1
	}
	if inxfl == 0 || (inxfl == 1 && alpha == 0) {
		// x <= 1/n: cdf = x(1+x)^(n−1).
		cdf := x * math.Exp((fn-1)*math.Log1p(x))
		return clip01(1 - cdf)
	}
	if -2*fn*x*x < cephesMinLog {
		return 0
	}
	if inxfl >= n-1 {
		return clip01(math.Exp(fn * math.Log1p(-x)))
	}
	if n > 1000000 {
		// scipy's approximation for very large n.
		return clip01(math.Exp(-math.Pow(6*fn*x+1, 2) / 18 / fn))
	}
	nUpperTerms := n - n1mxceil + 1
	useUpper := (nUpperTerms <= 1 && x < 0.5) ||
		(n >= 10 && nUpperTerms <= 3 && x <= 0.5/math.Sqrt(fn))

	start, step, nTerms := 0, 1, n1mxfl+1
	if useUpper {
		start, step, nTerms = n, -1, n-n1mxceil+1
	}
	// C(n, v) = cMan·2^cExp, updated incrementally (scipy keeps it as a
	// double-double significand and an exponent in the same way).
	cMan, cExp := 1.0, 0
	var sum, comp float64
	for j := 0; j < nTerms; j++ {
		v := start + j*step
		if j > 0 {
			var r float64
			if step > 0 { // C(n, v) = C(n, v−1)·(n−v+1)/v
				r = float64(n-v+1) / float64(v)
			} else { // C(n, v) = C(n, v+1)·(v+1)/(n−v)
				r = float64(v+1) / float64(n-v)
			}
			var e int
			cMan, e = math.Frexp(cMan * r)
			cExp += e
		}
		av := smirnovTerm(n, x, v, cMan, cExp)
		sum, comp = neumaier(sum, comp, av)
		if av != 0 {
			if 4*float64(nTerms-j)*math.Abs(av) < 0x1p-52*(sum+comp) && j != nTerms-1 {
				break
			}
		} else if j > n/2 {
			break
		}
	}
	prob := x * (sum + comp)
	if useUpper {
		return clip01(1 - prob)
	}
	return clip01(prob)
}

// smirnovTerm returns A_v = C(n,v)·(x+v/n)^(v−1)·(1−x−v/n)^(n−v) given
// C(n, v) = cMan·2^cExp. In the upper sum 1−x−v/n may be negative; the
// integer power then carries its sign.
func smirnovTerm(n int, x float64, v int, cMan float64, cExp int) float64 {
	fn := float64(n)
	up := x + float64(v)/fn     // x + v/n > 0
	down := float64(n-v)/fn - x // 1 − x − v/n
	l := float64(cExp) * math.Ln2
	if v != 1 {
		l += float64(v-1) * math.Log(up)
	}
	sign := 1.0
	if k := n - v; k != 0 {
		if down == 0 {
			return 0
		}
		if down < 0 && k%2 == 1 {
			sign = -1
		}
		l += float64(k) * math.Log(math.Abs(down))
	}
	return sign * cMan * math.Exp(l)
}
