package monitor

import (
	"bytes"
	"math"
	"runtime"
	"strconv"
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

// column is one raw input feature of the reference model and, once parsed,
// its live values in bucket order: values (NaN when missing, absent or
// invalid) for numeric and datetime features, codes into names (−1 likewise)
// for categorical ones.
type column struct {
	name string
	kind colKind
	ref  *drift.Reference // nil without a reference

	// Training range (numeric and datetime) and categories (categorical).
	hasRange bool
	min, max float64
	known    map[string]bool

	values []float64
	codes  []int32
	names  []string // categories in code order
	counts []int    // whole-window count per code

	present, missing, typeErrors, outOfRange int
}

// parseWorker holds one goroutine's buffers and counts while parsing.
type parseWorker struct {
	vals     []rawValue
	num      []byte
	dict     []map[string]int32 // per column: category → local code
	names    [][]string         // per column: local code → category
	counts   [][4]int           // per column: present, missing, type errors, out of range
	bad      int
	badFirst string
}

// parseChunk is the number of rows a worker claims at a time.
const parseChunk = 4096

// rowMap maps the signature of one model version onto the columns.
type rowMap struct {
	cols   []int // column of each signature input, −1 when not tracked
	absent []int // columns the signature lacks
}

// parseInputs decodes the inputs of the records at preds[order[p]] into the
// columns at position p, in parallel; mapOf(p) maps the signature of the
// record at position p. It returns the number of schema violations and the first one
// described, and marks valid rows in ok.
func parseInputs(cols []*column, preds []*mlw.Prediction, order []int32, mapOf func(p int) *rowMap, ok []bool) (int, string) {
	n := len(order)
	for _, c := range cols {
		if c.kind == colCategorical {
			c.codes = make([]int32, n)
		} else {
			c.values = make([]float64, n)
		}
	}
	nChunks := (n + parseChunk - 1) / parseChunk
	owner := make([]int32, nChunks)
	workers := max(1, min(runtime.GOMAXPROCS(0), nChunks))
	ws := make([]*parseWorker, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		pw := &parseWorker{dict: make([]map[string]int32, len(cols)), names: make([][]string, len(cols)), counts: make([][4]int, len(cols))}
		for j, c := range cols {
			if c.kind == colCategorical {
				pw.dict[j] = map[string]int32{}
			}
		}
		ws[w] = pw
		wg.Go(func() {
			for {
				ch := int(next.Add(1) - 1)
				if ch >= nChunks {
					return
				}
				owner[ch] = int32(w)
				lo, hi := ch*parseChunk, min((ch+1)*parseChunk, n)
				for p := lo; p < hi; p++ {
					ok[p] = pw.row(cols, p, preds[order[p]], mapOf(p))
				}
			}
		})
	}
	wg.Wait()

	// Merge the workers' dictionaries and renumber the codes.
	trans := make([][][]int32, workers) // worker → column → local → global
	global := make([]map[string]int32, len(cols))
	for j, c := range cols {
		if c.kind == colCategorical {
			global[j] = map[string]int32{}
		}
	}
	bad, badFirst := 0, ""
	for w, pw := range ws {
		trans[w] = make([][]int32, len(cols))
		for j, c := range cols {
			cnt := pw.counts[j]
			c.present += cnt[0]
			c.missing += cnt[1]
			c.typeErrors += cnt[2]
			c.outOfRange += cnt[3]
			if c.kind != colCategorical {
				continue
			}
			t := make([]int32, len(pw.names[j]))
			for local, s := range pw.names[j] {
				g, seen := global[j][s]
				if !seen {
					g = int32(len(c.names))
					global[j][s] = g
					c.names = append(c.names, s)
				}
				t[local] = g
			}
			trans[w][j] = t
		}
		if pw.bad > 0 && badFirst == "" {
			badFirst = pw.badFirst
		}
		bad += pw.bad
	}
	var cat []*column
	var catIdx []int
	for j, c := range cols {
		if c.kind == colCategorical {
			cat, catIdx = append(cat, c), append(catIdx, j)
		}
	}
	if len(cat) > 0 {
		next.Store(0)
		for range workers {
			wg.Go(func() {
				for {
					ch := int(next.Add(1) - 1)
					if ch >= nChunks {
						return
					}
					lo, hi := ch*parseChunk, min((ch+1)*parseChunk, n)
					for k, c := range cat {
						t := trans[owner[ch]][catIdx[k]]
						codes := c.codes[lo:hi]
						for i, code := range codes {
							if code >= 0 {
								codes[i] = t[code]
							}
						}
					}
				}
			})
		}
		wg.Wait()
		for _, c := range cat {
			c.counts = make([]int, len(c.names))
			for _, code := range c.codes {
				if code >= 0 {
					c.counts[code]++
				}
			}
		}
	}
	return bad, badFirst
}

// row parses one record into position p of the columns and reports whether
// its inputs fit the signature.
func (pw *parseWorker) row(cols []*column, p int, rec *mlw.Prediction, m *rowMap) bool {
	vals, err := scanRow(pw.vals, rec.Inputs)
	pw.vals = vals
	if err == nil && len(vals) != len(m.cols) {
		err = errWidth
	}
	if err != nil {
		pw.bad++
		if pw.badFirst == "" {
			pw.badFirst = describeViolation(rec, len(vals), len(m.cols), err)
		}
		for _, c := range cols {
			c.clear(p)
		}
		return false
	}
	for _, j := range m.absent {
		cols[j].clear(p)
	}
	for k, j := range m.cols {
		if j >= 0 {
			pw.value(cols[j], j, p, &vals[k])
		}
	}
	return true
}

func (c *column) clear(p int) {
	if c.kind == colCategorical {
		c.codes[p] = -1
	} else {
		c.values[p] = math.NaN()
	}
}

// value stores one value v of column c (index j) at position p and counts it.
func (pw *parseWorker) value(c *column, j, p int, v *rawValue) {
	cnt := &pw.counts[j]
	cnt[0]++
	if v.Kind == kindNull {
		cnt[1]++
		c.clear(p)
		return
	}
	switch c.kind {
	case colNumeric, colDatetime:
		x, ok, missing := math.NaN(), false, false
		switch {
		case c.kind == colDatetime && v.Kind == kindString:
			s := bytes.TrimSpace(v.Str)
			if len(s) == 0 {
				missing = true
				break
			}
			if t, good := parseTime(string(s)); good {
				x, ok = float64(t.UnixNano())/1e9, true
			}
		case c.kind == colDatetime:
		case v.Kind == kindNumber:
			x, ok = v.Num, true
		case v.Kind == kindString:
			s := bytes.TrimSpace(v.Str)
			if len(s) == 0 {
				missing = true // an empty string is a missing number, as when serving
				break
			}
			if f, err := strconv.ParseFloat(string(s), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				x, ok = f, true
			}
		}
		switch {
		case missing:
			cnt[1]++
		case !ok:
			cnt[2]++
		case c.hasRange && (x < c.min || x > c.max):
			cnt[3]++
		}
		c.values[p] = x // NaN unless ok
	case colCategorical:
		var key []byte
		switch v.Kind {
		case kindString:
			key = v.Str
			if len(key) == 0 {
				cnt[1]++
				c.codes[p] = -1
				return
			}
		case kindNumber:
			pw.num = appendNumberLabel(pw.num[:0], v.Num)
			key = pw.num
		case kindBool:
			pw.num = strconv.AppendBool(pw.num[:0], v.Bool)
			key = pw.num
		}
		d := pw.dict[j]
		code, seen := d[string(key)]
		if !seen {
			code = int32(len(pw.names[j]))
			s := string(key)
			d[s] = code
			pw.names[j] = append(pw.names[j], s)
		}
		c.codes[p] = code
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

// newColumns returns the columns of the reference model's signature, with
// their references when the bundle has them.
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
