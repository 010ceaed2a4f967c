package frame

import (
	"strconv"
	"strings"
)

// ParseError reports malformed input, located as precisely as the reader can:
// the file, the 1-based line, and the 1-based column with its header name.
// Its message reads, for example:
//
//	data.csv line 17: 5 fields, header has 6
//	data.csv line 3 column 2 ("city"): invalid UTF-8
//	data.csv: empty file, no header
type ParseError struct {
	// File is ReadOptions.Name, or the path given to ReadFile; it may be
	// empty.
	File string
	// Line is the 1-based line number, or 0 when the error is not about a
	// line.
	Line int
	// Column is the 1-based column number, or 0 when the error is not about
	// one column.
	Column int
	// ColumnName is the header name of Column when known.
	ColumnName string
	// Msg says what is wrong, in lower case.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error returns the location followed by the message.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Column > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("column ")
		b.WriteString(strconv.Itoa(e.Column))
		if e.ColumnName != "" {
			b.WriteString(" (")
			b.WriteString(strconv.Quote(e.ColumnName))
			b.WriteByte(')')
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }
