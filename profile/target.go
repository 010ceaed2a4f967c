package profile

import (
	"math"
	"slices"

	"mlw.dev/frame"
)

// targetData is the target column prepared for the relations.
type targetData struct {
	cd      *colData
	task    Task
	classes []int32 // class codes with rows, in class order
	pos     int32   // positive class code of a binary target, else -1
	missing int
}

// prepareTarget builds the Target section, or returns a finding that says
// why the target cannot serve.
func prepareTarget(cd *colData) (*targetData, *Target, *Finding) {
	t := &Target{Column: cd.name, Task: cd.task, Count: cd.out.Count, Missing: cd.out.Missing, Features: []Relation{}}
	unusable := func(msg string) (*targetData, *Target, *Finding) {
		return nil, nil, &Finding{Severity: SeverityError, Check: CheckTargetUnusable, Columns: []string{cd.name}, Message: msg, Value: Float(nan)}
	}
	switch st := cd.col.Type(); {
	case st == frame.TypeText || st == frame.TypeDatetime:
		return unusable(cd.name + ": a " + st.String() + " column cannot be the target")
	case cd.task == Regression && st != frame.TypeNumeric:
		return unusable(cd.name + ": a regression target must be numeric, not " + st.String())
	case cd.task != Regression && cd.task != Classification:
		return unusable(cd.name + ": unknown task \"" + string(cd.task) + "\" (want classification or regression)")
	}
	td := &targetData{cd: cd, task: cd.task, pos: -1, missing: cd.out.Missing}
	if cd.task == Classification {
		counts := make([]int, cd.levels)
		for _, c := range cd.codes {
			if c >= 0 {
				counts[c]++
			}
		}
		for c, n := range counts {
			if n > 0 {
				td.classes = append(td.classes, int32(c))
			}
		}
		if cd.col.Type() == frame.TypeCategorical {
			slices.SortFunc(td.classes, func(a, b int32) int {
				x, y := cd.codeName(a), cd.codeName(b)
				switch {
				case x < y:
					return -1
				case x > y:
					return 1
				}
				return 0
			})
		}
		for _, c := range td.classes {
			t.Classes = append(t.Classes, ClassCount{Value: cd.codeName(c), Count: counts[c], Share: float64(counts[c]) / float64(t.Count)})
		}
		if len(td.classes) == 2 {
			td.pos = td.classes[1]
			t.Positive = cd.codeName(td.pos)
		}
	}
	return td, t, nil
}

// constant reports whether the target has fewer than two values.
func (td *targetData) constant() bool {
	if td.task == Classification {
		return len(td.classes) < 2
	}
	return td.cd.out.Distinct < 2
}

// relate measures how feature f alone relates to the target.
func (td *targetData) relate(f *colData, sc *scratch) Relation {
	rel := Relation{Column: f.name, AUC: Float(nan), MutualInfo: Float(nan), R2: Float(nan)}
	tc := td.cd.codes
	continuous := f.col.Type() == frame.TypeNumeric && !f.out.Discrete
	// Rows where both are present.
	for i, c := range f.codes {
		if c >= 0 && tc[i] >= 0 {
			rel.Rows++
		}
	}
	rel.MutualInfo = Float(mutualInfo(f.codes, f.levels, tc, td.cd.levels))
	switch {
	case td.pos >= 0 && continuous:
		rel.AUC = Float(rankAUC(f, td, sc))
	case td.pos >= 0:
		rel.AUC = Float(categoryAUC(f, td))
	case td.task == Regression && continuous:
		r, _ := pearsonPair(f.vals, td.cd.vals)
		rel.R2 = Float(r * r)
	case td.task == Regression:
		rel.R2 = Float(etaSquared(f, td))
	}
	return rel
}

