package split

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"mlw.dev/frame"
)

// Severity says how much a finding matters.
type Severity string

// The severities. An error makes the split unusable for honest evaluation,
// a warning deserves a look, and info is context.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// The names of the checks, as found in Finding.Check and Report.Checks, and
// of the notes a strategy attaches to its Assignment.
const (
	// CheckDuplicateRows: validation or test rows whose feature values
	// equal those of a training row.
	CheckDuplicateRows = "duplicate_rows"
	// CheckSharedID: values of the id column found in train and in another
	// part.
	CheckSharedID = "shared_id"
	// CheckSharedGroup: values of the group column found in train and in
	// another part.
	CheckSharedGroup = "shared_group"
	// CheckTimeOverlap: validation or test rows older than the newest
	// training row.
	CheckTimeOverlap = "time_overlap"
	// CheckTargetLeak: a single feature that predicts the target almost
	// perfectly on the training rows.
	CheckTargetLeak = "target_leak"
	// CheckFutureFeature: a datetime feature later than the row's event
	// time.
	CheckFutureFeature = "future_feature"
	// CheckUnseenCategory: categories of a feature found in validation or
	// test but never in train.
	CheckUnseenCategory = "unseen_category"
	// CheckUnseenLabel: target labels found in validation or test but never
	// in train.
	CheckUnseenLabel = "unseen_label"
	// NoteSmallClass: classes too small to appear in every part of a
	// stratified split.
	NoteSmallClass = "small_class"
	// NoteMissingGroup: rows without a group value in a group split.
	NoteMissingGroup = "missing_group"
)

// Thresholds of the checks.
const (
	// ErrorShare is the share of a part's rows above which duplicated rows
	// and shared ids or groups (share of validation or test rows), and
	// post-event datetime features (share of all rows), are errors rather
	// than warnings.
	ErrorShare = 0.10
	// LeakAUC is the univariate ROC AUC above which a feature is reported
	// as target leakage in classification.
	LeakAUC = 0.99
	// LeakR2 is the univariate R² above which a feature is reported as
	// target leakage in regression.
	LeakR2 = 0.99
	// MaxScreenRows is the number of training rows (evenly spaced) on which
	// single features are scored against the target; larger training parts
	// are sampled down to it, which moves a score by far less than the
	// distance between a strong feature and a leak.
	MaxScreenRows = 200_000

	maxExamples = 5  // row numbers in a finding
	maxValues   = 10 // values in a finding
)

// Task is the kind of learning problem, which decides how single features
// are scored against the target.
type Task string

// The tasks, spelled as in mlw.yaml.
const (
	Classification Task = "classification"
	Regression     Task = "regression"
)

// Roles names the columns that play a special part in the checks. Every
// column not named here is a feature. Empty names are absent roles, and the
// checks that need them do not run.
type Roles struct {
	// Target is the column the model predicts.
	Target string `json:"target,omitempty"`
	// Time is the event time: a datetime or numeric column.
	Time string `json:"time,omitempty"`
	// ID identifies an entity or a record, such as ticket_id.
	ID string `json:"id,omitempty"`
	// Group identifies rows that belong together, such as customer_id.
	Group string `json:"group,omitempty"`
	// Task is the problem; empty means regression for a numeric target
	// holding other values than 0 and 1, classification otherwise.
	Task Task `json:"task,omitempty"`
	// Ignore lists further columns that are not features (other
	// identifiers, free-text notes); the checks leave them out.
	Ignore []string `json:"ignore,omitempty"`
}

