// Package clean applies a cleaning recipe to a frame: drop columns, keep the
// rows a filter expression accepts, drop duplicate rows, clip outliers, impute
// missing values. A recipe is plain data stored with the cleaned dataset
// version, so the same cleaning can be replayed on a newer raw version.
package clean

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"mlw.dev/frame"
	"mlw.dev/internal/stats"
)

// Recipe is a cleaning recipe. Steps run in the order of the fields.
type Recipe struct {
	DropColumns    []string `json:"drop_columns,omitempty"`
	Filter         string   `json:"filter,omitempty"` // keep rows where it is true, e.g. "age >= 18 && plan != 'test'"
	DropDuplicates bool     `json:"drop_duplicates,omitempty"`
	ClipOutliers   string   `json:"clip_outliers,omitempty"` // iqr (Q1-1.5 IQR, Q3+1.5 IQR) or zscore (mean ± 3 sd)
	Impute         string   `json:"impute,omitempty"`        // median, mean, mode or constant:V
	// Protect lists columns never clipped or imputed (the target, ids).
	Protect []string `json:"protect,omitempty"`
}

// Validate checks the recipe's options.
func (r *Recipe) Validate() error {
	if r.ClipOutliers != "" && r.ClipOutliers != "iqr" && r.ClipOutliers != "zscore" {
		return fmt.Errorf("--clip-outliers %q: want iqr or zscore", r.ClipOutliers)
	}
	switch {
	case r.Impute == "", r.Impute == "median", r.Impute == "mean", r.Impute == "mode":
	case strings.HasPrefix(r.Impute, "constant:"):
	default:
		return fmt.Errorf("--impute %q: want median, mean, mode or constant:VALUE", r.Impute)
	}
	if r.Filter != "" {
		if _, err := expr.Compile(r.Filter, expr.AllowUndefinedVariables(), expr.AsBool()); err != nil {
			return fmt.Errorf("--filter: %v", err)
		}
	}
	if r.Empty() {
		return fmt.Errorf("the recipe does nothing: give at least one of --drop-columns, --filter, --drop-duplicates, --clip-outliers, --impute")
	}
	return nil
}

// Empty reports whether the recipe has no step.
func (r *Recipe) Empty() bool {
	return len(r.DropColumns) == 0 && r.Filter == "" && !r.DropDuplicates && r.ClipOutliers == "" && r.Impute == ""
}

// Step reports what one step changed.
type Step struct {
	Step    string `json:"step"`
	Column  string `json:"column,omitempty"`
	Changed int    `json:"changed"` // rows removed, values clipped or filled, columns dropped
	Detail  string `json:"detail,omitempty"`
}

// Apply runs the recipe on f and returns the cleaned frame and what changed.
func Apply(f *frame.Frame, r *Recipe) (*frame.Frame, []Step, error) {
	if err := r.Validate(); err != nil {
		return nil, nil, err
	}
	var steps []Step
	if len(r.DropColumns) > 0 {
		for _, c := range r.DropColumns {
			if f.ColumnIndex(c) < 0 {
				return nil, nil, fmt.Errorf("--drop-columns: no column %s (columns: %s)", c, strings.Join(f.Names(), ", "))
			}
		}
		g, err := f.Drop(r.DropColumns...)
		if err != nil {
			return nil, nil, err
		}
		f = g
		steps = append(steps, Step{Step: "drop_columns", Changed: len(r.DropColumns), Detail: strings.Join(r.DropColumns, ", ")})
	}
	if r.Filter != "" {
		keep, err := filterRows(f, r.Filter)
		if err != nil {
			return nil, nil, err
		}
		steps = append(steps, Step{Step: "filter", Changed: f.NumRows() - len(keep), Detail: r.Filter})
		f = f.Take(keep)
	}
	if r.DropDuplicates {
		keep := distinctRows(f)
		steps = append(steps, Step{Step: "drop_duplicates", Changed: f.NumRows() - len(keep)})
		f = f.Take(keep)
	}
	names := f.Names()
	cols := make([]frame.Column, len(names))
	for i, name := range names {
		col := f.ColumnAt(i)
		if !slices.Contains(r.Protect, name) {
			if r.ClipOutliers != "" {
				if c, ok := col.(*frame.Numeric); ok {
					var n int
					col, n = clip(c, r.ClipOutliers)
					if n > 0 {
						steps = append(steps, Step{Step: "clip_outliers", Column: name, Changed: n, Detail: r.ClipOutliers})
					}
				}
			}
			if r.Impute != "" {
				var (
					n   int
					err error
				)
				col, n, err = impute(col, r.Impute)
				if err != nil {
					return nil, nil, fmt.Errorf("--impute column %s: %w", name, err)
				}
				if n > 0 {
					steps = append(steps, Step{Step: "impute", Column: name, Changed: n, Detail: r.Impute})
				}
			}
		}
		cols[i] = col
	}
	out, err := frame.New(names, cols)
	if err != nil {
		return nil, nil, err
	}
	return out, steps, nil
}

