package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

const modelVersionColumns = `id, name, version, run_id, artifact_key, status, description, created_at, created_by`

func scanModelVersion(s scanner) (*mlw.ModelVersion, error) {
	var (
		v       mlw.ModelVersion
		created sql.NullInt64
	)
	if err := s.Scan(&v.ID, &v.Name, &v.Version, &v.RunID, &v.ArtifactKey, &v.Status, &v.Description, &created, &v.CreatedBy); err != nil {
		return nil, err
	}
	v.CreatedAt = fromMicros(created)
	return &v, nil
}

// CreateModelVersion registers the next version of a model with status ready.
// It returns ENOTFOUND if the run does not exist.
func (db *DB) CreateModelVersion(ctx context.Context, p *store.CreateModelVersionParams) (*mlw.ModelVersion, error) {
	v := p.Version
	if v.Name == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "model name is empty")
	}
	v.Status = mlw.ModelReady
	v.CreatedAt = db.stamp(v.CreatedAt)

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	if err := db.requireRun(ctx, tx, v.RunID); err != nil {
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO models (name, latest_version, created_at) VALUES (?, 1, ?)
		ON CONFLICT (name) DO UPDATE SET latest_version = latest_version + 1
		RETURNING latest_version`, v.Name, micros(v.CreatedAt)).Scan(&v.Version); err != nil {
		return nil, db.interpretError(err, "model "+v.Name)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO model_versions (name, version, run_id, artifact_key, status,
		description, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		v.Name, v.Version, v.RunID, v.ArtifactKey, v.Status, v.Description, micros(v.CreatedAt), v.CreatedBy).Scan(&v.ID); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("model %s@%d", v.Name, v.Version))
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &v, nil
}

// GetModelVersion returns a version by Name and Version (0 = latest), or
// ENOTFOUND.
func (db *DB) GetModelVersion(ctx context.Context, p *store.GetModelVersionParams) (*mlw.ModelVersion, error) {
	return db.getModelVersion(ctx, db.read, p.Name, p.Version)
}

func (db *DB) getModelVersion(ctx context.Context, q querier, name string, version int) (*mlw.ModelVersion, error) {
	var (
		row   *sql.Row
		thing string
	)
	if version == 0 {
		row = q.QueryRowContext(ctx, `SELECT `+modelVersionColumns+` FROM model_versions WHERE name = ?
			ORDER BY version DESC LIMIT 1`, name)
		thing = "model " + name
	} else {
		row = q.QueryRowContext(ctx, `SELECT `+modelVersionColumns+` FROM model_versions WHERE name = ? AND version = ?`, name, version)
		thing = fmt.Sprintf("model %s@%d", name, version)
	}
	v, err := scanModelVersion(row)
	if err != nil {
		return nil, db.interpretError(err, thing)
	}
	return v, nil
}

// ListModelVersions returns versions ordered by name then version, of one
// model when Name is set, of one run when RunID is set.
func (db *DB) ListModelVersions(ctx context.Context, p *store.ListModelVersionsParams) ([]*mlw.ModelVersion, error) {
	q := `SELECT ` + modelVersionColumns + ` FROM model_versions WHERE 1 = 1`
	var args []any
	if p.Name != "" {
		q += ` AND name = ?`
		args = append(args, p.Name)
	}
	if p.RunID != "" {
		q += ` AND run_id = ?`
		args = append(args, p.RunID)
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY name, version`, args...)
	if err != nil {
		return nil, db.interpretError(err, "list model versions")
	}
	defer rows.Close()
	out := []*mlw.ModelVersion{}
	for rows.Next() {
		v, err := scanModelVersion(rows)
		if err != nil {
			return nil, db.interpretError(err, "list model versions")
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list model versions")
	}
	return out, nil
}

// SetModelVersionStatus changes a version's status, or returns ENOTFOUND.
func (db *DB) SetModelVersionStatus(ctx context.Context, p *store.SetModelVersionStatusParams) (*mlw.ModelVersion, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = ? WHERE name = ? AND version = ?`, p.Status, p.Name, p.Version)
	if err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("model %s@%d", p.Name, p.Version))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, mlw.Errorf(mlw.ENOTFOUND, "model %s@%d not found", p.Name, p.Version)
	}
	v, err := db.getModelVersion(ctx, tx, p.Name, p.Version)
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
	return v, nil
}

// SetAlias points an alias at a version: it ends the alias's open span, opens
// a new one and upserts the alias, in one transaction. A zero At is set to the
// current time. It returns ENOTFOUND if the version does not exist.
func (db *DB) SetAlias(ctx context.Context, p *store.SetAliasParams) (*mlw.Alias, error) {
	a := mlw.Alias{Model: p.Model, Alias: p.Alias, Version: p.Version, SetAt: db.stamp(p.At), SetBy: p.SetBy, Reason: p.Reason}

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	ok, err := db.exists(ctx, tx, `SELECT 1 FROM model_versions WHERE name = ? AND version = ?`, a.Model, a.Version)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, mlw.Errorf(mlw.ENOTFOUND, "model %s@%d not found", a.Model, a.Version)
	}
	if err := db.endSpan(ctx, tx, a.Model, a.Alias, a.SetAt, a.SetBy, a.Reason); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alias_spans (model, alias, version, from_at, set_by, reason, ended_by, end_reason)
		VALUES (?, ?, ?, ?, ?, ?, '', '')`, a.Model, a.Alias, a.Version, micros(a.SetAt), a.SetBy, a.Reason); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("alias %s@%s", a.Model, a.Alias))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO aliases (model, alias, version, set_at, set_by, reason) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, set_at = excluded.set_at,
			set_by = excluded.set_by, reason = excluded.reason`,
		a.Model, a.Alias, a.Version, micros(a.SetAt), a.SetBy, a.Reason); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("alias %s@%s", a.Model, a.Alias))
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &a, nil
}

// endSpan closes the open span of an alias, if any.
func (db *DB) endSpan(ctx context.Context, tx *sql.Tx, model, alias string, at time.Time, by, reason string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE alias_spans SET to_at = ?, ended_by = ?, end_reason = ?
		WHERE model = ? AND alias = ? AND to_at IS NULL`, micros(at), by, reason, model, alias); err != nil {
		return db.interpretError(err, fmt.Sprintf("alias %s@%s", model, alias))
	}
	return nil
}

