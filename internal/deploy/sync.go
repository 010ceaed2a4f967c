package deploy

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/serve"
	"mlw.dev/internal/store"
	"mlw.dev/model/bundle"
)

// Blobs reads artifacts by key (internal/artifact.Store satisfies it).
type Blobs interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// Loader loads model versions for serving and keeps them: a version is
// decoded once, however many endpoints and revisions use it.
type Loader struct {
	Blobs Blobs

	mu     sync.Mutex
	models map[string]*serve.Model // by artifact key and ref
}

// Load returns the served model of a variant, decoding its bundle on first use.
func (l *Loader) Load(ctx context.Context, v VariantSpec) (*serve.Model, error) {
	key := v.Ref() + " " + v.Artifact
	l.mu.Lock()
	m, ok := l.models[key]
	l.mu.Unlock()
	if ok {
		return m, nil
	}
	data, err := l.Blobs.Get(ctx, v.Artifact)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", v.Ref(), err)
	}
	b, err := bundle.Decode(v.Ref(), data)
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "load %s: %v", v.Ref(), err)
	}
	m, err = serve.NewModel(v.Model, v.Version, b)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.models == nil {
		l.models = map[string]*serve.Model{}
	}
	if prev, ok := l.models[key]; ok {
		return prev, nil
	}
	l.models[key] = m
	return m, nil
}

// retain drops the models no spec in use needs any more.
func (l *Loader) retain(specs []*Spec) {
	keep := map[string]bool{}
	for _, s := range specs {
		for _, v := range s.All() {
			keep[v.Ref()+" "+v.Artifact] = true
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.models {
		if !keep[k] {
			delete(l.models, k)
		}
	}
}

// Route builds the serving route of a spec.
func (l *Loader) Route(ctx context.Context, spec *Spec) (*serve.Route, error) {
	cfg := serve.RouteConfig{StickyHeader: spec.StickyHeader, StickyField: spec.StickyField}
	for _, v := range spec.Variants {
		m, err := l.Load(ctx, v)
		if err != nil {
			return nil, err
		}
		cfg.Variants = append(cfg.Variants, &serve.Variant{Name: v.Name, Model: m})
		cfg.Weights = append(cfg.Weights, v.Weight)
	}
	if len(spec.Variants) == 1 {
		cfg.Weights = nil
	}
	for _, v := range spec.Shadows {
		m, err := l.Load(ctx, v)
		if err != nil {
			return nil, err
		}
		cfg.Shadows = append(cfg.Shadows, &serve.Variant{Name: v.Name, Model: m})
	}
	if spec.Standby != nil {
		// Keep the standby loaded so that a rollback switches instantly.
		if _, err := l.Load(ctx, *spec.Standby); err != nil {
			return nil, err
		}
	}
	return serve.NewRoute(cfg)
}

// Syncer keeps a serve.Table in step with the deployments in the store: it
// polls the latest revision of every endpoint and, when one changed, loads
// the versions it needs and swaps the endpoint's route atomically. A revision
// that fails to load leaves the endpoint on its previous route (logged and
// retried at the next poll), so a bad deployment never takes an endpoint down.
type Syncer struct {
	Store    store.Store
	Loader   *Loader
	Table    *serve.Table
	Interval time.Duration // default 1 s
	Logger   *slog.Logger

	mu      sync.Mutex
	applied map[string]int // endpoint -> revision installed
	failed  map[string]string
	synced  bool
}

// Sync applies the store's deployments once.
func (s *Syncer) Sync(ctx context.Context) error {
	deps, err := s.Store.ListDeployments(ctx, &store.ListDeploymentsParams{})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied == nil {
		s.applied, s.failed = map[string]int{}, map[string]string{}
	}
	var specs []*Spec
	live := map[string]bool{}
	for _, d := range deps {
		spec, err := ParseSpec(d)
		if err != nil {
			s.fail(d, err)
			continue
		}
		if d.State == StateUndeployed {
			if _, ok := s.applied[d.Endpoint]; ok {
				s.Table.Remove(d.Endpoint)
				delete(s.applied, d.Endpoint)
				s.log().Info("endpoint undeployed", "endpoint", d.Endpoint, "revision", d.Revision)
			}
			continue
		}
		live[d.Endpoint] = true
		specs = append(specs, spec)
		if s.applied[d.Endpoint] == d.Revision {
			continue
		}
		route, err := s.Loader.Route(ctx, spec)
		if err != nil {
			s.fail(d, err)
			continue
		}
		if err := s.Table.Set(d.Endpoint, route); err != nil {
			s.fail(d, err)
			continue
		}
		s.applied[d.Endpoint] = d.Revision
		delete(s.failed, d.Endpoint)
		s.log().Info("endpoint switched", "endpoint", d.Endpoint, "revision", d.Revision,
			"strategy", d.Strategy, "state", d.State, "serves", describeVariants(spec))
	}
	for ep := range s.applied {
		if !live[ep] {
			s.Table.Remove(ep)
			delete(s.applied, ep)
		}
	}
	s.Loader.retain(specs)
	s.synced = true
	return nil
}

func (s *Syncer) fail(d *mlw.Deployment, err error) {
	msg := mlw.ErrorMessage(err)
	if s.failed[d.Endpoint] != msg {
		s.log().Error("deployment not applied", "endpoint", d.Endpoint, "revision", d.Revision, "err", msg)
	}
	s.failed[d.Endpoint] = msg
}

func (s *Syncer) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Applied returns the revision installed for each endpoint.
func (s *Syncer) Applied() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.applied)
}

// Failures returns the endpoints whose latest revision could not be applied.
func (s *Syncer) Failures() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.failed)
}

// Run syncs now and every Interval (default 1 s) until ctx ends.
func (s *Syncer) Run(ctx context.Context) {
	repeat(ctx, s.Interval, func() {
		if err := s.Sync(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("deployments not read", "err", mlw.ErrorMessage(err))
		}
	})
}

// repeat calls f now and then every interval (default 1 s) until ctx ends.
func repeat(ctx context.Context, interval time.Duration, f func()) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func describeVariants(s *Spec) string {
	out := ""
	for i, v := range s.Variants {
		if i > 0 {
			out += ", "
		}
		out += v.Name + "=" + v.Ref()
		if len(s.Variants) > 1 {
			out += fmt.Sprintf(" (%d)", v.Weight)
		}
	}
	for _, v := range s.Shadows {
		out += ", shadow " + v.Name + "=" + v.Ref()
	}
	return out
}