// Finding is one result of a leakage check.
type Finding struct {
	// Check names the check, such as "duplicate_rows".
	Check string `json:"check"`
	// Severity is error, warning or info.
	Severity Severity `json:"severity"`
	// Column is the column concerned, if one is.
	Column string `json:"column,omitempty"`
	// Part is the part concerned ("validation", "test", or "train" for
	// target leakage), if one is.
	Part string `json:"part,omitempty"`
	// Message says what was found and why it matters, in plain words.
	Message string `json:"message"`
	// Count is the number of rows concerned: duplicated rows, rows sharing
	// an id or group with train, rows older than the newest training row,
	// rows with a post-event time, rows with an unseen category or label,
	// rows of small classes, rows without a group, and for target leakage
	// the training rows scored.
	Count int `json:"count"`
	// Total is the number of rows Count is out of: the rows of Part, or all
	// rows.
	Total int `json:"total"`
	// Share is Count / Total.
	Share float64 `json:"share"`
	// Metric names the univariate score of a target leak: "roc_auc" or
	// "r2".
	Metric string `json:"metric,omitempty"`
	// Score is the univariate score of a target leak; a ROC AUC is folded
	// to be at least 0.5.
	Score float64 `json:"score,omitempty"`
	// Values are a few of the values concerned: shared ids, unseen
	// categories, small classes.
	Values []string `json:"values,omitempty"`
	// Rows are a few of the rows concerned, as 0-based row numbers.
	Rows []int `json:"rows,omitempty"`
}

// Report is the outcome of Check.
type Report struct {
	// Checks lists the checks that ran, in order; a check whose roles are
	// absent does not run.
	Checks []string `json:"checks"`
	// Findings are the notes of the assignment followed by the findings of
	// the checks, in the order of Checks.
	Findings []Finding `json:"findings"`
	// Errors is the number of findings of severity error; any makes the
	// split unusable.
	Errors int `json:"errors"`
	// Warnings is the number of findings of severity warning.
	Warnings int `json:"warnings"`
}

// checker holds what the checks share.
type checker struct {
	f        *frame.Frame
	a        *Assignment
	roles    Roles
	task     Task
	features []int   // column indices of the features
	rowsOf   [][]int // rows of each part
	report   *Report // being built
	timeCol  frame.Column
}

// Check runs the leakage checks on the split a of f and returns their
// findings. It returns an error if a does not hold one valid part per row of
// f, if a role names an unknown column, if the time column is not datetime
// or numeric, or if the task is unknown or does not suit the target
// (regression needs a numeric target, classification a non-datetime one).
// The checks, in order:
//
//   - duplicate_rows: validation and test rows whose features (every column
//     but the roles and Ignore) equal a training row's, found by row hash
//     and confirmed value by value. Above ErrorShare of the part it is an
//     error, otherwise a warning.
//   - shared_id, shared_group (when ID or Group is set): validation and test
//     rows whose id or group value also occurs in train (error above
//     ErrorShare of the part), and test rows whose value occurs in
//     validation (warning). Missing values are not shared.
//   - time_overlap (when Time is set): validation and test rows older than
//     the newest training row; a warning. A time split by the same column
//     never has any.
//   - future_feature (when Time is a datetime column): datetime features
//     later than the event time on some rows; an error above ErrorShare of
//     the rows with both times, otherwise a warning.
//   - target_leak (when Target is set): features that alone predict the
//     target on the training rows (at most MaxScreenRows of them). For
//     classification, the ROC AUC of the feature's values (numeric and
//     datetime features, missing values ranked first and then last) or of
//     its per-category class rates (other features, missing as a category),
//     one-vs-rest with the best class for more than two classes and folded
//     around 0.5; above LeakAUC it is an error. For regression, the R² of a
//     least-squares line (numeric and datetime features; missing rows
//     predicted by their mean target) or of the per-category mean targets
//     (other features); above LeakR2 it is an error. Per-category rates
//     and means are cross-fitted: each half of the rows is scored with the
//     rates of the other half, so that an identifier with one row per value
//     scores as noise rather than as a perfect predictor. A class is scored
//     only if it and the other classes together have at least 10 rows each,
//     below which a random feature too often scores above LeakAUC by
//     chance, and of more than two classes only the 20 largest are scored.
//   - unseen_category: categories of categorical and boolean features found
//     in validation or test but never in train; a warning.
//   - unseen_label (classification): target labels found in validation or
//     test but never in train; a warning.
func Check(f *frame.Frame, a *Assignment, roles Roles) (*Report, error) {
	if a.Len() != f.NumRows() {
		return nil, fmt.Errorf("split: check: the assignment has %d rows, the frame %d", a.Len(), f.NumRows())
	}
	for i, p := range a.Parts {
		if int(p) >= NumParts {
			return nil, fmt.Errorf("split: check: row %d has invalid part %d", i, p)
		}
	}
	c := &checker{f: f, a: a, roles: roles, report: &Report{Checks: []string{}, Findings: []Finding{}}}
	if err := c.resolveRoles(); err != nil {
		return nil, err
	}
	c.rowsOf = make([][]int, NumParts)
	for p := range Part(NumParts) {
		c.rowsOf[p] = a.Rows(p)
	}
	c.report.Findings = append(c.report.Findings, a.Notes...)
	if len(c.features) > 0 {
		c.run(CheckDuplicateRows, c.checkDuplicates)
	}
	if roles.ID != "" {
		c.run(CheckSharedID, func() []Finding { return c.checkShared(roles.ID, CheckSharedID, "id") })
	}
	if roles.Group != "" {
		c.run(CheckSharedGroup, func() []Finding { return c.checkShared(roles.Group, CheckSharedGroup, "group") })
	}
	if roles.Time != "" {
		c.run(CheckTimeOverlap, c.checkTimeOverlap)
		if _, ok := c.timeCol.(*frame.Datetime); ok {
			c.run(CheckFutureFeature, c.checkFutureFeatures)
		}
	}
	if roles.Target != "" {
		c.run(CheckTargetLeak, c.checkTargetLeak)
	}
	c.run(CheckUnseenCategory, c.checkUnseenCategories)
	if roles.Target != "" && c.task == Classification {
		c.run(CheckUnseenLabel, c.checkUnseenLabels)
	}
	for _, fd := range c.report.Findings {
		switch fd.Severity {
		case SeverityError:
			c.report.Errors++
		case SeverityWarning:
			c.report.Warnings++
		}
	}
	return c.report, nil
}

