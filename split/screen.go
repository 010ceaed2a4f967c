package split

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"mlw.dev/frame"
	"mlw.dev/metrics"
)

// minClassRows is the number of rows a class, and the rest of the rows,
// need in the screening sample for the class's one-vs-rest ROC AUC to count:
// with fewer, a random feature reaches an AUC above LeakAUC too often by
// chance.
const minClassRows = 10

// maxScoredClasses is the number of classes, the largest first, whose
// one-vs-rest ROC AUC is computed for a multiclass target; it bounds the
// work when a target has thousands of classes.
const maxScoredClasses = 20

// scoredClasses returns the classes whose one-vs-rest ROC AUC counts, given
// the rows of each class: with two classes only class 1 (its folded AUC is
// class 0's), otherwise the maxScoredClasses largest classes. A class
// counts only if it, and the other classes together, have at least
// minClassRows rows.
func scoredClasses(count []int) []int {
	n := 0
	for _, m := range count {
		n += m
	}
	ok := func(c int) bool { return count[c] >= minClassRows && n-count[c] >= minClassRows }
	if len(count) == 2 {
		if ok(1) {
			return []int{1}
		}
		return nil
	}
	var classes []int
	for c := range count {
		if ok(c) {
			classes = append(classes, c)
		}
	}
	slices.SortStableFunc(classes, func(a, b int) int { return cmp.Compare(count[b], count[a]) })
	return classes[:min(len(classes), maxScoredClasses)]
}

// screenResult is the best univariate score of one feature.
type screenResult struct {
	score  float64
	class  int    // classification: the class scored best
	method string // regression: "linear fit" or "per-category means"
}

// checkTargetLeak scores every feature alone against the target on (a
// sample of) the training rows; see Check.
func (c *checker) checkTargetLeak() []Finding {
	target := c.f.Column(c.roles.Target)
	var rows []int
	for _, row := range c.rowsOf[Train] {
		if !target.IsMissing(row) {
			rows = append(rows, row)
		}
	}
	rows = evenlySpaced(rows, MaxScreenRows)
	if len(rows) < 2*minClassRows {
		return nil
	}
	var (
		score     func(col frame.Column) screenResult
		labels    []string
		metric    = "roc_auc"
		threshold = LeakAUC
	)
	if c.task == Classification {
		k := factorize(target)
		// Number the classes present in the sample 0..K-1.
		index := make([]int32, k.n)
		for i := range index {
			index[i] = -1
		}
		y := make([]int32, len(rows))
		for i, row := range rows {
			code := k.codes[row]
			if index[code] < 0 {
				index[code] = int32(len(labels))
				labels = append(labels, "")
			}
			y[i] = index[code]
		}
		for code, ix := range index {
			if ix >= 0 {
				labels[ix] = k.label(target, int32(code))
			}
		}
		count := make([]int, len(labels))
		for _, c := range y {
			count[c]++
		}
		classes := scoredClasses(count)
		if len(classes) == 0 {
			return nil
		}
		score = func(col frame.Column) screenResult {
			if len(labels) > 2 {
				return multiclassLeak(col, rows, y, len(labels), classes)
			}
			if x, ok := numericSample(col, rows); ok {
				return aucNumeric(x, y, len(labels), classes)
			}
			return aucCategorical(codeSample(col, rows), y, classes)
		}
	} else {
		metric, threshold = "r2", LeakR2
		values := target.(*frame.Numeric).Values()
		y := make([]float64, len(rows))
		for i, row := range rows {
			y[i] = values[row]
		}
		score = func(col frame.Column) screenResult {
			if x, ok := numericSample(col, rows); ok {
				return r2Linear(x, y)
			}
			return r2Categorical(codeSample(col, rows), y)
		}
	}
	// Score the features in parallel; each is independent.
	results := make([]screenResult, len(c.features))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(c.features)) {
		wg.Go(func() {
			for k := range next {
				results[k] = score(c.f.ColumnAt(c.features[k]))
			}
		})
	}
	for k := range c.features {
		next <- k
	}
	close(next)
	wg.Wait()

	var out []Finding
	for k, j := range c.features {
		res := results[k]
		if !(res.score > threshold) {
			continue
		}
		name := c.f.Name(j)
		fd := c.finding(CheckTargetLeak, name, Train, len(rows), len(c.rowsOf[Train]))
		fd.Severity = SeverityError
		fd.Metric, fd.Score = metric, res.score
		switch {
		case c.task == Regression:
			fd.Message = fmt.Sprintf("%s alone predicts the target with R² %.3f (%s): likely leakage", name, res.score, res.method)
		case len(labels) == 2:
			fd.Message = fmt.Sprintf("%s alone predicts the target with ROC AUC %.3f: likely leakage", name, res.score)
		default:
			fd.Message = fmt.Sprintf("%s alone predicts every class of the target (one-vs-rest ROC AUC at least %.3f): likely leakage",
				name, res.score)
		}
		out = append(out, fd)
	}
	return out
}

