//go:build !unix

package tune

// processGone reports false: without signal 0, a trial of a dead local
// worker waits StaleAfter, as one of another host does.
func processGone(int) bool { return false }
