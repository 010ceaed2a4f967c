package predlog

import "github.com/prometheus/client_golang/prometheus"

// metrics are the prediction log's Prometheus metrics.
type metrics struct {
	logged      prometheus.Counter
	dropQueue   prometheus.Counter
	dropSink    prometheus.Counter
	dropClosed  prometheus.Counter
	flush       prometheus.Histogram
	queueLength prometheus.GaugeFunc
}

// flushBuckets span 1 ms to 10 s.
var flushBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// newMetrics creates the metrics and registers them on reg; nil means do
// not register. queued reports the records waiting.
func newMetrics(reg prometheus.Registerer, queued func() float64) (*metrics, error) {
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mlw_predictions_dropped_total",
		Help: "Prediction log records lost, by reason: queue_full (the queue was full), sink_error (the store kept refusing the batch), closed (observed after or still queued at shutdown).",
	}, []string{"reason"})
	m := &metrics{
		logged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlw_predictions_logged_total",
			Help: "Prediction log records written to the store.",
		}),
		dropQueue:  dropped.WithLabelValues(ReasonQueueFull),
		dropSink:   dropped.WithLabelValues(ReasonSinkError),
		dropClosed: dropped.WithLabelValues(ReasonClosed),
		flush: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mlw_prediction_log_flush_seconds",
			Help:    "Time the store took to write one batch of prediction log records (each attempt).",
			Buckets: flushBuckets,
		}),
		queueLength: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mlw_prediction_log_queue_length",
			Help: "Prediction log records observed and not yet written or dropped.",
		}, queued),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.logged, dropped, m.flush, m.queueLength} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// dropped returns the counter of reason.
func (m *metrics) dropped(reason string) prometheus.Counter {
	switch reason {
	case ReasonQueueFull:
		return m.dropQueue
	case ReasonSinkError:
		return m.dropSink
	}
	return m.dropClosed
}
