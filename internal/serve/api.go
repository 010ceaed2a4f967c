package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"mlw.dev/internal/mlw"
)

// Error codes of the server beyond mlw's.
const (
	codeTooLarge     = "too_large"    // body or batch over the limit
	codeUnauthorized = "unauthorized" // missing or wrong bearer token
	codeTimeout      = "timeout"      // the body did not arrive in time
)

// statusOf is THE table from error code to HTTP status; codes not listed
// (and foreign errors, which are EINTERNAL) give 500.
var statusOf = map[string]int{
	mlw.EINVALID:     http.StatusBadRequest,
	codeUnauthorized: http.StatusUnauthorized,
	mlw.EFORBIDDEN:   http.StatusForbidden,
	mlw.ENOTFOUND:    http.StatusNotFound,
	codeTimeout:      http.StatusRequestTimeout,
	mlw.ECONFLICT:    http.StatusConflict,
	codeTooLarge:     http.StatusRequestEntityTooLarge,
	mlw.EINTERNAL:    http.StatusInternalServerError,
	mlw.EUNAVAILABLE: http.StatusServiceUnavailable,
}

// HTTPStatus returns the HTTP status the server answers for an error.
func HTTPStatus(err error) int {
	if s, ok := statusOf[mlw.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// maxRequestID bounds the X-Request-Id (and infer "id") the server accepts.
const maxRequestID = 128

// call is the state of one request, pooled: the handler core writes into it
// and wrap encodes, counts and logs from it.
type call struct {
	w        http.ResponseWriter
	r        *http.Request
	id       string
	start    time.Time
	deadline time.Time
	name     string   // the endpoint the path names, when routed without the mux
	endpoint string   // a known endpoint ("" until the route is found)
	model    bool     // a prediction request (counted per variant)
	variant  *Variant // the variant that answered
	route    *Route

	body  []byte
	out   []byte
	batch batch
	pred  prediction
	obs   Observation // the observer's view of the prediction, reused
}

// apiFunc is a handler core: it returns the response value or an error.
type apiFunc func(c *call) (any, error)

// jsonType is the Content-Type header value of every response.
var jsonType = []string{"application/json"}

// wrap adapts a handler core: it sets up the call, recovers panics, maps an
// error to its status through statusOf, writes the JSON (the value or an
// ErrorResponse), and counts and logs.
func (s *Server) wrap(f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.serveCall(f, w, r, "") }
}

// serveCall is wrap's handler; name is the endpoint the path names when
// the request was routed without the mux (fastRoute), "" when the mux
// matched it (the handler then reads the pattern's {name}).
func (s *Server) serveCall(f apiFunc, w http.ResponseWriter, r *http.Request, name string) {
	c := s.calls.Get().(*call)
	c.w, c.r, c.name, c.start = w, r, name, time.Now()
	c.deadline = c.start.Add(s.cfg.RequestTimeout)
	c.id = s.requestID(r)
	s.metrics.inFlight.Inc()
	v, err := s.invoke(f, c)
	h := w.Header()
	h["Content-Type"] = jsonType
	h["X-Request-Id"] = []string{c.id}
	if err != nil {
		s.fail(c, err)
	} else {
		s.respond(c, v)
	}
	s.metrics.inFlight.Dec()
	s.release(c)
}

// invoke runs the core, turning a panic into an internal error.
func (s *Server) invoke(f apiFunc, c *call) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler { //nolint:errorlint // a sentinel panic value, compared as net/http does
				panic(p)
			}
			s.metrics.panics.Inc()
			s.log.ErrorContext(c.r.Context(), "panic in handler", LogKeyRequestID, c.id, LogKeyPath, c.r.URL.Path,
				LogKeyError, fmt.Sprint(p), "stack", string(debug.Stack()))
			v, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return f(c)
}

// respond writes a successful answer.
func (s *Server) respond(c *call, v any) {
	if a, ok := v.(appender); ok {
		c.out = a.appendJSON(c.out[:0])
	} else {
		data, err := json.Marshal(v)
		if err != nil {
			s.fail(c, fmt.Errorf("encode response: %w", err))
			return
		}
		c.out = append(c.out[:0], data...)
	}
	_, _ = c.w.Write(c.out)
	if c.model && c.variant != nil {
		sr := s.metrics.seriesFor(c.endpoint, c.variant)
		sr.ok.Inc()
		sr.dur.Observe(time.Since(c.start).Seconds())
	}
}

