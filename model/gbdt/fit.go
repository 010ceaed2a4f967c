package gbdt

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"

	"mlw.dev/model"
)

// Random streams of a fit, one per kind of choice.
const (
	streamBinning = iota + 1
	streamValidation
	streamRows
	streamCols
)

// rowSet is a set of rows of a matrix: rows[i] is the i-th, or i itself when
// rows is nil.
type rowSet struct {
	X    model.Matrix
	rows []int32
}

func (s rowSet) len() int {
	if s.rows == nil {
		return s.X.Rows
	}
	return len(s.rows)
}

func (s rowSet) row(i int) []float64 {
	if s.rows != nil {
		i = int(s.rows[i])
	}
	return s.X.Data[i*s.X.Cols : (i+1)*s.X.Cols]
}

// dataset is the training or validation part of a problem.
type dataset struct {
	rowSet
	y, w []float64 // w nil means all 1
	sw   float64   // sum of weights
}

func newDataset(p *model.Problem, rows []int32) *dataset {
	d := &dataset{rowSet: rowSet{X: p.X, rows: rows}}
	n := d.len()
	if rows == nil {
		d.y = p.Y
		d.w = p.Weights
	} else {
		d.y = make([]float64, n)
		for i, r := range rows {
			d.y[i] = p.Y[r]
		}
		if p.Weights != nil {
			d.w = make([]float64, n)
			for i, r := range rows {
				d.w[i] = p.Weights[r]
			}
		}
	}
	d.sw = float64(n)
	if d.w != nil {
		d.sw = 0
		for _, v := range d.w {
			d.sw += v
		}
	}
	return d
}

// Fit learns the trees from p, replacing any previous fit. It returns an
// error when the Config is invalid, p is malformed, the loss does not suit
// the task, a categorical feature has codes out of range or more categories
// than max_bins, a weight is negative or not finite, or a target is not
// finite; it returns ctx.Err() when ctx is cancelled (checked every
// iteration). On error the model keeps its previous fit.
func (m *Model) Fit(ctx context.Context, p *model.Problem) error {
	cfg := m.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	// Validate checks the validation data too, weights and regression
	// targets included; the validation data may leave Task and Features
	// unset.
	if err := p.Validate(); err != nil {
		return err
	}
	loss := cfg.Loss
	switch {
	case loss == LossAuto && p.Task.IsClassification():
		loss = LossLogLoss
	case loss == LossAuto:
		loss = LossSquaredError
	case loss == LossLogLoss && !p.Task.IsClassification():
		return fmt.Errorf("loss log_loss needs a classification task, not %s", p.Task)
	case loss != LossLogLoss && p.Task.IsClassification():
		return fmt.Errorf("loss %s needs a regression task, not %s", loss, p.Task)
	}
	nOut := 1
	if p.Task == model.MulticlassClassification {
		nOut = p.Classes
	}
	cats, err := categories(p, cfg.MaxBins)
	if err != nil {
		return err
	}
	mon := m.monitor
	if mon != nil && mon.OnIteration == nil {
		mon = nil
	}
	if mon != nil && mon.X.Rows > 0 && (mon.X.Cols != p.X.Cols || len(mon.X.Data) != mon.X.Rows*mon.X.Cols) {
		return fmt.Errorf("the monitored rows have %d columns, the training data %d", mon.X.Cols, p.X.Cols)
	}
	// More goroutines than processors would only wait for each other.
	jobs := runtime.GOMAXPROCS(0)
	if cfg.NJobs > 0 {
		jobs = min(cfg.NJobs, jobs)
	}
	w := newWorkers(jobs)
	defer w.close()

	// Training and validation rows.
	early := cfg.EarlyStopping == EarlyStoppingOn ||
		cfg.EarlyStopping == EarlyStoppingAuto && p.X.Rows > earlyStoppingAutoRows
	var train, valid *dataset
	switch {
	case p.Valid != nil:
		train, valid = newDataset(p, nil), newDataset(p.Valid, nil)
	case early:
		tr, va := validationSplit(p, cfg.ValidationFraction, newRNG(cfg.Seed, streamValidation))
		if len(tr) == 0 || len(va) == 0 {
			return fmt.Errorf("%d rows are too few to hold out a validation fraction of %g for early stopping", p.X.Rows, cfg.ValidationFraction)
		}
		train, valid = newDataset(p, tr), newDataset(p, va)
	default:
		train = newDataset(p, nil)
	}
	if !(train.sw > 0) {
		return fmt.Errorf("the training weights sum to %g, want > 0", train.sw)
	}
	if valid != nil && !(valid.sw > 0) {
		return fmt.Errorf("the validation weights sum to %g, want > 0", valid.sw)
	}

	t := newTrainer(w, train.rowSet, cats, cfg, newRNG(cfg.Seed, streamBinning), binSubsample)
	b := &booster{
		cfg: cfg, loss: loss, nOut: nOut, t: t, train: train, valid: valid, early: early,
		rowRNG: newRNG(cfg.Seed, streamRows), colRNG: newRNG(cfg.Seed, streamCols),
		task: p.Task, classes: p.Classes, mon: mon,
	}
	f, err := b.run(ctx)
	if err != nil {
		return err
	}
	f.task, f.loss, f.nOut = p.Task, loss, nOut
	if p.Task.IsClassification() {
		f.classes = p.Classes
	}
	m.fit = *f
	return nil
}

