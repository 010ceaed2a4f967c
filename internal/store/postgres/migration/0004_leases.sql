-- 0004_leases: leases, by which processes sharing a store take turns at a
-- job (the retraining of an endpoint by one of several mlw serve replicas).
-- A lease is held by holder until expires_at; an expired lease may be taken
-- by anyone.
-- The SQLite migration of the same number creates the same table.
CREATE TABLE leases (
	name       text        PRIMARY KEY,
	holder     text        NOT NULL,
	expires_at timestamptz NOT NULL
);
