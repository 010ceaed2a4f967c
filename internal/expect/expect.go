// Package expect checks a frame against data expectations — columns present,
// types, ranges, allowed values, missing shares, uniqueness, row counts,
// duplicates — declared in mlw.yaml or inferred from a reference version.
package expect

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"mlw.dev/frame"
)

// Expectations are what a dataset version must satisfy.
type Expectations struct {
	Rows         *Range             `yaml:"rows,omitempty" json:"rows,omitempty"`
	NoDuplicates bool               `yaml:"no_duplicates,omitempty" json:"no_duplicates,omitempty"`
	Columns      map[string]*Column `yaml:"columns,omitempty" json:"columns,omitempty"`
}

// Range bounds a number; nil ends are open.
type Range struct {
	Min *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max *float64 `yaml:"max,omitempty" json:"max,omitempty"`
}

// Column is what one column must satisfy.
type Column struct {
	// Required: the column must be present (default true for listed columns;
	// set false to check a column only when it is there).
	Required *bool `yaml:"required,omitempty" json:"required,omitempty"`
	// Type is the storage type: numeric, categorical, boolean, datetime, text.
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
	// Min and Max bound numeric values.
	Min *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	// Allowed lists the only values a categorical (or boolean) column may hold.
	Allowed []string `yaml:"allowed,omitempty" json:"allowed,omitempty"`
	// MaxMissingPct is the largest allowed share of missing values, in percent.
	MaxMissingPct *float64 `yaml:"max_missing_pct,omitempty" json:"max_missing_pct,omitempty"`
	// Unique: no value may repeat.
	Unique bool `yaml:"unique,omitempty" json:"unique,omitempty"`
}

// Failure is one expectation a frame does not meet.
type Failure struct {
	Check    string   `json:"check"` // column_present, type, min, max, allowed, max_missing_pct, unique, rows, no_duplicates
	Column   string   `json:"column,omitempty"`
	Expected string   `json:"expected"`
	Observed string   `json:"observed"`
	Count    int      `json:"count"`              // offending rows (or 1)
	Examples []string `json:"examples,omitempty"` // a few offending rows: "line 17: 154"
}

// Report is the outcome of Check.
type Report struct {
	Checked  int       `json:"checked"` // expectations evaluated
	Failures []Failure `json:"failures"`
}

// OK reports whether every expectation holds.
func (r *Report) OK() bool { return len(r.Failures) == 0 }

const maxExamples = 5

// line is the file line of row i (header on line 1).
func line(i int) int { return i + 2 }

// Check evaluates the expectations on f.
func Check(f *frame.Frame, e *Expectations) *Report {
	r := &Report{Failures: []Failure{}}
	fail := func(x Failure) { r.Failures = append(r.Failures, x) }
	n := f.NumRows()
	if e.Rows != nil {
		r.Checked++
		if e.Rows.Min != nil && float64(n) < *e.Rows.Min || e.Rows.Max != nil && float64(n) > *e.Rows.Max {
			fail(Failure{Check: "rows", Expected: rangeText(e.Rows.Min, e.Rows.Max), Observed: fmt.Sprint(n), Count: 1})
		}
	}
	if e.NoDuplicates {
		r.Checked++
		if dup, ex := duplicateRows(f); dup > 0 {
			fail(Failure{Check: "no_duplicates", Expected: "no duplicate rows", Observed: fmt.Sprintf("%d duplicate rows", dup), Count: dup, Examples: ex})
		}
	}
	names := make([]string, 0, len(e.Columns))
	for name := range e.Columns {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ce := e.Columns[name]
		col := f.Column(name)
		if col == nil {
			if ce.Required == nil || *ce.Required {
				r.Checked++
				fail(Failure{Check: "column_present", Column: name, Expected: "column present", Observed: "missing", Count: 1})
			}
			continue
		}
		checkColumn(r, name, col, ce)
	}
	return r
}

