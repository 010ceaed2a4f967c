package predlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/serve"
	"mlw.dev/internal/store"
)

var (
	wideOnce sync.Once
	wide     *serve.Model
)

// sharedWide returns one wideModel for the whole package.
func sharedWide(t testing.TB) *serve.Model {
	t.Helper()
	wideOnce.Do(func() { wide = wideModel(t) })
	require.NotNil(t, wide)
	return wide
}

// observe observes a prediction of n rows with request id id.
func observe(t testing.TB, l *Logger, id string, n int) {
	t.Helper()
	o := wideObservation(sharedWide(t), n, false)
	o.RequestID = id
	l.Observe(o)
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no sink", Config{}, "no sink"},
		{"negative queue", Config{Sink: sink, Queue: -1}, "queue -1 is negative"},
		{"negative batch", Config{Sink: sink, Batch: -1}, "batch -1 is negative"},
		{"batch beyond queue", Config{Sink: sink, Queue: 10, Batch: 20}, "batch 20 is larger than the queue (10)"},
		{"negative interval", Config{Sink: sink, FlushInterval: -time.Second}, "flush interval -1s is negative"},
		{"negative backoff", Config{Sink: sink, RetryBackoff: -time.Second}, "retry backoff -1s is negative"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		require.Error(t, err, tt.name)
		require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err), tt.name)
		require.ErrorContains(t, err, tt.want, tt.name)
	}
	cfg := Config{Sink: sink}.WithDefaults()
	require.Equal(t, DefaultQueue, cfg.Queue)
	require.Equal(t, DefaultBatch, cfg.Batch)
	require.Equal(t, DefaultFlushInterval, cfg.FlushInterval)
	require.Equal(t, DefaultRetries, cfg.Retries)
	require.Equal(t, 100, Config{Sink: sink, Queue: 100}.WithDefaults().Batch, "a queue smaller than the default batch")
}

func TestBatchBySize(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{accepted: make(chan int, 10)}
	l := newLogger(t, sink, Config{Batch: 10, Queue: 100, FlushInterval: time.Hour})
	require.NoError(t, l.Start(context.Background()))
	observe(t, l, "a", 25)
	require.Equal(t, 10, waitBatch(t, sink))
	require.Equal(t, 10, waitBatch(t, sink))
	// The last 5 wait for the interval, or Close.
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, []int{10, 10, 5}, sink.sizes())
	recs := sink.records()
	for i, r := range recs {
		require.Equal(t, i, r.Row, "records stay in order")
	}
	require.Equal(t, uint64(25), l.Logged())
}

func TestBatchByInterval(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{accepted: make(chan int, 10)}
	l := newLogger(t, sink, Config{Batch: 100, FlushInterval: 5 * time.Millisecond})
	require.NoError(t, l.Start(context.Background()))
	observe(t, l, "a", 3)
	require.Equal(t, 3, waitBatch(t, sink))
	observe(t, l, "b", 1)
	observe(t, l, "c", 1)
	n := waitBatch(t, sink)
	if n == 1 { // the interval ended between the two
		n += waitBatch(t, sink)
	}
	require.Equal(t, 2, n)
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, uint64(5), l.Logged())
}

