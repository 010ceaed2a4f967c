package frame

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// ReadOptions configures [ReadCSV], [ReadFile] and [ReadParquet]. The zero
// value reads a CSV file with a detected delimiter and the default missing
// tokens.
type ReadOptions struct {
	// Name names the input in error messages, such as "data.csv". ReadFile
	// uses the path when Name is empty.
	Name string
	// Delimiter separates fields: ',', ';', '\t', '|' or another ASCII
	// byte other than '"', '\r' and '\n'. Zero detects it from the first
	// lines among comma, tab, semicolon and pipe: the one that splits the
	// header and the first records into the same number (above one) of
	// fields, preferring more fields, then that order. ReadFile uses tab
	// for .tsv files.
	Delimiter byte
	// MissingTokens are the field values read as missing, compared after
	// trimming spaces and tabs, quoted or not. Nil means
	// DefaultMissingTokens(); an empty non-nil slice means none. Whatever
	// the tokens, NaN in a numeric column is missing.
	MissingTokens []string
	// Types forces the storage type of the named columns instead of
	// inferring it; a value that does not parse as the type is an error.
	// It applies to CSV input only: Parquet columns keep their stored type.
	Types map[string]Type

	// chunkSize is the size of the blocks parsed in parallel; tests lower
	// it to exercise chunk boundaries.
	chunkSize int
}

// DefaultMissingTokens returns the field values read as missing by default:
// "", "NA", "N/A", "NaN", "nan", "null", "NULL", "None" and "?".
func DefaultMissingTokens() []string {
	return []string{"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"}
}

// bom is the UTF-8 byte order mark.
const bom = "\xef\xbb\xbf"

const (
	defaultChunkSize = 4 << 20
	// sniffSize is how much input the delimiter detection looks at.
	sniffSize = 64 << 10
)

