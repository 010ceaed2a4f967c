package tune

import (
	"context"
	"slices"
	"sync"

	"mlw.dev/internal/mlw"
)

// MemoryStorage is a Storage in memory, for one process: tests, and studies
// that need not survive the process.
type MemoryStorage struct {
	mu      sync.Mutex
	studies map[string]*memStudy
}

var _ Storage = (*MemoryStorage)(nil)

type memStudy struct {
	rec    StudyRecord
	trials []*TrialRecord
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{studies: map[string]*memStudy{}}
}

// study returns the named study or an ENOTFOUND error; m.mu is held.
func (m *MemoryStorage) study(name string) (*memStudy, error) {
	s, ok := m.studies[name]
	if !ok {
		return nil, mlw.Errorf(mlw.ENOTFOUND, "study %q not found", name)
	}
	return s, nil
}

// trial returns a trial, checking that it is running for worker; m.mu is held.
func (m *MemoryStorage) trial(study string, number int, worker string) (*TrialRecord, error) {
	s, err := m.study(study)
	if err != nil {
		return nil, err
	}
	if number < 0 || number >= len(s.trials) {
		return nil, mlw.Errorf(mlw.ENOTFOUND, "study %q has no trial %d", study, number)
	}
	t := s.trials[number]
	if t.State != StateRunning || t.Worker != worker {
		return nil, mlw.Errorf(mlw.ECONFLICT, "trial %d of study %q is %s (worker %q), not running for worker %q",
			number, study, t.State, t.Worker, worker)
	}
	return t, nil
}

// CreateStudy implements Storage.
func (m *MemoryStorage) CreateStudy(_ context.Context, p *CreateStudyParams) (*StudyRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.studies[p.Name]; ok {
		if s.rec.Direction != p.Direction {
			return nil, false, mlw.Errorf(mlw.ECONFLICT, "study %q exists and is to %s, not %s", p.Name, s.rec.Direction, p.Direction)
		}
		return cloneStudy(&s.rec), false, nil
	}
	s := &memStudy{rec: StudyRecord{Name: p.Name, Direction: p.Direction, Attrs: cloneMap(p.Attrs), CreatedAt: p.At}}
	m.studies[p.Name] = s
	return cloneStudy(&s.rec), true, nil
}

// GetStudy implements Storage.
func (m *MemoryStorage) GetStudy(_ context.Context, name string) (*StudyRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.study(name)
	if err != nil {
		return nil, err
	}
	return cloneStudy(&s.rec), nil
}

// CreateTrial implements Storage.
func (m *MemoryStorage) CreateTrial(_ context.Context, p *CreateTrialParams) (*TrialRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.study(p.Study)
	if err != nil {
		return nil, err
	}
	if p.State != StateRunning && p.State != StateWaiting {
		return nil, mlw.Errorf(mlw.EINVALID, "a new trial is running or waiting, not %s", p.State)
	}
	if p.MaxTrials > 0 && len(s.trials) >= p.MaxTrials {
		return nil, ErrBudget
	}
	t := &TrialRecord{
		Study:     p.Study,
		Number:    len(s.trials),
		State:     p.State,
		Params:    p.Params.Clone(),
		CreatedAt: p.At,
	}
	if p.State == StateRunning {
		t.Worker, t.Attempts, t.StartedAt, t.HeartbeatAt = p.Worker, 1, p.At, p.At
	}
	s.trials = append(s.trials, t)
	c := t.Clone()
	return &c, nil
}

// ClaimTrial implements Storage.
func (m *MemoryStorage) ClaimTrial(_ context.Context, p *ClaimTrialParams) (*TrialRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.study(p.Study)
	if err != nil {
		return nil, err
	}
	for _, t := range s.trials {
		if t.State == StateWaiting {
			t.State, t.Worker, t.StartedAt, t.HeartbeatAt = StateRunning, p.Worker, p.At, p.At
			t.Attempts++
			c := t.Clone()
			return &c, nil
		}
	}
	return nil, nil
}

// ReportValue implements Storage.
func (m *MemoryStorage) ReportValue(_ context.Context, p *ReportValueParams) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := m.trial(p.Study, p.Number, p.Worker)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearchFunc(t.Intermediate, p.Step, func(sv StepValue, step int) int { return sv.Step - step })
	if !found {
		t.Intermediate = slices.Insert(t.Intermediate, i, StepValue{Step: p.Step, Value: p.Value})
	}
	return nil
}

// Heartbeat implements Storage.
func (m *MemoryStorage) Heartbeat(_ context.Context, p *HeartbeatParams) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := m.trial(p.Study, p.Number, p.Worker)
	if err != nil {
		return err
	}
	t.HeartbeatAt = p.At
	return nil
}

// FinishTrial implements Storage.
func (m *MemoryStorage) FinishTrial(_ context.Context, p *FinishTrialParams) (*TrialRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := m.trial(p.Study, p.Number, p.Worker)
	if err != nil {
		return nil, err
	}
	switch p.State {
	case StateComplete:
		t.Value = p.Value
	case StatePruned:
		t.Value = 0
		if sv, ok := t.LastStep(); ok {
			t.Value = sv.Value
		}
	case StateFailed:
		t.Value, t.Error = 0, p.Error
	case StateWaiting:
		requeue(t)
		c := t.Clone()
		return &c, nil
	default:
		return nil, mlw.Errorf(mlw.EINVALID, "a trial finishes complete, pruned, failed or waiting, not %s", p.State)
	}
	t.State, t.FinishedAt = p.State, p.At
	c := t.Clone()
	return &c, nil
}

// requeue gives a running trial back to the queue with its params; its
// intermediate values belong to the abandoned attempt and are dropped.
func requeue(t *TrialRecord) {
	t.State, t.Worker, t.Intermediate = StateWaiting, "", nil
}

// ListTrials implements Storage.
func (m *MemoryStorage) ListTrials(_ context.Context, p *ListTrialsParams) ([]TrialRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.study(p.Study)
	if err != nil {
		return nil, err
	}
	out := make([]TrialRecord, 0, len(s.trials))
	for _, t := range s.trials {
		if len(p.States) == 0 || slices.Contains(p.States, t.State) {
			out = append(out, t.Clone())
		}
	}
	return out, nil
}

// RequeueStale implements Storage.
func (m *MemoryStorage) RequeueStale(_ context.Context, p *RequeueStaleParams) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.study(p.Study)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range s.trials {
		if t.State == StateRunning && t.HeartbeatAt.Before(p.Before) {
			requeue(t)
			n++
		}
	}
	return n, nil
}

func cloneStudy(s *StudyRecord) *StudyRecord {
	c := *s
	c.Attrs = cloneMap(s.Attrs)
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
