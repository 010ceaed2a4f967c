-- 0003_monitoring: the tables of model monitoring, version 3: the serving
-- prediction log, the ground-truth labels (feedback) joined to it, and the
-- alert events of endpoints.
--
-- Times are INTEGER unix microseconds (UTC). Alert values are REAL, which
-- holds ±Inf; NULL stands for NaN, which SQLite cannot store.
-- The PostgreSQL migration of the same number creates the same tables.

-- The prediction log is stored in batches: a row holds the records of one
-- endpoint that one LogPredictions call logged, encoded together in data
-- (internal/store/predbatch.go: every field, JSON byte for byte, scores bit
-- for bit), with the earliest and latest of their times and their number.
-- A record's ID is id << 20 | its index in the batch. AUTOINCREMENT never
-- reuses an id, even after retention deleted every batch: readers that page
-- with "ID > last seen" never miss a record. data is the last column, so
-- that selecting batches reads none of it.
CREATE TABLE prediction_batches (
	id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	endpoint TEXT    NOT NULL,
	first_at INTEGER NOT NULL,
	last_at  INTEGER NOT NULL,
	records  INTEGER NOT NULL,
	data     BLOB    NOT NULL
) STRICT;
-- The batches of an endpoint's time window; retention.
CREATE INDEX prediction_batches_endpoint_last_at ON prediction_batches (endpoint, last_at, first_at);
CREATE INDEX prediction_batches_last_at ON prediction_batches (last_at);

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
-- Retention.
CREATE INDEX feedback_at ON feedback (at);

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