// fail writes an error answer, counts it and logs it.
func (s *Server) fail(c *call, err error) {
	code := mlw.ErrorCode(err)
	status := HTTPStatus(err)
	msg := mlw.ErrorMessage(err)
	if code == mlw.EINTERNAL {
		msg = "internal error (request " + c.id + ")"
		s.log.ErrorContext(c.r.Context(), "request failed", LogKeyRequestID, c.id, LogKeyMethod, c.r.Method,
			LogKeyPath, c.r.URL.Path, LogKeyStatus, status, LogKeyError, err.Error())
	} else {
		s.log.InfoContext(c.r.Context(), "request failed", LogKeyRequestID, c.id, LogKeyMethod, c.r.Method,
			LogKeyPath, c.r.URL.Path, LogKeyStatus, status, LogKeyCode, code, LogKeyError, msg,
			LogKeyDuration, time.Since(c.start))
	}
	if status == http.StatusUnauthorized {
		c.w.Header().Set("WWW-Authenticate", `Bearer realm="mlw"`)
	}
	data, _ := json.Marshal(ErrorResponse{Error: msg, Code: code, Hint: mlw.ErrorHint(err), RequestID: c.id})
	c.w.WriteHeader(status)
	_, _ = c.w.Write(data)
	s.metrics.errors.WithLabelValues(c.endpoint, code).Inc()
	if c.model {
		version, variant := "", ""
		if c.variant != nil {
			version, variant = c.variant.Model.ref, c.variant.Name
		}
		s.metrics.requests.WithLabelValues(c.endpoint, version, variant, statusLabel(status)).Inc()
	}
}

// Retention limits of pooled calls: bigger buffers are dropped, so that one
// large request does not pin its memory in the pool.
const (
	keepBytes = 256 << 10
	keepCells = 16 << 10
)

// release returns a call to the pool.
func (s *Server) release(c *call) {
	c.w, c.r, c.variant, c.route = nil, nil, nil, nil
	c.name, c.endpoint, c.model = "", "", false
	c.obs = Observation{} // holds the model and the buffers: let go
	if cap(c.body) > keepBytes {
		c.body = nil
	}
	if cap(c.out) > keepBytes {
		c.out = nil
	}
	if cap(c.batch.cells) > keepCells || cap(c.batch.tcells) > keepCells || cap(c.batch.scratch) > keepBytes {
		c.batch = batch{}
	}
	if cap(c.pred.vals) > keepCells || cap(c.pred.x) > keepCells || cap(c.pred.out) > keepCells {
		c.pred = prediction{}
	}
	s.calls.Put(c)
}

// requestID returns the client's X-Request-Id when it is sensible, or a new one.
func (s *Server) requestID(r *http.Request) string {
	if v := r.Header.Get("X-Request-Id"); v != "" && len(v) <= maxRequestID && printable(v) {
		return v
	}
	var buf [32]byte
	b := append(buf[:0], s.idPrefix...)
	b = strconv.AppendUint(b, s.idSeq.Add(1), 36)
	return string(b)
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// authorize checks the bearer token when one is configured.
func (s *Server) authorize(c *call) error {
	if !s.auth {
		return nil
	}
	return checkBearer(c.r, &s.token)
}

// checkBearer compares the request's bearer token with a token's hash in
// constant time (hashing first hides the length too).
func checkBearer(r *http.Request, want *[sha256.Size]byte) error {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(tok))
	if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
		return mlw.Errorf(codeUnauthorized, "missing or wrong bearer token").WithHint("send Authorization: Bearer TOKEN")
	}
	return nil
}

// adminGuard requires the admin token before the admin handler.
func (s *Server) adminGuard(next http.Handler) http.Handler {
	deny := s.wrap(func(c *call) (any, error) { return nil, checkBearer(c.r, &s.admin) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if checkBearer(r, &s.admin) != nil {
			deny(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readBody reads the request body into c.body, bounded by MaxBodyBytes.
func (s *Server) readBody(c *call) error {
	limit := s.cfg.MaxBodyBytes
	if c.r.ContentLength > limit {
		return s.tooLarge()
	}
	var err error
	if n := c.r.ContentLength; n >= 0 {
		// net/http's body ends after the n bytes the header announced, and
		// n is within the limit: no MaxBytesReader (one allocation less).
		c.body = grow(c.body, int(n))
		_, err = io.ReadFull(c.r.Body, c.body)
	} else {
		body := http.MaxBytesReader(c.w, c.r.Body, limit)
		c.body = c.body[:0]
		for err == nil {
			if len(c.body) == cap(c.body) {
				c.body = append(c.body, 0)[:len(c.body)]
			}
			var n int
			n, err = body.Read(c.body[len(c.body):cap(c.body)])
			c.body = c.body[:len(c.body)+n]
		}
		if err == io.EOF {
			err = nil
		}
	}
	if err == nil {
		return nil
	}
	var maxErr *http.MaxBytesError // escapes to errors.As: only on failure
	switch {
	case errors.As(err, &maxErr):
		return s.tooLarge()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return mlw.Errorf(codeTimeout, "the request body did not arrive within %s", s.cfg.RequestTimeout)
	}
	return mlw.Errorf(mlw.EINVALID, "reading the request body: %v", err)
}

func (s *Server) tooLarge() error {
	return mlw.Errorf(codeTooLarge, "the request body is larger than %d bytes (the server's limit); send smaller batches", s.cfg.MaxBodyBytes)
}

// recoverer is the outermost middleware: a panic outside a wrapped handler
// (in the mux or the metrics handler) is logged and counted, and the
// connection is dropped by net/http; the server keeps serving.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler { //nolint:errorlint // a sentinel panic value
					panic(p)
				}
				s.metrics.panics.Inc()
				s.log.ErrorContext(r.Context(), "panic in handler", LogKeyPath, r.URL.Path, LogKeyError, fmt.Sprint(p), "stack", string(debug.Stack()))
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