// categories returns the number of categories of each feature (0 for a
// numerical one). A categorical feature without Categories takes the largest
// code seen plus one.
func categories(p *model.Problem, maxBins int) ([]int, error) {
	cats := make([]int, p.X.Cols)
	for f, ft := range p.Features {
		if !ft.Categorical {
			continue
		}
		hi := -1
		for i := range p.X.Rows {
			x := p.X.Data[i*p.X.Cols+f]
			if x != x {
				continue
			}
			if x < 0 || x != math.Trunc(x) || ft.Categories > 0 && x >= float64(ft.Categories) || x >= float64(maxBins) {
				return nil, fmt.Errorf("feature %q row %d: category code %g is not an integer in 0..%d", ft.Name, i, x, max(min(ft.Categories, maxBins), 1)-1)
			}
			hi = max(hi, int(x))
		}
		c := ft.Categories
		if c == 0 {
			c = hi + 1
		}
		if c > maxBins {
			return nil, fmt.Errorf("feature %q has %d categories, more than max_bins %d", ft.Name, c, maxBins)
		}
		cats[f] = max(c, 1)
	}
	return cats, nil
}

// validationSplit holds out ceil(frac*n) rows of p, stratified by class for
// classification, and returns the training and validation rows in order.
func validationSplit(p *model.Problem, frac float64, r *rng) (train, valid []int32) {
	n := p.X.Rows
	nVal := int(math.Ceil(frac * float64(n)))
	groups := [][]int32{nil}
	if p.Task.IsClassification() {
		groups = make([][]int32, p.Classes)
		for i, y := range p.Y {
			groups[int(y)] = append(groups[int(y)], int32(i))
		}
	} else {
		groups[0] = make([]int32, n)
		for i := range groups[0] {
			groups[0][i] = int32(i)
		}
	}
	// Largest remainders: class c gets floor(nVal*n_c/n) rows, plus one for
	// the classes with the largest remainders until nVal rows are taken.
	take := make([]int, len(groups))
	rem := make([]float64, len(groups))
	taken := 0
	for c, g := range groups {
		exact := float64(nVal) * float64(len(g)) / float64(n)
		take[c] = int(exact)
		rem[c] = exact - float64(take[c])
		taken += take[c]
	}
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rem[a] > rem[b]:
			return -1
		case rem[a] < rem[b]:
			return 1
		}
		return 0
	})
	for _, c := range order {
		if taken >= nVal {
			break
		}
		if take[c] < len(groups[c]) {
			take[c]++
			taken++
		}
	}
	isVal := make([]bool, n)
	for c, g := range groups {
		shuffle(r, g)
		for _, i := range g[:take[c]] {
			isVal[i] = true
		}
	}
	for i, v := range isVal {
		if v {
			valid = append(valid, int32(i))
		} else {
			train = append(train, int32(i))
		}
	}
	return train, valid
}

