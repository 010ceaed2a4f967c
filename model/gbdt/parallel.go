package gbdt

import (
	"sync"
	"sync/atomic"
)

// workers is a bounded pool of goroutines that live for one fit. run hands a
// loop over task indices to the pool; the caller takes part, so a pool of n
// workers starts n-1 goroutines.
type workers struct {
	n    int
	jobs chan *job
	done sync.WaitGroup
}

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

// spinPolls is how many times an idle helper polls for the next job before
// it blocks, some tens of microseconds: while a tree grows, jobs follow each
// other closely, and waking a blocked goroutine takes longer than many of
// them last.
const spinPolls = 2000

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
	for range spinPolls {
		select {
		case j, ok := <-w.jobs:
			return j, ok
		default:
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
	<-j.allDone
}

// close stops the pool's goroutines and waits for them to exit.
func (w *workers) close() {
	close(w.jobs)
	w.done.Wait()
}
