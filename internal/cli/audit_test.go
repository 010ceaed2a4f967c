package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/audit"
	"mlw.dev/internal/store"
)

// auditProject makes a project with 5 audit events.
func auditProject(t *testing.T) string {
	t.Helper()
	dir := initProject(t)
	ctx := context.Background()
	s, err := openStore(ctx, filepath.Join(dir, ".mlw", "store.db"))
	require.NoError(t, err)
	defer s.Close()
	for i := range 4 {
		ev := audit.New(testNow(), "alice", "test.event", fmt.Sprintf("thing@%d", i), "because", map[string]int{"i": i})
		_, err := s.AppendAudit(ctx, &store.AppendAuditParams{Event: *ev})
		require.NoError(t, err)
	}
	return dir
}

func tamper(t *testing.T, dir, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, ".mlw", "store.db"))
	require.NoError(t, err)
	defer db.Close()
	res, err := db.Exec(stmt)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}

func TestAuditVerifyCatchesOneAlteredByte(t *testing.T) {
	t.Parallel()
	dir := auditProject(t)
	r := run(t, dir, nil, "audit", "verify")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "audit trail OK: 5 events")

	// One byte of one stored event: "because" -> "becausf".
	tamper(t, dir, `UPDATE audit_events SET reason = 'becausf' WHERE seq = 3`)
	r = run(t, dir, nil, "audit", "verify")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stdout, "BROKEN at event 3")
	require.Contains(t, r.stdout, "was altered")

	r = run(t, dir, nil, "audit", "verify", "--json")
	require.Equal(t, ExitError, r.code)
	var rep struct {
		OK       bool
		FirstBad struct{ Seq int64 } `json:"first_bad"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	require.False(t, rep.OK)
	require.EqualValues(t, 3, rep.FirstBad.Seq)
}

func TestAuditVerifyCatchesRemovedEvents(t *testing.T) {
	t.Parallel()
	dir := auditProject(t)
	r := run(t, dir, nil, "audit", "verify", "--json")
	require.Equal(t, 0, r.code)
	var rep struct{ Head string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))

	tamper(t, dir, `DELETE FROM audit_events WHERE seq = 2`)
	r = run(t, dir, nil, "audit", "verify")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stdout, "event 3")
	require.Contains(t, r.stdout, "removed")

	dir2 := auditProject(t)
	r = run(t, dir2, nil, "audit", "verify", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	tamper(t, dir2, `DELETE FROM audit_events WHERE seq = 5`)
	r = run(t, dir2, nil, "audit", "verify")
	require.Equal(t, 0, r.code, "a removed tail is invisible without the head")
	r = run(t, dir2, nil, "audit", "verify", "--head", rep.Head)
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.stdout, "not the expected head")
}

func TestAuditList(t *testing.T) {
	t.Parallel()
	dir := auditProject(t)
	r := run(t, dir, nil, "audit")
	require.Equal(t, 0, r.code)
	require.Equal(t, 6, strings.Count(r.stdout, "\n"), r.stdout)
	require.Contains(t, r.stdout, "project.init")
	r = run(t, dir, nil, "audit", "--target", "thing@2", "--json")
	require.Equal(t, 0, r.code)
	var evs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &evs))
	require.Len(t, evs, 1)
	r = run(t, dir, nil, "audit", "--action", "test.", "--limit", "2", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &evs))
	require.Len(t, evs, 2)
	require.EqualValues(t, 5, evs[1]["seq"])
}
