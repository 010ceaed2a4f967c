package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

const deploymentColumns = `id, endpoint, revision, strategy, state, spec, reason, created_at, created_by`

func scanDeployment(s pgx.Row) (*mlw.Deployment, error) {
	var (
		d       mlw.Deployment
		spec    *string
		created *time.Time
	)
	if err := s.Scan(&d.ID, &d.Endpoint, &d.Revision, &d.Strategy, &d.State, &spec, &d.Reason, &created, &d.CreatedBy); err != nil {
		return nil, err
	}
	d.Spec, d.CreatedAt = fromText(spec), fromTS(created)
	return &d, nil
}

// CreateDeployment stores the next revision of an endpoint's deployment. When
// ExpectRevision is set and the latest revision differs (0: the endpoint
// exists), it returns ECONFLICT and changes nothing.
func (db *DB) CreateDeployment(ctx context.Context, p *store.CreateDeploymentParams) (*mlw.Deployment, error) {
	d := p.Deployment
	if d.Endpoint == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "deployment endpoint is empty")
	}
	d.CreatedAt = db.stamp(d.CreatedAt)

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)

	// The upsert locks the endpoint's row until commit: concurrent writers
	// take turns, and the second sees the first's revision.
	if err := tx.QueryRow(ctx, `INSERT INTO endpoints (name, latest_revision, created_at) VALUES ($1, 1, $2)
		ON CONFLICT (name) DO UPDATE SET latest_revision = endpoints.latest_revision + 1
		RETURNING latest_revision`, d.Endpoint, ts(d.CreatedAt)).Scan(&d.Revision); err != nil {
		return nil, db.interpretError(err, "deployment "+d.Endpoint)
	}
	if err := checkRevision(d.Endpoint, d.Revision-1, p.ExpectRevision); err != nil {
		return nil, err
	}
	if err := tx.QueryRow(ctx, `INSERT INTO deployments (endpoint, revision, strategy, state, spec, reason,
		created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		d.Endpoint, d.Revision, d.Strategy, d.State, text(d.Spec), d.Reason, ts(d.CreatedAt), d.CreatedBy).Scan(&d.ID); err != nil {
		return nil, db.interpretError(err, fmt.Sprintf("deployment %s revision %d", d.Endpoint, d.Revision))
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(ctx, tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &d, nil
}

// checkRevision returns ECONFLICT if expect is set and differs from latest,
// the endpoint's latest revision before this change (0 when it had none).
func checkRevision(endpoint string, latest int, expect *int) error {
	switch {
	case expect == nil || *expect == latest:
		return nil
	case *expect == 0:
		return mlw.Errorf(mlw.ECONFLICT, "deployment %s already exists (at revision %d)", endpoint, latest)
	case latest == 0:
		return mlw.Errorf(mlw.ECONFLICT, "deployment %s does not exist yet, expected it at revision %d", endpoint, *expect)
	default:
		return mlw.Errorf(mlw.ECONFLICT, "deployment %s is at revision %d, expected %d (changed concurrently)", endpoint, latest, *expect)
	}
}

// GetDeployment returns a revision of an endpoint (0 = latest), or ENOTFOUND.
func (db *DB) GetDeployment(ctx context.Context, p *store.GetDeploymentParams) (*mlw.Deployment, error) {
	var (
		row   pgx.Row
		thing string
	)
	if p.Revision == 0 {
		row = db.pool.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE endpoint = $1
			ORDER BY revision DESC LIMIT 1`, p.Endpoint)
		thing = "deployment " + p.Endpoint
	} else {
		row = db.pool.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE endpoint = $1 AND revision = $2`,
			p.Endpoint, p.Revision)
		thing = fmt.Sprintf("deployment %s revision %d", p.Endpoint, p.Revision)
	}
	d, err := scanDeployment(row)
	if err != nil {
		return nil, db.interpretError(err, thing)
	}
	return d, nil
}

// ListDeployments returns the latest revision of every endpoint ordered by
// endpoint, or every revision of one endpoint ordered by revision when
// Endpoint is set.
func (db *DB) ListDeployments(ctx context.Context, p *store.ListDeploymentsParams) ([]*mlw.Deployment, error) {
	var (
		rows pgx.Rows
		err  error
	)
	if p.Endpoint == "" {
		rows, err = db.pool.Query(ctx, `SELECT `+deploymentColumns+` FROM deployments
			WHERE (endpoint, revision) IN (SELECT name, latest_revision FROM endpoints) ORDER BY endpoint`)
	} else {
		rows, err = db.pool.Query(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE endpoint = $1
			ORDER BY revision`, p.Endpoint)
	}
	if err != nil {
		return nil, db.interpretError(err, "list deployments")
	}
	return collect(db, rows, "list deployments", scanDeployment)
}