func (c *checker) run(name string, check func() []Finding) {
	c.report.Checks = append(c.report.Checks, name)
	c.report.Findings = append(c.report.Findings, check()...)
}

// resolveRoles checks the role columns and lists the features.
func (c *checker) resolveRoles() error {
	notFeature := make(map[string]bool)
	named := []struct{ role, name string }{
		{"target", c.roles.Target}, {"time", c.roles.Time}, {"id", c.roles.ID}, {"group", c.roles.Group},
	}
	for _, name := range c.roles.Ignore {
		named = append(named, struct{ role, name string }{"ignored", name})
	}
	for _, r := range named {
		if r.name == "" {
			continue
		}
		if c.f.Column(r.name) == nil {
			return fmt.Errorf("split: check: %s column %q: %w", r.role, r.name, frame.ErrNoColumn)
		}
		notFeature[r.name] = true
	}
	for j := range c.f.NumCols() {
		if !notFeature[c.f.Name(j)] {
			c.features = append(c.features, j)
		}
	}
	if c.roles.Time != "" {
		c.timeCol = c.f.Column(c.roles.Time)
		if t := c.timeCol.Type(); t != frame.TypeDatetime && t != frame.TypeNumeric {
			return fmt.Errorf("split: check: time column %q is %s, want datetime or numeric", c.roles.Time, t)
		}
	}
	c.task = c.roles.Task
	if c.roles.Target == "" {
		return nil
	}
	target := c.f.Column(c.roles.Target)
	switch c.task {
	case "":
		c.task = Classification
		if num, ok := target.(*frame.Numeric); ok && !zeroOne(num.Values()) {
			c.task = Regression
		}
	case Classification:
	case Regression:
		if target.Type() != frame.TypeNumeric {
			return fmt.Errorf("split: check: regression target %q is %s, want numeric", c.roles.Target, target.Type())
		}
	default:
		return fmt.Errorf("split: check: unknown task %q (want classification or regression)", string(c.task))
	}
	if c.task == Classification && target.Type() == frame.TypeDatetime {
		return fmt.Errorf("split: check: classification target %q is a datetime column", c.roles.Target)
	}
	return nil
}

// zeroOne reports whether every non-missing value is 0 or 1.
func zeroOne(values []float64) bool {
	for _, v := range values {
		if v == v && v != 0 && v != 1 {
			return false
		}
	}
	return true
}

// evalParts are the parts compared with train.
var evalParts = [...]Part{Validation, Test}

// hashRows are rows sorted by their hash.
type hashRows struct {
	h    []uint64
	rows []int32
}