// ReadFile reads a CSV, TSV, gzip-compressed CSV or Parquet file. Parquet is
// recognised by its "PAR1" magic bytes or a .parquet extension, gzip by its
// magic bytes; anything else is read as CSV with [ReadCSV]. Errors about the
// content are [*ParseError] values naming the path.
func ReadFile(path string, opts ReadOptions) (*Frame, error) {
	if opts.Name == "" {
		opts.Name = path
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var magic [4]byte
	n, _ := file.ReadAt(magic[:], 0)
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".gz" {
		ext = strings.ToLower(filepath.Ext(strings.TrimSuffix(path, filepath.Ext(path))))
	}
	if string(magic[:n]) == "PAR1" || ext == ".parquet" {
		st, err := file.Stat()
		if err != nil {
			return nil, err
		}
		return ReadParquet(file, st.Size(), opts)
	}
	if opts.Delimiter == 0 && ext == ".tsv" {
		opts.Delimiter = '\t'
	}
	return ReadCSV(file, opts)
}

// ReadCSV reads a CSV file with a header row from r. Gzip-compressed input
// is recognised by its magic bytes and decompressed. A UTF-8 byte order mark
// is skipped, lines may end in LF or CRLF, and blank lines are skipped.
// Quoting follows RFC 4180: a field that starts with a double quote ends at
// the next lone double quote, may contain delimiters and newlines, and
// writes a double quote as two; a double quote inside an unquoted field is
// kept as is. Header names are trimmed of spaces and must be non-empty,
// distinct and valid UTF-8.
//
// Each column's storage type is inferred while parsing (see [InferSchema]
// for the rules) unless opts.Types sets it. The input is read into memory
// and parsed in parallel blocks; the frame keeps no reference to it.
//
// Errors about the content are [*ParseError] values that name the line and
// column at fault; the first one in the file is returned.
func ReadCSV(r io.Reader, opts ReadOptions) (*Frame, error) {
	cfg, err := newReadConfig(opts)
	if err != nil {
		return nil, err
	}
	ck := &chunker{r: r, size: cfg.chunkSize}
	if err := ck.fillAtLeast(sniffSize); err != nil {
		return nil, cfg.ioError(err)
	}
	if len(ck.buf) >= 2 && ck.buf[0] == 0x1f && ck.buf[1] == 0x8b {
		zr, err := gzip.NewReader(io.MultiReader(bytes.NewReader(ck.buf), r))
		if err != nil {
			return nil, cfg.ioError(err)
		}
		defer zr.Close()
		ck = &chunker{r: zr, size: cfg.chunkSize}
		if err := ck.fillAtLeast(sniffSize); err != nil {
			return nil, cfg.ioError(err)
		}
	}
	if bytes.HasPrefix(ck.buf, []byte("PAR1")) {
		return nil, &ParseError{File: cfg.name, Msg: "this is a Parquet file, not CSV (use ReadFile or ReadParquet)"}
	}
	ck.buf = bytes.TrimPrefix(ck.buf, []byte(bom))
	if cfg.delim == 0 {
		cfg.delim = detectDelimiter(ck.buf, ck.eof)
	}
	ck.delim = cfg.delim

	first, err := ck.next()
	if err != nil {
		return nil, cfg.ioError(err)
	}
	header, rest, line, perr := cfg.parseHeader(first)
	if perr != nil {
		return nil, perr
	}
	if err := cfg.setColumns(header); err != nil {
		return nil, err
	}
	chunks := []*chunk{{data: rest, line: line}}
	for {
		data, err := ck.next()
		if err != nil {
			return nil, cfg.ioError(err)
		}
		if len(data) == 0 {
			break
		}
		chunks = append(chunks, &chunk{data: data})
	}
	return cfg.parse(chunks)
}

// readConfig is the validated form of ReadOptions plus the header.
type readConfig struct {
	name         string
	delim        byte
	missing      []string
	missingMax   int  // length of the longest missing token
	missingFirst bool // a missing token parses as a number other than NaN
	types        map[string]Type
	chunkSize    int

	names  []string
	forced []Type // per column, 0 when inferred
}

func newReadConfig(opts ReadOptions) (*readConfig, error) {
	cfg := &readConfig{
		name:      opts.Name,
		delim:     opts.Delimiter,
		missing:   opts.MissingTokens,
		types:     opts.Types,
		chunkSize: opts.chunkSize,
	}
	if cfg.missing == nil {
		cfg.missing = DefaultMissingTokens()
	}
	for _, t := range cfg.missing {
		t = string(trimSpace([]byte(t)))
		cfg.missingMax = max(cfg.missingMax, len(t))
		if v, ok := parseFloat([]byte(t)); ok && !math.IsNaN(v) {
			cfg.missingFirst = true
		}
	}
	if cfg.chunkSize <= 0 {
		cfg.chunkSize = defaultChunkSize
	}
	switch d := cfg.delim; {
	case d == '"' || d == '\n' || d == '\r' || d >= utf8.RuneSelf:
		return nil, fmt.Errorf("frame: invalid delimiter %q", d)
	}
	for name, t := range cfg.types {
		if t == 0 || int(t) >= len(typeNames) {
			return nil, fmt.Errorf("frame: ReadOptions.Types[%q]: invalid type %d", name, t)
		}
	}
	return cfg, nil
}

func (cfg *readConfig) ioError(err error) error {
	if cfg.name == "" {
		return fmt.Errorf("read csv: %w", err)
	}
	return fmt.Errorf("read %s: %w", cfg.name, err)
}

func (cfg *readConfig) errorf(line, col int, format string, args ...any) *ParseError {
	e := &ParseError{File: cfg.name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	if col > 0 && col <= len(cfg.names) {
		e.ColumnName = cfg.names[col-1]
	}
	return e
}

// isMissing reports whether b, trimmed, is a missing token.
func (cfg *readConfig) isMissing(b []byte) bool {
	if len(b) > cfg.missingMax {
		b = trimSpace(b)
		if len(b) > cfg.missingMax {
			return false
		}
	} else {
		b = trimSpace(b)
	}
	for _, t := range cfg.missing {
		if string(b) == t {
			return true
		}
	}
	return false
}

// parseHeader reads the header record from the first chunk and returns the
// names, the rest of the chunk and the line where the rest starts.
func (cfg *readConfig) parseHeader(data []byte) ([]string, []byte, int, *ParseError) {
	s := newScanner(data, 1, cfg.delim)
	s.skipBlank()
	if s.pos == len(data) {
		return nil, nil, 0, &ParseError{File: cfg.name, Msg: "empty file, no header"}
	}
	var names []string
	seen := map[string]int{}
	for col := 1; ; col++ {
		line := s.line
		field, last, msg := s.next()
		if msg != "" {
			return nil, nil, 0, cfg.errorf(line, col, "%s", msg)
		}
		if !utf8.Valid(field) {
			return nil, nil, 0, cfg.errorf(line, col, "invalid UTF-8 in header")
		}
		name := string(trimSpace(field))
		switch j, dup := seen[name]; {
		case name == "":
			return nil, nil, 0, cfg.errorf(line, col, "empty header name")
		case dup:
			return nil, nil, 0, cfg.errorf(line, col, "header name %q repeated (also column %d)", name, j)
		}
		seen[name] = col
		names = append(names, name)
		if last {
			break
		}
	}
	return names, data[s.pos:], s.line, nil
}

func (cfg *readConfig) setColumns(names []string) error {
	cfg.names = names
	cfg.forced = make([]Type, len(names))
	for name, t := range cfg.types {
		i := slices.Index(names, name)
		if i < 0 {
			return &ParseError{File: cfg.name, Msg: fmt.Sprintf("ReadOptions.Types names column %q, which is not in the header", name)}
		}
		cfg.forced[i] = t
	}
	return nil
}

// chunk is a block of input that starts and ends at record boundaries.
type chunk struct {
	data []byte
	line int // line number of the first byte
	ub   int // upper bound on the number of records: the number of lines
	base int // row offset of the first record in the column arrays
}

// chunker cuts input into chunks of about size bytes at record boundaries.
type chunker struct {
	r     io.Reader
	size  int
	delim byte
	buf   []byte // input read but not yet returned, from a record boundary
	eof   bool
}

// fill reads until buf holds size more bytes, or as many more as it holds
// already if that is more, or the input ends.
func (c *chunker) fill() error {
	return c.fillAtLeast(len(c.buf) + max(c.size, len(c.buf)))
}

// fillAtLeast reads until buf holds n bytes or the input ends.
func (c *chunker) fillAtLeast(n int) error {
	if c.eof || len(c.buf) >= n {
		return nil
	}
	nb := make([]byte, n)
	copy(nb, c.buf)
	n, err := io.ReadFull(c.r, nb[len(c.buf):])
	c.buf = nb[:len(c.buf)+n]
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		c.eof = true
		return nil
	}
	return err
}

// next returns the next chunk, or an empty one at the end of the input.
func (c *chunker) next() ([]byte, error) {
	for {
		if c.eof {
			out := c.buf
			c.buf = nil
			return out, nil
		}
		if len(c.buf) >= c.size {
			if cut := lastBoundary(c.buf, c.delim); cut > 0 {
				out := c.buf[:cut:cut]
				c.buf = c.buf[cut:]
				return out, nil
			}
		}
		if err := c.fill(); err != nil {
			return nil, err
		}
	}
}

// lastBoundary returns the offset just after the last newline of data that
// ends a record, or 0 if there is none. data starts at a record boundary.
// The quote rules are those of scanner.next.
func lastBoundary(data []byte, delim byte) int {
	if bytes.IndexByte(data, '"') < 0 {
		return bytes.LastIndexByte(data, '\n') + 1
	}
	const (
		fieldStart = iota
		unquoted
		quoted
		closingQuote
	)
	last, st := 0, fieldStart
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch st {
		case fieldStart, unquoted:
			switch {
			case c == '\n':
				last, st = i+1, fieldStart
			case c == delim:
				st = fieldStart
			case c == '"' && st == fieldStart:
				st = quoted
			default:
				st = unquoted
			}
		case quoted:
			j := bytes.IndexByte(data[i:], '"')
			if j < 0 {
				return last
			}
			i += j
			st = closingQuote
		case closingQuote:
			switch c {
			case '"':
				st = quoted
			case delim:
				st = fieldStart
			case '\n':
				last, st = i+1, fieldStart
			default:
				st = unquoted
			}
		}
	}
	return last
}

