package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/tune"
)

// DB keeps tuning studies too (tables of migration/0002_studies.sql), so that
// a study is resumable and several processes on one file share it. Every
// change runs in a BEGIN IMMEDIATE transaction, which holds the database's
// write lock: numbering a trial under the budget, claiming the
// lowest-numbered waiting trial and the ownership checks need no other lock.
var _ tune.Storage = (*DB)(nil)

const trialColumns = `study, number, state, params, value, error, worker, attempts,
	created_at, started_at, heartbeat_at, finished_at`

// scanTrial reads a row of trialColumns.
func scanTrial(s scanner) (*tune.TrialRecord, error) {
	var (
		t                                  tune.TrialRecord
		params                             sql.NullString
		value                              sql.NullFloat64
		created, started, beat, finishedAt sql.NullInt64
	)
	if err := s.Scan(&t.Study, &t.Number, &t.State, &params, &value, &t.Error, &t.Worker, &t.Attempts,
		&created, &started, &beat, &finishedAt); err != nil {
		return nil, err
	}
	if params.Valid {
		if err := json.Unmarshal([]byte(params.String), &t.Params); err != nil {
			return nil, fmt.Errorf("decode params of trial %d of study %q: %v", t.Number, t.Study, err)
		}
	}
	t.Value = fromMetricValue(value)
	t.CreatedAt, t.StartedAt = fromMicros(created), fromMicros(started)
	t.HeartbeatAt, t.FinishedAt = fromMicros(beat), fromMicros(finishedAt)
	return &t, nil
}

// jsonText encodes a map as JSON TEXT; nil becomes NULL.
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
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO studies (name, direction, attrs, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, rec.Name, string(rec.Direction), jsonText(rec.Attrs), micros(rec.CreatedAt))
	if err != nil {
		return nil, false, db.interpretError(err, "study "+p.Name)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, false, db.interpretError(err, "study "+p.Name)
	} else if n == 0 {
		rec, err = db.getStudy(ctx, tx, p.Name)
		if err != nil {
			return nil, false, err
		}
		if rec.Direction != p.Direction {
			return nil, false, mlw.Errorf(mlw.ECONFLICT, "study %q exists and is to %s, not %s", p.Name, rec.Direction, p.Direction)
		}
		return rec, false, nil
	}
	if err := db.commit(tx, nil, nil); err != nil {
		return nil, false, err
	}
	return rec, true, nil
}

// GetStudy implements tune.Storage.
func (db *DB) GetStudy(ctx context.Context, name string) (*tune.StudyRecord, error) {
	return db.getStudy(ctx, db.read, name)
}

func (db *DB) getStudy(ctx context.Context, q querier, name string) (*tune.StudyRecord, error) {
	var (
		rec     tune.StudyRecord
		attrs   sql.NullString
		created sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `SELECT name, direction, attrs, created_at FROM studies WHERE name = ?`, name).
		Scan(&rec.Name, &rec.Direction, &attrs, &created)
	if err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("study %q", name))
	}
	if attrs.Valid {
		if err := json.Unmarshal([]byte(attrs.String), &rec.Attrs); err != nil {
			return nil, fmt.Errorf("decode attrs of study %q: %v", name, err)
		}
	}
	rec.CreatedAt = fromMicros(created)
	return &rec, nil
}

