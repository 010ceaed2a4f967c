package frame

import (
	"errors"
	"fmt"
	"slices"
)

// Frame is a table of named columns of equal length. A Frame is immutable:
// methods that change the shape return a new Frame, which may share column
// storage with the receiver. A Frame is safe for concurrent reads.
type Frame struct {
	names []string
	cols  []Column
	index map[string]int
	nrows int
}

// New returns a frame with the given column names and columns. It returns an
// error if the lengths of names and cols differ, if a name is empty or
// repeated, if a column is nil, or if the columns differ in length.
func New(names []string, cols []Column) (*Frame, error) {
	if len(names) != len(cols) {
		return nil, fmt.Errorf("frame: %d names for %d columns", len(names), len(cols))
	}
	f := &Frame{
		names: slices.Clone(names),
		cols:  slices.Clone(cols),
		index: make(map[string]int, len(names)),
	}
	for i, name := range names {
		if name == "" {
			return nil, fmt.Errorf("frame: column %d has an empty name", i+1)
		}
		if j, dup := f.index[name]; dup {
			return nil, fmt.Errorf("frame: column name %q repeated (columns %d and %d)", name, j+1, i+1)
		}
		f.index[name] = i
		if cols[i] == nil {
			return nil, fmt.Errorf("frame: column %q is nil", name)
		}
		if i == 0 {
			f.nrows = cols[i].Len()
		} else if n := cols[i].Len(); n != f.nrows {
			return nil, fmt.Errorf("frame: column %q has %d rows, column %q has %d", name, n, names[0], f.nrows)
		}
	}
	return f, nil
}

// newTrusted builds a frame from names and columns already known to be valid.
func newTrusted(names []string, cols []Column, nrows int) *Frame {
	index := make(map[string]int, len(names))
	for i, name := range names {
		index[name] = i
	}
	return &Frame{names: names, cols: cols, index: index, nrows: nrows}
}

// NumRows returns the number of rows.
func (f *Frame) NumRows() int { return f.nrows }

// NumCols returns the number of columns.
func (f *Frame) NumCols() int { return len(f.cols) }

// Names returns a copy of the column names, in order.
func (f *Frame) Names() []string { return slices.Clone(f.names) }

// Name returns the name of column i. It panics if i is out of range.
func (f *Frame) Name(i int) string { return f.names[i] }

// ColumnIndex returns the position of the named column, or -1 if there is
// none.
func (f *Frame) ColumnIndex(name string) int {
	if i, ok := f.index[name]; ok {
		return i
	}
	return -1
}

// Column returns the named column, or nil if there is none.
func (f *Frame) Column(name string) Column {
	if i, ok := f.index[name]; ok {
		return f.cols[i]
	}
	return nil
}

// ColumnAt returns column i. It panics if i is out of range.
func (f *Frame) ColumnAt(i int) Column { return f.cols[i] }

// Cell returns the value at row and column col formatted as text, as
// [Column.Cell] does. It panics if row or col is out of range.
func (f *Frame) Cell(row, col int) string { return f.cols[col].Cell(row) }

// ErrNoColumn is wrapped by the errors of [Frame.Select] and [Frame.Drop]
// when a name is not a column of the frame.
var ErrNoColumn = errors.New("no such column")

// Select returns a frame with the named columns, in the order given. It
// returns an error wrapping [ErrNoColumn] if a name is unknown, and an error
// if a name is repeated.
func (f *Frame) Select(names ...string) (*Frame, error) {
	cols := make([]Column, len(names))
	for i, name := range names {
		j, ok := f.index[name]
		if !ok {
			return nil, fmt.Errorf("frame: select %q: %w", name, ErrNoColumn)
		}
		if slices.Contains(names[:i], name) {
			return nil, fmt.Errorf("frame: select: column %q named twice", name)
		}
		cols[i] = f.cols[j]
	}
	return newTrusted(slices.Clone(names), cols, f.nrows), nil
}

// Drop returns a frame without the named columns. It returns an error
// wrapping [ErrNoColumn] if a name is unknown.
func (f *Frame) Drop(names ...string) (*Frame, error) {
	drop := make(map[string]bool, len(names))
	for _, name := range names {
		if _, ok := f.index[name]; !ok {
			return nil, fmt.Errorf("frame: drop %q: %w", name, ErrNoColumn)
		}
		drop[name] = true
	}
	keep := make([]string, 0, len(f.names))
	cols := make([]Column, 0, len(f.names))
	for i, name := range f.names {
		if !drop[name] {
			keep = append(keep, name)
			cols = append(cols, f.cols[i])
		}
	}
	return newTrusted(keep, cols, f.nrows), nil
}

// Take returns a frame with the given rows of f, in the order given; a row
// may be repeated. It is how splits and samples are built. It panics if a
// row index is out of range.
func (f *Frame) Take(rows []int) *Frame {
	for _, r := range rows {
		if r < 0 || r >= f.nrows {
			panic(fmt.Sprintf("frame: Take: row %d out of range [0, %d)", r, f.nrows))
		}
	}
	cols := make([]Column, len(f.cols))
	for i, c := range f.cols {
		cols[i] = c.take(rows)
	}
	return newTrusted(slices.Clone(f.names), cols, len(rows))
}

// Head returns a frame with the first n rows, or all rows if there are fewer.
func (f *Frame) Head(n int) *Frame {
	n = max(0, min(n, f.nrows))
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return f.Take(rows)
}
