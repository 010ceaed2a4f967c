package monitor

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
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
	lat      []float64
	agree    int
	compared int
	model    int // index into analysis.models, −1 when the bundle is unknown
}

// request is one distinct request id of a primary or shadow variant.
type request struct {
	group  int32
	bucket int32
	lat    float64 // ms
	failed bool
}

// modelInfo is a served model version with a known bundle.
type modelInfo struct {
	ref     string
	b       *bundle.Bundle
	mapping rowMap
	rows    int // primary rows served
}

// analysis is the state of one Analyze call.
type analysis struct {
	in      *Input
	setup   *driftSetup
	from    time.Time
	bucket  time.Duration
	nb      int
	groups  []*group
	byKey   map[groupKey]int32
	models  []*modelInfo
	modelIx map[string]int
	reqs    []request
	primary []int32 // indices of primary predicted rows
	pgroup  []int32 // group of each primary row
	pbucket []int32 // bucket of each primary row
	shadow  []int32 // indices of shadow predicted rows
	notes   []string
}

// Analyze computes the monitoring report of an endpoint over a window (see
// Input and Report). It returns an error with code EINVALID for an
// impossible window, bucket or drift configuration, and an error when a
// bundle's reference cannot be compared with.
func Analyze(in Input) (*Report, error) {
	setup, err := newDriftSetup(in.Drift)
	if err != nil {
		return nil, err
	}
	a := &analysis{in: &in, setup: setup, byKey: map[groupKey]int32{}, modelIx: map[string]int{}}
	if err := a.window(); err != nil {
		return nil, err
	}
	r := &Report{Endpoint: in.Endpoint, From: a.from, To: a.from.Add(time.Duration(a.nb) * a.bucket),
		BucketSeconds: a.bucket.Seconds(), Variants: []Variant{}, DataQuality: []Quality{}, Drift: []Drift{},
		Online: Online{Metrics: map[string]float64{}, Expected: map[string]float64{}}, Alerts: in.Alerts}
	if !in.To.IsZero() {
		r.To = in.To
	}
	if r.Alerts == nil {
		r.Alerts = []*mlw.AlertEvent{}
	}
	r.Series = make([]Point, a.nb)
	for b := range r.Series {
		r.Series[b].Start = a.from.Add(time.Duration(b) * a.bucket)
	}
	a.scan(r)
	a.traffic(r)
	a.agreement(r)
	ref := a.chooseReference(r)
	if ref != nil {
		if err := a.inputs(r, ref); err != nil {
			return nil, err
		}
		if err := a.predictionDrift(r, ref); err != nil {
			return nil, err
		}
		a.online(r, ref)
	}
	r.Notes = a.notes
	return r, nil
}

