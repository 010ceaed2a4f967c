package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
)

// sendHuge posts a body of size bytes (declared by Content-Length, or
// chunked) over a raw connection while reading the answer, and returns it.
func sendHuge(t testing.TB, addr string, size int, chunked bool) (int, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	head := "POST /v1/endpoints/churn/predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
	if chunked {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += "Content-Length: " + strconv.Itoa(size) + "\r\n\r\n"
	}
	_, err = conn.Write([]byte(head))
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { // writes until the body is sent or the server hangs up
		defer close(done)
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		copy(chunk, `{"instances": [`)
		for sent := 0; sent < size; sent += len(chunk) {
			var err error
			if chunked {
				_, err = fmt.Fprintf(conn, "%x\r\n%s\r\n", len(chunk), chunk)
			} else {
				_, err = conn.Write(chunk)
			}
			if err != nil {
				return
			}
			copy(chunk, "     ")
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	conn.Close()
	<-done
	return resp.StatusCode, data
}

func TestSwitchVersionsUnderLoad(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r1, err := Single(&Variant{Name: "blue", Model: f.ms.v1})
	require.NoError(t, err)
	r2, err := Single(&Variant{Name: "green", Model: f.ms.v2})
	require.NoError(t, err)
	body := `{"instances": [` + goodRow + `, ` + goodRow + `]}`

	const workers, perWorker = 8, 150
	var failed atomic.Int64
	var firstFailure atomic.Value
	var seen sync.Map
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range perWorker {
				resp, err := f.client.Post(f.url+"/v1/endpoints/churn/predict", "application/json", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, string(data))
					continue
				}
				switch {
				case bytes.Contains(data, []byte(`"model":"churn@1","variant":"blue"`)):
					seen.Store("blue", true)
				case bytes.Contains(data, []byte(`"model":"churn@2","variant":"green"`)):
					seen.Store("green", true)
				default:
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, "mixed answer: "+string(data))
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	swaps := 0
loop:
	for {
		select {
		case <-done:
			break loop
		default:
		}
		require.NoError(t, f.table.Set("churn", []*Route{r1, r2}[swaps%2]))
		swaps++
		// Let a few requests through on this version.
		resp, err := f.client.Get(f.url + "/v2/health/live")
		require.NoError(t, err)
		resp.Body.Close()
	}
	require.Zero(t, failed.Load(), "first failure: %v", firstFailure.Load())
	_, blue := seen.Load("blue")
	_, green := seen.Load("green")
	require.True(t, blue && green, "both versions answered")
	require.Greater(t, swaps, 10)
}

// shadowObserver blocks shadow observations until released and records
// request ids.
type shadowObserver struct {
	entered chan string // request id of each shadow observation
	release chan struct{}
	mu      sync.Mutex
	primary []string
	errs    []error
}

func (o *shadowObserver) Observe(ob *Observation) {
	if !ob.Shadow {
		o.mu.Lock()
		o.primary = append(o.primary, ob.RequestID)
		o.mu.Unlock()
		return
	}
	o.mu.Lock()
	o.errs = append(o.errs, ob.Err)
	o.mu.Unlock()
	o.entered <- ob.RequestID
	<-o.release
}

func TestShadowNeverSlowsPrimary(t *testing.T) {
	t.Parallel()
	obs := &shadowObserver{entered: make(chan string, 100), release: make(chan struct{})}
	f := setup(t, func(c *Config) { c.Observer = obs; c.ShadowQueue = 2 })
	released := false
	defer func() {
		if !released {
			close(obs.release)
		}
	}()
	route, err := NewRoute(RouteConfig{
		Variants: []*Variant{{Name: "primary", Model: f.ms.v1}},
		Shadows:  []*Variant{{Name: "shadow", Model: f.ms.v2}},
	})
	require.NoError(t, err)
	require.NoError(t, f.table.Set("churn", route))
	body := `{"instances": [` + goodRow + `]}`

	first := f.predict(t, "churn", body, "X-Request-Id", "r-0")
	require.Equal(t, "primary", first.Variant, "only the primary answers")
	require.Equal(t, "r-0", <-obs.entered, "the shadow got the same request")
	// The shadow worker is now blocked: the primary keeps answering.
	for i := 1; i <= 10; i++ {
		r := f.predict(t, "churn", body, "X-Request-Id", "r-"+strconv.Itoa(i))
		require.Equal(t, "churn@1", r.Model)
	}
	m := f.s.Metrics()
	require.Equal(t, 8.0, testutil.ToFloat64(m.shadowDropped.WithLabelValues("churn")), "2 copies queued, 8 dropped")
	close(obs.release)
	released = true
	require.Equal(t, "r-1", <-obs.entered)
	require.Equal(t, "r-2", <-obs.entered)
	// Stop waits for the workers, so the counters are final afterwards.
	require.NoError(t, f.s.Stop())
	require.Equal(t, 3.0, testutil.ToFloat64(m.shadowPredictions.WithLabelValues("churn", "churn@2", "shadow", "ok")))
	obs.mu.Lock()
	defer obs.mu.Unlock()
	require.Len(t, obs.primary, 11)
	require.Equal(t, []error{nil, nil, nil}, obs.errs)
}

func TestShadowFailureNeverFailsPrimary(t *testing.T) {
	t.Parallel()
	obs := &shadowObserver{entered: make(chan string, 100), release: make(chan struct{})}
	close(obs.release)
	f := setup(t, func(c *Config) { c.Observer = obs })
	// A shadow with another signature (the price regressor) fails every copy.
	route, err := NewRoute(RouteConfig{
		Variants: []*Variant{{Name: "primary", Model: f.ms.v1}},
		Shadows:  []*Variant{{Name: "wrong", Model: f.ms.reg}},
	})
	require.NoError(t, err)
	require.NoError(t, f.table.Set("churn", route))
	r := f.predict(t, "churn", `{"instances": [`+goodRow+`]}`)
	require.Equal(t, r.RequestID, <-obs.entered)
	require.NoError(t, f.s.Stop())
	require.Equal(t, 1.0, testutil.ToFloat64(f.s.Metrics().shadowPredictions.WithLabelValues("churn", "price@1", "wrong", "error")))
	require.Len(t, obs.errs, 1)
	require.ErrorContains(t, obs.errs[0], "column x1 is missing")
}

func TestStickyAssignment(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a, b := &Variant{Name: "a", Model: f.ms.v1}, &Variant{Name: "b", Model: f.ms.v2}
	byHeader, err := NewRoute(RouteConfig{Variants: []*Variant{a, b}, Weights: []int{50, 50}, StickyHeader: "X-User"})
	require.NoError(t, err)
	require.NoError(t, f.table.Set("churn", byHeader))
	body := `{"instances": [` + goodRow + `]}`
	count := map[string]int{}
	for u := range 30 {
		user := "user-" + strconv.Itoa(u)
		want := byHeader.Pick(KeyHash(user)).Name
		for range 3 {
			r := f.predict(t, "churn", body, "X-User", user)
			require.Equal(t, want, r.Variant, "user %s always gets the same variant", user)
		}
		count[want]++
	}
	require.Positive(t, count["a"])
	require.Positive(t, count["b"])

	byField, err := NewRoute(RouteConfig{Variants: []*Variant{a, b}, Weights: []int{50, 50}, StickyField: "spend"})
	require.NoError(t, err)
	require.NoError(t, f.table.Set("churn", byField))
	for _, spend := range []string{"1", "12.5", "40", "7.25", "33"} {
		want := byField.Pick(KeyHash(spend)).Name
		asNumber := f.predict(t, "churn", strings.Replace(body, "12.5", spend, 1))
		asString := f.predict(t, "churn", strings.Replace(body, "12.5", `"`+spend+`"`, 1))
		require.Equal(t, want, asNumber.Variant)
		require.Equal(t, want, asString.Variant, "the number and its text are the same key")
	}
}

func TestRoutePick(t *testing.T) {
	t.Parallel()
	ms := models(t)
	stable, canary := &Variant{Name: "stable", Model: ms.v1}, &Variant{Name: "canary", Model: ms.v2}
	route := func(w ...int) *Route {
		r, err := NewRoute(RouteConfig{Variants: []*Variant{canary, stable}, Weights: w})
		require.NoError(t, err)
		return r
	}
	r5, r25 := route(5, 95), route(25, 75)
	n5, n25 := 0, 0
	const keys = 20000
	for k := range keys {
		h := KeyHash("user-" + strconv.Itoa(k))
		if r5.Pick(h) == canary {
			n5++
			require.Same(t, canary, r25.Pick(h), "growing the canary keeps its users")
		}
		if r25.Pick(h) == canary {
			n25++
		}
	}
	require.InDelta(t, 0.05, float64(n5)/keys, 0.01)
	require.InDelta(t, 0.25, float64(n25)/keys, 0.015)
	all := route(100, 0)
	for k := range 100 {
		require.Same(t, canary, all.Pick(KeyHash(strconv.Itoa(k))))
	}
	require.Same(t, canary, all.Primary())

	for _, cfg := range []RouteConfig{
		{},
		{Variants: []*Variant{{Name: "a"}}},
		{Variants: []*Variant{{Name: "", Model: ms.v1}}},
		{Variants: []*Variant{stable, stable}},
		{Variants: []*Variant{stable}, Shadows: []*Variant{{Name: "stable", Model: ms.v2}}},
		{Variants: []*Variant{stable, canary}, Weights: []int{1}},
		{Variants: []*Variant{stable, canary}, Weights: []int{0, 0}},
		{Variants: []*Variant{stable, canary}, Weights: []int{-1, 2}},
		{Variants: []*Variant{stable}, StickyHeader: "X-User", StickyField: "id"},
	} {
		_, err := NewRoute(cfg)
		require.Error(t, err)
		require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	}
}

func TestTable(t *testing.T) {
	t.Parallel()
	ms := models(t)
	var tab Table
	_, err := tab.Route("churn")
	require.Equal(t, mlw.ENOTFOUND, mlw.ErrorCode(err))
	require.Empty(t, tab.Endpoints())
	r, err := Single(&Variant{Name: "primary", Model: ms.v1})
	require.NoError(t, err)
	require.NoError(t, tab.Set("churn", r))
	require.NoError(t, tab.Set("b-endpoint", r))
	require.Equal(t, []string{"b-endpoint", "churn"}, tab.Endpoints())
	got, err := tab.Route("churn")
	require.NoError(t, err)
	require.Same(t, r, got)
	tab.Remove("churn")
	require.Equal(t, []string{"b-endpoint"}, tab.Endpoints())
	require.Error(t, tab.Set("bad name!", r))
	require.Error(t, tab.Set("ok", nil))
	require.Error(t, tab.Replace(map[string]*Route{"-x": r}))
	require.Equal(t, []string{"b-endpoint"}, tab.Endpoints(), "a failed Replace changes nothing")
}

// signalRouter signals each lookup: the handler is running.
type signalRouter struct {
	Router
	looked chan struct{}
}

func (r signalRouter) Route(endpoint string) (*Route, error) {
	r.looked <- struct{}{}
	return r.Router.Route(endpoint)
}

func TestGracefulStop(t *testing.T) {
	t.Parallel()
	looked := make(chan struct{}, 1)
	f := setup(t, func(c *Config) { c.Router = signalRouter{c.Router, looked} })
	body := `{"instances": [` + goodRow + `]}`
	conn, err := net.Dial("tcp", f.s.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /v1/endpoints/churn/predict HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	require.NoError(t, err)
	<-looked // the handler runs and waits for the rest of the body

	stopped := make(chan error, 1)
	go func() { stopped <- f.s.Stop() }()
	require.Eventually(t, f.s.stopping.Load, 5*time.Second, time.Millisecond)
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) with a request in flight", err)
	default:
	}
	// The request in flight is answered.
	_, err = conn.Write([]byte(body[10:]))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", data)
	require.NoError(t, <-stopped)

	require.NoError(t, f.s.Stop(), "a second Stop is safe")
	require.Equal(t, mlw.ECONFLICT, mlw.ErrorCode(f.s.Start(t.Context())))
}

func TestSlowBodyTimesOut(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.RequestTimeout = 200 * time.Millisecond })
	conn, err := net.Dial("tcp", f.s.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	// Half a body, then nothing: the answer comes when the read deadline passes.
	_, err = fmt.Fprintf(conn, "POST /v1/endpoints/churn/predict HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n{\"instances\": [")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, "%s", data)
	require.Contains(t, errorOf(t, data).Error, "did not arrive within 200ms")
	f.predict(t, "churn", `{"instances": [`+goodRow+`]}`)
}