// requireStudy returns an ENOTFOUND error if the study does not exist.
func (db *DB) requireStudy(ctx context.Context, q querier, name string) error {
	ok, err := db.exists(ctx, q, `SELECT 1 FROM studies WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if !ok {
		return mlw.Errorf(mlw.ENOTFOUND, "study %q not found", name)
	}
	return nil
}

// CreateTrial implements tune.Storage. The transaction's write lock makes
// the count, the budget check and the insert one atomic step. A zero At is
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
	defer tx.Rollback()
	if err := db.requireStudy(ctx, tx, p.Study); err != nil {
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study = ?`, p.Study).
		Scan(&t.Number); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("trials of study %q", p.Study))
	}
	if p.MaxTrials > 0 && t.Number >= p.MaxTrials {
		return nil, fmt.Errorf("study %q holds %d trials: %w", p.Study, t.Number, tune.ErrBudget)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO trials (`+trialColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Study, t.Number, string(t.State), jsonText(t.Params), metricValue(t.Value), t.Error, t.Worker, t.Attempts,
		micros(t.CreatedAt), micros(t.StartedAt), micros(t.HeartbeatAt), micros(t.FinishedAt)); err != nil {
		return nil, db.interpretError(err, trialThing(t.Study, t.Number))
	}
	if err := db.commit(tx, nil, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// ClaimTrial implements tune.Storage. The transaction's write lock keeps two
// claims, from this process or another, from taking the same trial.
func (db *DB) ClaimTrial(ctx context.Context, p *tune.ClaimTrialParams) (*tune.TrialRecord, error) {
	at := micros(db.stamp(p.At))
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// A waiting trial has no intermediate values: they are dropped when it is
	// given back.
	t, err := scanTrial(tx.QueryRowContext(ctx, `UPDATE trials
		SET state = 'running', worker = ?, attempts = attempts + 1, started_at = ?, heartbeat_at = ?
		WHERE study = ? AND number = (SELECT MIN(number) FROM trials WHERE study = ? AND state = 'waiting')
		RETURNING `+trialColumns, p.Worker, at, at, p.Study, p.Study))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.requireStudy(ctx, tx, p.Study)
	}
	if err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("claim a trial of study %q", p.Study))
	}
	if err := db.commit(tx, nil, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// ownedTrial returns the trial, or an ENOTFOUND error if it does not exist
// and an ECONFLICT error if it is not running for worker.
func (db *DB) ownedTrial(ctx context.Context, q querier, study string, number int, worker string) (*tune.TrialRecord, error) {
	t, err := scanTrial(q.QueryRowContext(ctx, `SELECT `+trialColumns+` FROM trials WHERE study = ? AND number = ?`, study, number))
	if err != nil {
		return nil, db.interpretError(err, trialThing(study, number))
	}
	if t.State != tune.StateRunning || t.Worker != worker {
		return nil, mlw.Errorf(mlw.ECONFLICT, "trial %d of study %q is %s (worker %q), not running for worker %q",
			number, study, t.State, t.Worker, worker)
	}
	return t, nil
}

// ReportValue implements tune.Storage.
func (db *DB) ReportValue(ctx context.Context, p *tune.ReportValueParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := db.ownedTrial(ctx, tx, p.Study, p.Number, p.Worker); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO trial_values (study, number, step, value) VALUES (?, ?, ?, ?)
		ON CONFLICT (study, number, step) DO NOTHING`, p.Study, p.Number, p.Step, metricValue(p.Value)); err != nil {
		return db.interpretError(err, fmt.Sprintf("step %d of %s", p.Step, trialThing(p.Study, p.Number)))
	}
	return db.commit(tx, nil, nil)
}