// evenlySpaced returns rows, or max of them evenly spaced when there are
// more.
func evenlySpaced(rows []int, max int) []int {
	if len(rows) <= max {
		return rows
	}
	s := make([]int, max)
	for i := range s {
		s[i] = rows[int(int64(i)*int64(len(rows))/int64(max))]
	}
	return s
}

// numericSample returns the values of a numeric or datetime column at rows,
// NaN where missing, and false for other columns.
func numericSample(col frame.Column, rows []int) ([]float64, bool) {
	x := make([]float64, len(rows))
	switch c := col.(type) {
	case *frame.Numeric:
		v := c.Values()
		for i, row := range rows {
			x[i] = v[row]
		}
	case *frame.Datetime:
		v := c.Values()
		for i, row := range rows {
			if v[row] == frame.NaT {
				x[i] = math.NaN()
			} else {
				x[i] = float64(v[row])
			}
		}
	default:
		return nil, false
	}
	return x, true
}

// codeSample numbers the values of a categorical, boolean or text column at
// rows, missing being a value of its own.
func codeSample(col frame.Column, rows []int) []int32 {
	codes := make([]int32, len(rows))
	switch c := col.(type) {
	case *frame.Categorical:
		all := c.Codes()
		for i, row := range rows {
			codes[i] = all[row] + 1 // missing (-1) becomes 0
		}
	case *frame.Bool:
		for i, row := range rows {
			if v, ok := c.Value(row); ok {
				codes[i] = 1
				if v {
					codes[i] = 2
				}
			}
		}
	case *frame.Text:
		index := make(map[string]int32)
		for i, row := range rows {
			v, ok := c.Value(row)
			if !ok {
				continue
			}
			code, seen := index[v]
			if !seen {
				code = int32(len(index) + 1)
				index[v] = code
			}
			codes[i] = code
		}
	default:
		panic(fmt.Sprintf("split: no codes for a %s column", col.Type()))
	}
	return codes
}

