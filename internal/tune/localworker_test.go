package tune_test

import (
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/tune"
)

func TestLocalPID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		worker, host string
		pid          int
		ok           bool
	}{
		{"box-42", "box", 42, true},
		{"my-box-7", "my-box", 7, true},
		{"my-box-7", "box", 0, false},
		{"box-42", "other", 0, false},
		{"box-", "box", 0, false},
		{"box-042", "box", 0, false},
		{"box--1", "box", 0, false},
		{"box-0", "box", 0, false},
		{"box-1x", "box", 0, false},
		{"proc-1", "box", 0, false},
		{"worker-9", "", 9, true},
	} {
		pid, ok := tune.LocalPID(tc.worker, tc.host)
		require.Equal(t, tc.ok, ok, "%q on %q", tc.worker, tc.host)
		require.Equal(t, tc.pid, pid, "%q on %q", tc.worker, tc.host)
	}
}

func TestProcessGone(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no signal 0")
	}
	require.False(t, tune.ProcessGone(os.Getpid()))
	require.False(t, tune.ProcessGone(1), "init exists, even if it is not ours to signal")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	require.NoError(t, cmd.Run())
	require.True(t, tune.ProcessGone(cmd.Process.Pid), "an exited and reaped process")
}
