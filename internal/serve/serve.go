// Package serve is mlw's inference server: the HTTP core that answers
// predictions for deployed endpoints with the Open Inference Protocol v2 (as
// KServe, Seldon and Triton speak it) and a simple JSON form (MLflow's
// instances and dataframe_split), exports Prometheus metrics and shuts down
// gracefully.
//
// What an endpoint serves is asked of a Router on every request: a Route
// names the variants that answer (one, or several with weights and sticky
// assignment) and the shadow variants that receive a copy. Table is an
// in-memory Router whose routes are swapped atomically, so a deployment can
// switch versions under load without failing a request; the deploy package
// decides what the routes are.
//
//	m, _ := serve.NewModel("churn", 3, b)
//	route, _ := serve.Single(&serve.Variant{Name: "primary", Model: m})
//	table, _ := serve.NewTable(map[string]*serve.Route{"churn": route})
//	s, _ := serve.New(serve.Config{Router: table, Logger: logger, Registerer: reg})
//	_ = s.Start(ctx)
//	defer s.Stop()
//
// Endpoints:
//
//	GET  /v2/health/live, /v2/health/ready, /healthz
//	GET  /v2                                   server metadata
//	GET  /v2/models/{name}                     model metadata (signature)
//	GET  /v2/models/{name}/ready
//	POST /v2/models/{name}/infer               Open Inference Protocol v2
//	POST /v1/endpoints/{name}/predict          {"instances": [...]} or {"dataframe_split": {...}}
//	POST /v1/endpoints/{name}/feedback         ground truth for logged predictions (Config.Feedback)
//	GET  /metrics                              Prometheus
//	     /v1/admin/...                         Config.Admin, behind Config.AdminToken
//
// The prediction path decodes the body by hand into pooled buffers, binds
// it to the model's signature, and predicts through the feature pipeline and
// the estimator without allocating per row.
package serve

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mlw.dev/feature"
	"mlw.dev/internal/mlw"
)

// Defaults of Config.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultMaxBodyBytes    = 1 << 20
	DefaultMaxBatch        = 1024
	DefaultMaxDepth        = 32
	DefaultRequestTimeout  = 10 * time.Second
	DefaultIdleTimeout     = 2 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
	DefaultShadowQueue     = 1024
	DefaultShadowWorkers   = 1
)

// Log attribute keys.
const (
	LogKeyRequestID = "request_id"
	LogKeyEndpoint  = "endpoint"
	LogKeyVariant   = "variant"
	LogKeyModel     = "model"
	LogKeyMethod    = "method"
	LogKeyPath      = "path"
	LogKeyStatus    = "status"
	LogKeyCode      = "code"
	LogKeyError     = "error"
	LogKeyDuration  = "duration"
)

