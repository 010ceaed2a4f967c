package monitor

import (
	"bytes"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mlw.dev/drift"
	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
)

// colKind is how a feature's live values are read.
type colKind uint8

const (
	colNumeric     colKind = iota // numbers; compared with a numeric reference
	colDatetime                   // date-time strings, as Unix seconds (numeric reference)
	colCategorical                // labels; numbers and booleans are written as text
)

// featureKey identifies a feature state: an input name read as one kind.
type featureKey struct {
	name string
	kind colKind
}

// liveFeature accumulates the live values of one input name read as one kind,
// from the primary rows of every version with a bundle whose signature has
// the name. Which version's reference they are compared with is decided at
// the end, so nothing here depends on a reference but the ranges counted.
type liveFeature struct {
	featureKey

	// present counts the values of rows whose inputs fit their
	// signature, missing the nulls and empty strings among them and
	// typeErrors the values the kind cannot hold.
	present, missing, typeErrors int
	// ranges count the values outside each training range of a version
	// registered as a possible reference.
	ranges []*rangeCount
	// missed counts the values of the name added before this state
	// existed (a version registered late, reading the name as a new kind).
	missed int

	// Numeric and datetime: a sample of the values (NaN left out) over the
	// window, tagged with their bucket.
	rng    *wyrand
	window reservoir

	// Categorical: the categories tracked (those of the references
	// registered, then up to MaxCategories more) and their counts over the
	// window and per bucket; other counts the values of the categories
	// beyond.
	dict         map[string]int32
	names        []string
	counts       []int
	extra        int
	other        int
	bucketCounts [][]int
	bucketOther  []int
}

// rangeCount counts the values outside [min, max].
type rangeCount struct {
	min, max float64
	n        int
	missed   int // values added before the range was registered
}

// Codes in the categorical buffers besides the dictionary's: a missing
// value, a category beyond MaxCategories, and below freshCode the
// worker-local codes of categories not in the dictionary yet.
const (
	missingCode = -1
	otherCode   = -2
	freshCode   = -3
)

// newFeature returns the state of a feature; stream tells its random
// source apart, nb is the number of buckets.
func newFeature(k featureKey, stream uint64, nb int) *liveFeature {
	f := &liveFeature{featureKey: k}
	if k.kind == colCategorical {
		f.dict = map[string]int32{}
		f.bucketCounts = make([][]int, nb)
		f.bucketOther = make([]int, nb)
		return f
	}
	f.rng = newRand(1000 + stream)
	f.window = newReservoir(NumericSample)
	return f
}

// rangeFor returns the counter of the range [lo, hi], creating it.
func (f *liveFeature) rangeFor(lo, hi float64) *rangeCount {
	for _, r := range f.ranges {
		if r.min == lo && r.max == hi {
			return r
		}
	}
	r := &rangeCount{min: lo, max: hi, missed: f.present}
	f.ranges = append(f.ranges, r)
	return r
}

// track makes a category of a reference tracked, whatever MaxCategories.
func (f *liveFeature) track(s string) {
	if _, ok := f.dict[s]; ok {
		return
	}
	f.dict[s] = int32(len(f.names))
	f.names = append(f.names, s)
	f.counts = append(f.counts, 0)
}

// codeOf returns the code of a category met in the traffic, tracking it
// while fewer than MaxCategories are, and otherCode beyond.
func (f *liveFeature) codeOf(s string) int32 {
	if c, ok := f.dict[s]; ok {
		return c
	}
	if f.extra >= MaxCategories {
		return otherCode
	}
	f.extra++
	c := int32(len(f.names))
	s = strings.Clone(s)
	f.dict[s] = c
	f.names = append(f.names, s)
	f.counts = append(f.counts, 0)
	return c
}

// column is one raw input feature of a model version as the reference:
// the feature state it reads, its training reference, range and
// categories.
type column struct {
	name string
	kind colKind
	ref  *drift.Reference // nil without a reference
	f    *liveFeature

	// Training range (numeric and datetime) and categories (categorical).
	hasRange bool
	min, max float64
	rng      *rangeCount
	known    map[string]bool
}

// featureFor returns the state of a feature, creating it.
func (a *Accumulator) featureFor(k featureKey) *liveFeature {
	if j, ok := a.featureIx[k]; ok {
		return a.features[j]
	}
	f := newFeature(k, uint64(len(a.features)), a.nb)
	for _, g := range a.features {
		if g.name == k.name {
			f.missed = g.present + g.missed // every state of a name sees the same rows
			break
		}
	}
	a.featureIx[k] = len(a.features)
	a.features = append(a.features, f)
	return f
}

