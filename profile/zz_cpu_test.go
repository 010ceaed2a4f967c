package profile_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"mlw.dev/profile"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestTmpCPU(t *testing.T) {
	if os.Getenv("TMPCPU") == "" {
		t.Skip()
	}
	f := numericFrame(t, 1_000_000, 30, 1)
	for _, target := range []string{"", "y"} {
		for range 2 {
			c0, w0 := cpuTime(), time.Now()
			profile.Compute(f, profile.Options{Target: target})
			t.Logf("target=%q cpu %v wall %v", target, cpuTime()-c0, time.Since(w0))
		}
	}
}
