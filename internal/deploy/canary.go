package deploy

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"mlw.dev/drift"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/stats"
	"mlw.dev/internal/store"
)

// VariantStats summarise a variant's logged traffic in an analysis window.
type VariantStats struct {
	Model     string   `json:"model"`
	Requests  int      `json:"requests"`
	Errors    int      `json:"errors"`
	ErrorRate float64  `json:"error_rate"`
	P50Ms     float64  `json:"p50_ms"`
	P99Ms     float64  `json:"p99_ms"`
	Rows      int      `json:"rows"`
	ScoreMean float64  `json:"score_mean"`
	Labeled   int      `json:"labeled"`
	Accuracy  *float64 `json:"accuracy,omitempty"`

	scores sample // of the scores (at most sampleSize)
	scored int    // rows with a finite score
}

// Analysis is the verdict on one canary step.
type Analysis struct {
	Step     int          `json:"step"`
	Percent  int          `json:"percent"`
	From     time.Time    `json:"from"`
	To       time.Time    `json:"to"`
	Canary   VariantStats `json:"canary"`
	Stable   VariantStats `json:"stable"`
	Shift    *float64     `json:"shift,omitempty"` // PSI of the canary's predictions against the stable version's
	Passed   bool         `json:"passed"`
	Held     bool         `json:"held,omitempty"` // too little canary traffic to judge
	Failures []string     `json:"failures,omitempty"`
}

// minLabeled is the labeled rows each side needs before accuracy is compared.
const minLabeled = 20

// minShiftRows is the rows each side needs before the shift is measured.
const minShiftRows = 30

// analyse judges the canary of spec over the prediction log: the canary's
// traffic since its step started, the stable version's since the canary
// started (at the last step the stable version gets no traffic).
func analyse(ctx context.Context, st store.Store, endpoint string, spec *Spec, started, now time.Time) (*Analysis, error) {
	c := spec.Canary
	can, _ := spec.Variant(VariantCanary)
	stb, _ := spec.Variant(VariantStable)
	a := &Analysis{Step: c.Step, Percent: c.Steps[c.Step], From: c.StepStarted, To: now}
	canS, stbS := newSummary(can.Ref()), newSummary(stb.Ref())
	err := scanPredictions(ctx, st, &store.ListPredictionsParams{Endpoint: endpoint, Since: started, Until: now}, func(p *mlw.Prediction) {
		switch {
		case p.Variant == VariantCanary && p.Model == can.Model && p.Version == can.Version && !p.At.Before(c.StepStarted):
			canS.add(p)
		case p.Variant == VariantStable && p.Model == stb.Model && p.Version == stb.Version:
			stbS.add(p)
		}
	})
	if err != nil {
		return nil, err
	}
	a.Canary, a.Stable = canS.stats(), stbS.stats()
	if a.Canary.Requests < c.MinRequests {
		a.Held = true
		a.Failures = append(a.Failures, fmt.Sprintf("canary served %d requests, %d needed to judge the step", a.Canary.Requests, c.MinRequests))
		return a, nil
	}
	if a.Canary.ErrorRate > c.MaxErrorRate {
		a.Failures = append(a.Failures, fmt.Sprintf("error rate %.2f%% > %.2f%%", 100*a.Canary.ErrorRate, 100*c.MaxErrorRate))
	}
	if c.MaxP99Ms > 0 && a.Canary.P99Ms > c.MaxP99Ms {
		a.Failures = append(a.Failures, fmt.Sprintf("p99 latency %.2f ms > %.2f ms", a.Canary.P99Ms, c.MaxP99Ms))
	}
	if len(a.Canary.scores.values()) >= minShiftRows && len(a.Stable.scores.values()) >= minShiftRows {
		psi := drift.PSI(a.Stable.scores.values(), a.Canary.scores.values(), drift.DefaultPSIBins)
		a.Shift = &psi
		if c.MaxShift > 0 && psi > c.MaxShift {
			a.Failures = append(a.Failures, fmt.Sprintf("prediction shift (PSI against stable) %.3f > %.3f", psi, c.MaxShift))
		}
	}
	if a.Canary.Accuracy != nil && a.Stable.Accuracy != nil && a.Canary.Labeled >= minLabeled && a.Stable.Labeled >= minLabeled {
		if drop := *a.Stable.Accuracy - *a.Canary.Accuracy; drop > c.MaxAccuracyDrop {
			a.Failures = append(a.Failures, fmt.Sprintf("online accuracy %.3f is %.3f below the stable version's %.3f (limit %.3f)",
				*a.Canary.Accuracy, drop, *a.Stable.Accuracy, c.MaxAccuracyDrop))
		}
	}
	a.Passed = len(a.Failures) == 0
	return a, nil
}

