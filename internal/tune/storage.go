package tune

import (
	"context"
	"errors"
	"time"
)

// Direction says whether a study minimises or maximises its objective.
type Direction string

// Directions.
const (
	Minimize Direction = "minimize"
	Maximize Direction = "maximize"
)

// better reports whether a is strictly better than b in direction d.
func (d Direction) better(a, b float64) bool {
	if d == Maximize {
		return a > b
	}
	return a < b
}

// State is a trial's state.
type State string

// Trial states. A trial is created waiting (enqueued, or given back after its
// worker stopped) or running, and finishes complete, pruned or failed.
const (
	StateWaiting  State = "waiting"
	StateRunning  State = "running"
	StateComplete State = "complete"
	StatePruned   State = "pruned"
	StateFailed   State = "failed"
)

// Finished reports whether s is a final state.
func (s State) Finished() bool {
	return s == StateComplete || s == StatePruned || s == StateFailed
}

// StepValue is an intermediate value a trial reported at a step (a boosting
// iteration, an epoch, a cross-validation fold).
type StepValue struct {
	Step  int     `json:"step"`
	Value float64 `json:"value"`
}

// StudyRecord is a stored study.
type StudyRecord struct {
	Name      string    `json:"name"`
	Direction Direction `json:"direction"`
	// Attrs describe the study (model kind, dataset, metric, sampler ...);
	// they are set when the study is created and never change.
	Attrs     map[string]string `json:"attrs,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

// TrialRecord is a stored trial.
type TrialRecord struct {
	Study string `json:"study"`
	// Number is the trial's index in its study: 0, 1, 2 ... without gaps, in
	// creation order.
	Number int   `json:"number"`
	State  State `json:"state"`
	// Params are nil until set; a running trial created before sampling has none.
	Params Params `json:"params"`
	// Value is the objective's value of a complete trial, and the last
	// intermediate value of a pruned one; 0 otherwise.
	Value float64 `json:"value"`
	// Intermediate holds the reported values ordered by step, one per step.
	Intermediate []StepValue `json:"intermediate,omitempty"`
	// Error is a failed trial's error message.
	Error string `json:"error,omitempty"`
	// Worker names the process running the trial, or that ran it last.
	Worker string `json:"worker,omitempty"`
	// Attempts counts the times the trial was started: more than 1 when a
	// worker stopped and the trial was run again.
	Attempts    int       `json:"attempts"`
	CreatedAt   time.Time `json:"created_at"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	HeartbeatAt time.Time `json:"heartbeat_at,omitzero"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
}

// Clone returns a deep copy of t.
func (t *TrialRecord) Clone() TrialRecord {
	c := *t
	c.Params = t.Params.Clone()
	if t.Intermediate != nil {
		c.Intermediate = append([]StepValue(nil), t.Intermediate...)
	}
	return c
}

// LastStep returns the last reported step and its value; ok is false when
// nothing was reported.
func (t *TrialRecord) LastStep() (sv StepValue, ok bool) {
	if len(t.Intermediate) == 0 {
		return StepValue{}, false
	}
	return t.Intermediate[len(t.Intermediate)-1], true
}

// ValueAt returns the value reported at step; ok is false when none was.
func (t *TrialRecord) ValueAt(step int) (float64, bool) {
	for _, sv := range t.Intermediate {
		if sv.Step == step {
			return sv.Value, true
		}
	}
	return 0, false
}

// ErrBudget is returned (wrapped or not) by Storage.CreateTrial when the
// study already holds its maximum number of trials.
var ErrBudget = errors.New("the study's trial budget is used up")

// Storage keeps studies and their trials. Every method is safe for
// concurrent use; an implementation backed by a shared database (PostgreSQL)
// is also safe for several processes, which is what makes a study
// distributed: the numbering, the budget check, claiming a waiting trial and
// the ownership checks are atomic.
//
// Ownership: a running trial belongs to the Worker that created or claimed
// it. ReportValue, Heartbeat and FinishTrial by another worker, or on a trial
// that is no longer running, return an error with code mlw.ECONFLICT and
// change nothing: a worker whose trial was given back after a missed
// heartbeat learns that it lost the trial and must abandon it.
//
// Errors: an unknown study gives code mlw.ENOTFOUND, an unknown trial too.
// Returned records are copies; callers may modify them.
type Storage interface {
	// CreateStudy creates a study or, if one of that name exists, returns it
	// with created false. It returns an ECONFLICT error if the existing study
	// has another direction. Attrs are stored on creation only.
	CreateStudy(ctx context.Context, p *CreateStudyParams) (study *StudyRecord, created bool, err error)
	// GetStudy returns a study, or ENOTFOUND.
	GetStudy(ctx context.Context, name string) (*StudyRecord, error)

	// CreateTrial adds a trial numbered one more than the study's last, in
	// state Running (owned by Worker, Attempts 1) or Waiting (for any worker
	// to claim). When MaxTrials > 0 and the study already has MaxTrials trials
	// in any state, it returns ErrBudget and adds nothing; the check and the
	// insert are one atomic step, so that concurrent workers never exceed the
	// budget.
	CreateTrial(ctx context.Context, p *CreateTrialParams) (*TrialRecord, error)
	// ClaimTrial moves the lowest-numbered waiting trial of the study to
	// Running for Worker (Attempts + 1, StartedAt and HeartbeatAt = At) and
	// returns it; no two callers ever claim the same trial. It returns nil
	// and no error when no trial is waiting.
	ClaimTrial(ctx context.Context, p *ClaimTrialParams) (*TrialRecord, error)
	// ReportValue records an intermediate value of a running trial. A step
	// reported before keeps its first value and gives no error.
	ReportValue(ctx context.Context, p *ReportValueParams) error
	// Heartbeat sets a running trial's HeartbeatAt.
	Heartbeat(ctx context.Context, p *HeartbeatParams) error
	// FinishTrial ends a running trial: Complete (with Value), Pruned (Value
	// is the last intermediate value), Failed (with Error), or Waiting, which
	// gives the trial back to the queue with its params, dropping its
	// intermediate values and its worker. It returns the updated trial.
	FinishTrial(ctx context.Context, p *FinishTrialParams) (*TrialRecord, error)
	// ListTrials returns the study's trials ordered by number, only those in
	// States when it is not empty.
	ListTrials(ctx context.Context, p *ListTrialsParams) ([]TrialRecord, error)
	// RequeueStale gives back (to Waiting, as FinishTrial does) every running
	// trial of the study whose HeartbeatAt is before Before: its worker is
	// presumed dead. It returns how many trials it gave back.
	RequeueStale(ctx context.Context, p *RequeueStaleParams) (int, error)
}

// CreateStudyParams are the arguments of Storage.CreateStudy.
type CreateStudyParams struct {
	Name      string
	Direction Direction
	Attrs     map[string]string
	At        time.Time
}

// CreateTrialParams are the arguments of Storage.CreateTrial.
type CreateTrialParams struct {
	Study string
	// State is StateRunning or StateWaiting.
	State State
	// Worker owns a running trial; empty for a waiting one.
	Worker string
	Params Params
	// MaxTrials > 0 caps the study's number of trials (see ErrBudget).
	MaxTrials int
	At        time.Time
}

// ClaimTrialParams are the arguments of Storage.ClaimTrial.
type ClaimTrialParams struct {
	Study  string
	Worker string
	At     time.Time
}

// ReportValueParams are the arguments of Storage.ReportValue.
type ReportValueParams struct {
	Study  string
	Number int
	Worker string
	Step   int
	Value  float64
}

// HeartbeatParams are the arguments of Storage.Heartbeat.
type HeartbeatParams struct {
	Study  string
	Number int
	Worker string
	At     time.Time
}

// FinishTrialParams are the arguments of Storage.FinishTrial.
type FinishTrialParams struct {
	Study  string
	Number int
	Worker string
	// State is StateComplete, StatePruned, StateFailed or StateWaiting.
	State State
	Value float64
	Error string
	At    time.Time
}

// ListTrialsParams are the arguments of Storage.ListTrials.
type ListTrialsParams struct {
	Study  string
	States []State
}

// RequeueStaleParams are the arguments of Storage.RequeueStale.
type RequeueStaleParams struct {
	Study  string
	Before time.Time
}