// newTrainer bins the training rows: thresholds from at most subsample rows
// drawn with r, then every row to uint8 bins, column-major.
func newTrainer(w *workers, rs rowSet, cats []int, cfg Config, r *rng, subsample int) *trainer {
	n, nf := rs.len(), rs.X.Cols
	t := &trainer{
		w: w, n: n, nf: nf,
		bins:        make([]uint8, n*nf),
		nb:          make([]int, nf),
		hasMissing:  make([]bool, nf),
		categorical: make([]bool, nf),
		thresholds:  make([][]float64, nf),
		lambda:      cfg.L2Regularization,
		minLeaf:     cfg.MinSamplesLeaf,
		maxLeaves:   cfg.MaxLeafNodes,
		maxDepth:    cfg.MaxDepth,
		idx:         make([]int32, n),
		tmp:         make([]int32, n),
		ogh:         make([]gpair, n),
		pad:         make([]*hist, w.n),
		chunkLeft:   make([]int, w.n),
	}
	for i := range t.pad {
		t.pad[i] = (*hist)(newHists(1))
	}
	// The rows thresholds are computed from, transposed to columns.
	sub := rowSet{X: rs.X, rows: rs.rows}
	if n > subsample {
		pick, _ := sample(r, n, subsample, make([]int32, 0, subsample), make([]int32, 0, n-subsample))
		if rs.rows != nil {
			for i, j := range pick {
				pick[i] = rs.rows[j]
			}
		}
		sub.rows = pick
	}
	ns := sub.len()
	cols := make([]float64, ns*nf)
	const block = 1024
	w.run((ns+block-1)/block, func(_, bi int) {
		for i := bi * block; i < min(ns, (bi+1)*block); i++ {
			for f, x := range sub.row(i) {
				cols[f*ns+i] = x
			}
		}
	})
	type scratch struct {
		vals []float64
		keys []uint64
	}
	scratches := make([]scratch, w.n)
	w.run(nf, func(wi, f int) {
		if cats[f] > 0 {
			t.categorical[f] = true
			t.nb[f] = cats[f]
			return
		}
		s := &scratches[wi]
		if s.vals == nil {
			s.vals = make([]float64, 0, ns)
			s.keys = make([]uint64, 2*ns)
		}
		vals := s.vals[:0]
		for _, x := range cols[f*ns : (f+1)*ns] {
			if x == x {
				vals = append(vals, x)
			}
		}
		t.thresholds[f] = findThresholds(vals, cfg.MaxBins, s.keys)
		t.nb[f] = len(t.thresholds[f]) + 1
	})
	if ns == n {
		// The columns hold every training row: bin them column by column.
		luts := make([][]uint8, w.n)
		w.run(nf, func(wi, f int) {
			col := t.bins[f*n : (f+1)*n]
			if t.categorical[f] {
				for i, x := range cols[f*n : (f+1)*n] {
					col[i] = t.binOf(f, nil, x)
				}
				return
			}
			if luts[wi] == nil {
				luts[wi] = make([]uint8, lutSize)
			}
			b := newBinner(t.thresholds[f], luts[wi])
			for i, x := range cols[f*n : (f+1)*n] {
				col[i] = b.bin(x)
			}
		})
	} else {
		cols = nil
		w.run((n+block-1)/block, func(_, bi int) {
			for i := bi * block; i < min(n, (bi+1)*block); i++ {
				for f, x := range rs.row(i) {
					t.bins[f*n+i] = t.binOf(f, t.thresholds[f], x)
				}
			}
		})
	}
	w.run(nf, func(_, f int) {
		t.hasMissing[f] = slices.Contains(t.bins[f*n:(f+1)*n], missingBin)
	})
	return t
}

// binOf returns the bin of value x of feature f, whose thresholds are th.
func (t *trainer) binOf(f int, th []float64, x float64) uint8 {
	switch {
	case x != x:
		return missingBin
	case t.categorical[f]:
		return uint8(x)
	}
	return binOf(th, x)
}

