package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

const runColumns = `id, parent_id, kind, name, model, status, dataset_version_id, split_id, git_commit,
	error_message, created_by, started_at, ended_at, deleted_at`

func scanRun(s scanner) (*mlw.Run, error) {
	var (
		r                       mlw.Run
		parent                  sql.NullString
		started, ended, deleted sql.NullInt64
	)
	if err := s.Scan(&r.ID, &parent, &r.Kind, &r.Name, &r.Model, &r.Status, &r.DatasetVersionID, &r.SplitID,
		&r.GitCommit, &r.Error, &r.CreatedBy, &started, &ended, &deleted); err != nil {
		return nil, err
	}
	r.ParentID = parent.String
	r.StartedAt, r.EndedAt, r.DeletedAt = fromMicros(started), fromMicros(ended), fromMicros(deleted)
	return &r, nil
}

// CreateRun stores a new run with its params and tags. It returns ECONFLICT if
// the ID exists and ENOTFOUND if ParentID names no run. A zero StartedAt is set
// to the current time.
func (db *DB) CreateRun(ctx context.Context, p *store.CreateRunParams) (*mlw.Run, error) {
	r := p.Run
	if r.ID == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "run ID is empty")
	}
	r.StartedAt = db.stamp(r.StartedAt)
	r.EndedAt, r.DeletedAt = norm(r.EndedAt), norm(r.DeletedAt)
	r.Params, r.Tags = cloneMap(r.Params), cloneMap(r.Tags)

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	if r.ParentID != "" {
		ok, err := db.exists(ctx, tx, `SELECT 1 FROM runs WHERE id = ?`, r.ParentID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, mlw.Errorf(mlw.ENOTFOUND, "parent run %s of run %s not found", r.ParentID, r.ID)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO runs (`+runColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, nullIfZero(r.ParentID), r.Kind, r.Name, r.Model, r.Status, r.DatasetVersionID, r.SplitID, r.GitCommit,
		r.Error, r.CreatedBy, micros(r.StartedAt), micros(r.EndedAt), micros(r.DeletedAt)); err != nil {
		return nil, db.interpretError(err, "run "+r.ID)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)`, r.ID, k, r.Params[k]); err != nil {
			return nil, db.interpretError(err, fmt.Sprintf("param %s of run %s", k, r.ID))
		}
	}
	if err := db.setTags(ctx, tx, r.ID, r.Tags); err != nil {
		return nil, err
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &r, nil
}

// UpdateRun sets the non-nil fields of a run and returns it. A zero EndedAt or
// DeletedAt clears the field. It returns ENOTFOUND if the run does not exist
// and ECONFLICT, changing nothing, if ExpectStatus is set and differs.
func (db *DB) UpdateRun(ctx context.Context, p *store.UpdateRunParams) (*mlw.Run, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	var status mlw.RunStatus
	if err := tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, p.ID).Scan(&status); err != nil {
		return nil, db.interpretError(err, "run "+p.ID)
	}
	if p.ExpectStatus != nil && status != *p.ExpectStatus {
		return nil, mlw.Errorf(mlw.ECONFLICT, "run %s is %s, not %s", p.ID, status, *p.ExpectStatus)
	}
	var (
		sets []string
		args []any
	)
	set := func(column string, v any) {
		sets = append(sets, column+" = ?")
		args = append(args, v)
	}
	if p.Status != nil {
		set("status", *p.Status)
	}
	if p.EndedAt != nil {
		set("ended_at", micros(norm(*p.EndedAt)))
	}
	if p.Error != nil {
		set("error_message", *p.Error)
	}
	if p.Name != nil {
		set("name", *p.Name)
	}
	if p.DeletedAt != nil {
		set("deleted_at", micros(norm(*p.DeletedAt)))
	}
	if len(sets) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, p.ID)...); err != nil {
			return nil, db.interpretError(err, "run "+p.ID)
		}
	}
	r, err := db.getRun(ctx, tx, p.ID)
	if err != nil {
		return nil, err
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return r, nil
}

// GetRun returns a run with its params and tags, or ENOTFOUND.
func (db *DB) GetRun(ctx context.Context, id string) (*mlw.Run, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return db.getRun(ctx, tx, id)
}

