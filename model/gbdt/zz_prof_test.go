package gbdt

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func cpuNow() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func TestZZProfile(t *testing.T) {
	p := synthClassification(t, 160000, 30, 1)
	for _, jobs := range []int{1, 2, 1, 2} {
		var m Model
		m.EarlyStopping, m.NJobs = EarlyStoppingOff, jobs
		c0, w0 := cpuNow(), time.Now()
		if err := m.Fit(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		t.Logf("jobs=%d wall %.2f s cpu %.2f s", jobs, time.Since(w0).Seconds(), cpuNow()-c0)
	}
}
