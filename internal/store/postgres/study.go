package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/tune"
)

// DB keeps tuning studies too (tables of migration/0002_studies.sql), so that
// a study is resumable and several processes on one schema share it. Every
// change is one READ COMMITTED transaction that locks the rows it decides on:
// CreateTrial locks the study's row (SELECT … FOR UPDATE) so that numbering
// and the budget check take turns; ClaimTrial takes the lowest-numbered
// waiting trial that no other claim holds (FOR UPDATE SKIP LOCKED); the
// ownership checks lock the trial's row before changing it.
var _ tune.Storage = (*DB)(nil)

const trialColumns = `study, number, state, params, value, error, worker, attempts,
	created_at, started_at, heartbeat_at, finished_at`

// scanTrial reads a row of trialColumns, followed by the arrays of steps and
// values when withValues is set.
func scanTrial(row pgx.Row, withValues bool) (*tune.TrialRecord, error) {
	var (
		t                                  tune.TrialRecord
		state                              string
		params                             *string
		started, beat, finishedAt, created *time.Time
		steps                              []int32
		values                             []float64
	)
	dest := []any{&t.Study, &t.Number, &state, &params, &t.Value, &t.Error, &t.Worker, &t.Attempts,
		&created, &started, &beat, &finishedAt}
	if withValues {
		dest = append(dest, &steps, &values)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	t.State = tune.State(state)
	if params != nil {
		if err := json.Unmarshal([]byte(*params), &t.Params); err != nil {
			return nil, fmt.Errorf("decode params of trial %d of study %q: %v", t.Number, t.Study, err)
		}
	}
	t.CreatedAt, t.StartedAt = fromTS(created), fromTS(started)
	t.HeartbeatAt, t.FinishedAt = fromTS(beat), fromTS(finishedAt)
	if len(steps) != len(values) {
		return nil, fmt.Errorf("trial %d of study %q: %d steps but %d values", t.Number, t.Study, len(steps), len(values))
	}
	for i, step := range steps {
		t.Intermediate = append(t.Intermediate, tune.StepValue{Step: int(step), Value: values[i]})
	}
	return &t, nil
}

// jsonText encodes a map as JSON text; nil becomes NULL.
func jsonText[M ~map[string]string](m M) any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// trialThing names a trial in messages.
func trialThing(study string, number int) string {
	return fmt.Sprintf("trial %d of study %q", number, study)
}

// CreateStudy implements tune.Storage. A zero At is set to the current time.
func (db *DB) CreateStudy(ctx context.Context, p *tune.CreateStudyParams) (*tune.StudyRecord, bool, error) {
	if p.Name == "" {
		return nil, false, mlw.Errorf(mlw.EINVALID, "study name is empty")
	}
	rec := &tune.StudyRecord{Name: p.Name, Direction: p.Direction, CreatedAt: db.stamp(p.At)}
	if p.Attrs != nil {
		rec.Attrs = make(map[string]string, len(p.Attrs))
		for k, v := range p.Attrs {
			rec.Attrs[k] = v
		}
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, false, err
	}
	defer rollback(ctx, tx)
	// A concurrent insert of the same name makes this one wait for it and
	// then do nothing; the SELECT below sees the committed row.
	tag, err := tx.Exec(ctx, `INSERT INTO studies (name, direction, attrs, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO NOTHING`, rec.Name, string(rec.Direction), jsonText(rec.Attrs), rec.CreatedAt)
	if err != nil {
		return nil, false, db.interpretError(err, "study "+p.Name)
	}
	if tag.RowsAffected() == 0 {
		rec, err = db.getStudy(ctx, tx, p.Name)
		if err != nil {
			return nil, false, err
		}
		if rec.Direction != p.Direction {
			return nil, false, mlw.Errorf(mlw.ECONFLICT, "study %q exists and is to %s, not %s", p.Name, rec.Direction, p.Direction)
		}
		return rec, false, nil
	}
	if err := db.commit(ctx, tx, nil, nil); err != nil {
		return nil, false, err
	}
	return rec, true, nil
}

// GetStudy implements tune.Storage.
func (db *DB) GetStudy(ctx context.Context, name string) (*tune.StudyRecord, error) {
	return db.getStudy(ctx, db.pool, name)
}

func (db *DB) getStudy(ctx context.Context, q querier, name string) (*tune.StudyRecord, error) {
	var (
		rec       tune.StudyRecord
		direction string
		attrs     *string
		created   time.Time
	)
	err := q.QueryRow(ctx, `SELECT name, direction, attrs, created_at FROM studies WHERE name = $1`, name).
		Scan(&rec.Name, &direction, &attrs, &created)
	if err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("study %q", name))
	}
	rec.Direction = tune.Direction(direction)
	if attrs != nil {
		if err := json.Unmarshal([]byte(*attrs), &rec.Attrs); err != nil {
			return nil, fmt.Errorf("decode attrs of study %q: %v", name, err)
		}
	}
	rec.CreatedAt = created.UTC()
	return &rec, nil
}

