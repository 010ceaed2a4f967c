package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

const datasetVersionColumns = `id, dataset, version, hash, artifact_key, format, source_path, row_count,
	schema_json, roles, parent_id, recipe, reason, created_at, created_by`

func scanDatasetVersion(s pgx.Row) (*mlw.DatasetVersion, error) {
	var (
		v              mlw.DatasetVersion
		schema, recipe *string
		roles          string
		parent         *int64
		created        *time.Time
	)
	if err := s.Scan(&v.ID, &v.Dataset, &v.Version, &v.Hash, &v.ArtifactKey, &v.Format, &v.SourcePath, &v.Rows,
		&schema, &roles, &parent, &recipe, &v.Reason, &created, &v.CreatedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(roles), &v.Roles); err != nil {
		return nil, fmt.Errorf("dataset version %d: decode roles: %v", v.ID, err)
	}
	v.Schema, v.Recipe = fromText(schema), fromText(recipe)
	if parent != nil {
		v.ParentID = *parent
	}
	v.CreatedAt = fromTS(created)
	return &v, nil
}

// CreateDatasetVersion stores a new version of a dataset, creating the dataset
// on its first version. It returns ECONFLICT if the dataset has a version with
// the same Hash and ENOTFOUND if ParentID names no version.
func (db *DB) CreateDatasetVersion(ctx context.Context, p *store.CreateDatasetVersionParams) (*mlw.DatasetVersion, error) {
	v := p.Version
	if v.Dataset == "" || v.Hash == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "dataset version needs a dataset name and a hash")
	}
	v.CreatedAt = db.stamp(v.CreatedAt)
	roles, err := json.Marshal(v.Roles)
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "dataset %s: roles: %v", v.Dataset, err)
	}

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)

	var existing int
	err = tx.QueryRow(ctx, `SELECT version FROM dataset_versions WHERE dataset = $1 AND hash = $2`, v.Dataset, v.Hash).Scan(&existing)
	switch {
	case err == nil:
		return nil, mlw.Errorf(mlw.ECONFLICT, "dataset %s already has this content as %s@%d (hash %s)", v.Dataset, v.Dataset, existing, v.Hash)
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, db.interpretError(err, "dataset "+v.Dataset)
	}
	if v.ParentID != 0 {
		ok, err := db.exists(ctx, tx, `SELECT 1 FROM dataset_versions WHERE id = $1`, v.ParentID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, mlw.Errorf(mlw.ENOTFOUND, "parent dataset version %d of dataset %s not found", v.ParentID, v.Dataset)
		}
	}
	// The upsert locks the dataset's row until commit: concurrent creators of
	// the same dataset take turns and number on from each other.
	if err := tx.QueryRow(ctx, `INSERT INTO datasets (name, latest_version, created_at) VALUES ($1, 1, $2)
		ON CONFLICT (name) DO UPDATE SET latest_version = datasets.latest_version + 1
		RETURNING latest_version`, v.Dataset, ts(v.CreatedAt)).Scan(&v.Version); err != nil {
		return nil, db.interpretError(err, "dataset "+v.Dataset)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO dataset_versions (dataset, version, hash, artifact_key, format,
		source_path, row_count, schema_json, roles, parent_id, recipe, reason, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		v.Dataset, v.Version, v.Hash, v.ArtifactKey, v.Format, v.SourcePath, v.Rows, text(v.Schema), string(roles),
		nullIfZero(v.ParentID), text(v.Recipe), v.Reason, ts(v.CreatedAt), v.CreatedBy).Scan(&v.ID); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("dataset %s version with hash %s", v.Dataset, v.Hash))
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

// GetDatasetVersion returns one version: by ID when set, else by Hash within
// Dataset when Hash is set, else by Dataset and Version (0 = latest). It
// returns ENOTFOUND if there is none and EINVALID if neither ID nor Dataset is
// set.
func (db *DB) GetDatasetVersion(ctx context.Context, p *store.GetDatasetVersionParams) (*mlw.DatasetVersion, error) {
	var (
		row   pgx.Row
		thing string
	)
	q := `SELECT ` + datasetVersionColumns + ` FROM dataset_versions `
	switch {
	case p.ID != 0:
		row, thing = db.pool.QueryRow(ctx, q+`WHERE id = $1`, p.ID), fmt.Sprintf("dataset version %d", p.ID)
	case p.Dataset == "":
		return nil, mlw.Errorf(mlw.EINVALID, "dataset version lookup needs an ID or a dataset name")
	case p.Hash != "":
		row = db.pool.QueryRow(ctx, q+`WHERE dataset = $1 AND hash = $2`, p.Dataset, p.Hash)
		thing = fmt.Sprintf("dataset %s version with hash %s", p.Dataset, p.Hash)
	case p.Version == 0:
		row = db.pool.QueryRow(ctx, q+`WHERE dataset = $1 ORDER BY version DESC LIMIT 1`, p.Dataset)
		thing = "dataset " + p.Dataset
	default:
		row = db.pool.QueryRow(ctx, q+`WHERE dataset = $1 AND version = $2`, p.Dataset, p.Version)
		thing = fmt.Sprintf("dataset %s@%d", p.Dataset, p.Version)
	}
	v, err := scanDatasetVersion(row)
	if err != nil {
		return nil, db.interpretError(err, thing)
	}
	return v, nil
}

