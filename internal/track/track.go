// Package track is experiment tracking on top of the store: it starts runs with
// fresh IDs, logs their params, metrics and artifacts, and enforces the run
// lifecycle (a run starts running and ends exactly once: finished, failed,
// pruned or killed).
package track

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"mlw.dev/internal/audit"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// Tracker starts and ends runs.
type Tracker struct {
	Store store.Store
	Now   func() time.Time
	Actor string
}

// NewRunID returns a fresh run ID: "r-" and 12 random hex digits.
func NewRunID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "r-" + hex.EncodeToString(b[:])
}

// StartParams describe a new run.
type StartParams struct {
	ParentID         string
	Kind             string
	Name             string
	Model            string
	DatasetVersionID int64
	SplitID          string
	Params           map[string]string
	Tags             map[string]string
	GitCommit        string
	// Audit, when set, records the start in the audit trail with this action.
	AuditAction string
	Reason      string
}

// Start creates a running run.
func (t *Tracker) Start(ctx context.Context, p StartParams) (*mlw.Run, error) {
	r := mlw.Run{
		ID: NewRunID(), ParentID: p.ParentID, Kind: p.Kind, Name: p.Name, Model: p.Model,
		Status: mlw.RunRunning, DatasetVersionID: p.DatasetVersionID, SplitID: p.SplitID,
		Params: p.Params, Tags: p.Tags, GitCommit: p.GitCommit, CreatedBy: t.Actor, StartedAt: t.Now(),
	}
	var ev *mlw.AuditEvent
	if p.AuditAction != "" {
		ev = audit.New(t.Now(), t.Actor, p.AuditAction, r.ID, p.Reason, map[string]any{"kind": p.Kind, "model": p.Model, "split": p.SplitID})
	}
	return t.Store.CreateRun(ctx, &store.CreateRunParams{Run: r, Audit: ev})
}

// end moves a running run to a terminal status.
func (t *Tracker) end(ctx context.Context, id string, status mlw.RunStatus, errMsg string) (*mlw.Run, error) {
	running := mlw.RunRunning
	now := t.Now()
	p := &store.UpdateRunParams{ID: id, ExpectStatus: &running, Status: &status, EndedAt: &now}
	if errMsg != "" {
		p.Error = &errMsg
	}
	r, err := t.Store.UpdateRun(ctx, p)
	if mlw.ErrorCode(err) == mlw.ECONFLICT {
		cur, gerr := t.Store.GetRun(ctx, id)
		if gerr == nil {
			return nil, mlw.Errorf(mlw.ECONFLICT, "run %s already ended (%s)", id, cur.Status)
		}
	}
	return r, err
}

// Finish marks a run finished.
func (t *Tracker) Finish(ctx context.Context, id string) (*mlw.Run, error) {
	return t.end(ctx, id, mlw.RunFinished, "")
}

// Fail marks a run failed with the error that ended it.
func (t *Tracker) Fail(ctx context.Context, id string, cause error) (*mlw.Run, error) {
	msg := "failed"
	if cause != nil {
		msg = cause.Error()
	}
	// A cancelled command still records its failure.
	return t.end(context.WithoutCancel(ctx), id, mlw.RunFailed, msg)
}

// Kill marks a run killed (interrupted).
func (t *Tracker) Kill(ctx context.Context, id string) (*mlw.Run, error) {
	return t.end(context.WithoutCancel(ctx), id, mlw.RunKilled, "interrupted")
}

// Prune marks a run pruned (stopped early by a tuner).
func (t *Tracker) Prune(ctx context.Context, id string) (*mlw.Run, error) {
	return t.end(ctx, id, mlw.RunPruned, "")
}

// LogMetrics records metric values at a step.
func (t *Tracker) LogMetrics(ctx context.Context, id string, step int64, values map[string]float64) error {
	now := t.Now()
	ms := make([]mlw.Metric, 0, len(values))
	for k, v := range values {
		ms = append(ms, mlw.Metric{Key: k, Value: v, Step: step, Time: now})
	}
	return t.Store.LogMetrics(ctx, &store.LogMetricsParams{RunID: id, Metrics: ms})
}

// LogCurve records a series of values of one metric, one per step from 0.
func (t *Tracker) LogCurve(ctx context.Context, id, key string, values []float64) error {
	now := t.Now()
	ms := make([]mlw.Metric, len(values))
	for i, v := range values {
		ms[i] = mlw.Metric{Key: key, Value: v, Step: int64(i), Time: now}
	}
	return t.Store.LogMetrics(ctx, &store.LogMetricsParams{RunID: id, Metrics: ms})
}

// Metrics returns the latest value of every metric of a run.
func (t *Tracker) Metrics(ctx context.Context, id string) (map[string]float64, error) {
	ms, err := t.Store.ListMetrics(ctx, &store.ListMetricsParams{RunID: id, LatestOnly: true})
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(ms))
	for _, m := range ms {
		out[m.Key] = m.Value
	}
	return out, nil
}

// GitCommit returns the commit of the git work tree at dir (with "-dirty" when
// it has uncommitted changes), or "" when dir is not in a git work tree.
func GitCommit(ctx context.Context, dir string) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(out))
	st, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		commit += "-dirty"
	}
	return commit
}

// FormatDuration renders a run's duration for tables.
func FormatDuration(r *mlw.Run) string {
	if r.EndedAt.IsZero() {
		return "running"
	}
	d := r.EndedAt.Sub(r.StartedAt)
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}
