// Package sqlite implements store.Store on one SQLite database file, the local
// store of a project (.mlw/store.db), with modernc.org/sqlite: pure Go, no cgo.
//
// The database runs in WAL mode with foreign keys on. Each DB writes through
// one connection, in transactions that begin with BEGIN IMMEDIATE: writers
// sharing a DB queue in Go, and writers of several DBs (several processes)
// queue on the database's write lock, waiting at most Config.BusyTimeout
// before failing with EUNAVAILABLE. Reads use a small pool of read-only
// connections and never wait for writers.
//
// Times are stored as INTEGER unix microseconds and JSON fields as TEXT; see
// migration/0001_init.sql.
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// DefaultBusyTimeout is how long a write waits for another process to release
// the database's write lock before it fails with EUNAVAILABLE.
const DefaultBusyTimeout = 5 * time.Second

// DefaultMaxReaders is the number of read-only connections a DB keeps at most.
const DefaultMaxReaders = 4

// Config configures OpenConfig. The zero value of every field but Path means
// its default.
type Config struct {
	// Path is the database file, created (with its tables) when missing. It
	// must not contain '?'.
	Path string
	// BusyTimeout is how long a write waits for another process's write lock;
	// zero means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// Now gives the time stored in CreatedAt-like fields left zero and in audit
	// events without a Time; nil means time.Now.
	Now func() time.Time
}

// WithDefaults returns c with its zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.BusyTimeout = cmp.Or(c.BusyTimeout, DefaultBusyTimeout)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate returns an EINVALID error if c cannot be used.
func (c Config) Validate() error {
	switch {
	case c.Path == "":
		return mlw.Errorf(mlw.EINVALID, "store path is empty")
	case strings.Contains(c.Path, "?"):
		return mlw.Errorf(mlw.EINVALID, "store path %q: '?' is not allowed in a SQLite store path", c.Path)
	case c.BusyTimeout < 0:
		return mlw.Errorf(mlw.EINVALID, "store %s: busy timeout %s is negative", c.Path, c.BusyTimeout)
	}
	return nil
}

// dsn returns the modernc.org/sqlite data source name of the writer
// connection (writer true) or of the read-only ones.
func (c Config) dsn(writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", c.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(normal)")
	if writer {
		q.Add("_pragma", "journal_mode(wal)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return c.Path + "?" + q.Encode()
}

// DB is a SQLite store. It implements store.Store.
type DB struct {
	path  string
	now   func() time.Time
	write *sql.DB // one connection; every transaction on it begins IMMEDIATE
	read  *sql.DB // read-only connections

	// locked is the error of a database another process holds locked, one
	// value: Open tries again on it and on nothing else.
	locked error

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*DB)(nil)

// Open opens (creating when missing) the SQLite store at path with the default
// configuration and migrates it to store.SchemaVersion. It returns EINVALID if
// the file's schema is newer than this mlw and EUNAVAILABLE if the file is
// locked by another process for longer than DefaultBusyTimeout.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenConfig(ctx, Config{Path: path})
}

// OpenConfig is Open with a configuration.
func OpenConfig(ctx context.Context, cfg Config) (*DB, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db := &DB{path: cfg.Path, now: cfg.Now,
		locked: mlw.Errorf(mlw.EUNAVAILABLE, "store %s is locked by another process", cfg.Path)}
	var err error
	if db.write, err = sql.Open("sqlite", cfg.dsn(true)); err != nil {
		return nil, db.interpretError(err, "open store "+cfg.Path)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	if db.read, err = sql.Open("sqlite", cfg.dsn(false)); err != nil {
		db.write.Close()
		return nil, db.interpretError(err, "open store "+cfg.Path)
	}
	db.read.SetMaxOpenConns(DefaultMaxReaders)
	db.read.SetMaxIdleConns(DefaultMaxReaders)
	// The writer connects first: it creates the file and turns WAL on before
	// any reader opens it. Processes opening a new file at once can find it
	// locked without waiting for the busy timeout (while another turns WAL on
	// or creates the tables): they try again until the busy timeout passes.
	deadline := time.Now().Add(cfg.BusyTimeout)
	for {
		err := db.write.PingContext(ctx)
		if err != nil {
			err = db.interpretError(err, "open store "+cfg.Path)
		} else {
			err = db.migrate(ctx)
		}
		if err == nil {
			return db, nil
		}
		if err != db.locked || !time.Now().Before(deadline) { //nolint:errorlint // the DB's own value, never wrapped
			db.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			db.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close closes the database. Calling it twice is safe.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		err := errors.Join(db.read.Close(), db.write.Close())
		if err != nil {
			db.closeErr = fmt.Errorf("close store %s: %v", db.path, err)
		}
	})
	return db.closeErr
}

// querier is what *sql.DB and *sql.Tx have in common, so that helpers can read
// inside or outside a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// begin starts a write transaction (BEGIN IMMEDIATE): it holds the database's
// write lock until Commit or Rollback.
func (db *DB) begin(ctx context.Context) (*sql.Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, db.interpretError(err, "begin transaction")
	}
	return tx, nil
}

