package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

const datasetVersionColumns = `id, dataset, version, hash, artifact_key, format, source_path, row_count,
	schema_json, roles, parent_id, recipe, reason, created_at, created_by`

func scanDatasetVersion(s scanner) (*mlw.DatasetVersion, error) {
	var (
		v               mlw.DatasetVersion
		schema, recipe  sql.NullString
		roles           string
		parent, created sql.NullInt64
	)
	if err := s.Scan(&v.ID, &v.Dataset, &v.Version, &v.Hash, &v.ArtifactKey, &v.Format, &v.SourcePath, &v.Rows,
		&schema, &roles, &parent, &recipe, &v.Reason, &created, &v.CreatedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(roles), &v.Roles); err != nil {
		return nil, fmt.Errorf("dataset version %d: decode roles: %v", v.ID, err)
	}
	v.Schema, v.Recipe = fromText(schema), fromText(recipe)
	v.ParentID = parent.Int64
	v.CreatedAt = fromMicros(created)
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
	defer tx.Rollback()

	var existing int
	err = tx.QueryRowContext(ctx, `SELECT version FROM dataset_versions WHERE dataset = ? AND hash = ?`, v.Dataset, v.Hash).Scan(&existing)
	switch {
	case err == nil:
		return nil, mlw.Errorf(mlw.ECONFLICT, "dataset %s already has this content as %s@%d (hash %s)", v.Dataset, v.Dataset, existing, v.Hash)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, db.interpretError(err, "dataset "+v.Dataset)
	}
	if v.ParentID != 0 {
		ok, err := db.exists(ctx, tx, `SELECT 1 FROM dataset_versions WHERE id = ?`, v.ParentID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, mlw.Errorf(mlw.ENOTFOUND, "parent dataset version %d of dataset %s not found", v.ParentID, v.Dataset)
		}
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO datasets (name, latest_version, created_at) VALUES (?, 1, ?)
		ON CONFLICT (name) DO UPDATE SET latest_version = latest_version + 1
		RETURNING latest_version`, v.Dataset, micros(v.CreatedAt)).Scan(&v.Version); err != nil {
		return nil, db.interpretError(err, "dataset "+v.Dataset)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO dataset_versions (dataset, version, hash, artifact_key, format,
		source_path, row_count, schema_json, roles, parent_id, recipe, reason, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		v.Dataset, v.Version, v.Hash, v.ArtifactKey, v.Format, v.SourcePath, v.Rows, text(v.Schema), string(roles),
		nullIfZero(v.ParentID), text(v.Recipe), v.Reason, micros(v.CreatedAt), v.CreatedBy).Scan(&v.ID); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("dataset %s version with hash %s", v.Dataset, v.Hash))
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

// GetDatasetVersion returns one version: by ID when set, else by Hash within
// Dataset when Hash is set, else by Dataset and Version (0 = latest). It
// returns ENOTFOUND if there is none and EINVALID if neither ID nor Dataset is
// set.
func (db *DB) GetDatasetVersion(ctx context.Context, p *store.GetDatasetVersionParams) (*mlw.DatasetVersion, error) {
	var (
		row   *sql.Row
		thing string
	)
	q := `SELECT ` + datasetVersionColumns + ` FROM dataset_versions `
	switch {
	case p.ID != 0:
		row, thing = db.read.QueryRowContext(ctx, q+`WHERE id = ?`, p.ID), fmt.Sprintf("dataset version %d", p.ID)
	case p.Dataset == "":
		return nil, mlw.Errorf(mlw.EINVALID, "dataset version lookup needs an ID or a dataset name")
	case p.Hash != "":
		row = db.read.QueryRowContext(ctx, q+`WHERE dataset = ? AND hash = ?`, p.Dataset, p.Hash)
		thing = fmt.Sprintf("dataset %s version with hash %s", p.Dataset, p.Hash)
	case p.Version == 0:
		row = db.read.QueryRowContext(ctx, q+`WHERE dataset = ? ORDER BY version DESC LIMIT 1`, p.Dataset)
		thing = "dataset " + p.Dataset
	default:
		row = db.read.QueryRowContext(ctx, q+`WHERE dataset = ? AND version = ?`, p.Dataset, p.Version)
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
	rows, err := db.read.QueryContext(ctx, `SELECT name, created_at, latest_version FROM datasets ORDER BY name`)
	if err != nil {
		return nil, db.interpretError(err, "list datasets")
	}
	defer rows.Close()
	out := []*mlw.Dataset{}
	for rows.Next() {
		var (
			d       mlw.Dataset
			created sql.NullInt64
		)
		if err := rows.Scan(&d.Name, &created, &d.LatestVersion); err != nil {
			return nil, db.interpretError(err, "list datasets")
		}
		d.CreatedAt = fromMicros(created)
		out = append(out, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list datasets")
	}
	return out, nil
}

// ListDatasetVersions returns the versions of Dataset, the versions derived
// from ParentID, of both when both are set, or every version when neither is,
// ordered by dataset then version. An unknown dataset gives an empty list.
func (db *DB) ListDatasetVersions(ctx context.Context, p *store.ListDatasetVersionsParams) ([]*mlw.DatasetVersion, error) {
	q := `SELECT ` + datasetVersionColumns + ` FROM dataset_versions WHERE 1 = 1`
	var args []any
	if p.Dataset != "" {
		q += ` AND dataset = ?`
		args = append(args, p.Dataset)
	}
	if p.ParentID != 0 {
		q += ` AND parent_id = ?`
		args = append(args, p.ParentID)
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY dataset, version`, args...)
	if err != nil {
		return nil, db.interpretError(err, "list dataset versions")
	}
	defer rows.Close()
	out := []*mlw.DatasetVersion{}
	for rows.Next() {
		v, err := scanDatasetVersion(rows)
		if err != nil {
			return nil, db.interpretError(err, "list dataset versions")
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list dataset versions")
	}
	return out, nil
}

const splitColumns = `id, dataset_version_id, strategy, seed, params, train_rows, validation_rows, test_rows,
	membership_key, leakage, created_at, created_by`

func scanSplit(s scanner) (*mlw.Split, error) {
	var (
		sp              mlw.Split
		params, leakage sql.NullString
		created         sql.NullInt64
	)
	if err := s.Scan(&sp.ID, &sp.DatasetVersionID, &sp.Strategy, &sp.Seed, &params, &sp.Counts.Train,
		&sp.Counts.Validation, &sp.Counts.Test, &sp.MembershipKey, &leakage, &created, &sp.CreatedBy); err != nil {
		return nil, err
	}
	sp.Params, sp.Leakage = fromText(params), fromText(leakage)
	sp.CreatedAt = fromMicros(created)
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
	defer tx.Rollback()

	ok, err := db.exists(ctx, tx, `SELECT 1 FROM dataset_versions WHERE id = ?`, sp.DatasetVersionID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, mlw.Errorf(mlw.ENOTFOUND, "dataset version %d of split %s not found", sp.DatasetVersionID, sp.ID)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO splits (`+splitColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sp.ID, sp.DatasetVersionID, sp.Strategy, sp.Seed, text(sp.Params), sp.Counts.Train, sp.Counts.Validation,
		sp.Counts.Test, sp.MembershipKey, text(sp.Leakage), micros(sp.CreatedAt), sp.CreatedBy); err != nil {
		return nil, db.interpretError(err, "split "+sp.ID)
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &sp, nil
}

// GetSplit returns a split by ID, or ENOTFOUND.
func (db *DB) GetSplit(ctx context.Context, id string) (*mlw.Split, error) {
	sp, err := scanSplit(db.read.QueryRowContext(ctx, `SELECT `+splitColumns+` FROM splits WHERE id = ?`, id))
	if err != nil {
		return nil, db.interpretError(err, "split "+id)
	}
	return sp, nil
}

// ListSplits returns splits newest first (by CreatedAt, then ID), of one
// dataset version when DatasetVersionID is set.
func (db *DB) ListSplits(ctx context.Context, p *store.ListSplitsParams) ([]*mlw.Split, error) {
	q := `SELECT ` + splitColumns + ` FROM splits`
	var args []any
	if p.DatasetVersionID != 0 {
		q += ` WHERE dataset_version_id = ?`
		args = append(args, p.DatasetVersionID)
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, db.interpretError(err, "list splits")
	}
	defer rows.Close()
	out := []*mlw.Split{}
	for rows.Next() {
		sp, err := scanSplit(rows)
		if err != nil {
			return nil, db.interpretError(err, "list splits")
		}
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list splits")
	}
	return out, nil
}
