package frame

import (
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// parquetTypesKey is the key-value metadata entry in which WriteParquet
// records the storage types, comma-separated in column order, so that
// ReadParquet restores categorical and text columns as they were.
const parquetTypesKey = "mlw.frame.types"

// parquetRowGroupRows is the number of rows per row group WriteParquet
// writes.
const parquetRowGroupRows = 1 << 18

// ReadParquet reads a Parquet file of size bytes from r. Top-level columns
// map to storage types as follows; optional values that are null are
// missing:
//
//   - DOUBLE, FLOAT, INT32 and INT64 (DECIMAL scaled): [Numeric]; integers
//     beyond 2^53 lose precision.
//   - BOOLEAN: [Bool].
//   - TIMESTAMP (any unit), DATE and INT96: [Datetime].
//   - BYTE_ARRAY (STRING, ENUM or none): [Categorical] or [Text] as
//     opts.Types says, else as recorded by [WriteParquet], else by the rules
//     of [InferSchema].
//
// Nested, repeated and FIXED_LEN_BYTE_ARRAY columns are an error, and so is
// an opts.Types entry other than categorical or text for a string column.
// Of the other options only opts.Name is used. Columns are decoded in
// parallel.
func ReadParquet(r io.ReaderAt, size int64, opts ReadOptions) (*Frame, error) {
	name := opts.Name
	pf, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, &ParseError{File: name, Msg: "not a valid Parquet file", Err: err}
	}
	leaves := pf.Root().Columns()
	names := make([]string, len(leaves))
	seen := make(map[string]bool, len(leaves))
	for i, c := range leaves {
		names[i] = c.Name()
		perr := &ParseError{File: name, Column: i + 1, ColumnName: c.Name()}
		switch {
		case !c.Leaf() || c.MaxRepetitionLevel() > 0:
			perr.Msg = "nested and repeated columns are not supported"
		case c.Name() == "" || seen[c.Name()]:
			perr.Msg = "empty or repeated column name"
		case c.Type().Kind() == parquet.FixedLenByteArray:
			perr.Msg = "FIXED_LEN_BYTE_ARRAY columns are not supported"
		case c.Type().Kind() == parquet.ByteArray && decimalScale(c.Type()) != 0:
			perr.Msg = "BYTE_ARRAY decimals are not supported"
		default:
			perr = nil
		}
		if perr != nil {
			return nil, perr
		}
		seen[c.Name()] = true
	}
	stored := make([]Type, len(leaves))
	if v, ok := pf.Lookup(parquetTypesKey); ok {
		if parts := strings.Split(v, ","); len(parts) == len(leaves) {
			for i, p := range parts {
				_ = stored[i].UnmarshalText([]byte(p))
			}
		}
	}
	for col, t := range opts.Types {
		i := slices.Index(names, col)
		if i < 0 {
			return nil, &ParseError{File: name, Msg: fmt.Sprintf("ReadOptions.Types names column %q, which is not in the file", col)}
		}
		if t != TypeCategorical && t != TypeText || leaves[i].Type().Kind() != parquet.ByteArray {
			return nil, &ParseError{File: name, Column: i + 1, ColumnName: col,
				Msg: fmt.Sprintf("ReadOptions.Types: a Parquet %s column cannot be read as %s", leaves[i].Type(), t)}
		}
		stored[i] = t
	}
	nrows := int(pf.NumRows())
	cols := make([]Column, len(leaves))
	errs := make([]error, len(leaves))
	parallel(len(leaves), func(i int) {
		pc := &parquetColumn{file: pf, index: i, leaf: leaves[i], nrows: nrows}
		cols[i], errs[i] = pc.read(stored[i])
	})
	for i, err := range errs {
		if err != nil {
			var perr *ParseError
			if errors.As(err, &perr) {
				perr.File = name
				return nil, perr
			}
			return nil, &ParseError{File: name, Column: i + 1, ColumnName: names[i], Msg: "read Parquet column", Err: err}
		}
	}
	return newTrusted(names, cols, nrows), nil
}

// parquetColumn reads one column across all row groups.
type parquetColumn struct {
	file  *parquet.File
	index int
	leaf  *parquet.Column
	nrows int
}

func (pc *parquetColumn) read(stored Type) (Column, error) {
	typ := pc.leaf.Type()
	switch kind := typ.Kind(); {
	case kind == parquet.Boolean:
		return pc.readBool()
	case kind == parquet.Int96 || isTimestamp(typ):
		return pc.readDatetime()
	case kind == parquet.ByteArray:
		return pc.readStrings(stored)
	default:
		return pc.readNumeric()
	}
}

