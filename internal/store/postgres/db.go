// Package postgres implements store.Store on a PostgreSQL database with pgx v5
// (pgxpool), for teams that share one metadata store between machines.
//
// Open takes a postgres:// URL. Besides the parameters libpq and pgx know
// (connect_timeout, sslmode, search_path ...), the URL may carry
// schema=NAME: the store then keeps its tables in that schema, creating it when
// missing, which is how tests give every test a fresh schema. Config.Schema
// does the same for callers that build a Config.
//
// Times are timestamptz and JSON fields text (never jsonb, which reorders
// keys); see migration/0001_init.sql. Audit appends are serialised with a
// transaction-level advisory lock of the store's schema.
package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// DefaultConnectTimeout bounds establishing one connection when neither the
// Config nor the URL's connect_timeout sets it, so that an unreachable server
// gives EUNAVAILABLE quickly instead of a hang.
const DefaultConnectTimeout = 5 * time.Second

// Config configures OpenConfig. The zero value of every field but URL means
// its default.
type Config struct {
	// URL is a postgres:// or postgresql:// URL (or a libpq key=value string).
	// A schema=NAME query parameter sets Schema when Schema is empty.
	URL string
	// Schema is the schema that holds the store's tables, created when
	// missing; empty means the first schema of the server's search_path.
	Schema string
	// ConnectTimeout bounds establishing one connection; zero means the URL's
	// connect_timeout, else DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxConns is the size of the connection pool; zero means pgxpool's
	// default (the larger of 4 and the number of CPUs).
	MaxConns int32
	// Now gives the time stored in CreatedAt-like fields left zero and in audit
	// events without a Time; nil means time.Now.
	Now func() time.Time
}

// WithDefaults returns c with its zero fields set to their defaults, taking
// Schema from the URL's schema parameter.
func (c Config) WithDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if u, err := url.Parse(c.URL); err == nil && u.Scheme != "" {
		c.Schema = cmp.Or(c.Schema, u.Query().Get("schema"))
	}
	return c
}

// Validate returns an EINVALID error if c cannot be used.
func (c Config) Validate() error {
	switch {
	case c.URL == "":
		return mlw.Errorf(mlw.EINVALID, "store URL is empty")
	case c.ConnectTimeout < 0:
		return mlw.Errorf(mlw.EINVALID, "store %s: connect timeout %s is negative", redact(c.URL), c.ConnectTimeout)
	case c.MaxConns < 0:
		return mlw.Errorf(mlw.EINVALID, "store %s: max conns %d is negative", redact(c.URL), c.MaxConns)
	}
	return nil
}

// poolConfig returns the pgxpool configuration of c.
func (c Config) poolConfig() (*pgxpool.Config, error) {
	connString := c.URL
	if u, err := url.Parse(c.URL); err == nil && u.Scheme != "" {
		q := u.Query()
		q.Del("schema") // ours, not a server parameter
		// pgx reads '+' literally, so spaces must stay %20.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		connString = u.String()
	}
	pc, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx redacts passwords from its parse errors.
		return nil, mlw.Errorf(mlw.EINVALID, "store %s: invalid URL: %v", redact(c.URL), err)
	}
	switch {
	case c.ConnectTimeout > 0:
		pc.ConnConfig.ConnectTimeout = c.ConnectTimeout
	case pc.ConnConfig.ConnectTimeout == 0:
		pc.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{c.Schema}.Sanitize()
	}
	if c.MaxConns > 0 {
		pc.MaxConns = c.MaxConns
	}
	return pc, nil
}

// redact returns raw with its password and query removed, fit for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "postgres://…"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// DB is a PostgreSQL store. It implements store.Store.
type DB struct {
	pool      *pgxpool.Pool
	display   string // the URL without password, for messages
	schema    string // configured schema, "" for the server's default
	auditLock int64  // advisory lock key serialising audit appends in this schema
	now       func() time.Time

	closeOnce sync.Once
}

var _ store.Store = (*DB)(nil)

// Open connects to the PostgreSQL store at url with the default configuration
// and migrates it to store.SchemaVersion. It returns EUNAVAILABLE if the server
// cannot be reached within the connect timeout, EINVALID for a malformed URL
// or a schema newer than this mlw.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenConfig(ctx, Config{URL: url})
}

// OpenConfig is Open with a configuration.
func OpenConfig(ctx context.Context, cfg Config) (*DB, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pc, err := cfg.poolConfig()
	if err != nil {
		return nil, err
	}
	db := &DB{display: redact(cfg.URL), schema: cfg.Schema, now: cfg.Now}
	if !strings.Contains(cfg.URL, "://") {
		// A key=value string: name the server from what pgx parsed.
		cc := pc.ConnConfig
		db.display = (&url.URL{Scheme: "postgres", User: url.User(cc.User),
			Host: net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))), Path: "/" + cc.Database}).String()
	}
	if db.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, db.interpretError(err, "connect")
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var schema string
	if err := db.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		db.Close()
		return nil, db.interpretError(err, "read current schema")
	}
	db.auditLock = lockKey("mlw.audit", schema)
	return db, nil
}

