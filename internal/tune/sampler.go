package tune

import (
	"errors"
	"math"
	"math/rand/v2"
)

// Sampler proposes the parameters of new trials.
type Sampler interface {
	// Sample returns a point of space for trial number `number` of a study
	// that optimises in direction dir. history holds the study's trials in
	// every state, ordered by number; pending trials (running or waiting)
	// carry their params, trials without params are ignored. Sample is
	// deterministic: the same arguments give the same params. It returns an
	// error wrapping ErrExhausted when it has nothing left to propose. It is
	// safe for concurrent use.
	Sample(space *Space, dir Direction, history []TrialRecord, number int) (Params, error)
}

// ErrExhausted is returned by a Sampler that has tried every point it can
// propose (a finished grid).
var ErrExhausted = errors.New("every point of the search space was tried")

// trialRand returns the random source of one trial: seeded by the sampler's
// seed and the trial number, so that a trial's params do not depend on which
// worker samples them or on how many samples were drawn before.
func trialRand(seed uint64, number int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(number)^0x9e3779b97f4a7c15))
}

// RandomSampler draws every parameter independently: uniformly, or
// log-uniformly for log parameters; conditional parameters only when active.
type RandomSampler struct {
	Seed uint64
}

var _ Sampler = RandomSampler{}

// Sample implements Sampler.
func (r RandomSampler) Sample(space *Space, _ Direction, _ []TrialRecord, number int) (Params, error) {
	rng := trialRand(r.Seed, number)
	out := Params{}
	for i := range space.Params {
		p := &space.Params[i]
		if space.Active(p, out) {
			out[p.Name] = p.external(randomValue(rng, p))
		}
	}
	return out, nil
}

// randomValue draws one internal value of p from the prior: uniform over
// the choices, over [Low, High], or over [log Low, log High]. Int parameters
// draw over [Low-Step/2, High+Step/2] so that the end values are as likely as
// the others, and are rounded by external.
func randomValue(rng *rand.Rand, p *Param) float64 {
	switch p.Type {
	case Categorical:
		return float64(rng.IntN(len(p.Choices)))
	case Int:
		if p.Log {
			lo, hi := math.Log(p.Low-0.5), math.Log(p.High+0.5)
			return math.Exp(lo + rng.Float64()*(hi-lo))
		}
		n := int((p.High-p.Low)/p.step()) + 1
		return p.Low + float64(rng.IntN(n))*p.step()
	}
	if p.Log {
		lo, hi := math.Log(p.Low), math.Log(p.High)
		return math.Exp(lo + rng.Float64()*(hi-lo))
	}
	return p.Low + rng.Float64()*(p.High-p.Low)
}

// GridSampler visits the cartesian product of every categorical parameter's
// choices and Points evenly spaced values of every numeric range (in log
// space for log parameters; an int range with fewer values gives all of
// them), in a fixed order: the first parameter varies slowest. A conditional
// parameter varies only where it is active. Points already tried (in any
// state, pending ones included) are skipped, so that parallel workers and
// resumed studies take the next untried point; when none is left, Sample
// returns ErrExhausted.
type GridSampler struct {
	// Points is the number of values per numeric range; 0 means 5.
	Points int
}

var _ Sampler = GridSampler{}

// DefaultGridPoints is GridSampler's default number of values per numeric range.
const DefaultGridPoints = 5

// Sample implements Sampler.
func (g GridSampler) Sample(space *Space, _ Direction, history []TrialRecord, _ int) (Params, error) {
	tried := make(map[string]bool, len(history))
	for _, t := range history {
		if t.Params != nil {
			tried[t.Params.Key()] = true
		}
	}
	var found Params
	g.walk(space, func(p Params) bool {
		if tried[p.Key()] {
			return true
		}
		found = p.Clone()
		return false
	})
	if found == nil {
		return nil, ErrExhausted
	}
	return found, nil
}

// Size returns the number of points of space's grid.
func (g GridSampler) Size(space *Space) int {
	n := 0
	g.walk(space, func(Params) bool { n++; return true })
	return n
}

// Values returns the grid values of p, rendered.
func (g GridSampler) Values(p *Param) []string {
	if p.Type == Categorical {
		return p.Choices
	}
	k := g.Points
	if k <= 0 {
		k = DefaultGridPoints
	}
	if p.Fixed() {
		return []string{p.external(p.Low)}
	}
	var out []string
	seen := map[string]bool{}
	add := func(v float64) {
		s := p.external(v)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if p.Type == Int && !p.Log && int((p.High-p.Low)/p.step())+1 <= k {
		for v := p.Low; v <= p.High; v += p.step() {
			add(v)
		}
		return out
	}
	lo, hi := p.Low, p.High
	if p.Log {
		lo, hi = math.Log(lo), math.Log(hi)
	}
	for i := range k {
		t := 0.5
		if k > 1 {
			t = float64(i) / float64(k-1)
		}
		v := lo + t*(hi-lo)
		if p.Log {
			v = math.Exp(v)
		}
		add(v)
	}
	return out
}

// walk calls visit on every grid point in order until it returns false.
func (g GridSampler) walk(space *Space, visit func(Params) bool) {
	values := make([][]string, len(space.Params))
	for i := range space.Params {
		values[i] = g.Values(&space.Params[i])
	}
	cur := Params{}
	var rec func(i int) bool
	rec = func(i int) bool {
		if i == len(space.Params) {
			return visit(cur)
		}
		p := &space.Params[i]
		if !space.Active(p, cur) {
			return rec(i + 1)
		}
		for _, v := range values[i] {
			cur[p.Name] = v
			if !rec(i + 1) {
				delete(cur, p.Name)
				return false
			}
		}
		delete(cur, p.Name)
		return true
	}
	rec(0)
}
