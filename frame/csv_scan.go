package frame

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

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

// number reads the next field if it is a plain number (no spaces, quotes,
// infinities or NaN) and returns its value and whether it ends its record.
// Otherwise it consumes nothing and returns false.
func (s *scanner) number() (v float64, last, ok bool) {
	data := s.data
	v, n, ok := parseNumber(data[s.pos:])
	if !ok {
		return 0, false, false
	}
	j := s.pos + n
	switch {
	case j == len(data):
		s.pos = j
		return v, true, true
	case data[j] == s.delim:
		s.pos = j + 1
		return v, false, true
	case data[j] == '\n':
		s.pos = j + 1
		s.line++
		return v, true, true
	case data[j] == '\r' && j+1 == len(data):
		s.pos = j + 1
		return v, true, true
	case data[j] == '\r' && data[j+1] == '\n':
		s.pos = j + 2
		s.line++
		return v, true, true
	}
	return 0, false, false
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
