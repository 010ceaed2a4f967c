package frame

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Kind is the semantic role of a column, inferred from its values by
// [InferSchema]. It is separate from the storage [Type]: a numeric column of
// 0s and 1s is stored as [TypeNumeric] but has [KindBoolean].
type Kind uint8

// The kinds. The zero Kind is invalid.
const (
	KindNumeric     Kind = iota + 1 // a quantity
	KindCategorical                 // a few distinct labels
	KindBoolean                     // two values, such as true/false or 0/1
	KindDatetime                    // instants in time
	KindText                        // long or mostly distinct free text
	KindID                          // a distinct identifier per row, such as ticket_id
	KindConstant                    // at most one distinct non-missing value
)

var kindNames = [...]string{
	KindNumeric:     "numeric",
	KindCategorical: "categorical",
	KindBoolean:     "boolean",
	KindDatetime:    "datetime",
	KindText:        "text",
	KindID:          "id",
	KindConstant:    "constant",
}

// String returns the lower-case name of k, such as "id".
func (k Kind) String() string {
	if k == 0 || int(k) >= len(kindNames) {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// MarshalText encodes k as its name.
func (k Kind) MarshalText() ([]byte, error) {
	if k == 0 || int(k) >= len(kindNames) {
		return nil, fmt.Errorf("frame: invalid kind %d", k)
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText decodes a kind name such as "categorical" or "id".
func (k *Kind) UnmarshalText(b []byte) error {
	for i, name := range kindNames {
		if name != "" && name == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("frame: unknown kind %q (want numeric, categorical, boolean, datetime, text, id or constant)", b)
}

// Schema describes the columns of a frame.
type Schema struct {
	Fields []Field `json:"fields"`
}

// Field describes one column: its storage type, its inferred semantic kind
// and a few counts that explain the kind.
type Field struct {
	Name string `json:"name"`
	// Type is how the values are stored.
	Type Type `json:"type"`
	// Kind is the semantic role; see InferSchema for the rules.
	Kind Kind `json:"kind"`
	// Missing is the number of missing values.
	Missing int `json:"missing"`
	// Distinct is the number of distinct non-missing values. It is counted
	// only where the rules need it, and is 0 otherwise (for most numeric
	// and datetime columns).
	Distinct int `json:"distinct,omitempty"`
	// Overridden is true when the kind came from SchemaOptions.Kinds.
	Overridden bool `json:"overridden,omitempty"`
}

// Field returns the field of the named column and true, or a zero Field and
// false if there is none.
func (s Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// SchemaOptions tunes [InferSchema].
type SchemaOptions struct {
	// Kinds overrides the inferred kind of the named columns.
	Kinds map[string]Kind
}

// Thresholds of the inference rules.
const (
	// TextMinAvgLen is the average length in bytes above which a string
	// column with a distinct ratio above TextMinDistinctRatio is text.
	TextMinAvgLen = 30
	// TextMinDistinctRatio is the distinct ratio above which long strings
	// are text.
	TextMinDistinctRatio = 0.5
	// IDMinRows is the number of non-missing values from which an
	// all-distinct column is an id even if its name does not say so.
	IDMinRows = 20
	// CategoricalMaxDistinct is the number of distinct strings up to which
	// a column is categorical whatever its size.
	CategoricalMaxDistinct = 20
	// CategoricalMaxRatio is the distinct ratio up to which a column of
	// short strings is categorical; above it (and above
	// CategoricalMaxDistinct distinct values) it is text.
	CategoricalMaxRatio = 0.5
)

// InferSchema returns the schema of f with a semantic kind for every column.
// The rules, applied in order to the non-missing values of a column (n of
// them, d distinct):
//
//  1. A kind given in opts.Kinds wins.
//  2. d <= 1 (including an all-missing column): constant.
//  3. Bool storage: boolean. Datetime storage: datetime.
//  4. Numeric storage: boolean when the values are exactly 0 and 1 (the
//     column stays numeric in storage, so models see 0 and 1); id when every
//     value is a distinct integer and either the name looks like an
//     identifier (id, key, uuid, or ending in _id, Id or ID) or n >=
//     IDMinRows and the values fill a contiguous range (max-min = n-1, an
//     auto-increment key); numeric otherwise.
//  5. Categorical or Text storage: text when the average length is above
//     TextMinAvgLen bytes and d/n > TextMinDistinctRatio; id when every value
//     is distinct and either n >= IDMinRows or the name looks like an
//     identifier; categorical when d <= CategoricalMaxDistinct or d/n <=
//     CategoricalMaxRatio; text otherwise.
//
// The readers choose the storage type of a CSV column first, in this order,
// ignoring missing values:
//
//   - every value parses as a decimal number (spaces around it allowed,
//     "inf" and "infinity" too): [Numeric];
//   - every distinct value spells a boolean (true/false, t/f, yes/no, y/n,
//     1/0, in any case): [Bool];
//   - every value parses with one datetime layout: [Datetime]. The layouts
//     are ISO 8601 (2006-01-02, with " " or "T" and 15:04, 15:04:05 or
//     15:04:05.999999999, and Z or an offset; RFC 3339 is one of these),
//     01/02/2006 (month first, with an optional 15:04[:05] or 3:04 PM),
//     02/01/2006 (day first), 02.01.2006, 2006/01/02, 02-Jan-2006 and
//     other named-month dates, and RFC 1123. Times without an offset are
//     UTC;
//   - otherwise strings: [Text] when rule 5 makes them text or id,
//     [Categorical] when it makes them categorical or constant.
//
// A column of 0s and 1s is thus numeric in storage; only a column that also
// has a word such as "yes" is stored as Bool.
func InferSchema(f *Frame, opts SchemaOptions) Schema {
	s := Schema{Fields: make([]Field, f.NumCols())}
	for i, c := range f.cols {
		fd := Field{Name: f.names[i], Type: c.Type(), Missing: c.NumMissing()}
		fd.Kind, fd.Distinct = inferKind(fd.Name, c, c.Len()-fd.Missing)
		if k, ok := opts.Kinds[fd.Name]; ok {
			fd.Kind, fd.Overridden = k, true
		}
		s.Fields[i] = fd
	}
	return s
}

func inferKind(name string, c Column, n int) (Kind, int) {
	switch c := c.(type) {
	case *Numeric:
		return numericKind(name, c.values, n)
	case *Bool:
		d := 0
		var seen [2]bool
		for i, v := range c.values {
			if (c.missing == nil || !c.missing[i]) && !seen[b2i(v)] {
				seen[b2i(v)] = true
				d++
			}
		}
		if d <= 1 {
			return KindConstant, d
		}
		return KindBoolean, d
	case *Datetime:
		if n == 0 {
			return KindConstant, 0
		}
		first := int64(NaT)
		for _, v := range c.values {
			if v == NaT {
				continue
			}
			if first == NaT {
				first = v
			} else if v != first {
				return KindDatetime, 0
			}
		}
		return KindConstant, 1
	case *Categorical:
		counts := make([]int, len(c.categories))
		for _, k := range c.codes {
			if k >= 0 {
				counts[k]++
			}
		}
		d, totalLen := 0, 0
		for k, cnt := range counts {
			if cnt > 0 {
				d++
				totalLen += cnt * len(c.categories[k])
			}
		}
		return stringKind(name, n, d, totalLen), d
	case *Text:
		seen := make(map[string]struct{})
		totalLen := 0
		for i, v := range c.values {
			if c.missing == nil || !c.missing[i] {
				seen[v] = struct{}{}
				totalLen += len(v)
			}
		}
		return stringKind(name, n, len(seen), totalLen), len(seen)
	}
	panic("frame: unknown column type")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// numericKind applies rule 4 of InferSchema.
func numericKind(name string, values []float64, n int) (Kind, int) {
	if n == 0 {
		return KindConstant, 0
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	only01, integers := true, true
	for _, v := range values {
		if v != v {
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
		if v != 0 && v != 1 {
			only01 = false
		}
		if integers && v != math.Trunc(v) {
			integers = false
		}
	}
	switch {
	case lo == hi:
		return KindConstant, 1
	case only01:
		return KindBoolean, 2
	case !integers || math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return KindNumeric, 0
	}
	contiguous := n >= IDMinRows && hi-lo == float64(n-1)
	if !contiguous && !idName(name) {
		return KindNumeric, 0
	}
	d := distinctFloats(values, n)
	if d == n {
		return KindID, d
	}
	return KindNumeric, d
}

// distinctFloats counts the distinct non-NaN values.
func distinctFloats(values []float64, n int) int {
	s := make([]float64, 0, n)
	for _, v := range values {
		if v == v {
			s = append(s, v)
		}
	}
	slices.Sort(s)
	return len(slices.Compact(s))
}

// stringKind applies rules 2 and 5 of InferSchema to n non-missing strings
// with d distinct values and totalLen bytes in all.
func stringKind(name string, n, d, totalLen int) Kind {
	switch {
	case d <= 1:
		return KindConstant
	case float64(totalLen)/float64(n) > TextMinAvgLen && float64(d)/float64(n) > TextMinDistinctRatio:
		return KindText
	case d == n && (n >= IDMinRows || idName(name)):
		return KindID
	case d <= CategoricalMaxDistinct || float64(d)/float64(n) <= CategoricalMaxRatio:
		return KindCategorical
	}
	return KindText
}

// idName reports whether a column name looks like an identifier: "id",
// "key", "uuid", "guid", or a name ending in "_id", "-id", " id", "Id" or
// "ID" (such as ticket_id or customerID).
func idName(name string) bool {
	lower := strings.ToLower(strings.TrimSpace(name))
	switch lower {
	case "id", "key", "uuid", "guid", "index":
		return true
	}
	for _, suffix := range []string{"_id", "-id", " id", ".id", "_key", "_uuid"} {
		if strings.HasSuffix(lower, suffix) {
			return true
		}
	}
	// camelCase: customerId, customerID.
	if len(name) > 2 && (strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID")) {
		return unicode.IsLower(rune(name[len(name)-3]))
	}
	return false
}