// pages calls fn with every page of the column, in order, with the row
// offset of the page, and checks that the pages hold nrows rows.
func (pc *parquetColumn) pages(fn func(p parquet.Page, dst int) error) error {
	at := 0
	for _, rg := range pc.file.RowGroups() {
		pages := rg.ColumnChunks()[pc.index].Pages()
		for {
			p, err := pages.ReadPage()
			if err == io.EOF {
				break
			}
			if err != nil {
				pages.Close()
				return err
			}
			n := int(p.NumRows())
			if at+n > pc.nrows {
				parquet.Release(p)
				pages.Close()
				return fmt.Errorf("more rows than the %d in the file footer", pc.nrows)
			}
			err = fn(p, at)
			parquet.Release(p)
			if err != nil {
				pages.Close()
				return err
			}
			at += n
		}
		if err := pages.Close(); err != nil {
			return err
		}
	}
	if at != pc.nrows {
		return fmt.Errorf("%d rows, file footer says %d", at, pc.nrows)
	}
	return nil
}

// spread writes the non-null values vals into dst, missing where the
// definition level is below maxDef.
func spread[T any](dst, vals []T, levels []byte, maxDef byte, missing T) error {
	if len(levels) == 0 {
		if len(vals) < len(dst) {
			return errors.New("page has fewer values than rows")
		}
		copy(dst, vals)
		return nil
	}
	if len(levels) != len(dst) {
		return errors.New("page has a definition level count unlike its row count")
	}
	k := 0
	for i, l := range levels {
		if l != maxDef {
			dst[i] = missing
			continue
		}
		if k >= len(vals) {
			return errors.New("page has fewer values than definition levels")
		}
		dst[i] = vals[k]
		k++
	}
	return nil
}

func (pc *parquetColumn) readNumeric() (Column, error) {
	out := make([]float64, pc.nrows)
	typ := pc.leaf.Type()
	kind := typ.Kind()
	scale := 1.0
	if s := decimalScale(typ); s != 0 {
		scale = math.Pow(10, float64(-s))
	}
	maxDef := byte(pc.leaf.MaxDefinitionLevel())
	var buf []float64
	var dictOf parquet.Dictionary
	var dictVals []float64
	err := pc.pages(func(p parquet.Page, at int) error {
		data := p.Data()
		var vals []float64
		if d := p.Dictionary(); d != nil {
			if d != dictOf {
				dictOf = d
				dv := d.Page().Data()
				dictVals = toFloats(kind, &dv, dictVals[:0], scale)
			}
			buf = buf[:0]
			for _, k := range data.Int32() {
				if k < 0 || int(k) >= len(dictVals) {
					return errors.New("dictionary index out of range")
				}
				buf = append(buf, dictVals[k])
			}
			vals = buf
		} else if kind == parquet.Double && scale == 1 {
			vals = data.Double()
		} else {
			buf = toFloats(kind, &data, buf[:0], scale)
			vals = buf
		}
		n := int(p.NumRows())
		return spread(out[at:at+n], vals, p.DefinitionLevels(), maxDef, math.NaN())
	})
	if err != nil {
		return nil, err
	}
	return &Numeric{values: out}, nil
}

func toFloats(kind parquet.Kind, data *encoding.Values, dst []float64, scale float64) []float64 {
	switch kind {
	case parquet.Double:
		for _, v := range data.Double() {
			dst = append(dst, v*scale)
		}
	case parquet.Float:
		for _, v := range data.Float() {
			dst = append(dst, float64(v)*scale)
		}
	case parquet.Int32:
		for _, v := range data.Int32() {
			dst = append(dst, float64(v)*scale)
		}
	case parquet.Int64:
		for _, v := range data.Int64() {
			dst = append(dst, float64(v)*scale)
		}
	}
	return dst
}

func decimalScale(t parquet.Type) int32 {
	if lt := t.LogicalType(); lt != nil {
		if d, ok := lt.Value.(*format.DecimalType); ok {
			return d.Scale
		}
	}
	return 0
}

func isTimestamp(t parquet.Type) bool {
	if lt := t.LogicalType(); lt != nil {
		switch lt.Value.(type) {
		case *format.TimestampType, *format.DateType:
			return true
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.TimestampMillis, deprecated.TimestampMicros, deprecated.Date:
			return true
		}
	}
	return false
}

