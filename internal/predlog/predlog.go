// Package predlog is the server's prediction log: it turns the predictions
// the inference server makes (serve.Observation) into mlw.Prediction records,
// one per row, and writes them to the store in batches from a background
// goroutine, so that logging never blocks an answer.
//
//	l, _ := predlog.New(predlog.Config{Sink: st, Logger: logger, Registerer: reg})
//	_ = l.Start(ctx)
//	s, _ := serve.New(serve.Config{Router: table, Observer: l, ...})
//	...
//	_ = s.Stop()         // no more observations
//	_ = l.Close(ctx)     // write what is queued
//
// Observe converts and enqueues without blocking: when Config.Queue records
// (or Config.QueueBytes of them) are waiting, further records are dropped
// and counted rather than slowing the request. A batch the sink keeps
// refusing is dropped and counted too. Dropped (and the metric
// mlw_predictions_dropped_total) tells how many records were lost; logged +
// dropped is every record observed.
//
// Records follow mlw.Prediction: Inputs is a JSON array of the row's raw
// values in signature order (null for a missing value, and for a NaN or
// infinite number), Proba a JSON array of the class probabilities rounded
// to six decimals (Score keeps the full value; null for a NaN or infinite
// one). Score is 0 when the model's output is NaN or
// infinite (SQLite stores NaN as NULL, and JSON has neither); Output keeps
// the text "NaN", "+Inf" or "-Inf". In strings, NUL bytes and invalid
// UTF-8, which PostgreSQL cannot store, are replaced by U+FFFD.
//
// Retain deletes old records in a loop; ParseRetention reads the retention
// setting ("30d", "2w", "12h").
package predlog

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/serve"
	"mlw.dev/internal/store"
)

// Defaults of Config.
const (
	DefaultQueue         = 65536
	DefaultQueueBytes    = 64 << 20
	DefaultBatch         = 1000
	DefaultFlushInterval = time.Second
	DefaultRetries       = 3
	DefaultRetryBackoff  = 100 * time.Millisecond
)

// Log attribute keys.
const (
	LogKeySubsystem = "subsystem"
	LogKeyRecords   = "records"
	LogKeyAttempt   = "attempt"
	LogKeyDropped   = "dropped"
	LogKeyTotal     = "total"
	LogKeyError     = "error"
	LogKeyBefore    = "before"
	LogKeyDeleted   = "deleted"
)

// Reasons a record is dropped (the reason label of
// mlw_predictions_dropped_total).
const (
	// ReasonQueueFull: Config.Queue records, or Config.QueueBytes, were
	// already waiting.
	ReasonQueueFull = "queue_full"
	// ReasonSinkError: the sink refused the record's batch on every attempt.
	ReasonSinkError = "sink_error"
	// ReasonClosed: the record was observed after Close, or was still queued
	// when the context of Close ended.
	ReasonClosed = "closed"
)

// Sink is where the records go; store.Store satisfies it.
type Sink interface {
	// LogPredictions appends the records in one transaction, or returns an
	// error and appends none. It must not keep p or its records after it
	// returns: the logger reuses their memory.
	LogPredictions(ctx context.Context, p *store.LogPredictionsParams) error
}

var (
	_ Sink           = store.Store(nil)
	_ serve.Observer = (*Logger)(nil)
)