// checkDuplicates finds validation and test rows whose features equal a
// training row's. Rows are matched by hash, and every match is confirmed
// value by value, so a hash collision cannot cause a report.
func (c *checker) checkDuplicates() []Finding {
	cols := make([]frame.Column, len(c.features))
	names := make([]string, len(c.features))
	for k, j := range c.features {
		cols[k], names[k] = c.f.ColumnAt(j), c.f.Name(j)
	}
	sub, err := c.f.Select(names...)
	if err != nil {
		panic(err) // the names come from f
	}
	h := sub.RowHashes()
	train := sortByHash(h, c.rowsOf[Train])
	var out []Finding
	for _, p := range evalParts {
		rows := c.rowsOf[p]
		if len(rows) == 0 {
			continue
		}
		m := matchRows(cols, train, sortByHash(h, rows))
		if m.count == 0 {
			continue
		}
		fd := c.finding(CheckDuplicateRows, "", p, m.count, len(rows))
		fd.Rows = m.examples
		fd.Severity = severityAbove(fd.Share)
		fd.Message = fmt.Sprintf("%s of %s rows (%d of %d) have the same features as a training row "+
			"(for example %s row %d and train row %d): the model is scored on rows it was trained on",
			pct(fd.Share), p, m.count, len(rows), p, m.pair[0], m.pair[1])
		if fd.Severity == SeverityError {
			fd.Message += fmt.Sprintf("; above %s the %s score cannot be trusted", pct(ErrorShare), p)
		}
		out = append(out, fd)
	}
	return out
}

// sortByHash returns rows sorted by hash, then by position in rows.
func sortByHash(h []uint64, rows []int) hashRows {
	s := hashRows{h: make([]uint64, len(rows)), rows: make([]int32, len(rows))}
	for k, row := range rows {
		s.h[k], s.rows[k] = h[row], int32(row)
	}
	radixSort(s.h, s.rows)
	return s
}

// matches are the evaluation rows equal to a training row.
type matches struct {
	count    int
	examples []int  // a few of them, in increasing order
	pair     [2]int // the first match found: evaluation row, training row
}

// matchRows counts the rows of eval equal in cols to a row of train, both
// sorted by hash. Only rows with equal hashes are compared, and they count
// only if every value is equal, so a hash collision is never a match.
func matchRows(cols []frame.Column, train, eval hashRows) matches {
	m := matches{pair: [2]int{-1, -1}}
	t := 0
	for k, h := range eval.h {
		row := int(eval.rows[k])
		for t < len(train.h) && train.h[t] < h {
			t++
		}
		for u := t; u < len(train.h) && train.h[u] == h; u++ {
			if rowsEqual(cols, row, int(train.rows[u])) {
				m.count++
				if len(m.examples) < maxExamples {
					m.examples = append(m.examples, row)
				}
				if m.pair[0] < 0 {
					m.pair = [2]int{row, int(train.rows[u])}
				}
				break
			}
		}
	}
	slices.Sort(m.examples)
	return m
}

// rowsEqual reports whether rows i and j hold the same values in cols,
// missing equal to missing and -0 equal to 0 (as frame.RowHashes hashes).
func rowsEqual(cols []frame.Column, i, j int) bool {
	for _, col := range cols {
		switch c := col.(type) {
		case *frame.Numeric:
			v := c.Values()
			if a, b := v[i], v[j]; a != b && (a == a || b == b) {
				return false
			}
		case *frame.Categorical:
			if v := c.Codes(); v[i] != v[j] {
				return false
			}
		case *frame.Datetime:
			if v := c.Values(); v[i] != v[j] {
				return false
			}
		case *frame.Bool:
			a, aok := c.Value(i)
			b, bok := c.Value(j)
			if aok != bok || a != b {
				return false
			}
		case *frame.Text:
			a, aok := c.Value(i)
			b, bok := c.Value(j)
			if aok != bok || a != b {
				return false
			}
		}
	}
	return true
}

