package frame

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	// inferring it, such as TypeCategorical for zip codes whose leading
	// zeros matter. Booleans and datetimes accept the spellings inference
	// accepts; a value that does not parse as the type is an error. For
	// Parquet input only categorical or text for string columns is allowed.
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
	defaultChunkSize = 1 << 20
	// sniffSize is how much input the delimiter detection looks at.
	sniffSize = 64 << 10
)

// ReadFile reads a CSV, TSV or Parquet file, gzip-compressed or not. Parquet
// is recognised by its "PAR1" magic bytes or a .parquet extension (before any
// .gz), gzip by its magic bytes; anything else is read as CSV with [ReadCSV],
// with tab as the delimiter for .tsv files. Errors about the content are
// [*ParseError] values naming the path.
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
	gzipped := n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b
	switch {
	case gzipped && ext == ".parquet":
		zr, err := gzip.NewReader(file)
		if err != nil {
			return nil, &ParseError{File: opts.Name, Msg: "invalid gzip data", Err: err}
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return nil, &ParseError{File: opts.Name, Msg: "invalid gzip data", Err: err}
		}
		return ReadParquet(bytes.NewReader(data), int64(len(data)), opts)
	case string(magic[:n]) == "PAR1" || ext == ".parquet":
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
// kept as is. Header names are trimmed of white space and must be non-empty,
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
			return nil, &ParseError{File: cfg.name, Msg: "invalid gzip data", Err: err}
		}
		defer zr.Close()
		cfg.gzip = true
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
	gzip         bool // the input is gzip-compressed

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

// ioError wraps an error met while reading the input. Errors from gzip
// decompression are about the content, so they are ParseErrors.
func (cfg *readConfig) ioError(err error) error {
	if cfg.gzip {
		return &ParseError{File: cfg.name, Msg: "invalid gzip data", Err: err}
	}
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
		name := strings.TrimSpace(string(field))
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