// register makes a version a possible reference: its view of the features,
// created as needed, and the features its rows feed.
func (a *Accumulator) register(m *modelInfo) {
	m.registered = true
	var refs []drift.Reference
	if m.b.Reference != nil {
		refs = m.b.Reference.Features
	}
	m.sig = signature(m.b)
	m.cols = newColumns(m.sig, refs)
	for _, c := range m.cols {
		c.f = a.featureFor(featureKey{c.name, c.kind})
		if c.hasRange {
			c.rng = c.f.rangeFor(c.min, c.max)
		}
		for s := range c.known {
			c.f.track(s)
		}
	}
	// A new feature state may concern the rows of versions registered
	// before.
	byName := map[string][]int32{}
	for j, f := range a.features {
		byName[f.name] = append(byName[f.name], int32(j))
	}
	for _, o := range a.models {
		if !o.registered {
			continue
		}
		o.feed = make([][]int32, len(o.sig))
		for k, s := range o.sig {
			o.feed[k] = byName[s.name]
		}
	}
}

// batch holds the primary rows of one addBatch whose inputs are parsed,
// and their parsed values per feature: numbers (NaN when missing, absent
// or invalid) or category codes.
type batch struct {
	recs   []*mlw.Prediction
	model  []int32
	bucket []int32
	ok     []bool
	num    [][]float64
	codes  [][]int32
}

func (bt *batch) reset() {
	clear(bt.recs) // keep no record
	bt.recs, bt.model, bt.bucket = bt.recs[:0], bt.model[:0], bt.bucket[:0]
}

func (bt *batch) add(p *mlw.Prediction, model, bucket int32) {
	bt.recs = append(bt.recs, p)
	bt.model = append(bt.model, model)
	bt.bucket = append(bt.bucket, bucket)
}

// parseWorker holds one goroutine's buffers and counts while parsing.
type parseWorker struct {
	vals   []rawValue
	num    []byte
	fresh  []map[string]int32 // per feature: category not in the dictionary → local index
	names  [][]string         // per feature: local index → category
	counts []featureCount
	bad    int
	badAt  int // position of the first violation
	first  string
}

// featureCount are one worker's counts for one feature.
type featureCount struct {
	present, missing, typeErrors int
	outOfRange                   []int // per range
}

// parseChunk is the number of rows a worker claims at a time.
const parseChunk = 1024

// parseBatch decodes the inputs of the batch in parallel into the batch
// buffers, then adds them to the features: counts, categories and samples.
func (a *Accumulator) parseBatch() {
	bt := &a.batch
	n := len(bt.recs)
	nf := len(a.features)
	for len(bt.num) < nf {
		bt.num, bt.codes = append(bt.num, nil), append(bt.codes, nil)
	}
	for j, f := range a.features {
		if f.kind == colCategorical {
			bt.codes[j] = resize(bt.codes[j], n)
		} else {
			bt.num[j] = resize(bt.num[j], n)
		}
	}
	bt.ok = resize(bt.ok, n)
	nChunks := (n + parseChunk - 1) / parseChunk
	owner := make([]int32, nChunks)
	workers := max(1, min(runtime.GOMAXPROCS(0), nChunks))
	for len(a.workers) < workers {
		a.workers = append(a.workers, &parseWorker{})
	}
	ws := a.workers[:workers]
	var next atomic.Int64
	var wg sync.WaitGroup
	for w, pw := range ws {
		pw.reset(a.features)
		wg.Go(func() {
			for {
				ch := int(next.Add(1) - 1)
				if ch >= nChunks {
					return
				}
				owner[ch] = int32(w)
				lo, hi := ch*parseChunk, min((ch+1)*parseChunk, n)
				for p := lo; p < hi; p++ {
					bt.ok[p] = pw.row(a, p, bt.recs[p], a.models[bt.model[p]])
				}
			}
		})
	}
	wg.Wait()

	// Counts, violations, and the categories new to the dictionaries.
	trans := make([][][]int32, workers) // worker → feature → local index → code
	first, firstAt := "", -1
	for w, pw := range ws {
		trans[w] = make([][]int32, nf)
		for j, f := range a.features {
			cnt := &pw.counts[j]
			f.present += cnt.present
			f.missing += cnt.missing
			f.typeErrors += cnt.typeErrors
			for r, k := range cnt.outOfRange {
				f.ranges[r].n += k
			}
			if f.kind == colCategorical {
				t := make([]int32, len(pw.names[j]))
				for l, s := range pw.names[j] {
					t[l] = f.codeOf(s)
				}
				trans[w][j] = t
			}
		}
		a.bad += pw.bad
		if pw.bad > 0 && (firstAt < 0 || pw.badAt < firstAt) {
			first, firstAt = pw.first, pw.badAt
		}
	}
	if a.badFirst == "" {
		a.badFirst = first
	}
	a.parsedRows += n
	for p, good := range bt.ok {
		a.parsed[bt.bucket[p]]++
		if good {
			a.valid[bt.bucket[p]]++
		}
	}

	// The values, per feature in parallel: each feature has its own
	// random source, so the samples do not depend on the schedule.
	next.Store(0)
	for range workers {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= nf {
					return
				}
				f := a.features[j]
				if f.kind == colCategorical {
					f.addCodes(bt.codes[j], bt.bucket, func(p int, local int32) int32 { return trans[owner[p/parseChunk]][j][local] })
				} else {
					f.addValues(bt.num[j], bt.bucket)
				}
			}
		})
	}
	wg.Wait()
}

