package monitor

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/stats"
	"mlw.dev/model/bundle"
)

// errWidth marks a row whose width differs from its model's signature.
var errWidth = errors.New("width")

// groupKey identifies a variant: one model version under one variant name,
// shadow or not.
type groupKey struct {
	model   string
	version int
	variant string
	shadow  bool
}

// group accumulates the traffic of one variant.
type group struct {
	key      groupKey
	ref      string // NAME@N
	requests int
	errors   int
	rows     int
	scoreSum float64
	scoreN   int
	lat      reservoir
	agree    int
	compared int
	model    int // index into Accumulator.models, −1 when the bundle is unknown
}

// modelInfo is a served model version with a known bundle.
type modelInfo struct {
	ref string
	b   *bundle.Bundle
	// Set when the first primary row of the version is added: its
	// signature, the features each signature input feeds, and its view of
	// the features as the reference.
	registered bool
	sig        []inputSpec
	feed       [][]int32
	cols       []*column
}

// seriesPoint counts the traffic of one bucket.
type seriesPoint struct {
	requests, rows, errors int
}

// Accumulator computes the monitoring report of an endpoint from its
// prediction log records, added in pages (Add) in the order of the log,
// then Report. Its memory does not grow with the number of records: counts
// are exact, and what needs the values themselves (numeric drift, latency
// percentiles, roc_auc, shadow agreement) uses samples of bounded size,
// exact while the values fit (see NumericSample and the other sizes). The
// same records added in the same order give the same report, however they
// are split into pages, and the report Analyze gives, with one exception:
// the model version the drift compares with is the busiest, known only at
// the end, so when it starts serving after another version has, its
// training range counts the values out of range (and a feature it reads as
// another type is read) from its first record only, and a note says so.
// An Accumulator is not safe for concurrent use.
type Accumulator struct {
	in       Input
	setup    *driftSetup
	from, to time.Time
	bucket   time.Duration
	nb       int
	reported bool

	groups  []*group
	byKey   map[groupKey]int32
	bundles map[string]*bundle.Bundle // every version looked up; nil when unknown
	models  []*modelInfo
	modelIx map[string]int

	// Traffic of the primary variants.
	rng      *wyrand // latency samples
	reqs     requestLog
	requests int
	errors   int
	rows     int
	latency  reservoir
	series   []seriesPoint

	// Prediction drift: the scores and the predicted classes of the
	// primary rows.
	scoreRng *wyrand
	scores   reservoir
	outputs  tally

	agree  agreement
	online onlineAcc

	// Inputs of the primary rows of versions with a bundle.
	features   []*liveFeature
	featureIx  map[featureKey]int
	parsed     []int // per bucket: rows whose inputs were read
	parsedRows int
	valid      []int // per bucket: rows whose inputs fit their signature
	bad        int
	badFirst   string
	batch      batch
	workers    []*parseWorker
}

// NewAccumulator returns an accumulator for the window [in.From, in.To) of
// in.Endpoint; in.Predictions must be empty (Add them). Records of a model
// version are compared with the bundle in in.Models or, for a version
// missing there, the one in.LoadModel returns. It returns an error with
// code EINVALID for a missing or impossible window, bucket or drift
// configuration.
func NewAccumulator(in Input) (*Accumulator, error) {
	if len(in.Predictions) > 0 {
		return nil, mlw.Errorf(mlw.EINVALID, "monitor: NewAccumulator takes no predictions: Add them")
	}
	return newAccumulator(in, nil)
}

