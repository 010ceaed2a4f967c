package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
	"mlw.dev/internal/store/postgres"
	"mlw.dev/internal/store/storetest"
)

// testURL returns MLW_TEST_POSTGRES_URL, or skips the test when it is unset.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("MLW_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("MLW_TEST_POSTGRES_URL is not set: skipping the PostgreSQL store tests " +
			"(set it to e.g. postgres://user@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

// freshSchema returns the name of a schema that does not exist yet and drops
// it, with everything in it, in t.Cleanup (after the stores using it close).
func freshSchema(t testing.TB) string {
	t.Helper()
	name := "mlwtest_" + strings.ToLower(rand.Text())
	base := testURL(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`)
		require.NoError(t, err)
	})
	return name
}

// openTestDB opens a store in a fresh schema and closes it, then drops the
// schema, in t.Cleanup.
func openTestDB(t testing.TB) *postgres.DB {
	t.Helper()
	return openIn(t, freshSchema(t))
}

// openIn opens the store in schema and closes it in t.Cleanup.
func openIn(t testing.TB, schema string) *postgres.DB {
	t.Helper()
	db, err := postgres.OpenConfig(context.Background(), postgres.Config{URL: testURL(t), Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

func TestStore(t *testing.T) {
	t.Parallel()
	testURL(t)
	storetest.Exercise(t.Context(), t, func(t *testing.T) store.Store { return openTestDB(t) })
}

// TestSharedDatabase runs the concurrency workload over several stores on one
// schema, opened at the same time, as several processes would.
func TestSharedDatabase(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	stores := make([]store.Store, 3)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			db, err := postgres.OpenConfig(t.Context(), postgres.Config{URL: testURL(t), Schema: schema, MaxConns: 2})
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
	schema := freshSchema(t)
	db, err := postgres.OpenConfig(t.Context(), postgres.Config{URL: testURL(t), Schema: schema})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	bumpSchemaVersion(t, schema)

	_, err = postgres.OpenConfig(t.Context(), postgres.Config{URL: testURL(t), Schema: schema})
	require.Error(t, err)
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	require.Equal(t, fmt.Sprintf("store schema version %d is newer than this mlw (knows up to %d): upgrade mlw",
		store.SchemaVersion+1, store.SchemaVersion), err.Error())
}

// bumpSchemaVersion records a migration newer than this binary knows, as a
// newer mlw would have.
func bumpSchemaVersion(t testing.TB, schema string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), testURL(t))
	require.NoError(t, err)
	defer conn.Close(t.Context())
	_, err = conn.Exec(t.Context(), `INSERT INTO `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+
		` (version, applied_at) VALUES ($1, now())`, store.SchemaVersion+1)
	require.NoError(t, err)
}

// TestSchemaFromURL selects the schema with the URL's schema parameter, as
// MLW_STORE=postgres://...?schema=NAME does.
func TestSchemaFromURL(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	u, err := url.Parse(testURL(t))
	require.NoError(t, err)
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()

	db, err := postgres.Open(t.Context(), u.String())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	_, err = db.CreateRun(t.Context(), &store.CreateRunParams{Run: mlw.Run{ID: "r-1", Kind: "train"}})
	require.NoError(t, err)

	conn, err := pgx.Connect(t.Context(), testURL(t))
	require.NoError(t, err)
	defer conn.Close(t.Context())
	var n int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM `+pgx.Identifier{schema, "runs"}.Sanitize()).Scan(&n))
	require.Equal(t, 1, n, "the run is stored in the schema of the URL")

	// A second store on the same schema sees it and does not migrate again.
	again := openIn(t, schema)
	_, err = again.GetRun(t.Context(), "r-1")
	require.NoError(t, err)
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&n))
	require.Equal(t, store.SchemaVersion, n)
}

