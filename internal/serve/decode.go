package serve

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"mlw.dev/internal/mlw"
)

// This file holds the request decoders: a small JSON lexer over the body's
// bytes and the two request shapes built on it (the simple JSON form and the
// Open Inference Protocol's infer request). They decode into a batch without
// reflection and, once the batch's buffers have grown, allocate only for
// strings not seen before. The decoders know nothing of the model: a batch
// holds column names and JSON values, and Model.bind checks them against a
// signature, so one decoded request can be bound to the primary and to shadow
// variants with different signatures.

// Kinds of cell.
const (
	cellNull uint8 = iota
	cellNum
	cellStr
	cellBool
	cellComplex // an array or object, skipped; str says which
)

// cell is one decoded value of a row.
type cell struct {
	num  float64 // cellNum; 1 or 0 for cellBool
	str  string  // cellStr; "true" or "false" for cellBool
	col  int32   // index into batch.cols, or the position for a positional batch
	kind uint8
}

// limits bound what a decoder accepts.
type limits struct {
	maxRows  int // rows per request
	maxDepth int // JSON nesting depth
}

// maxInterned bounds the strings a pooled batch remembers between requests.
const maxInterned = 4096

// batch is a decoded request: rows of cells naming their column.
type batch struct {
	cols   []string         // column names, by cell.col
	colIdx map[string]int32 // name -> index in cols (simple JSON instances)
	cells  []cell
	rowEnd []int32 // row i is cells[rowEnd[i-1]:rowEnd[i]]
	// positional is set when the rows hold values in signature order (one
	// 2-D tensor [N, C]); width is C.
	positional bool
	width      int

	// Infer requests.
	id      string // the request's "id"
	outputs uint8  // requested outputs (outPredict|outProba); 0 = all

	prev    []string // the columns of the previous request, in order
	indexed bool     // colIdx holds every column of cols

	strs    map[string]string // interned strings
	scratch []byte            // unescaped strings
	tensors []tensor          // infer: the input tensors being decoded
	tcells  []cell            // infer: their data, flattened
}

func (b *batch) reset() {
	if len(b.cols) > 0 && !b.positional {
		b.prev = append(b.prev[:0], b.cols...)
	}
	b.cols = b.cols[:0]
	clear(b.colIdx)
	b.indexed = false
	b.cells = b.cells[:0]
	b.rowEnd = b.rowEnd[:0]
	b.positional, b.width = false, 0
	b.id, b.outputs = "", 0
	b.tensors = b.tensors[:0]
	b.tcells = b.tcells[:0]
	if len(b.strs) > maxInterned {
		clear(b.strs)
	}
}

// rows is the number of rows.
func (b *batch) rows() int { return len(b.rowEnd) }

// row returns the cells of row i.
func (b *batch) row(i int) []cell {
	start := int32(0)
	if i > 0 {
		start = b.rowEnd[i-1]
	}
	return b.cells[start:b.rowEnd[i]]
}

// copyFrom makes b a copy of o's rows (for a shadow job); strings are shared.
func (b *batch) copyFrom(o *batch) {
	b.cols = append(b.cols[:0], o.cols...)
	b.cells = append(b.cells[:0], o.cells...)
	b.rowEnd = append(b.rowEnd[:0], o.rowEnd...)
	b.positional, b.width = o.positional, o.width
	b.id = o.id
}

// intern returns s as a string, reusing the one made for the same bytes before.
func (b *batch) intern(s []byte) string {
	if v, ok := b.strs[string(s)]; ok {
		return v
	}
	if b.strs == nil {
		b.strs = make(map[string]string)
	}
	v := string(s)
	if len(b.strs) < 2*maxInterned {
		b.strs[v] = v
	}
	return v
}

// keyCol returns the column of the k-th key of a row, s. Clients send the
// same keys in the same order row after row and request after request, so
// the k-th column of this request (or of the previous one, for the first
// row) is tried before a map lookup.
func (b *batch) keyCol(k int, s []byte) (int32, error) {
	if k < len(b.cols) && b.cols[k] == string(s) {
		return int32(k), nil
	}
	if k == len(b.cols) && !b.indexed && k < len(b.prev) && b.prev[k] == string(s) && k < maxColumns {
		b.cols = append(b.cols, b.prev[k])
		return int32(k), nil
	}
	return b.colID(s)
}

// colID returns the index of the column named s, adding it when new.
func (b *batch) colID(s []byte) (int32, error) {
	b.index()
	if i, ok := b.colIdx[string(s)]; ok {
		return i, nil
	}
	return b.colIDString(b.intern(s))
}