// Close closes the connection pool. Calling it twice is safe.
func (db *DB) Close() error {
	db.closeOnce.Do(db.pool.Close)
	return nil
}

// lockKey returns the advisory lock key of a purpose within a schema.
func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte(purpose + "\x00" + schema))
	return int64(h.Sum64())
}

// querier is what *pgxpool.Pool and pgx.Tx have in common, so that helpers can
// read inside or outside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// begin starts a read-write transaction. It asks for READ COMMITTED whatever
// the server's default: the locking here relies on each statement seeing what
// committed before it, in particular the newest audit event once the audit
// lock is held.
func (db *DB) begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, db.interpretError(err, "begin transaction")
	}
	return tx, nil
}

// rollback ends a transaction that was not committed; after Commit it does
// nothing. It is deferred right after begin. When ctx is done, pgx closes the
// connection instead, which ends the transaction on the server too.
func rollback(ctx context.Context, tx pgx.Tx) {
	_ = tx.Rollback(ctx)
}

// commit commits tx and then, when the change carried an audit event, copies
// the sealed event (sealed) into the caller's (dst).
func (db *DB) commit(ctx context.Context, tx pgx.Tx, dst, sealed *mlw.AuditEvent) error {
	if err := tx.Commit(ctx); err != nil {
		return db.interpretError(err, "commit")
	}
	if dst != nil && sealed != nil {
		*dst = *sealed
	}
	return nil
}

// interpretError translates an error of pgx or the server into an mlw.Error,
// so that no caller sees a driver error. thing names what the statement was
// about ("run r-1") for the messages: no row becomes ENOTFOUND "thing not
// found", a unique violation ECONFLICT "thing already exists", a foreign key
// violation ENOTFOUND, a server that cannot be reached EUNAVAILABLE. Context
// errors stay matchable with errors.Is; anything else becomes a plain error
// (EINTERNAL) that carries the driver's text but not its type.
func (db *DB) interpretError(err error, thing string) error {
	if err == nil {
		return nil
	}
	var me *mlw.Error
	if errors.As(err, &me) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return mlw.Errorf(mlw.ENOTFOUND, "%s not found", thing)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", thing, context.Canceled)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return db.connectError(ce)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", thing, context.DeadlineExceeded)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return mlw.Errorf(mlw.ECONFLICT, "%s already exists", thing)
		case pe.Code == "23503": // foreign_key_violation
			return mlw.Errorf(mlw.ENOTFOUND, "%s refers to a record that does not exist", thing)
		case pe.Code == "40001" || pe.Code == "40P01": // serialization_failure, deadlock_detected
			return mlw.Errorf(mlw.ECONFLICT, "%s: changed concurrently, try again", thing)
		case strings.HasPrefix(pe.Code, "08"), // connection exceptions
			pe.Code == "53300",                                         // too_many_connections
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutting down, cannot connect now
			pe.Code == "55P03": // lock_not_available
			return db.unavailable(pe)
		}
		return fmt.Errorf("%s: %v", thing, err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) {
		return db.unavailable(err)
	}
	return fmt.Errorf("%s: %v", thing, err)
}

// connectError translates a failure to connect. A server that answered with
// an error refused the connection: bad credentials give EFORBIDDEN, a bad
// setting or database name EINVALID, a server starting, stopping or full
// EUNAVAILABLE. A server that did not answer, within the connect timeout or at
// all, is EUNAVAILABLE.
func (db *DB) connectError(ce *pgconn.ConnectError) error {
	var pe *pgconn.PgError
	if errors.As(ce, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "28"): // invalid_authorization_specification, invalid_password
			return mlw.Errorf(mlw.EFORBIDDEN, "store %s: access denied: %s", db.display, pe.Message)
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"), strings.HasPrefix(pe.Code, "57"):
			return db.unavailable(pe)
		default:
			return mlw.Errorf(mlw.EINVALID, "store %s: the server refused the connection: %s", db.display, pe.Message)
		}
	}
	return db.unavailable(ce.Unwrap())
}

// unavailable is the EUNAVAILABLE error of a server that cannot be reached.
func (db *DB) unavailable(cause error) error {
	return mlw.Errorf(mlw.EUNAVAILABLE, "store %s: cannot connect: %v", db.display, cause)
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

// ts encodes a normalised time; the zero time becomes NULL.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromTS decodes what ts stored.
func fromTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// text encodes a JSON field as text, byte for byte; an empty one becomes NULL.
func text(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// fromText decodes what text stored.
func fromText(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

// nullIfZero stores a zero ID or an empty string as NULL.
func nullIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// exists reports whether query returns a row.
func (db *DB) exists(ctx context.Context, q querier, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, db.interpretError(err, "check existence")
	}
	return true, nil
}
