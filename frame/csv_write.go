package frame

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// WriteCSV writes f to w as comma-separated values with a header row and LF
// line endings. Fields that contain a comma, a double quote, CR or LF, and
// fields with leading or trailing spaces or a leading byte order mark, are
// quoted. Missing values are
// written as empty fields (as "" in a frame of one column, where an empty
// line would be skipped) and cells are formatted as by [Column.Cell], so
// [ReadCSV] reads back the same values, with two exceptions: an empty
// string and a string that is a missing token (such as "NA") read back as
// missing.
func WriteCSV(w io.Writer, f *Frame) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	for j, name := range f.names {
		if j > 0 {
			line = append(line, ',')
		}
		line = appendField(line, []byte(name))
	}
	line = append(line, '\n')
	if _, err := bw.Write(line); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	var cell []byte
	for i := 0; i < f.nrows; i++ {
		line = line[:0]
		for j, c := range f.cols {
			if j > 0 {
				line = append(line, ',')
			}
			switch c.(type) {
			case *Categorical, *Text:
				cell = c.appendCell(cell[:0], i)
				line = appendField(line, cell)
			default:
				line = c.appendCell(line, i)
			}
		}
		if len(line) == 0 {
			// A blank line would be skipped when read back.
			line = append(line, '"', '"')
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// appendField appends s to dst, quoted if it needs to be.
func appendField(dst, s []byte) []byte {
	if !needsQuotes(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for {
		i := bytes.IndexByte(s, '"')
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '"')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}

func needsQuotes(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	if s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || (len(s) >= len(bom) && string(s[:len(bom)]) == bom) {
		return true
	}
	for _, c := range s {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			return true
		}
	}
	return false
}