// newAccumulator is NewAccumulator; preds, when set, are the records Analyze
// will add: the window may be taken from them, and the versions they
// serve are registered before any is added.
func newAccumulator(in Input, preds []*mlw.Prediction) (*Accumulator, error) {
	setup, err := newDriftSetup(in.Drift)
	if err != nil {
		return nil, err
	}
	in.Predictions = nil
	a := &Accumulator{in: in, setup: setup, byKey: map[groupKey]int32{}, bundles: map[string]*bundle.Bundle{},
		modelIx: map[string]int{}, featureIx: map[featureKey]int{}}
	if err := a.window(preds); err != nil {
		return nil, err
	}
	a.rng, a.scoreRng = newRand(0), newRand(1)
	a.reqs = newRequestLog(RecentRequests)
	a.latency = newReservoir(LatencySample)
	a.scores = newReservoir(NumericSample)
	a.series = make([]seriesPoint, a.nb)
	a.valid, a.parsed = make([]int, a.nb), make([]int, a.nb)
	a.agree = newAgreement()
	a.online = newOnlineAcc(a.nb)
	for _, p := range preds {
		if p != nil && !p.Shadow && p.Error == "" {
			if gr := a.groups[a.groupOf(p)]; gr.model >= 0 && !a.models[gr.model].registered {
				a.register(a.models[gr.model])
			}
		}
	}
	return a, nil
}

// SetExpected replaces Input.Expected: the evaluation-time test metrics
// shown next to the online metrics, which a caller paging through the log
// may know only at the end.
func (a *Accumulator) SetExpected(expected map[string]float64) {
	a.in.Expected = expected
}

// Analyze computes the monitoring report of an endpoint over a window (see
// Input and Report) from in.Predictions: NewAccumulator, Add and Report in
// one call. When From and To are both zero the window is taken from the
// records. It returns an error with code EINVALID for an impossible
// window, bucket or drift configuration, and an error when a bundle's
// reference cannot be compared with.
func Analyze(in Input) (*Report, error) {
	preds := in.Predictions
	a, err := newAccumulator(in, preds)
	if err != nil {
		return nil, err
	}
	a.Add(preds...)
	return a.Report()
}