// Config configures a Logger. The zero value of each field means its
// default; Sink is required.
type Config struct {
	// Sink receives the batches of records.
	Sink Sink
	// Queue bounds the records observed and not yet written, including the
	// batch being written (default 65536); beyond it, records are dropped.
	Queue int
	// QueueBytes bounds the memory of those records (default 64 MiB),
	// counting each as its JSON and error text plus the size of an
	// mlw.Prediction, so that rows of long strings cannot exhaust memory
	// while the store is slow.
	QueueBytes int
	// Batch is the most records one LogPredictions call receives (default
	// 1000, or Queue when smaller). A full batch is written at once; a
	// partial one waits at most FlushInterval (default 1 s).
	Batch         int
	FlushInterval time.Duration
	// Retries is how many times a refused batch is written again before it
	// is dropped (default 3; negative: never), waiting RetryBackoff (default
	// 100 ms) before the first retry and twice as long before each next one.
	Retries      int
	RetryBackoff time.Duration
	// Logger receives an ERROR line per batch dropped after its retries, a
	// WARN line per flush interval in which the queue was full, and a DEBUG
	// line per retry. Nil discards.
	Logger *slog.Logger
	// Registerer receives the logger's metrics; nil means they are not
	// registered.
	Registerer prometheus.Registerer
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.Queue = cmp.Or(c.Queue, DefaultQueue)
	c.QueueBytes = cmp.Or(c.QueueBytes, DefaultQueueBytes)
	c.Batch = cmp.Or(c.Batch, min(DefaultBatch, max(c.Queue, 1)))
	c.FlushInterval = cmp.Or(c.FlushInterval, DefaultFlushInterval)
	c.Retries = cmp.Or(c.Retries, DefaultRetries)
	c.RetryBackoff = cmp.Or(c.RetryBackoff, DefaultRetryBackoff)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate checks a configuration after WithDefaults. It returns an error
// with code EINVALID naming the field at fault.
func (c Config) Validate() error {
	switch {
	case c.Sink == nil:
		return mlw.Errorf(mlw.EINVALID, "predlog: no sink")
	case c.Queue < 0:
		return mlw.Errorf(mlw.EINVALID, "predlog: queue %d is negative", c.Queue)
	case c.QueueBytes < 0:
		return mlw.Errorf(mlw.EINVALID, "predlog: queue bytes %d is negative", c.QueueBytes)
	case c.Batch < 0:
		return mlw.Errorf(mlw.EINVALID, "predlog: batch %d is negative", c.Batch)
	case c.Batch > c.Queue:
		return mlw.Errorf(mlw.EINVALID, "predlog: batch %d is larger than the queue (%d)", c.Batch, c.Queue)
	case c.FlushInterval < 0:
		return mlw.Errorf(mlw.EINVALID, "predlog: flush interval %s is negative", c.FlushInterval)
	case c.RetryBackoff < 0:
		return mlw.Errorf(mlw.EINVALID, "predlog: retry backoff %s is negative", c.RetryBackoff)
	}
	return nil
}

// Logger is the prediction log: a serve.Observer that queues the records
// of every prediction and writes them to its sink in the background. Its
// methods are safe for concurrent use.
type Logger struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	pool    sync.Pool // *encoder

	// pending counts the records observed and neither written nor dropped:
	// queued, or in the batch being written. It changes under mu and is read
	// without it.
	pending      atomic.Int64
	pendingBytes atomic.Int64 // their size (see recordSize)
	closing      atomic.Bool  // set under mu with closed

	mu      sync.Mutex
	full    [][]mlw.Prediction // full batches, oldest first
	tail    []mlw.Prediction   // the batch being filled (cap Batch)
	spare   [][]mlw.Prediction // written batches, emptied, for reuse
	started bool
	closed  bool

	kick   chan struct{} // a batch is full
	stop   chan struct{} // closed by Close
	done   chan struct{} // closed when the writer returns
	cancel context.CancelFunc
	held   []mlw.Prediction // the batch the writer was writing when it stopped

	logged    atomic.Uint64
	dropped   atomic.Uint64
	queueFull atomic.Uint64 // dropped because the queue was full
	warned    uint64        // queueFull when last logged (writer, then Close)
}

// maxSpare bounds the emptied batches kept for reuse.
const maxSpare = 4

// New returns a Logger writing to cfg.Sink; Start starts writing. It returns
// an error with code EINVALID for an invalid configuration, and the
// registry's error when a metric of the same name is already registered.
func New(cfg Config) (*Logger, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Logger{
		cfg:  cfg,
		log:  cfg.Logger.With(LogKeySubsystem, "predlog"),
		kick: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	l.pool.New = func() any { return new(encoder) }
	m, err := newMetrics(cfg.Registerer, func() float64 { return float64(l.pending.Load()) })
	if err != nil {
		return nil, err
	}
	l.metrics = m
	return l, nil
}

// Start starts the goroutine that writes the queued records. It runs until
// Close, or until ctx is done (records then stay queued until Close); ctx is
// also the parent of the writes' contexts. Start returns an error with code
// ECONFLICT when the logger was already started or closed.
func (l *Logger) Start(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.closed {
		return mlw.Errorf(mlw.ECONFLICT, "predlog: logger already started or closed")
	}
	l.started = true
	ctx, l.cancel = context.WithCancel(ctx)
	go l.run(ctx)
	return nil
}

// Close stops accepting records (later ones are dropped with reason
// "closed"), stops the writer, and writes every record still queued. ctx
// bounds the whole: when it ends, the write in progress is cancelled and
// what is left is dropped, and Close returns an error wrapping ctx's error
// that tells how many records were lost. A record the sink refuses at
// Close is also reported. Closing twice is safe.
func (l *Logger) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.closing.Store(true)
	started := l.started
	l.mu.Unlock()
	if started {
		close(l.stop)
		stop := context.AfterFunc(ctx, l.cancel)
		<-l.done
		stop()
		l.cancel()
	}
	return l.drain(ctx)
}