// booster runs the boosting iterations of one fit.
type booster struct {
	cfg          Config
	loss         Loss
	nOut         int
	t            *trainer
	train, valid *dataset
	early        bool
	rowRNG       *rng
	colRNG       *rng
	task         model.Task
	classes      int
	// mon, when set, watches the fit: mraw holds the raw scores of its rows
	// (laid out as vraw) and mpred their predictions.
	mon         *model.Monitor
	mraw, mpred []float64

	f         *fitted
	nodeGain  []float64 // gain of every compiled node, 0 for leaves
	raw, vraw []float64
	gh        [][]gpair
	rows      []int32 // training rows of the iteration's subsample
	rest      []int32 // training rows left out of it
	partial   []float64
	resid     []float64
	residW    []float64
	order     []int32
	leaves    []int32 // leaves of the tree being added
}

// parallel calls fn(i) for i in [0, n) over the worker pool when the work
// covers at least parallelMinRows rows, in the calling goroutine otherwise.
func (b *booster) parallel(rows, n int, fn func(i int)) {
	if rows < parallelMinRows {
		for i := range n {
			fn(i)
		}
		return
	}
	b.t.w.run(n, func(_, i int) { fn(i) })
}

// chunked calls fn on the consecutive ranges [lo, hi) that split [0, n),
// one per worker when n is at least parallelMinRows.
func (b *booster) chunked(n int, fn func(lo, hi int)) {
	chunks := 1
	if n >= parallelMinRows {
		chunks = b.t.w.n
	}
	b.parallel(n, chunks, func(c int) { fn(c*n/chunks, (c+1)*n/chunks) })
}

