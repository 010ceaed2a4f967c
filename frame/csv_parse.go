package frame

import (
	"bytes"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// column is the parse state of one column across all chunks.
type column struct {
	forced Type
	mu     sync.Mutex
	nums   []float64 // one slot per line of input, allocated on first use
	codes  []int32
	// sawText tells chunks parsed later to start in text mode.
	sawText atomic.Bool
}

func (c *column) numsSlice(n int) []float64 { return allocOnce(&c.mu, &c.nums, n) }

func (c *column) codesSlice(n int) []int32 { return allocOnce(&c.mu, &c.codes, n) }

// allocOnce returns *s, first making it a slice of length n if it is nil.
func allocOnce[T any](mu *sync.Mutex, s *[]T, n int) []T {
	mu.Lock()
	defer mu.Unlock()
	if *s == nil {
		*s = make([]T, n)
	}
	return *s
}

// parallel calls fn(0), ..., fn(n-1) from GOMAXPROCS goroutines and waits
// for them.
func parallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// chunkColumn is the parse state of one column in one chunk. A column starts
// numeric and turns to text when a value is neither a number nor missing.
type chunkColumn struct {
	text bool
	nums []float64 // this chunk's slots
	dict *dict     // text mode: the chunk's distinct values
}

type chunkResult struct {
	rows int
	cols []chunkColumn
	err  *ParseError
}

// parse parses the chunks in parallel and assembles the frame.
func (cfg *readConfig) parse(chunks []*chunk) (*Frame, error) {
	total := 0
	for i, ch := range chunks {
		lines := bytes.Count(ch.data, []byte{'\n'})
		ch.ub = lines
		if len(ch.data) > 0 && ch.data[len(ch.data)-1] != '\n' {
			ch.ub++
		}
		if i+1 < len(chunks) {
			chunks[i+1].line = ch.line + lines
		}
		ch.base = total
		total += ch.ub
	}
	cols := make([]*column, len(cfg.names))
	for j := range cols {
		cols[j] = &column{forced: cfg.forced[j]}
	}
	results := make([]chunkResult, len(chunks))
	// firstErr is the index of the first chunk known to fail; chunks after
	// it are not parsed.
	var firstErr atomic.Int64
	firstErr.Store(int64(len(chunks)))
	parallel(len(chunks), func(k int) {
		if int64(k) > firstErr.Load() {
			return
		}
		results[k] = cfg.parseChunk(chunks[k], cols, total)
		if results[k].err == nil {
			return
		}
		for {
			cur := firstErr.Load()
			if int64(k) >= cur || firstErr.CompareAndSwap(cur, int64(k)) {
				return
			}
		}
	})
	if k := firstErr.Load(); k < int64(len(chunks)) {
		return nil, results[k].err
	}

	nrows := 0
	for _, r := range results {
		nrows += r.rows
	}
	out := make([]Column, len(cols))
	errs := make([]*ParseError, len(cols))
	parallel(len(cols), func(j int) {
		out[j], errs[j] = cfg.finish(j, cols[j], chunks, results, total, nrows)
	})
	var first *ParseError
	for _, e := range errs {
		if e != nil && (first == nil || e.Line < first.Line) {
			first = e
		}
	}
	if first != nil {
		return nil, first
	}
	return newTrusted(cfg.names, out, nrows), nil
}

// chunkParser parses the records of one chunk into the column arrays.
type chunkParser struct {
	cfg   *readConfig
	ch    *chunk
	cols  []*column
	total int // length of the column arrays
	res   chunkResult
	codes [][]int32 // per text-mode column, this chunk's slots
	row   int
}

// parseChunk parses the records of one chunk into the column arrays.
func (cfg *readConfig) parseChunk(ch *chunk, cols []*column, total int) chunkResult {
	p := &chunkParser{
		cfg:   cfg,
		ch:    ch,
		cols:  cols,
		total: total,
		res:   chunkResult{cols: make([]chunkColumn, len(cols))},
		codes: make([][]int32, len(cols)),
	}
	for j, c := range cols {
		if c.forced != 0 && c.forced != TypeNumeric || c.forced == 0 && c.sawText.Load() {
			p.startText(j)
		}
	}
	ncols := len(cols)
	s := newScanner(ch.data, ch.line, cfg.delim)
	for {
		s.skipBlank()
		if s.pos >= len(s.data) {
			break
		}
		recLine := s.line
		for j := 0; ; j++ {
			last, err := p.next(&s, j)
			if err != nil {
				p.res.err = err
				return p.res
			}
			if last {
				if j+1 != ncols {
					p.res.err = cfg.errorf(recLine, 0, "%d fields, header has %d", j+1, ncols)
					return p.res
				}
				break
			}
		}
		p.row++
	}
	p.res.rows = p.row
	return p.res
}

// next reads field j of the current record from s and reports whether it
// ends the record.
func (p *chunkParser) next(s *scanner, j int) (last bool, err *ParseError) {
	if j < len(p.cols) && !p.res.cols[j].text && !p.cfg.missingFirst {
		// Fast path: a plain number in a numeric column.
		if v, last, ok := s.number(); ok {
			p.slots(j)[p.row] = v
			return last, nil
		}
	}
	line := s.line
	field, last, msg := s.next()
	if msg != "" {
		return true, p.cfg.errorf(line, j+1, "%s", msg)
	}
	if j < len(p.cols) {
		if err := p.field(j, field, line); err != nil {
			return true, err
		}
	}
	return last, nil
}

// slots returns this chunk's slots in the numeric array of column j.
func (p *chunkParser) slots(j int) []float64 {
	cc := &p.res.cols[j]
	if cc.nums == nil {
		cc.nums = p.cols[j].numsSlice(p.total)[p.ch.base : p.ch.base+p.ch.ub]
	}
	return cc.nums
}

// startText puts column j in text mode for the rest of the chunk.
func (p *chunkParser) startText(j int) {
	p.res.cols[j].text = true
	p.res.cols[j].dict = newDict(0)
	p.codes[j] = p.cols[j].codesSlice(p.total)[p.ch.base : p.ch.base+p.ch.ub]
}

// field stores field j of the current record, read at line.
func (p *chunkParser) field(j int, field []byte, line int) *ParseError {
	cc := &p.res.cols[j]
	if !cc.text {
		if v, ok := p.cfg.number(field); ok {
			p.slots(j)[p.row] = v
			return nil
		}
		if p.cols[j].forced == TypeNumeric {
			return p.cfg.errorf(line, j+1, "cannot parse %q as a number", field)
		}
		// Turn the column to text, reading its earlier fields in this
		// chunk again, and tell the chunks parsed later.
		p.cols[j].sawText.Store(true)
		p.startText(j)
		p.cfg.extract(p.ch, j, p.row, func(r, line int, f []byte) {
			p.codes[j][r] = p.cfg.code(cc.dict, f, line)
		})
	}
	k, ok := cc.dict.index[string(field)]
	if !ok {
		switch {
		case p.cfg.isMissing(field):
			k = -1
			cc.dict.index[string(field)] = -1
		case !utf8.Valid(field):
			return p.cfg.errorf(line, j+1, "invalid UTF-8")
		default:
			k = cc.dict.add(string(field), line)
		}
	}
	p.codes[j][p.row] = k
	return nil
}

// number parses a numeric field: a number, or NaN when it is missing.
func (cfg *readConfig) number(field []byte) (float64, bool) {
	if cfg.missingFirst && cfg.isMissing(field) {
		return math.NaN(), true
	}
	if len(field) > 0 && (field[0] <= ' ' || field[len(field)-1] <= ' ') {
		field = trimSpace(field)
	}
	if v, ok := parseFloat(field); ok {
		return v, true
	}
	if cfg.isMissing(field) {
		return math.NaN(), true
	}
	return 0, false
}

// code returns the dictionary code of a field known to be valid UTF-8, or
// -1 if it is missing. Missing spellings are cached in d.index as -1.
func (cfg *readConfig) code(d *dict, field []byte, line int) int32 {
	if k, ok := d.index[string(field)]; ok {
		return k
	}
	if cfg.isMissing(field) {
		d.index[string(field)] = -1
		return -1
	}
	return d.add(string(field), line)
}

// extract calls fn with the row, the line and field j of the first n
// records of ch, which were parsed without error before.
func (cfg *readConfig) extract(ch *chunk, j, n int, fn func(row, line int, field []byte)) {
	s := newScanner(ch.data, ch.line, cfg.delim)
	for row := 0; row < n; row++ {
		s.skipBlank()
		line := s.line
		for col := 0; ; col++ {
			field, last, _ := s.next()
			if col == j {
				fn(row, line, field)
			}
			if last {
				break
			}
		}
	}
}

// finish compacts column j into its final rows and builds its Column.
func (cfg *readConfig) finish(j int, c *column, chunks []*chunk, results []chunkResult, total, nrows int) (Column, *ParseError) {
	text := false
	for _, r := range results {
		text = text || r.cols[j].text
	}
	if !text {
		if c.nums == nil {
			return &Numeric{values: []float64{}}, nil
		}
		at := 0
		for k, ch := range chunks {
			copy(c.nums[at:], c.nums[ch.base:ch.base+results[k].rows])
			at += results[k].rows
		}
		return &Numeric{values: c.nums[:nrows:nrows]}, nil
	}
	// Chunks parsed before the column turned to text keep numbers: read
	// their fields again as text.
	codes := c.codesSlice(total)
	global := newDict(0)
	at := 0
	for k, ch := range chunks {
		cc := &results[k].cols[j]
		part := codes[ch.base : ch.base+results[k].rows]
		if !cc.text {
			cc.dict = newDict(0)
			cfg.extract(ch, j, len(part), func(r, line int, f []byte) {
				part[r] = cfg.code(cc.dict, f, line)
			})
		}
		remap := make([]int32, len(cc.dict.values))
		for i, v := range cc.dict.values {
			k, ok := global.index[v]
			if !ok {
				k = global.add(v, cc.dict.lines[i])
			}
			remap[i] = k
		}
		for i, k := range part {
			if k >= 0 {
				k = remap[k]
			}
			codes[at+i] = k
		}
		at += len(part)
	}
	c.nums = nil
	return cfg.resolve(j, global, codes[:nrows:nrows])
}

// resolve turns dictionary-coded strings into the column type forced for
// column j or inferred from the distinct values.
func (cfg *readConfig) resolve(j int, d *dict, codes []int32) (Column, *ParseError) {
	fail := func(i int, what string) *ParseError {
		return cfg.errorf(d.lines[i], j+1, "cannot parse %q as %s", d.values[i], what)
	}
	switch cfg.forced[j] {
	case TypeBool:
		col, bad := boolColumn(d, codes, true)
		if bad >= 0 {
			return nil, fail(bad, "a boolean")
		}
		return col, nil
	case TypeDatetime:
		col, bad := datetimeColumn(d, codes, true)
		if bad >= 0 {
			return nil, fail(bad, "a datetime")
		}
		return col, nil
	case TypeCategorical:
		return categoricalColumn(d, codes), nil
	case TypeText:
		return textColumn(d, codes), nil
	}
	if len(d.values) > 0 {
		if col, bad := boolColumn(d, codes, false); bad < 0 {
			return col, nil
		}
		if col, bad := datetimeColumn(d, codes, false); bad < 0 {
			return col, nil
		}
	}
	n, total := 0, 0
	for _, k := range codes {
		if k >= 0 {
			n++
			total += len(d.values[k])
		}
	}
	switch stringKind(cfg.names[j], n, len(d.values), total) {
	case KindText, KindID:
		return textColumn(d, codes), nil
	}
	return categoricalColumn(d, codes), nil
}

// boolColumn maps the codes through parseBool. If a value is not a
// boolean, it returns the index of the first such value by line when full is
// set, or of any such value otherwise.
func boolColumn(d *dict, codes []int32, full bool) (Column, int) {
	vals := make([]bool, len(d.values))
	bad := -1
	for i, s := range d.values {
		v, ok := parseBool(s)
		if !ok {
			if !full {
				return nil, i
			}
			if bad < 0 || d.lines[i] < d.lines[bad] {
				bad = i
			}
		}
		vals[i] = v
	}
	if bad >= 0 {
		return nil, bad
	}
	out, missing := decodeCodes(codes, vals)
	return &Bool{values: out, missing: missing}, -1
}

// datetimeColumn maps the codes through the first layout that parses every
// value. Otherwise it returns the index of a value that does not parse: when
// full is set, the first one by line for the layout that parses the most
// values.
func datetimeColumn(d *dict, codes []int32, full bool) (Column, int) {
	vals := make([]int64, len(d.values))
	bestBad, bestCount := 0, -1
	for _, layout := range timeLayouts {
		bad, count := -1, 0
		for i, s := range d.values {
			v, ok := layout.parse(s)
			if ok {
				vals[i] = v
				count++
				continue
			}
			if bad < 0 || d.lines[i] < d.lines[bad] {
				bad = i
			}
			if !full {
				break
			}
		}
		if bad < 0 {
			out, missing := decodeCodes(codes, vals)
			for i, m := range missing {
				if m {
					out[i] = NaT
				}
			}
			return &Datetime{values: out}, -1
		}
		if count > bestCount {
			bestBad, bestCount = bad, count
		}
	}
	return nil, bestBad
}

func categoricalColumn(d *dict, codes []int32) Column {
	cats, remap := d.sorted()
	remapCodes(codes, remap)
	return &Categorical{codes: codes, categories: cats}
}

func textColumn(d *dict, codes []int32) Column {
	out, missing := decodeCodes(codes, d.values)
	return &Text{values: out, missing: missing}
}

// decodeCodes maps dictionary codes to their values, with a mask of the
// missing ones (code -1), nil when there are none.
func decodeCodes[T any](codes []int32, vals []T) ([]T, []bool) {
	out := make([]T, len(codes))
	var missing []bool
	for i, k := range codes {
		if k < 0 {
			if missing == nil {
				missing = make([]bool, len(codes))
			}
			missing[i] = true
			continue
		}
		out[i] = vals[k]
	}
	return out, missing
}
