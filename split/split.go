package split

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"mlw.dev/frame"
)

// Part is the part of a split a row belongs to.
type Part uint8

// The parts of a split.
const (
	Train Part = iota
	Validation
	Test
)

// NumParts is the number of parts of a split.
const NumParts = 3

var partNames = [NumParts]string{"train", "validation", "test"}

// String returns "train", "validation" or "test".
func (p Part) String() string {
	if int(p) < NumParts {
		return partNames[p]
	}
	return "Part(" + strconv.Itoa(int(p)) + ")"
}

// MarshalText encodes p as its name.
func (p Part) MarshalText() ([]byte, error) {
	if int(p) >= NumParts {
		return nil, fmt.Errorf("split: invalid part %d", p)
	}
	return []byte(partNames[p]), nil
}

// UnmarshalText decodes a part name: "train", "validation" or "test".
func (p *Part) UnmarshalText(b []byte) error {
	for i, name := range partNames {
		if string(b) == name {
			*p = Part(i)
			return nil
		}
	}
	return fmt.Errorf("split: unknown part %q (want train, validation or test)", b)
}

// Counts are the numbers of rows in each part.
type Counts struct {
	Train      int `json:"train"`
	Validation int `json:"validation"`
	Test       int `json:"test"`
}

// Of returns the count of part p.
func (c Counts) Of(p Part) int {
	switch p {
	case Train:
		return c.Train
	case Validation:
		return c.Validation
	case Test:
		return c.Test
	}
	return 0
}

// Total returns the number of rows in all parts.
func (c Counts) Total() int { return c.Train + c.Validation + c.Test }

// Assignment is the outcome of a split: the part of every row of a frame.
type Assignment struct {
	// Strategy is the strategy that made the assignment, empty when unknown
	// (an assignment rebuilt by NewAssignment).
	Strategy Strategy `json:"strategy,omitempty"`
	// Parts holds one part per row of the frame. It is not serialised to
	// JSON: store it as one byte per row.
	Parts []Part `json:"-"`
	// Counts are the part sizes.
	Counts Counts `json:"counts"`
	// Notes report what the strategy could not honour, such as classes too
	// small to appear in every part. Check copies them into its report.
	Notes []Finding `json:"notes,omitempty"`
}

// NewAssignment returns the assignment holding parts, for example as read
// back from storage. It keeps parts without copying and returns an error if
// a part is not Train, Validation or Test.
func NewAssignment(parts []Part) (*Assignment, error) {
	a := &Assignment{Parts: parts}
	for i, p := range parts {
		if int(p) >= NumParts {
			return nil, fmt.Errorf("split: row %d has invalid part %d", i, p)
		}
	}
	a.count()
	return a, nil
}

func (a *Assignment) count() {
	var n [NumParts]int
	for _, p := range a.Parts {
		n[p]++
	}
	a.Counts = Counts{Train: n[Train], Validation: n[Validation], Test: n[Test]}
}

// Len returns the number of rows assigned.
func (a *Assignment) Len() int { return len(a.Parts) }

// Rows returns the rows of part p in increasing order.
func (a *Assignment) Rows(p Part) []int {
	rows := make([]int, 0, a.Counts.Of(p))
	for i, q := range a.Parts {
		if q == p {
			rows = append(rows, i)
		}
	}
	return rows
}

// Ratios are the shares of rows that go to each part. They must each be
// finite and non-negative, Train and Test must be positive, and they must sum
// to 1 within 1e-9. Validation may be 0.
type Ratios struct {
	Train      float64 `json:"train"`
	Validation float64 `json:"validation"`
	Test       float64 `json:"test"`
}

// DefaultRatios are the ratios used when Config.Ratios is zero.
var DefaultRatios = Ratios{Train: 0.7, Validation: 0.15, Test: 0.15}

// ParseRatios parses ratios written as "TRAIN,VALIDATION,TEST" (such as
// "0.7,0.15,0.15") or "TRAIN,TEST" (validation 0), as given to a --ratios
// flag. It returns an error that quotes s if s is malformed or the ratios are
// invalid.
func ParseRatios(s string) (Ratios, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 2 && len(fields) != 3 {
		return Ratios{}, fmt.Errorf("split: ratios %q: want TRAIN,VALIDATION,TEST or TRAIN,TEST", s)
	}
	v := make([]float64, len(fields))
	for i, f := range fields {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return Ratios{}, fmt.Errorf("split: ratios %q: %q is not a number", s, strings.TrimSpace(f))
		}
		v[i] = x
	}
	r := Ratios{Train: v[0], Test: v[len(v)-1]}
	if len(v) == 3 {
		r.Validation = v[1]
	}
	if err := r.validate(s); err != nil {
		return Ratios{}, err
	}
	return r, nil
}

// String formats r as ParseRatios reads it, such as "0.7,0.15,0.15".
func (r Ratios) String() string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	return f(r.Train) + "," + f(r.Validation) + "," + f(r.Test)
}

// Validate returns an error naming the ratios if they are invalid.
func (r Ratios) Validate() error { return r.validate(r.String()) }

func (r Ratios) validate(flag string) error {
	for _, x := range []float64{r.Train, r.Validation, r.Test} {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return fmt.Errorf("split: ratios %q: each ratio must be a finite number >= 0", flag)
		}
	}
	if r.Train == 0 || r.Test == 0 {
		return fmt.Errorf("split: ratios %q: train and test ratios must be above 0", flag)
	}
	if sum := r.Train + r.Validation + r.Test; math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("split: ratios %q sum to %s, want 1", flag, strconv.FormatFloat(sum, 'g', 10, 64))
	}
	return nil
}

func (r Ratios) of(p Part) float64 {
	switch p {
	case Train:
		return r.Train
	case Validation:
		return r.Validation
	}
	return r.Test
}