func (b *booster) run(ctx context.Context) (*fitted, error) {
	cfg, t := b.cfg, b.t
	n, nOut := t.n, b.nOut
	f := &fitted{baseline: baseline(b.loss, nOut, b.train.y, b.train.w), task: b.task, nOut: nOut, nFeatures: b.t.nf}
	if b.task.IsClassification() {
		f.classes = b.classes
	}
	b.f = f
	if b.mon != nil {
		nm := b.mon.X.Rows
		b.mraw = make([]float64, nOut*nm)
		for k := range nOut {
			for i := range nm {
				b.mraw[k*nm+i] = f.baseline[k]
			}
		}
		if nm > 0 {
			b.mpred = make([]float64, nm*f.outputs())
		}
	}
	b.raw = make([]float64, nOut*n)
	for k := range nOut {
		for i := range n {
			b.raw[k*n+i] = f.baseline[k]
		}
	}
	b.gh = make([][]gpair, nOut)
	for k := range b.gh {
		b.gh[k] = make([]gpair, n)
	}
	var scores []float64 // -validation loss, baseline first (scikit-learn)
	if b.valid != nil {
		nv := b.valid.len()
		b.vraw = make([]float64, nOut*nv)
		for k := range nOut {
			for i := range nv {
				b.vraw[k*nv+i] = f.baseline[k]
			}
		}
		scores = append(scores, -lossSum(b.loss, nOut, nv, b.valid.y, b.valid.w, b.vraw)/b.valid.sw)
	}
	mRows := n
	if cfg.Subsample < 1 {
		mRows = max(1, int(math.Round(cfg.Subsample*float64(n))))
	}
	nCols := t.nf
	if cfg.Colsample < 1 {
		nCols = max(1, int(math.Round(cfg.Colsample*float64(t.nf))))
	}
	allFeats := make([]int32, t.nf) // scratch of drawFeatures
	b.partial = make([]float64, (n+gradChunk-1)/gradChunk)
	stopped := false
	for it := 0; it < cfg.MaxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l := b.gradients()
		if it > 0 {
			f.trainLoss = append(f.trainLoss, l/b.train.sw)
		}
		// Rows of this iteration, in increasing order; every tree of the
		// iteration starts from them (growing a tree permutes t.idx).
		t.identity = mRows == n
		if !t.identity {
			b.rows, b.rest = sample(b.rowRNG, n, mRows, b.rows, b.rest)
		}
		for k := range nOut {
			if t.identity {
				for i := range t.idx {
					t.idx[i] = int32(i)
				}
			} else {
				copy(t.idx, b.rows)
			}
			b.drawFeatures(allFeats, nCols)
			nodes := t.grow(b.gh[k], mRows)
			b.addTree(k, nodes)
		}
		if b.valid != nil {
			nv := b.valid.len()
			vl := lossSum(b.loss, nOut, nv, b.valid.y, b.valid.w, b.vraw) / b.valid.sw
			f.validLoss = append(f.validLoss, vl)
			scores = append(scores, -vl)
			stopped = b.early && shouldStop(scores, cfg.NIterNoChange, cfg.Tol)
		}
		// The monitor sees every iteration, the last one included; its stop
		// ends boosting as MaxIter would.
		if b.mon != nil && b.mon.OnIteration(it+1, b.monitorPredictions()) || stopped {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.trainLoss = append(f.trainLoss, lossSum(b.loss, nOut, n, b.train.y, b.train.w, b.raw)/b.train.sw)
	f.nIter = len(f.roots) / nOut
	if stopped {
		// Keep the iterations up to the lowest validation loss.
		best := 0
		for i, s := range scores {
			if s > scores[best] {
				best = i
			}
		}
		f.nIter = best
	}
	b.finish()
	return f, nil
}

// drawFeatures sets t.feats to the features the next tree may split on:
// nCols of them drawn at random (all when nCols is the number of features),
// in increasing order, without those that cannot split.
func (b *booster) drawFeatures(scratch []int32, nCols int) {
	t := b.t
	for i := range scratch {
		scratch[i] = int32(i)
	}
	feats := scratch
	if nCols < t.nf {
		shuffle(b.colRNG, scratch)
		feats = scratch[:nCols]
		slices.Sort(feats)
	}
	t.feats = t.feats[:0]
	for _, f := range feats {
		if t.nb[f] > 1 || t.hasMissing[f] {
			t.feats = append(t.feats, f)
		}
	}
}

// finish drops the trees after iteration f.nIter and computes what derives
// from the kept trees: depths and feature importances.
func (b *booster) finish() {
	f, t := b.f, b.t
	keep := f.nIter * b.nOut
	end := len(f.nodes)
	if keep < len(f.roots) {
		end = int(f.roots[keep])
	}
	f.roots = slices.Clip(f.roots[:keep])
	f.nodes = slices.Clip(f.nodes[:end])
	used := 0
	for _, nd := range f.nodes {
		if nd.cat >= 0 {
			used = max(used, int(nd.cat)+1)
		}
	}
	f.bitsets = slices.Clip(f.bitsets[:used])
	f.prepare()
	f.importances = make([]float64, t.nf)
	var total float64
	for i, nd := range f.nodes {
		if nd.left != int32(i) {
			f.importances[nd.feature] += b.nodeGain[i]
			total += b.nodeGain[i]
		}
	}
	if total > 0 {
		for i := range f.importances {
			f.importances[i] /= total
		}
	}
}

// shouldStop is scikit-learn's _should_stop: scores (higher is better) have
// not improved by more than tol over the score nIterNoChange+1 back.
func shouldStop(scores []float64, nIterNoChange int, tol float64) bool {
	ref := nIterNoChange + 1
	if len(scores) < ref {
		return false
	}
	refScore := scores[len(scores)-ref] + tol
	for _, s := range scores[len(scores)-ref+1:] {
		if s > refScore {
			return false
		}
	}
	return true
}

// gradients computes the gradients and hessians at the current raw scores
// and returns the training loss sum there.
func (b *booster) gradients() float64 {
	n := b.t.n
	chunks := len(b.partial)
	b.t.w.run(chunks, func(_, c int) {
		lo, hi := c*gradChunk, min(n, (c+1)*gradChunk)
		b.partial[c] = gradients(b.loss, b.nOut, n, b.train.y, b.train.w, b.raw, b.gh, lo, hi)
	})
	var s float64
	for _, v := range b.partial {
		s += v
	}
	return s
}

// addTree compiles the grown tree of output k, appends it to the model and
// adds its outputs to the training and validation raw scores.
func (b *booster) addTree(k int, gn []gnode) {
	t, f := b.t, b.f
	n := t.n
	raw := b.raw[k*n : (k+1)*n]
	lr := b.cfg.LearningRate
	// Leaf values.
	values := make([]float64, len(gn))
	b.leaves = b.leaves[:0]
	for i := range gn {
		nd := &gn[i]
		if nd.left >= 0 {
			continue
		}
		if b.loss == LossAbsoluteError {
			values[i] = lr * b.leafMedian(raw, t.idx[nd.start:nd.end])
		} else {
			values[i] = lr * -nd.sumG / (nd.sumH + t.lambda + valueEps)
		}
		b.leaves = append(b.leaves, int32(i))
	}
	// The leaves hold disjoint rows: they are added to in parallel.
	b.parallel(gn[0].end-gn[0].start, len(b.leaves), func(j int) {
		nd := &gn[b.leaves[j]]
		v := values[b.leaves[j]]
		for _, r := range t.idx[nd.start:nd.end] {
			raw[r] += v
		}
	})
	root := int32(len(f.nodes))
	f.roots = append(f.roots, root)
	b.compile(gn, values)
	// Rows the tree did not grow on, and validation rows, by chunks.
	rest := b.rest
	b.chunked(len(rest), func(lo, hi int) {
		for _, r := range rest[lo:hi] {
			raw[r] += treeValue(f.nodes, f.bitsets, root, b.train.row(int(r)))
		}
	})
	if b.valid != nil {
		nv := b.valid.len()
		vraw := b.vraw[k*nv : (k+1)*nv]
		b.chunked(nv, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				vraw[i] += treeValue(f.nodes, f.bitsets, root, b.valid.row(i))
			}
		})
	}
	if b.mon != nil {
		x := b.mon.X
		mraw := b.mraw[k*x.Rows : (k+1)*x.Rows]
		for i := range x.Rows {
			mraw[i] += treeValue(f.nodes, f.bitsets, root, x.Row(i))
		}
	}
}