// pageSize is how many log records are read at a time.
const pageSize = 10_000

// scanPredictions calls f for every record p selects, reading the log a
// page at a time so that no window is held in memory whole.
func scanPredictions(ctx context.Context, st store.Store, p *store.ListPredictionsParams, f func(*mlw.Prediction)) error {
	q := *p
	q.Limit = pageSize
	for {
		page, err := st.ListPredictions(ctx, &q)
		if err != nil {
			return err
		}
		for _, r := range page {
			f(r)
		}
		if len(page) < pageSize {
			return nil
		}
		q.AfterID = page[len(page)-1].ID
	}
}

// sampleSize bounds the latencies and scores a summary keeps: beyond it,
// a uniform reservoir sample (deterministic) stands for them.
const sampleSize = 50_000

// recentRequests is how many recent request ids a summary remembers to
// count each request once (the rows of a request are logged together).
const recentRequests = 4096

// summary accumulates a variant's statistics from its records in bounded
// memory.
type summary struct {
	s       VariantStats
	lat     sample
	recent  map[string]bool
	order   []string
	correct int
	sum     float64
}

func newSummary(ref string) *summary {
	return &summary{s: VariantStats{Model: ref}, lat: sample{seed: 1}, recent: map[string]bool{}}
}

// add counts one record.
func (u *summary) add(p *mlw.Prediction) {
	if !u.recent[p.RequestID] {
		u.recent[p.RequestID] = true
		u.order = append(u.order, p.RequestID)
		if len(u.order) > recentRequests {
			delete(u.recent, u.order[0])
			u.order = u.order[1:]
		}
		u.s.Requests++
		if p.Error != "" {
			u.s.Errors++
		}
		u.lat.add(float64(p.Latency) / 1e6)
	}
	if p.Error != "" {
		return
	}
	u.s.Rows++
	if !math.IsNaN(p.Score) && !math.IsInf(p.Score, 0) {
		u.s.scored++
		u.sum += p.Score
		u.s.scores.add(p.Score)
	}
	if p.Labeled {
		u.s.Labeled++
		if p.Output == p.Label {
			u.correct++
		}
	}
}

// stats returns the statistics.
func (u *summary) stats() VariantStats {
	s := u.s
	if s.Requests > 0 {
		s.ErrorRate = float64(s.Errors) / float64(s.Requests)
		lat := u.lat.sorted()
		s.P50Ms, s.P99Ms = stats.Quantile(lat, 0.5), stats.Quantile(lat, 0.99)
	}
	if s.scored > 0 {
		s.ScoreMean = u.sum / float64(s.scored)
	}
	if s.Labeled > 0 {
		acc := float64(u.correct) / float64(s.Labeled)
		s.Accuracy = &acc
	}
	return s
}

// sample keeps at most sampleSize values: all of them while they fit, then
// a uniform reservoir sample (Algorithm R with a fixed seed).
type sample struct {
	xs   []float64
	seen uint64
	seed uint64
}

func (r *sample) add(x float64) {
	r.seen++
	if len(r.xs) < sampleSize {
		r.xs = append(r.xs, x)
		return
	}
	r.seed = r.seed*6364136223846793005 + 1442695040888963407 // PCG's LCG step
	if k := (r.seed >> 11) % r.seen; k < sampleSize {
		r.xs[k] = x
	}
}

// values returns the sample (not a copy).
func (r *sample) values() []float64 { return r.xs }

// sorted returns a sorted copy of the sample.
func (r *sample) sorted() []float64 { return slices.Sorted(slices.Values(r.xs)) }

// Controller advances canaries: when a step has been held for its
// interval, it analyses the step and writes the next step, the promotion or
// the rollback. Several replicas may run one each: a transition is written
// only if the endpoint is still at the analysed revision.
type Controller struct {
	Service *Service
	Logger  *slog.Logger
	// Every is how often Run checks (default 1 s).
	Every time.Duration
	// Recheck is how often a step held for too little canary traffic is
	// analysed again (0: at every check). Each analysis reads the canary's
	// window of the log.
	Recheck time.Duration

	mu   sync.Mutex
	held map[string]time.Time // endpoint → when its held step was last analysed
}

// Step is one controller decision.
type Step struct {
	Endpoint string          `json:"endpoint"`
	Action   string          `json:"action"` // held, step, promote, rollback
	Analysis *Analysis       `json:"analysis"`
	Revision *mlw.Deployment `json:"revision,omitempty"`
}