// detectDelimiter picks the delimiter among comma, tab, semicolon and pipe
// that splits the first records of data into the same number of fields,
// preferring more fields; it falls back to the one that splits the first
// record into the most fields, then to comma.
func detectDelimiter(data []byte, eof bool) byte {
	candidates := []byte{',', '\t', ';', '|'}
	best, bestFields, consistent := byte(','), 1, false
	for _, d := range candidates {
		end := len(data)
		if !eof {
			end = lastBoundary(data, d)
		}
		s := newScanner(data[:end], 0, d)
		fields, ok := -1, true
		for rec := 0; rec < 20; rec++ {
			s.skipBlank()
			if s.pos >= len(s.data) {
				break
			}
			n := 0
			for {
				_, last, msg := s.next()
				if msg != "" {
					ok = false
					break
				}
				n++
				if last {
					break
				}
			}
			if !ok {
				break
			}
			if fields < 0 {
				fields = n
			} else if n != fields {
				ok = false
			}
		}
		if fields <= 1 {
			continue
		}
		switch {
		case ok && (!consistent || fields > bestFields):
			best, bestFields, consistent = d, fields, true
		case !ok && !consistent && fields > bestFields:
			best, bestFields = d, fields
		}
	}
	return best
}

// scanner splits CSV records into fields.
type scanner struct {
	data      []byte
	pos       int
	line      int
	delim     byte
	delimMask uint64 // delim in every byte
	buf       []byte // unescaped quoted fields
}