// requireStudy returns an ENOTFOUND error if the study does not exist; with
// lock set, it locks the study's row until the end of the transaction.
func (db *DB) requireStudy(ctx context.Context, q querier, name string, lock bool) error {
	query := `SELECT 1 FROM studies WHERE name = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	ok, err := db.exists(ctx, q, query, name)
	if err != nil {
		return err
	}
	if !ok {
		return mlw.Errorf(mlw.ENOTFOUND, "study %q not found", name)
	}
	return nil
}

// CreateTrial implements tune.Storage. It locks the study's row, so that
// concurrent creations in the study (from any process) take turns: the
// count, the budget check and the insert are one atomic step. A zero At is
// set to the current time.
func (db *DB) CreateTrial(ctx context.Context, p *tune.CreateTrialParams) (*tune.TrialRecord, error) {
	if p.State != tune.StateRunning && p.State != tune.StateWaiting {
		return nil, mlw.Errorf(mlw.EINVALID, "a new trial is running or waiting, not %s", p.State)
	}
	at := db.stamp(p.At)
	t := &tune.TrialRecord{Study: p.Study, State: p.State, Params: p.Params.Clone(), CreatedAt: at}
	if p.State == tune.StateRunning {
		t.Worker, t.Attempts, t.StartedAt, t.HeartbeatAt = p.Worker, 1, at, at
	}

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	if err := db.requireStudy(ctx, tx, p.Study, true); err != nil {
		return nil, err
	}
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study = $1`, p.Study).
		Scan(&t.Number); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("trials of study %q", p.Study))
	}
	if p.MaxTrials > 0 && t.Number >= p.MaxTrials {
		return nil, fmt.Errorf("study %q holds %d trials: %w", p.Study, t.Number, tune.ErrBudget)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO trials (`+trialColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		t.Study, t.Number, string(t.State), jsonText(t.Params), t.Value, t.Error, t.Worker, t.Attempts,
		t.CreatedAt, ts(t.StartedAt), ts(t.HeartbeatAt), ts(t.FinishedAt)); err != nil {
		return nil, db.interpretError(err, trialThing(t.Study, t.Number))
	}
	if err := db.commit(ctx, tx, nil, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// ClaimTrial implements tune.Storage. The waiting trial is chosen with FOR
// UPDATE SKIP LOCKED: concurrent claims never wait for each other and never
// take the same trial.
func (db *DB) ClaimTrial(ctx context.Context, p *tune.ClaimTrialParams) (*tune.TrialRecord, error) {
	at := db.stamp(p.At)
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	// A waiting trial has no intermediate values: they are dropped when it is
	// given back.
	t, err := scanTrial(tx.QueryRow(ctx, `UPDATE trials
		SET state = 'running', worker = $2, attempts = attempts + 1, started_at = $3, heartbeat_at = $3
		WHERE study = $1 AND number = (
			SELECT number FROM trials WHERE study = $1 AND state = 'waiting'
			ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING `+trialColumns, p.Study, p.Worker, at), false)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, db.requireStudy(ctx, tx, p.Study, false)
	}
	if err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("claim a trial of study %q", p.Study))
	}
	if err := db.commit(ctx, tx, nil, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// ownedTrial locks a trial's row (FOR UPDATE, or FOR SHARE with share set)
// and returns the trial without its values, or an ENOTFOUND error if it does
// not exist and an ECONFLICT error if it is not running for worker.
func (db *DB) ownedTrial(ctx context.Context, tx pgx.Tx, study string, number int, worker string, share bool) (*tune.TrialRecord, error) {
	lock := ` FOR UPDATE`
	if share {
		lock = ` FOR SHARE`
	}
	t, err := scanTrial(tx.QueryRow(ctx, `SELECT `+trialColumns+` FROM trials WHERE study = $1 AND number = $2`+lock, study, number), false)
	if err != nil {
		return nil, db.interpretError(err, trialThing(study, number))
	}
	if t.State != tune.StateRunning || t.Worker != worker {
		return nil, mlw.Errorf(mlw.ECONFLICT, "trial %d of study %q is %s (worker %q), not running for worker %q",
			number, study, t.State, t.Worker, worker)
	}
	return t, nil
}

// asyncCommit lets tx commit without waiting for its WAL to reach the disk.
// ReportValue and Heartbeat use it, which is most of a trial's commits: the
// change is visible and atomic at once, and only a server crash within
// moments of it can lose it. That loses nothing that matters: the trial's
// next synchronous commit (FinishTrial) flushes the WAL before it, so the
// values of a finished trial are durable, and a heartbeat or value lost in a
// crash belongs to a running trial whose worker sends another (or which is
// given back, its values dropped, anyway). Each of these commits would
// otherwise wait for an fsync, several milliseconds on common disks.
func (db *DB) asyncCommit(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return db.interpretError(err, "set synchronous_commit")
	}
	return nil
}

// ReportValue implements tune.Storage. The trial's row stays share-locked
// until the value is stored, so that the trial cannot be given back in
// between. It commits asynchronously (see asyncCommit).
func (db *DB) ReportValue(ctx context.Context, p *tune.ReportValueParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if err := db.asyncCommit(ctx, tx); err != nil {
		return err
	}
	if _, err := db.ownedTrial(ctx, tx, p.Study, p.Number, p.Worker, true); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO trial_values (study, number, step, value) VALUES ($1, $2, $3, $4)
		ON CONFLICT (study, number, step) DO NOTHING`, p.Study, p.Number, p.Step, p.Value); err != nil {
		return db.interpretError(err, fmt.Sprintf("step %d of %s", p.Step, trialThing(p.Study, p.Number)))
	}
	return db.commit(ctx, tx, nil, nil)
}

// Heartbeat implements tune.Storage. A zero At is set to the current time.
// It commits asynchronously (see asyncCommit).
func (db *DB) Heartbeat(ctx context.Context, p *tune.HeartbeatParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if err := db.asyncCommit(ctx, tx); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE trials SET heartbeat_at = $4
		WHERE study = $1 AND number = $2 AND state = 'running' AND worker = $3`,
		p.Study, p.Number, p.Worker, db.stamp(p.At))
	if err != nil {
		return db.interpretError(err, trialThing(p.Study, p.Number))
	}
	if tag.RowsAffected() == 0 {
		// Not running for the worker: say why.
		if _, err := db.ownedTrial(ctx, tx, p.Study, p.Number, p.Worker, false); err != nil {
			return err
		}
		// It changed hands back between the statements: the heartbeat was
		// not stored, which is a conflict all the same.
		return mlw.Errorf(mlw.ECONFLICT, "%s changed concurrently", trialThing(p.Study, p.Number))
	}
	return db.commit(ctx, tx, nil, nil)
}

// FinishTrial implements tune.Storage. A zero At is set to the current time.
func (db *DB) FinishTrial(ctx context.Context, p *tune.FinishTrialParams) (*tune.TrialRecord, error) {
	switch p.State {
	case tune.StateComplete, tune.StatePruned, tune.StateFailed, tune.StateWaiting:
	default:
		return nil, mlw.Errorf(mlw.EINVALID, "a trial finishes complete, pruned, failed or waiting, not %s", p.State)
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	t, err := db.ownedTrial(ctx, tx, p.Study, p.Number, p.Worker, false)
	if err != nil {
		return nil, err
	}
	// Read after the lock, so that every value stored before it is seen.
	if t.Intermediate, err = db.stepValues(ctx, tx, p.Study, p.Number); err != nil {
		return nil, err
	}
	switch p.State {
	case tune.StateComplete:
		t.Value = p.Value
	case tune.StatePruned:
		t.Value = 0
		if sv, ok := t.LastStep(); ok {
			t.Value = sv.Value
		}
	case tune.StateFailed:
		t.Value, t.Error = 0, p.Error
	case tune.StateWaiting:
		t.Worker, t.Intermediate = "", nil
		if _, err := tx.Exec(ctx, `DELETE FROM trial_values WHERE study = $1 AND number = $2`, p.Study, p.Number); err != nil {
			return nil, db.interpretError(err, "values of "+trialThing(p.Study, p.Number))
		}
	}
	t.State = p.State
	if p.State != tune.StateWaiting {
		t.FinishedAt = db.stamp(p.At)
	}
	if _, err := tx.Exec(ctx, `UPDATE trials SET state = $3, value = $4, error = $5, worker = $6, finished_at = $7
		WHERE study = $1 AND number = $2`,
		p.Study, p.Number, string(t.State), t.Value, t.Error, t.Worker, ts(t.FinishedAt)); err != nil {
		return nil, db.interpretError(err, trialThing(p.Study, p.Number))
	}
	if err := db.commit(ctx, tx, nil, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// stepValues returns a trial's intermediate values ordered by step, nil when
// there are none.
func (db *DB) stepValues(ctx context.Context, q querier, study string, number int) ([]tune.StepValue, error) {
	rows, err := q.Query(ctx, `SELECT step, value FROM trial_values WHERE study = $1 AND number = $2 ORDER BY step`, study, number)
	if err != nil {
		return nil, db.interpretError(err, "values of "+trialThing(study, number))
	}
	defer rows.Close()
	var out []tune.StepValue
	for rows.Next() {
		var sv tune.StepValue
		if err := rows.Scan(&sv.Step, &sv.Value); err != nil {
			return nil, db.interpretError(err, "values of "+trialThing(study, number))
		}
		out = append(out, sv)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "values of "+trialThing(study, number))
	}
	return out, nil
}

// ListTrials implements tune.Storage. It is one statement, so one snapshot:
// each trial comes with its values in two arrays ordered by step.
func (db *DB) ListTrials(ctx context.Context, p *tune.ListTrialsParams) ([]tune.TrialRecord, error) {
	thing := fmt.Sprintf("trials of study %q", p.Study)
	query := `SELECT ` + trialColumns + `,
		ARRAY(SELECT v.step FROM trial_values v WHERE v.study = t.study AND v.number = t.number ORDER BY v.step),
		ARRAY(SELECT v.value FROM trial_values v WHERE v.study = t.study AND v.number = t.number ORDER BY v.step)
		FROM trials t WHERE study = $1`
	args := []any{p.Study}
	if len(p.States) > 0 {
		states := make([]string, len(p.States))
		for i, s := range p.States {
			states[i] = string(s)
		}
		query += ` AND state = ANY($2)`
		args = append(args, states)
	}
	rows, err := db.pool.Query(ctx, query+` ORDER BY number`, args...)
	if err != nil {
		return nil, db.interpretError(err, thing)
	}
	defer rows.Close()
	out := []tune.TrialRecord{}
	for rows.Next() {
		t, err := scanTrial(rows, true)
		if err != nil {
			return nil, db.interpretError(err, thing)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, thing)
	}
	if len(out) == 0 {
		return out, db.requireStudy(ctx, db.pool, p.Study, false)
	}
	return out, nil
}

// RequeueStale implements tune.Storage. It gives back only the stale trials
// that no other transaction holds (SKIP LOCKED): one held by a concurrent
// RequeueStale is given back by that one, and one held by its worker
// (a heartbeat being stored) is not stale.
func (db *DB) RequeueStale(ctx context.Context, p *tune.RequeueStaleParams) (int, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer rollback(ctx, tx)
	if err := db.requireStudy(ctx, tx, p.Study, false); err != nil {
		return 0, err
	}
	thing := fmt.Sprintf("stale trials of study %q", p.Study)
	rows, err := tx.Query(ctx, `UPDATE trials SET state = 'waiting', worker = ''
		WHERE study = $1 AND number IN (
			SELECT number FROM trials WHERE study = $1 AND state = 'running' AND heartbeat_at < $2
			ORDER BY number FOR UPDATE SKIP LOCKED)
		RETURNING number`, p.Study, norm(p.Before))
	if err != nil {
		return 0, db.interpretError(err, thing)
	}
	numbers, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0, db.interpretError(err, thing)
	}
	if len(numbers) == 0 {
		return 0, nil // nothing changed: rolling back is as good as committing
	}
	if _, err := tx.Exec(ctx, `DELETE FROM trial_values WHERE study = $1 AND number = ANY($2)`, p.Study, numbers); err != nil {
		return 0, db.interpretError(err, thing)
	}
	if err := db.commit(ctx, tx, nil, nil); err != nil {
		return 0, err
	}
	return len(numbers), nil
}
