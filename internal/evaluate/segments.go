package evaluate

import (
	"math"
	"slices"

	"mlw.dev/internal/train"
)

// SegmentGap says how segments are compared with the overall figure.
type SegmentGap struct {
	// Metric is the primary metric.
	Metric string `json:"metric"`
	// Overall is its value on every row.
	Overall Float `json:"overall"`
	// MaxGap is the largest tolerated gap.
	MaxGap float64 `json:"max_gap"`
	// Relative is true when gaps are relative to Overall, (worse −
	// overall) / |overall|, as for metrics without an upper bound (rmse,
	// log_loss); otherwise they are absolute differences.
	Relative bool `json:"relative"`
}

// Segment is the model's performance on the rows of one group of a segment
// or sensitive column.
type Segment struct {
	Column    string    `json:"column"`
	Sensitive bool      `json:"sensitive,omitempty"`
	Condition Condition `json:"condition"`
	// Segment describes the group, e.g. "region = north".
	Segment string  `json:"segment"`
	Rows    int     `json:"rows"`
	Share   float64 `json:"share"` // of all rows
	// Metrics are the task's metrics defined on the segment's rows.
	Metrics map[string]float64 `json:"metrics"`
	// Primary is the primary metric, null when undefined on the segment.
	Primary Float `json:"primary"`
	// Gap is how much worse the segment is than overall, in the direction
	// of the metric (positive: worse); see SegmentGap.
	Gap Float `json:"gap"`
	// Flagged is set when Gap exceeds the maximum and the segment is not
	// Small.
	Flagged bool `json:"flagged"`
	// Small marks segments with fewer than Options.MinRows rows.
	Small bool `json:"small,omitempty"`
}

// Fairness holds the fairness figures of one sensitive column of a binary
// task, over the groups whose Included is set.
type Fairness struct {
	Column string          `json:"column"`
	Groups []FairnessGroup `json:"groups"`
	// DemographicParityDifference is max − min of the positive rates.
	DemographicParityDifference Float `json:"demographic_parity_difference"`
	// DemographicParityRatio is min / max of the positive rates.
	DemographicParityRatio Float `json:"demographic_parity_ratio"`
	// EqualizedOddsDifference is the larger of the ranges (max − min) of the
	// true positive rates and of the false positive rates.
	EqualizedOddsDifference Float `json:"equalized_odds_difference"`
	// Flagged is set when either difference exceeds MaxGap.
	MaxGap  float64 `json:"max_gap"`
	Flagged bool    `json:"flagged"`
}

// FairnessGroup holds the rates of one group of a sensitive column.
type FairnessGroup struct {
	Group string `json:"group"`
	Rows  int    `json:"rows"`
	// PositiveRate is the share of rows predicted positive (selection rate).
	PositiveRate Float `json:"positive_rate"`
	// TruePositiveRate is recall on the group, null without positives;
	// FalsePositiveRate, null without negatives.
	TruePositiveRate  Float `json:"true_positive_rate"`
	FalsePositiveRate Float `json:"false_positive_rate"`
	// Included is set for groups counted in the figures: at least
	// Options.MinRows rows, and not the bucket of infrequent categories.
	Included bool `json:"included"`
}