func TestQueueFull(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}, 1), make(chan struct{})
	sink := &fakeSink{LogPredictionsFunc: func(ctx context.Context, p *store.LogPredictionsParams) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		return nil
	}}
	reg := prometheus.NewRegistry()
	l := newLogger(t, sink, Config{Queue: 4, Batch: 2, FlushInterval: time.Hour, Registerer: reg})
	require.NoError(t, l.Start(context.Background()))
	observe(t, l, "a", 2) // a full batch: the writer takes it and blocks in the sink
	<-entered
	observe(t, l, "b", 3) // 2 fit (the batch being written counts), 1 dropped
	observe(t, l, "c", 1) // dropped
	require.Equal(t, uint64(2), l.Dropped())
	require.Equal(t, 4.0, testutil.ToFloat64(l.metrics.queueLength))
	close(release)
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, uint64(4), l.Logged())
	require.Equal(t, uint64(2), l.Dropped())
	var ids []string
	for _, r := range sink.records() {
		ids = append(ids, r.RequestID+strconv.Itoa(r.Row))
	}
	require.Equal(t, []string{"a0", "a1", "b0", "b1"}, ids)

	observe(t, l, "d", 2) // after Close
	require.Equal(t, uint64(4), l.Dropped())
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP mlw_prediction_log_queue_length Prediction log records observed and not yet written or dropped.
# TYPE mlw_prediction_log_queue_length gauge
mlw_prediction_log_queue_length 0
# HELP mlw_predictions_dropped_total Prediction log records lost, by reason: queue_full (the queue was full), sink_error (the store kept refusing the batch), closed (observed after or still queued at shutdown).
# TYPE mlw_predictions_dropped_total counter
mlw_predictions_dropped_total{reason="closed"} 2
mlw_predictions_dropped_total{reason="queue_full"} 2
mlw_predictions_dropped_total{reason="sink_error"} 0
# HELP mlw_predictions_logged_total Prediction log records written to the store.
# TYPE mlw_predictions_logged_total counter
mlw_predictions_logged_total 4
`), "mlw_prediction_log_queue_length", "mlw_predictions_dropped_total", "mlw_predictions_logged_total"))
	require.Equal(t, 1, testutil.CollectAndCount(l.metrics.flush))
}

func TestQueueBytes(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{}
	l := newLogger(t, sink, Config{Queue: 100, QueueBytes: 4096})
	observe(t, l, "a", 20) // about 550 bytes each
	queued := l.pending.Load()
	require.Greater(t, queued, int64(1))
	require.Less(t, queued, int64(20))
	require.LessOrEqual(t, l.pendingBytes.Load(), int64(4096))
	require.Equal(t, uint64(20-queued), l.Dropped())
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, uint64(queued), l.Logged())
	require.Zero(t, l.pendingBytes.Load())

	// A row larger than the whole budget is dropped, the next ones are not.
	l = newLogger(t, sink, Config{Queue: 100, QueueBytes: 4096})
	o := wideObservation(sharedWide(t), 1, false)
	o.Inputs[29].Str = strings.Repeat("x", 5000)
	l.Observe(o)
	require.Equal(t, uint64(1), l.Dropped())
	observe(t, l, "b", 1)
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, uint64(1), l.Logged())
}

func TestMetricsRegisterOnce(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	_, err := New(Config{Sink: &fakeSink{}, Registerer: reg})
	require.NoError(t, err)
	_, err = New(Config{Sink: &fakeSink{}, Registerer: reg})
	require.Error(t, err, "a second logger on the same registry")
}

func TestSinkErrors(t *testing.T) {
	t.Parallel()
	errDown := errors.New("database is down")
	tests := []struct {
		name        string
		failures    int // the first calls that fail
		retries     int
		wantCalls   int
		wantLogged  uint64
		wantDropped uint64
	}{
		{"first attempt", 0, 3, 1, 5, 0},
		{"retried then written", 2, 3, 3, 5, 0},
		{"last retry", 3, 3, 4, 5, 0},
		{"retries exhausted", 10, 3, 4, 0, 5},
		{"no retries", 1, -1, 1, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			done := make(chan struct{})
			sink := &fakeSink{LogPredictionsFunc: func(ctx context.Context, p *store.LogPredictionsParams) error {
				n := int(calls.Add(1))
				if n == tt.wantCalls {
					defer close(done)
				}
				if n <= tt.failures {
					return fmt.Errorf("insert: %w", errDown)
				}
				return nil
			}}
			var logs strings.Builder
			var mu sync.Mutex
			l := newLogger(t, sink, Config{
				Batch: 5, FlushInterval: time.Hour, Retries: tt.retries, RetryBackoff: time.Millisecond,
				Logger: slogTo(&mu, &logs),
			})
			require.NoError(t, l.Start(context.Background()))
			observe(t, l, "a", 5)
			<-done
			require.NoError(t, l.Close(context.Background()))
			require.Equal(t, tt.wantCalls, int(calls.Load()))
			require.Equal(t, tt.wantLogged, l.Logged())
			require.Equal(t, tt.wantDropped, l.Dropped())
			require.Equal(t, float64(tt.wantDropped), testutil.ToFloat64(l.metrics.dropSink))
			mu.Lock()
			defer mu.Unlock()
			if tt.wantDropped > 0 {
				require.Contains(t, logs.String(), `level=ERROR msg="prediction log batch dropped" subsystem=predlog records=5`)
				require.Contains(t, logs.String(), "database is down")
			} else {
				require.NotContains(t, logs.String(), "level=ERROR")
			}
		})
	}
}

func TestCloseFlushes(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{}
	l := newLogger(t, sink, Config{Batch: 64, FlushInterval: time.Hour})
	require.NoError(t, l.Start(context.Background()))
	for i := range 50 {
		observe(t, l, "r"+strconv.Itoa(i), 3)
	}
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, uint64(150), l.Logged())
	n := 0
	for _, s := range sink.sizes() {
		require.LessOrEqual(t, s, 64)
		n += s
	}
	require.Equal(t, 150, n)
	require.Zero(t, l.pending.Load())

	require.NoError(t, l.Close(context.Background()), "closing twice")
	require.Equal(t, mlw.ECONFLICT, mlw.ErrorCode(l.Start(context.Background())))
}

func TestCloseWithoutStart(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{}
	l := newLogger(t, sink, Config{Batch: 4})
	observe(t, l, "a", 10)
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, []int{4, 4, 2}, sink.sizes())
}

func TestCloseDeadline(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 1)
	sink := &fakeSink{LogPredictionsFunc: func(ctx context.Context, p *store.LogPredictionsParams) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done() // a store that hangs until cancelled
		return ctx.Err()
	}}
	l := newLogger(t, sink, Config{Batch: 4, FlushInterval: time.Hour})
	require.NoError(t, l.Start(context.Background()))
	observe(t, l, "a", 10) // two full batches and 2 records
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.Close(ctx) }()
	cancel()
	err := <-errc
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "10 predictions not written")
	require.Equal(t, uint64(10), l.Dropped())
	require.Equal(t, 10.0, testutil.ToFloat64(l.metrics.dropClosed))
	require.Zero(t, l.Logged())
}

func TestStartContextEnds(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{accepted: make(chan int, 10)}
	l := newLogger(t, sink, Config{Batch: 2, FlushInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, l.Start(ctx))
	observe(t, l, "a", 2)
	require.Equal(t, 2, waitBatch(t, sink))
	cancel()
	<-l.done // the writer stops; records still queue
	observe(t, l, "b", 3)
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, uint64(5), l.Logged())
}

func TestConcurrentObserve(t *testing.T) {
	t.Parallel()
	const goroutines, perGoroutine = 8, 300
	sink := &fakeSink{}
	// A small queue and a slow-ish sink, so that some records are dropped.
	var calls atomic.Int32
	sink.LogPredictionsFunc = func(ctx context.Context, p *store.LogPredictionsParams) error {
		if calls.Add(1)%7 == 0 {
			return errors.New("transient")
		}
		return nil
	}
	l := newLogger(t, sink, Config{Queue: 256, Batch: 16, FlushInterval: time.Millisecond, RetryBackoff: time.Microsecond})
	require.NoError(t, l.Start(context.Background()))
	m := sharedWide(t)
	var wg sync.WaitGroup
	var observed atomic.Uint64
	for g := range goroutines {
		wg.Go(func() {
			o := wideObservation(m, 3, false)
			for i := range perGoroutine {
				n := 1 + (g+i)%3
				o.Rows, o.Inputs, o.Outputs, o.Classes = n, o.Inputs[:n*30], o.Outputs[:n*2], o.Classes[:n]
				o.RequestID = strconv.Itoa(g) + "-" + strconv.Itoa(i)
				if i%50 == 0 {
					o.Err = errors.New("bad request")
					observed.Add(1)
				} else {
					o.Err = nil
					observed.Add(uint64(n))
				}
				l.Observe(o)
				o.Inputs, o.Outputs, o.Classes = o.Inputs[:cap(o.Inputs)], o.Outputs[:cap(o.Outputs)], o.Classes[:cap(o.Classes)]
			}
		})
	}
	wg.Wait()
	require.NoError(t, l.Close(context.Background()))
	require.Equal(t, observed.Load(), l.Logged()+l.Dropped())
	recs := sink.records()
	require.Equal(t, l.Logged(), uint64(len(recs)))
	seen := make(map[string]bool, len(recs))
	for _, r := range recs {
		k := r.RequestID + "/" + strconv.Itoa(r.Row)
		require.False(t, seen[k], "record %s written twice", k)
		seen[k] = true
	}
	require.Equal(t, float64(l.Logged()), testutil.ToFloat64(l.metrics.logged))
	dropped := testutil.ToFloat64(l.metrics.dropQueue) + testutil.ToFloat64(l.metrics.dropSink) + testutil.ToFloat64(l.metrics.dropClosed)
	require.Equal(t, float64(l.Dropped()), dropped)
	t.Logf("observed %d, logged %d, dropped %d, batches %d", observed.Load(), l.Logged(), l.Dropped(), len(sink.sizes()))
}
