package tune

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// TPE defaults, Optuna's (optuna.samplers.TPESampler, v3/v4).
const (
	DefaultStartupTrials = 10
	DefaultCandidates    = 24
	DefaultPriorWeight   = 1.0
)

// TPESampler is the Tree-structured Parzen Estimator (Bergstra, Bardenet,
// Bengio and Kégl, "Algorithms for hyper-parameter optimization", NeurIPS
// 2011) with Optuna's defaults and bandwidth rules:
//
//   - The first StartupTrials finished trials (complete or pruned) are drawn
//     at random, as RandomSampler does with the same seed.
//   - Then the finished trials are split into a good group, the
//     min(⌈0.1·n⌉, 25) best complete ones (topped up with the pruned trials
//     that got furthest, best value first, when too few are complete), and a
//     bad group, the rest.
//   - Each group gives a Parzen estimator over a parameter: a mixture with
//     one kernel per trial, weights 1 (the oldest trials weighted down
//     linearly once there are more than 25) plus a prior kernel of weight
//     PriorWeight. Numeric kernels are normal distributions truncated to the
//     range (in log space for log parameters; int parameters take the mass of
//     their rounding interval) whose width is the larger distance to the
//     neighbouring observations, clipped to [range/min(100, n+2), range]
//     ("magic clip"); the prior kernel sits at the centre with width the
//     range. Categorical kernels put 1 on the observed choice plus
//     PriorWeight/(n+1) on every choice, normalised (smoothed counts).
//   - Candidates points are drawn from the good estimator l, and the one
//     with the largest l(x)/g(x) is returned (g the bad group's estimator):
//     the expected-improvement maximiser of the TPE paper.
//
// Parameters are sampled one at a time in the space's order (independent
// TPE), each from the trials where it was active, which is how conditional
// parameters are handled ("tree-structured"). With Multivariate, the
// always-active parameters are sampled jointly from product kernels (one
// kernel per trial over all of them, width 0.2·n^(-1/(d+4))·range per
// dimension, Optuna's multivariate rule), which captures interactions
// between parameters; conditional parameters are then sampled one at a time.
//
// Constant liar: trials still pending (running or waiting, with params) are
// put into the bad group, as if they had the worst value seen, so that
// parallel workers are steered away from points already being evaluated
// rather than all proposing the same one. DisableConstantLiar turns it off.
type TPESampler struct {
	Seed uint64
	// StartupTrials is the number of finished trials sampled at random
	// before TPE starts; 0 means 10.
	StartupTrials int
	// Candidates is the number of points drawn from the good estimator per
	// sample; 0 means 24.
	Candidates int
	// PriorWeight is the prior kernel's weight; 0 means 1.
	PriorWeight float64
	// Multivariate samples the unconditional parameters jointly.
	Multivariate bool
	// DisableConstantLiar ignores pending trials.
	DisableConstantLiar bool
}

var _ Sampler = TPESampler{}

// gamma is the size of the good group among n finished trials (Optuna's
// default_gamma).
func gamma(n int) int {
	return min(int(math.Ceil(0.1*float64(n))), 25)
}

// kernelWeights returns the weights of n observations ordered oldest first
// (Optuna's default_weights): all 1 up to 25, then a ramp from 1/n to 1 for
// the n-25 oldest and 1 for the 25 newest.
func kernelWeights(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	if n >= 25 {
		m := n - 25
		for i := range m {
			if m == 1 {
				w[i] = 1.0 / float64(n)
			} else {
				w[i] = 1.0/float64(n) + (1-1.0/float64(n))*float64(i)/float64(m-1)
			}
		}
	}
	return w
}