// index makes colIdx hold the columns added without it.
func (b *batch) index() {
	if b.indexed {
		return
	}
	if b.colIdx == nil {
		b.colIdx = make(map[string]int32)
	}
	for i, name := range b.cols {
		if _, ok := b.colIdx[name]; !ok {
			b.colIdx[name] = int32(i)
		}
	}
	b.indexed = true
}

// colIDString is colID for a name already interned.
func (b *batch) colIDString(name string) (int32, error) {
	b.index()
	if i, ok := b.colIdx[name]; ok {
		return i, nil
	}
	if len(b.cols) >= maxColumns {
		return 0, mlw.Errorf(mlw.EINVALID, "more than %d distinct columns", maxColumns)
	}
	i := int32(len(b.cols))
	b.cols = append(b.cols, name)
	b.colIdx[name] = i
	return i, nil
}

// maxColumns bounds the distinct column names of one request.
const maxColumns = 4096

// lexer reads JSON tokens from data. Errors name the byte offset.
type lexer struct {
	data  []byte
	pos   int
	depth int
	lim   limits
	b     *batch
}

func (l *lexer) syntax(format string, args ...any) error {
	return mlw.Errorf(mlw.EINVALID, "malformed JSON at offset %d: "+format, append([]any{l.pos}, args...)...)
}

func (l *lexer) invalid(format string, args ...any) error {
	return mlw.Errorf(mlw.EINVALID, format+" (offset %d)", append(args, l.pos)...)
}

// ws skips white space and returns the next byte (0 at the end).
func (l *lexer) ws() byte {
	for l.pos < len(l.data) {
		switch c := l.data[l.pos]; c {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return c
		}
	}
	return 0
}

// expect consumes byte c after white space.
func (l *lexer) expect(c byte, what string) error {
	if l.ws() != c {
		return l.syntax("want %s, found %s", what, l.found())
	}
	l.pos++
	return nil
}

// found describes the byte at the current position for an error.
func (l *lexer) found() string {
	if l.pos >= len(l.data) {
		return "the end of the body"
	}
	c := l.data[l.pos]
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return "byte " + strconv.Quote(string(c))
}

// push enters an object or array.
func (l *lexer) push() error {
	l.depth++
	if l.depth > l.lim.maxDepth {
		l.pos-- // at the bracket
		return l.invalid("JSON nested deeper than %d levels", l.lim.maxDepth)
	}
	return nil
}

func (l *lexer) pop() { l.depth-- }

// end checks that only white space follows the value.
func (l *lexer) end() error {
	if l.ws() != 0 {
		return l.syntax("unexpected %s after the JSON value", l.found())
	}
	return nil
}

// objectStart consumes '{' and reports whether the object is empty (and
// consumed whole).
func (l *lexer) objectStart() (empty bool, err error) {
	if err := l.expect('{', "'{'"); err != nil {
		return false, err
	}
	if err := l.push(); err != nil {
		return false, err
	}
	if l.ws() == '}' {
		l.pos++
		l.pop()
		return true, nil
	}
	return false, nil
}

// key reads an object key and the ':' after it. The bytes are valid until the
// next string is read.
func (l *lexer) key() ([]byte, error) {
	if l.ws() != '"' {
		return nil, l.syntax("want a string key, found %s", l.found())
	}
	k, err := l.str()
	if err != nil {
		return nil, err
	}
	if err := l.expect(':', "':' after an object key"); err != nil {
		return nil, err
	}
	return k, nil
}

// next consumes ',' (reporting more) or the closing c (reporting done).
func (l *lexer) next(c byte) (more bool, err error) {
	switch l.ws() {
	case ',':
		l.pos++
		return true, nil
	case c:
		l.pos++
		l.pop()
		return false, nil
	}
	return false, l.syntax("want ',' or '%c', found %s", c, l.found())
}

// arrayStart consumes '[' and reports whether the array is empty (and
// consumed whole).
func (l *lexer) arrayStart() (empty bool, err error) {
	if err := l.expect('[', "'['"); err != nil {
		return false, err
	}
	if err := l.push(); err != nil {
		return false, err
	}
	if l.ws() == ']' {
		l.pos++
		l.pop()
		return true, nil
	}
	return false, nil
}

