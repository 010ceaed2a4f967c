package split

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"mlw.dev/frame"
)

// keys numbers the distinct non-missing values of a column 0..n-1 in
// increasing order of value: numbers and times by value, strings bytewise
// (as numpy.unique orders them), false before true.
type keys struct {
	codes   []int32 // one per row; -1 where the value is missing
	n       int     // number of distinct non-missing values
	rep     []int   // rep[k] is a row holding value k
	missing int     // number of missing values
}

// label returns value k of col as text.
func (k *keys) label(col frame.Column, code int32) string { return col.Cell(k.rep[code]) }

// factorize returns the keys of col.
func factorize(col frame.Column) *keys {
	switch c := col.(type) {
	case *frame.Numeric:
		return factorizeOrdered(c.Values(), func(v float64) bool { return v != v }, func(v float64) float64 {
			if v == 0 {
				return 0 // -0 and 0 are one value
			}
			return v
		})
	case *frame.Datetime:
		return factorizeOrdered(c.Values(), func(v int64) bool { return v == frame.NaT }, func(v int64) int64 { return v })
	case *frame.Categorical:
		return factorizeCategorical(c)
	case *frame.Bool:
		k := &keys{codes: make([]int32, c.Len())}
		var seen [2]bool
		rep := [2]int{}
		for i := range k.codes {
			v, ok := c.Value(i)
			switch {
			case !ok:
				k.codes[i] = -1
				k.missing++
			case v:
				k.codes[i] = 1
				if !seen[1] {
					seen[1], rep[1] = true, i
				}
			default:
				if !seen[0] {
					seen[0], rep[0] = true, i
				}
			}
		}
		// Renumber so that only the values present are counted.
		remap := [2]int32{-1, -1}
		for v := range 2 {
			if seen[v] {
				remap[v] = int32(k.n)
				k.rep = append(k.rep, rep[v])
				k.n++
			}
		}
		for i, v := range k.codes {
			if v >= 0 {
				k.codes[i] = remap[v]
			}
		}
		return k
	case *frame.Text:
		return factorizeText(c)
	}
	panic(fmt.Sprintf("split: unknown column type %T", col))
}

type valueRow[T cmp.Ordered] struct {
	v   T
	row int32
}

// factorizeOrdered numbers values by sorting (value, row) pairs.
func factorizeOrdered[T cmp.Ordered](values []T, isMissing func(T) bool, norm func(T) T) *keys {
	k := &keys{codes: make([]int32, len(values))}
	pairs := make([]valueRow[T], 0, len(values))
	for i, v := range values {
		if isMissing(v) {
			k.codes[i] = -1
			k.missing++
			continue
		}
		pairs = append(pairs, valueRow[T]{norm(v), int32(i)})
	}
	slices.SortFunc(pairs, func(a, b valueRow[T]) int {
		if c := cmp.Compare(a.v, b.v); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	})
	code := int32(-1)
	for j, p := range pairs {
		if j == 0 || p.v != pairs[j-1].v {
			code++
			k.rep = append(k.rep, int(p.row))
		}
		k.codes[p.row] = code
	}
	k.n = int(code + 1)
	return k
}

func factorizeCategorical(c *frame.Categorical) *keys {
	cats := c.Categories()
	used := make([]int, len(cats))
	rep := make([]int, len(cats))
	k := &keys{codes: make([]int32, c.Len())}
	for i, code := range c.Codes() {
		if code < 0 {
			k.missing++
			continue
		}
		if used[code] == 0 {
			rep[code] = i
		}
		used[code]++
	}
	order := make([]int32, 0, len(cats))
	for j := range cats {
		if used[j] > 0 {
			order = append(order, int32(j))
		}
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(cats[a], cats[b]) })
	remap := make([]int32, len(cats))
	for r, j := range order {
		remap[j] = int32(r)
		k.rep = append(k.rep, rep[j])
	}
	k.n = len(order)
	for i, code := range c.Codes() {
		if code < 0 {
			k.codes[i] = -1
		} else {
			k.codes[i] = remap[code]
		}
	}
	return k
}

func factorizeText(c *frame.Text) *keys {
	k := &keys{codes: make([]int32, c.Len())}
	index := make(map[string]int32)
	var values []string
	for i := range k.codes {
		v, ok := c.Value(i)
		if !ok {
			k.codes[i] = -1
			k.missing++
			continue
		}
		code, seen := index[v]
		if !seen {
			code = int32(len(values))
			index[v] = code
			values = append(values, v)
			k.rep = append(k.rep, i)
		}
		k.codes[i] = code
	}
	order := make([]int32, len(values))
	for j := range order {
		order[j] = int32(j)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(values[a], values[b]) })
	remap := make([]int32, len(values))
	rep := make([]int, len(values))
	for r, j := range order {
		remap[j] = int32(r)
		rep[r] = k.rep[j]
	}
	k.rep = rep
	k.n = len(values)
	for i, code := range k.codes {
		if code >= 0 {
			k.codes[i] = remap[code]
		}
	}
	return k
}

// quote formats a value for a message: strings quoted, as in
// `class "spam"`.
func quote(s string) string { return strconv.Quote(s) }

// isFinite reports whether x is neither NaN nor infinite.
func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