func (db *DB) getRun(ctx context.Context, q querier, id string) (*mlw.Run, error) {
	r, err := scanRun(q.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if err != nil {
		return nil, db.interpretError(err, "run "+id)
	}
	if err := db.loadRunMaps(ctx, q, []*mlw.Run{r}); err != nil {
		return nil, err
	}
	return r, nil
}

// ListRuns returns the runs matching the filter, with their params and tags,
// newest first (by StartedAt, then ID).
func (db *DB) ListRuns(ctx context.Context, p *store.ListRunsParams) ([]*mlw.Run, error) {
	var (
		where []string
		args  []any
	)
	cond := func(c string, v any) {
		where = append(where, c)
		args = append(args, v)
	}
	if p.ParentID != "" {
		cond("parent_id = ?", p.ParentID)
	}
	if p.TopLevel {
		where = append(where, "parent_id IS NULL")
	}
	if p.Kind != "" {
		cond("kind = ?", p.Kind)
	}
	if p.Model != "" {
		cond("model = ?", p.Model)
	}
	if p.Status != "" {
		cond("status = ?", p.Status)
	}
	if p.SplitID != "" {
		cond("split_id = ?", p.SplitID)
	}
	if p.DatasetVersionID != 0 {
		cond("dataset_version_id = ?", p.DatasetVersionID)
	}
	if !p.IncludeDeleted {
		where = append(where, "deleted_at IS NULL")
	}
	q := `SELECT ` + runColumns + ` FROM runs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY started_at DESC, id DESC`
	if p.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, p.Limit)
	}

	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.interpretError(err, "list runs")
	}
	defer rows.Close()
	out := []*mlw.Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, db.interpretError(err, "list runs")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list runs")
	}
	rows.Close()
	if err := db.loadRunMaps(ctx, tx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadRunMaps fills the Params and Tags of runs, leaving them nil for a run
// without any.
func (db *DB) loadRunMaps(ctx context.Context, q querier, runs []*mlw.Run) error {
	if len(runs) == 0 {
		return nil
	}
	byID := make(map[string]*mlw.Run, len(runs))
	keys := make([]string, 0, len(runs))
	for _, r := range runs {
		byID[r.ID] = r
		keys = append(keys, r.ID)
	}
	for _, table := range []string{"run_params", "run_tags"} {
		rows, err := q.QueryContext(ctx, `SELECT run_id, key, value FROM `+table+
			` WHERE run_id IN (SELECT value FROM json_each(?))`, ids(keys))
		if err != nil {
			return db.interpretError(err, "read "+table)
		}
		for rows.Next() {
			var id, k, v string
			if err := rows.Scan(&id, &k, &v); err != nil {
				rows.Close()
				return db.interpretError(err, "read "+table)
			}
			r := byID[id]
			m := &r.Params
			if table == "run_tags" {
				m = &r.Tags
			}
			if *m == nil {
				*m = map[string]string{}
			}
			(*m)[k] = v
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return db.interpretError(err, "read "+table)
		}
	}
	return nil
}

// requireRun returns ENOTFOUND if the run does not exist.
func (db *DB) requireRun(ctx context.Context, q querier, id string) error {
	ok, err := db.exists(ctx, q, `SELECT 1 FROM runs WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if !ok {
		return mlw.Errorf(mlw.ENOTFOUND, "run %s not found", id)
	}
	return nil
}

// LogParams adds params to a run. A key that holds a different value gives
// ECONFLICT and stores none of the params; the same value is a no-op. It
// returns ENOTFOUND if the run does not exist.
func (db *DB) LogParams(ctx context.Context, p *store.LogParamsParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.requireRun(ctx, tx, p.RunID); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(p.Params)) {
		v := p.Params[k]
		res, err := tx.ExecContext(ctx, `INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)
			ON CONFLICT (run_id, key) DO NOTHING`, p.RunID, k, v)
		if err != nil {
			return db.interpretError(err, fmt.Sprintf("param %s of run %s", k, p.RunID))
		}
		if n, _ := res.RowsAffected(); n == 1 {
			continue
		}
		var old string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM run_params WHERE run_id = ? AND key = ?`, p.RunID, k).Scan(&old); err != nil {
			return db.interpretError(err, fmt.Sprintf("param %s of run %s", k, p.RunID))
		}
		if old != v {
			return mlw.Errorf(mlw.ECONFLICT, "run %s: param %s is already %q, cannot change it to %q (params are immutable once logged)", p.RunID, k, old, v)
		}
	}
	return db.commit(tx, nil, nil)
}

