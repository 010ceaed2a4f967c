package serve

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the server's Prometheus metrics. Labels are bounded: endpoint
// is "" for requests to endpoints that do not exist, version is NAME@N, code
// the HTTP status.
type Metrics struct {
	requests          *prometheus.CounterVec
	duration          *prometheus.HistogramVec
	errors            *prometheus.CounterVec
	panics            prometheus.Counter
	inFlight          prometheus.Gauge
	shadowDropped     *prometheus.CounterVec
	shadowPredictions *prometheus.CounterVec
	shadowDuration    *prometheus.HistogramVec
}

// latencyBuckets span 50 µs to 5 s.
var latencyBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// NewMetrics creates the metrics and registers them on reg; nil means do not
// register. It returns the registry's error when a metric of the same name is
// already registered.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlw_serve_requests_total",
			Help: "Prediction requests (simple JSON and infer) by endpoint, model version, variant and HTTP status.",
		}, []string{"endpoint", "version", "variant", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mlw_serve_request_duration_seconds",
			Help:    "Time from the request's arrival to its answer, for answered prediction requests.",
			Buckets: latencyBuckets,
		}, []string{"endpoint", "version", "variant"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlw_serve_errors_total",
			Help: "Failed requests by endpoint and error code (invalid, not_found, too_large, internal, ...).",
		}, []string{"endpoint", "code"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlw_serve_panics_total",
			Help: "Panics recovered in handlers (each answered with a 500).",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mlw_serve_in_flight_requests",
			Help: "Requests being handled.",
		}),
		shadowDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlw_serve_shadow_dropped_total",
			Help: "Shadow copies not made because the shadow queue was full or the server was stopping.",
		}, []string{"endpoint"}),
		shadowPredictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlw_serve_shadow_predictions_total",
			Help: "Shadow predictions by endpoint, model version, variant and outcome (ok, error).",
		}, []string{"endpoint", "version", "variant", "outcome"}),
		shadowDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mlw_serve_shadow_duration_seconds",
			Help:    "Time a shadow variant took to predict a mirrored request.",
			Buckets: latencyBuckets,
		}, []string{"endpoint", "version", "variant"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.duration, m.errors, m.panics, m.inFlight, m.shadowDropped, m.shadowPredictions, m.shadowDuration} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// series caches the metric children of one variant of one endpoint, so that
// a successful request resolves no labels.
type series struct {
	metrics  *Metrics
	endpoint string
	ok       prometheus.Counter
	dur      prometheus.Observer
}

// seriesFor returns the cached series of variant v serving endpoint.
func (m *Metrics) seriesFor(endpoint string, v *Variant) *series {
	if s := v.series.Load(); s != nil && s.metrics == m && s.endpoint == endpoint {
		return s
	}
	s := &series{
		metrics: m, endpoint: endpoint,
		ok:  m.requests.WithLabelValues(endpoint, v.Model.ref, v.Name, "200"),
		dur: m.duration.WithLabelValues(endpoint, v.Model.ref, v.Name),
	}
	v.series.Store(s)
	return s
}

// statusText holds the label values of common statuses.
var statusText = map[int]string{200: "200", 400: "400", 401: "401", 403: "403", 404: "404", 408: "408", 409: "409", 413: "413", 500: "500", 503: "503"}

func statusLabel(code int) string {
	if s, ok := statusText[code]; ok {
		return s
	}
	return strconv.Itoa(code)
}
