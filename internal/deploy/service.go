package deploy

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"mlw.dev/internal/audit"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/registry"
	"mlw.dev/internal/store"
)

// Verifier checks a model version before a blue-green switch: it loads the
// bundle and predicts smoke rows. It returns the checks passed.
type Verifier func(ctx context.Context, v VariantSpec) ([]string, error)

// Service changes deployments. Every change is a new revision written with
// the revision it was computed from as the expected one (ECONFLICT when the
// endpoint changed meanwhile) and audited in the same transaction.
type Service struct {
	Store store.Store
	Now   func() time.Time
	Actor string
	// Verify checks a blue-green candidate; nil skips the checks.
	Verify Verifier
	// Promoted, when set, is called after a promotion of a revision that
	// asked to retire the version it replaced (Request.RetireOnPromote):
	// from is the version replaced, to the one promoted. Its error is
	// returned; the promotion itself stands.
	Promoted func(ctx context.Context, endpoint string, from, to VariantSpec) error
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) registry() *registry.Registry {
	return &registry.Registry{Store: s.Store, Now: s.Now, Actor: s.Actor}
}

// Request is a deployment change asked for by `mlw deploy`.
type Request struct {
	Endpoint string
	Model    string // NAME, NAME@N or NAME@alias
	Strategy string // default direct
	// Weights of an A/B split: the current version's, then the new one's
	// (default 50,50).
	Weights []int
	// StickyHeader or StickyField assign A/B and canary variants by a key.
	StickyHeader string
	StickyField  string
	// Canary settings; zero values take the defaults.
	Steps           []int
	Interval        time.Duration
	MaxErrorRate    float64
	MaxP99Ms        float64
	MaxShift        float64
	MaxAccuracyDrop float64
	MinRequests     int
	// RetireOnPromote retires the replaced version when the new one is
	// promoted (see Service.Promoted).
	RetireOnPromote bool
	Reason          string
}

// Current returns the latest revision of an endpoint and its spec, or
// ENOTFOUND.
func (s *Service) Current(ctx context.Context, endpoint string) (*mlw.Deployment, *Spec, error) {
	d, err := s.Store.GetDeployment(ctx, &store.GetDeploymentParams{Endpoint: endpoint})
	if err != nil {
		if mlw.ErrorCode(err) == mlw.ENOTFOUND {
			return nil, nil, mlw.Errorf(mlw.ENOTFOUND, "endpoint %s is not deployed", endpoint).
				WithHint("mlw deploy list shows the endpoints")
		}
		return nil, nil, err
	}
	spec, err := ParseSpec(d)
	if err != nil {
		return nil, nil, err
	}
	return d, spec, nil
}