// filterRows evaluates the expression per row with the columns as variables
// (numbers, strings, booleans; nil when missing). As in SQL, a comparison
// that involves a missing value is not true: the row is not kept.
func filterRows(f *frame.Frame, src string) ([]int, error) {
	prog, err := expr.Compile(src, expr.AllowUndefinedVariables(), expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("--filter: %v", err)
	}
	env := map[string]any{}
	var machine vm.VM
	keep := make([]int, 0, f.NumRows())
	for i := range f.NumRows() {
		anyMissing := false
		for j, name := range f.Names() {
			env[name] = cellValue(f.ColumnAt(j), i)
			anyMissing = anyMissing || env[name] == nil
		}
		out, err := machine.Run(prog, env)
		if err != nil {
			if anyMissing {
				continue
			}
			return nil, fmt.Errorf("--filter on line %d: %v", i+2, err)
		}
		if b, _ := out.(bool); b {
			keep = append(keep, i)
		}
	}
	return keep, nil
}

func cellValue(c frame.Column, i int) any {
	if c.IsMissing(i) {
		return nil
	}
	switch c := c.(type) {
	case *frame.Numeric:
		return c.Values()[i]
	case *frame.Bool:
		v, _ := c.Value(i)
		return v
	}
	return c.Cell(i)
}

// distinctRows keeps the first of each group of identical rows.
func distinctRows(f *frame.Frame) []int {
	hashes := f.RowHashes()
	seen := map[uint64][]int{}
	keep := make([]int, 0, len(hashes))
outer:
	for i, h := range hashes {
		for _, j := range seen[h] {
			if sameRow(f, i, j) {
				continue outer
			}
		}
		seen[h] = append(seen[h], i)
		keep = append(keep, i)
	}
	return keep
}

func sameRow(f *frame.Frame, i, j int) bool {
	for c := range f.NumCols() {
		col := f.ColumnAt(c)
		if col.IsMissing(i) != col.IsMissing(j) || col.Cell(i) != col.Cell(j) {
			return false
		}
	}
	return true
}

// clip limits a numeric column to the IQR fences or to mean ± 3 sd.
func clip(c *frame.Numeric, method string) (frame.Column, int) {
	vals := c.Values()
	present := make([]float64, 0, len(vals))
	for _, v := range vals {
		if !math.IsNaN(v) {
			present = append(present, v)
		}
	}
	if len(present) < 4 {
		return c, 0
	}
	var lo, hi float64
	if method == "iqr" {
		sort.Float64s(present)
		q1, q3 := stats.Quantile(present, 0.25), stats.Quantile(present, 0.75)
		lo, hi = q1-1.5*(q3-q1), q3+1.5*(q3-q1)
	} else {
		mean, sd := meanSD(present)
		lo, hi = mean-3*sd, mean+3*sd
	}
	out := slices.Clone(vals)
	n := 0
	for i, v := range out {
		if v < lo {
			out[i], n = lo, n+1
		} else if v > hi {
			out[i], n = hi, n+1
		}
	}
	if n == 0 {
		return c, 0
	}
	return frame.NewNumeric(out), n
}

func meanSD(v []float64) (float64, float64) {
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	ss := 0.0
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(v)-1))
}

// impute fills missing values: numeric columns with the median, mean, mode or a
// constant; categorical and boolean columns with the mode or a constant (median
// and mean fall back to the mode for them). Datetime and text columns are left.
func impute(col frame.Column, how string) (frame.Column, int, error) {
	missing := col.NumMissing()
	if missing == 0 {
		return col, 0, nil
	}
	constant, isConst := strings.CutPrefix(how, "constant:")
	switch c := col.(type) {
	case *frame.Numeric:
		vals := c.Values()
		present := make([]float64, 0, len(vals))
		for _, v := range vals {
			if !math.IsNaN(v) {
				present = append(present, v)
			}
		}
		var fill float64
		switch {
		case isConst:
			v, err := strconv.ParseFloat(constant, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("constant %q is not a number", constant)
			}
			fill = v
		case len(present) == 0:
			return col, 0, nil
		case how == "median":
			sort.Float64s(present)
			fill = stats.Quantile(present, 0.5)
		case how == "mean":
			fill = sum(present) / float64(len(present))
		default: // mode
			fill = numericMode(present)
		}
		out := slices.Clone(vals)
		for i, v := range out {
			if math.IsNaN(v) {
				out[i] = fill
			}
		}
		return frame.NewNumeric(out), missing, nil
	case *frame.Categorical, *frame.Bool:
		values := make([]string, col.Len())
		counts := map[string]int{}
		for i := range values {
			if !col.IsMissing(i) {
				values[i] = col.Cell(i)
				counts[values[i]]++
			}
		}
		fill := constant
		if !isConst {
			if len(counts) == 0 {
				return col, 0, nil
			}
			fill = stringMode(counts)
		}
		for i := range values {
			if col.IsMissing(i) {
				values[i] = fill
			}
		}
		if _, ok := col.(*frame.Bool); ok {
			bs := make([]bool, len(values))
			for i, v := range values {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return nil, 0, fmt.Errorf("constant %q is not a boolean", v)
				}
				bs[i] = b
			}
			return frame.NewBool(bs, nil), missing, nil
		}
		return frame.NewCategoricalFromStrings(values, nil), missing, nil
	}
	return col, 0, nil
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func numericMode(v []float64) float64 {
	counts := map[float64]int{}
	for _, x := range v {
		counts[x]++
	}
	best, bestN := 0.0, -1
	for x, n := range counts {
		if n > bestN || n == bestN && x < best {
			best, bestN = x, n
		}
	}
	return best
}

func stringMode(counts map[string]int) string {
	best, bestN := "", -1
	for s, n := range counts {
		if n > bestN || n == bestN && s < best {
			best, bestN = s, n
		}
	}
	return best
}