func TestPredictDeadline(t *testing.T) {
	t.Parallel()
	m := models(t).reg
	var b batch
	var p prediction
	body := `{"instances": [` + strings.TrimSuffix(strings.Repeat(`{"x1": 1, "x2": 2},`, 600), ",") + `]}`
	require.NoError(t, decodePredict([]byte(body), &b, limits{maxRows: 1000, maxDepth: 8}))
	require.NoError(t, m.bind(&p, &b))
	err := m.predict(&p, b.rows(), time.Now().Add(-time.Second))
	require.Equal(t, mlw.EUNAVAILABLE, mlw.ErrorCode(err))
	require.ErrorContains(t, err, "timed out after 256 of 600 rows")
	require.Equal(t, http.StatusServiceUnavailable, HTTPStatus(err))
	require.NoError(t, m.predict(&p, b.rows(), time.Time{}))
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogsOnlyFailures(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	f := setup(t, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	for range 5 {
		f.predict(t, "churn", `{"instances": [`+goodRow+`]}`)
	}
	require.Empty(t, buf.String(), "successes are not logged")
	code, _ := f.do(t, "POST", "/v1/endpoints/churn/predict", `{"instances": [{"tenure": 1}]}`, "X-Request-Id", "log-1")
	require.Equal(t, http.StatusBadRequest, code)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1)
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	require.Equal(t, "INFO", rec["level"])
	require.Equal(t, "log-1", rec[LogKeyRequestID])
	require.Equal(t, float64(400), rec[LogKeyStatus])
	require.Equal(t, mlw.EINVALID, rec[LogKeyCode])
	require.Contains(t, rec[LogKeyError], "column spend is missing")
}