// Logged returns how many records the sink has accepted.
func (l *Logger) Logged() uint64 { return l.logged.Load() }

// Dropped returns how many records were lost, for every reason: a full
// queue, a sink that kept refusing them, or Close.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// Observe queues the records of one prediction: one per row, or one with
// Error set for a failed request. It never blocks: records that do not fit
// in the queue are dropped and counted. It keeps nothing of o.
func (l *Logger) Observe(o *serve.Observation) {
	n := o.Rows
	if o.Err != nil {
		n = 1
	}
	if n <= 0 {
		return
	}
	if l.closing.Load() {
		l.drop(n, ReasonClosed)
		return
	}
	if l.pending.Load() >= int64(l.cfg.Queue) || l.pendingBytes.Load() >= int64(l.cfg.QueueBytes) {
		l.drop(n, ReasonQueueFull)
		return
	}
	e := l.pool.Get().(*encoder)
	var c conversion
	c.init(o)
	if o.Err != nil {
		e.recs = append(e.recs[:0], c.failed(o))
		l.enqueue(e.recs)
	} else {
		for lo := 0; lo < n; lo += segmentRows {
			hi := min(lo+segmentRows, n)
			e.convert(&c, o, lo, hi)
			if reason := l.enqueue(e.recs); reason != "" {
				l.drop(n-hi, reason) // the rows not converted yet
				break
			}
		}
	}
	l.pool.Put(e)
}

// enqueue appends as many of recs as fit in the queue and drops the rest.
// It returns why it dropped records, or "" when it queued them all.
func (l *Logger) enqueue(recs []mlw.Prediction) string {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.drop(len(recs), ReasonClosed)
		return ReasonClosed
	}
	k, size, room := 0, 0, l.cfg.QueueBytes-int(l.pendingBytes.Load())
	for n := min(len(recs), l.cfg.Queue-int(l.pending.Load())); k < n; k++ {
		z := recordSize(&recs[k])
		if size+z > room {
			break
		}
		size += z
	}
	kick := false
	for rest := recs[:k]; len(rest) > 0; {
		if l.tail == nil {
			l.tail = l.newBatch()
		}
		n := copy(l.tail[len(l.tail):cap(l.tail)], rest)
		l.tail = l.tail[:len(l.tail)+n]
		rest = rest[n:]
		if len(l.tail) == cap(l.tail) {
			l.full = append(l.full, l.tail)
			l.tail, kick = nil, true
		}
	}
	l.pending.Add(int64(k))
	l.pendingBytes.Add(int64(size))
	l.mu.Unlock()
	if kick {
		select {
		case l.kick <- struct{}{}:
		default: // the writer has been told already
		}
	}
	if k < len(recs) {
		l.drop(len(recs)-k, ReasonQueueFull)
		return ReasonQueueFull
	}
	return ""
}

// recordSize is what a queued record counts against Config.QueueBytes.
func recordSize(r *mlw.Prediction) int {
	return int(unsafe.Sizeof(*r)) + len(r.Inputs) + len(r.Proba) + len(r.Error)
}

// newBatch returns an empty batch of capacity Batch. l.mu is held.
func (l *Logger) newBatch() []mlw.Prediction {
	if n := len(l.spare); n > 0 {
		b := l.spare[n-1]
		l.spare[n-1] = nil
		l.spare = l.spare[:n-1]
		return b
	}
	return make([]mlw.Prediction, 0, l.cfg.Batch)
}

