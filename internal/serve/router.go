package serve

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"mlw.dev/internal/jsonw"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/stats"
)

// Router tells the server, per request, how an endpoint is served. The
// server calls it on every request, so it must be fast and safe for
// concurrent use; the deploy package implements it over the store (or feeds a
// Table).
type Router interface {
	// Route returns the current route of an endpoint. It returns an error with
	// code ENOTFOUND when no endpoint has that name. A Route, once returned,
	// is used for the whole request even if the endpoint is switched meanwhile.
	Route(endpoint string) (*Route, error)
	// Endpoints lists the endpoints that have a route, sorted.
	Endpoints() []string
}

// Variant is a model version serving an endpoint under a variant name such as
// "primary", "a", "b", "stable", "canary", "blue" or "green". The name labels
// metrics and responses; the model answers.
type Variant struct {
	Name  string
	Model *Model

	series atomic.Pointer[series] // metric series, resolved on first use
}

// RouteConfig describes how an endpoint is served.
type RouteConfig struct {
	// Variants answer requests: one (direct, blue-green) or several with
	// Weights (A/B, canary).
	Variants []*Variant
	// Weights are the shares of the variants (any non-negative integers with
	// a positive sum, such as 90 and 10); nil means equal shares.
	Weights []int
	// StickyHeader, when set, names a request header whose value picks the
	// variant, so that the same user always gets the same one. StickyField
	// names an input column instead (the value of the first row; a single
	// [N, C] infer tensor has no column names). Requests without the key are
	// assigned at random.
	StickyHeader string
	StickyField  string
	// Shadows receive a copy of every request asynchronously; their answers
	// are observed and counted but never returned, and they never slow or
	// fail the answer of the variant that serves.
	Shadows []*Variant
}

// Route is how an endpoint is served: an immutable, validated RouteConfig.
type Route struct {
	cfg RouteConfig
	cum []uint64 // cumulative weights
}

// NewRoute validates cfg. It returns an error with code EINVALID if there is
// no variant, a variant has no model or no valid name, two variants share a
// name, or the weights do not fit.
func NewRoute(cfg RouteConfig) (*Route, error) {
	if len(cfg.Variants) == 0 {
		return nil, mlw.Errorf(mlw.EINVALID, "a route needs at least one variant")
	}
	seen := map[string]bool{}
	for _, v := range slices.Concat(cfg.Variants, cfg.Shadows) {
		if v == nil || v.Model == nil {
			return nil, mlw.Errorf(mlw.EINVALID, "a variant has no model")
		}
		if err := mlw.ValidName(v.Name); err != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "variant: %s", mlw.ErrorMessage(err))
		}
		if seen[v.Name] {
			return nil, mlw.Errorf(mlw.EINVALID, "two variants are named %s", v.Name)
		}
		seen[v.Name] = true
	}
	if cfg.StickyHeader != "" && cfg.StickyField != "" {
		return nil, mlw.Errorf(mlw.EINVALID, "set StickyHeader or StickyField, not both")
	}
	w := cfg.Weights
	if w == nil {
		w = make([]int, len(cfg.Variants))
		for i := range w {
			w[i] = 1
		}
	}
	if len(w) != len(cfg.Variants) {
		return nil, mlw.Errorf(mlw.EINVALID, "%d weights for %d variants", len(w), len(cfg.Variants))
	}
	r := &Route{cfg: cfg, cum: make([]uint64, len(w))}
	var sum uint64
	for i, x := range w {
		if x < 0 || x > math.MaxInt32 {
			return nil, mlw.Errorf(mlw.EINVALID, "weight %d of variant %s is out of range (0 to %d)", x, cfg.Variants[i].Name, math.MaxInt32)
		}
		sum += uint64(x)
		r.cum[i] = sum
	}
	if sum == 0 {
		return nil, mlw.Errorf(mlw.EINVALID, "the weights sum to 0")
	}
	r.cfg.Weights = slices.Clone(w)
	r.cfg.Variants = slices.Clone(cfg.Variants)
	r.cfg.Shadows = slices.Clone(cfg.Shadows)
	return r, nil
}

// Single returns the route of one variant answering every request.
func Single(v *Variant) (*Route, error) {
	return NewRoute(RouteConfig{Variants: []*Variant{v}})
}

// Config returns the route's configuration. Do not modify its slices.
func (r *Route) Config() RouteConfig { return r.cfg }

