package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

const runColumns = `id, parent_id, kind, name, model, status, dataset_version_id, split_id, git_commit,
	error_message, created_by, started_at, ended_at, deleted_at`

// runSelect reads runs with their params and tags, aggregated as JSON objects,
// in one statement and so from one snapshot.
const runSelect = `SELECT ` + runColumns + `,
	(SELECT json_object_agg(key, value) FROM run_params WHERE run_id = runs.id)::text,
	(SELECT json_object_agg(key, value) FROM run_tags WHERE run_id = runs.id)::text
	FROM runs`

func scanRun(s pgx.Row) (*mlw.Run, error) {
	var (
		r                       mlw.Run
		parent                  *string
		started, ended, deleted *time.Time
		params, tags            *string
	)
	if err := s.Scan(&r.ID, &parent, &r.Kind, &r.Name, &r.Model, &r.Status, &r.DatasetVersionID, &r.SplitID,
		&r.GitCommit, &r.Error, &r.CreatedBy, &started, &ended, &deleted, &params, &tags); err != nil {
		return nil, err
	}
	if parent != nil {
		r.ParentID = *parent
	}
	r.StartedAt, r.EndedAt, r.DeletedAt = fromTS(started), fromTS(ended), fromTS(deleted)
	for _, m := range []struct {
		src *string
		dst *map[string]string
	}{{params, &r.Params}, {tags, &r.Tags}} {
		if m.src != nil {
			if err := json.Unmarshal([]byte(*m.src), m.dst); err != nil {
				return nil, fmt.Errorf("run %s: decode params or tags: %v", r.ID, err)
			}
		}
	}
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
	defer rollback(ctx, tx)

	if r.ParentID != "" {
		ok, err := db.exists(ctx, tx, `SELECT 1 FROM runs WHERE id = $1`, r.ParentID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, mlw.Errorf(mlw.ENOTFOUND, "parent run %s of run %s not found", r.ParentID, r.ID)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO runs (`+runColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, nullIfZero(r.ParentID), r.Kind, r.Name, r.Model, string(r.Status), r.DatasetVersionID, r.SplitID, r.GitCommit,
		r.Error, r.CreatedBy, ts(r.StartedAt), ts(r.EndedAt), ts(r.DeletedAt)); err != nil {
		return nil, db.interpretError(err, "run "+r.ID)
	}
	if len(r.Params) > 0 {
		keys, values := split(r.Params)
		if _, err := tx.Exec(ctx, `INSERT INTO run_params (run_id, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS u (k, v)`,
			r.ID, keys, values); err != nil {
			return nil, db.interpretError(err, "params of run "+r.ID)
		}
	}
	if err := db.setTags(ctx, tx, r.ID, r.Tags); err != nil {
		return nil, err
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(ctx, tx, p.Audit, ev); err != nil {
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
	defer rollback(ctx, tx)

	// The row lock makes the status check and the update one step for
	// concurrent updaters; NO KEY lets rows that refer to the run be added.
	var status mlw.RunStatus
	if err := tx.QueryRow(ctx, `SELECT status FROM runs WHERE id = $1 FOR NO KEY UPDATE`, p.ID).Scan(&status); err != nil {
		return nil, db.interpretError(err, "run "+p.ID)
	}
	if p.ExpectStatus != nil && status != *p.ExpectStatus {
		return nil, mlw.Errorf(mlw.ECONFLICT, "run %s is %s, not %s", p.ID, status, *p.ExpectStatus)
	}
	var (
		w    where
		sets []string
	)
	set := func(column string, v any) { sets = append(sets, column+" = "+w.arg(v)) }
	if p.Status != nil {
		set("status", string(*p.Status))
	}
	if p.EndedAt != nil {
		set("ended_at", ts(norm(*p.EndedAt)))
	}
	if p.Error != nil {
		set("error_message", *p.Error)
	}
	if p.Name != nil {
		set("name", *p.Name)
	}
	if p.DeletedAt != nil {
		set("deleted_at", ts(norm(*p.DeletedAt)))
	}
	if len(sets) > 0 {
		q := `UPDATE runs SET ` + strings.Join(sets, ", ") + ` WHERE id = ` + w.arg(p.ID)
		if _, err := tx.Exec(ctx, q, w.args...); err != nil {
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
	if err := db.commit(ctx, tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return r, nil
}

// GetRun returns a run with its params and tags, or ENOTFOUND.
func (db *DB) GetRun(ctx context.Context, id string) (*mlw.Run, error) {
	return db.getRun(ctx, db.pool, id)
}

func (db *DB) getRun(ctx context.Context, q querier, id string) (*mlw.Run, error) {
	r, err := scanRun(q.QueryRow(ctx, runSelect+` WHERE id = $1`, id))
	if err != nil {
		return nil, db.interpretError(err, "run "+id)
	}
	return r, nil
}

// ListRuns returns the runs matching the filter, with their params and tags,
// newest first (by StartedAt, then ID).
func (db *DB) ListRuns(ctx context.Context, p *store.ListRunsParams) ([]*mlw.Run, error) {
	var w where
	if p.ParentID != "" {
		w.add("parent_id = ", p.ParentID)
	}
	if p.TopLevel {
		w.add("parent_id IS NULL", nil)
	}
	if p.Kind != "" {
		w.add("kind = ", p.Kind)
	}
	if p.Model != "" {
		w.add("model = ", p.Model)
	}
	if p.Status != "" {
		w.add("status = ", string(p.Status))
	}
	if p.SplitID != "" {
		w.add("split_id = ", p.SplitID)
	}
	if p.DatasetVersionID != 0 {
		w.add("dataset_version_id = ", p.DatasetVersionID)
	}
	if !p.IncludeDeleted {
		w.add("deleted_at IS NULL", nil)
	}
	q := runSelect + w.String() + ` ORDER BY started_at DESC, id DESC`
	if p.Limit > 0 {
		q += ` LIMIT ` + w.arg(p.Limit)
	}
	rows, err := db.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, db.interpretError(err, "list runs")
	}
	return collect(db, rows, "list runs", scanRun)
}

// requireRun returns ENOTFOUND if the run does not exist.
func (db *DB) requireRun(ctx context.Context, q querier, id string) error {
	ok, err := db.exists(ctx, q, `SELECT 1 FROM runs WHERE id = $1`, id)
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
	defer rollback(ctx, tx)
	if err := db.requireRun(ctx, tx, p.RunID); err != nil {
		return err
	}
	if len(p.Params) > 0 {
		keys, values := split(p.Params)
		if _, err := tx.Exec(ctx, `INSERT INTO run_params (run_id, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS u (k, v)
			ON CONFLICT (run_id, key) DO NOTHING`, p.RunID, keys, values); err != nil {
			return db.interpretError(err, "params of run "+p.RunID)
		}
		// Every key now holds a value: the one given, or an older one.
		var k, old, v string
		err := tx.QueryRow(ctx, `SELECT p.key, p.value, u.v FROM run_params p
			JOIN unnest($2::text[], $3::text[]) AS u (k, v) ON p.key = u.k
			WHERE p.run_id = $1 AND p.value <> u.v ORDER BY p.key LIMIT 1`, p.RunID, keys, values).Scan(&k, &old, &v)
		switch {
		case err == nil:
			return mlw.Errorf(mlw.ECONFLICT, "run %s: param %s is already %q, cannot change it to %q (params are immutable once logged)", p.RunID, k, old, v)
		case !errors.Is(err, pgx.ErrNoRows):
			return db.interpretError(err, "params of run "+p.RunID)
		}
	}
	return db.commit(ctx, tx, nil, nil)
}

// SetTags inserts or replaces tags of a run, or returns ENOTFOUND.
func (db *DB) SetTags(ctx context.Context, p *store.SetTagsParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if err := db.requireRun(ctx, tx, p.RunID); err != nil {
		return err
	}
	if err := db.setTags(ctx, tx, p.RunID, p.Tags); err != nil {
		return err
	}
	return db.commit(ctx, tx, nil, nil)
}

func (db *DB) setTags(ctx context.Context, tx pgx.Tx, runID string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	keys, values := split(tags)
	if _, err := tx.Exec(ctx, `INSERT INTO run_tags (run_id, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS u (k, v)
		ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`, runID, keys, values); err != nil {
		return db.interpretError(err, "tags of run "+runID)
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
	defer rollback(ctx, tx)
	if err := db.requireRun(ctx, tx, p.RunID); err != nil {
		return err
	}
	if n := len(p.Metrics); n > 0 {
		var (
			keys   = make([]string, n)
			values = make([]float64, n)
			steps  = make([]int64, n)
			times  = make([]time.Time, n)
		)
		for i, m := range p.Metrics {
			keys[i], values[i], steps[i], times[i] = m.Key, m.Value, m.Step, db.stamp(m.Time)
		}
		// WITH ORDINALITY keeps the given order, which breaks ties in ListMetrics.
		if _, err := tx.Exec(ctx, `INSERT INTO run_metrics (run_id, key, value, step, at)
			SELECT $1, k, v, s, a FROM unnest($2::text[], $3::float8[], $4::int8[], $5::timestamptz[]) WITH ORDINALITY AS u (k, v, s, a, n)
			ORDER BY n`, p.RunID, keys, values, steps, times); err != nil {
			return db.interpretError(err, "metrics of run "+p.RunID)
		}
	}
	return db.commit(ctx, tx, nil, nil)
}

// ListMetrics returns a run's metric values ordered by key, step and time,
// only Key's when set; with LatestOnly, one per key: the highest step, then
// the latest time, then the last logged. An unknown run gives an empty list.
func (db *DB) ListMetrics(ctx context.Context, p *store.ListMetricsParams) ([]mlw.Metric, error) {
	var w where
	w.add("run_id = ", p.RunID)
	if p.Key != "" {
		w.add("key = ", p.Key)
	}
	q := `SELECT key, value, step, at FROM run_metrics` + w.String() + ` ORDER BY key, step, at, id`
	if p.LatestOnly {
		q = `SELECT DISTINCT ON (key) key, value, step, at FROM run_metrics` + w.String() + `
			ORDER BY key, step DESC, at DESC, id DESC`
	}
	rows, err := db.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, db.interpretError(err, "list metrics of run "+p.RunID)
	}
	return collect(db, rows, "list metrics of run "+p.RunID, func(r pgx.Row) (mlw.Metric, error) {
		var (
			m  mlw.Metric
			at time.Time
		)
		if err := r.Scan(&m.Key, &m.Value, &m.Step, &at); err != nil {
			return m, err
		}
		m.Time = at.UTC()
		return m, nil
	})
}

// AddRunArtifact records an artifact of a run. It returns ENOTFOUND if the run
// does not exist and ECONFLICT if it has an artifact of the same name.
func (db *DB) AddRunArtifact(ctx context.Context, p *store.AddRunArtifactParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if err := db.requireRun(ctx, tx, p.RunID); err != nil {
		return err
	}
	a := p.Artifact
	if _, err := tx.Exec(ctx, `INSERT INTO run_artifacts (run_id, name, key, size) VALUES ($1, $2, $3, $4)`,
		p.RunID, a.Name, a.Key, a.Size); err != nil {
		return db.interpretError(err, fmt.Sprintf("artifact %s of run %s", a.Name, p.RunID))
	}
	return db.commit(ctx, tx, nil, nil)
}

// ListRunArtifacts returns the artifacts of a run ordered by name. An unknown
// run gives an empty list.
func (db *DB) ListRunArtifacts(ctx context.Context, runID string) ([]mlw.RunArtifact, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, key, size FROM run_artifacts WHERE run_id = $1 ORDER BY name`, runID)
	if err != nil {
		return nil, db.interpretError(err, "list artifacts of run "+runID)
	}
	return collect(db, rows, "list artifacts of run "+runID, func(r pgx.Row) (mlw.RunArtifact, error) {
		var a mlw.RunArtifact
		err := r.Scan(&a.Name, &a.Key, &a.Size)
		return a, err
	})
}

// split returns the keys of m in order and their values.
func split(m map[string]string) (keys, values []string) {
	keys = slices.Sorted(maps.Keys(m))
	values = make([]string, len(keys))
	for i, k := range keys {
		values[i] = m[k]
	}
	return keys, values
}

// cloneMap copies m; an empty map becomes nil, as a run without params reads
// back.
func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