// Sample implements Sampler.
func (s TPESampler) Sample(space *Space, dir Direction, history []TrialRecord, number int) (Params, error) {
	rng := trialRand(s.Seed, number)
	var finished, pending []TrialRecord
	for _, t := range history {
		if t.Params == nil {
			continue
		}
		switch t.State {
		case StateComplete, StatePruned:
			finished = append(finished, t)
		case StateRunning, StateWaiting:
			if !s.DisableConstantLiar {
				pending = append(pending, t)
			}
		}
	}
	startup := cmp.Or(s.StartupTrials, DefaultStartupTrials)
	if len(finished) < startup {
		return RandomSampler{Seed: s.Seed}.Sample(space, dir, history, number)
	}
	below, above := splitTrials(finished, pending, dir, gamma(len(finished)))
	out := Params{}
	if s.Multivariate {
		var joint []*Param
		for i := range space.Params {
			p := &space.Params[i]
			if p.When == nil && !p.Fixed() {
				joint = append(joint, p)
			}
		}
		if len(joint) > 0 {
			s.sampleJoint(rng, joint, below, above, out)
		}
	}
	for i := range space.Params {
		p := &space.Params[i]
		if _, done := out[p.Name]; done || !space.Active(p, out) {
			continue
		}
		if p.Fixed() {
			out[p.Name] = p.external(p.Low)
			continue
		}
		s.sampleJoint(rng, []*Param{p}, below, above, out)
	}
	return out, nil
}

// splitTrials returns the good and the bad group, each ordered by number.
// The good group holds the nBelow best complete trials; when fewer are
// complete, it is topped up with pruned trials ranked by the last step they
// reached (furthest first), then by their value there. Pending trials go to
// the bad group (the constant liar).
func splitTrials(finished, pending []TrialRecord, dir Direction, nBelow int) (below, above []TrialRecord) {
	var complete, pruned []TrialRecord
	for _, t := range finished {
		if t.State == StateComplete {
			complete = append(complete, t)
		} else {
			pruned = append(pruned, t)
		}
	}
	slices.SortStableFunc(complete, func(a, b TrialRecord) int {
		switch {
		case dir.better(a.Value, b.Value):
			return -1
		case dir.better(b.Value, a.Value):
			return 1
		}
		return a.Number - b.Number
	})
	slices.SortStableFunc(pruned, func(a, b TrialRecord) int {
		sa, oka := a.LastStep()
		sb, okb := b.LastStep()
		switch {
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		case sa.Step != sb.Step:
			return sb.Step - sa.Step
		case dir.better(sa.Value, sb.Value):
			return -1
		case dir.better(sb.Value, sa.Value):
			return 1
		}
		return a.Number - b.Number
	})
	nc := min(nBelow, len(complete))
	np := min(nBelow-nc, len(pruned))
	below = append(append(below, complete[:nc]...), pruned[:np]...)
	above = append(append(append(above, complete[nc:]...), pruned[np:]...), pending...)
	byNumber := func(a, b TrialRecord) int { return a.Number - b.Number }
	slices.SortFunc(below, byNumber)
	slices.SortFunc(above, byNumber)
	return below, above
}

// sampleJoint samples params jointly (one parameter: independent TPE) and
// writes them into out.
func (s TPESampler) sampleJoint(rng *rand.Rand, params []*Param, below, above []TrialRecord, out Params) {
	dims := make([]tpeDim, len(params))
	for i, p := range params {
		dims[i] = newTPEDim(p)
	}
	prior := s.PriorWeight
	if prior <= 0 {
		prior = DefaultPriorWeight
	}
	l := newParzen(dims, observations(dims, params, below), prior, s.Multivariate)
	g := newParzen(dims, observations(dims, params, above), prior, s.Multivariate)
	nc := cmp.Or(s.Candidates, DefaultCandidates)
	best, bestScore := make([]float64, len(dims)), math.Inf(-1)
	x := make([]float64, len(dims))
	for i := range nc {
		l.sample(rng, x)
		score := l.logPDF(x) - g.logPDF(x)
		if i == 0 || score > bestScore {
			bestScore = score
			copy(best, x)
		}
	}
	for i, p := range params {
		out[p.Name] = p.external(dims[i].untransform(best[i]))
	}
}

