package profile

import (
	"math"
	"slices"
	"sort"
	"time"

	"mlw.dev/frame"
	"mlw.dev/internal/stats"
)

// colData is the state of one column between the phases of Compute.
type colData struct {
	name string
	col  frame.Column
	kind frame.Kind
	role Role
	out  Column

	// Numeric storage.
	vals   []float64
	finite int     // number of finite values
	mean   float64 // mean of the finite values
	// rank2 holds twice the average rank of each finite value among the
	// finite values (an integer), and 0 for missing and infinite values.
	// Set for the columns in the correlations or the target relations.
	rank2 []uint32

	// codes are category codes in [0, levels), -1 where missing: the
	// categories of discrete columns, the equal-frequency bins of numeric
	// features for the mutual information, the classes of a classification
	// target. nil when no statistic needs them.
	codes  []int32
	levels int
	// codeName names a code (classes of the target, categories).
	codeName func(code int32) string

	// task is the task of the target column.
	task Task
}

// corrCandidate reports whether the column enters the correlation matrices:
// numeric storage of kind numeric or boolean, not an id or time column.
func (cd *colData) corrCandidate() bool {
	return cd.col.Type() == frame.TypeNumeric &&
		(cd.kind == frame.KindNumeric || cd.kind == frame.KindBoolean) &&
		(cd.role == "" || cd.role == RoleTarget)
}

// featureCandidate reports whether the column is related to the target.
func (cd *colData) featureCandidate() bool {
	return cd.role == "" &&
		(cd.kind == frame.KindNumeric || cd.kind == frame.KindBoolean || cd.kind == frame.KindCategorical) &&
		cd.col.Type() != frame.TypeText && cd.col.Type() != frame.TypeDatetime
}

// associationCandidate reports whether the column enters Cramér's V.
func (cd *colData) associationCandidate() bool {
	return cd.out.Discrete && cd.codes != nil && cd.role != RoleID && cd.role != RoleTime &&
		(cd.kind == frame.KindCategorical || cd.kind == frame.KindBoolean || cd.kind == frame.KindNumeric)
}

// scratch is per-worker memory reused across columns.
type scratch struct {
	keys, tk []uint64
	idx, ti  []uint32
	sorted   []float64
	ta, tb   []uint32 // shift tables
	sa, sb   []uint16 // 16-bit shift tables
}

func (s *scratch) sortBuffers(n int) {
	if cap(s.keys) < n {
		s.keys, s.tk = make([]uint64, n), make([]uint64, n)
		s.idx, s.ti = make([]uint32, n), make([]uint32, n)
		s.sorted = make([]float64, n)
	}
}

// need says what a column's later phases require.
type need struct {
	ranks bool // correlations or target relations over ranks
	mi    bool // mutual information codes
	// target: the column is the target, with this task (empty: infer).
	target bool
	task   Task
}

// compute fills cd.out and the working state for the column.
func (cd *colData) compute(rows, bins int, nd need, sc *scratch) {
	cd.out = Column{Name: cd.name, Type: cd.kind, Storage: cd.col.Type(), Role: cd.role}
	miss := cd.col.NumMissing()
	cd.out.Missing = miss
	cd.out.Count = rows - miss
	if rows > 0 {
		cd.out.MissingPct = 100 * float64(miss) / float64(rows)
	}
	switch c := cd.col.(type) {
	case *frame.Numeric:
		cd.numeric(c, bins, nd, sc)
	case *frame.Categorical:
		cd.categorical(c, nd)
	case *frame.Bool:
		cd.boolean(c, nd)
	case *frame.Datetime:
		cd.datetime(c, sc)
	case *frame.Text:
		cd.text(c)
	}
	if cd.kind == frame.KindID {
		cd.out.Top = nil
		cd.out.TopShare = 0
	}
}

// topList keeps the k most frequent values seen, most frequent first. Offers
// must come in ascending value order, unless byString, in which case ties go
// to the smaller string.
type topList struct {
	k        int
	byString bool
	items    []topItem
}

type topItem struct {
	count int
	ref   int
	s     string
}