// serving returns the current revision and spec of an endpoint that serves
// something, or nil and nil when it serves nothing.
func (s *Service) serving(ctx context.Context, endpoint string) (*mlw.Deployment, *Spec, error) {
	d, spec, err := s.Current(ctx, endpoint)
	if mlw.ErrorCode(err) == mlw.ENOTFOUND {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if d.State == StateUndeployed {
		return d, nil, nil
	}
	return d, spec, nil
}

// Deploy applies a deployment request.
func (s *Service) Deploy(ctx context.Context, r Request) (*mlw.Deployment, error) {
	if err := mlw.ValidName(r.Endpoint); err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "endpoint: %s", mlw.ErrorMessage(err))
	}
	r.Strategy = cmp.Or(r.Strategy, Direct)
	if !slices.Contains(Strategies, r.Strategy) {
		return nil, mlw.Errorf(mlw.EINVALID, "--strategy %q: want one of direct, shadow, ab, canary, bluegreen", r.Strategy)
	}
	mv, err := s.registry().Resolve(ctx, r.Model)
	if err != nil {
		return nil, err
	}
	if mv.Status == mlw.ModelArchived {
		return nil, mlw.Errorf(mlw.EINVALID, "%s is archived and cannot be deployed", mv.Ref())
	}
	nv := VariantSpec{Model: mv.Name, Version: mv.Version, Artifact: mv.ArtifactKey}

	cur, spec, err := s.serving(ctx, r.Endpoint)
	if err != nil {
		return nil, err
	}
	expect := 0
	if cur != nil {
		expect = cur.Revision
	}
	if spec == nil && r.Strategy != Direct && r.Strategy != BlueGreen {
		return nil, mlw.Errorf(mlw.EINVALID, "endpoint %s serves nothing yet: the %s strategy needs a live version to compare with", r.Endpoint, r.Strategy).
			WithHint("deploy the first version with --strategy direct or bluegreen")
	}
	if spec != nil && (spec.Canary != nil || len(spec.Variants) > 1 || len(spec.Shadows) > 0) && r.Strategy != Direct {
		return nil, mlw.Errorf(mlw.ECONFLICT, "endpoint %s has a %s in progress (revision %d): promote or roll it back first", r.Endpoint, describe(cur, spec), cur.Revision).
			WithHint("mlw promote %s or mlw rollback %s", r.Endpoint, r.Endpoint)
	}
	var live VariantSpec
	if spec != nil {
		live = spec.Primary()
		live.Weight = 0
		if live.Model == nv.Model && live.Version == nv.Version && r.Strategy != Direct {
			return nil, mlw.Errorf(mlw.EINVALID, "endpoint %s already serves %s", r.Endpoint, nv.Ref())
		}
	}

	next := &Spec{Base: expect}
	state := StateLive
	switch r.Strategy {
	case Direct:
		nv.Name = VariantPrimary
		next.Variants = []VariantSpec{nv}
	case Shadow:
		live.Name, nv.Name = VariantPrimary, VariantShadow
		next.Variants, next.Shadows = []VariantSpec{live}, []VariantSpec{nv}
		state = StateShadowing
	case AB:
		w := r.Weights
		if w == nil {
			w = []int{50, 50}
		}
		if len(w) != 2 || w[0] < 0 || w[1] < 0 || w[0]+w[1] == 0 {
			return nil, mlw.Errorf(mlw.EINVALID, "--weights %s: want two non-negative weights, the current version's then the new one's, such as 90,10", joinInts(w))
		}
		live.Name, live.Weight = VariantA, w[0]
		nv.Name, nv.Weight = VariantB, w[1]
		next.Variants = []VariantSpec{live, nv}
		state = StateSplitting
	case Canary:
		c, err := canaryPlan(r, s.now())
		if err != nil {
			return nil, err
		}
		nv.Name, live.Name = VariantCanary, VariantStable
		nv.Weight, live.Weight = c.Steps[0], 100-c.Steps[0]
		next.Variants = []VariantSpec{nv, live} // canary first: raising its weight only moves keys towards it
		next.Canary = c
		state = StateCanary
	case BlueGreen:
		nv.Name = VariantBlue
		if spec != nil {
			if live.Name == VariantBlue {
				nv.Name = VariantGreen
			}
			sb := live
			next.Standby = &sb
		}
		if s.Verify != nil {
			checks, err := s.Verify(ctx, nv)
			if err != nil {
				return nil, mlw.Errorf(mlw.EINVALID, "blue-green: %s failed its checks before the switch (nothing changed): %s", nv.Ref(), mlw.ErrorMessage(err))
			}
			next.Verified = checks
		}
		next.Variants = []VariantSpec{nv}
	}
	if r.Strategy == AB || r.Strategy == Canary {
		next.StickyHeader, next.StickyField = r.StickyHeader, r.StickyField
	}
	next.RetireOnPromote = r.RetireOnPromote
	details := map[string]any{"model": nv.Ref(), "strategy": r.Strategy}
	if spec != nil {
		details["from"] = live.Ref()
	}
	return s.write(ctx, r.Endpoint, r.Strategy, state, next, expect, "deploy.create", r.Reason, details)
}

// canaryPlan builds a canary's plan from a request.
func canaryPlan(r Request, now time.Time) (*CanarySpec, error) {
	c := &CanarySpec{
		Steps:           r.Steps,
		StepStarted:     now,
		Interval:        Duration(cmp.Or(r.Interval, DefaultCanaryInterval)),
		MaxErrorRate:    cmp.Or(r.MaxErrorRate, DefaultMaxErrorRate),
		MaxP99Ms:        r.MaxP99Ms,
		MaxShift:        cmp.Or(r.MaxShift, DefaultMaxShift),
		MaxAccuracyDrop: cmp.Or(r.MaxAccuracyDrop, 0.05),
		MinRequests:     cmp.Or(r.MinRequests, DefaultMinRequests),
	}
	if c.Steps == nil {
		c.Steps = slices.Clone(DefaultCanarySteps)
	}
	if err := validSteps(c.Steps); err != nil {
		return nil, err
	}
	switch {
	case r.Interval < 0:
		return nil, mlw.Errorf(mlw.EINVALID, "--interval %s: want a positive duration", r.Interval)
	case c.MaxErrorRate < 0 || c.MaxErrorRate > 1:
		return nil, mlw.Errorf(mlw.EINVALID, "--max-error-rate %g: want a share in [0, 1]", c.MaxErrorRate)
	case c.MaxP99Ms < 0:
		return nil, mlw.Errorf(mlw.EINVALID, "--max-p99-ms %g: want 0 (no limit) or more", c.MaxP99Ms)
	case c.MaxShift < 0:
		return nil, mlw.Errorf(mlw.EINVALID, "--max-shift %g: want 0 or more", c.MaxShift)
	case c.MaxAccuracyDrop < 0 || c.MaxAccuracyDrop > 1:
		return nil, mlw.Errorf(mlw.EINVALID, "--max-accuracy-drop %g: want a share in [0, 1]", c.MaxAccuracyDrop)
	case c.MinRequests < 0:
		return nil, mlw.Errorf(mlw.EINVALID, "--min-requests %d: want 0 or more", c.MinRequests)
	}
	return c, nil
}