// resize returns s with length n, reusing its array.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// addValues samples the values of one batch (NaN is left out).
func (f *liveFeature) addValues(x []float64, bucket []int32) {
	// Local copies, which the compiler keeps in registers.
	rng, win := *f.rng, f.window
	for p, v := range x {
		if v != v {
			continue
		}
		win.offer(v, bucket[p], true, &rng)
	}
	*f.rng, f.window = rng, win
}

// addCodes counts the categories of one batch; local translates a
// worker-local index.
func (f *liveFeature) addCodes(codes []int32, bucket []int32, local func(p int, l int32) int32) {
	for p, c := range codes {
		if c == missingCode {
			continue
		}
		if c <= freshCode {
			c = local(p, freshCode-c)
		}
		b := bucket[p]
		if c == otherCode {
			f.other++
			f.bucketOther[b]++
			continue
		}
		f.counts[c]++
		bc := f.bucketCounts[b]
		if int(c) >= len(bc) {
			bc = append(bc, make([]int, len(f.names)-len(bc))...)
			f.bucketCounts[b] = bc
		}
		bc[c]++
	}
}

// reset prepares a worker for a batch of the features.
func (pw *parseWorker) reset(features []*liveFeature) {
	for len(pw.counts) < len(features) {
		pw.counts = append(pw.counts, featureCount{})
		pw.fresh = append(pw.fresh, nil)
		pw.names = append(pw.names, nil)
	}
	for j, f := range features {
		c := &pw.counts[j]
		c.present, c.missing, c.typeErrors = 0, 0, 0
		c.outOfRange = resize(c.outOfRange, len(f.ranges))
		clear(c.outOfRange)
		if f.kind == colCategorical {
			if pw.fresh[j] == nil {
				pw.fresh[j] = map[string]int32{}
			}
			clear(pw.fresh[j])
			pw.names[j] = pw.names[j][:0]
		}
	}
	pw.bad, pw.badAt, pw.first = 0, -1, ""
}

// row parses one record into position p of the batch and reports whether
// its inputs fit the signature of its version m.
func (pw *parseWorker) row(a *Accumulator, p int, rec *mlw.Prediction, m *modelInfo) bool {
	bt := &a.batch
	for j, f := range a.features {
		if f.kind == colCategorical {
			bt.codes[j][p] = missingCode
		} else {
			bt.num[j][p] = math.NaN()
		}
	}
	vals, err := scanRow(pw.vals, rec.Inputs)
	pw.vals = vals
	if err == nil && len(vals) != len(m.sig) {
		err = errWidth
	}
	if err != nil {
		pw.bad++
		if pw.badAt < 0 {
			pw.badAt, pw.first = p, describeViolation(rec, len(vals), len(m.sig), err)
		}
		return false
	}
	for k, js := range m.feed {
		for _, j := range js {
			pw.value(a.features[j], int(j), bt, p, &vals[k])
		}
	}
	return true
}

