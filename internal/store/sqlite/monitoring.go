package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// insertBatch stores one batch of the prediction log.
const insertBatch = `INSERT INTO prediction_batches (endpoint, first_at, last_at, records, data) VALUES (?, ?, ?, ?, ?)`

// LogPredictions appends prediction records in one transaction: a row of
// prediction_batches per endpoint of the batch, in the order endpoints first
// appear, holding its records as store.PredictionBatches encodes them. A
// zero At is set to the current time. An empty batch is a no-op. It returns
// EINVALID, storing nothing, if a record has no endpoint.
func (db *DB) LogPredictions(ctx context.Context, p *store.LogPredictionsParams) error {
	if len(p.Predictions) == 0 {
		return nil
	}
	batches, err := store.PredictionBatches(p.Predictions, db.now())
	if err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, b := range batches {
		if _, err := tx.ExecContext(ctx, insertBatch, b.Endpoint, b.FirstAt.UnixMicro(), b.LastAt.UnixMicro(), b.Len,
			b.Data); err != nil {
			return db.interpretError(err, "log predictions of endpoint "+b.Endpoint)
		}
	}
	return db.commit(tx, nil, nil)
}

// ListPredictions returns the records of an endpoint ordered by ID, each
// with the label of its feedback, if any. It returns EINVALID if Endpoint is
// empty.
func (db *DB) ListPredictions(ctx context.Context, p *store.ListPredictionsParams) ([]*mlw.Prediction, error) {
	if p.Endpoint == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "list predictions: endpoint is empty")
	}
	what := "list predictions of endpoint " + p.Endpoint
	// The batches are selected through prediction_batches_endpoint_last_at
	// (which covers the selection), then read by id in id order, never
	// sorted: a sort would copy every batch's data.
	sel := `SELECT id FROM prediction_batches WHERE endpoint = ?`
	args := []any{p.Endpoint}
	if p.AfterID > 0 {
		sel += ` AND id >= ?`
		args = append(args, store.PredictionBatchID(p.AfterID))
	}
	if !p.Since.IsZero() {
		sel += ` AND last_at >= ?`
		args = append(args, p.Since.UnixMicro())
	}
	if !p.Until.IsZero() {
		sel += ` AND first_at < ?`
		args = append(args, p.Until.UnixMicro())
	}
	l := store.NewPredictionList(p)
	if err := db.readBatches(ctx, `SELECT id, data FROM prediction_batches WHERE id IN (`+sel+`) ORDER BY id`, args, l); err != nil {
		return nil, db.interpretError(err, what)
	}
	if err := db.readLabels(ctx, p.Endpoint, l); err != nil {
		return nil, db.interpretError(err, "feedback of endpoint "+p.Endpoint)
	}
	return l.Records(), nil
}

// readBatches passes the batches q selects to l, in order, until l needs no
// more.
func (db *DB) readBatches(ctx context.Context, q string, args []any, l *store.PredictionList) error {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id   int64
			data []byte
		)
		if err := rows.Scan(&id, &data); err != nil {
			return err
		}
		more, err := l.Add(id, data)
		if err != nil || !more {
			return err
		}
	}
	return rows.Err()
}

// labelChunk is how many request ids one query for labels names.
const labelChunk = 10000