// rankAUC is the Mann–Whitney form of the ROC AUC of a numeric feature,
// from average ranks over the rows where both are present.
func rankAUC(f *colData, td *targetData, sc *scratch) float64 {
	// Values of the feature on rows without a target leave the ranking.
	var t []uint32
	if td.missing > 0 {
		t = grow(&sc.ta, len(f.rank2))
		if shiftTable(t, f.rank2, td.cd.codes) == 0 {
			t = nil
		}
	}
	var n1, n0, r1 uint64
	for i, c := range td.cd.codes {
		q := f.rank2[i]
		if c < 0 || q == 0 {
			continue
		}
		if t != nil {
			q -= t[(q-1)/2]
		}
		if c == td.pos {
			n1++
			r1 += uint64(q)
		} else {
			n0++
		}
	}
	if n1 == 0 || n0 == 0 {
		return nan
	}
	// r1 is twice the rank sum of the positives.
	u2 := r1 - n1*(n1+1)
	return orient(float64(u2) / 2 / (float64(n1) * float64(n0)))
}

// categoryAUC is the ROC AUC of a discrete feature scored by the share of
// positives in each category.
func categoryAUC(f *colData, td *targetData) float64 {
	pos, neg := make([]uint64, f.levels), make([]uint64, f.levels)
	for i, c := range f.codes {
		t := td.cd.codes[i]
		if c < 0 || t < 0 {
			continue
		}
		if t == td.pos {
			pos[c]++
		} else {
			neg[c]++
		}
	}
	var order []int
	var np, nn uint64
	for c := range pos {
		if pos[c]+neg[c] > 0 {
			order = append(order, c)
			np += pos[c]
			nn += neg[c]
		}
	}
	if np == 0 || nn == 0 {
		return nan
	}
	rate := func(c int) float64 { return float64(pos[c]) / float64(pos[c]+neg[c]) }
	slices.SortStableFunc(order, func(a, b int) int {
		ra, rb := rate(a), rate(b)
		switch {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return 0
	})
	// Twice the Mann–Whitney U: each positive beats the negatives of lower
	// rate and ties with those of equal rate.
	var u2, below uint64
	for j := 0; j < len(order); {
		j1 := j + 1
		for j1 < len(order) && rate(order[j1]) == rate(order[j]) {
			j1++
		}
		var gp, gn uint64
		for _, c := range order[j:j1] {
			gp += pos[c]
			gn += neg[c]
		}
		u2 += 2*gp*below + gp*gn
		below += gn
		j = j1
	}
	return orient(float64(u2) / 2 / (float64(np) * float64(nn)))
}

func orient(auc float64) float64 { return max(auc, 1-auc) }

// etaSquared is the R² of fitting the target with one mean per category.
func etaSquared(f *colData, td *targetData) float64 {
	y := td.cd.vals
	sum, cnt := make([]float64, f.levels), make([]int, f.levels)
	var total float64
	n := 0
	for i, c := range f.codes {
		if c < 0 || !finite(y[i]) {
			continue
		}
		sum[c] += y[i]
		cnt[c]++
		total += y[i]
		n++
	}
	if n == 0 {
		return nan
	}
	for c := range sum {
		if cnt[c] > 0 {
			sum[c] /= float64(cnt[c])
		}
	}
	mean := total / float64(n)
	var sst, ssw float64
	for i, c := range f.codes {
		if c < 0 || !finite(y[i]) {
			continue
		}
		d, e := y[i]-mean, y[i]-sum[c]
		sst += d * d
		ssw += e * e
	}
	if sst == 0 {
		return nan
	}
	return 1 - ssw/sst
}

// mutualInfo returns the mutual information in nats of two code vectors
// over the rows where both are present, computed as
// sklearn.metrics.mutual_info_score computes it.
func mutualInfo(a []int32, la int, b []int32, lb int) float64 {
	t := newContingency(a, la, b, lb)
	if t.n == 0 {
		return nan
	}
	if present(t.rows) == 1 || present(t.cols) == 1 {
		return 0
	}
	fn := float64(t.n)
	logN := math.Log(fn)
	var mi float64
	for _, c := range t.cells {
		p := float64(c.n) / fn
		logOuter := -math.Log(float64(t.rows[c.x])*float64(t.cols[c.y])) + logN + logN
		term := p*(math.Log(float64(c.n))-logN) + p*logOuter
		if math.Abs(term) < 0x1p-52 {
			term = 0
		}
		mi += term
	}
	return max(mi, 0)
}
