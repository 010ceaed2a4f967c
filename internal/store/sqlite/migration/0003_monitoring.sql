-- 0003_monitoring: the tables of model monitoring, version 3: the serving
-- prediction log, the ground-truth labels (feedback) joined to it, and the
-- alert events of endpoints.
--
-- Times are INTEGER unix microseconds (UTC). JSON fields (inputs, proba) are
-- TEXT, stored byte for byte; NULL stands for nil. Latencies are INTEGER
-- nanoseconds (a time.Duration, kept exactly). Scores and alert values are
-- REAL, which holds ±Inf; NULL stands for NaN, which SQLite cannot store.
-- The PostgreSQL migration of the same number creates the same tables.

-- AUTOINCREMENT never reuses an id, even after retention deleted every
-- record: readers that page with "id > last seen" never miss a record.
CREATE TABLE predictions (
	id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	request_id TEXT    NOT NULL,
	row_index  INTEGER NOT NULL,
	endpoint   TEXT    NOT NULL,
	model      TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	variant    TEXT    NOT NULL,
	shadow     INTEGER NOT NULL, -- 0 or 1
	at         INTEGER NOT NULL,
	latency_ns INTEGER NOT NULL,
	error      TEXT    NOT NULL,
	inputs     TEXT,
	output     TEXT    NOT NULL,
	score      REAL,
	proba      TEXT
) STRICT;
-- Time windows of an endpoint; the feedback join; retention.
CREATE INDEX predictions_endpoint_at ON predictions (endpoint, at);
CREATE INDEX predictions_request ON predictions (endpoint, request_id, row_index);
CREATE INDEX predictions_at ON predictions (at);

-- Feedback may arrive before its prediction is logged, so it refers to no
-- prediction row.
CREATE TABLE feedback (
	endpoint   TEXT    NOT NULL,
	request_id TEXT    NOT NULL,
	row_index  INTEGER NOT NULL,
	label      TEXT    NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (endpoint, request_id, row_index)
) STRICT, WITHOUT ROWID;

CREATE TABLE alert_events (
	id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	endpoint TEXT    NOT NULL,
	rule     TEXT    NOT NULL,
	state    TEXT    NOT NULL,
	value    REAL,
	message  TEXT    NOT NULL,
	at       INTEGER NOT NULL
) STRICT;
CREATE INDEX alert_events_endpoint_at ON alert_events (endpoint, at);
