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

type job struct {
	fn   func(w, i int)
	n    int64
	next atomic.Int64
	wg   sync.WaitGroup
}

// work runs tasks of j as worker w until none is left.
func (j *job) work(w int) {
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		j.fn(w, int(i))
	}
}

func newWorkers(n int) *workers {
	w := &workers{n: max(n, 1), jobs: make(chan *job, max(n, 1))}
	for id := 1; id < w.n; id++ {
		w.done.Add(1)
		go func() {
			defer w.done.Done()
			for j := range w.jobs {
				j.work(id)
				j.wg.Done()
			}
		}()
	}
	return w
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
	j := &job{fn: fn, n: int64(n)}
	helpers := min(w.n-1, n-1)
	j.wg.Add(helpers)
	for range helpers {
		w.jobs <- j
	}
	j.work(0)
	j.wg.Wait()
}

// close stops the pool's goroutines and waits for them to exit.
func (w *workers) close() {
	close(w.jobs)
	w.done.Wait()
}
