-- 0002_studies: the tables of tune.Storage, version 2: tuning studies, their
-- trials and the trials' intermediate values, so that a study survives its
-- process and several processes can share one.
--
-- Times are INTEGER unix microseconds (UTC); NULL stands for the zero time.
-- JSON fields (attrs, params) are TEXT; NULL stands for nil. Objective values
-- are REAL, which holds ±Inf; NULL stands for NaN, which SQLite cannot store.
-- The PostgreSQL migration of the same number creates the same tables.

CREATE TABLE studies (
	name       TEXT    NOT NULL PRIMARY KEY,
	direction  TEXT    NOT NULL,
	attrs      TEXT,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE trials (
	study        TEXT    NOT NULL REFERENCES studies (name),
	number       INTEGER NOT NULL,
	state        TEXT    NOT NULL,
	params       TEXT,
	value        REAL,
	error        TEXT    NOT NULL,
	worker       TEXT    NOT NULL,
	attempts     INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	started_at   INTEGER,
	heartbeat_at INTEGER,
	finished_at  INTEGER,
	PRIMARY KEY (study, number)
) STRICT, WITHOUT ROWID;
-- Claiming takes the lowest-numbered waiting trial; requeueing scans the
-- running ones.
CREATE INDEX trials_claim ON trials (study, state, number);

CREATE TABLE trial_values (
	study  TEXT    NOT NULL,
	number INTEGER NOT NULL,
	step   INTEGER NOT NULL,
	value  REAL,
	PRIMARY KEY (study, number, step),
	FOREIGN KEY (study, number) REFERENCES trials (study, number)
) STRICT, WITHOUT ROWID;