// partSizes returns the number of rows of each part for n rows: the floor of
// n times each ratio, plus one row for the parts with the largest fractional
// remainders (train first, then validation, then test on ties) until the
// sizes sum to n. Each size is within one row of n times its ratio.
func partSizes(n int, r Ratios) [NumParts]int {
	var size [NumParts]int
	var frac [NumParts]float64
	left := n
	for p := range Part(NumParts) {
		x := float64(n) * r.of(p)
		f := math.Floor(x + 1e-9)
		size[p] = int(f)
		frac[p] = x - f
		left -= size[p]
	}
	for ; left > 0; left-- {
		best := -1
		for p := range NumParts {
			if r.of(Part(p)) > 0 && (best < 0 || frac[p] > frac[best]) {
				best = p
			}
		}
		size[best]++
		frac[best] = -1
	}
	for ; left < 0; left++ { // ratios summing to slightly above 1
		size[Train]--
	}
	return size
}

// Strategy names a way of splitting rows.
type Strategy string

// The split strategies; see the package documentation.
const (
	Random     Strategy = "random"
	Stratified Strategy = "stratified"
	Time       Strategy = "time"
	Group      Strategy = "group"
)

// Config configures Split. The zero value is a random split with the
// default ratios and seed 0.
type Config struct {
	// Strategy is the strategy; empty means Random.
	Strategy Strategy `json:"strategy"`
	// By is the column the strategy splits by: the target for Stratified,
	// a datetime or numeric column for Time, any column for Group. Random
	// ignores it.
	By string `json:"by,omitempty"`
	// Ratios are the part shares; the zero value means DefaultRatios.
	Ratios Ratios `json:"ratios"`
	// Seed seeds the random number generator. Time ignores it: a time
	// split has no randomness.
	Seed int64 `json:"seed"`
}

// WithDefaults returns c with its zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Strategy == "" {
		c.Strategy = Random
	}
	if c.Ratios == (Ratios{}) {
		c.Ratios = DefaultRatios
	}
	return c
}

// Validate returns an error if c, after defaults, is not a valid
// configuration.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch c.Strategy {
	case Random:
	case Stratified, Time, Group:
		if c.By == "" {
			return fmt.Errorf("split: the %s strategy needs a column to split by", c.Strategy)
		}
	default:
		return fmt.Errorf("split: unknown strategy %q (want random, stratified, time or group)", string(c.Strategy))
	}
	return c.Ratios.Validate()
}

// newRand returns the generator of a seed. The stream constant keeps the
// split's sequence apart from other users of the same seed.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x6d6c772d73706c74)) // "mlw-splt"
}

// Split assigns every row of f to train, validation or test with the
// strategy of cfg. It returns an error if cfg is invalid, if the By column is
// unknown or of the wrong type, or if a part with a positive ratio would be
// empty (too few rows, groups or distinct times).
func Split(f *frame.Frame, cfg Config) (*Assignment, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	var col frame.Column
	if cfg.Strategy != Random {
		col = f.Column(cfg.By)
		if col == nil {
			return nil, fmt.Errorf("split: %s split by %q: %w", cfg.Strategy, cfg.By, frame.ErrNoColumn)
		}
	}
	a := &Assignment{Strategy: cfg.Strategy, Parts: make([]Part, f.NumRows())}
	var err error
	switch cfg.Strategy {
	case Random:
		splitRandom(a.Parts, cfg.Ratios, newRand(cfg.Seed))
	case Stratified:
		a.Notes, err = splitStratified(a.Parts, col, cfg.By, cfg.Ratios, newRand(cfg.Seed))
	case Time:
		err = splitTime(a.Parts, col, cfg.By, cfg.Ratios)
	case Group:
		a.Notes, err = splitGroup(a.Parts, col, cfg.By, cfg.Ratios, newRand(cfg.Seed))
	}
	if err != nil {
		return nil, err
	}
	a.count()
	var empty []string
	for p := range Part(NumParts) {
		if cfg.Ratios.of(p) > 0 && a.Counts.Of(p) == 0 {
			empty = append(empty, p.String())
		}
	}
	if len(empty) > 0 {
		return nil, emptyPartError(cfg, a, empty)
	}
	return a, nil
}

func emptyPartError(cfg Config, a *Assignment, empty []string) error {
	var why string
	switch n := a.Len(); cfg.Strategy {
	case Stratified:
		why = fmt.Sprintf("%d rows are too few", n)
		for _, note := range a.Notes {
			if note.Check == NoteSmallClass {
				why = fmt.Sprintf("%d of %d rows are in classes of %q too small to reach every part", note.Count, n, cfg.By)
			}
		}
	case Time:
		why = fmt.Sprintf("column %q has too few distinct times", cfg.By)
	case Group:
		why = fmt.Sprintf("column %q has too few groups", cfg.By)
	default:
		why = fmt.Sprintf("%d rows are too few", n)
	}
	what := "the " + empty[0] + " part would be"
	if len(empty) > 1 {
		what = "the " + strings.Join(empty[:len(empty)-1], ", ") + " and " + empty[len(empty)-1] + " parts would be"
	}
	return fmt.Errorf("split: %s split with ratios %q: %s: %s empty", cfg.Strategy, cfg.Ratios.String(), why, what)
}

// splitRandom shuffles the rows and cuts them at the part sizes.
func splitRandom(parts []Part, r Ratios, rng *rand.Rand) {
	size := partSizes(len(parts), r)
	perm := rng.Perm(len(parts))
	k := 0
	for p := range Part(NumParts) {
		for _, row := range perm[k : k+size[p]] {
			parts[row] = p
		}
		k += size[p]
	}
}
