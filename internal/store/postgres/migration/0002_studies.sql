-- 0002_studies: the tables of tune.Storage, version 2: tuning studies, their
-- trials and the trials' intermediate values, so that a study survives its
-- process and several processes can share one.
--
-- Times are timestamptz (microsecond precision); NULL stands for the zero
-- time. JSON fields (attrs, params) are text, never jsonb; NULL stands for
-- nil. Objective values are double precision, which holds ±Inf and NaN.
-- The SQLite migration of the same number creates the same tables.

CREATE TABLE studies (
	name       text        NOT NULL PRIMARY KEY,
	direction  text        NOT NULL,
	attrs      text,
	created_at timestamptz NOT NULL
);

CREATE TABLE trials (
	study        text             NOT NULL REFERENCES studies (name),
	number       integer          NOT NULL,
	state        text             NOT NULL,
	params       text,
	value        double precision NOT NULL,
	error        text             NOT NULL,
	worker       text             NOT NULL,
	attempts     integer          NOT NULL,
	created_at   timestamptz      NOT NULL,
	started_at   timestamptz,
	heartbeat_at timestamptz,
	finished_at  timestamptz,
	PRIMARY KEY (study, number)
);
-- Claiming takes the lowest-numbered waiting trial; requeueing scans the
-- running ones.
CREATE INDEX trials_claim ON trials (study, state, number);

CREATE TABLE trial_values (
	study  text             NOT NULL,
	number integer          NOT NULL,
	step   integer          NOT NULL,
	value  double precision NOT NULL,
	PRIMARY KEY (study, number, step),
	FOREIGN KEY (study, number) REFERENCES trials (study, number)
);