// value stores one value v of feature f (index j) at position p and counts
// it.
func (pw *parseWorker) value(f *liveFeature, j int, bt *batch, p int, v *rawValue) {
	cnt := &pw.counts[j]
	cnt.present++
	if v.Kind == kindNull {
		cnt.missing++
		return
	}
	switch f.kind {
	case colNumeric, colDatetime:
		x, ok, missing := math.NaN(), false, false
		switch {
		case f.kind == colDatetime && v.Kind == kindString:
			s := bytes.TrimSpace(v.Str)
			if len(s) == 0 {
				missing = true
				break
			}
			if t, good := parseTime(string(s)); good {
				x, ok = float64(t.UnixNano())/1e9, true
			}
		case f.kind == colDatetime:
		case v.Kind == kindNumber:
			x, ok = v.Num, true
		case v.Kind == kindString:
			s := bytes.TrimSpace(v.Str)
			if len(s) == 0 {
				missing = true // an empty string is a missing number, as when serving
				break
			}
			if y, err := strconv.ParseFloat(string(s), 64); err == nil && !math.IsInf(y, 0) && !math.IsNaN(y) {
				x, ok = y, true
			}
		}
		switch {
		case missing:
			cnt.missing++
		case !ok:
			cnt.typeErrors++
		default:
			for r, rg := range f.ranges {
				if x < rg.min || x > rg.max {
					cnt.outOfRange[r]++
				}
			}
		}
		bt.num[j][p] = x // NaN unless ok
	case colCategorical:
		var key []byte
		switch v.Kind {
		case kindString:
			key = v.Str
			if len(key) == 0 {
				cnt.missing++
				return
			}
		case kindNumber:
			pw.num = appendNumberLabel(pw.num[:0], v.Num)
			key = pw.num
		case kindBool:
			pw.num = strconv.AppendBool(pw.num[:0], v.Bool)
			key = pw.num
		}
		if code, ok := f.dict[string(key)]; ok { // read only while parsing
			bt.codes[j][p] = code
			return
		}
		d := pw.fresh[j]
		l, seen := d[string(key)]
		if !seen {
			l = int32(len(pw.names[j]))
			s := string(key)
			d[s] = l
			pw.names[j] = append(pw.names[j], s)
		}
		bt.codes[j][p] = freshCode - l
	}
}

// appendNumberLabel writes a number used as a category as the training
// reference wrote it (frame's cell text: plain decimal for moderate
// magnitudes, exponent notation otherwise).
func appendNumberLabel(dst []byte, v float64) []byte {
	if a := math.Abs(v); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.AppendFloat(dst, v, 'f', -1, 64)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// timeLayouts are the ISO 8601 forms a datetime input may take (as
// feature.Pipeline accepts them); fractional seconds are always accepted.
var timeLayouts = []string{
	time.DateOnly,
	"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05",
	"2006-01-02T15:04:05-0700", "2006-01-02 15:04:05-0700",
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02 15:04Z07:00", "2006-01-02 15:04",
}

// parseTime parses an ISO 8601 date-time; no offset means UTC.
func parseTime(s string) (time.Time, bool) {
	if len(s) < 10 {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// newColumns returns the columns of a model's signature, with their
// references when the bundle has them (feature states not set).
func newColumns(inputs []inputSpec, refs []drift.Reference) []*column {
	byName := make(map[string]*drift.Reference, len(refs))
	for i := range refs {
		byName[refs[i].Name] = &refs[i]
	}
	cols := make([]*column, len(inputs))
	for i, in := range inputs {
		c := &column{name: in.name, ref: byName[in.name]}
		switch {
		case in.datetime:
			c.kind = colDatetime
		case in.categorical:
			c.kind = colCategorical
		}
		if c.ref != nil && c.ref.Categorical != nil {
			c.kind = colCategorical
		}
		if c.ref != nil && c.ref.Numeric != nil && c.kind == colCategorical {
			c.kind = colNumeric
		}
		switch {
		case c.kind == colCategorical:
			c.known = map[string]bool{}
			if c.ref != nil {
				for s := range c.ref.Categorical.Counts {
					c.known[s] = true
				}
			} else {
				for _, s := range in.categories {
					c.known[s] = true
				}
			}
		case c.ref != nil && c.ref.Numeric.Count > 0:
			c.hasRange, c.min, c.max = true, c.ref.Numeric.Min, c.ref.Numeric.Max
		case c.ref == nil && in.hasRange:
			c.hasRange, c.min, c.max = true, in.min, in.max
		}
		cols[i] = c
	}
	return cols
}

// inputSpec is what monitoring needs of one signature input.
type inputSpec struct {
	name                  string
	categorical, datetime bool
	categories            []string
	hasRange              bool
	min, max              float64
}

// typeIsDatetime reports whether a pipeline input holds date-times.
func typeIsDatetime(t frame.Type, parts []string) bool {
	return t == frame.TypeDatetime || parts != nil
}

// tally counts strings: up to MaxCategories distinct ones by name, the
// others together.
type tally struct {
	index  map[string]int
	names  []string
	counts []int
	other  int
}

func (t *tally) add(s string) {
	if i, ok := t.index[s]; ok {
		t.counts[i]++
		return
	}
	if len(t.names) >= MaxCategories {
		t.other++
		return
	}
	if t.index == nil {
		t.index = map[string]int{}
	}
	s = strings.Clone(s)
	t.index[s] = len(t.names)
	t.names = append(t.names, s)
	t.counts = append(t.counts, 1)
}
