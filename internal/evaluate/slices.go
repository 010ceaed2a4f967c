package evaluate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mathext"

	"mlw.dev/internal/stats"
)

// ErrorAnalysis describes how the error slices were found.
type ErrorAnalysis struct {
	// Definition says what counts as an error.
	Definition string `json:"definition"`
	// ResidualThreshold is the absolute residual above which a regression
	// row is an error: the ErrorQuantile quantile of the absolute residuals.
	ResidualThreshold *float64 `json:"residual_threshold,omitempty"`
	Rows              int      `json:"rows"`
	Errors            int      `json:"errors"`
	ErrorRate         float64  `json:"error_rate"`
	// Test and Correction name the significance test and the multiple
	// testing correction; FDR is the level of the correction.
	Test       string  `json:"test"`
	Correction string  `json:"correction"`
	FDR        float64 `json:"fdr"`
	// MinRows is the size below which a slice is not tested.
	MinRows int `json:"min_rows"`
	// Columns are the columns sliced and PairColumns those whose slices
	// were paired.
	Columns     []string `json:"columns"`
	PairColumns []string `json:"pair_columns"`
	// Tested and Significant count the slices tested and those found
	// significant (before MaxSlices).
	Tested      int `json:"tested"`
	Significant int `json:"significant"`
}

// Slice is a group of rows, defined by one or two conditions, where the
// model errs significantly more often than overall.
type Slice struct {
	Conditions []Condition `json:"conditions"`
	// Slice describes the conditions: "channel = email and category = marketing".
	Slice string  `json:"slice"`
	Rows  int     `json:"rows"`
	Share float64 `json:"share"` // of all rows
	// Errors is the number of errors in the slice and ErrorShare their
	// share of all errors.
	Errors     int     `json:"errors"`
	ErrorShare float64 `json:"error_share"`
	ErrorRate  float64 `json:"error_rate"`
	// NullRate is the error rate the slice was tested against.
	NullRate float64 `json:"null_rate"`
	// ExcessErrors is Errors − Rows × the overall error rate, the ranking
	// key.
	ExcessErrors float64 `json:"excess_errors"`
	// PValue is the one-sided binomial p-value and QValue the
	// Benjamini–Hochberg adjusted one.
	PValue float64 `json:"p_value"`
	QValue float64 `json:"q_value"`
	// SubsumedBy names a pair, ranked higher, that holds all of this single
	// slice's excess errors: outside the pair, the slice errs no more often
	// than overall.
	SubsumedBy string `json:"subsumed_by,omitempty"`
	// Summary is a sentence for people: "42% of errors are in …".
	Summary string `json:"summary"`
}

// candidate is a slice under test.
type candidate struct {
	conds        []Condition
	rows, errors int
	null         float64
	p, q         float64
}