// aucNumeric returns the largest one-vs-rest ROC AUC over classes (labels
// in y are 0..k-1) of scoring the rows by x, folded around 0.5 (a feature
// that ranks the class last predicts it as well as one that ranks it
// first), and the class it is reached for. Missing values (NaN) are one tied
// score, ranked below every value and then above every value, the better
// kept. The AUC is the Mann-Whitney statistic with ties counting one half,
// as metrics.ROCAUC computes it.
func aucNumeric(x []float64, y []int32, k int, classes []int) screenResult {
	n := float64(len(x))
	all := make([]float64, k)  // rows per class
	miss := make([]float64, k) // missing rows per class
	keys := make([]uint64, 0, len(x))
	class := make([]int32, 0, len(x))
	for i, v := range x {
		all[y[i]]++
		if v != v {
			miss[y[i]]++
			continue
		}
		keys = append(keys, floatKey(v))
		class = append(class, y[i])
	}
	radixSort(keys, class)
	// u[c]: over the non-missing rows, the number of (class c, other) pairs
	// ranked in order, ties counting one half.
	u := make([]float64, k)
	below := make([]float64, k)
	tie := make([]float64, k)
	var belowAll float64
	touched := make([]int32, 0, k)
	for i := 0; i < len(keys); {
		j := i
		for ; j < len(keys) && keys[j] == keys[i]; j++ {
			c := class[j]
			if tie[c] == 0 {
				touched = append(touched, c)
			}
			tie[c]++
		}
		g := float64(j - i)
		for _, c := range touched {
			u[c] += tie[c] * ((belowAll - below[c]) + 0.5*(g-tie[c]))
			below[c] += tie[c]
			tie[c] = 0
		}
		belowAll += g
		touched = touched[:0]
		i = j
	}
	var m float64 // missing rows
	for _, v := range miss {
		m += v
	}
	best := screenResult{score: math.NaN()}
	for _, c := range classes {
		pos, neg := all[c], n-all[c]
		posPresent := pos - miss[c]
		tied := 0.5 * miss[c] * (m - miss[c])
		for _, uc := range [2]float64{
			u[c] + posPresent*(m-miss[c]) + tied,     // missing ranked first
			u[c] + miss[c]*((n-m)-posPresent) + tied, // missing ranked last
		} {
			auc := uc / (pos * neg)
			auc = math.Max(auc, 1-auc)
			if math.IsNaN(best.score) || auc > best.score {
				best = screenResult{score: auc, class: c}
			}
		}
	}
	return best
}

type cell struct {
	score    float64
	pos, neg float64
}

// aucCategorical returns the largest one-vs-rest ROC AUC over classes,
// folded around 0.5, of scoring each row by the rate of the class among the
// rows of its category, and the class it is reached for. The rates are
// cross-fitted: rows at even positions are scored with the rates of the
// rows at odd positions and the other way round, and a category absent from
// the other half scores that half's overall class rate.
func aucCategorical(codes []int32, y []int32, classes []int) screenResult {
	m := int(slices.Max(codes)) + 1
	var tot [2][]float64 // rows per category in each half
	var n [2]float64     // rows in each half
	for h := range 2 {
		tot[h] = make([]float64, m)
	}
	for i, code := range codes {
		tot[i&1][code]++
		n[i&1]++
	}
	best := screenResult{score: math.NaN()}
	var cnt [2][]float64 // rows of class c per category in each half
	for h := range 2 {
		cnt[h] = make([]float64, m)
	}
	var cells []cell
	for _, c := range classes {
		var classIn [2]float64
		for h := range 2 {
			clear(cnt[h])
		}
		for i, code := range codes {
			if y[i] == int32(c) {
				cnt[i&1][code]++
				classIn[i&1]++
			}
		}
		cells = cells[:0]
		for h := range 2 {
			o := 1 - h
			prior := cell{score: classIn[o] / n[o]} // categories unseen in the other half
			for code := range m {
				if tot[h][code] == 0 {
					continue
				}
				pos := cnt[h][code]
				neg := tot[h][code] - pos
				if tot[o][code] == 0 {
					prior.pos += pos
					prior.neg += neg
					continue
				}
				cells = append(cells, cell{score: cnt[o][code] / tot[o][code], pos: pos, neg: neg})
			}
			if prior.pos+prior.neg > 0 {
				cells = append(cells, prior)
			}
		}
		auc := aucCells(cells)
		auc = math.Max(auc, 1-auc)
		if math.IsNaN(best.score) || auc > best.score {
			best = screenResult{score: auc, class: c}
		}
	}
	return best
}

// aucCells returns the ROC AUC of cells of tied rows: the share of
// (positive, negative) pairs in which the positive scores higher, ties
// counting one half.
func aucCells(cells []cell) float64 {
	slices.SortFunc(cells, func(a, b cell) int { return cmp.Compare(a.score, b.score) })
	var u, negBelow, pos, neg float64
	for i := 0; i < len(cells); {
		var gp, gn float64
		j := i
		for ; j < len(cells) && cells[j].score == cells[i].score; j++ {
			gp += cells[j].pos
			gn += cells[j].neg
		}
		u += gp * (negBelow + 0.5*gn)
		negBelow += gn
		pos += gp
		neg += gn
		i = j
	}
	return u / (pos * neg)
}

