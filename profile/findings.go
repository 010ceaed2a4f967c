package profile

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"mlw.dev/frame"
)

// findings collects findings in the order the checks run.
type findings struct {
	list []Finding
}

func (fs *findings) add(sev Severity, check string, cols []string, value float64, format string, args ...any) {
	if cols == nil {
		cols = []string{}
	}
	fs.list = append(fs.list, Finding{Severity: sev, Check: check, Columns: cols, Message: fmt.Sprintf(format, args...), Value: Float(value)})
}

// sorted returns the findings ordered by severity, errors first, keeping the
// order of the checks within a severity.
func (fs *findings) sorted() []Finding {
	out := slices.Clone(fs.list)
	if out == nil {
		out = []Finding{}
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return a.Severity.rank() - b.Severity.rank() })
	return out
}

// pct formats a share as a percentage: one decimal, or two significant
// digits below 0.1%.
func pct(share float64) string {
	v := 100 * share
	if v > 0 && v < 0.1 {
		return strconv.FormatFloat(v, 'g', 2, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "%"
}

// check runs the checks over the computed profile, in a fixed order: the
// target, the frame, each column in frame order, the pairs of columns, and
// the target relations.
func (fs *findings) check(p *Profile, cols []*colData, td *targetData) {
	t := p.Thresholds
	if td != nil {
		fs.checkTarget(p, td)
	}
	if p.Rows > 0 {
		if share := float64(p.DuplicateRows) / float64(p.Rows); share > t.Duplicates {
			fs.add(SeverityWarning, CheckDuplicateRows, nil, share,
				"%d duplicate rows (%s): rows equal to an earlier row in every column", p.DuplicateRows, pct(share))
		}
		if extra := p.DuplicateRowsIgnoringIDs; extra > p.DuplicateRows {
			if share := float64(extra) / float64(p.Rows); share > t.Duplicates {
				var ids []string
				for _, cd := range cols {
					if cd.kind == frame.KindID {
						ids = append(ids, cd.name)
					}
				}
				fs.add(SeverityWarning, CheckDuplicateRows, ids, share,
					"%d rows (%s) repeat an earlier row in every column except %s", extra, pct(share), strings.Join(ids, ", "))
			}
		}
	}
	for _, cd := range cols {
		fs.checkColumn(p, cd)
	}
	pm := p.Correlations.Pearson
	for i, a := range pm.Columns {
		for j := i + 1; j < len(pm.Columns); j++ {
			b := pm.Columns[j]
			r := float64(pm.Values[i][j])
			if p.Target != nil && (a == p.Target.Column || b == p.Target.Column) {
				continue
			}
			if math.Abs(r) >= t.Correlation {
				fs.add(SeverityWarning, CheckHighCorrelation, []string{a, b}, r,
					"%s and %s correlate at %.2f (Pearson)", a, b, r)
			}
		}
	}
	if td == nil || p.Target == nil {
		return
	}
	for _, rel := range p.Target.Features {
		if c := p.Column(rel.Column); c != nil && c.Storage != frame.TypeNumeric && c.Distinct > t.HighCardinality {
			continue // an in-sample encoding of many categories fits anything
		}
		switch {
		case float64(rel.AUC) > t.Leakage:
			fs.add(SeverityError, CheckLeakage, []string{rel.Column}, float64(rel.AUC),
				"%s alone predicts %s almost perfectly (ROC AUC %.3f): check that it is not derived from the target or recorded after it",
				rel.Column, td.cd.name, float64(rel.AUC))
		case float64(rel.R2) > t.Leakage:
			fs.add(SeverityError, CheckLeakage, []string{rel.Column}, float64(rel.R2),
				"%s alone predicts %s almost perfectly (R² %.3f): check that it is not derived from the target or recorded after it",
				rel.Column, td.cd.name, float64(rel.R2))
		}
	}
}

func (fs *findings) checkTarget(p *Profile, td *targetData) {
	name := td.cd.name
	col := []string{name}
	if td.missing > 0 {
		share := float64(td.missing) / float64(p.Rows)
		fs.add(SeverityWarning, CheckTargetMissing, col, share,
			"%s: %d rows (%s) have no target value and cannot be used for training", name, td.missing, pct(share))
	}
	if td.constant() {
		if td.cd.out.Count == 0 {
			fs.add(SeverityError, CheckTargetConstant, col, nan, "%s: the target is missing in every row", name)
		} else {
			fs.add(SeverityError, CheckTargetConstant, col, nan, "%s: the target has a single value, %q; there is nothing to learn", name, topValue(&td.cd.out))
		}
		return
	}
	cls := p.Target.Classes
	if len(cls) < 2 {
		return
	}
	lo, hi := cls[0], cls[0]
	for _, c := range cls[1:] {
		if c.Count < lo.Count {
			lo = c
		}
		if c.Count > hi.Count {
			hi = c
		}
	}
	share := float64(lo.Count) / float64(lo.Count+hi.Count)
	if share >= p.Thresholds.MinorityShare {
		return
	}
	if len(cls) == 2 {
		fs.add(SeverityWarning, CheckClassImbalance, col, share,
			"%s: the minority class %q is %s of rows (%d of %d)", name, lo.Value, pct(share), lo.Count, p.Target.Count)
		return
	}
	fs.add(SeverityWarning, CheckClassImbalance, col, share,
		"%s: the smallest class %q has %d rows against %d for %q", name, lo.Value, lo.Count, hi.Count, hi.Value)
}

func topValue(c *Column) string {
	if len(c.Top) > 0 {
		return c.Top[0].Value
	}
	return ""
}

func (fs *findings) checkColumn(p *Profile, cd *colData) {
	t := p.Thresholds
	c := &cd.out
	name := c.Name
	col := []string{name}
	target := cd.role == RoleTarget
	if c.Missing > 0 && !target {
		if share := float64(c.Missing) / float64(p.Rows); share > t.Missing {
			fs.add(SeverityWarning, CheckMissing, col, share, "%s: %s missing", name, pct(share))
		}
	}
	if c.NumericStats != nil && c.Infinite > 0 {
		fs.add(SeverityWarning, CheckInfinite, col, float64(c.Infinite)/float64(p.Rows),
			"%s: %d infinite values, left out of the statistics", name, c.Infinite)
	}
	switch {
	case c.Type == frame.KindConstant:
		p.ConstantColumns = append(p.ConstantColumns, name)
		switch {
		case target:
		case c.Count == 0:
			fs.add(SeverityWarning, CheckConstant, col, nan, "%s is empty: every value is missing", name)
		default:
			fs.add(SeverityWarning, CheckConstant, col, nan, "%s is constant: every value is %q", name, topValue(c))
		}
		return
	case c.Type == frame.KindID:
		p.IDLike = append(p.IDLike, name)
		if cd.role != RoleID {
			fs.add(SeverityWarning, CheckIDLike, col, nan,
				"%s looks like an identifier (%d distinct values in %d rows); leave it out of the features", name, c.Distinct, c.Count)
		}
		return
	}
	if c.TopShare >= t.NearConstant && len(c.Top) > 0 && !target && cd.role != RoleTime {
		p.NearConstantColumns = append(p.NearConstantColumns, name)
		fs.add(SeverityInfo, CheckNearConstant, col, c.TopShare,
			"%s is nearly constant: %s of values are %q", name, pct(c.TopShare), c.Top[0].Value)
	}
	if c.Storage == frame.TypeCategorical && c.Type == frame.KindCategorical && c.Distinct > t.HighCardinality {
		p.HighCardinality = append(p.HighCardinality, name)
		fs.add(SeverityWarning, CheckHighCardinality, col, float64(c.Distinct),
			"%s has %d distinct values (high cardinality): group rare values or use a target or hash encoding", name, c.Distinct)
	}
	if c.NumericStats == nil || c.Discrete || cd.finite == 0 || cd.role == RoleTime {
		return
	}
	if share := float64(c.Zeros) / float64(cd.finite); share > t.Zeros && !target {
		fs.add(SeverityInfo, CheckZeros, col, share, "%s: %s zeros", name, pct(share))
	}
	if s := float64(c.Skewness); math.Abs(s) > t.Skewness {
		fs.add(SeverityInfo, CheckSkewed, col, s, "%s is skewed (skewness %.2f)", name, s)
	}
	if share := float64(c.OutliersZ) / float64(cd.finite); share > t.Outliers {
		fs.add(SeverityInfo, CheckOutliers, col, share,
			"%s: %s of values are more than 3 standard deviations from the mean", name, pct(share))
	}
}
