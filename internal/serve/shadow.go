package serve

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"mlw.dev/internal/mlw"
)

// shadowJob is one request mirrored to the shadow variants of its route.
type shadowJob struct {
	endpoint string
	id       string
	shadows  []*Variant
	batch    batch
	pred     prediction
	obs      Observation
	deadline time.Time
}

// shadowQueue mirrors requests to shadow variants on a few workers through
// a bounded queue. A full queue drops the copy (counted): mirroring never
// waits.
type shadowQueue struct {
	s    *Server
	jobs chan *shadowJob
	pool sync.Pool

	live    atomic.Bool // started and not stopped: the fast path of running
	mu      sync.Mutex
	started bool
	stopped bool
	quit    chan struct{}
	wg      sync.WaitGroup
}

func (q *shadowQueue) init(s *Server) {
	q.s = s
	q.jobs = make(chan *shadowJob, s.cfg.ShadowQueue)
	q.quit = make(chan struct{})
	q.pool.New = func() any { return new(shadowJob) }
}

// running starts the workers on first use; it reports false once stopped.
func (q *shadowQueue) running() bool {
	if q.live.Load() {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return false
	}
	if !q.started {
		q.started = true
		for range q.s.cfg.ShadowWorkers {
			q.wg.Add(1)
			go q.work()
		}
		q.live.Store(true)
	}
	return true
}

// mirror queues a copy of the call's decoded rows for the route's shadows.
func (q *shadowQueue) mirror(c *call) {
	if !q.running() {
		q.s.metrics.shadowDropped.WithLabelValues(c.endpoint).Inc()
		return
	}
	j := q.pool.Get().(*shadowJob)
	j.endpoint, j.id, j.shadows = c.endpoint, c.id, c.route.cfg.Shadows
	j.batch.copyFrom(&c.batch)
	j.deadline = time.Now().Add(q.s.cfg.RequestTimeout)
	select {
	case q.jobs <- j:
	default:
		q.s.metrics.shadowDropped.WithLabelValues(c.endpoint).Inc()
		q.put(j)
	}
}

func (q *shadowQueue) put(j *shadowJob) {
	j.shadows = nil
	if cap(j.batch.cells) > keepCells || cap(j.pred.vals) > keepCells || cap(j.pred.x) > keepCells {
		*j = shadowJob{}
	}
	q.pool.Put(j)
}

// work predicts queued jobs until stop.
func (q *shadowQueue) work() {
	defer q.wg.Done()
	for {
		select {
		case <-q.quit:
			return
		case j := <-q.jobs:
			for _, v := range j.shadows {
				q.run(j, v)
			}
			q.put(j)
		}
	}
}

// run predicts a job with one shadow variant, recovering a panic.
func (q *shadowQueue) run(j *shadowJob, v *Variant) {
	s := q.s
	start := time.Now()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				s.metrics.panics.Inc()
				err = fmt.Errorf("panic in shadow %s: %v", v.Name, p)
			}
		}()
		if err := v.Model.bind(&j.pred, &j.batch); err != nil {
			return err
		}
		return v.Model.predict(&j.pred, j.batch.rows(), j.deadline)
	}()
	d := time.Since(start)
	outcome := "ok"
	if err != nil {
		outcome = "error"
		s.log.Debug("shadow prediction failed", LogKeyEndpoint, j.endpoint, LogKeyVariant, v.Name,
			LogKeyModel, v.Model.ref, LogKeyRequestID, j.id, LogKeyError, err.Error(), LogKeyCode, mlw.ErrorCode(err))
	} else {
		s.metrics.shadowDuration.WithLabelValues(j.endpoint, v.Model.ref, v.Name).Observe(d.Seconds())
	}
	s.metrics.shadowPredictions.WithLabelValues(j.endpoint, v.Model.ref, v.Name, outcome).Inc()
	if s.cfg.Observer != nil {
		s.observe(&j.obs, j.endpoint, v, j.id, true, &j.pred, d, err)
	}
}

// stop ends the workers after their current job and drops the queued copies.
func (q *shadowQueue) stop() {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return
	}
	q.stopped = true
	q.live.Store(false)
	close(q.quit)
	q.mu.Unlock()
	q.wg.Wait()
	for {
		select {
		case j := <-q.jobs:
			q.s.metrics.shadowDropped.WithLabelValues(j.endpoint).Inc()
		default:
			return
		}
	}
}