// window settles the window and the buckets, taking the window from preds
// when the input has none.
func (a *Accumulator) window(preds []*mlw.Prediction) error {
	in := &a.in
	from, to := in.From, in.To
	derived := false
	if from.IsZero() && to.IsZero() {
		seen := false
		for _, p := range preds {
			switch {
			case p == nil:
			case !seen:
				from, to, seen = p.At, p.At, true
			default:
				from, to = minTime(from, p.At), maxTime(to, p.At)
			}
		}
		if !seen {
			return mlw.Errorf(mlw.EINVALID, "monitor: no window given and no records to take it from")
		}
		to = to.Add(time.Second) // the last record inside [from, to)
		derived = true
	}
	if !to.After(from) {
		return mlw.Errorf(mlw.EINVALID, "monitor: window from %s to %s is empty: want to after from", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	span := to.Sub(from)
	b := in.Bucket
	if b < 0 {
		return mlw.Errorf(mlw.EINVALID, "monitor: bucket %s is negative", b)
	}
	if b == 0 {
		b = span / DefaultBuckets
	}
	b = max(b, time.Second)
	nb := int((span + b - 1) / b)
	if nb > MaxBuckets {
		return mlw.Errorf(mlw.EINVALID, "monitor: bucket %s over %s gives %d points: at most %d (choose a wider bucket)", b, span, nb, MaxBuckets)
	}
	a.from, a.bucket, a.nb = from, b, nb
	a.to = from.Add(time.Duration(nb) * b)
	if !derived {
		a.to = to
	}
	return nil
}

// bucketOf returns the bucket of an instant, clamped to the window.
func (a *Accumulator) bucketOf(t time.Time) int32 {
	d := t.Sub(a.from)
	if d < 0 {
		return 0
	}
	return int32(min(int64(d/a.bucket), int64(a.nb-1)))
}

// bundleOf returns the bundle of a version, looking it up once.
func (a *Accumulator) bundleOf(ref string) *bundle.Bundle {
	if ref == "" {
		return nil
	}
	b, ok := a.bundles[ref]
	if ok {
		return b
	}
	b = a.in.Models[ref]
	if b == nil && a.in.LoadModel != nil {
		b = a.in.LoadModel(ref)
	}
	a.bundles[ref] = b
	return b
}

// groupOf returns the group of a record, creating it.
func (a *Accumulator) groupOf(p *mlw.Prediction) int32 {
	k := groupKey{model: p.Model, version: p.Version, variant: p.Variant, shadow: p.Shadow}
	if g, ok := a.byKey[k]; ok {
		return g
	}
	k.model, k.variant = strings.Clone(k.model), strings.Clone(k.variant)
	g := int32(len(a.groups))
	ref := ""
	if p.Model != "" {
		ref = mlw.Ref{Name: k.model, Version: p.Version}.String()
	}
	gr := &group{key: k, ref: ref, model: -1, lat: newReservoir(LatencySample)}
	if b := a.bundleOf(ref); b != nil {
		ix, ok := a.modelIx[ref]
		if !ok {
			ix = len(a.models)
			a.modelIx[ref] = ix
			a.models = append(a.models, &modelInfo{ref: ref, b: b})
		}
		gr.model = ix
	}
	a.groups = append(a.groups, gr)
	a.byKey[k] = g
	return g
}

// batchRows is the most records Add parses in one parallel pass.
const batchRows = 16384

// Add adds prediction log records of the window, in the order of the log
// (nil records are skipped). Records outside the window count in the first
// or last bucket. Shadow records are reported per variant only: they are
// left out of the endpoint's traffic, drift, data quality and online
// metrics. Add keeps no record, only some of their strings (request ids,
// categories, outputs), so a caller may reuse or drop a page once it is
// added. It panics after Report.
func (a *Accumulator) Add(ps ...*mlw.Prediction) {
	if a.reported {
		panic("monitor: Accumulator.Add after Report")
	}
	for len(ps) > 0 {
		n := min(len(ps), batchRows)
		a.addBatch(ps[:n])
		ps = ps[n:]
	}
}

// addBatch reads a batch of records: traffic, shadows and labels at once,
// then the inputs of the primary rows in parallel.
func (a *Accumulator) addBatch(ps []*mlw.Prediction) {
	bt := &a.batch
	bt.reset()
	var last *mlw.Prediction
	lastGroup, lastReq := int32(-1), int32(-1)
	var h uint64 // stats.Hash64 of the request id
	for _, p := range ps {
		if p == nil {
			continue
		}
		g := lastGroup
		if last == nil || p.Model != last.Model || p.Version != last.Version || p.Variant != last.Variant || p.Shadow != last.Shadow {
			g = a.groupOf(p)
		}
		b := a.bucketOf(p.At)
		ri := lastReq
		if last == nil || p.RequestID != last.RequestID || p.Shadow != last.Shadow || g != lastGroup && p.Shadow {
			if last == nil || p.RequestID != last.RequestID {
				h = stats.Hash64(p.RequestID)
			}
			k := requestKey{group: -1, id: p.RequestID}
			if p.Shadow {
				k.group = g
			}
			ri = a.reqs.find(k, h)
			if ri < 0 {
				var old pendingRequest
				var evicted bool
				ri, old, evicted = a.reqs.add(k, h, g, b)
				if evicted {
					a.finish(&old)
				}
			}
		}
		last, lastGroup, lastReq = p, g, ri
		rq := &a.reqs.ring[ri]
		rq.lat = max(rq.lat, float64(p.Latency)/1e6)
		if p.Error != "" {
			rq.failed = true
			continue
		}
		gr := a.groups[g]
		gr.rows++
		if !math.IsNaN(p.Score) && !math.IsInf(p.Score, 0) {
			gr.scoreSum += p.Score
			gr.scoreN++
		}
		a.agree.add(p, g, h)
		if p.Shadow {
			continue
		}
		a.rows++
		a.series[b].rows++
		if !math.IsNaN(p.Score) && !math.IsInf(p.Score, 0) {
			a.scores.offer(p.Score, 0, false, a.scoreRng)
		}
		if p.Output != "" {
			a.outputs.add(p.Output)
		}
		if p.Labeled {
			a.online.add(p, b)
		}
		if gr.model >= 0 {
			m := a.models[gr.model]
			if !m.registered {
				a.register(m)
			}
			bt.add(p, int32(gr.model), b)
		}
	}
	if len(bt.recs) > 0 {
		a.parseBatch()
	}
	bt.reset() // keep no record
}

// finish counts a request whose rows have all been seen.
func (a *Accumulator) finish(q *pendingRequest) {
	gr := a.groups[q.group]
	gr.requests++
	gr.lat.offer(q.lat, 0, false, a.rng)
	if q.failed {
		gr.errors++
	}
	if gr.key.shadow {
		return
	}
	a.requests++
	a.latency.offer(q.lat, q.bucket, true, a.rng)
	pt := &a.series[q.bucket]
	pt.requests++
	if q.failed {
		a.errors++
		pt.errors++
	}
}

// Report returns the monitoring report of the records added. The
// accumulator cannot be added to afterwards.
func (a *Accumulator) Report() (*Report, error) {
	if !a.reported {
		a.reported = true
		a.reqs.drain(a.finish)
	}
	in := &a.in
	r := &Report{Endpoint: in.Endpoint, From: a.from, To: a.to,
		BucketSeconds: a.bucket.Seconds(), Variants: []Variant{}, DataQuality: []Quality{}, Drift: []Drift{},
		Online: Online{Metrics: map[string]float64{}, Expected: map[string]float64{}}, Alerts: in.Alerts}
	if r.Alerts == nil {
		r.Alerts = []*mlw.AlertEvent{}
	}
	r.Series = make([]Point, a.nb)
	for b := range r.Series {
		r.Series[b].Start = a.from.Add(time.Duration(b) * a.bucket)
		r.Series[b].Rows = a.series[b].rows
	}
	var notes notes
	a.traffic(r)
	a.agreement(r)
	ref := a.chooseReference(r, &notes)
	if ref != nil {
		if err := a.inputs(r, ref, &notes); err != nil {
			return nil, err
		}
		if err := a.predictionDrift(r, ref); err != nil {
			return nil, err
		}
		a.online.report(r, ref.b, in.Expected, a.nb, &notes)
	}
	r.Notes = notes
	return r, nil
}

// traffic fills requests, errors and latency of the endpoint, the
// variants and the buckets.
func (a *Accumulator) traffic(r *Report) {
	r.Requests, r.Errors, r.Rows = a.requests, a.errors, a.rows
	if r.Requests > 0 {
		r.ErrorRate = float64(r.Errors) / float64(r.Requests)
	}
	r.RequestRate = float64(r.Requests) / r.To.Sub(r.From).Seconds()
	r.LatencyMS = latencyOf(sortedCopy(a.latency.vals))
	// Per bucket, the latencies of the sample that fall in it.
	lat, start := a.latency.byTag(nil, nil, a.nb)
	for b := range a.series {
		sp, pt := &a.series[b], &r.Series[b]
		pt.Requests, pt.Errors = sp.requests, sp.errors
		if pt.Requests > 0 {
			pt.ErrorRate = float64(pt.Errors) / float64(pt.Requests)
		}
		l := lat[start[b]:start[b+1]]
		slices.Sort(l)
		if l := latencyOf(l); l != nil {
			pt.P50, pt.P95, pt.P99 = ptr(l.P50), ptr(l.P95), ptr(l.P99)
		}
	}
	primaryGroups := 0
	for _, gr := range a.groups {
		if !gr.key.shadow {
			primaryGroups++
		}
	}
	order := slices.Clone(a.groups)
	slices.SortStableFunc(order, func(x, y *group) int {
		return cmp.Or(compareBool(x.key.shadow, y.key.shadow), cmp.Compare(y.rows, x.rows),
			cmp.Compare(x.key.variant, y.key.variant), cmp.Compare(x.ref, y.ref))
	})
	for _, gr := range order {
		v := Variant{Model: gr.ref, Variant: gr.key.variant, Shadow: gr.key.shadow, Requests: gr.requests, Rows: gr.rows, Errors: gr.errors}
		if gr.requests > 0 {
			v.ErrorRate = float64(gr.errors) / float64(gr.requests)
		}
		if !gr.key.shadow && primaryGroups == 1 {
			v.LatencyMS = r.LatencyMS
		} else {
			v.LatencyMS = latencyOf(sortedCopy(gr.lat.vals))
		}
		if gr.scoreN > 0 {
			v.PredictionMean = ptr(gr.scoreSum / float64(gr.scoreN))
		}
		r.Variants = append(r.Variants, v)
	}
}

func sortedCopy(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// agreement compares each shadow's outputs with the primary outputs of the
// same request id and row.
func (a *Accumulator) agreement(r *Report) {
	a.agree.count(a.groups)
	for i := range r.Variants {
		v := &r.Variants[i]
		if !v.Shadow {
			continue
		}
		for _, gr := range a.groups {
			if gr.key.shadow && gr.ref == v.Model && gr.key.variant == v.Variant && gr.compared > 0 {
				v.Compared = gr.compared
				v.Agreement = ptr(float64(gr.agree) / float64(gr.compared))
			}
		}
	}
}

// chooseReference returns the model version whose reference the drift
// uses: the one with a bundle that served the most primary rows.
func (a *Accumulator) chooseReference(r *Report, notes *notes) *modelInfo {
	served := map[string]int{}
	for _, gr := range a.groups {
		if !gr.key.shadow && gr.rows > 0 {
			served[gr.ref] += gr.rows
		}
	}
	refs := slices.Collect(maps.Keys(served))
	slices.SortFunc(refs, func(x, y string) int { return cmp.Or(cmp.Compare(served[y], served[x]), cmp.Compare(x, y)) })
	var unknown []string
	n := 0
	for _, ref := range refs {
		if a.bundleOf(ref) == nil {
			n += served[ref]
			unknown = append(unknown, cmp.Or(ref, "no model named"))
		}
	}
	if len(unknown) > 0 {
		notes.add("%s served by model versions without a bundle (%s): they count as traffic only.", counted(n, "row was", "rows were"), joinMax(unknown, 5))
	}
	for _, ref := range refs {
		ix, ok := a.modelIx[ref]
		if !ok {
			continue
		}
		m := a.models[ix]
		r.Reference, r.Task = ref, m.b.Task
		if len(refs) > 1 {
			notes.add("%d model versions served; drift and data quality compare with the training reference of %s, which served the most rows (%d of %d).",
				len(refs), ref, served[ref], a.rows)
		}
		if m.b.Reference == nil {
			notes.add("The bundle of %s has no training reference: drift is not computed.", ref)
		}
		return m
	}
	return nil
}

// notes collects the notes of a report.
type notes []string

func (n *notes) add(format string, args ...any) {
	*n = append(*n, fmt.Sprintf(format, args...))
}

// joinMax joins at most n strings, saying how many more there are.
func joinMax(s []string, n int) string {
	out := ""
	for i, x := range s {
		if i == n {
			return out + fmt.Sprintf(" and %d more", len(s)-n)
		}
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// signature returns the monitoring view of a bundle's inputs.
func signature(b *bundle.Bundle) []inputSpec {
	if b.Pipeline == nil {
		return nil
	}
	specs := make([]inputSpec, len(b.Pipeline.Inputs))
	for i, in := range b.Pipeline.Inputs {
		s := inputSpec{name: in.Name}
		switch {
		case typeIsDatetime(in.Type, in.Parts):
			s.datetime = true
		case in.Encoding != "" || in.Type == frame.TypeCategorical || in.Type == frame.TypeBool || in.Type == frame.TypeText:
			s.categorical = true
			if !in.Other {
				s.categories = in.Categories
			}
		default:
			s.hasRange = true
			s.min, s.max = in.Min, in.Max
		}
		specs[i] = s
	}
	return specs
}

// describeViolation says what is wrong with one record's inputs.
func describeViolation(p *mlw.Prediction, got, want int, err error) string {
	where := fmt.Sprintf("request %s row %d (%s)", p.RequestID, p.Row, mlw.Ref{Name: p.Model, Version: p.Version})
	if errors.Is(err, errWidth) {
		return fmt.Sprintf("%s: %d input values, the signature has %d", where, got, want)
	}
	if len(p.Inputs) == 0 {
		return where + ": no inputs logged"
	}
	return fmt.Sprintf("%s: %v", where, err)
}

// counted writes a count and its words, singular or plural: "1 row was",
// "1,200 rows were".
func counted(n int, one, many string) string {
	return formatCount(n) + " " + plural(n, one, many)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// formatCount writes n with a thousands separator for notes.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
