package evaluate

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strconv"

	"mlw.dev/frame"
	"mlw.dev/internal/stats"
)

// Ops of a Condition.
const (
	// OpEqual: the column equals Value (a category, "true"/"false", or a
	// number of a column with few distinct values).
	OpEqual = "="
	// OpRange: Min <= value < Max; a missing bound is unbounded.
	OpRange = "range"
	// OpMissing: the value is missing.
	OpMissing = "missing"
	// OpOther: a category outside the column's most frequent ones.
	OpOther = "other"
)

// Condition is a condition on one column that defines a segment or, alone
// or with another, an error slice.
type Condition struct {
	Column string `json:"column"`
	// Op is OpEqual, OpRange, OpMissing or OpOther.
	Op    string   `json:"op"`
	Value string   `json:"value,omitempty"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
}

// String describes the condition for people: "channel = email",
// "30 ≤ age < 45", "age ≥ 60", "age missing", "city: other values".
func (c Condition) String() string {
	switch c.Op {
	case OpEqual:
		return c.Column + " = " + c.Value
	case OpMissing:
		return c.Column + " missing"
	case OpOther:
		return c.Column + ": other values"
	case OpRange:
		switch {
		case c.Min == nil && c.Max == nil:
			return c.Column + " (any)"
		case c.Min == nil:
			return c.Column + " < " + fmtNum(*c.Max)
		case c.Max == nil:
			return c.Column + " ≥ " + fmtNum(*c.Min)
		}
		return fmtNum(*c.Min) + " ≤ " + c.Column + " < " + fmtNum(*c.Max)
	}
	return c.Column + " " + c.Op + " " + c.Value
}

// fmtNum formats a bin edge for people: integers in full, other values with
// four significant digits.
func fmtNum(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15, math.Abs(v) >= 1e4 && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// grouping assigns every row of a column to one group.
type grouping struct {
	column string
	ids    []int32 // group of each row
	groups []group
}

// group is one group of a column with its size.
type group struct {
	cond Condition
	rows int
}

// testable reports whether the group may be an error slice or a fairness
// group: a real value (not the "other" bucket) with at least minRows rows.
func (g group) testable(minRows int) bool {
	return g.cond.Op != OpOther && g.rows >= minRows
}

// groupBy cuts a column into groups (see the package documentation). It
// returns ok == false for a datetime column.
func groupBy(name string, c frame.Column, opts Options) (g grouping, ok bool) {
	g.column = name
	n := c.Len()
	g.ids = make([]int32, n)
	switch c := c.(type) {
	case *frame.Numeric:
		groupNumeric(&g, c.Values(), opts.QuantileBins)
	case *frame.Categorical:
		codes := c.Codes()
		groupStrings(&g, n, func(i int) (string, bool) {
			if codes[i] < 0 {
				return "", false
			}
			return c.Categories()[codes[i]], true
		}, opts.MaxCategories)
	case *frame.Text:
		groupStrings(&g, n, c.Value, opts.MaxCategories)
	case *frame.Bool:
		groupStrings(&g, n, func(i int) (string, bool) {
			v, ok := c.Value(i)
			return strconv.FormatBool(v), ok
		}, opts.MaxCategories)
	default:
		return g, false
	}
	return g, true
}

// groupStrings groups rows by value: the maxCategories most frequent values
// (ties broken by value) in decreasing order of count, then the other values
// as one group, then the missing values.
func groupStrings(g *grouping, n int, value func(i int) (string, bool), maxCategories int) {
	counts := map[string]int{}
	missing := 0
	for i := range n {
		v, ok := value(i)
		if !ok {
			missing++
			continue
		}
		counts[v]++
	}
	vals := make([]string, 0, len(counts))
	for v := range counts {
		vals = append(vals, v)
	}
	slices.SortFunc(vals, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	keep := min(len(vals), maxCategories)
	id := make(map[string]int32, keep)
	for k, v := range vals[:keep] {
		id[v] = int32(k)
		g.groups = append(g.groups, group{cond: Condition{Column: g.column, Op: OpEqual, Value: v}, rows: counts[v]})
	}
	other, missingID := int32(-1), int32(-1)
	if keep < len(vals) {
		other = int32(len(g.groups))
		rows := 0
		for _, v := range vals[keep:] {
			rows += counts[v]
		}
		g.groups = append(g.groups, group{cond: Condition{Column: g.column, Op: OpOther}, rows: rows})
	}
	if missing > 0 {
		missingID = int32(len(g.groups))
		g.groups = append(g.groups, group{cond: Condition{Column: g.column, Op: OpMissing}, rows: missing})
	}
	for i := range n {
		v, ok := value(i)
		switch k, top := id[v]; {
		case !ok:
			g.ids[i] = missingID
		case top:
			g.ids[i] = k
		default:
			g.ids[i] = other
		}
	}
}

// groupNumeric groups a numeric column: one group per value when it has at
// most 2·bins distinct values, otherwise bins quantile bins; missing values
// (NaN) last.
func groupNumeric(g *grouping, x []float64, bins int) {
	present := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			present = append(present, v)
		}
	}
	slices.Sort(present)
	distinct := slices.Compact(slices.Clone(present))
	var edges []float64 // inner edges; bin b holds edges[b-1] <= v < edges[b]
	if len(distinct) <= 2*bins {
		edges = distinct[min(1, len(distinct)):]
	} else {
		for b := 1; b < bins; b++ {
			e := stats.Quantile(present, float64(b)/float64(bins))
			if !math.IsNaN(e) && (len(edges) == 0 || e > edges[len(edges)-1]) {
				edges = append(edges, e)
			}
		}
	}
	counts := make([]int, len(edges)+1)
	binOf := func(v float64) int { return sort.Search(len(edges), func(i int) bool { return edges[i] > v }) }
	missing := 0
	for _, v := range x {
		if math.IsNaN(v) {
			missing++
			continue
		}
		counts[binOf(v)]++
	}
	id := make([]int32, len(counts))
	for b, c := range counts {
		id[b] = -1
		if c == 0 {
			continue
		}
		id[b] = int32(len(g.groups))
		cond := Condition{Column: g.column, Op: OpRange}
		if len(distinct) <= 2*bins {
			cond = Condition{Column: g.column, Op: OpEqual, Value: strconv.FormatFloat(distinct[b], 'g', -1, 64)}
		} else {
			if b > 0 {
				cond.Min = &edges[b-1]
			}
			if b < len(edges) {
				cond.Max = &edges[b]
			}
		}
		g.groups = append(g.groups, group{cond: cond, rows: c})
	}
	missingID := int32(len(g.groups))
	if missing > 0 {
		g.groups = append(g.groups, group{cond: Condition{Column: g.column, Op: OpMissing}, rows: missing})
	}
	for i, v := range x {
		if math.IsNaN(v) {
			g.ids[i] = missingID
			continue
		}
		g.ids[i] = id[binOf(v)]
	}
}

// members returns the rows of each group.
func (g *grouping) members() [][]int {
	out := make([][]int, len(g.groups))
	for k, gr := range g.groups {
		out[k] = make([]int, 0, gr.rows)
	}
	for i, k := range g.ids {
		out[k] = append(out[k], i)
	}
	return out
}
