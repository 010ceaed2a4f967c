package gbdt

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// workers is a bounded pool of goroutines that live for one fit. run hands a
// loop over task indices to the pool; the caller takes part, so a pool of n
// workers starts n-1 goroutines.
//
// A fit hands the pool thousands of short jobs, a few per split. Waiting on
// a channel alone would lose much of them: a goroutine woken through a
// channel runs on the processor of the goroutine that woke it, and only once
// that one blocks. So the helpers poll for the next job, and the caller for
// the end of its job, for up to spinTime before they block.
type workers struct {
	n    int
	jobs chan *job
	done sync.WaitGroup
}

// spinTime is how long an idle helper polls for the next job, and the caller
// of run for the helpers' last tasks, before blocking: longer than the pauses
// between the jobs of a tree, short enough not to hold a processor long
// after a fit.
const spinTime = time.Millisecond

// job is one call of run. Tasks are taken in index order through next; the
// caller waits for the tasks to be done, not for the helpers: a helper that
// comes late finds nothing left and leaves.
type job struct {
	fn       func(w, i int)
	n        int64
	next     atomic.Int64
	finished atomic.Int64
	allDone  chan struct{}
}

// work runs tasks of j as worker w until none is left.
func (j *job) work(w int) {
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		j.fn(w, int(i))
		if j.finished.Add(1) == j.n {
			close(j.allDone)
		}
	}
}

func newWorkers(n int) *workers {
	w := &workers{n: max(n, 1), jobs: make(chan *job, max(n, 1))}
	for id := 1; id < w.n; id++ {
		w.done.Add(1)
		go func() {
			defer w.done.Done()
			for {
				j, ok := w.next()
				if !ok {
					return
				}
				j.work(id)
			}
		}()
	}
	return w
}

// next returns the next job for a helper, polling before it blocks; false
// when the pool is closed.
func (w *workers) next() (*job, bool) {
	deadline := time.Now().Add(spinTime)
	for i := 1; ; i++ {
		select {
		case j, ok := <-w.jobs:
			return j, ok
		default:
		}
		if i%64 == 0 {
			if time.Now().After(deadline) {
				break
			}
			runtime.Gosched() // let a goroutine woken on this processor run
		}
	}
	j, ok := <-w.jobs
	return j, ok
}

// run calls fn(w, i) for i in [0, n), spread over the pool, and returns when
// every call has returned. w in [0, w.n) identifies the goroutine, for
// per-worker scratch: no two calls with the same w run at once. Tasks must
// write to disjoint memory.
func (w *workers) run(n int, fn func(w, i int)) {
	if w.n == 1 || n <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	j := &job{fn: fn, n: int64(n), allDone: make(chan struct{})}
	for range min(w.n-1, n-1) {
		select {
		case w.jobs <- j:
		default: // the helpers are behind: the caller works alone
		}
	}
	j.work(0)
	deadline := time.Now().Add(spinTime)
	for i := 1; j.finished.Load() < j.n; i++ {
		if i%64 == 0 {
			if time.Now().After(deadline) {
				<-j.allDone
				return
			}
			runtime.Gosched() // a helper may share this processor
		}
	}
}

// close stops the pool's goroutines and waits for them to exit.
func (w *workers) close() {
	close(w.jobs)
	w.done.Wait()
}
