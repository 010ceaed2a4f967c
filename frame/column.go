package frame

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Type is the storage type of a column.
type Type uint8

// The storage types. The zero Type is invalid.
const (
	TypeNumeric     Type = iota + 1 // float64 values, see [Numeric]
	TypeCategorical                 // codes into a dictionary, see [Categorical]
	TypeBool                        // booleans, see [Bool]
	TypeDatetime                    // Unix nanoseconds in UTC, see [Datetime]
	TypeText                        // free strings, see [Text]
)

var typeNames = [...]string{
	TypeNumeric:     "numeric",
	TypeCategorical: "categorical",
	TypeBool:        "boolean",
	TypeDatetime:    "datetime",
	TypeText:        "text",
}

// String returns the lower-case name of t, such as "numeric".
func (t Type) String() string {
	if t == 0 || int(t) >= len(typeNames) {
		return "Type(" + strconv.Itoa(int(t)) + ")"
	}
	return typeNames[t]
}

// MarshalText encodes t as its name.
func (t Type) MarshalText() ([]byte, error) {
	if t == 0 || int(t) >= len(typeNames) {
		return nil, fmt.Errorf("frame: invalid type %d", t)
	}
	return []byte(typeNames[t]), nil
}

// UnmarshalText decodes a type name such as "numeric" or "boolean".
func (t *Type) UnmarshalText(b []byte) error {
	for i, name := range typeNames {
		if name != "" && name == string(b) {
			*t = Type(i)
			return nil
		}
	}
	return fmt.Errorf("frame: unknown type %q (want numeric, categorical, boolean, datetime or text)", b)
}

// Column is one typed column of a [Frame]. The concrete types are [*Numeric],
// [*Categorical], [*Bool], [*Datetime] and [*Text]; use a type switch to reach
// the values. Columns are immutable, and other packages cannot implement
// Column.
type Column interface {
	// Type returns the storage type of the column.
	Type() Type
	// Len returns the number of values, missing ones included.
	Len() int
	// IsMissing reports whether value i is missing.
	IsMissing(i int) bool
	// NumMissing returns the number of missing values.
	NumMissing() int
	// Cell returns value i formatted as text: "" when missing, the shortest
	// exact decimal for numbers, "true" or "false" for booleans, and
	// "2006-01-02" or RFC 3339 with nanoseconds in UTC for datetimes.
	Cell(i int) string

	appendCell(dst []byte, i int) []byte
	take(rows []int) Column
	hashTo(h []uint64)
}

var (
	_ Column = (*Numeric)(nil)
	_ Column = (*Categorical)(nil)
	_ Column = (*Bool)(nil)
	_ Column = (*Datetime)(nil)
	_ Column = (*Text)(nil)
)

// Numeric is a column of float64 values. NaN is the missing value: every
// NaN, whatever its bits, is missing, and a missing value is always NaN.
// Infinities are ordinary values.
type Numeric struct {
	values []float64
}

// NewNumeric returns a numeric column over values. The column keeps values
// without copying; the caller must not modify it afterwards.
func NewNumeric(values []float64) *Numeric { return &Numeric{values: values} }

// Type returns [TypeNumeric].
func (c *Numeric) Type() Type { return TypeNumeric }

// Len returns the number of values.
func (c *Numeric) Len() int { return len(c.values) }

// Values returns the values, NaN where missing. The slice is the column's
// storage and must not be modified.
func (c *Numeric) Values() []float64 { return c.values }

// IsMissing reports whether value i is NaN.
func (c *Numeric) IsMissing(i int) bool { return math.IsNaN(c.values[i]) }

// NumMissing returns the number of NaN values.
func (c *Numeric) NumMissing() int {
	n := 0
	for _, v := range c.values {
		if v != v {
			n++
		}
	}
	return n
}

// Cell returns value i as the shortest decimal that parses back to the same
// float64, or "" when missing.
func (c *Numeric) Cell(i int) string { return string(c.appendCell(nil, i)) }

func (c *Numeric) appendCell(dst []byte, i int) []byte { return appendFloat(dst, c.values[i]) }