// str reads a string at the current position ('"'). The result aliases the
// body when the string has no escapes, and the batch's scratch buffer
// otherwise: it is valid until the next call.
func (l *lexer) str() ([]byte, error) {
	start := l.pos + 1
	i := start
	var high byte // OR of the bytes: ASCII-only strings need no UTF-8 check
	for i < len(l.data) {
		c := l.data[i]
		high |= c
		if c == '"' {
			s := l.data[start:i]
			if high >= utf8.RuneSelf && !utf8.Valid(s) {
				l.pos = start
				return nil, l.syntax("string is not valid UTF-8")
			}
			l.pos = i + 1
			return s, nil
		}
		if c == '\\' {
			return l.unescape(start, i)
		}
		if c < 0x20 {
			l.pos = i
			return nil, l.syntax("control character %s in a string", l.found())
		}
		i++
	}
	l.pos = len(l.data)
	return nil, l.syntax("unterminated string")
}

// unescape decodes a string with escapes into the scratch buffer; the first
// escape is at data[i].
func (l *lexer) unescape(start, i int) ([]byte, error) {
	buf := append(l.b.scratch[:0], l.data[start:i]...)
	for i < len(l.data) {
		c := l.data[i]
		switch {
		case c == '"':
			l.b.scratch = buf
			if !utf8.Valid(buf) {
				l.pos = start
				return nil, l.syntax("string is not valid UTF-8")
			}
			l.pos = i + 1
			return buf, nil
		case c < 0x20:
			l.pos = i
			return nil, l.syntax("control character %s in a string", l.found())
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(l.data) {
			break
		}
		i++
		switch l.data[i] {
		case '"', '\\', '/':
			buf = append(buf, l.data[i])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(l.data[i+1:])
			if !ok {
				l.pos = i - 1
				return nil, l.syntax(`bad \u escape`)
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair is two escapes; a lone surrogate becomes U+FFFD, as
				// encoding/json does.
				r2 := rune(-1)
				if i+2 < len(l.data) && l.data[i+1] == '\\' && l.data[i+2] == 'u' {
					if x, ok := hex4(l.data[i+3:]); ok {
						r2 = x
					}
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			l.pos = i - 1
			return nil, l.syntax("bad escape \\%c", l.data[i])
		}
		i++
	}
	l.pos = len(l.data)
	return nil, l.syntax("unterminated string")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a JSON number and parses it. A number too large for a float64
// is an error, as are the non-JSON tokens NaN and Infinity.
//
// Numbers of at most 19 digits whose mantissa is below 2^53 and whose
// decimal exponent is within ±22 are converted with one exact
// multiplication or division (Clinger's fast path, which strconv also takes):
// the result is the correctly rounded one. Others go to strconv.ParseFloat.
func (l *lexer) number() (float64, error) {
	start := l.pos
	i := start
	d := l.data
	neg := i < len(d) && d[i] == '-'
	if neg {
		i++
	}
	// The digits go into mant without a test each; nd counts them (but a
	// lone leading 0), and beyond 19 mant has wrapped and is not used.
	var mant uint64
	nd, exp10 := 0, 0
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		j := i
		for ; i < len(d) && d[i]-'0' < 10; i++ {
			mant = mant*10 + uint64(d[i]-'0')
		}
		nd = i - j
	default:
		l.pos = i
		if i < len(d) && d[i] == 'I' {
			return 0, l.nonFinite()
		}
		return 0, l.syntax("want a digit, found %s", l.found())
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for ; i < len(d) && d[i]-'0' < 10; i++ {
			mant = mant*10 + uint64(d[i]-'0')
		}
		if i == j {
			l.pos = i
			return 0, l.syntax("want a digit after the decimal point, found %s", l.found())
		}
		nd += i - j
		exp10 = j - i
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		eneg := false
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			eneg = d[i] == '-'
			i++
		}
		j := i
		e := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			if e < 100000 {
				e = e*10 + int(d[i]-'0')
			}
			i++
		}
		if i == j {
			l.pos = i
			return 0, l.syntax("want a digit in the exponent, found %s", l.found())
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	l.pos = i
	if nd <= 19 && mant < 1<<53 && exp10 >= -22 && exp10 <= 22 {
		v := float64(mant)
		if exp10 < 0 {
			v /= pow10[-exp10]
		} else {
			v *= pow10[exp10]
		}
		if neg {
			v = -v
		}
		return v, nil
	}
	text := d[start:i]
	v, err := strconv.ParseFloat(string(text), 64)
	if err != nil || math.IsInf(v, 0) {
		l.pos = start
		return 0, l.invalid("number %.40s is out of range (beyond ±1.8e308)", text)
	}
	return v, nil
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [23]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// nonFinite reports NaN or Infinity (which JSON cannot hold but some
// encoders, Python's json among them, write).
func (l *lexer) nonFinite() error {
	return l.invalid("NaN and Infinity are not allowed: values must be finite numbers (send null for a missing value)")
}

// literal reads true, false or null.
func (l *lexer) literal() (uint8, bool, error) {
	rest := l.data[l.pos:]
	switch {
	case hasPrefix(rest, "true"):
		l.pos += 4
		return cellBool, true, nil
	case hasPrefix(rest, "false"):
		l.pos += 5
		return cellBool, false, nil
	case hasPrefix(rest, "null"):
		l.pos += 4
		return cellNull, false, nil
	case hasPrefix(rest, "NaN"), hasPrefix(rest, "Infinity"):
		return 0, false, l.nonFinite()
	}
	return 0, false, l.syntax("want a value, found %s", l.found())
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// scalar reads a number, string, boolean or null into c. An array or object
// is skipped (depth-bounded) and recorded as cellComplex: an error only if
// the model uses that column.
func (l *lexer) scalar(c *cell) error {
	switch l.ws() {
	case '"':
		s, err := l.str()
		if err != nil {
			return err
		}
		c.kind, c.str = cellStr, l.b.intern(s)
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		v, err := l.number()
		if err != nil {
			return err
		}
		c.kind, c.num = cellNum, v
	case '[', '{':
		c.kind, c.str = cellComplex, "an array"
		if l.data[l.pos] == '{' {
			c.str = "an object"
		}
		return l.skip()
	case 0:
		return l.syntax("want a value, found the end of the body")
	default:
		k, v, err := l.literal()
		if err != nil {
			return err
		}
		c.kind = k
		if k == cellBool {
			c.num, c.str = 0, "false"
			if v {
				c.num, c.str = 1, "true"
			}
		}
	}
	return nil
}

// skip skips one value of any kind.
func (l *lexer) skip() error {
	switch l.ws() {
	case '{':
		empty, err := l.objectStart()
		if err != nil || empty {
			return err
		}
		for {
			if _, err := l.key(); err != nil {
				return err
			}
			if err := l.skip(); err != nil {
				return err
			}
			more, err := l.next('}')
			if err != nil || !more {
				return err
			}
		}
	case '[':
		empty, err := l.arrayStart()
		if err != nil || empty {
			return err
		}
		for {
			if err := l.skip(); err != nil {
				return err
			}
			more, err := l.next(']')
			if err != nil || !more {
				return err
			}
		}
	case '"':
		_, err := l.str()
		return err
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		_, err := l.number()
		return err
	case 0:
		return l.syntax("want a value, found the end of the body")
	}
	_, _, err := l.literal()
	return err
}

// tooMany reports a batch over the row limit.
func (l *lexer) tooMany() error {
	return mlw.Errorf(codeTooLarge, "the request has more than %d rows (the batch limit); split it", l.lim.maxRows)
}

// decodePredict decodes a simple JSON request: {"instances": [{col: value,
// ...}, ...]} (also spelled "dataframe_records") or MLflow's
// {"dataframe_split": {"columns": [...], "data": [[...], ...]}}. Other keys
// are ignored.
func decodePredict(data []byte, b *batch, lim limits) error {
	b.reset()
	l := &lexer{data: data, lim: lim, b: b}
	empty, err := l.objectStart()
	if err != nil {
		return err
	}
	form := ""
	for !empty {
		k, err := l.key()
		if err != nil {
			return err
		}
		var f string
		switch string(k) {
		case "instances":
			f = "instances"
		case "dataframe_records":
			f = "dataframe_records"
		case "dataframe_split":
			f = "dataframe_split"
		}
		if f != "" && form != "" {
			return l.invalid("the body has both %q and %q: send one", form, f)
		}
		switch f {
		case "instances", "dataframe_records":
			err = l.instances(f)
		case "dataframe_split":
			err = l.split()
		default:
			err = l.skip()
		}
		if err != nil {
			return err
		}
		if f != "" {
			form = f
		}
		more, err := l.next('}')
		if err != nil {
			return err
		}
		empty = !more
	}
	if err := l.end(); err != nil {
		return err
	}
	if form == "" {
		return mlw.Errorf(mlw.EINVALID, `the body needs "instances" (a list of {"column": value} objects) or "dataframe_split" ({"columns": [...], "data": [[...]]})`)
	}
	if b.rows() == 0 {
		return mlw.Errorf(mlw.EINVALID, "%s is empty: send at least one row", form)
	}
	return nil
}

// instances reads [{col: value, ...}, ...].
func (l *lexer) instances(form string) error {
	if l.ws() != '[' {
		return l.invalid("%s: want a list of {\"column\": value} objects", form)
	}
	empty, err := l.arrayStart()
	if err != nil || empty {
		return err
	}
	b := l.b
	for {
		row := b.rows()
		if row >= l.lim.maxRows {
			return l.tooMany()
		}
		if l.ws() != '{' {
			return l.invalid("%s[%d]: want an object of column values, found %s", form, row, l.found())
		}
		empty, err := l.objectStart()
		if err != nil {
			return err
		}
		for n := 0; !empty; n++ {
			k, err := l.key()
			if err != nil {
				return err
			}
			col, err := b.keyCol(n, k)
			if err != nil {
				return err
			}
			b.cells = append(b.cells, cell{col: col})
			c := &b.cells[len(b.cells)-1]
			if err := l.scalar(c); err != nil {
				return err
			}
			more, err := l.next('}')
			if err != nil {
				return err
			}
			empty = !more
		}
		b.rowEnd = append(b.rowEnd, int32(len(b.cells)))
		more, err := l.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// split reads {"columns": [...], "data": [[...], ...], "index": [...]}.
func (l *lexer) split() error {
	if l.ws() != '{' {
		return l.invalid(`dataframe_split: want an object {"columns": [...], "data": [[...], ...]}`)
	}
	empty, err := l.objectStart()
	if err != nil {
		return err
	}
	b := l.b
	haveCols, haveData := false, false
	for !empty {
		k, err := l.key()
		if err != nil {
			return err
		}
		switch string(k) {
		case "columns":
			if haveCols {
				return l.invalid(`dataframe_split: "columns" appears twice`)
			}
			haveCols = true
			if err := l.columns(); err != nil {
				return err
			}
		case "data":
			if haveData {
				return l.invalid(`dataframe_split: "data" appears twice`)
			}
			haveData = true
			if err := l.rows(); err != nil {
				return err
			}
		default:
			if err := l.skip(); err != nil {
				return err
			}
		}
		more, err := l.next('}')
		if err != nil {
			return err
		}
		empty = !more
	}
	switch {
	case !haveCols:
		return mlw.Errorf(mlw.EINVALID, `dataframe_split: "columns" is missing`)
	case !haveData:
		return mlw.Errorf(mlw.EINVALID, `dataframe_split: "data" is missing`)
	}
	for i := range b.rows() {
		if n := len(b.row(i)); n != len(b.cols) {
			return mlw.Errorf(mlw.EINVALID, "dataframe_split: data[%d] has %d values, columns names %d", i, n, len(b.cols))
		}
	}
	return nil
}

// columns reads the column names of dataframe_split.
func (l *lexer) columns() error {
	if l.ws() != '[' {
		return l.invalid("dataframe_split.columns: want a list of column names")
	}
	empty, err := l.arrayStart()
	if err != nil || empty {
		return err
	}
	b := l.b
	for {
		if l.ws() != '"' {
			return l.invalid("dataframe_split.columns[%d]: want a column name (a string), found %s", len(b.cols), l.found())
		}
		s, err := l.str()
		if err != nil {
			return err
		}
		if len(b.cols) >= maxColumns {
			return mlw.Errorf(mlw.EINVALID, "more than %d columns", maxColumns)
		}
		b.cols = append(b.cols, b.intern(s))
		more, err := l.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// rows reads the data of dataframe_split: a list of rows, each a list of
// values in column order.
func (l *lexer) rows() error {
	if l.ws() != '[' {
		return l.invalid("dataframe_split.data: want a list of rows")
	}
	empty, err := l.arrayStart()
	if err != nil || empty {
		return err
	}
	b := l.b
	for {
		row := b.rows()
		if row >= l.lim.maxRows {
			return l.tooMany()
		}
		if l.ws() != '[' {
			return l.invalid("dataframe_split.data[%d]: want a list of values, found %s", row, l.found())
		}
		empty, err := l.arrayStart()
		if err != nil {
			return err
		}
		for j := int32(0); !empty; j++ {
			if int(j) >= maxColumns {
				return mlw.Errorf(mlw.EINVALID, "dataframe_split.data[%d] has more than %d values", row, maxColumns)
			}
			b.cells = append(b.cells, cell{col: j})
			if err := l.scalar(&b.cells[len(b.cells)-1]); err != nil {
				return err
			}
			more, err := l.next(']')
			if err != nil {
				return err
			}
			empty = !more
		}
		b.rowEnd = append(b.rowEnd, int32(len(b.cells)))
		more, err := l.next(']')
		if err != nil || !more {
			return err
		}
	}
}