func (t *topList) offer(it topItem) {
	if len(t.items) == t.k {
		last := t.items[t.k-1]
		if it.count < last.count || it.count == last.count && (!t.byString || it.s >= last.s) {
			return
		}
	}
	pos := len(t.items)
	for pos > 0 {
		p := t.items[pos-1]
		if p.count > it.count || p.count == it.count && (!t.byString || p.s < it.s) {
			break
		}
		pos--
	}
	t.items = slices.Insert(t.items, pos, it)
	if len(t.items) > t.k {
		t.items = t.items[:t.k]
	}
}

func (t *topList) values(name func(topItem) string) []ValueCount {
	out := make([]ValueCount, len(t.items))
	for i, it := range t.items {
		out[i] = ValueCount{Value: name(it), Count: it.count}
	}
	return out
}

func (cd *colData) setTopShare(mode int) {
	if cd.out.Count > 0 {
		cd.out.TopShare = float64(mode) / float64(cd.out.Count)
	}
}

func (cd *colData) numeric(c *frame.Numeric, bins int, nd need, sc *scratch) {
	vals := c.Values()
	cd.vals = vals
	n := len(vals)
	sc.sortBuffers(n)
	keys, idx := sc.keys[:n], sc.idx[:n]
	m := 0
	var posInf, negInf int
	for i, v := range vals {
		switch {
		case v != v:
			continue
		case v > math.MaxFloat64:
			posInf++
			continue
		case v < -math.MaxFloat64:
			negInf++
			continue
		case v == 0:
			v = 0
		}
		keys[m] = floatKey(v)
		idx[m] = uint32(i)
		m++
	}
	keys, idx = radixSort(keys[:m], idx[:m], sc.tk, sc.ti)
	s := sc.sorted[:m]
	for j, k := range keys {
		s[j] = keyFloat(k)
	}
	cd.finite = m
	st := &NumericStats{Infinite: posInf + negInf, Mean: Float(nan), Std: Float(nan), Min: Float(nan),
		Max: Float(nan), Skewness: Float(nan), Quantiles: Quantiles{Float(nan), Float(nan), Float(nan), Float(nan), Float(nan)}}
	cd.out.NumericStats = st

	// Runs of equal values: distinct values, integrality.
	distinct := 0
	integers := true
	for j := 0; j < m; {
		j1 := j + 1
		for j1 < m && s[j1] == s[j] {
			j1++
		}
		distinct++
		if integers && s[j] != math.Trunc(s[j]) {
			integers = false
		}
		j = j1
	}
	cd.out.Distinct = distinct + min(posInf, 1) + min(negInf, 1)
	cd.out.Discrete = cd.out.Distinct <= DiscreteMaxDistinct && cd.kind != frame.KindID && cd.kind != frame.KindText

	if nd.target {
		cd.task = nd.task
		if cd.task == "" {
			cd.task = Regression
			if integers && distinct <= ClassMaxDistinct {
				cd.task = Classification
			}
		}
	}

	// Codes: run index for discrete columns and classification targets,
	// equal-frequency bins for the mutual information otherwise.
	runCodes := cd.out.Discrete || nd.target && cd.task == Classification
	var edges []float64
	switch {
	case runCodes:
		cd.levels = distinct
	case nd.mi && distinct <= MIBins:
		runCodes = true
		cd.levels = distinct
	case nd.mi:
		cd.levels = MIBins
		edges = make([]float64, MIBins-1)
		for k := range edges {
			edges[k] = stats.Quantile(s, float64(k+1)/MIBins)
		}
	}
	if runCodes || edges != nil {
		cd.codes = make([]int32, n)
		for i := range cd.codes {
			cd.codes[i] = -1
		}
	}
	var names []string
	if runCodes {
		names = make([]string, 0, distinct)
	}
	if nd.ranks {
		cd.rank2 = make([]uint32, n)
	}

	top := topList{k: TopK}
	minCount := 2
	if cd.out.Discrete {
		minCount = 1
	}
	mode, zeros, run, bin := 0, 0, int32(0), int32(0)
	for j := 0; j < m; {
		v := s[j]
		j1 := j + 1
		for j1 < m && s[j1] == v {
			j1++
		}
		cnt := j1 - j
		mode = max(mode, cnt)
		if v == 0 {
			zeros = cnt
		}
		if cnt >= minCount {
			top.offer(topItem{count: cnt, ref: int(idx[j])})
		}
		if cd.rank2 != nil {
			r := uint32(j + 1 + j1)
			for _, i := range idx[j:j1] {
				cd.rank2[i] = r
			}
		}
		switch {
		case runCodes:
			names = append(names, c.Cell(int(idx[j])))
			for _, i := range idx[j:j1] {
				cd.codes[i] = run
			}
		case edges != nil:
			for int(bin) < len(edges) && edges[bin] < v {
				bin++
			}
			for _, i := range idx[j:j1] {
				cd.codes[i] = bin
			}
		}
		run++
		j = j1
	}
	if posInf > 0 {
		mode = max(mode, posInf)
	}
	if negInf > 0 {
		mode = max(mode, negInf)
	}
	if runCodes {
		cd.codeName = func(code int32) string { return names[code] }
	}
	cd.out.Top = top.values(func(it topItem) string { return c.Cell(it.ref) })
	cd.setTopShare(mode)
	st.Zeros = zeros
	if m == 0 {
		return
	}

	// Moments, by the corrected two-pass algorithm.
	var sum float64
	for _, x := range s {
		sum += x
	}
	fm := float64(m)
	mean := sum / fm
	if s[0] == s[m-1] {
		mean = s[0]
	}
	var dsum, m2, m3 float64
	for _, x := range s {
		d := x - mean
		d2 := d * d
		dsum += d
		m2 += d2
		m3 += d2 * d
	}
	cd.mean = mean
	st.Mean = Float(mean)
	st.Min, st.Max = Float(s[0]), Float(s[m-1])
	if m >= 2 {
		ss := max(m2-dsum*dsum/fm, 0)
		st.Std = Float(math.Sqrt(ss / (fm - 1)))
	}
	if m2m := m2 / fm; m >= 3 && m2m > (1e-15*mean)*(1e-15*mean) {
		g1 := (m3 / fm) / math.Pow(m2m, 1.5)
		st.Skewness = Float(g1 * math.Sqrt(fm*(fm-1)) / (fm - 2))
	}

	q1, q3 := stats.Quantile(s, 0.25), stats.Quantile(s, 0.75)
	st.Quantiles = Quantiles{Float(stats.Quantile(s, 0.05)), Float(q1), Float(stats.Quantile(s, 0.5)), Float(q3), Float(stats.Quantile(s, 0.95))}
	iqr := q3 - q1
	lo, hi := q1-1.5*iqr, q3+1.5*iqr
	st.OutliersIQR = lowerBound(s, lo) + m - upperBound(s, hi)
	if std := float64(st.Std); std > 0 {
		below := sort.Search(m, func(j int) bool { return (s[j]-mean)/std >= -3 })
		above := sort.Search(m, func(j int) bool { return (s[j]-mean)/std > 3 })
		st.OutliersZ = below + m - above
	}
	st.Histogram = histogram(s, bins)
}