// Heartbeat implements tune.Storage. A zero At is set to the current time.
func (db *DB) Heartbeat(ctx context.Context, p *tune.HeartbeatParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE trials SET heartbeat_at = ?
		WHERE study = ? AND number = ? AND state = 'running' AND worker = ?`,
		micros(db.stamp(p.At)), p.Study, p.Number, p.Worker)
	if err != nil {
		return db.interpretError(err, trialThing(p.Study, p.Number))
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.interpretError(err, trialThing(p.Study, p.Number))
	} else if n == 0 {
		// Not running for the worker (the write lock is held, so ownedTrial
		// sees the same row): say why.
		if _, err := db.ownedTrial(ctx, tx, p.Study, p.Number, p.Worker); err != nil {
			return err
		}
	}
	return db.commit(tx, nil, nil)
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
	defer tx.Rollback()
	t, err := db.ownedTrial(ctx, tx, p.Study, p.Number, p.Worker)
	if err != nil {
		return nil, err
	}
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM trial_values WHERE study = ? AND number = ?`, p.Study, p.Number); err != nil {
			return nil, db.interpretError(err, "values of "+trialThing(p.Study, p.Number))
		}
	}
	t.State = p.State
	if p.State != tune.StateWaiting {
		t.FinishedAt = db.stamp(p.At)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE trials SET state = ?, value = ?, error = ?, worker = ?, finished_at = ?
		WHERE study = ? AND number = ?`,
		string(t.State), metricValue(t.Value), t.Error, t.Worker, micros(t.FinishedAt), p.Study, p.Number); err != nil {
		return nil, db.interpretError(err, trialThing(p.Study, p.Number))
	}
	if err := db.commit(tx, nil, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// stepValues returns a trial's intermediate values ordered by step, nil when
// there are none.
func (db *DB) stepValues(ctx context.Context, q querier, study string, number int) ([]tune.StepValue, error) {
	rows, err := q.QueryContext(ctx, `SELECT step, value FROM trial_values WHERE study = ? AND number = ? ORDER BY step`, study, number)
	if err != nil {
		return nil, db.interpretError(err, "values of "+trialThing(study, number))
	}
	defer rows.Close()
	var out []tune.StepValue
	for rows.Next() {
		var (
			sv tune.StepValue
			v  sql.NullFloat64
		)
		if err := rows.Scan(&sv.Step, &v); err != nil {
			return nil, db.interpretError(err, "values of "+trialThing(study, number))
		}
		sv.Value = fromMetricValue(v)
		out = append(out, sv)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "values of "+trialThing(study, number))
	}
	return out, nil
}

// ListTrials implements tune.Storage. It reads one snapshot.
func (db *DB) ListTrials(ctx context.Context, p *tune.ListTrialsParams) ([]tune.TrialRecord, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	thing := fmt.Sprintf("trials of study %q", p.Study)
	query, args := `SELECT `+trialColumns+` FROM trials WHERE study = ?`, []any{p.Study}
	if len(p.States) > 0 {
		states := make([]string, len(p.States))
		for i, s := range p.States {
			states[i] = string(s)
		}
		query += ` AND state IN (SELECT value FROM json_each(?))`
		args = append(args, ids(states))
	}
	rows, err := tx.QueryContext(ctx, query+` ORDER BY number`, args...)
	if err != nil {
		return nil, db.interpretError(err, thing)
	}
	defer rows.Close()
	var (
		out   []tune.TrialRecord
		index = map[int]int{} // trial number -> index in out
	)
	for rows.Next() {
		t, err := scanTrial(rows)
		if err != nil {
			return nil, db.interpretError(err, thing)
		}
		index[t.Number] = len(out)
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, thing)
	}
	if len(out) == 0 {
		return []tune.TrialRecord{}, db.requireStudy(ctx, tx, p.Study)
	}

	vrows, err := tx.QueryContext(ctx, `SELECT number, step, value FROM trial_values WHERE study = ? ORDER BY number, step`, p.Study)
	if err != nil {
		return nil, db.interpretError(err, thing)
	}
	defer vrows.Close()
	for vrows.Next() {
		var (
			number int
			sv     tune.StepValue
			v      sql.NullFloat64
		)
		if err := vrows.Scan(&number, &sv.Step, &v); err != nil {
			return nil, db.interpretError(err, thing)
		}
		if i, ok := index[number]; ok {
			sv.Value = fromMetricValue(v)
			out[i].Intermediate = append(out[i].Intermediate, sv)
		}
	}
	if err := vrows.Err(); err != nil {
		return nil, db.interpretError(err, thing)
	}
	return out, nil
}

// RequeueStale implements tune.Storage.
func (db *DB) RequeueStale(ctx context.Context, p *tune.RequeueStaleParams) (int, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := db.requireStudy(ctx, tx, p.Study); err != nil {
		return 0, err
	}
	thing := fmt.Sprintf("stale trials of study %q", p.Study)
	rows, err := tx.QueryContext(ctx, `UPDATE trials SET state = 'waiting', worker = ''
		WHERE study = ? AND state = 'running' AND heartbeat_at < ? RETURNING number`,
		p.Study, micros(norm(p.Before)))
	if err != nil {
		return 0, db.interpretError(err, thing)
	}
	var numbers []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, db.interpretError(err, thing)
		}
		numbers = append(numbers, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, db.interpretError(err, thing)
	}
	if len(numbers) == 0 {
		return 0, nil // nothing changed: rolling back is as good as committing
	}
	b, _ := json.Marshal(numbers)
	if _, err := tx.ExecContext(ctx, `DELETE FROM trial_values WHERE study = ? AND number IN (SELECT value FROM json_each(?))`,
		p.Study, string(b)); err != nil {
		return 0, db.interpretError(err, thing)
	}
	if err := db.commit(tx, nil, nil); err != nil {
		return 0, err
	}
	return len(numbers), nil
}
