package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/store"
)

// AcquireLease takes, renews or reports the lease p.Name in one statement:
// the upsert replaces the row only when it is p.Holder's or expired, and
// returns it; when it does not, the statement returns the row as it stands.
// A row another transaction inserted after the statement's snapshot was
// taken is invisible to the second part, which then returns nothing: the
// statement runs again, with a new snapshot.
func (db *DB) AcquireLease(ctx context.Context, p *store.AcquireLeaseParams) (*store.Lease, error) {
	if err := store.ValidateLease(p); err != nil {
		return nil, err
	}
	at := db.stamp(p.At)
	tx, err := db.begin(ctx) // READ COMMITTED: each statement a new snapshot
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	l := &store.Lease{Name: p.Name}
	for range 3 {
		err = tx.QueryRow(ctx, `WITH up AS (
				INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
				ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
				WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
				RETURNING holder, expires_at)
			SELECT holder, expires_at FROM up
			UNION ALL
			SELECT holder, expires_at FROM leases WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM up)`,
			p.Name, p.Holder, norm(at.Add(p.TTL)), at).Scan(&l.Holder, &l.Expires)
		if !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return nil, db.interpretError(err, "lease "+p.Name)
	}
	l.Expires = l.Expires.UTC()
	return l, db.commit(ctx, tx, nil, nil)
}

// ReleaseLease deletes the lease p.Name when p.Holder holds it.
func (db *DB) ReleaseLease(ctx context.Context, p *store.ReleaseLeaseParams) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if _, err := tx.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, p.Name, p.Holder); err != nil {
		return db.interpretError(err, "lease "+p.Name)
	}
	return db.commit(ctx, tx, nil, nil)
}
