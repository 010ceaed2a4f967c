package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
	"mlw.dev/internal/store/sqlite"
	"mlw.dev/internal/store/storetest"
)

// openTestDB opens a store in a fresh file under t.TempDir and closes it in
// t.Cleanup.
func openTestDB(t testing.TB) *sqlite.DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "store.db"), 0)
}

// openAt opens the store at path with busyTimeout (0 = default) and closes it
// in t.Cleanup.
func openAt(t testing.TB, path string, busyTimeout time.Duration) *sqlite.DB {
	t.Helper()
	db, err := sqlite.OpenConfig(context.Background(), sqlite.Config{Path: path, BusyTimeout: busyTimeout})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

// rawDB opens path with the bare driver, as another program would, and closes
// it in t.Cleanup.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, raw.Close()) })
	return raw
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t.Context(), t, func(t *testing.T) store.Store { return openTestDB(t) })
}

// TestSharedDatabase runs the concurrency workload over several handles on
// one file, opened at the same time, as several processes would.
func TestSharedDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	stores := make([]store.Store, 3)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			db, err := sqlite.Open(t.Context(), path)
			if err == nil {
				t.Cleanup(func() { require.NoError(t, db.Close()) })
				stores[i] = db
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err, "concurrent opens of a new store must all succeed")
	}
	storetest.ExerciseSharedDatabase(t.Context(), t, stores...)
}

func TestOpenNewerSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	bumpSchemaVersion(t, path)

	_, err = sqlite.Open(t.Context(), path)
	require.Error(t, err)
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	require.Equal(t, fmt.Sprintf("store schema version %d is newer than this mlw (knows up to %d): upgrade mlw",
		store.SchemaVersion+1, store.SchemaVersion), err.Error())
}

// bumpSchemaVersion records a migration newer than this binary knows, as a
// newer mlw would have.
func bumpSchemaVersion(t testing.TB, path string) {
	t.Helper()
	_, err := rawDB(t, path).ExecContext(t.Context(), `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, store.SchemaVersion+1)
	require.NoError(t, err)
}

// TestLocked holds the write lock from another connection: a write fails with
// EUNAVAILABLE after the busy timeout instead of hanging, while opening the
// store and reading from it still work.
func TestLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	openAt(t, path, 0) // create it
	conn, err := rawDB(t, path).Conn(t.Context())
	require.NoError(t, err)
	_, err = conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := conn.ExecContext(context.Background(), `ROLLBACK`)
		require.NoError(t, err)
		require.NoError(t, conn.Close())
	})

	db := openAt(t, path, 100*time.Millisecond)
	start := time.Now()
	_, err = db.CreateRun(t.Context(), &store.CreateRunParams{Run: mlw.Run{ID: "r-1", Kind: "train"}})
	require.Error(t, err)
	require.Equal(t, mlw.EUNAVAILABLE, mlw.ErrorCode(err))
	require.Equal(t, "store "+path+" is locked by another process", err.Error())
	require.Less(t, time.Since(start), 3*time.Second)

	_, err = db.ListRuns(t.Context(), &store.ListRunsParams{})
	require.NoError(t, err, "reads do not wait for a writer")
	v, err := db.SchemaVersion(t.Context())
	require.NoError(t, err)
	require.Equal(t, store.SchemaVersion, v)
}

// TestLockedDeadline shows that a write waiting for the lock gives up when its
// context ends, before the busy timeout.
func TestLockedDeadline(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	db := openAt(t, path, time.Minute)
	conn, err := rawDB(t, path).Conn(t.Context())
	require.NoError(t, err)
	_, err = conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := conn.ExecContext(context.Background(), `ROLLBACK`)
		require.NoError(t, err)
		require.NoError(t, conn.Close())
	})

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = db.AppendAudit(ctx, &store.AppendAuditParams{Event: mlw.AuditEvent{Actor: "a", Action: "b", Target: "c"}})
	require.Error(t, err)
	t.Logf("error after %s: %v", time.Since(start).Round(time.Millisecond), err)
	require.Less(t, time.Since(start), 10*time.Second)
	require.Contains(t, []string{mlw.EUNAVAILABLE, mlw.EINTERNAL}, mlw.ErrorCode(err), "error: %v", err)
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "not.db")
	require.NoError(t, os.WriteFile(notDB, []byte("this is not a SQLite database, it is a text file of some length"), 0o600))

	for _, tt := range []struct {
		name string
		path string
		code string
	}{
		{"Empty", "", mlw.EINVALID},
		{"QuestionMark", filepath.Join(dir, "a?b.db"), mlw.EINVALID},
		{"MissingDirectory", filepath.Join(dir, "missing", "store.db"), mlw.EUNAVAILABLE},
		{"NotADatabase", notDB, mlw.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := sqlite.Open(t.Context(), tt.path)
			require.Error(t, err)
			t.Logf("error: %v", err)
			require.Nil(t, db)
			require.Equal(t, tt.code, mlw.ErrorCode(err), "error: %v", err)
		})
	}
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NoError(t, db.Close())
}

// TestReopen shows that data and the schema version survive closing and
// opening the file again, and that an up-to-date store is not migrated twice.
func TestReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	_, err = db.CreateRun(t.Context(), &store.CreateRunParams{Run: mlw.Run{ID: "r-1", Kind: "train"}})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db = openAt(t, path, 0)
	_, err = db.GetRun(t.Context(), "r-1")
	require.NoError(t, err)
	var n int
	require.NoError(t, rawDB(t, path).QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n))
	require.Equal(t, store.SchemaVersion, n)
	var mode string
	require.NoError(t, rawDB(t, path).QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode))
	require.Equal(t, "wal", mode)
}

// TestNow shows that times left zero come from Config.Now, normalised.
func TestNow(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", -7200))
	db, err := sqlite.OpenConfig(t.Context(), sqlite.Config{
		Path: filepath.Join(t.TempDir(), "store.db"),
		Now:  func() time.Time { return now },
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	r, err := db.CreateRun(t.Context(), &store.CreateRunParams{Run: mlw.Run{ID: "r-1", Kind: "train"}})
	require.NoError(t, err)
	require.Equal(t, now.UTC().Truncate(time.Microsecond), r.StartedAt)
	ev, err := db.AppendAudit(t.Context(), &store.AppendAuditParams{Event: mlw.AuditEvent{Actor: "a", Action: "b", Target: "c"}})
	require.NoError(t, err)
	require.Equal(t, now.UTC().Truncate(time.Microsecond), ev.Time)
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b.Context(), b, func(b *testing.B) store.Store { return openTestDB(b) })
}