// Tick checks every canary once and returns the decisions taken.
func (c *Controller) Tick(ctx context.Context) ([]Step, error) {
	deps, err := c.Service.Store.ListDeployments(ctx, &store.ListDeploymentsParams{})
	if err != nil {
		return nil, err
	}
	live := map[string]bool{}
	for _, d := range deps {
		live[fmt.Sprintf("%s@%d", d.Endpoint, d.Revision)] = true
	}
	c.mu.Lock()
	for k := range c.held {
		if !live[k] {
			delete(c.held, k) // the endpoint moved on
		}
	}
	c.mu.Unlock()
	var steps []Step
	for _, d := range deps {
		if d.State != StateCanary {
			continue
		}
		st, err := c.advance(ctx, d)
		if err != nil {
			if mlw.ErrorCode(err) == mlw.ECONFLICT {
				continue // another replica moved it
			}
			return steps, fmt.Errorf("canary of %s: %w", d.Endpoint, err)
		}
		if st != nil {
			steps = append(steps, *st)
			level := slog.LevelInfo
			if st.Action == "held" {
				level = slog.LevelDebug
			}
			c.log().Log(ctx, level, "canary "+st.Action, "endpoint", d.Endpoint, "step", st.Analysis.Percent,
				"canary_requests", st.Analysis.Canary.Requests, "failures", strings.Join(st.Analysis.Failures, "; "))
		}
	}
	return steps, nil
}

func (c *Controller) advance(ctx context.Context, d *mlw.Deployment) (*Step, error) {
	spec, err := ParseSpec(d)
	if err != nil {
		return nil, err
	}
	cs := spec.Canary
	if cs == nil {
		return nil, nil
	}
	now := c.Service.now()
	if now.Sub(cs.StepStarted) < time.Duration(cs.Interval) {
		return nil, nil
	}
	key := fmt.Sprintf("%s@%d", d.Endpoint, d.Revision)
	c.mu.Lock()
	last, wasHeld := c.held[key]
	c.mu.Unlock()
	if wasHeld && now.Sub(last) < c.Recheck {
		return nil, nil
	}
	started, err := c.canaryStart(ctx, d, spec)
	if err != nil {
		return nil, err
	}
	a, err := analyse(ctx, c.Service.Store, d.Endpoint, spec, started, now)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if a.Held {
		if c.held == nil {
			c.held = map[string]time.Time{}
		}
		c.held[key] = now
	} else {
		delete(c.held, key)
	}
	c.mu.Unlock()
	st := &Step{Endpoint: d.Endpoint, Analysis: a}
	switch {
	case a.Held:
		st.Action = "held"
		return st, nil
	case !a.Passed:
		st.Action = "rollback"
		st.Revision, err = c.Service.rollback(ctx, d, spec, "canary analysis failed at "+fmt.Sprint(a.Percent)+"%: "+strings.Join(a.Failures, "; "), a)
	case cs.Step == len(cs.Steps)-1:
		st.Action = "promote"
		st.Revision, err = c.Service.promote(ctx, d, spec, "", fmt.Sprintf("canary passed every step (%s%%)", joinInts(cs.Steps)), a)
	default:
		st.Action = "step"
		next := *spec
		nc := *cs
		nc.Step++
		nc.StepStarted = now
		next.Canary = &nc
		next.Analysis = a
		next.Variants = slices.Clone(spec.Variants)
		for i := range next.Variants {
			if next.Variants[i].Name == VariantCanary {
				next.Variants[i].Weight = nc.Steps[nc.Step]
			} else {
				next.Variants[i].Weight = 100 - nc.Steps[nc.Step]
			}
		}
		st.Revision, err = c.Service.write(ctx, d.Endpoint, d.Strategy, StateCanary, &next, d.Revision, "deploy.canary.step",
			fmt.Sprintf("canary passed %d%%, now %d%%", cs.Steps[cs.Step], nc.Steps[nc.Step]),
			map[string]any{"model": next.Primary().Ref(), "percent": nc.Steps[nc.Step]})
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// canaryStart finds when the canary began: the creation of the first
// revision of this canary (its base's successor).
func (c *Controller) canaryStart(ctx context.Context, d *mlw.Deployment, spec *Spec) (time.Time, error) {
	first, err := c.Service.Store.GetDeployment(ctx, &store.GetDeploymentParams{Endpoint: d.Endpoint, Revision: spec.Base + 1})
	if err != nil {
		return time.Time{}, err
	}
	return first.CreatedAt, nil
}

// Run ticks now and every Every until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	repeat(ctx, c.Every, func() {
		if _, err := c.Tick(ctx); err != nil && ctx.Err() == nil {
			c.log().Error("canary controller", "err", mlw.ErrorMessage(err))
		}
	})
}

func (c *Controller) log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}
