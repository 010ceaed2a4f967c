//go:build unix

package tune

import (
	"errors"
	"syscall"
)

// processGone reports whether no process with id pid exists on this host:
// signal 0 checks it without sending anything. A process of another user
// (EPERM) exists.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