// segmentColumns returns the segment columns followed by the sensitive ones
// not already listed.
func (e *evaluation) segmentColumns() []string {
	cols := slices.Clone(e.in.Segments)
	for _, c := range e.in.Sensitive {
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	return cols
}

// segments fills SegmentGap and Segments.
func (e *evaluation) segments() {
	r, info := e.r, e.info
	overall, ok := r.Metrics[r.PrimaryMetric]
	if !ok {
		overall = math.NaN()
	}
	gap := SegmentGap{Metric: r.PrimaryMetric, Overall: Float(overall), MaxGap: e.in.MaxSegmentGap,
		Relative: math.IsInf(info.Max, 1)}
	if gap.MaxGap == 0 {
		gap.MaxGap = DefaultMaxSegmentGap
	}
	r.SegmentGap = gap
	for _, col := range e.segmentColumns() {
		g, _ := groupBy(col, e.in.Rows.Column(col), e.opts)
		for k, rows := range g.members() {
			if len(rows) == 0 {
				continue
			}
			y := make([]float64, len(rows))
			for i, row := range rows {
				y[i] = e.in.Target[row]
			}
			m := finiteOnly(train.Score(e.in.Task, y, subset(e.pred, rows)))
			s := Segment{Column: col, Sensitive: slices.Contains(e.in.Sensitive, col), Condition: g.groups[k].cond,
				Segment: g.groups[k].cond.String(), Rows: len(rows), Share: float64(len(rows)) / float64(e.n),
				Metrics: m, Primary: Float(math.NaN()), Gap: Float(math.NaN()), Small: len(rows) < e.opts.MinRows}
			if v, ok := m[r.PrimaryMetric]; ok {
				s.Primary = Float(v)
				d := overall - v
				if !info.HigherIsBetter {
					d = v - overall
				}
				if gap.Relative {
					d /= math.Abs(overall)
				}
				if finite(d) {
					s.Gap = Float(d)
					s.Flagged = !s.Small && d > gap.MaxGap
				}
			}
			r.Segments = append(r.Segments, s)
		}
	}
}

// fairness fills Fairness for each sensitive column (binary tasks).
func (e *evaluation) fairness() {
	maxGap := e.r.SegmentGap.MaxGap
	for _, col := range e.in.Sensitive {
		g, _ := groupBy(col, e.in.Rows.Column(col), e.opts)
		f := fairnessOf(g, e.y, e.pred.Codes, e.opts.MinRows)
		f.Column, f.MaxGap = col, maxGap
		f.Flagged = float64(f.DemographicParityDifference) > maxGap || float64(f.EqualizedOddsDifference) > maxGap
		e.r.Fairness = append(e.r.Fairness, f)
	}
}

// fairnessOf computes the rates of each group and the fairness figures over
// the testable groups. Labels and predictions are 0 or 1.
func fairnessOf(g grouping, y, pred []int, minRows int) Fairness {
	type counts struct{ rows, predPos, pos, tp, neg, fp int }
	c := make([]counts, len(g.groups))
	for i, k := range g.ids {
		c[k].rows++
		c[k].predPos += pred[i]
		if y[i] == 1 {
			c[k].pos++
			c[k].tp += pred[i]
		} else {
			c[k].neg++
			c[k].fp += pred[i]
		}
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return float64(a) / float64(b)
	}
	var f Fairness
	var sel, tpr, fpr []float64
	for k, gr := range g.groups {
		fg := FairnessGroup{Group: gr.cond.String(), Rows: c[k].rows,
			PositiveRate: Float(ratio(c[k].predPos, c[k].rows)), TruePositiveRate: Float(ratio(c[k].tp, c[k].pos)),
			FalsePositiveRate: Float(ratio(c[k].fp, c[k].neg)), Included: gr.testable(minRows)}
		f.Groups = append(f.Groups, fg)
		if !fg.Included {
			continue
		}
		sel = append(sel, float64(fg.PositiveRate))
		if c[k].pos > 0 {
			tpr = append(tpr, float64(fg.TruePositiveRate))
		}
		if c[k].neg > 0 {
			fpr = append(fpr, float64(fg.FalsePositiveRate))
		}
	}
	f.DemographicParityDifference, f.DemographicParityRatio = Float(math.NaN()), Float(math.NaN())
	f.EqualizedOddsDifference = Float(math.NaN())
	if len(sel) >= 2 {
		lo, hi := slices.Min(sel), slices.Max(sel)
		f.DemographicParityDifference = Float(hi - lo)
		if hi > 0 {
			f.DemographicParityRatio = Float(lo / hi)
		}
	}
	spread := func(x []float64) float64 {
		if len(x) < 2 {
			return math.NaN()
		}
		return slices.Max(x) - slices.Min(x)
	}
	switch dt, df := spread(tpr), spread(fpr); {
	case math.IsNaN(dt):
		f.EqualizedOddsDifference = Float(df)
	case math.IsNaN(df):
		f.EqualizedOddsDifference = Float(dt)
	default:
		f.EqualizedOddsDifference = Float(max(dt, df))
	}
	return f
}