// monitorPredictions turns the monitored rows' raw scores into predictions,
// as predictRow does: the same sums in the same order, so the same bits.
func (b *booster) monitorPredictions() []float64 {
	nm := b.mon.X.Rows
	if nm == 0 {
		return nil
	}
	f, k := b.f, b.nOut
	out := f.outputs()
	for i := range nm {
		o := b.mpred[i*out : (i+1)*out]
		if k == 1 {
			f.output(o, b.mraw[i])
			continue
		}
		for c := range k {
			o[c] = b.mraw[c*nm+i]
		}
		softmax(o)
	}
	return b.mpred
}

// compile appends the tree gn to the model's nodes: the root, then for
// every split its two children side by side, each pair followed by the
// subtrees of its nodes.
func (b *booster) compile(gn []gnode, values []float64) {
	f := b.f
	f.nodes = append(f.nodes, node{})
	b.nodeGain = append(b.nodeGain, 0)
	b.compileAt(gn, values, 0, int32(len(f.nodes)-1))
}

// compileAt writes gn[i] into the reserved slot f.nodes[at].
func (b *booster) compileAt(gn []gnode, values []float64, i, at int32) {
	f, t := b.f, b.t
	g := &gn[i]
	if g.left < 0 {
		f.nodes[at] = leafNode(at, values[i])
		return
	}
	s := &g.split
	nd := node{feature: s.feature, missingLeft: s.missingLeft, cat: -1}
	if s.categorical {
		bs := s.cats
		bs[missingBin>>6] &^= 1 << (missingBin & 63)
		nd.cat = int32(len(f.bitsets))
		f.bitsets = append(f.bitsets, bs)
	} else if int(s.bin) == t.nb[s.feature]-1 {
		nd.thr = math.Inf(1) // non-missing left, missing right
	} else {
		nd.thr = t.thresholds[s.feature][s.bin]
	}
	nd.left = int32(len(f.nodes))
	f.nodes = append(f.nodes, node{}, node{})
	b.nodeGain = append(b.nodeGain, 0, 0)
	f.nodes[at] = nd
	b.nodeGain[at] = s.gain
	b.compileAt(gn, values, g.left, nd.left)
	b.compileAt(gn, values, g.right, nd.left+1)
}

// leafMedian returns the weighted median of the residuals y - raw over rows.
func (b *booster) leafMedian(raw []float64, rows []int32) float64 {
	b.resid = b.resid[:0]
	for _, r := range rows {
		b.resid = append(b.resid, b.train.y[r]-raw[r])
	}
	var w []float64
	if b.train.w != nil {
		b.residW = b.residW[:0]
		for _, r := range rows {
			b.residW = append(b.residW, b.train.w[r])
		}
		w = b.residW
	}
	return median(b.resid, w, b.order[:0])
}