// observations returns the transformed values of params in the trials that
// have all of them set to values inside the space.
func observations(dims []tpeDim, params []*Param, trials []TrialRecord) [][]float64 {
	var obs [][]float64
next:
	for _, t := range trials {
		v := make([]float64, len(params))
		for i, p := range params {
			s, ok := t.Params[p.Name]
			if !ok {
				continue next
			}
			x, ok := p.internal(s)
			if !ok {
				continue next
			}
			v[i] = dims[i].transform(x)
		}
		obs = append(obs, v)
	}
	return obs
}

// dimKind is how a parameter is modelled by the Parzen estimator.
type dimKind uint8

const (
	dimContinuous  dimKind = iota // float, and log-scaled int (in log space)
	dimDiscrete                   // int on a step grid
	dimCategorical                // choice index
)

// tpeDim is one parameter in the Parzen estimator's (transformed) space.
type tpeDim struct {
	kind      dimKind
	log       bool
	low, high float64 // transformed bounds; for discrete, the grid's ends
	step      float64 // discrete only
	choices   int     // categorical only
	origLow   float64 // untransformed low, for the step grid
}

func newTPEDim(p *Param) tpeDim {
	switch {
	case p.Type == Categorical:
		return tpeDim{kind: dimCategorical, choices: len(p.Choices)}
	case p.Type == Int && p.Log:
		// Optuna's rule: a log int is continuous over the log of its
		// rounding interval, then rounded.
		return tpeDim{kind: dimContinuous, log: true, low: math.Log(p.Low - 0.5), high: math.Log(p.High + 0.5), origLow: p.Low}
	case p.Type == Int:
		return tpeDim{kind: dimDiscrete, low: p.Low, high: p.High, step: p.step(), origLow: p.Low}
	case p.Log:
		return tpeDim{kind: dimContinuous, log: true, low: math.Log(p.Low), high: math.Log(p.High)}
	}
	return tpeDim{kind: dimContinuous, low: p.Low, high: p.High}
}

func (d *tpeDim) transform(x float64) float64 {
	if d.log {
		return math.Log(x)
	}
	return x
}

func (d *tpeDim) untransform(x float64) float64 {
	if d.log {
		return math.Exp(x)
	}
	return x
}

// width is the range used by the bandwidth rules: high-low, plus one step
// for discrete dimensions.
func (d *tpeDim) width() float64 {
	if d.kind == dimDiscrete {
		return d.high - d.low + d.step
	}
	return d.high - d.low
}

// parzen is a mixture of product kernels over dims: kernel k has weight
// weights[k] and, per dimension, a truncated normal (mu, sigma) or
// categorical probabilities.
type parzen struct {
	dims    []tpeDim
	weights []float64   // normalised; the prior kernel last
	cum     []float64   // cumulative weights for sampling
	mu      [][]float64 // [dim][kernel]
	sigma   [][]float64 // [dim][kernel]
	logZ    [][]float64 // [dim][kernel] log of the kernel's mass inside the bounds
	logP    [][][]float64
	logW    []float64
	buf     []float64
}