// errorAnalysis fills ErrorAnalysis and Slices.
func (e *evaluation) errorAnalysis() {
	isErr, ea := e.errors()
	n, opts := e.n, e.opts
	ea.Rows, ea.Test, ea.Correction, ea.FDR, ea.MinRows = n,
		"one-sided exact binomial test (scipy.stats.binomtest, alternative greater) against the overall error rate, or for a pair the higher of it and its two single slices' rates",
		"benjamini-hochberg", opts.FDR, opts.MinRows
	for _, v := range isErr {
		if v {
			ea.Errors++
		}
	}
	overall := float64(ea.Errors) / float64(n)
	ea.ErrorRate = overall
	ea.Columns, ea.PairColumns = []string{}, []string{}

	cols := e.in.SliceColumns
	if cols == nil {
		cols = e.in.Rows.Names()
	}
	var gs []grouping
	for _, name := range cols {
		if g, ok := groupBy(name, e.in.Rows.Column(name), opts); ok {
			gs = append(gs, g)
			ea.Columns = append(ea.Columns, name)
		}
	}
	// Errors per group.
	errs := make([][]int, len(gs))
	for a, g := range gs {
		errs[a] = make([]int, len(g.groups))
		for i, k := range g.ids {
			if isErr[i] {
				errs[a][k]++
			}
		}
	}
	var cands []candidate
	best := make([]float64, len(gs)) // largest excess of a testable single slice per column
	for a, g := range gs {
		best[a] = math.Inf(-1)
		for k, gr := range g.groups {
			if !gr.testable(opts.MinRows) || gr.rows == n {
				continue
			}
			c := candidate{conds: []Condition{gr.cond}, rows: gr.rows, errors: errs[a][k], null: overall}
			cands = append(cands, c)
			best[a] = max(best[a], float64(c.errors)-float64(c.rows)*overall)
		}
	}
	// Pairs among the columns with the largest single-slice excess.
	var paired []int
	if opts.MaxPairColumns >= 0 {
		for a := range gs {
			if !math.IsInf(best[a], -1) {
				paired = append(paired, a)
			}
		}
		slices.SortStableFunc(paired, func(a, b int) int { return cmp.Compare(best[b], best[a]) })
		paired = paired[:min(len(paired), opts.MaxPairColumns)]
		slices.Sort(paired)
	}
	for _, a := range paired {
		ea.PairColumns = append(ea.PairColumns, gs[a].column)
	}
	for x, a := range paired {
		for _, b := range paired[x+1:] {
			cands = append(cands, e.pairs(gs[a], gs[b], a, b, errs, isErr, overall)...)
		}
	}
	ea.Tested = len(cands)

	for i := range cands {
		cands[i].p = binomialGreater(cands[i].errors, cands[i].rows, cands[i].null)
	}
	ps := make([]float64, len(cands))
	for i, c := range cands {
		ps[i] = c.p
	}
	for i, q := range benjaminiHochberg(ps) {
		cands[i].q = q
	}
	var sig []Slice
	for _, c := range cands {
		excess := float64(c.errors) - float64(c.rows)*overall
		if c.q > opts.FDR || excess <= 0 {
			continue
		}
		s := Slice{Conditions: c.conds, Slice: describe(c.conds), Rows: c.rows, Share: float64(c.rows) / float64(n),
			Errors: c.errors, ErrorRate: float64(c.errors) / float64(c.rows), NullRate: c.null,
			ExcessErrors: excess, PValue: c.p, QValue: c.q}
		if ea.Errors > 0 {
			s.ErrorShare = float64(c.errors) / float64(ea.Errors)
		}
		s.Summary = fmt.Sprintf("%s of errors are in %s (%s of rows; error rate %s vs %s overall)",
			pct(s.ErrorShare), s.Slice, pct(s.Share), pct(s.ErrorRate), pct(overall))
		sig = append(sig, s)
	}
	ea.Significant = len(sig)
	slices.SortStableFunc(sig, func(a, b Slice) int {
		return cmp.Or(cmp.Compare(b.ExcessErrors, a.ExcessErrors), cmp.Compare(a.PValue, b.PValue), cmp.Compare(a.Slice, b.Slice))
	})
	sig = sig[:min(len(sig), opts.MaxSlices)]
	markSubsumed(sig, overall)
	e.r.ErrorAnalysis = ea
	e.r.Slices = append(e.r.Slices, sig...)
}

// pairs returns the testable pairs of a group of column a and a group of
// column b: both groups testable, at least MinRows rows, and fewer rows than
// either group (otherwise the pair is one of its single slices).
func (e *evaluation) pairs(ga, gb grouping, a, b int, errs [][]int, isErr []bool, overall float64) []candidate {
	kb := len(gb.groups)
	rows := make([]int, len(ga.groups)*kb)
	nerr := make([]int, len(rows))
	for i, x := range ga.ids {
		c := int(x)*kb + int(gb.ids[i])
		rows[c]++
		if isErr[i] {
			nerr[c]++
		}
	}
	var out []candidate
	for x, gx := range ga.groups {
		if !gx.testable(e.opts.MinRows) {
			continue
		}
		for y, gy := range gb.groups {
			c := x*kb + y
			if !gy.testable(e.opts.MinRows) || rows[c] < e.opts.MinRows || rows[c] == gx.rows || rows[c] == gy.rows {
				continue
			}
			null := max(overall, float64(errs[a][x])/float64(gx.rows), float64(errs[b][y])/float64(gy.rows))
			out = append(out, candidate{conds: []Condition{gx.cond, gy.cond},
				rows: rows[c], errors: nerr[c], null: null})
		}
	}
	return out
}