// ListDatasets returns every dataset ordered by name.
func (db *DB) ListDatasets(ctx context.Context, _ *store.ListDatasetsParams) ([]*mlw.Dataset, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, created_at, latest_version FROM datasets ORDER BY name`)
	if err != nil {
		return nil, db.interpretError(err, "list datasets")
	}
	return collect(db, rows, "list datasets", func(r pgx.Row) (*mlw.Dataset, error) {
		var (
			d       mlw.Dataset
			created *time.Time
		)
		if err := r.Scan(&d.Name, &created, &d.LatestVersion); err != nil {
			return nil, err
		}
		d.CreatedAt = fromTS(created)
		return &d, nil
	})
}

// ListDatasetVersions returns the versions of Dataset, the versions derived
// from ParentID, of both when both are set, or every version when neither is,
// ordered by dataset then version. An unknown dataset gives an empty list.
func (db *DB) ListDatasetVersions(ctx context.Context, p *store.ListDatasetVersionsParams) ([]*mlw.DatasetVersion, error) {
	var w where
	if p.Dataset != "" {
		w.add("dataset = ", p.Dataset)
	}
	if p.ParentID != 0 {
		w.add("parent_id = ", p.ParentID)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+datasetVersionColumns+` FROM dataset_versions`+w.String()+` ORDER BY dataset, version`, w.args...)
	if err != nil {
		return nil, db.interpretError(err, "list dataset versions")
	}
	return collect(db, rows, "list dataset versions", scanDatasetVersion)
}

const splitColumns = `id, dataset_version_id, strategy, seed, params, train_rows, validation_rows, test_rows,
	membership_key, leakage, created_at, created_by`

func scanSplit(s pgx.Row) (*mlw.Split, error) {
	var (
		sp              mlw.Split
		params, leakage *string
		created         *time.Time
	)
	if err := s.Scan(&sp.ID, &sp.DatasetVersionID, &sp.Strategy, &sp.Seed, &params, &sp.Counts.Train,
		&sp.Counts.Validation, &sp.Counts.Test, &sp.MembershipKey, &leakage, &created, &sp.CreatedBy); err != nil {
		return nil, err
	}
	sp.Params, sp.Leakage = fromText(params), fromText(leakage)
	sp.CreatedAt = fromTS(created)
	return &sp, nil
}

// CreateSplit stores a split. It returns ECONFLICT if the ID exists and
// ENOTFOUND if the dataset version does not.
func (db *DB) CreateSplit(ctx context.Context, p *store.CreateSplitParams) (*mlw.Split, error) {
	sp := p.Split
	if sp.ID == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "split ID is empty")
	}
	sp.CreatedAt = db.stamp(sp.CreatedAt)

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)

	ok, err := db.exists(ctx, tx, `SELECT 1 FROM dataset_versions WHERE id = $1`, sp.DatasetVersionID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, mlw.Errorf(mlw.ENOTFOUND, "dataset version %d of split %s not found", sp.DatasetVersionID, sp.ID)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO splits (`+splitColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		sp.ID, sp.DatasetVersionID, sp.Strategy, sp.Seed, text(sp.Params), sp.Counts.Train, sp.Counts.Validation,
		sp.Counts.Test, sp.MembershipKey, text(sp.Leakage), ts(sp.CreatedAt), sp.CreatedBy); err != nil {
		return nil, db.interpretError(err, "split "+sp.ID)
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(ctx, tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &sp, nil
}

// GetSplit returns a split by ID, or ENOTFOUND.
func (db *DB) GetSplit(ctx context.Context, id string) (*mlw.Split, error) {
	sp, err := scanSplit(db.pool.QueryRow(ctx, `SELECT `+splitColumns+` FROM splits WHERE id = $1`, id))
	if err != nil {
		return nil, db.interpretError(err, "split "+id)
	}
	return sp, nil
}

// ListSplits returns splits newest first (by CreatedAt, then ID), of one
// dataset version when DatasetVersionID is set.
func (db *DB) ListSplits(ctx context.Context, p *store.ListSplitsParams) ([]*mlw.Split, error) {
	var w where
	if p.DatasetVersionID != 0 {
		w.add("dataset_version_id = ", p.DatasetVersionID)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+splitColumns+` FROM splits`+w.String()+` ORDER BY created_at DESC, id DESC`, w.args...)
	if err != nil {
		return nil, db.interpretError(err, "list splits")
	}
	return collect(db, rows, "list splits", scanSplit)
}

// where builds a WHERE clause with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

// add appends the condition `expr $n` with v as argument n; a nil v appends
// expr alone.
func (w *where) add(expr string, v any) {
	if v == nil {
		w.conds = append(w.conds, expr)
		return
	}
	w.args = append(w.args, v)
	w.conds = append(w.conds, fmt.Sprintf("%s$%d", expr, len(w.args)))
}

// arg appends v as an argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

// String returns " WHERE c1 AND c2 ...", or "" without conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	s := " WHERE " + w.conds[0]
	for _, c := range w.conds[1:] {
		s += " AND " + c
	}
	return s
}

// collect reads every row with scan and closes rows.
func collect[T any](db *DB, rows pgx.Rows, what string, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, db.interpretError(err, what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, what)
	}
	return out, nil
}
