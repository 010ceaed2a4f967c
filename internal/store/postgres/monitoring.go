package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// predictionColumns are the columns LogPredictions copies, in the order of
// predictionRows' values.
var predictionColumns = []string{"request_id", "row_index", "endpoint", "model", "version", "variant", "shadow",
	"at", "latency_ns", "error", "inputs", "output", "score", "proba"}

// LogPredictions appends prediction records with one COPY, a single
// statement and so a single transaction: the batch is stored whole or not at
// all. A zero At is set to the current time. An empty batch is a no-op. It
// returns EINVALID, storing nothing, if a record has no endpoint.
func (db *DB) LogPredictions(ctx context.Context, p *store.LogPredictionsParams) error {
	if len(p.Predictions) == 0 {
		return nil
	}
	for i := range p.Predictions {
		if p.Predictions[i].Endpoint == "" {
			return mlw.Errorf(mlw.EINVALID, "prediction %d: endpoint is empty", i)
		}
	}
	if _, err := db.pool.CopyFrom(ctx, pgx.Identifier{"predictions"}, predictionColumns,
		&predictionRows{db: db, recs: p.Predictions, i: -1}); err != nil {
		return db.interpretError(err, "log predictions")
	}
	return nil
}

// predictionRows is the pgx.CopyFromSource of LogPredictions. It reuses one
// row of values: pgx encodes each row before asking for the next.
type predictionRows struct {
	db   *DB
	recs []mlw.Prediction
	i    int
	vals [14]any
}

// Next moves to the next record.
func (s *predictionRows) Next() bool {
	s.i++
	return s.i < len(s.recs)
}

// Values returns the columns of the current record.
func (s *predictionRows) Values() ([]any, error) {
	r := &s.recs[s.i]
	s.vals = [14]any{r.RequestID, r.Row, r.Endpoint, r.Model, r.Version, r.Variant, r.Shadow,
		s.db.stamp(r.At), int64(r.Latency), r.Error, rawText(r.Inputs), r.Output, r.Score, rawText(r.Proba)}
	return s.vals[:], nil
}

// Err returns nil: the records are in memory.
func (s *predictionRows) Err() error { return nil }

// rawText encodes a JSON field as text without copying it; an empty one
// becomes NULL.
func rawText(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return []byte(raw)
}

// ListPredictions returns the records of an endpoint ordered by ID, each
// with the label of its feedback, if any. It returns EINVALID if Endpoint is
// empty.
func (db *DB) ListPredictions(ctx context.Context, p *store.ListPredictionsParams) ([]*mlw.Prediction, error) {
	if p.Endpoint == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "list predictions: endpoint is empty")
	}
	var w where
	w.add("p.endpoint = ", p.Endpoint)
	if p.AfterID > 0 {
		w.add("p.id > ", p.AfterID)
	}
	if !p.Since.IsZero() {
		w.add("p.at >= ", norm(p.Since))
	}
	if !p.Until.IsZero() {
		w.add("p.at < ", norm(p.Until))
	}
	if p.Variant != "" {
		w.add("p.variant = ", p.Variant)
	}
	if !p.IncludeShadow {
		w.add("NOT p.shadow", nil)
	}
	// The label comes from a subquery rather than a LEFT JOIN: it is always
	// one probe of feedback's primary key per record, where a join planned
	// on stale statistics (a young table, before autovacuum analyzes it) can
	// become a nested loop over all the feedback of the endpoint: 40 times
	// slower on 1e4 records. The endpoint is not selected: every record has
	// the one asked for.
	q := `SELECT p.id, p.request_id, p.row_index, p.model, p.version, p.variant, p.shadow, p.at, p.latency_ns,
		p.error, p.inputs, p.output, p.score, p.proba,
		(SELECT f.label FROM feedback AS f
			WHERE f.endpoint = p.endpoint AND f.request_id = p.request_id AND f.row_index = p.row_index)
		FROM predictions AS p` + w.String() + ` ORDER BY p.id`
	if p.Limit > 0 {
		q += ` LIMIT ` + w.arg(p.Limit)
	}
	what := "list predictions of endpoint " + p.Endpoint
	rows, err := db.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, db.interpretError(err, what)
	}
	defer rows.Close()
	out := []*mlw.Prediction{}
	var (
		at            time.Time
		latency       int64
		inputs, proba []byte
		label         *string
	)
	for rows.Next() {
		r := new(mlw.Prediction)
		if err := rows.Scan(&r.ID, &r.RequestID, &r.Row, &r.Model, &r.Version, &r.Variant, &r.Shadow, &at, &latency,
			&r.Error, &inputs, &r.Output, &r.Score, &proba, &label); err != nil {
			return nil, db.interpretError(err, what)
		}
		r.Endpoint, r.At, r.Latency = p.Endpoint, at.UTC(), time.Duration(latency)
		r.Inputs, r.Proba = json.RawMessage(inputs), json.RawMessage(proba)
		if label != nil {
			r.Label, r.Labeled = *label, true
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, what)
	}
	return out, nil
}