// describe names what a revision has in progress.
func describe(d *mlw.Deployment, s *Spec) string {
	switch {
	case s.Canary != nil:
		return "canary"
	case len(s.Shadows) > 0:
		return "shadow"
	case len(s.Variants) > 1:
		return "A/B split"
	}
	return d.Strategy
}

// write stores the next revision of an endpoint.
func (s *Service) write(ctx context.Context, endpoint, strategy, state string, spec *Spec, expect int, action, reason string, details map[string]any) (*mlw.Deployment, error) {
	if err := spec.Validate(); err != nil && state != StateUndeployed {
		return nil, err
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if details == nil {
		details = map[string]any{}
	}
	details["state"] = state
	ev := audit.New(now, s.Actor, action, "endpoint/"+endpoint, reason, details)
	return s.Store.CreateDeployment(ctx, &store.CreateDeploymentParams{
		Deployment: mlw.Deployment{
			Endpoint: endpoint, Strategy: strategy, State: state, Spec: raw,
			Reason: reason, CreatedAt: now, CreatedBy: s.Actor,
		},
		ExpectRevision: &expect,
		Audit:          ev,
	})
}

// Promote ends a change in progress in favour of the new version: the
// canary or the A/B split's variant (default b) or the shadow takes all
// traffic; after a blue-green switch, the standby is released.
func (s *Service) Promote(ctx context.Context, endpoint, variant, reason string) (*mlw.Deployment, error) {
	d, spec, err := s.Current(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	return s.promote(ctx, d, spec, variant, reason, nil)
}

func (s *Service) promote(ctx context.Context, d *mlw.Deployment, spec *Spec, variant, reason string, an *Analysis) (*mlw.Deployment, error) {
	var win VariantSpec
	switch {
	case spec.Canary != nil:
		win, _ = spec.Variant(VariantCanary)
	case len(spec.Shadows) > 0:
		win = spec.Shadows[0]
	case len(spec.Variants) > 1:
		v, ok := spec.Variant(cmp.Or(variant, VariantB))
		if !ok {
			return nil, mlw.Errorf(mlw.EINVALID, "--variant %q: endpoint %s has variants %s", variant, d.Endpoint, variantNames(spec))
		}
		win = v
	case spec.Standby != nil:
		win = spec.Variants[0]
	default:
		return nil, mlw.Errorf(mlw.EINVALID, "endpoint %s has nothing to promote: it serves %s alone (revision %d)", d.Endpoint, spec.Primary().Ref(), d.Revision)
	}
	if variant != "" && variant != win.Name && spec.Canary == nil && len(spec.Variants) < 2 {
		return nil, mlw.Errorf(mlw.EINVALID, "--variant %q: only %s can be promoted", variant, win.Name)
	}
	win.Weight = 0
	winName := win.Name
	if d.Strategy != BlueGreen {
		win.Name = VariantPrimary
	}
	next := &Spec{Variants: []VariantSpec{win}, Base: spec.Base, Analysis: an}
	nd, err := s.write(ctx, d.Endpoint, d.Strategy, StatePromoted, next, d.Revision, "deploy.promote", reason,
		map[string]any{"model": win.Ref(), "revision": d.Revision})
	if err != nil {
		return nil, err
	}
	if spec.RetireOnPromote && s.Promoted != nil {
		var from VariantSpec
		switch {
		case spec.Canary != nil:
			from, _ = spec.Variant(VariantStable)
		case len(spec.Shadows) > 0:
			from = spec.Variants[0]
		case spec.Standby != nil:
			from = *spec.Standby
		default:
			for _, v := range spec.Variants {
				if v.Name != winName {
					from = v
				}
			}
		}
		if from.Model != "" {
			if err := s.Promoted(ctx, d.Endpoint, from, win); err != nil {
				return nd, fmt.Errorf("promoted, but retiring %s failed: %w", from.Ref(), err)
			}
		}
	}
	return nd, nil
}

func variantNames(s *Spec) string {
	var names []string
	for _, v := range s.Variants {
		names = append(names, v.Name)
	}
	return fmt.Sprint(names)
}

// Rollback returns an endpoint to the revision its current one was changed
// from: a canary, a shadow or an A/B split ends with the stable version
// alone; after a direct deploy, a promotion or a blue-green switch, the
// previous version serves again (instantly for blue-green: the standby is
// loaded).
func (s *Service) Rollback(ctx context.Context, endpoint, reason string) (*mlw.Deployment, error) {
	d, spec, err := s.Current(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	return s.rollback(ctx, d, spec, reason, nil)
}

func (s *Service) rollback(ctx context.Context, d *mlw.Deployment, spec *Spec, reason string, an *Analysis) (*mlw.Deployment, error) {
	var back *Spec
	switch {
	case spec.Canary != nil || len(spec.Shadows) > 0 || len(spec.Variants) > 1:
		// The change in progress ends; the version it was compared with stays.
		base, err := s.baseSpec(ctx, d, spec)
		if err != nil {
			return nil, err
		}
		back = base
	case spec.Standby != nil:
		sb := *spec.Standby
		cur := spec.Variants[0]
		back = &Spec{Variants: []VariantSpec{sb}, Standby: &cur}
	default:
		if spec.Base == 0 {
			return nil, mlw.Errorf(mlw.EINVALID, "endpoint %s has no earlier revision to roll back to", d.Endpoint)
		}
		base, err := s.baseSpec(ctx, d, spec)
		if err != nil {
			return nil, err
		}
		back = base
	}
	back.Base = d.Revision
	back.Analysis = an
	back.Canary = nil
	from := spec.Primary().Ref()
	if spec.Canary != nil {
		if v, ok := spec.Variant(VariantCanary); ok {
			from = v.Ref()
		}
	}
	return s.write(ctx, d.Endpoint, d.Strategy, StateRolledBack, back, d.Revision, "deploy.rollback", reason,
		map[string]any{"from": from, "to": back.Primary().Ref(), "revision": d.Revision})
}

// baseSpec returns the spec of the revision the current one was changed
// from, as it served.
func (s *Service) baseSpec(ctx context.Context, d *mlw.Deployment, spec *Spec) (*Spec, error) {
	if spec.Base == 0 {
		return nil, mlw.Errorf(mlw.EINVALID, "endpoint %s revision %d has no base revision", d.Endpoint, d.Revision)
	}
	bd, err := s.Store.GetDeployment(ctx, &store.GetDeploymentParams{Endpoint: d.Endpoint, Revision: spec.Base})
	if err != nil {
		return nil, err
	}
	base, err := ParseSpec(bd)
	if err != nil {
		return nil, err
	}
	if bd.State == StateUndeployed || len(base.Variants) == 0 {
		return nil, mlw.Errorf(mlw.EINVALID, "endpoint %s served nothing at revision %d: use mlw undeploy", d.Endpoint, spec.Base)
	}
	if base.Canary != nil || len(base.Shadows) > 0 || len(base.Variants) > 1 {
		// The base itself had a change in progress: go back to what it
		// compared against.
		return s.baseSpec(ctx, bd, base)
	}
	return base, nil
}

// Undeploy stops serving an endpoint (its history stays).
func (s *Service) Undeploy(ctx context.Context, endpoint, reason string) (*mlw.Deployment, error) {
	d, spec, err := s.Current(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	if d.State == StateUndeployed {
		return nil, mlw.Errorf(mlw.EINVALID, "endpoint %s is already undeployed", endpoint)
	}
	return s.write(ctx, endpoint, d.Strategy, StateUndeployed, &Spec{Base: d.Revision}, d.Revision, "deploy.undeploy", reason,
		map[string]any{"from": spec.Primary().Ref()})
}

// Served says which versions served an endpoint at a time: the revision
// live then (the latest created at or before t).
func (s *Service) Served(ctx context.Context, endpoint string, t time.Time) (*mlw.Deployment, *Spec, error) {
	revs, err := s.Store.ListDeployments(ctx, &store.ListDeploymentsParams{Endpoint: endpoint})
	if err != nil {
		return nil, nil, err
	}
	if len(revs) == 0 {
		return nil, nil, mlw.Errorf(mlw.ENOTFOUND, "endpoint %s was never deployed", endpoint)
	}
	var at *mlw.Deployment
	for _, d := range revs {
		if !d.CreatedAt.After(t) {
			at = d
		}
	}
	if at == nil {
		return nil, nil, mlw.Errorf(mlw.ENOTFOUND, "endpoint %s was first deployed at %s, after %s", endpoint,
			revs[0].CreatedAt.Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	spec, err := ParseSpec(at)
	if err != nil {
		return nil, nil, err
	}
	return at, spec, nil
}