func checkColumn(r *Report, name string, col frame.Column, ce *Column) {
	fail := func(x Failure) {
		x.Column = name
		r.Failures = append(r.Failures, x)
	}
	n := col.Len()
	if ce.Type != "" {
		r.Checked++
		if got := col.Type().String(); got != ce.Type {
			fail(Failure{Check: "type", Expected: ce.Type, Observed: got, Count: 1})
			return // the other checks assume the type
		}
	}
	if ce.MaxMissingPct != nil {
		r.Checked++
		missing := 0
		var ex []string
		for i := range n {
			if col.IsMissing(i) {
				missing++
				if len(ex) < maxExamples {
					ex = append(ex, fmt.Sprintf("line %d", line(i)))
				}
			}
		}
		if pct := pctOf(missing, n); pct > *ce.MaxMissingPct {
			fail(Failure{Check: "max_missing_pct", Expected: fmt.Sprintf("at most %g%% missing", *ce.MaxMissingPct), Observed: fmt.Sprintf("%.2f%% missing", pct), Count: missing, Examples: ex})
		}
	}
	if ce.Min != nil || ce.Max != nil {
		r.Checked++
		if c, ok := col.(*frame.Numeric); ok {
			var low, high int
			var ex []string
			for i, v := range c.Values() {
				if math.IsNaN(v) {
					continue
				}
				bad := false
				if ce.Min != nil && v < *ce.Min {
					low++
					bad = true
				}
				if ce.Max != nil && v > *ce.Max {
					high++
					bad = true
				}
				if bad && len(ex) < maxExamples {
					ex = append(ex, fmt.Sprintf("line %d: %s", line(i), col.Cell(i)))
				}
			}
			if low+high > 0 {
				fail(Failure{Check: "range", Expected: rangeText(ce.Min, ce.Max), Observed: fmt.Sprintf("%d below, %d above", low, high), Count: low + high, Examples: ex})
			}
		} else {
			fail(Failure{Check: "range", Expected: rangeText(ce.Min, ce.Max), Observed: "not numeric (" + col.Type().String() + ")", Count: 1})
		}
	}
	if len(ce.Allowed) > 0 {
		r.Checked++
		bad := 0
		var ex []string
		seen := map[string]bool{}
		for i := range n {
			if col.IsMissing(i) {
				continue
			}
			v := col.Cell(i)
			if !slices.Contains(ce.Allowed, v) {
				bad++
				if len(ex) < maxExamples && !seen[v] {
					seen[v] = true
					ex = append(ex, fmt.Sprintf("line %d: %q", line(i), v))
				}
			}
		}
		if bad > 0 {
			fail(Failure{Check: "allowed", Expected: "one of " + strings.Join(ce.Allowed, ", "), Observed: fmt.Sprintf("%d rows with other values", bad), Count: bad, Examples: ex})
		}
	}
	if ce.Unique {
		r.Checked++
		first := map[string]int{}
		dup := 0
		var ex []string
		for i := range n {
			if col.IsMissing(i) {
				continue
			}
			v := col.Cell(i)
			if j, ok := first[v]; ok {
				dup++
				if len(ex) < maxExamples {
					ex = append(ex, fmt.Sprintf("line %d repeats line %d: %s", line(i), line(j), v))
				}
			} else {
				first[v] = i
			}
		}
		if dup > 0 {
			fail(Failure{Check: "unique", Expected: "unique values", Observed: fmt.Sprintf("%d repeated values", dup), Count: dup, Examples: ex})
		}
	}
}

// duplicateRows counts rows identical to an earlier row, confirming hash
// matches cell by cell.
func duplicateRows(f *frame.Frame) (int, []string) {
	hashes := f.RowHashes()
	first := map[uint64][]int{}
	dup := 0
	var ex []string
	for i, h := range hashes {
		same := -1
		for _, j := range first[h] {
			if rowsEqual(f, i, j) {
				same = j
				break
			}
		}
		if same >= 0 {
			dup++
			if len(ex) < maxExamples {
				ex = append(ex, fmt.Sprintf("line %d repeats line %d", line(i), line(same)))
			}
			continue
		}
		first[h] = append(first[h], i)
	}
	return dup, ex
}

func rowsEqual(f *frame.Frame, i, j int) bool {
	for c := range f.NumCols() {
		col := f.ColumnAt(c)
		if col.IsMissing(i) != col.IsMissing(j) || col.Cell(i) != col.Cell(j) {
			return false
		}
	}
	return true
}

func pctOf(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(k) / float64(n)
}

func rangeText(min, max *float64) string {
	switch {
	case min != nil && max != nil:
		return fmt.Sprintf("between %g and %g", *min, *max)
	case min != nil:
		return fmt.Sprintf("at least %g", *min)
	case max != nil:
		return fmt.Sprintf("at most %g", *max)
	}
	return "any"
}

// Infer proposes expectations from a reference frame: every column present
// with its type; numeric ranges widened by 10% of the observed span on each
// side; the allowed values of categoricals with at most 50 categories; missing
// shares capped at twice the observed share plus 1 point; uniqueness of id
// columns; row counts from half to twice the reference; no duplicate rows when
// the reference has none.
func Infer(f *frame.Frame, schema frame.Schema) *Expectations {
	n := f.NumRows()
	e := &Expectations{Columns: map[string]*Column{}}
	lo, hi := float64(n/2), float64(2*n)
	e.Rows = &Range{Min: &lo, Max: &hi}
	if dup, _ := duplicateRows(f); dup == 0 {
		e.NoDuplicates = true
	}
	for _, fd := range schema.Fields {
		col := f.Column(fd.Name)
		if col == nil {
			continue
		}
		ce := &Column{Type: col.Type().String()}
		missing := pctOf(col.NumMissing(), n)
		maxMissing := math.Ceil(math.Min(100, 2*missing+1)*100-1e-9) / 100
		ce.MaxMissingPct = &maxMissing
		switch c := col.(type) {
		case *frame.Numeric:
			min, max := math.Inf(1), math.Inf(-1)
			for _, v := range c.Values() {
				if !math.IsNaN(v) {
					min, max = math.Min(min, v), math.Max(max, v)
				}
			}
			if !math.IsInf(min, 0) && fd.Kind != frame.KindID {
				pad := 0.1 * (max - min)
				a, b := roundDown(min-pad, min), math.Ceil((max+pad)*100-1e-9)/100
				ce.Min, ce.Max = &a, &b
			}
		case *frame.Categorical:
			if len(c.Categories()) <= 50 {
				ce.Allowed = slices.Clone(c.Categories())
				sort.Strings(ce.Allowed)
			}
		}
		if fd.Kind == frame.KindID {
			ce.Unique = true
		}
		e.Columns[fd.Name] = ce
	}
	return e
}

// roundDown keeps a lower bound readable, and non-negative for a non-negative column.
func roundDown(v, observed float64) float64 {
	r := math.Floor(v*100+1e-9) / 100
	if observed >= 0 && r < 0 {
		return 0 // a non-negative column stays non-negative
	}
	return r
}