// DeletePredictions removes, in one transaction, the records logged before
// Before and then the feedback older than Before of requests that have no
// record left; feedback that arrived before its prediction survives. It
// returns how many records it removed. A zero Before removes nothing.
func (db *DB) DeletePredictions(ctx context.Context, p *store.DeletePredictionsParams) (int64, error) {
	if p.Before.IsZero() {
		return 0, nil
	}
	before := norm(p.Before)
	tx, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer rollback(ctx, tx)
	tag, err := tx.Exec(ctx, `DELETE FROM predictions WHERE at < $1`, before)
	if err != nil {
		return 0, db.interpretError(err, "delete predictions")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM feedback AS f WHERE f.at < $1 AND NOT EXISTS (
		SELECT 1 FROM predictions AS p WHERE p.endpoint = f.endpoint AND p.request_id = f.request_id)`,
		before); err != nil {
		return 0, db.interpretError(err, "delete feedback")
	}
	if err := db.commit(ctx, tx, nil, nil); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// RecordFeedback inserts or replaces labels with one statement, a single
// transaction; of several items of the batch for the same row, the last
// wins. A zero At is set to the current time. It returns EINVALID, storing
// nothing, for an item with an empty endpoint, request id or label, or a
// negative row.
func (db *DB) RecordFeedback(ctx context.Context, p *store.RecordFeedbackParams) error {
	n := len(p.Feedback)
	if n == 0 {
		return nil
	}
	var (
		endpoints  = make([]string, n)
		requestIDs = make([]string, n)
		rowIndexes = make([]int64, n)
		labels     = make([]string, n)
		times      = make([]time.Time, n)
	)
	for i := range p.Feedback {
		f := &p.Feedback[i]
		if err := validateFeedback(i, f); err != nil {
			return err
		}
		endpoints[i], requestIDs[i], rowIndexes[i], labels[i], times[i] = f.Endpoint, f.RequestID, int64(f.Row), f.Label, db.stamp(f.At)
	}
	// An upsert may not touch a row twice: DISTINCT ON keeps the last item
	// (highest ordinality) of each row.
	if _, err := db.pool.Exec(ctx, `INSERT INTO feedback (endpoint, request_id, row_index, label, at)
		SELECT DISTINCT ON (e, r, w) e, r, w, l, a
		FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS u (e, r, w, l, a, n)
		ORDER BY e, r, w, n DESC
		ON CONFLICT (endpoint, request_id, row_index) DO UPDATE SET label = excluded.label, at = excluded.at`,
		endpoints, requestIDs, rowIndexes, labels, times); err != nil {
		return db.interpretError(err, "record feedback")
	}
	return nil
}

// validateFeedback returns the EINVALID error of item i of a feedback batch,
// if it has one.
func validateFeedback(i int, f *mlw.Feedback) error {
	switch {
	case f.Endpoint == "":
		return mlw.Errorf(mlw.EINVALID, "feedback %d: endpoint is empty", i)
	case f.RequestID == "":
		return mlw.Errorf(mlw.EINVALID, "feedback %d: request id is empty", i)
	case f.Label == "":
		return mlw.Errorf(mlw.EINVALID, "feedback %d: label is empty", i)
	case f.Row < 0:
		return mlw.Errorf(mlw.EINVALID, "feedback %d: row %d is negative", i, f.Row)
	}
	return nil
}

// AppendAlertEvent stores an alert event, assigning ID and, when zero, At,
// with its audit event if any. It returns EINVALID for an empty endpoint or
// rule, or a state other than firing and resolved.
func (db *DB) AppendAlertEvent(ctx context.Context, p *store.AppendAlertEventParams) (*mlw.AlertEvent, error) {
	e := p.Event
	if err := validateAlertEvent(&e); err != nil {
		return nil, err
	}
	e.At = db.stamp(e.At)

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	if err := tx.QueryRow(ctx, `INSERT INTO alert_events (endpoint, rule, state, value, message, at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		e.Endpoint, e.Rule, e.State, e.Value, e.Message, e.At).Scan(&e.ID); err != nil {
		return nil, db.interpretError(err, "alert event of endpoint "+e.Endpoint)
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(ctx, tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &e, nil
}

// validateAlertEvent returns the EINVALID error of an alert event, if it has
// one.
func validateAlertEvent(e *mlw.AlertEvent) error {
	switch {
	case e.Endpoint == "":
		return mlw.Errorf(mlw.EINVALID, "alert event: endpoint is empty")
	case e.Rule == "":
		return mlw.Errorf(mlw.EINVALID, "alert event of endpoint %s: rule is empty", e.Endpoint)
	case e.State != mlw.AlertFiring && e.State != mlw.AlertResolved:
		return mlw.Errorf(mlw.EINVALID, "alert event of endpoint %s: state %q is neither %q nor %q",
			e.Endpoint, e.State, mlw.AlertFiring, mlw.AlertResolved)
	}
	return nil
}

// ListAlertEvents returns alert events ordered by At then ID, of Endpoint
// and at or after Since when set; only the newest Limit when Limit > 0.
func (db *DB) ListAlertEvents(ctx context.Context, p *store.ListAlertEventsParams) ([]*mlw.AlertEvent, error) {
	var w where
	if p.Endpoint != "" {
		w.add("endpoint = ", p.Endpoint)
	}
	if !p.Since.IsZero() {
		w.add("at >= ", norm(p.Since))
	}
	q := `SELECT id, endpoint, rule, state, value, message, at FROM alert_events` + w.String()
	if p.Limit > 0 {
		q = `SELECT * FROM (` + q + ` ORDER BY at DESC, id DESC LIMIT ` + w.arg(p.Limit) + `) AS newest`
	}
	q += ` ORDER BY at, id`
	rows, err := db.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, db.interpretError(err, "list alert events")
	}
	return collect(db, rows, "list alert events", func(r pgx.Row) (*mlw.AlertEvent, error) {
		var e mlw.AlertEvent
		if err := r.Scan(&e.ID, &e.Endpoint, &e.Rule, &e.State, &e.Value, &e.Message, &e.At); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		return &e, nil
	})
}
