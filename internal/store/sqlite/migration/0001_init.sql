-- 0001_init: every table of store.Store, version 1.
--
-- Times are INTEGER unix microseconds (UTC); NULL stands for the zero time.
-- JSON fields are TEXT, stored byte for byte; NULL stands for an empty value.
-- The PostgreSQL migration of the same number creates the same tables.

CREATE TABLE datasets (
	name           TEXT    NOT NULL PRIMARY KEY,
	latest_version INTEGER NOT NULL,
	created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE dataset_versions (
	id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	dataset      TEXT    NOT NULL REFERENCES datasets (name),
	version      INTEGER NOT NULL,
	hash         TEXT    NOT NULL,
	artifact_key TEXT    NOT NULL,
	format       TEXT    NOT NULL,
	source_path  TEXT    NOT NULL,
	row_count    INTEGER NOT NULL,
	schema_json  TEXT,
	roles        TEXT    NOT NULL,
	parent_id    INTEGER REFERENCES dataset_versions (id),
	recipe       TEXT,
	reason       TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	created_by   TEXT    NOT NULL,
	UNIQUE (dataset, version),
	UNIQUE (dataset, hash)
) STRICT;
CREATE INDEX dataset_versions_parent ON dataset_versions (parent_id);

CREATE TABLE splits (
	id                 TEXT    NOT NULL PRIMARY KEY,
	dataset_version_id INTEGER NOT NULL REFERENCES dataset_versions (id),
	strategy           TEXT    NOT NULL,
	seed               INTEGER NOT NULL,
	params             TEXT,
	train_rows         INTEGER NOT NULL,
	validation_rows    INTEGER NOT NULL,
	test_rows          INTEGER NOT NULL,
	membership_key     TEXT    NOT NULL,
	leakage            TEXT,
	created_at         INTEGER NOT NULL,
	created_by         TEXT    NOT NULL
) STRICT;
CREATE INDEX splits_dataset_version ON splits (dataset_version_id, created_at);

CREATE TABLE runs (
	id                 TEXT    NOT NULL PRIMARY KEY,
	parent_id          TEXT    REFERENCES runs (id),
	kind               TEXT    NOT NULL,
	name               TEXT    NOT NULL,
	model              TEXT    NOT NULL,
	status             TEXT    NOT NULL,
	dataset_version_id INTEGER NOT NULL,
	split_id           TEXT    NOT NULL,
	git_commit         TEXT    NOT NULL,
	error_message      TEXT    NOT NULL,
	created_by         TEXT    NOT NULL,
	started_at         INTEGER NOT NULL,
	ended_at           INTEGER,
	deleted_at         INTEGER
) STRICT;
CREATE INDEX runs_started ON runs (started_at, id);
CREATE INDEX runs_parent ON runs (parent_id);

CREATE TABLE run_params (
	run_id TEXT NOT NULL REFERENCES runs (id),
	key    TEXT NOT NULL,
	value  TEXT NOT NULL,
	PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE run_tags (
	run_id TEXT NOT NULL REFERENCES runs (id),
	key    TEXT NOT NULL,
	value  TEXT NOT NULL,
	PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

-- value is NULL for NaN, which SQLite cannot store as a REAL.
CREATE TABLE run_metrics (
	id     INTEGER NOT NULL PRIMARY KEY,
	run_id TEXT    NOT NULL REFERENCES runs (id),
	key    TEXT    NOT NULL,
	value  REAL,
	step   INTEGER NOT NULL,
	at     INTEGER NOT NULL
) STRICT;
CREATE INDEX run_metrics_run_key ON run_metrics (run_id, key, step, at);

CREATE TABLE run_artifacts (
	run_id TEXT    NOT NULL REFERENCES runs (id),
	name   TEXT    NOT NULL,
	key    TEXT    NOT NULL,
	size   INTEGER NOT NULL,
	PRIMARY KEY (run_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE models (
	name           TEXT    NOT NULL PRIMARY KEY,
	latest_version INTEGER NOT NULL,
	created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE model_versions (
	id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	name         TEXT    NOT NULL REFERENCES models (name),
	version      INTEGER NOT NULL,
	run_id       TEXT    NOT NULL REFERENCES runs (id),
	artifact_key TEXT    NOT NULL,
	status       TEXT    NOT NULL,
	description  TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	created_by   TEXT    NOT NULL,
	UNIQUE (name, version)
) STRICT;
CREATE INDEX model_versions_run ON model_versions (run_id);

CREATE TABLE aliases (
	model   TEXT    NOT NULL,
	alias   TEXT    NOT NULL,
	version INTEGER NOT NULL,
	set_at  INTEGER NOT NULL,
	set_by  TEXT    NOT NULL,
	reason  TEXT    NOT NULL,
	PRIMARY KEY (model, alias),
	FOREIGN KEY (model, version) REFERENCES model_versions (name, version)
) STRICT;

CREATE TABLE alias_spans (
	id         INTEGER NOT NULL PRIMARY KEY,
	model      TEXT    NOT NULL,
	alias      TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	from_at    INTEGER NOT NULL,
	to_at      INTEGER,
	set_by     TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	ended_by   TEXT    NOT NULL,
	end_reason TEXT    NOT NULL,
	FOREIGN KEY (model, version) REFERENCES model_versions (name, version)
) STRICT;
CREATE INDEX alias_spans_model ON alias_spans (model, alias, to_at);

CREATE TABLE endpoints (
	name            TEXT    NOT NULL PRIMARY KEY,
	latest_revision INTEGER NOT NULL,
	created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE deployments (
	id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	endpoint   TEXT    NOT NULL REFERENCES endpoints (name),
	revision   INTEGER NOT NULL,
	strategy   TEXT    NOT NULL,
	state      TEXT    NOT NULL,
	spec       TEXT,
	reason     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	created_by TEXT    NOT NULL,
	UNIQUE (endpoint, revision)
) STRICT;

CREATE TABLE audit_events (
	seq       INTEGER NOT NULL PRIMARY KEY,
	at        INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	target    TEXT    NOT NULL,
	reason    TEXT    NOT NULL,
	details   TEXT,
	prev_hash TEXT    NOT NULL,
	hash      TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_events_target ON audit_events (target, seq);