// r2Linear returns the R² of predicting y by a least-squares line in x over
// the rows where x is finite, and by the mean of y over the other rows.
func r2Linear(x, y []float64) screenResult {
	var n, mx, my, nOut, myOut float64
	for i, v := range x {
		if isFinite(v) {
			n++
			mx += v
			my += y[i]
		} else {
			nOut++
			myOut += y[i]
		}
	}
	if n > 0 {
		mx /= n
		my /= n
	}
	if nOut > 0 {
		myOut /= nOut
	}
	var sxx, sxy float64
	for i, v := range x {
		if isFinite(v) {
			dx := v - mx
			sxx += dx * dx
			sxy += dx * (y[i] - my)
		}
	}
	slope := 0.0
	if sxx > 0 {
		slope = sxy / sxx
	}
	pred := make([]float64, len(x))
	for i, v := range x {
		if isFinite(v) {
			pred[i] = my + slope*(v-mx)
		} else {
			pred[i] = myOut
		}
	}
	return screenResult{score: metrics.R2(y, pred, nil), method: "linear fit"}
}

// r2Categorical returns the R² of predicting y by the mean of y over the
// rows of the same category, cross-fitted as in aucCategorical: a category
// absent from the other half predicts that half's mean.
func r2Categorical(codes []int32, y []float64) screenResult {
	m := int(slices.Max(codes)) + 1
	var sum, cnt [2][]float64
	var sumAll, n [2]float64
	for h := range 2 {
		sum[h], cnt[h] = make([]float64, m), make([]float64, m)
	}
	for i, code := range codes {
		h := i & 1
		sum[h][code] += y[i]
		cnt[h][code]++
		sumAll[h] += y[i]
		n[h]++
	}
	pred := make([]float64, len(codes))
	for i, code := range codes {
		o := 1 - i&1
		switch {
		case cnt[o][code] > 0:
			pred[i] = sum[o][code] / cnt[o][code]
		case n[o] > 0:
			pred[i] = sumAll[o] / n[o]
		}
	}
	return screenResult{score: metrics.R2(y, pred, nil), method: "per-category means"}
}

// multiclassLeak scores a feature against a multiclass target by its weakest
// class: a feature leaks the target only when it alone separates every class
// from the rest, not when one class is naturally separable (iris setosa by
// petal length). Each class scores the better of the feature's own order
// (numeric features) and its cross-fitted per-bin class rates (numeric
// features cut into quantile bins, so that a coded copy of the label, whose
// middle classes no single threshold separates, still scores perfectly).
func multiclassLeak(col frame.Column, rows []int, y []int32, k int, classes []int) screenResult {
	x, numeric := numericSample(col, rows)
	var codes []int32
	if numeric {
		codes = quantileBins(x, leakBins)
	} else {
		codes = codeSample(col, rows)
	}
	worst := screenResult{score: math.NaN()}
	for _, c := range classes {
		one := []int{c}
		r := aucCategorical(codes, y, one)
		if numeric {
			if m := aucNumeric(x, y, k, one); m.score > r.score || math.IsNaN(r.score) {
				r = m
			}
		}
		if math.IsNaN(r.score) {
			continue
		}
		if math.IsNaN(worst.score) || r.score < worst.score {
			worst = screenResult{score: r.score, class: c}
		}
	}
	return worst
}

// leakBins is the number of quantile bins of a numeric feature scored
// against a multiclass target.
const leakBins = 20

// quantileBins numbers values by their quantile bin (equal-count bins over
// the distinct values; at most bins codes) with NaN as one more code.
func quantileBins(x []float64, bins int) []int32 {
	sorted := make([]float64, 0, len(x))
	for _, v := range x {
		if v == v {
			sorted = append(sorted, v)
		}
	}
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	codes := make([]int32, len(x))
	nb := min(bins, len(sorted))
	for i, v := range x {
		if v != v {
			codes[i] = int32(nb)
			continue
		}
		pos, _ := slices.BinarySearch(sorted, v)
		codes[i] = int32(pos * nb / len(sorted))
	}
	return codes
}