// Config configures a Server. The zero value of each field means its
// default; Router is required.
type Config struct {
	// Addr is the TCP address Start listens on (default 127.0.0.1:8080, the
	// loopback interface: serve other hosts only when told to). ":0" or
	// "127.0.0.1:0" picks a free port; see Server.Addr.
	Addr string
	// Router tells what each endpoint serves.
	Router Router
	// Logger receives one INFO line per failed request (ERROR for internal
	// errors and panics); successes are not logged. Nil discards.
	Logger *slog.Logger
	// Registerer receives the server's metrics (see NewMetrics); nil means
	// they are not registered. Gatherer is what GET /metrics serves; when nil
	// and Registerer is a *prometheus.Registry, that registry.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// Observer, when set, sees every prediction (primary and shadow), for the
	// prediction log, drift monitoring and deployment analysis.
	Observer Observer
	// Feedback, when set, receives the labels of
	// POST /v1/endpoints/{name}/feedback.
	Feedback FeedbackSink
	// Token, when set, is the bearer token the model endpoints
	// (/v1/endpoints/..., /v2/models/...) require. Health and metrics
	// endpoints stay open.
	Token string
	// Admin, when set, is mounted at /v1/admin/ (the deploy package's
	// deployment changes) behind AdminToken, which it then requires: every
	// request there needs "Authorization: Bearer ADMIN_TOKEN".
	Admin      http.Handler
	AdminToken string
	// MaxBodyBytes bounds a request body (default 1 MiB); larger ones get 413.
	MaxBodyBytes int64
	// MaxBatch bounds the rows of one request (default 1024); more get 413.
	MaxBatch int
	// MaxDepth bounds the nesting of request JSON (default 32).
	MaxDepth int
	// RequestTimeout bounds reading a request and predicting it (default
	// 10 s): a body still arriving then gets 408, a batch still predicting
	// 503.
	RequestTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long (default 2 min).
	IdleTimeout time.Duration
	// ShutdownTimeout bounds how long Stop waits for requests in flight
	// (default 30 s); connections still busy then are closed.
	ShutdownTimeout time.Duration
	// ShadowQueue bounds the requests waiting to be mirrored to shadow
	// variants (default 1024); when it is full, copies are dropped and counted
	// rather than slowing the answer. ShadowWorkers predict them (default 1).
	ShadowQueue   int
	ShadowWorkers int
	// Version is the server's version in GET /v2 (default "dev").
	Version string
	// Now is the clock of observations (default time.Now).
	Now func() time.Time
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.Addr = cmp.Or(c.Addr, DefaultAddr)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Gatherer == nil {
		if g, ok := c.Registerer.(prometheus.Gatherer); ok {
			c.Gatherer = g
		}
	}
	c.MaxBodyBytes = cmp.Or(c.MaxBodyBytes, DefaultMaxBodyBytes)
	c.MaxBatch = cmp.Or(c.MaxBatch, DefaultMaxBatch)
	c.MaxDepth = cmp.Or(c.MaxDepth, DefaultMaxDepth)
	c.RequestTimeout = cmp.Or(c.RequestTimeout, DefaultRequestTimeout)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, DefaultIdleTimeout)
	c.ShutdownTimeout = cmp.Or(c.ShutdownTimeout, DefaultShutdownTimeout)
	c.ShadowQueue = cmp.Or(c.ShadowQueue, DefaultShadowQueue)
	c.ShadowWorkers = cmp.Or(c.ShadowWorkers, DefaultShadowWorkers)
	c.Version = cmp.Or(c.Version, "dev")
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate checks a configuration after WithDefaults.
func (c Config) Validate() error {
	switch {
	case c.Router == nil:
		return mlw.Errorf(mlw.EINVALID, "serve: no router")
	case c.MaxBodyBytes < 0 || c.MaxBatch < 0 || c.MaxDepth < 0:
		return mlw.Errorf(mlw.EINVALID, "serve: negative limit (max body %d, max batch %d, max depth %d)", c.MaxBodyBytes, c.MaxBatch, c.MaxDepth)
	case c.MaxDepth < 4:
		return mlw.Errorf(mlw.EINVALID, "serve: max depth %d is too small for any request (4 or more)", c.MaxDepth)
	case c.RequestTimeout < 0 || c.IdleTimeout < 0 || c.ShutdownTimeout < 0:
		return mlw.Errorf(mlw.EINVALID, "serve: negative timeout")
	case c.Admin != nil && c.AdminToken == "":
		return mlw.Errorf(mlw.EINVALID, "serve: an admin handler needs an admin token")
	case c.ShadowQueue < 0 || c.ShadowWorkers < 0:
		return mlw.Errorf(mlw.EINVALID, "serve: negative shadow queue or workers")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return mlw.Errorf(mlw.EINVALID, "serve: address %q: %v (want HOST:PORT such as 127.0.0.1:8080)", c.Addr, err)
	}
	return nil
}

// Observer sees the predictions the server makes.
type Observer interface {
	// Observe is called after each prediction, on the request's goroutine for
	// the answering variant (so it must be quick and must not block) and on a
	// shadow worker for shadows. The slices in o are reused once Observe
	// returns: copy what you keep.
	Observe(o *Observation)
}

// Observation is one prediction of one variant for one request.
type Observation struct {
	Time      time.Time
	Endpoint  string
	Variant   string
	Model     string // NAME@N
	Source    *Model // the model that predicted (its bundle has the signature and labels)
	RequestID string
	Shadow    bool
	Duration  time.Duration // binding and predicting
	Err       error         // the request's rows did not fit the signature (or a shadow failed)
	Rows      int
	// Inputs are the rows' values in signature order, Rows × len(signature).
	Inputs []feature.Value
	// Outputs are Rows × Width values: class probabilities or predicted values.
	Outputs []float64
	Width   int
	// Classes are the predicted class codes (classifiers).
	Classes []int
}

// Server is the inference server.
type Server struct {
	cfg      Config
	router   Router
	log      *slog.Logger
	metrics  *Metrics
	lim      limits
	handler  http.Handler
	auth     bool
	token    [sha256.Size]byte
	admin    [sha256.Size]byte
	idPrefix string
	idSeq    atomic.Uint64
	calls    sync.Pool

	mu        sync.Mutex
	srv       *http.Server
	ln        net.Listener
	serveDone chan struct{}
	serveErr  error
	stopping  atomic.Bool
	stopOnce  sync.Once
	stopErr   error

	shadow shadowQueue
}

