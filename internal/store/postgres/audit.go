package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// appendAudit seals a copy of ev after the newest stored event and inserts it
// in tx, returning the sealed copy (nil for a nil ev). A zero Time is set to
// the current time. The advisory lock, held until tx ends, serialises appends:
// the newest event read after taking it stays the newest until commit. Taking
// it last in every transaction keeps lock order the same everywhere.
func (db *DB) appendAudit(ctx context.Context, tx pgx.Tx, ev *mlw.AuditEvent) (*mlw.AuditEvent, error) {
	if ev == nil {
		return nil, nil
	}
	e := *ev
	e.Time = db.stamp(e.Time)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, db.auditLock); err != nil {
		return nil, db.interpretError(err, "lock the audit log")
	}
	var (
		last mlw.AuditEvent
		prev *mlw.AuditEvent
	)
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&last.Seq, &last.Hash)
	switch {
	case err == nil:
		prev = &last
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, db.interpretError(err, "read the newest audit event")
	}
	e.Seal(prev)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_events (seq, at, actor, action, target, reason, details, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.Seq, ts(e.Time), e.Actor, e.Action, e.Target, e.Reason, text(e.Details),
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
	defer rollback(ctx, tx)
	e, err := db.appendAudit(ctx, tx, &p.Event)
	if err != nil {
		return nil, err
	}
	if err := db.commit(ctx, tx, nil, nil); err != nil {
		return nil, err
	}
	return e, nil
}

// ListAudit returns events with Seq > AfterSeq ordered by Seq, at most Limit
// (0 = all), only those of Target and those whose Action starts with
// ActionPrefix (case-sensitively) when set.
func (db *DB) ListAudit(ctx context.Context, p *store.ListAuditParams) ([]*mlw.AuditEvent, error) {
	var w where
	w.add("seq > ", p.AfterSeq)
	if p.Target != "" {
		w.add("target = ", p.Target)
	}
	if p.ActionPrefix != "" {
		w.conds = append(w.conds, "starts_with(action, "+w.arg(p.ActionPrefix)+")")
	}
	q := `SELECT seq, at, actor, action, target, reason, details, prev_hash, hash FROM audit_events` + w.String() + ` ORDER BY seq`
	if p.Limit > 0 {
		q += ` LIMIT ` + w.arg(p.Limit)
	}
	rows, err := db.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, db.interpretError(err, "list audit events")
	}
	return collect(db, rows, "list audit events", func(r pgx.Row) (*mlw.AuditEvent, error) {
		var (
			e       mlw.AuditEvent
			at      time.Time
			details *string
		)
		if err := r.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &e.Reason, &details, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.Time, e.Details = at.UTC(), fromText(details)
		return &e, nil
	})
}