// checkShared finds validation and test rows whose value of the named
// column also occurs in train, and test rows whose value occurs in
// validation.
func (c *checker) checkShared(name, check, what string) []Finding {
	col := c.f.Column(name)
	k := factorize(col)
	in := make([]uint8, k.n) // parts each value occurs in
	for i, code := range k.codes {
		if code >= 0 {
			in[code] |= 1 << c.a.Parts[i]
		}
	}
	var out []Finding
	pairs := []struct{ part, other Part }{{Validation, Train}, {Test, Train}, {Test, Validation}}
	for _, pr := range pairs {
		rows := c.rowsOf[pr.part]
		count := 0
		var examples []int
		shared := make(map[int32]bool)
		var values []string
		for _, row := range rows {
			code := k.codes[row]
			if code < 0 || in[code]&(1<<pr.other) == 0 {
				continue
			}
			count++
			if len(examples) < maxExamples {
				examples = append(examples, row)
			}
			if !shared[code] {
				shared[code] = true
				if len(values) < maxValues {
					values = append(values, k.label(col, code))
				}
			}
		}
		if count == 0 {
			continue
		}
		fd := c.finding(check, name, pr.part, count, len(rows))
		fd.Rows, fd.Values = examples, values
		fd.Severity = SeverityWarning
		if pr.other == Train {
			fd.Severity = severityAbove(fd.Share)
		}
		why := fmt.Sprintf("the model is scored on %ss it has already seen", what)
		if pr.other == Validation {
			why = fmt.Sprintf("choices tuned on validation have already seen these %ss", what)
		}
		fd.Message = fmt.Sprintf("%s of %s rows (%d of %d) have %s %q values that also occur in %s (%s, for example %s at %s row %d): "+
			"%s; split by %s to keep them apart",
			pct(fd.Share), pr.part, count, len(rows), what, name, pr.other, plural(len(shared), "shared value"),
			quote(values[0]), pr.part, examples[0], why, quote(name))
		out = append(out, fd)
	}
	return out
}

// checkTimeOverlap finds validation and test rows older than the newest
// training row.
func (c *checker) checkTimeOverlap() []Finding {
	t := timeValues(c.timeCol)
	newest := math.Inf(-1)
	for _, row := range c.rowsOf[Train] {
		if v := t[row]; v == v && v > newest {
			newest = v
		}
	}
	strategy := "this split"
	if c.a.Strategy != "" {
		strategy = "a " + string(c.a.Strategy) + " split"
	}
	var out []Finding
	for _, p := range evalParts {
		count, total := 0, 0
		var examples []int
		for _, row := range c.rowsOf[p] {
			v := t[row]
			if v != v {
				continue
			}
			total++
			if v < newest {
				count++
				if len(examples) < maxExamples {
					examples = append(examples, row)
				}
			}
		}
		if count == 0 {
			continue
		}
		fd := c.finding(CheckTimeOverlap, c.roles.Time, p, count, total)
		fd.Rows = examples
		fd.Severity = SeverityWarning
		fd.Message = fmt.Sprintf("%s of time-ordered data (%q): %s of %s rows (%d of %d) are older than the newest training row, "+
			"so the model learns from the future of the rows it is scored on; a time split avoids this",
			strategy, c.roles.Time, pct(fd.Share), p, count, total)
		out = append(out, fd)
	}
	return out
}

// timeValues returns the values of a datetime or numeric column as float64,
// NaN where missing. Datetimes beyond 2^53 ns lose sub-microsecond
// precision, which no check here needs.
func timeValues(col frame.Column) []float64 {
	switch c := col.(type) {
	case *frame.Numeric:
		return c.Values()
	case *frame.Datetime:
		t := make([]float64, c.Len())
		for i, v := range c.Values() {
			if v == frame.NaT {
				t[i] = math.NaN()
			} else {
				t[i] = float64(v)
			}
		}
		return t
	}
	panic(fmt.Sprintf("split: time column of type %s", col.Type()))
}