// Pick returns the variant that answers a request whose sticky key hashes to
// key (see KeyHash). A key's position in the total weight is fixed, and
// variant i owns the i-th share of it, so raising the first variant's weight
// (a canary listed first) only moves keys towards it.
func (r *Route) Pick(key uint64) *Variant {
	if len(r.cum) == 1 {
		return r.cfg.Variants[0]
	}
	x, _ := bits.Mul64(key, r.cum[len(r.cum)-1])
	for i, c := range r.cum {
		if x < c {
			return r.cfg.Variants[i]
		}
	}
	return r.cfg.Variants[len(r.cum)-1]
}

// Primary returns the variant with the largest weight (the first of equals):
// the one whose metadata the model endpoints describe.
func (r *Route) Primary() *Variant {
	best, bestW := 0, -1
	for i, w := range r.cfg.Weights {
		if w > bestW {
			best, bestW = i, w
		}
	}
	return r.cfg.Variants[best]
}

// KeyHash hashes a sticky key (a header value, or an input value as its text:
// the number 42 and the string "42" are the same key) for Route.Pick.
func KeyHash(s string) uint64 { return stats.Hash64(s) }

// randomKey is the key of a request without a sticky key.
func randomKey() uint64 { return rand.Uint64() }

// Table is an in-memory Router: a map from endpoint to Route replaced
// atomically as a whole, so that a switch never fails or drops a request in
// flight (a request keeps the Route it started with). The zero value is an
// empty table ready to use.
type Table struct {
	mu     sync.Mutex // serialises writers
	routes atomic.Pointer[map[string]*Route]
}

var _ Router = (*Table)(nil)

// NewTable returns a table holding routes (copied).
func NewTable(routes map[string]*Route) (*Table, error) {
	t := &Table{}
	if err := t.Replace(routes); err != nil {
		return nil, err
	}
	return t, nil
}

// Route implements Router.
func (t *Table) Route(endpoint string) (*Route, error) {
	if m := t.routes.Load(); m != nil {
		if r, ok := (*m)[endpoint]; ok {
			return r, nil
		}
	}
	return nil, mlw.Errorf(mlw.ENOTFOUND, "endpoint %.64q is not deployed", endpoint)
}

// Endpoints implements Router.
func (t *Table) Endpoints() []string {
	m := t.routes.Load()
	if m == nil {
		return nil
	}
	names := make([]string, 0, len(*m))
	for name := range *m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Set installs (or replaces) the route of one endpoint. It returns an error
// with code EINVALID for an invalid endpoint name or a nil route.
func (t *Table) Set(endpoint string, r *Route) error {
	if err := mlw.ValidName(endpoint); err != nil {
		return err
	}
	if r == nil {
		return mlw.Errorf(mlw.EINVALID, "endpoint %s: no route", endpoint)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	next := map[string]*Route{}
	if m := t.routes.Load(); m != nil {
		for k, v := range *m {
			next[k] = v
		}
	}
	next[endpoint] = r
	t.routes.Store(&next)
	return nil
}

// Remove deletes an endpoint's route; requests in flight finish on it.
func (t *Table) Remove(endpoint string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := map[string]*Route{}
	if m := t.routes.Load(); m != nil {
		for k, v := range *m {
			if k != endpoint {
				next[k] = v
			}
		}
	}
	t.routes.Store(&next)
}

// Replace installs routes (copied) as the whole table in one atomic step. It
// returns an error with code EINVALID, and changes nothing, if an endpoint
// name is invalid or a route is nil.
func (t *Table) Replace(routes map[string]*Route) error {
	next := make(map[string]*Route, len(routes))
	for name, r := range routes {
		if err := mlw.ValidName(name); err != nil {
			return err
		}
		if r == nil {
			return mlw.Errorf(mlw.EINVALID, "endpoint %s: no route", name)
		}
		next[name] = r
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.routes.Store(&next)
	return nil
}

// stickyKey returns the hash of the request's sticky key under route r, or a
// random key.
func stickyKey(r *Route, header http.Header, b *batch) uint64 {
	switch {
	case r.cfg.StickyHeader != "":
		if v := header.Get(r.cfg.StickyHeader); v != "" {
			return KeyHash(v)
		}
	case r.cfg.StickyField != "" && b.rows() > 0:
		if c, ok := fieldCell(b, r.cfg.StickyField); ok {
			switch c.kind {
			case cellStr:
				return KeyHash(c.str)
			case cellNum:
				var buf [32]byte
				return stats.Hash64(jsonw.AppendNumber(buf[:0], c.num))
			}
		}
	}
	return randomKey()
}

// fieldCell finds the value of column name in the first row of b.
func fieldCell(b *batch, name string) (cell, bool) {
	if b.positional {
		return cell{}, false
	}
	for _, c := range b.row(0) {
		if b.cols[c.col] == name {
			return c, true
		}
	}
	return cell{}, false
}
