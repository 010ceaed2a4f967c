-- 0004_leases: leases, by which processes sharing a store take turns at a
-- job (the retraining of an endpoint by one of several mlw serve replicas).
-- A lease is held by holder until expires_at (INTEGER unix microseconds,
-- UTC); an expired lease may be taken by anyone.
-- The PostgreSQL migration of the same number creates the same table.
CREATE TABLE leases (
	name       TEXT    NOT NULL PRIMARY KEY,
	holder     TEXT    NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
