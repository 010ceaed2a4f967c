package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"mlw.dev/internal/store"
)

// migrationFS holds the schema migrations, migration/NNNN_name.sql. Their
// numbers are the same as the PostgreSQL driver's and the newest is
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

// migrate brings the database to the newest embedded migration. It takes the
// write lock only when a migration is pending, so that opening an up-to-date
// store never waits for another process's writes. It returns EINVALID if the
// database is newer than this binary.
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
	for _, m := range ms {
		if m.version > cur {
			if err := db.applyMigration(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyMigration applies m in one write transaction, unless another process
// applied it first.
func (db *DB) applyMigration(ctx context.Context, m migration) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return db.interpretError(err, "create schema_migrations")
	}
	cur, err := db.schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if cur > store.SchemaVersion {
		return errNewer(cur)
	}
	if cur >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return db.interpretError(err, "apply migration "+m.name)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, micros(db.stamp(db.now()))); err != nil {
		return db.interpretError(err, "record migration "+m.name)
	}
	return db.commit(tx, nil, nil)
}

// SchemaVersion returns the migration version the database is at, 0 for a
// database without tables.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return db.schemaVersion(ctx, db.read)
}

func (db *DB) schemaVersion(ctx context.Context, q querier) (int, error) {
	ok, err := db.exists(ctx, q, `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`)
	if err != nil || !ok {
		return 0, err
	}
	var v int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, db.interpretError(err, "read schema version")
	}
	return v, nil
}