// checkFutureFeatures finds datetime features later than the event time.
func (c *checker) checkFutureFeatures() []Finding {
	event := c.timeCol.(*frame.Datetime).Values()
	var out []Finding
	for _, j := range c.features {
		col, ok := c.f.ColumnAt(j).(*frame.Datetime)
		if !ok {
			continue
		}
		name := c.f.Name(j)
		count, total := 0, 0
		var examples []int
		for i, v := range col.Values() {
			if v == frame.NaT || event[i] == frame.NaT {
				continue
			}
			total++
			if v > event[i] {
				count++
				if len(examples) < maxExamples {
					examples = append(examples, i)
				}
			}
		}
		if count == 0 {
			continue
		}
		fd := c.finding(CheckFutureFeature, name, Part(NumParts), count, total)
		fd.Rows = examples
		fd.Severity = severityAbove(fd.Share)
		fd.Message = fmt.Sprintf("%s is later than the event time %q in %s of rows (%d of %d, for example row %d: %s after %s): "+
			"it was recorded after the event and is not known when predicting",
			name, c.roles.Time, pct(fd.Share), count, total, examples[0], col.Cell(examples[0]), c.timeCol.Cell(examples[0]))
		out = append(out, fd)
	}
	return out
}

// checkUnseenCategories finds categories of categorical and boolean
// features that validation or test hold and train does not.
func (c *checker) checkUnseenCategories() []Finding {
	var out []Finding
	for _, j := range c.features {
		col := c.f.ColumnAt(j)
		if t := col.Type(); t != frame.TypeCategorical && t != frame.TypeBool {
			continue
		}
		out = append(out, c.unseen(CheckUnseenCategory, c.f.Name(j), col, "categories of "+quote(c.f.Name(j)),
			"the model has not learned them")...)
	}
	return out
}

// checkUnseenLabels finds target labels that validation or test hold and
// train does not.
func (c *checker) checkUnseenLabels() []Finding {
	name := c.roles.Target
	return c.unseen(CheckUnseenLabel, name, c.f.Column(name), "target labels", "the model cannot predict them")
}

func (c *checker) unseen(check, name string, col frame.Column, what, why string) []Finding {
	k := factorize(col)
	seen := make([]bool, k.n)
	for _, row := range c.rowsOf[Train] {
		if code := k.codes[row]; code >= 0 {
			seen[code] = true
		}
	}
	var out []Finding
	for _, p := range evalParts {
		rows := c.rowsOf[p]
		perValue := make(map[int32]int)
		var examples []int
		for _, row := range rows {
			if code := k.codes[row]; code >= 0 && !seen[code] {
				perValue[code]++
				if len(examples) < maxExamples {
					examples = append(examples, row)
				}
			}
		}
		if len(perValue) == 0 {
			continue
		}
		codes := make([]int32, 0, len(perValue))
		count := 0
		for code, m := range perValue {
			codes = append(codes, code)
			count += m
		}
		// Most frequent first, then in value order.
		slices.SortFunc(codes, func(a, b int32) int {
			if c := cmp.Compare(perValue[b], perValue[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		fd := c.finding(check, name, p, count, len(rows))
		fd.Rows = examples
		fd.Severity = SeverityWarning
		quoted := make([]string, 0, maxValues)
		for _, code := range codes[:min(len(codes), maxValues)] {
			v := k.label(col, code)
			fd.Values = append(fd.Values, v)
			quoted = append(quoted, quote(v))
		}
		more := ""
		if len(codes) > maxValues {
			more = fmt.Sprintf(" and %d more", len(codes)-maxValues)
		}
		fd.Message = fmt.Sprintf("%d %s in %s never occur in train (%s%s), on %s of %s rows (%d of %d): %s",
			len(codes), what, p, strings.Join(quoted, ", "), more, pct(fd.Share), p, count, len(rows), why)
		out = append(out, fd)
	}
	return out
}

// finding returns a finding with its counts filled in; p out of range means
// no part.
func (c *checker) finding(check, column string, p Part, count, total int) Finding {
	fd := Finding{Check: check, Column: column, Count: count, Total: total}
	if int(p) < NumParts {
		fd.Part = p.String()
	}
	if total > 0 {
		fd.Share = float64(count) / float64(total)
	}
	return fd
}

func severityAbove(share float64) Severity {
	if share > ErrorShare {
		return SeverityError
	}
	return SeverityWarning
}

// pct formats a share as a percentage for a message, to one decimal
// without a trailing ".0": "48%", "2.5%", "<0.1%".
func pct(share float64) string {
	x := share * 100
	if x > 0 && x < 0.05 {
		return "<0.1%"
	}
	return strings.TrimSuffix(strconv.FormatFloat(x, 'f', 1, 64), ".0") + "%"
}
