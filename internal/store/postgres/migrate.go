package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/store"
)

// migrationFS holds the schema migrations, migration/NNNN_name.sql. Their
// numbers are the same as the SQLite driver's and the newest is
// store.SchemaVersion.
//
//go:embed migration/*.sql
var migrationFS embed.FS

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. The versions
// must run 1, 2, 3... without gaps.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(names))
	for i, name := range names { // fs.Glob sorts
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d in its name (%04d_name.sql)", base, i+1, i+1)
		}
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	return ms, nil
}

// migrate brings the schema to the newest embedded migration. Pending
// migrations are applied in one transaction that holds an advisory lock of
// the schema, so that several processes opening a new store at once apply
// each migration once. It returns EINVALID if the schema is newer than this
// binary.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	cur, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if cur > store.SchemaVersion {
		return errNewer(cur)
	}
	if cur >= len(ms) {
		return nil
	}

	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey("mlw.migrate", db.schema)); err != nil {
		return db.interpretError(err, "lock the schema for migration")
	}
	if db.schema != "" {
		ok, err := db.exists(ctx, tx, `SELECT 1 FROM pg_namespace WHERE nspname = $1`, db.schema)
		if err != nil {
			return err
		}
		if !ok {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{db.schema}.Sanitize()); err != nil {
				return db.interpretError(err, "create schema "+db.schema)
			}
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     NOT NULL PRIMARY KEY,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return db.interpretError(err, "create schema_migrations")
	}
	if cur, err = db.schemaVersion(ctx, tx); err != nil {
		return err
	}
	if cur > store.SchemaVersion {
		return errNewer(cur)
	}
	for _, m := range ms {
		if m.version <= cur {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return db.interpretError(err, "apply migration "+m.name)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
			m.version, db.stamp(db.now())); err != nil {
			return db.interpretError(err, "record migration "+m.name)
		}
	}
	return db.commit(ctx, tx, nil, nil)
}

// SchemaVersion returns the migration version the schema is at, 0 for a
// schema without tables.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return db.schemaVersion(ctx, db.pool)
}

func (db *DB) schemaVersion(ctx context.Context, q querier) (int, error) {
	// to_regclass resolves the name through search_path and gives NULL, not an
	// error, when the table (or the schema) does not exist.
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, db.interpretError(err, "read schema version")
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, db.interpretError(err, "read schema version")
	}
	return v, nil
}