// New returns a server for cfg. It starts nothing: use Start, or Handler
// with a server of your own (and Stop, which also ends the shadow workers).
// It returns an error with code EINVALID for a bad configuration, and the
// registry's error when the metrics cannot be registered.
func New(cfg Config) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	metrics, err := NewMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	s := &Server{
		cfg: cfg, router: cfg.Router, log: cfg.Logger.With("subsystem", "serve"), metrics: metrics,
		lim:      limits{maxRows: cfg.MaxBatch, maxDepth: cfg.MaxDepth},
		idPrefix: hex.EncodeToString(seed[:]) + "-",
	}
	if cfg.Token != "" {
		s.auth, s.token = true, sha256.Sum256([]byte(cfg.Token))
	}
	if cfg.AdminToken != "" {
		s.admin = sha256.Sum256([]byte(cfg.AdminToken))
	}
	s.calls.New = func() any { return new(call) }
	s.shadow.init(s)
	s.handler = s.routes()
	return s, nil
}

// routes builds the handler.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/health/live", s.wrap(s.handleLive))
	mux.HandleFunc("GET /v2/health/ready", s.wrap(s.handleReady))
	mux.HandleFunc("GET /healthz", s.wrap(s.handleHealthz))
	mux.HandleFunc("GET /v2", s.wrap(s.handleServerMetadata))
	mux.HandleFunc("GET /v2/models/{name}", s.wrap(s.handleModelMetadata))
	mux.HandleFunc("GET /v2/models/{name}/ready", s.wrap(s.handleModelReady))
	mux.HandleFunc("POST /v2/models/{name}/infer", s.wrap(s.handleInfer))
	mux.HandleFunc("POST /v1/endpoints/{name}/predict", s.wrap(s.handlePredict))
	fast := []fastPath{
		{"/v1/endpoints/", "/predict", s.handlePredict},
		{"/v2/models/", "/infer", s.handleInfer},
	}
	if s.cfg.Feedback != nil {
		mux.HandleFunc("POST /v1/endpoints/{name}/feedback", s.wrap(s.handleFeedback))
	}
	if s.cfg.Admin != nil {
		mux.Handle("/v1/admin/", s.adminGuard(s.cfg.Admin))
	}
	if s.cfg.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
		}))
	}
	return s.recoverer(s.fastRoute(fast, mux))
}

// fastPath is a POST route PREFIX{name}SUFFIX of the mux that fastRoute
// dispatches itself.
type fastPath struct {
	prefix, suffix string
	f              apiFunc
}

// fastRoute sends the prediction requests straight to their handlers and
// every other request to the mux: matching patterns with wildcards costs
// the mux about half a microsecond a request, a tenth of a prediction's.
// Only paths the mux would match to the same route as they are, without
// cleaning or unescaping, take the fast way: a name of the characters
// mlw.ValidName allows, starting with a letter or digit (so never "." or
// "..").
func (s *Server) fastRoute(paths []fastPath, mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.RawPath == "" {
			for i := range paths {
				if name, ok := pathName(r.URL.Path, paths[i].prefix, paths[i].suffix); ok {
					s.serveCall(paths[i].f, w, r, name)
					return
				}
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// pathName returns the name between prefix and suffix in path when path
// is prefix, a name as fastRoute wants it, and suffix.
func pathName(path, prefix, suffix string) (string, bool) {
	name, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return "", false
	}
	if name, ok = strings.CutSuffix(name, suffix); !ok || name == "" {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || i > 0 && (c == '-' || c == '_' || c == '.')
		if !ok {
			return "", false
		}
	}
	return name, true
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Start listens on Config.Addr and serves in the background until Stop; ctx
// bounds only the listening. It returns an error with code EUNAVAILABLE when
// the address cannot be bound, and ECONFLICT when the server was started or
// stopped before.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil || s.stopping.Load() {
		return mlw.Errorf(mlw.ECONFLICT, "serve: the server was already started or stopped")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return mlw.Errorf(mlw.EUNAVAILABLE, "serve: listen on %s: %v", s.cfg.Addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.RequestTimeout,
		ReadTimeout:       s.cfg.RequestTimeout,
		WriteTimeout:      2 * s.cfg.RequestTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.serveDone = make(chan struct{})
	go func() {
		defer close(s.serveDone)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
	}()
	return nil
}

// Addr returns the address the server listens on (nil before Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Stop stops accepting connections, waits for the requests in flight to be
// answered (up to Config.ShutdownTimeout, then closes what is left), and ends
// the shadow workers, dropping the copies still queued. It is safe to call
// more than once, and without Start; every call returns the first's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		s.mu.Lock()
		srv := s.srv
		s.mu.Unlock()
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				s.stopErr = mlw.Errorf(mlw.EUNAVAILABLE, "serve: requests still running after %s were cut off", s.cfg.ShutdownTimeout)
				_ = srv.Close()
			}
			<-s.serveDone
			if s.stopErr == nil && s.serveErr != nil {
				s.stopErr = s.serveErr
			}
		}
		s.shadow.stop()
	})
	return s.stopErr
}