// lowerBound returns the number of values of the sorted s below v.
func lowerBound(s []float64, v float64) int {
	return sort.Search(len(s), func(j int) bool { return s[j] >= v })
}

// upperBound returns the number of values of the sorted s at most v.
func upperBound(s []float64, v float64) int {
	return sort.Search(len(s), func(j int) bool { return s[j] > v })
}

// histogram bins the sorted, non-empty s as numpy.histogram(s, bins).
func histogram(s []float64, bins int) *Histogram {
	first, last := s[0], s[len(s)-1]
	if first == last {
		first, last = first-0.5, last+0.5
	}
	// numpy.linspace(first, last, bins+1).
	edges := make([]float64, bins+1)
	delta := last - first
	step := delta / float64(bins)
	for i := range edges {
		if step == 0 {
			edges[i] = float64(i)/float64(bins)*delta + first
		} else {
			edges[i] = float64(i)*step + first
		}
	}
	edges[bins] = last
	counts := make([]int, bins)
	prev := 0
	for i := range bins - 1 {
		next := lowerBound(s, edges[i+1])
		counts[i] = next - prev
		prev = next
	}
	counts[bins-1] = len(s) - prev
	return &Histogram{Edges: edges, Counts: counts}
}

func (cd *colData) categorical(c *frame.Categorical, nd need) {
	codes, cats := c.Codes(), c.Categories()
	counts := make([]int, len(cats))
	for _, k := range codes {
		if k >= 0 {
			counts[k]++
		}
	}
	order := make([]int, len(cats))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case cats[a] < cats[b]:
			return -1
		case cats[a] > cats[b]:
			return 1
		}
		return 0
	})
	top := topList{k: TopK}
	mode := 0
	for _, k := range order {
		if counts[k] == 0 {
			continue
		}
		cd.out.Distinct++
		mode = max(mode, counts[k])
		top.offer(topItem{count: counts[k], ref: k})
	}
	cd.out.Top = top.values(func(it topItem) string { return cats[it.ref] })
	cd.setTopShare(mode)
	cd.out.Discrete = cd.kind != frame.KindID && cd.kind != frame.KindText
	if cd.out.Discrete || nd.target {
		cd.codes, cd.levels = codes, len(cats)
		cd.codeName = func(code int32) string { return cats[code] }
	}
	if nd.target {
		cd.task = orTask(nd.task, Classification)
	}
}

