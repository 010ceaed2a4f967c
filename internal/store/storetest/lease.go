package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

func testLeases(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	acquire := func(name, holder string, ttl time.Duration, when time.Time) *store.Lease {
		t.Helper()
		l, err := s.AcquireLease(ctx, &store.AcquireLeaseParams{Name: name, Holder: holder, TTL: ttl, At: when})
		require.NoError(t, err)
		require.Equal(t, name, l.Name)
		return l
	}
	release := func(name, holder string) {
		t.Helper()
		require.NoError(t, s.ReleaseLease(ctx, &store.ReleaseLeaseParams{Name: name, Holder: holder}))
	}
	const job = "retrain/web"
	// Free: taken.
	l := acquire(job, "a", time.Hour, at(0))
	require.Equal(t, "a", l.Holder)
	require.Equal(t, norm(at(60)), l.Expires)
	// Held by a: b does not get it, and learns who holds it until when.
	l = acquire(job, "b", time.Hour, at(30))
	require.Equal(t, "a", l.Holder)
	require.Equal(t, norm(at(60)), l.Expires)
	// a renews it.
	l = acquire(job, "a", time.Hour, at(30))
	require.Equal(t, "a", l.Holder)
	require.Equal(t, norm(at(90)), l.Expires)
	// Another name is another lease.
	require.Equal(t, "b", acquire("retrain/app", "b", time.Minute, at(30)).Holder)
	// Expired: b takes it.
	l = acquire(job, "b", time.Hour, at(90))
	require.Equal(t, "b", l.Holder)
	require.Equal(t, norm(at(150)), l.Expires)
	// a's release of a lease it lost does nothing; b's frees it.
	release(job, "a")
	require.Equal(t, "b", acquire(job, "c", time.Hour, at(100)).Holder)
	release(job, "b")
	require.Equal(t, "c", acquire(job, "c", time.Hour, at(100)).Holder)
	release("retrain/none", "x") // no such lease: nothing to do

	t.Run("Invalid", func(t *testing.T) {
		for _, p := range []store.AcquireLeaseParams{
			{Holder: "a", TTL: time.Minute},
			{Name: job, TTL: time.Minute},
			{Name: job, Holder: "a"},
			{Name: job, Holder: "a", TTL: -time.Second},
		} {
			_, err := s.AcquireLease(ctx, &p)
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err), "%+v: %v", p, err)
		}
	})
}

// concurrentLeases has workers goroutines, worker i on stores[i%len], try to
// take the same free lease at once: exactly one must hold it, and every
// worker must be told that one.
func concurrentLeases(ctx context.Context, t *testing.T, stores []store.Store) {
	holders := make([]string, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		s := stores[w%len(stores)]
		wg.Go(func() {
			<-start
			l, err := s.AcquireLease(ctx, &store.AcquireLeaseParams{Name: "job/shared", Holder: fmt.Sprint("worker-", w), TTL: time.Hour})
			if err == nil {
				holders[w] = l.Holder
			}
			errs[w] = err
		})
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "worker %d", w)
	}
	winners := 0
	for w, h := range holders {
		require.Equal(t, holders[0], h, "worker %d was told another holder", w)
		if h == fmt.Sprint("worker-", w) {
			winners++
		}
	}
	require.Equal(t, 1, winners)
}