// take removes the oldest full batch from the queue, or when there is none
// and partial is set, the batch being filled. It returns nil when there is
// nothing to write.
func (l *Logger) take(partial bool) []mlw.Prediction {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.full) > 0 {
		b := l.full[0]
		l.full[0] = nil
		l.full = l.full[1:]
		return b
	}
	if partial && len(l.tail) > 0 {
		b := l.tail
		l.tail = nil
		return b
	}
	return nil
}

// release forgets a batch that was written or dropped. The records of a
// spare batch are not cleared (they are overwritten when it is reused): what
// they keep alive is bounded by maxSpare batches.
func (l *Logger) release(b []mlw.Prediction) {
	size := 0
	for i := range b {
		size += recordSize(&b[i])
	}
	l.mu.Lock()
	l.pending.Add(-int64(len(b)))
	l.pendingBytes.Add(-int64(size))
	if len(l.spare) < maxSpare && cap(b) == l.cfg.Batch {
		l.spare = append(l.spare, b[:0])
	}
	l.mu.Unlock()
}

// drop counts n records lost for reason.
func (l *Logger) drop(n int, reason string) {
	l.dropped.Add(uint64(n))
	l.metrics.dropped(reason).Add(float64(n))
	if reason == ReasonQueueFull {
		l.queueFull.Add(uint64(n))
	}
}

// run is the writer: it writes full batches as soon as they are full and
// the partial one every FlushInterval, until Close or ctx is done.
func (l *Logger) run(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(l.cfg.FlushInterval)
	defer t.Stop()
	for {
		partial := false
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			return
		case <-l.kick:
		case <-t.C:
			partial = true
		}
		for b := l.take(partial); b != nil; b = l.take(false) {
			if l.write(ctx, b) == interrupted {
				l.held = b // for Close
				return
			}
			l.release(b)
		}
		l.warnDrops(ctx)
	}
}

// warnDrops logs the records dropped because the queue was full since it
// last did.
func (l *Logger) warnDrops(ctx context.Context) {
	if n := l.queueFull.Load(); n > l.warned {
		l.log.WarnContext(ctx, "prediction log queue full: predictions dropped", LogKeyDropped, n-l.warned, LogKeyTotal, n)
		l.warned = n
	}
}

// drain writes the batch the writer held and every queued record, until ctx
// ends. It reports the records it could not write.
func (l *Logger) drain(ctx context.Context) error {
	lost, refused := 0, 0
	b := l.held
	l.held = nil
	if b == nil {
		b = l.take(true)
	}
	for b != nil {
		switch l.write(ctx, b) {
		case dropped:
			refused += len(b)
		case interrupted:
			lost += len(b)
			l.drop(len(b), ReasonClosed)
		}
		l.release(b)
		b = l.take(true)
	}
	l.warnDrops(ctx)
	switch {
	case lost > 0:
		return fmt.Errorf("predlog: close: %d predictions not written (%d refused by the sink): %w", lost+refused, refused, context.Cause(ctx))
	case refused > 0:
		return fmt.Errorf("predlog: close: %d predictions refused by the sink", refused)
	}
	return nil
}

// Outcomes of write.
const (
	written = iota
	dropped
	interrupted
)

// write gives a batch to the sink, retrying with backoff, and counts it as
// logged or dropped. It returns interrupted, without counting, when ctx
// ended before the sink accepted the batch.
func (l *Logger) write(ctx context.Context, b []mlw.Prediction) int {
	p := &store.LogPredictionsParams{Predictions: b}
	backoff := l.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return interrupted
		}
		start := time.Now()
		err := l.cfg.Sink.LogPredictions(ctx, p)
		l.metrics.flush.Observe(time.Since(start).Seconds())
		if err == nil {
			l.logged.Add(uint64(len(b)))
			l.metrics.logged.Add(float64(len(b)))
			return written
		}
		if ctx.Err() != nil {
			return interrupted
		}
		if attempt > l.cfg.Retries {
			l.log.ErrorContext(ctx, "prediction log batch dropped", LogKeyRecords, len(b), LogKeyAttempt, attempt, LogKeyError, err.Error())
			l.drop(len(b), ReasonSinkError)
			return dropped
		}
		l.log.DebugContext(ctx, "prediction log write failed; retrying", LogKeyRecords, len(b), LogKeyAttempt, attempt, LogKeyError, err.Error())
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return interrupted
		case <-t.C:
		}
		backoff *= 2
	}
}
