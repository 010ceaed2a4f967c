package sqlite

import (
	"context"
	"database/sql"

	"mlw.dev/internal/store"
)

// AcquireLease takes, renews or reports the lease p.Name in one write
// transaction: the upsert replaces the row only when it is p.Holder's or
// expired, and the row read back says who holds it.
func (db *DB) AcquireLease(ctx context.Context, p *store.AcquireLeaseParams) (*store.Lease, error) {
	if err := store.ValidateLease(p); err != nil {
		return nil, err
	}
	at := db.stamp(p.At)
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		p.Name, p.Holder, micros(norm(at.Add(p.TTL))), micros(at)); err != nil {
		return nil, db.interpretError(err, "lease "+p.Name)
	}
	l := &store.Lease{Name: p.Name}
	var exp sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT holder, expires_at FROM leases WHERE name = ?`, p.Name).Scan(&l.Holder, &exp); err != nil {
		return nil, db.interpretError(err, "lease "+p.Name)
	}
	l.Expires = fromMicros(exp)
	return l, db.commit(tx, nil, nil)
}

// ReleaseLease deletes the lease p.Name when p.Holder holds it.
func (db *DB) ReleaseLease(ctx context.Context, p *store.ReleaseLeaseParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, p.Name, p.Holder); err != nil {
		return db.interpretError(err, "lease "+p.Name)
	}
	return db.commit(tx, nil, nil)
}