const (
	lo7         = 0x0101010101010101
	hi7         = 0x8080808080808080
	newlineMask = '\n' * lo7
)

func newScanner(data []byte, line int, delim byte) scanner {
	return scanner{data: data, line: line, delim: delim, delimMask: uint64(delim) * lo7}
}

// skipBlank skips empty lines.
func (s *scanner) skipBlank() {
	for s.pos < len(s.data) {
		switch {
		case s.data[s.pos] == '\n':
			s.pos++
		case s.data[s.pos] == '\r' && s.pos+1 < len(s.data) && s.data[s.pos+1] == '\n':
			s.pos += 2
		default:
			return
		}
		s.line++
	}
}

// next returns the next field and whether it ends its record, or a non-empty
// message describing malformed quoting. The field may point into the input
// or into s.buf, and is valid until the next call.
func (s *scanner) next() (field []byte, last bool, msg string) {
	data, i, delim := s.data, s.pos, s.delim
	if i < len(data) && data[i] == '"' {
		return s.quoted()
	}
	start := i
	// Look for the delimiter or a newline eight bytes at a time: a byte of
	// w^m is zero where w matches, and (v-0x01..)&^v&0x80.. flags the
	// lowest zero byte of v exactly.
	dm := s.delimMask
	for i+8 <= len(data) {
		w := binary.LittleEndian.Uint64(data[i:])
		x, y := w^dm, w^newlineMask
		if t := ((x - lo7) &^ x) | ((y - lo7) &^ y); t&hi7 != 0 {
			i += bits.TrailingZeros64(t&hi7) >> 3
			break
		}
		i += 8
	}
	for i < len(data) {
		c := data[i]
		if c == delim {
			s.pos = i + 1
			return data[start:i], false, ""
		}
		if c == '\n' {
			s.pos = i + 1
			s.line++
			if i > start && data[i-1] == '\r' {
				return data[start : i-1], true, ""
			}
			return data[start:i], true, ""
		}
		i++
	}
	s.pos = i
	if i > start && data[i-1] == '\r' {
		return data[start : i-1], true, ""
	}
	return data[start:i], true, ""
}

func (s *scanner) quoted() (field []byte, last bool, msg string) {
	data := s.data
	i := s.pos + 1
	seg := i
	escaped := false
	s.buf = s.buf[:0]
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			s.pos = len(data)
			return nil, true, "quoted field is not closed"
		}
		s.line += bytes.Count(data[i:i+j], []byte{'\n'})
		i += j
		if i+1 < len(data) && data[i+1] == '"' {
			s.buf = append(s.buf, data[seg:i+1]...)
			escaped = true
			i += 2
			seg = i
			continue
		}
		field = data[seg:i]
		if escaped {
			s.buf = append(s.buf, field...)
			field = s.buf
		}
		i++
		switch {
		case i == len(data):
			s.pos = i
			return field, true, ""
		case data[i] == s.delim:
			s.pos = i + 1
			return field, false, ""
		case data[i] == '\n':
			s.pos = i + 1
			s.line++
			return field, true, ""
		case data[i] == '\r' && (i+1 == len(data) || data[i+1] == '\n'):
			s.pos = min(i+2, len(data))
			if i+1 < len(data) {
				s.line++
			}
			return field, true, ""
		}
		s.pos = i
		return nil, true, fmt.Sprintf("unexpected %q after closing quote", rune(data[i]))
	}
}

// column is the parse state of one column across all chunks.
type column struct {
	forced Type
	mu     sync.Mutex
	nums   []float64 // one slot per line of input, allocated on first use
	codes  []int32
	// sawText tells chunks parsed later to start in text mode.
	sawText atomic.Bool
}

func (c *column) numsSlice(n int) []float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nums == nil {
		c.nums = make([]float64, n)
	}
	return c.nums
}

