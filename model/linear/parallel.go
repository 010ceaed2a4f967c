package linear

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// blockRows is the number of rows of one block of a parallel pass over the
// data. The partition into blocks depends on the number of rows only, never on
// the number of goroutines, and partial sums are added in block order, so a fit
// gives the same bits whatever the machine.
const blockRows = 1024

// numBlocks returns how many blocks of blockRows rows cover n rows.
func numBlocks(n int) int { return max(1, (n+blockRows-1)/blockRows) }

// blockRange returns the rows [lo, hi) of block b of n rows.
func blockRange(b, n int) (lo, hi int) { return b * blockRows, min(n, (b+1)*blockRows) }

// workers is a bounded pool of goroutines that live for one fit. run hands a
// loop over task indices to the pool; the caller takes part, so a pool of n
// workers starts n-1 goroutines.
type workers struct {
	n    int
	jobs chan *job
	done sync.WaitGroup
}

type job struct {
	fn   func(i int)
	n    int64
	next atomic.Int64
	wg   sync.WaitGroup
}

func (j *job) work() {
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		j.fn(int(i))
	}
}

// newWorkers returns a pool of n goroutines (GOMAXPROCS when n is 0) for tasks
// that number at most tasks.
func newWorkers(n, tasks int) *workers {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	n = max(1, min(n, tasks))
	w := &workers{n: n, jobs: make(chan *job, n)}
	for range w.n - 1 {
		w.done.Add(1)
		go func() {
			defer w.done.Done()
			for j := range w.jobs {
				j.work()
				j.wg.Done()
			}
		}()
	}
	return w
}

// run calls fn(i) for i in [0, n), spread over the pool, and returns when
// every call has returned. Tasks must write to disjoint memory.
func (w *workers) run(n int, fn func(i int)) {
	if w.n == 1 || n <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	j := &job{fn: fn, n: int64(n)}
	helpers := min(w.n-1, n-1)
	j.wg.Add(helpers)
	for range helpers {
		w.jobs <- j
	}
	j.work()
	j.wg.Wait()
}

// close stops the pool's goroutines and waits for them to exit.
func (w *workers) close() {
	close(w.jobs)
	w.done.Wait()
}