// TestUnreachable needs no server: nothing listens on port 1.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  postgres.Config
	}{
		{"URLTimeout", postgres.Config{URL: "postgres://root:s3cret@127.0.0.1:1/test?sslmode=disable&connect_timeout=1"}},
		{"ConfigTimeout", postgres.Config{URL: "postgres://root:s3cret@127.0.0.1:1/test?sslmode=disable", ConnectTimeout: 500 * time.Millisecond}},
		{"KeywordValue", postgres.Config{URL: "host=127.0.0.1 port=1 user=root password=s3cret dbname=test sslmode=disable connect_timeout=1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			db, err := postgres.OpenConfig(t.Context(), tt.cfg)
			require.Error(t, err)
			require.Nil(t, db)
			t.Logf("error after %s: %v", time.Since(start).Round(time.Millisecond), err)
			require.Less(t, time.Since(start), 5*time.Second)
			require.Equal(t, mlw.EUNAVAILABLE, mlw.ErrorCode(err), "error: %v", err)
			require.Contains(t, err.Error(), ": cannot connect: ")
			require.NotContains(t, err.Error(), "s3cret")
			require.True(t, strings.HasPrefix(err.Error(), "store postgres://root@127.0.0.1:1/test: cannot connect: "), "error: %v", err)
		})
	}
}

// TestSilentServer connects to a listener that accepts connections and never
// answers, as a hung server would: the connect timeout ends the wait.
func TestSilentServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		require.NoError(t, ln.Close())
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})

	start := time.Now()
	_, err = postgres.OpenConfig(t.Context(), postgres.Config{
		URL:            "postgres://root@" + ln.Addr().String() + "/test?sslmode=disable",
		ConnectTimeout: 300 * time.Millisecond,
	})
	t.Logf("error after %s: %v", time.Since(start).Round(time.Millisecond), err)
	require.Error(t, err)
	require.Equal(t, mlw.EUNAVAILABLE, mlw.ErrorCode(err), "error: %v", err)
	require.Less(t, time.Since(start), 5*time.Second)
}

// TestRefused connects to the real server with settings it refuses.
func TestRefused(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testURL(t))
	require.NoError(t, err)
	for _, tt := range []struct {
		name  string
		param string
		value string
		code  string
	}{
		{"UnknownDatabase", "dbname", "mlw_no_such_database", mlw.EINVALID},
		{"BadSetting", "default_transaction_isolation", "sometimes", mlw.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := *u
			q := u.Query()
			q.Set(tt.param, tt.value)
			u.RawQuery = q.Encode()
			_, err := postgres.Open(t.Context(), u.String())
			require.Error(t, err)
			t.Logf("error: %v", err)
			require.Equal(t, tt.code, mlw.ErrorCode(err), "error: %v", err)
		})
	}
}

func TestInvalidConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  postgres.Config
	}{
		{"Empty", postgres.Config{}},
		{"BadPort", postgres.Config{URL: "postgres://root:s3cret@127.0.0.1:notaport/test"}},
		{"BadSSLMode", postgres.Config{URL: "postgres://root:s3cret@127.0.0.1/test?sslmode=sometimes"}},
		{"NegativeTimeout", postgres.Config{URL: "postgres://root:s3cret@127.0.0.1/test", ConnectTimeout: -time.Second}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := postgres.OpenConfig(t.Context(), tt.cfg)
			require.Error(t, err)
			t.Logf("error: %v", err)
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err), "error: %v", err)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	db, err := postgres.OpenConfig(t.Context(), postgres.Config{URL: testURL(t), Schema: schema})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NoError(t, db.Close())
	_, err = db.GetRun(t.Context(), "r-1")
	require.Error(t, err, "a closed store refuses work")
}

// TestNow shows that times left zero come from Config.Now, normalised.
func TestNow(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", -7200))
	db, err := postgres.OpenConfig(t.Context(), postgres.Config{
		URL: testURL(t), Schema: freshSchema(t),
		Now: func() time.Time { return now },
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

// TestRepeatableReadServerDefault runs the concurrency workload on a role
// whose transactions default to REPEATABLE READ: the store must still ask
// for READ COMMITTED, or audit appends would read a stale newest event.
func TestRepeatableReadServerDefault(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testURL(t))
	require.NoError(t, err)
	q := u.Query()
	q.Set("default_transaction_isolation", "repeatable read")
	q.Set("schema", freshSchema(t))
	u.RawQuery = q.Encode()
	db, err := postgres.Open(t.Context(), u.String())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	storetest.ExerciseSharedDatabase(t.Context(), t, db)
}

func BenchmarkStore(b *testing.B) {
	testURL(b)
	storetest.Benchmark(b.Context(), b, func(b *testing.B) store.Store { return openTestDB(b) })
}
