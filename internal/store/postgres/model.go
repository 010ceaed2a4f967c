package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

const modelVersionColumns = `id, name, version, run_id, artifact_key, status, description, created_at, created_by`

func scanModelVersion(s pgx.Row) (*mlw.ModelVersion, error) {
	var (
		v       mlw.ModelVersion
		created *time.Time
	)
	if err := s.Scan(&v.ID, &v.Name, &v.Version, &v.RunID, &v.ArtifactKey, &v.Status, &v.Description, &created, &v.CreatedBy); err != nil {
		return nil, err
	}
	v.CreatedAt = fromTS(created)
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
	defer rollback(ctx, tx)

	if err := db.requireRun(ctx, tx, v.RunID); err != nil {
		return nil, err
	}
	// The upsert locks the model's row until commit, so versions number on.
	if err := tx.QueryRow(ctx, `INSERT INTO models (name, latest_version, created_at) VALUES ($1, 1, $2)
		ON CONFLICT (name) DO UPDATE SET latest_version = models.latest_version + 1
		RETURNING latest_version`, v.Name, ts(v.CreatedAt)).Scan(&v.Version); err != nil {
		return nil, db.interpretError(err, "model "+v.Name)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO model_versions (name, version, run_id, artifact_key, status,
		description, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		v.Name, v.Version, v.RunID, v.ArtifactKey, v.Status, v.Description, ts(v.CreatedAt), v.CreatedBy).Scan(&v.ID); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("model %s@%d", v.Name, v.Version))
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(ctx, tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &v, nil
}

// GetModelVersion returns a version by Name and Version (0 = latest), or
// ENOTFOUND.
func (db *DB) GetModelVersion(ctx context.Context, p *store.GetModelVersionParams) (*mlw.ModelVersion, error) {
	return db.getModelVersion(ctx, db.pool, p.Name, p.Version)
}

func (db *DB) getModelVersion(ctx context.Context, q querier, name string, version int) (*mlw.ModelVersion, error) {
	var (
		row   pgx.Row
		thing string
	)
	if version == 0 {
		row = q.QueryRow(ctx, `SELECT `+modelVersionColumns+` FROM model_versions WHERE name = $1
			ORDER BY version DESC LIMIT 1`, name)
		thing = "model " + name
	} else {
		row = q.QueryRow(ctx, `SELECT `+modelVersionColumns+` FROM model_versions WHERE name = $1 AND version = $2`, name, version)
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
	var w where
	if p.Name != "" {
		w.add("name = ", p.Name)
	}
	if p.RunID != "" {
		w.add("run_id = ", p.RunID)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+modelVersionColumns+` FROM model_versions`+w.String()+` ORDER BY name, version`, w.args...)
	if err != nil {
		return nil, db.interpretError(err, "list model versions")
	}
	return collect(db, rows, "list model versions", scanModelVersion)
}

// SetModelVersionStatus changes a version's status, or returns ENOTFOUND.
func (db *DB) SetModelVersionStatus(ctx context.Context, p *store.SetModelVersionStatusParams) (*mlw.ModelVersion, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	v, err := scanModelVersion(tx.QueryRow(ctx, `UPDATE model_versions SET status = $1 WHERE name = $2 AND version = $3
		RETURNING `+modelVersionColumns, p.Status, p.Name, p.Version))
	if err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("model %s@%d", p.Name, p.Version))
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(ctx, tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return v, nil
}

// lockModel locks a model's row until the end of tx, so that alias changes of
// one model take turns; it reports whether the model exists.
func (db *DB) lockModel(ctx context.Context, tx pgx.Tx, model string) (bool, error) {
	return db.exists(ctx, tx, `SELECT 1 FROM models WHERE name = $1 FOR UPDATE`, model)
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
	defer rollback(ctx, tx)

	ok, err := db.lockModel(ctx, tx, a.Model)
	if err == nil && ok {
		ok, err = db.exists(ctx, tx, `SELECT 1 FROM model_versions WHERE name = $1 AND version = $2`, a.Model, a.Version)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, mlw.Errorf(mlw.ENOTFOUND, "model %s@%d not found", a.Model, a.Version)
	}
	if err := db.endSpan(ctx, tx, a.Model, a.Alias, a.SetAt, a.SetBy, a.Reason); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO alias_spans (model, alias, version, from_at, set_by, reason, ended_by, end_reason)
		VALUES ($1, $2, $3, $4, $5, $6, '', '')`, a.Model, a.Alias, a.Version, ts(a.SetAt), a.SetBy, a.Reason); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("alias %s@%s", a.Model, a.Alias))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO aliases (model, alias, version, set_at, set_by, reason) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, set_at = excluded.set_at,
			set_by = excluded.set_by, reason = excluded.reason`,
		a.Model, a.Alias, a.Version, ts(a.SetAt), a.SetBy, a.Reason); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("alias %s@%s", a.Model, a.Alias))
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(ctx, tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &a, nil
}

// endSpan closes the open span of an alias, if any.
func (db *DB) endSpan(ctx context.Context, tx pgx.Tx, model, alias string, at time.Time, by, reason string) error {
	if _, err := tx.Exec(ctx, `UPDATE alias_spans SET to_at = $1, ended_by = $2, end_reason = $3
		WHERE model = $4 AND alias = $5 AND to_at IS NULL`, ts(at), by, reason, model, alias); err != nil {
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
	defer rollback(ctx, tx)
	if _, err := db.lockModel(ctx, tx, p.Model); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM aliases WHERE model = $1 AND alias = $2`, p.Model, p.Alias)
	if err != nil {
		return db.interpretError(err, fmt.Sprintf("alias %s@%s", p.Model, p.Alias))
	}
	if tag.RowsAffected() == 0 {
		return mlw.Errorf(mlw.ENOTFOUND, "alias %s@%s not found", p.Model, p.Alias)
	}
	if err := db.endSpan(ctx, tx, p.Model, p.Alias, at, p.By, p.Reason); err != nil {
		return err
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return err
	}
	return db.commit(ctx, tx, p.Audit, ev)
}

const aliasColumns = `model, alias, version, set_at, set_by, reason`

func scanAlias(s pgx.Row) (*mlw.Alias, error) {
	var (
		a     mlw.Alias
		setAt *time.Time
	)
	if err := s.Scan(&a.Model, &a.Alias, &a.Version, &setAt, &a.SetBy, &a.Reason); err != nil {
		return nil, err
	}
	a.SetAt = fromTS(setAt)
	return &a, nil
}

// GetAlias returns an alias, or ENOTFOUND.
func (db *DB) GetAlias(ctx context.Context, model, alias string) (*mlw.Alias, error) {
	a, err := scanAlias(db.pool.QueryRow(ctx, `SELECT `+aliasColumns+` FROM aliases WHERE model = $1 AND alias = $2`, model, alias))
	if err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("alias %s@%s", model, alias))
	}
	return a, nil
}

// ListAliases returns the current aliases of a model (of all models when Model
// is empty) ordered by model then alias.
func (db *DB) ListAliases(ctx context.Context, p *store.ListAliasesParams) ([]*mlw.Alias, error) {
	var w where
	if p.Model != "" {
		w.add("model = ", p.Model)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+aliasColumns+` FROM aliases`+w.String()+` ORDER BY model, alias`, w.args...)
	if err != nil {
		return nil, db.interpretError(err, "list aliases")
	}
	return collect(db, rows, "list aliases", scanAlias)
}

// AliasHistory returns every span of a model's aliases (of one alias when
// Alias is set; of every model when Model is empty) ordered by From, then
// alias, then the order they were opened in.
func (db *DB) AliasHistory(ctx context.Context, p *store.AliasHistoryParams) ([]*mlw.AliasSpan, error) {
	var w where
	if p.Model != "" {
		w.add("model = ", p.Model)
	}
	if p.Alias != "" {
		w.add("alias = ", p.Alias)
	}
	rows, err := db.pool.Query(ctx, `SELECT model, alias, version, from_at, to_at, set_by, reason, ended_by, end_reason
		FROM alias_spans`+w.String()+` ORDER BY from_at, alias, id`, w.args...)
	if err != nil {
		return nil, db.interpretError(err, "alias history")
	}
	return collect(db, rows, "alias history", func(r pgx.Row) (*mlw.AliasSpan, error) {
		var (
			s        mlw.AliasSpan
			from, to *time.Time
		)
		if err := r.Scan(&s.Model, &s.Alias, &s.Version, &from, &to, &s.SetBy, &s.Reason, &s.EndedBy, &s.EndReason); err != nil {
			return nil, err
		}
		s.From, s.To = fromTS(from), fromTS(to)
		return &s, nil
	})
}