func orTask(t, def Task) Task {
	if t == "" {
		return def
	}
	return t
}

func (cd *colData) boolean(c *frame.Bool, nd need) {
	n := c.Len()
	codes := make([]int32, n)
	var counts [2]int
	for i := range n {
		v, ok := c.Value(i)
		switch {
		case !ok:
			codes[i] = -1
		case v:
			codes[i] = 1
			counts[1]++
		default:
			counts[0]++
		}
	}
	top := topList{k: TopK}
	names := [2]string{"false", "true"}
	for k, cnt := range counts {
		if cnt > 0 {
			cd.out.Distinct++
			top.offer(topItem{count: cnt, ref: k})
		}
	}
	cd.out.Top = top.values(func(it topItem) string { return names[it.ref] })
	cd.setTopShare(max(counts[0], counts[1]))
	cd.out.Discrete = cd.kind != frame.KindID && cd.kind != frame.KindText
	cd.codes, cd.levels = codes, 2
	cd.codeName = func(code int32) string { return names[code] }
	if nd.target {
		cd.task = orTask(nd.task, Classification)
	}
}

func (cd *colData) datetime(c *frame.Datetime, sc *scratch) {
	vals := c.Values()
	n := len(vals)
	sc.sortBuffers(n)
	keys, idx := sc.keys[:n], sc.idx[:n]
	m := 0
	for i, v := range vals {
		if v == frame.NaT {
			continue
		}
		keys[m] = uint64(v) ^ 1<<63
		idx[m] = uint32(i)
		m++
	}
	keys, idx = radixSort(keys[:m], idx[:m], sc.tk, sc.ti)
	st := &DatetimeStats{}
	cd.out.DatetimeStats = st
	top := topList{k: TopK}
	mode := 0
	for j := 0; j < m; {
		j1 := j + 1
		for j1 < m && keys[j1] == keys[j] {
			j1++
		}
		cd.out.Distinct++
		mode = max(mode, j1-j)
		if j1-j >= 2 {
			top.offer(topItem{count: j1 - j, ref: int(idx[j])})
		}
		j = j1
	}
	if m > 0 {
		st.Earliest = time.Unix(0, int64(keys[0]^1<<63)).UTC()
		st.Latest = time.Unix(0, int64(keys[m-1]^1<<63)).UTC()
	}
	cd.out.Top = top.values(func(it topItem) string { return c.Cell(it.ref) })
	cd.setTopShare(mode)
}

func (cd *colData) text(c *frame.Text) {
	counts := make(map[string]int)
	for i := range c.Len() {
		if v, ok := c.Value(i); ok {
			counts[v]++
		}
	}
	top := topList{k: TopK, byString: true}
	mode := 0
	for v, cnt := range counts {
		mode = max(mode, cnt)
		top.offer(topItem{count: cnt, s: v})
	}
	cd.out.Distinct = len(counts)
	cd.out.Top = top.values(func(it topItem) string { return it.s })
	cd.setTopShare(mode)
}
