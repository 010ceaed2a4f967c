package tune

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"mlw.dev/internal/mlw"
)

// localWorker returns the default worker name of process pid on this host:
// "HOST-PID".
func localWorker(host string, pid int) string {
	return fmt.Sprintf("%s-%d", cmp.Or(host, "worker"), pid)
}

// localPID returns the process id in a default worker name of this host;
// ok is false for a name of another host or a name set by hand in another
// form.
func localPID(worker, host string) (pid int, ok bool) {
	rest, found := strings.CutPrefix(worker, cmp.Or(host, "worker")+"-")
	if !found {
		return 0, false
	}
	pid, err := strconv.Atoi(rest)
	if err != nil || pid <= 0 || strconv.Itoa(pid) != rest {
		return 0, false
	}
	return pid, true
}

// requeueDeadLocal gives back to the queue, at once, the running trials
// whose worker is a process of this host that no longer exists (killed,
// crashed), instead of waiting StaleAfter for their heartbeats to go stale.
// Trials of other hosts, of live processes, and of workers named by hand
// are left to RequeueStale. It returns how many trials it gave back.
//
// A process id is only checked on this host, where a missing process is a
// certain death; a process id reused since by another process merely
// leaves the trial to RequeueStale. Hosts that share a name but not their
// process ids (containers with one hostname in separate PID namespaces)
// must set Config.Worker, or a live worker of another container may lose
// its trial, which is then re-run.
func (s *Study) requeueDeadLocal(ctx context.Context) (int, error) {
	host, err := os.Hostname()
	if err != nil {
		return 0, nil
	}
	running, err := s.cfg.Storage.ListTrials(ctx, &ListTrialsParams{Study: s.cfg.Study, States: []State{StateRunning}})
	if err != nil {
		return 0, fmt.Errorf("list running trials: %w", err)
	}
	n := 0
	for _, t := range running {
		pid, ok := localPID(t.Worker, host)
		if !ok || t.Worker == s.cfg.Worker || !processGone(pid) {
			continue
		}
		_, err := s.cfg.Storage.FinishTrial(ctx, &FinishTrialParams{
			Study: s.cfg.Study, Number: t.Number, Worker: t.Worker, State: StateWaiting, At: s.cfg.Now(),
		})
		switch {
		case mlw.ErrorCode(err) == mlw.ECONFLICT:
			continue // given back or finished meanwhile
		case err != nil:
			return n, fmt.Errorf("give back trial %d: %w", t.Number, err)
		}
		n++
	}
	return n, nil
}