// nanosPerUnit returns the nanoseconds in one unit of an integer time column.
func nanosPerUnit(t parquet.Type) int64 {
	if lt := t.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.DateType:
			return 86400e9
		case *format.TimestampType:
			switch v.Unit.Value.(type) {
			case *format.MilliSeconds:
				return 1e6
			case *format.MicroSeconds:
				return 1e3
			}
			return 1
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.TimestampMillis:
			return 1e6
		case deprecated.TimestampMicros:
			return 1e3
		case deprecated.Date:
			return 86400e9
		}
	}
	return 1
}

// int96Nanos converts a legacy INT96 timestamp (nanoseconds of the day and
// Julian day number) to Unix nanoseconds.
func int96Nanos(v deprecated.Int96) int64 {
	nanosOfDay := int64(v[1])<<32 | int64(v[0])
	julianDay := int64(v[2])
	return (julianDay-2440588)*86400e9 + nanosOfDay
}

func (pc *parquetColumn) readDatetime() (Column, error) {
	out := make([]int64, pc.nrows)
	typ := pc.leaf.Type()
	kind := typ.Kind()
	unit := nanosPerUnit(typ)
	maxDef := byte(pc.leaf.MaxDefinitionLevel())
	var buf []int64
	var dictOf parquet.Dictionary
	var dictVals []int64
	toNanos := func(data *encoding.Values, dst []int64) []int64 {
		switch kind {
		case parquet.Int96:
			for _, v := range data.Int96() {
				dst = append(dst, int96Nanos(v))
			}
		case parquet.Int32:
			for _, v := range data.Int32() {
				dst = append(dst, int64(v)*unit)
			}
		case parquet.Int64:
			for _, v := range data.Int64() {
				dst = append(dst, v*unit)
			}
		}
		return dst
	}
	err := pc.pages(func(p parquet.Page, at int) error {
		data := p.Data()
		if d := p.Dictionary(); d != nil {
			if d != dictOf {
				dictOf = d
				dv := d.Page().Data()
				dictVals = toNanos(&dv, dictVals[:0])
			}
			buf = buf[:0]
			for _, k := range data.Int32() {
				if k < 0 || int(k) >= len(dictVals) {
					return errors.New("dictionary index out of range")
				}
				buf = append(buf, dictVals[k])
			}
		} else {
			buf = toNanos(&data, buf[:0])
		}
		n := int(p.NumRows())
		return spread(out[at:at+n], buf, p.DefinitionLevels(), maxDef, int64(NaT))
	})
	if err != nil {
		return nil, err
	}
	return &Datetime{values: out}, nil
}