// SetTags inserts or replaces tags of a run, or returns ENOTFOUND.
func (db *DB) SetTags(ctx context.Context, p *store.SetTagsParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.requireRun(ctx, tx, p.RunID); err != nil {
		return err
	}
	if err := db.setTags(ctx, tx, p.RunID, p.Tags); err != nil {
		return err
	}
	return db.commit(tx, nil, nil)
}

func (db *DB) setTags(ctx context.Context, tx *sql.Tx, runID string, tags map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)
			ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`, runID, k, tags[k]); err != nil {
			return db.interpretError(err, fmt.Sprintf("tag %s of run %s", k, runID))
		}
	}
	return nil
}

// LogMetrics appends metric values to a run, or returns ENOTFOUND. A zero
// Time is set to the current time.
func (db *DB) LogMetrics(ctx context.Context, p *store.LogMetricsParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.requireRun(ctx, tx, p.RunID); err != nil {
		return err
	}
	if len(p.Metrics) > 0 {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO run_metrics (run_id, key, value, step, at) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return db.interpretError(err, "log metrics of run "+p.RunID)
		}
		defer stmt.Close()
		for _, m := range p.Metrics {
			if _, err := stmt.ExecContext(ctx, p.RunID, m.Key, metricValue(m.Value), m.Step, micros(db.stamp(m.Time))); err != nil {
				return db.interpretError(err, fmt.Sprintf("metric %s of run %s", m.Key, p.RunID))
			}
		}
	}
	return db.commit(tx, nil, nil)
}

// ListMetrics returns a run's metric values ordered by key, step and time,
// only Key's when set; with LatestOnly, one per key: the highest step, then
// the latest time, then the last logged. An unknown run gives an empty list.
func (db *DB) ListMetrics(ctx context.Context, p *store.ListMetricsParams) ([]mlw.Metric, error) {
	filter := `run_id = ?`
	args := []any{p.RunID}
	if p.Key != "" {
		filter += ` AND key = ?`
		args = append(args, p.Key)
	}
	q := `SELECT key, value, step, at FROM run_metrics WHERE ` + filter + ` ORDER BY key, step, at, id`
	if p.LatestOnly {
		q = `SELECT key, value, step, at FROM (
			SELECT key, value, step, at, ROW_NUMBER() OVER (PARTITION BY key ORDER BY step DESC, at DESC, id DESC) AS rn
			FROM run_metrics WHERE ` + filter + `) AS m WHERE rn = 1 ORDER BY key`
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.interpretError(err, "list metrics of run "+p.RunID)
	}
	defer rows.Close()
	out := []mlw.Metric{}
	for rows.Next() {
		var (
			m     mlw.Metric
			value sql.NullFloat64
			at    sql.NullInt64
		)
		if err := rows.Scan(&m.Key, &value, &m.Step, &at); err != nil {
			return nil, db.interpretError(err, "list metrics of run "+p.RunID)
		}
		m.Value, m.Time = fromMetricValue(value), fromMicros(at)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list metrics of run "+p.RunID)
	}
	return out, nil
}

// AddRunArtifact records an artifact of a run. It returns ENOTFOUND if the run
// does not exist and ECONFLICT if it has an artifact of the same name.
func (db *DB) AddRunArtifact(ctx context.Context, p *store.AddRunArtifactParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.requireRun(ctx, tx, p.RunID); err != nil {
		return err
	}
	a := p.Artifact
	if _, err := tx.ExecContext(ctx, `INSERT INTO run_artifacts (run_id, name, key, size) VALUES (?, ?, ?, ?)`,
		p.RunID, a.Name, a.Key, a.Size); err != nil {
		return db.interpretError(err, fmt.Sprintf("artifact %s of run %s", a.Name, p.RunID))
	}
	return db.commit(tx, nil, nil)
}

// ListRunArtifacts returns the artifacts of a run ordered by name. An unknown
// run gives an empty list.
func (db *DB) ListRunArtifacts(ctx context.Context, runID string) ([]mlw.RunArtifact, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name, key, size FROM run_artifacts WHERE run_id = ? ORDER BY name`, runID)
	if err != nil {
		return nil, db.interpretError(err, "list artifacts of run "+runID)
	}
	defer rows.Close()
	out := []mlw.RunArtifact{}
	for rows.Next() {
		var a mlw.RunArtifact
		if err := rows.Scan(&a.Name, &a.Key, &a.Size); err != nil {
			return nil, db.interpretError(err, "list artifacts of run "+runID)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list artifacts of run "+runID)
	}
	return out, nil
}

// cloneMap copies m; an empty map becomes nil, as a run without params reads
// back.
func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