// appendFloat appends v in plain decimal notation for moderate magnitudes and
// in exponent notation otherwise; NaN appends nothing.
func appendFloat(dst []byte, v float64) []byte {
	if v != v {
		return dst
	}
	if a := math.Abs(v); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.AppendFloat(dst, v, 'f', -1, 64)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

func (c *Numeric) take(rows []int) Column { return &Numeric{values: gather(c.values, rows)} }

// Categorical is a column of strings drawn from a small dictionary: each
// value is an int32 code into Categories, and code -1 is missing.
type Categorical struct {
	codes      []int32
	categories []string
}

// NewCategorical returns a categorical column with the given codes into
// categories. It keeps both slices without copying. It panics if a code is
// below -1 or not below len(categories), or if a category is repeated.
func NewCategorical(codes []int32, categories []string) *Categorical {
	seen := make(map[string]struct{}, len(categories))
	for _, s := range categories {
		if _, dup := seen[s]; dup {
			panic(fmt.Sprintf("frame: NewCategorical: category %q repeated", s))
		}
		seen[s] = struct{}{}
	}
	for _, c := range codes {
		if c < -1 || int(c) >= len(categories) {
			panic(fmt.Sprintf("frame: NewCategorical: code %d out of range [-1, %d)", c, len(categories)))
		}
	}
	return &Categorical{codes: codes, categories: categories}
}

// NewCategoricalFromStrings returns a categorical column holding values, with
// its categories sorted. missing may be nil; otherwise value i is missing
// when missing[i] is true. It panics if missing is not nil and its length
// differs from len(values).
func NewCategoricalFromStrings(values []string, missing []bool) *Categorical {
	if missing != nil && len(missing) != len(values) {
		panic("frame: NewCategoricalFromStrings: len(missing) != len(values)")
	}
	d := newDict(0)
	codes := make([]int32, len(values))
	for i, v := range values {
		if missing != nil && missing[i] {
			codes[i] = -1
			continue
		}
		codes[i] = d.code(v)
	}
	cats, remap := d.sorted()
	remapCodes(codes, remap)
	return &Categorical{codes: codes, categories: cats}
}

// Type returns [TypeCategorical].
func (c *Categorical) Type() Type { return TypeCategorical }

// Len returns the number of values.
func (c *Categorical) Len() int { return len(c.codes) }

// Codes returns the codes, -1 where missing. The slice is the column's
// storage and must not be modified.
func (c *Categorical) Codes() []int32 { return c.codes }

// Categories returns the dictionary. Columns read from files have their
// categories sorted. The slice must not be modified.
func (c *Categorical) Categories() []string { return c.categories }

// Value returns value i and true, or "" and false when it is missing.
func (c *Categorical) Value(i int) (string, bool) {
	if k := c.codes[i]; k >= 0 {
		return c.categories[k], true
	}
	return "", false
}

// IsMissing reports whether the code of value i is -1.
func (c *Categorical) IsMissing(i int) bool { return c.codes[i] < 0 }

// NumMissing returns the number of missing values.
func (c *Categorical) NumMissing() int {
	n := 0
	for _, k := range c.codes {
		if k < 0 {
			n++
		}
	}
	return n
}

// Cell returns value i, or "" when missing.
func (c *Categorical) Cell(i int) string { v, _ := c.Value(i); return v }

func (c *Categorical) appendCell(dst []byte, i int) []byte {
	v, _ := c.Value(i)
	return append(dst, v...)
}

func (c *Categorical) take(rows []int) Column {
	return &Categorical{codes: gather(c.codes, rows), categories: c.categories}
}

// Bool is a column of booleans with an explicit missing mask.
type Bool struct {
	values  []bool
	missing []bool // nil when nothing is missing
}

// NewBool returns a boolean column. missing may be nil; otherwise value i is
// missing when missing[i] is true. It keeps both slices without copying, and
// panics if missing is not nil and its length differs from len(values).
func NewBool(values, missing []bool) *Bool {
	if missing != nil && len(missing) != len(values) {
		panic("frame: NewBool: len(missing) != len(values)")
	}
	return &Bool{values: values, missing: missing}
}

// Type returns [TypeBool].
func (c *Bool) Type() Type { return TypeBool }

// Len returns the number of values.
func (c *Bool) Len() int { return len(c.values) }

// Value returns value i and true, or false and false when it is missing.
func (c *Bool) Value(i int) (v, ok bool) {
	if c.missing != nil && c.missing[i] {
		return false, false
	}
	return c.values[i], true
}

// IsMissing reports whether value i is missing.
func (c *Bool) IsMissing(i int) bool { return c.missing != nil && c.missing[i] }

// NumMissing returns the number of missing values.
func (c *Bool) NumMissing() int { return countTrue(c.missing) }

// Cell returns "true", "false", or "" when value i is missing.
func (c *Bool) Cell(i int) string { return string(c.appendCell(nil, i)) }

func (c *Bool) appendCell(dst []byte, i int) []byte {
	v, ok := c.Value(i)
	if !ok {
		return dst
	}
	return strconv.AppendBool(dst, v)
}

func (c *Bool) take(rows []int) Column {
	return &Bool{values: gather(c.values, rows), missing: gather(c.missing, rows)}
}

// NaT is the [Datetime] value that marks a missing time ("not a time"), as in
// pandas.
const NaT = math.MinInt64

// Datetime is a column of instants stored as int64 nanoseconds since the Unix
// epoch in UTC, which covers the years 1677 to 2262. [NaT] is the missing
// value.
type Datetime struct {
	values []int64
}

// NewDatetime returns a datetime column over Unix nanoseconds, [NaT] where
// missing. It keeps values without copying.
func NewDatetime(values []int64) *Datetime { return &Datetime{values: values} }

// NewDatetimeFromTimes returns a datetime column holding times; the zero
// time.Time is missing. It panics if a time is outside the years 1678 to
// 2261, which int64 nanoseconds cannot hold.
func NewDatetimeFromTimes(times []time.Time) *Datetime {
	out := make([]int64, len(times))
	for i, t := range times {
		if t.IsZero() {
			out[i] = NaT
			continue
		}
		if y := t.UTC().Year(); y < 1678 || y > 2261 {
			panic(fmt.Sprintf("frame: NewDatetimeFromTimes: %v out of range", t))
		}
		out[i] = t.UnixNano()
	}
	return &Datetime{values: out}
}

// Type returns [TypeDatetime].
func (c *Datetime) Type() Type { return TypeDatetime }

// Len returns the number of values.
func (c *Datetime) Len() int { return len(c.values) }

// Values returns the Unix nanoseconds, [NaT] where missing. The slice is the
// column's storage and must not be modified.
func (c *Datetime) Values() []int64 { return c.values }

// Time returns value i in UTC and true, or the zero time and false when it is
// missing.
func (c *Datetime) Time(i int) (time.Time, bool) {
	if c.values[i] == NaT {
		return time.Time{}, false
	}
	return time.Unix(0, c.values[i]).UTC(), true
}

// IsMissing reports whether value i is [NaT].
func (c *Datetime) IsMissing(i int) bool { return c.values[i] == NaT }

// NumMissing returns the number of missing values.
func (c *Datetime) NumMissing() int {
	n := 0
	for _, v := range c.values {
		if v == NaT {
			n++
		}
	}
	return n
}

// Cell returns value i as "2006-01-02" when it falls on midnight UTC and in
// RFC 3339 with nanoseconds otherwise, or "" when missing.
func (c *Datetime) Cell(i int) string { return string(c.appendCell(nil, i)) }

func (c *Datetime) appendCell(dst []byte, i int) []byte {
	t, ok := c.Time(i)
	if !ok {
		return dst
	}
	if c.values[i]%int64(24*time.Hour) == 0 {
		return t.AppendFormat(dst, time.DateOnly)
	}
	return t.AppendFormat(dst, time.RFC3339Nano)
}

func (c *Datetime) take(rows []int) Column { return &Datetime{values: gather(c.values, rows)} }

// Text is a column of free strings with an explicit missing mask, used for
// long or mostly distinct strings such as comments and identifiers.
type Text struct {
	values  []string
	missing []bool // nil when nothing is missing
}

// NewText returns a text column. missing may be nil; otherwise value i is
// missing when missing[i] is true. It keeps both slices without copying, and
// panics if missing is not nil and its length differs from len(values).
func NewText(values []string, missing []bool) *Text {
	if missing != nil && len(missing) != len(values) {
		panic("frame: NewText: len(missing) != len(values)")
	}
	return &Text{values: values, missing: missing}
}

// Type returns [TypeText].
func (c *Text) Type() Type { return TypeText }

// Len returns the number of values.
func (c *Text) Len() int { return len(c.values) }

// Value returns value i and true, or "" and false when it is missing.
func (c *Text) Value(i int) (string, bool) {
	if c.missing != nil && c.missing[i] {
		return "", false
	}
	return c.values[i], true
}

// IsMissing reports whether value i is missing.
func (c *Text) IsMissing(i int) bool { return c.missing != nil && c.missing[i] }

// NumMissing returns the number of missing values.
func (c *Text) NumMissing() int { return countTrue(c.missing) }

// Cell returns value i, or "" when missing.
func (c *Text) Cell(i int) string { v, _ := c.Value(i); return v }

func (c *Text) appendCell(dst []byte, i int) []byte {
	v, _ := c.Value(i)
	return append(dst, v...)
}

func (c *Text) take(rows []int) Column {
	return &Text{values: gather(c.values, rows), missing: gather(c.missing, rows)}
}

// gather returns s[rows[0]], s[rows[1]], ..., or nil when s is nil.
func gather[T any](s []T, rows []int) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = s[r]
	}
	return out
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}