func (pc *parquetColumn) readBool() (Column, error) {
	out := make([]bool, pc.nrows)
	var missing []bool
	vals := make([]parquet.Value, 1024)
	err := pc.pages(func(p parquet.Page, at int) error {
		r := p.Values()
		i := at
		for {
			n, err := r.ReadValues(vals)
			for _, v := range vals[:n] {
				if v.IsNull() {
					if missing == nil {
						missing = make([]bool, pc.nrows)
					}
					missing[i] = true
				} else {
					out[i] = v.Boolean()
				}
				i++
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return &Bool{values: out, missing: missing}, nil
}

func (pc *parquetColumn) readStrings(stored Type) (Column, error) {
	codes := make([]int32, pc.nrows)
	d := newDict(0)
	maxDef := byte(pc.leaf.MaxDefinitionLevel())
	var buf []int32
	var dictOf parquet.Dictionary
	var dictCodes []int32
	code := func(b []byte) (int32, error) {
		if k, ok := d.index[string(b)]; ok {
			return k, nil
		}
		if !utf8.Valid(b) {
			return 0, fmt.Errorf("invalid UTF-8 in %q", b)
		}
		return d.add(string(b), 0), nil
	}
	err := pc.pages(func(p parquet.Page, at int) error {
		data := p.Data()
		buf = buf[:0]
		if pd := p.Dictionary(); pd != nil {
			if pd != dictOf {
				dictOf = pd
				dv := pd.Page().Data()
				values, offsets := dv.ByteArray()
				dictCodes = dictCodes[:0]
				for i := 0; i+1 < len(offsets); i++ {
					k, err := code(values[offsets[i]:offsets[i+1]])
					if err != nil {
						return err
					}
					dictCodes = append(dictCodes, k)
				}
			}
			for _, k := range data.Int32() {
				if k < 0 || int(k) >= len(dictCodes) {
					return errors.New("dictionary index out of range")
				}
				buf = append(buf, dictCodes[k])
			}
		} else {
			values, offsets := data.ByteArray()
			for i := 0; i+1 < len(offsets); i++ {
				k, err := code(values[offsets[i]:offsets[i+1]])
				if err != nil {
					return err
				}
				buf = append(buf, k)
			}
		}
		n := int(p.NumRows())
		return spread(codes[at:at+n], buf, p.DefinitionLevels(), maxDef, -1)
	})
	if err != nil {
		return nil, err
	}
	switch stored {
	case TypeText:
		return textColumn(d, codes), nil
	case TypeCategorical:
		return categoricalColumn(d, codes), nil
	}
	n, total := 0, 0
	for _, k := range codes {
		if k >= 0 {
			n++
			total += len(d.values[k])
		}
	}
	switch stringKind(pc.leaf.Name(), n, len(d.values), total) {
	case KindText, KindID:
		return textColumn(d, codes), nil
	}
	return categoricalColumn(d, codes), nil
}

// WriteParquet writes f to w as a Snappy-compressed Parquet file with one
// optional top-level column per frame column, in order: DOUBLE for
// [Numeric], dictionary-encoded STRING for [Categorical], STRING for [Text],
// BOOLEAN for [Bool] and TIMESTAMP(NANOS, UTC) for [Datetime]. Missing
// values are written as nulls. The storage types are recorded in the
// file's key-value metadata so that [ReadParquet] restores them.
func WriteParquet(w io.Writer, f *Frame) error {
	fields := make([]parquet.Field, len(f.cols))
	types := make([]string, len(f.cols))
	for i, c := range f.cols {
		var node parquet.Node
		switch c.(type) {
		case *Numeric:
			node = parquet.Leaf(parquet.DoubleType)
		case *Categorical:
			node = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		case *Text:
			node = parquet.String()
		case *Bool:
			node = parquet.Leaf(parquet.BooleanType)
		case *Datetime:
			node = parquet.Timestamp(parquet.Nanosecond)
		}
		fields[i] = parquet.Group{f.names[i]: parquet.Optional(node)}.Fields()[0]
		types[i] = c.Type().String()
	}
	schema := parquet.NewSchema("frame", orderedGroup(fields))
	pw := parquet.NewGenericWriter[any](w, schema,
		parquet.Compression(&parquet.Snappy),
		parquet.KeyValueMetadata(parquetTypesKey, strings.Join(types, ",")),
		parquet.CreatedBy("mlw.dev/frame", "", ""),
	)
	for start := 0; start < f.nrows || (start == 0 && f.nrows == 0); start += parquetRowGroupRows {
		end := min(start+parquetRowGroupRows, f.nrows)
		rg := pw.BeginRowGroup()
		writers := rg.ColumnWriters()
		errs := make([]error, len(f.cols))
		parallel(len(f.cols), func(i int) {
			errs[i] = writeParquetColumn(writers[i], f.cols[i], i, start, end)
		})
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
		if _, err := rg.Commit(); err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
		if f.nrows == 0 {
			break
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	return nil
}

func writeParquetColumn(w *parquet.ColumnWriter, c Column, index, start, end int) error {
	null := parquet.NullValue().Level(0, 0, index)
	vals := make([]parquet.Value, 0, 4096)
	for lo := start; lo < end; lo += cap(vals) {
		hi := min(lo+cap(vals), end)
		vals = vals[:0]
		for i := lo; i < hi; i++ {
			if c.IsMissing(i) {
				vals = append(vals, null)
				continue
			}
			var v parquet.Value
			switch c := c.(type) {
			case *Numeric:
				v = parquet.DoubleValue(c.values[i])
			case *Categorical:
				v = parquet.ByteArrayValue([]byte(c.categories[c.codes[i]]))
			case *Text:
				v = parquet.ByteArrayValue([]byte(c.values[i]))
			case *Bool:
				v = parquet.BooleanValue(c.values[i])
			case *Datetime:
				v = parquet.Int64Value(c.values[i])
			}
			vals = append(vals, v.Level(0, 1, index))
		}
		if _, err := w.WriteRowValues(vals); err != nil {
			return err
		}
	}
	return nil
}

// orderedGroup is a Parquet group node that keeps its fields in the given
// order; parquet.Group sorts them by name.
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return g.group().String() }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return g.group().GoType() }
func (g orderedGroup) group() parquet.Group {
	m := make(parquet.Group, len(g))
	for _, f := range g {
		m[f.Name()] = f
	}
	return m
}
