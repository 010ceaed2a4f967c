package serve

import (
	"slices"
	"strconv"
	"time"

	"mlw.dev/internal/mlw"
)

var truth = true

// handleLive answers GET /v2/health/live: the process is up.
func (s *Server) handleLive(*call) (any, error) {
	return HealthResponse{Live: &truth}, nil
}

// handleReady answers GET /v2/health/ready: ready when not stopping and at
// least one endpoint is deployed.
func (s *Server) handleReady(*call) (any, error) {
	if s.stopping.Load() {
		return nil, mlw.Errorf(mlw.EUNAVAILABLE, "not ready: the server is shutting down")
	}
	if len(s.router.Endpoints()) == 0 {
		return nil, mlw.Errorf(mlw.EUNAVAILABLE, "not ready: no endpoint is deployed")
	}
	return HealthResponse{Ready: &truth}, nil
}

// handleHealthz answers GET /healthz.
func (s *Server) handleHealthz(*call) (any, error) {
	return HealthResponse{Status: "ok"}, nil
}

// handleServerMetadata answers GET /v2.
func (s *Server) handleServerMetadata(*call) (any, error) {
	return ServerMetadata{Name: Platform, Version: s.cfg.Version, Extensions: []string{}}, nil
}

// lookup finds the route of the request's endpoint.
func (s *Server) lookup(c *call) (*Route, error) {
	if err := s.authorize(c); err != nil {
		return nil, err
	}
	name := c.name
	if name == "" {
		name = c.r.PathValue("name")
	}
	r, err := s.router.Route(name)
	if err != nil {
		return nil, err
	}
	c.endpoint, c.route = name, r
	return r, nil
}

// handleModelMetadata answers GET /v2/models/{name}: the signature of the
// primary variant, the versions of all variants.
func (s *Server) handleModelMetadata(c *call) (any, error) {
	r, err := s.lookup(c)
	if err != nil {
		return nil, err
	}
	md := *r.Primary().Model.meta
	md.Name = c.endpoint
	params := *md.Parameters
	md.Versions = nil
	for i, v := range r.cfg.Variants {
		params.Variants = append(params.Variants, VariantSummary{Name: v.Name, Model: v.Model.ref, Weight: r.cfg.Weights[i]})
		md.Versions = append(md.Versions, strconv.Itoa(v.Model.version))
	}
	for _, v := range r.cfg.Shadows {
		params.Variants = append(params.Variants, VariantSummary{Name: v.Name, Model: v.Model.ref, Shadow: true})
	}
	slices.Sort(md.Versions)
	md.Versions = slices.Compact(md.Versions)
	md.Parameters = &params
	return md, nil
}

// handleModelReady answers GET /v2/models/{name}/ready.
func (s *Server) handleModelReady(c *call) (any, error) {
	if _, err := s.lookup(c); err != nil {
		return nil, err
	}
	return HealthResponse{Name: c.endpoint, Ready: &truth}, nil
}

// handlePredict answers POST /v1/endpoints/{name}/predict.
func (s *Server) handlePredict(c *call) (any, error) {
	if err := s.serveModel(c, decodePredict); err != nil {
		return nil, err
	}
	return predictResult{c}, nil
}

// handleInfer answers POST /v2/models/{name}/infer.
func (s *Server) handleInfer(c *call) (any, error) {
	if err := s.serveModel(c, decodeInfer); err != nil {
		return nil, err
	}
	return inferResult{c}, nil
}

// serveModel is the prediction path shared by both protocols: find the
// route, read and decode the body, pick the variant, bind the rows to its
// signature, predict, and mirror to the shadows.
func (s *Server) serveModel(c *call, decode func([]byte, *batch, limits) error) error {
	c.model = true
	route, err := s.lookup(c)
	if err != nil {
		return err
	}
	if err := s.readBody(c); err != nil {
		return err
	}
	if err := decode(c.body, &c.batch, s.lim); err != nil {
		return err
	}
	v := route.Pick(stickyKey(route, c.r.Header, &c.batch))
	c.variant = v
	if c.batch.outputs&outProba != 0 && !v.Model.Classifier() {
		return mlw.Errorf(mlw.EINVALID, "output %q: model %s is a regressor; it has only %q", OutputProba, v.Model.ref, OutputPredict)
	}
	var start time.Time
	if s.cfg.Observer != nil {
		start = time.Now()
	}
	err = v.Model.bind(&c.pred, &c.batch)
	if err == nil {
		err = v.Model.predict(&c.pred, c.batch.rows(), c.deadline)
	}
	if s.cfg.Observer != nil {
		s.observe(&c.obs, c.endpoint, v, c.id, false, &c.pred, time.Since(start), err)
	}
	if len(route.cfg.Shadows) > 0 {
		s.shadow.mirror(c)
	}
	return err
}

// observe reports one prediction to the observer, through o, a buffer of
// the request (or shadow job) so that nothing is allocated per request.
func (s *Server) observe(o *Observation, endpoint string, v *Variant, id string, shadow bool, p *prediction, d time.Duration, err error) {
	m := v.Model
	*o = Observation{
		Time: s.cfg.Now(), Endpoint: endpoint, Variant: v.Name, Model: m.ref, Source: m, RequestID: id, Shadow: shadow,
		Duration: d, Err: err, Width: m.nout,
	}
	if err == nil {
		o.Rows = p.rows
		o.Inputs = p.vals[:p.rows*len(m.inputs)]
		o.Outputs = p.out[:p.rows*m.nout]
		if m.classes != nil {
			o.Classes = p.codes[:p.rows]
		}
	}
	s.cfg.Observer.Observe(o)
}