// DeleteAlias removes an alias and ends its open span (at At, by By, for
// Reason), or returns ENOTFOUND. A zero At is set to the current time.
func (db *DB) DeleteAlias(ctx context.Context, p *store.DeleteAliasParams) error {
	at := db.stamp(p.At)
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM aliases WHERE model = ? AND alias = ?`, p.Model, p.Alias)
	if err != nil {
		return db.interpretError(err, fmt.Sprintf("alias %s@%s", p.Model, p.Alias))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return mlw.Errorf(mlw.ENOTFOUND, "alias %s@%s not found", p.Model, p.Alias)
	}
	if err := db.endSpan(ctx, tx, p.Model, p.Alias, at, p.By, p.Reason); err != nil {
		return err
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return err
	}
	return db.commit(tx, p.Audit, ev)
}

const aliasColumns = `model, alias, version, set_at, set_by, reason`

func scanAlias(s scanner) (*mlw.Alias, error) {
	var (
		a     mlw.Alias
		setAt sql.NullInt64
	)
	if err := s.Scan(&a.Model, &a.Alias, &a.Version, &setAt, &a.SetBy, &a.Reason); err != nil {
		return nil, err
	}
	a.SetAt = fromMicros(setAt)
	return &a, nil
}

// GetAlias returns an alias, or ENOTFOUND.
func (db *DB) GetAlias(ctx context.Context, model, alias string) (*mlw.Alias, error) {
	a, err := scanAlias(db.read.QueryRowContext(ctx, `SELECT `+aliasColumns+` FROM aliases WHERE model = ? AND alias = ?`, model, alias))
	if err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("alias %s@%s", model, alias))
	}
	return a, nil
}

// ListAliases returns the current aliases of a model (of all models when Model
// is empty) ordered by model then alias.
func (db *DB) ListAliases(ctx context.Context, p *store.ListAliasesParams) ([]*mlw.Alias, error) {
	q := `SELECT ` + aliasColumns + ` FROM aliases`
	var args []any
	if p.Model != "" {
		q += ` WHERE model = ?`
		args = append(args, p.Model)
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY model, alias`, args...)
	if err != nil {
		return nil, db.interpretError(err, "list aliases")
	}
	defer rows.Close()
	out := []*mlw.Alias{}
	for rows.Next() {
		a, err := scanAlias(rows)
		if err != nil {
			return nil, db.interpretError(err, "list aliases")
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list aliases")
	}
	return out, nil
}

// AliasHistory returns every span of a model's aliases (of one alias when
// Alias is set; of every model when Model is empty) ordered by From, then
// alias, then the order they were opened in.
func (db *DB) AliasHistory(ctx context.Context, p *store.AliasHistoryParams) ([]*mlw.AliasSpan, error) {
	q := `SELECT model, alias, version, from_at, to_at, set_by, reason, ended_by, end_reason FROM alias_spans WHERE 1 = 1`
	var args []any
	if p.Model != "" {
		q += ` AND model = ?`
		args = append(args, p.Model)
	}
	if p.Alias != "" {
		q += ` AND alias = ?`
		args = append(args, p.Alias)
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY from_at, alias, id`, args...)
	if err != nil {
		return nil, db.interpretError(err, "alias history")
	}
	defer rows.Close()
	out := []*mlw.AliasSpan{}
	for rows.Next() {
		var (
			s        mlw.AliasSpan
			from, to sql.NullInt64
		)
		if err := rows.Scan(&s.Model, &s.Alias, &s.Version, &from, &to, &s.SetBy, &s.Reason, &s.EndedBy, &s.EndReason); err != nil {
			return nil, db.interpretError(err, "alias history")
		}
		s.From, s.To = fromMicros(from), fromMicros(to)
		out = append(out, &s)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "alias history")
	}
	return out, nil
}