// readLabels passes to l the labels of endpoint's rows of the requests l
// holds.
func (db *DB) readLabels(ctx context.Context, endpoint string, l *store.PredictionList) error {
	reqs := l.RequestIDs()
	for len(reqs) > 0 {
		chunk := reqs[:min(labelChunk, len(reqs))]
		reqs = reqs[len(chunk):]
		rows, err := db.read.QueryContext(ctx, `SELECT request_id, row_index, label FROM feedback
			WHERE endpoint = ? AND request_id IN (SELECT value FROM json_each(?))`, endpoint, ids(chunk))
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				req, label string
				row        int64
			)
			if err := rows.Scan(&req, &row, &label); err != nil {
				rows.Close()
				return err
			}
			l.Label(req, int(row), label)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// DeletePredictions removes, in one transaction, the batches of records
// whose latest record was logged before Before, and the feedback recorded
// before Before. It returns how many records it removed. A zero Before
// removes nothing.
func (db *DB) DeletePredictions(ctx context.Context, p *store.DeletePredictionsParams) (int64, error) {
	if p.Before.IsZero() {
		return 0, nil
	}
	before := micros(norm(p.Before))
	tx, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(records), 0) FROM prediction_batches WHERE last_at < ?`,
		before).Scan(&n); err != nil {
		return 0, db.interpretError(err, "delete predictions")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM prediction_batches WHERE last_at < ?`, before); err != nil {
		return 0, db.interpretError(err, "delete predictions")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM feedback WHERE at < ?`, before); err != nil {
		return 0, db.interpretError(err, "delete feedback")
	}
	if err := db.commit(tx, nil, nil); err != nil {
		return 0, err
	}
	return n, nil
}

// RecordFeedback inserts or replaces labels in one transaction. A zero At is
// set to the current time. It returns EINVALID, storing nothing, for an item
// with an empty endpoint, request id or label, or a negative row.
func (db *DB) RecordFeedback(ctx context.Context, p *store.RecordFeedbackParams) error {
	if len(p.Feedback) == 0 {
		return nil
	}
	for i := range p.Feedback {
		if err := store.ValidateFeedback(i, &p.Feedback[i]); err != nil {
			return err
		}
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO feedback (endpoint, request_id, row_index, label, at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (endpoint, request_id, row_index) DO UPDATE SET label = excluded.label, at = excluded.at`)
	if err != nil {
		return db.interpretError(err, "record feedback")
	}
	defer stmt.Close()
	for i := range p.Feedback {
		f := &p.Feedback[i]
		if _, err := stmt.ExecContext(ctx, f.Endpoint, f.RequestID, f.Row, f.Label, micros(db.stamp(f.At))); err != nil {
			return db.interpretError(err, fmt.Sprintf("feedback %d (endpoint %s, request %s, row %d)", i, f.Endpoint, f.RequestID, f.Row))
		}
	}
	return db.commit(tx, nil, nil)
}

// AppendAlertEvent stores an alert event, assigning ID and, when zero, At,
// with its audit event if any. It returns EINVALID for an empty endpoint or
// rule, or a state other than firing and resolved.
func (db *DB) AppendAlertEvent(ctx context.Context, p *store.AppendAlertEventParams) (*mlw.AlertEvent, error) {
	e := p.Event
	if err := store.ValidateAlertEvent(&e); err != nil {
		return nil, err
	}
	e.At = db.stamp(e.At)

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `INSERT INTO alert_events (endpoint, rule, state, value, message, at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		e.Endpoint, e.Rule, e.State, metricValue(e.Value), e.Message, micros(e.At)).Scan(&e.ID); err != nil {
		return nil, db.interpretError(err, "alert event of endpoint "+e.Endpoint)
	}
	ev, err := db.appendAudit(ctx, tx, p.Audit)
	if err != nil {
		return nil, err
	}
	if err := db.commit(tx, p.Audit, ev); err != nil {
		return nil, err
	}
	return &e, nil
}

// ListAlertEvents returns alert events ordered by At then ID, of Endpoint
// and at or after Since when set; only the newest Limit when Limit > 0.
func (db *DB) ListAlertEvents(ctx context.Context, p *store.ListAlertEventsParams) ([]*mlw.AlertEvent, error) {
	q := `SELECT id, endpoint, rule, state, value, message, at FROM alert_events WHERE 1 = 1`
	var args []any
	if p.Endpoint != "" {
		q += ` AND endpoint = ?`
		args = append(args, p.Endpoint)
	}
	if !p.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, micros(norm(p.Since)))
	}
	if p.Limit > 0 {
		q = `SELECT * FROM (` + q + ` ORDER BY at DESC, id DESC LIMIT ?) AS newest`
		args = append(args, p.Limit)
	}
	q += ` ORDER BY at, id`
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.interpretError(err, "list alert events")
	}
	defer rows.Close()
	out := []*mlw.AlertEvent{}
	for rows.Next() {
		var (
			e     mlw.AlertEvent
			value sql.NullFloat64
			at    int64
		)
		if err := rows.Scan(&e.ID, &e.Endpoint, &e.Rule, &e.State, &value, &e.Message, &at); err != nil {
			return nil, db.interpretError(err, "list alert events")
		}
		e.Value, e.At = fromMetricValue(value), time.UnixMicro(at).UTC()
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, db.interpretError(err, "list alert events")
	}
	return out, nil
}