// beginRead starts a read-only transaction: one consistent snapshot for the
// several queries of a read.
func (db *DB) beginRead(ctx context.Context) (*sql.Tx, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, db.interpretError(err, "begin transaction")
	}
	return tx, nil
}

// commit commits tx and then, when the change carried an audit event, copies
// the sealed event (sealed) into the caller's (dst).
func (db *DB) commit(tx *sql.Tx, dst, sealed *mlw.AuditEvent) error {
	if err := tx.Commit(); err != nil {
		return db.interpretError(err, "commit")
	}
	if dst != nil && sealed != nil {
		*dst = *sealed
	}
	return nil
}

// interpretError translates an error of database/sql or modernc.org/sqlite
// into an mlw.Error, so that no caller sees a driver error. thing names what
// the statement was about ("run r-1") for the messages: no row becomes
// ENOTFOUND "thing not found", a unique violation ECONFLICT "thing already
// exists", a foreign key violation ENOTFOUND, a locked database EUNAVAILABLE.
// Context errors stay matchable with errors.Is; anything else becomes a plain
// error (EINTERNAL) that carries the driver's text but not its type.
func (db *DB) interpretError(err error, thing string) error {
	if err == nil {
		return nil
	}
	var me *mlw.Error
	if errors.As(err, &me) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return mlw.Errorf(mlw.ENOTFOUND, "%s not found", thing)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", thing, context.DeadlineExceeded)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", thing, context.Canceled)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		switch code & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return db.locked
		case sqlite3.SQLITE_INTERRUPT:
			return fmt.Errorf("%s: %w", thing, context.Canceled)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return mlw.Errorf(mlw.EUNAVAILABLE, "store %s cannot be opened for writing: %s", db.path, se.Error())
		case sqlite3.SQLITE_NOTADB:
			return mlw.Errorf(mlw.EINVALID, "store %s is not a SQLite database", db.path)
		case sqlite3.SQLITE_FULL:
			return mlw.Errorf(mlw.EUNAVAILABLE, "store %s: disk full", db.path)
		case sqlite3.SQLITE_CONSTRAINT:
			switch code {
			case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
				return mlw.Errorf(mlw.ECONFLICT, "%s already exists", thing)
			case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
				return mlw.Errorf(mlw.ENOTFOUND, "%s refers to a record that does not exist", thing)
			}
		}
	}
	return fmt.Errorf("%s: %v", thing, err)
}

// errNewer is the error of a store whose schema is newer than this binary's.
func errNewer(version int) error {
	return mlw.Errorf(mlw.EINVALID, "store schema version %d is newer than this mlw (knows up to %d): upgrade mlw", version, store.SchemaVersion)
}

// stamp returns t normalised (UTC, microseconds), or the current time when t
// is zero.
func (db *DB) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = db.now()
	}
	return norm(t)
}

// norm returns t in UTC truncated to the microsecond, the precision the store
// keeps; the zero time stays zero.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// micros encodes a normalised time; the zero time becomes NULL.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros decodes what micros stored.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// text encodes a JSON field as TEXT, byte for byte; an empty one becomes NULL.
func text(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// fromText decodes what text stored.
func fromText(v sql.NullString) json.RawMessage {
	if !v.Valid {
		return nil
	}
	return json.RawMessage(v.String)
}

// metricValue encodes a metric value; NaN, which SQLite turns into NULL, is
// stored as NULL on purpose.
func metricValue(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

// fromMetricValue decodes what metricValue stored.
func fromMetricValue(v sql.NullFloat64) float64 {
	if !v.Valid {
		return math.NaN()
	}
	return v.Float64
}

// nullIfZero stores a zero ID or an empty string as NULL.
func nullIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// ids encodes keys as a JSON array for `IN (SELECT value FROM json_each(?))`.
func ids(keys []string) string {
	b, _ := json.Marshal(keys)
	return string(b)
}

// exists reports whether query returns a row.
func (db *DB) exists(ctx context.Context, q querier, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, db.interpretError(err, "check existence")
	}
	return true, nil
}