func (c *column) codesSlice(n int) []int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.codes == nil {
		c.codes = make([]int32, n)
	}
	return c.codes
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
		ch.ub = bytes.Count(ch.data, []byte{'\n'})
		if len(ch.data) > 0 && ch.data[len(ch.data)-1] != '\n' {
			ch.ub++
		}
		if i > 0 {
			ch.line = chunks[i-1].line + bytes.Count(chunks[i-1].data, []byte{'\n'})
		}
		ch.base = total
		total += ch.ub
	}
	cols := make([]*column, len(cfg.names))
	for j := range cols {
		cols[j] = &column{forced: cfg.forced[j]}
	}
	results := make([]chunkResult, len(chunks))
	var next atomic.Int64
	var firstErr atomic.Int64
	firstErr.Store(int64(len(chunks)))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(chunks)) {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= len(chunks) {
					return
				}
				if int64(k) > firstErr.Load() {
					continue
				}
				results[k] = cfg.parseChunk(chunks[k], cols, total)
				if results[k].err != nil {
					for {
						cur := firstErr.Load()
						if int64(k) >= cur || firstErr.CompareAndSwap(cur, int64(k)) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
	if k := firstErr.Load(); k < int64(len(chunks)) {
		return nil, results[k].err
	}

	nrows := 0
	for _, r := range results {
		nrows += r.rows
	}
	out := make([]Column, len(cols))
	errs := make([]*ParseError, len(cols))
	var col atomic.Int64
	for range min(runtime.GOMAXPROCS(0), len(cols)) {
		wg.Go(func() {
			for {
				j := int(col.Add(1) - 1)
				if j >= len(cols) {
					return
				}
				out[j], errs[j] = cfg.finish(j, cols[j], chunks, results, total, nrows)
			}
		})
	}
	wg.Wait()
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

// parseChunk parses the records of one chunk into the column arrays.
func (cfg *readConfig) parseChunk(ch *chunk, cols []*column, total int) chunkResult {
	ncols := len(cols)
	res := chunkResult{cols: make([]chunkColumn, ncols)}
	for j, c := range cols {
		switch c.forced {
		case 0:
			res.cols[j].text = c.sawText.Load()
		case TypeNumeric:
		default:
			res.cols[j].text = true
		}
		if res.cols[j].text {
			res.cols[j].dict = newDict(0)
		}
	}
	codes := make([][]int32, ncols)
	for j := range cols {
		if res.cols[j].text {
			codes[j] = cols[j].codesSlice(total)[ch.base : ch.base+ch.ub]
		}
	}
	s := newScanner(ch.data, ch.line, cfg.delim)
	row := 0
	for {
		s.skipBlank()
		if s.pos >= len(s.data) {
			break
		}
		recLine := s.line
		for j := 0; ; j++ {
			line := s.line
			field, last, msg := s.next()
			if msg != "" {
				res.err = cfg.errorf(line, j+1, "%s", msg)
				return res
			}
			if j < ncols {
				cc := &res.cols[j]
				if !cc.text {
					if cc.nums == nil {
						cc.nums = cols[j].numsSlice(total)[ch.base : ch.base+ch.ub]
					}
					if v, ok := cfg.number(field); ok {
						cc.nums[row] = v
					} else if cols[j].forced == TypeNumeric {
						res.err = cfg.errorf(line, j+1, "cannot parse %q as a number", field)
						return res
					} else {
						// Turn the column to text, reading its earlier
						// fields in this chunk again.
						cols[j].sawText.Store(true)
						cc.text = true
						cc.dict = newDict(0)
						codes[j] = cols[j].codesSlice(total)[ch.base : ch.base+ch.ub]
						cfg.extract(ch, j, row, func(r, line int, f []byte) {
							codes[j][r] = cfg.code(cc.dict, f, line)
						})
					}
				}
				if cc.text {
					k, ok := cc.dict.index[string(field)]
					if !ok {
						if cfg.isMissing(field) {
							k = -1
							cc.dict.index[string(field)] = -1
						} else if !utf8.Valid(field) {
							res.err = cfg.errorf(line, j+1, "invalid UTF-8")
							return res
						} else {
							k = cc.dict.add(string(field), line)
						}
					}
					codes[j][row] = k
				}
			}
			if last {
				if j+1 != ncols {
					res.err = cfg.errorf(recLine, 0, "%d fields, header has %d", j+1, ncols)
					return res
				}
				break
			}
		}
		row++
	}
	res.rows = row
	return res
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
	out := make([]bool, len(codes))
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
			out := make([]int64, len(codes))
			for i, k := range codes {
				if k < 0 {
					out[i] = NaT
				} else {
					out[i] = vals[k]
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
	out := make([]string, len(codes))
	var missing []bool
	for i, k := range codes {
		if k < 0 {
			if missing == nil {
				missing = make([]bool, len(codes))
			}
			missing[i] = true
			continue
		}
		out[i] = d.values[k]
	}
	return &Text{values: out, missing: missing}
}
