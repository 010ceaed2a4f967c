package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// appendAudit seals a copy of ev after the newest stored event and inserts it
// in tx, returning the sealed copy (nil for a nil ev). A zero Time is set to
// the current time. The write transaction's lock (BEGIN IMMEDIATE) serialises
// appends, so the newest event read here is still the newest at commit.
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, ev *mlw.AuditEvent) (*mlw.AuditEvent, error) {
	if ev == nil {
		return nil, nil
	}
	e := *ev
	e.Time = db.stamp(e.Time)
	var (
		last mlw.AuditEvent
		prev *mlw.AuditEvent
	)
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&last.Seq, &last.Hash)
	switch {
	case err == nil:
		prev = &last
	case !errors.Is(err, sql.ErrNoRows):
		return nil, db.interpretError(err, "read the newest audit event")
	}
	e.Seal(prev)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (seq, at, actor, action, target, reason, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, micros(e.Time), e.Actor, e.Action, e.Target, e.Reason, text(e.Details),
		e.PrevHash, e.Hash); err != nil {
		return nil, db.interpretError(err, "audit event")
	}
	return &e, nil
}

// AppendAudit seals and appends one audit event on its own and returns it.
func (db *DB) AppendAudit(ctx context.Context, p *store.AppendAuditParams) (*mlw.AuditEvent, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	e, err := db.appendAudit(ctx, tx, &p.Event)
	if err != nil {
		return nil, err
	}
	if err := db.commit(tx, nil, nil); err != nil {
		return nil, err
	}
	return e, nil
}

// ListAudit returns events with Seq > AfterSeq ordered by Seq, at most Limit
// (0 = all), only those of Target and those whose Action starts with
// ActionPrefix (case-sensitively) when set.
func (db *DB) ListAudit(ctx context.Context, p *store.ListAuditParams) ([]*mlw.AuditEvent, error) {
	q := `SELECT seq, at, actor, action, target, reason, details, prev_hash, hash FROM audit_events WHERE seq > ?`
	args := []any{p.AfterSeq}
	if p.Target != "" {
		q += ` AND target = ?`
		args = append(args, p.Target)
	}
	if p.ActionPrefix != "" {
		q += ` AND substr(action, 1, length(?)) = ?`
		args = append(args, p.ActionPrefix, p.ActionPrefix)
	}
	q += ` ORDER BY seq`
	if p.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, p.Limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.interpretError(err, "list audit events")
	}
	defer rows.Close()
	out := []*mlw.AuditEvent{}
	for rows.Next() {
		var (
			e       mlw.AuditEvent
			at      sql.NullInt64
			details sql.NullString
		)
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &e.Reason, &details, &e.PrevHash, &e.Hash); err != nil {
			return nil, db.interpretError(err, "list audit events")
		}
		e.Time, e.Details = fromMicros(at), fromText(details)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list audit events")
	}
	return out, nil
}