// window settles the window and the buckets.
func (a *analysis) window() error {
	in := a.in
	from, to := in.From, in.To
	if from.IsZero() && to.IsZero() {
		seen := false
		for _, p := range in.Predictions {
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
	return nil
}

// bucketOf returns the bucket of an instant, clamped to the window.
func (a *analysis) bucketOf(t time.Time) int32 {
	d := t.Sub(a.from)
	if d < 0 {
		return 0
	}
	return int32(min(int64(d/a.bucket), int64(a.nb-1)))
}

// groupOf returns the group of a record, creating it.
func (a *analysis) groupOf(p *mlw.Prediction) int32 {
	k := groupKey{model: p.Model, version: p.Version, variant: p.Variant, shadow: p.Shadow}
	if g, ok := a.byKey[k]; ok {
		return g
	}
	g := int32(len(a.groups))
	ref := ""
	if p.Model != "" {
		ref = mlw.Ref{Name: p.Model, Version: p.Version}.String()
	}
	gr := &group{key: k, ref: ref, model: -1}
	if b := a.in.Models[ref]; b != nil && ref != "" {
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

type shadowReq struct {
	group int32
	id    string
}

// scan reads the records once: variants, requests, rows.
func (a *analysis) scan(r *Report) {
	n := len(a.in.Predictions)
	primaryReq := make(map[string]int32, n)
	shadowReqs := map[shadowReq]int32{}
	a.reqs = make([]request, 0, n)
	a.primary = make([]int32, 0, n)
	a.pgroup = make([]int32, 0, n)
	a.pbucket = make([]int32, 0, n)
	var last *mlw.Prediction
	lastGroup, lastReq := int32(-1), int32(-1)
	for i, p := range a.in.Predictions {
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
			var seen bool
			if p.Shadow {
				ri, seen = shadowReqs[shadowReq{g, p.RequestID}]
			} else {
				ri, seen = primaryReq[p.RequestID]
			}
			if !seen {
				ri = int32(len(a.reqs))
				a.reqs = append(a.reqs, request{group: g, bucket: b, lat: float64(p.Latency) / 1e6})
				if p.Shadow {
					shadowReqs[shadowReq{g, p.RequestID}] = ri
				} else {
					primaryReq[p.RequestID] = ri
				}
			}
		}
		last, lastGroup, lastReq = p, g, ri
		rq := &a.reqs[ri]
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
		if p.Shadow {
			a.shadow = append(a.shadow, int32(i))
			continue
		}
		a.primary = append(a.primary, int32(i))
		a.pgroup = append(a.pgroup, g)
		a.pbucket = append(a.pbucket, b)
		r.Series[b].Rows++
		if gr.model >= 0 {
			a.models[gr.model].rows++
		}
	}
}

// traffic fills requests, errors and latency of the endpoint, the
// variants and the buckets.
func (a *analysis) traffic(r *Report) {
	var lat []float64
	perBucket := make([][]float64, a.nb)
	for i := range a.reqs {
		q := &a.reqs[i]
		gr := a.groups[q.group]
		gr.requests++
		gr.lat = append(gr.lat, q.lat)
		if q.failed {
			gr.errors++
		}
		if gr.key.shadow {
			continue
		}
		r.Requests++
		lat = append(lat, q.lat)
		pt := &r.Series[q.bucket]
		pt.Requests++
		perBucket[q.bucket] = append(perBucket[q.bucket], q.lat)
		if q.failed {
			r.Errors++
			pt.Errors++
		}
	}
	r.Rows = len(a.primary)
	if r.Requests > 0 {
		r.ErrorRate = float64(r.Errors) / float64(r.Requests)
	}
	r.RequestRate = float64(r.Requests) / r.To.Sub(r.From).Seconds()
	slices.Sort(lat)
	r.LatencyMS = latencyOf(lat)
	for b, l := range perBucket {
		pt := &r.Series[b]
		if pt.Requests > 0 {
			pt.ErrorRate = float64(pt.Errors) / float64(pt.Requests)
		}
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
			slices.Sort(gr.lat)
			v.LatencyMS = latencyOf(gr.lat)
		}
		if gr.scoreN > 0 {
			v.PredictionMean = ptr(gr.scoreSum / float64(gr.scoreN))
		}
		r.Variants = append(r.Variants, v)
	}
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
func (a *analysis) agreement(r *Report) {
	if len(a.shadow) == 0 {
		return
	}
	type rowKey struct {
		id  string
		row int
	}
	want := make(map[rowKey]int32, len(a.shadow))
	for _, i := range a.shadow {
		p := a.in.Predictions[i]
		want[rowKey{p.RequestID, p.Row}] = -1
	}
	for _, i := range a.primary {
		p := a.in.Predictions[i]
		k := rowKey{p.RequestID, p.Row}
		if _, ok := want[k]; ok {
			want[k] = i
		}
	}
	for _, i := range a.shadow {
		p := a.in.Predictions[i]
		j := want[rowKey{p.RequestID, p.Row}]
		if j < 0 {
			continue
		}
		gr := a.groups[a.byKey[groupKey{p.Model, p.Version, p.Variant, true}]]
		gr.compared++
		if a.in.Predictions[j].Output == p.Output {
			gr.agree++
		}
	}
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
func (a *analysis) chooseReference(r *Report) *modelInfo {
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
		if ref == "" || a.in.Models[ref] == nil {
			n += served[ref]
			unknown = append(unknown, cmp.Or(ref, "no model named"))
		}
	}
	if len(unknown) > 0 {
		a.note("%s served by model versions without a bundle (%s): they count as traffic only.", counted(n, "row was", "rows were"), joinMax(unknown, 5))
	}
	for _, ref := range refs {
		ix, ok := a.modelIx[ref]
		if !ok {
			continue
		}
		m := a.models[ix]
		r.Reference, r.Task = ref, m.b.Task
		if len(refs) > 1 {
			a.note("%d model versions served; drift and data quality compare with the training reference of %s, which served the most rows (%d of %d).",
				len(refs), ref, served[ref], len(a.primary))
		}
		if m.b.Reference == nil {
			a.note("The bundle of %s has no training reference: drift is not computed.", ref)
		}
		return m
	}
	return nil
}

func (a *analysis) note(format string, args ...any) {
	a.notes = append(a.notes, fmt.Sprintf(format, args...))
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