// newParzen builds the estimator of a group's observations (oldest first).
// When there are none it is the prior alone.
func newParzen(dims []tpeDim, obs [][]float64, priorWeight float64, multivariate bool) *parzen {
	n := len(obs)
	var w []float64
	if n == 0 {
		w = []float64{1}
	} else {
		w = append(kernelWeights(n), priorWeight)
	}
	sum := 0.0
	for _, v := range w {
		sum += v
	}
	k := len(w)
	pz := &parzen{
		dims: dims, weights: make([]float64, k), cum: make([]float64, k), logW: make([]float64, k),
		mu: make([][]float64, len(dims)), sigma: make([][]float64, len(dims)),
		logZ: make([][]float64, len(dims)), logP: make([][][]float64, len(dims)),
		buf: make([]float64, k),
	}
	c := 0.0
	for i, v := range w {
		pz.weights[i] = v / sum
		pz.logW[i] = math.Log(pz.weights[i])
		c += pz.weights[i]
		pz.cum[i] = c
	}
	col := make([]float64, n)
	for j := range dims {
		d := &dims[j]
		for i := range obs {
			col[i] = obs[i][j]
		}
		if d.kind == dimCategorical {
			pz.logP[j] = categoricalKernels(col, d.choices, priorWeight)
			continue
		}
		mu, sigma := numericKernels(d, col, len(dims), multivariate)
		pz.mu[j], pz.sigma[j] = mu, sigma
		lo, hi := d.low, d.high
		if d.kind == dimDiscrete {
			lo, hi = lo-d.step/2, hi+d.step/2
		}
		z := make([]float64, len(mu))
		for i := range mu {
			z[i] = logNormMass((lo-mu[i])/sigma[i], (hi-mu[i])/sigma[i])
		}
		pz.logZ[j] = z
	}
	return pz
}

// numericKernels returns the kernels' centres and widths of one numeric
// dimension: one per observation, then the prior kernel (Optuna's
// _calculate_numerical_distributions with consider_prior, magic clip and
// consider_endpoints=False).
func numericKernels(d *tpeDim, obs []float64, ndims int, multivariate bool) (mu, sigma []float64) {
	n := len(obs)
	width := d.width()
	prior := 0.5 * (d.low + d.high)
	mu = append(append(make([]float64, 0, n+1), obs...), prior)
	sigma = make([]float64, n+1)
	if n > 0 {
		if multivariate {
			s := 0.2 * math.Pow(float64(n), -1.0/float64(ndims+4)) * width
			for i := range n {
				sigma[i] = s
			}
		} else {
			// Sort the observations with the prior centre between the two
			// ends; each kernel's width is the larger gap to a neighbour.
			idx := make([]int, n+1)
			for i := range idx {
				idx[i] = i
			}
			slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(mu[a], mu[b]) })
			half := 0.0
			if d.kind == dimDiscrete {
				half = d.step / 2
			}
			ends := make([]float64, n+3)
			ends[0] = d.low - half
			for i, j := range idx {
				ends[i+1] = mu[j]
			}
			ends[n+2] = d.high + half
			sorted := make([]float64, n+1)
			for i := range sorted {
				sorted[i] = max(ends[i+1]-ends[i], ends[i+2]-ends[i+1])
			}
			// consider_endpoints=False: the first and last kernels take the
			// gap to their inner neighbour only, not to the bound.
			sorted[0] = ends[2] - ends[1]
			sorted[n] = ends[n+1] - ends[n]
			for i, j := range idx {
				sigma[j] = sorted[i]
			}
		}
		lo, hi := width/min(100, 1+float64(n)+1), width
		for i := range n {
			sigma[i] = min(max(sigma[i], lo), hi)
		}
	}
	sigma[n] = width
	return mu, sigma
}

// categoricalKernels returns the log probabilities [kernel][choice] of one
// categorical dimension: per observation, 1 on the observed choice plus
// prior/(n+1) on every choice, normalised; then the uniform prior kernel.
func categoricalKernels(obs []float64, choices int, prior float64) [][]float64 {
	n := len(obs)
	out := make([][]float64, n+1)
	base := prior / float64(n+1)
	for i := range out {
		row := make([]float64, choices)
		total := base * float64(choices)
		for c := range row {
			row[c] = base
		}
		if i < n {
			row[int(obs[i])]++
			total++
		}
		for c := range row {
			row[c] = math.Log(row[c] / total)
		}
		out[i] = row
	}
	return out
}