// markSubsumed sets SubsumedBy on each single slice whose excess errors all
// lie in a pair ranked above it: outside the pair, it errs no more often
// than overall.
func markSubsumed(ranked []Slice, overall float64) {
	for i := range ranked {
		s := &ranked[i]
		if len(s.Conditions) != 1 {
			continue
		}
		for _, p := range ranked[:i] {
			if len(p.Conditions) != 2 || !slices.Contains(p.Conditions, s.Conditions[0]) {
				continue
			}
			rest := float64(s.Errors-p.Errors) - float64(s.Rows-p.Rows)*overall
			if rest <= 0 {
				s.SubsumedBy = p.Slice
				break
			}
		}
	}
}

// errors marks the rows the model gets wrong (see the package
// documentation) and describes the definition.
func (e *evaluation) errors() ([]bool, ErrorAnalysis) {
	n := e.n
	isErr := make([]bool, n)
	var ea ErrorAnalysis
	if e.in.Task.IsClassification() {
		ea.Definition = "misclassified: the predicted class differs from the true class"
		for i, y := range e.y {
			isErr[i] = e.pred.Codes[i] != y
		}
		return isErr, ea
	}
	abs := make([]float64, n)
	for i, y := range e.in.Target {
		abs[i] = math.Abs(y - e.pred.Values[i])
	}
	sorted := slices.Clone(abs)
	slices.Sort(sorted)
	// NaN sorts first; leave NaN residuals out of the quantile.
	k := 0
	for k < n && math.IsNaN(sorted[k]) {
		k++
	}
	sorted = sorted[k:]
	if len(sorted) == 0 {
		ea.Definition = "no finite residual"
		return isErr, ea
	}
	t := stats.Quantile(sorted, ErrorQuantile)
	ea.ResidualThreshold = &t
	ea.Definition = fmt.Sprintf("absolute residual |true − predicted| above %s, the %s percentile of the absolute residuals",
		fmtNum(t), strconv.Itoa(int(100*ErrorQuantile))+"th")
	for i, v := range abs {
		isErr[i] = v > t || math.IsNaN(v)
	}
	return isErr, ea
}

// describe joins conditions with "and".
func describe(conds []Condition) string {
	s := ""
	for i, c := range conds {
		if i > 0 {
			s += " and "
		}
		s += c.String()
	}
	return s
}

// pct formats a share as a percentage: no decimals from 10%, one below.
func pct(v float64) string {
	p := 100 * v
	if p >= 9.95 || p == 0 {
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// binomialGreater returns the one-sided p-value P(X >= k) for X ~
// Binomial(n, p), as scipy.stats.binomtest(k, n, p,
// alternative="greater").pvalue: the regularized incomplete beta function
// I_p(k, n−k+1).
func binomialGreater(k, n int, p float64) float64 {
	switch {
	case k <= 0:
		return 1
	case k > n:
		return 0
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	return mathext.RegIncBeta(float64(k), float64(n-k+1), p)
}

// benjaminiHochberg returns the Benjamini–Hochberg adjusted p-values
// (q-values) of p, in the order of p: q_(i) = min over j >= i of
// m·p_(j)/j, capped at 1, for the p-values sorted increasingly.
func benjaminiHochberg(p []float64) []float64 {
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	q := make([]float64, m)
	run := 1.0
	for r := m - 1; r >= 0; r-- {
		i := order[r]
		run = min(run, p[i]*float64(m)/float64(r+1))
		q[i] = run
	}
	return q
}