// sample draws one point into x.
func (pz *parzen) sample(rng *rand.Rand, x []float64) {
	u := rng.Float64()
	k, _ := slices.BinarySearch(pz.cum, u)
	k = min(k, len(pz.weights)-1)
	for j := range pz.dims {
		d := &pz.dims[j]
		switch d.kind {
		case dimCategorical:
			v := rng.Float64()
			c := 0.0
			x[j] = float64(d.choices - 1)
			for i, lp := range pz.logP[j][k] {
				c += math.Exp(lp)
				if v < c {
					x[j] = float64(i)
					break
				}
			}
		case dimContinuous:
			x[j] = truncNormal(rng, pz.mu[j][k], pz.sigma[j][k], d.low, d.high)
		case dimDiscrete:
			v := truncNormal(rng, pz.mu[j][k], pz.sigma[j][k], d.low-d.step/2, d.high+d.step/2)
			v = d.low + math.Round((v-d.low)/d.step)*d.step
			x[j] = min(max(v, d.low), d.high)
		}
	}
}

// logPDF returns the log density (log probability for discrete and
// categorical dimensions) of x.
func (pz *parzen) logPDF(x []float64) float64 {
	for k := range pz.weights {
		lp := pz.logW[k]
		for j := range pz.dims {
			d := &pz.dims[j]
			switch d.kind {
			case dimCategorical:
				lp += pz.logP[j][k][int(x[j])]
			case dimContinuous:
				z := (x[j] - pz.mu[j][k]) / pz.sigma[j][k]
				lp += -0.5*z*z - math.Log(pz.sigma[j][k]) - 0.5*math.Log(2*math.Pi) - pz.logZ[j][k]
			case dimDiscrete:
				m, s := pz.mu[j][k], pz.sigma[j][k]
				lp += logNormMass((x[j]-d.step/2-m)/s, (x[j]+d.step/2-m)/s) - pz.logZ[j][k]
			}
		}
		pz.buf[k] = lp
	}
	return logSumExp(pz.buf)
}

func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// logPhiC returns log(1 - Φ(z)), the log upper tail of the standard normal,
// accurate far into the tail.
func logPhiC(z float64) float64 {
	if z < 30 {
		return math.Log(0.5 * math.Erfc(z/math.Sqrt2))
	}
	// Asymptotic series of the Mills ratio: 1-Φ(z) = φ(z)/z · (1 - 1/z² +
	// 3/z⁴ - 15/z⁶ + ...), the remainder below 1e-11 relative from z = 30.
	z2 := z * z
	return -0.5*z2 - math.Log(z) - 0.5*math.Log(2*math.Pi) + math.Log1p(-1/z2+3/(z2*z2)-15/(z2*z2*z2))
}

// logNormMass returns log(Φ(b) - Φ(a)) for a < b.
func logNormMass(a, b float64) float64 {
	switch {
	case a >= 0:
		la, lb := logPhiC(a), logPhiC(b)
		if lb >= la {
			break
		}
		return la + math.Log1p(-math.Exp(lb-la))
	case b <= 0:
		return logNormMass(-b, -a)
	default:
		return math.Log(0.5 * (math.Erf(b/math.Sqrt2) - math.Erf(a/math.Sqrt2)))
	}
	// Both ends so far out that the tails are equal in float64: the density
	// at the nearer end times the width bounds the mass from above.
	return -0.5*a*a - 0.5*math.Log(2*math.Pi) + math.Log(b-a)
}

// truncNormal draws from the normal (mu, sigma) truncated to [lo, hi] by
// inverting the CDF. The kernels' centres lie inside their bounds, so the
// interval always holds a good share of the mass.
func truncNormal(rng *rand.Rand, mu, sigma, lo, hi float64) float64 {
	a, b := (lo-mu)/sigma, (hi-mu)/sigma
	pa, pb := 0.5*math.Erfc(-a/math.Sqrt2), 0.5*math.Erfc(-b/math.Sqrt2)
	p := pa + rng.Float64()*(pb-pa)
	z := -math.Sqrt2 * math.Erfcinv(2*p)
	x := mu + sigma*z
	if math.IsNaN(x) {
		x = mu
	}
	return min(max(x, lo), hi)
}
