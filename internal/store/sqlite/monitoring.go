package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// insertPrediction inserts one prediction record; LogPredictions runs it once
// per record, prepared once per batch.
const insertPrediction = `INSERT INTO predictions (request_id, row_index, endpoint, model, version, variant, shadow,
	at, latency_ns, error, inputs, output, score, proba) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// LogPredictions appends prediction records in one transaction, through one
// prepared statement. A zero At is set to the current time. An empty batch
// is a no-op. It returns EINVALID, storing nothing, if a record has no
// endpoint.
func (db *DB) LogPredictions(ctx context.Context, p *store.LogPredictionsParams) error {
	if len(p.Predictions) == 0 {
		return nil
	}
	for i := range p.Predictions {
		if p.Predictions[i].Endpoint == "" {
			return mlw.Errorf(mlw.EINVALID, "prediction %d: endpoint is empty", i)
		}
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, insertPrediction)
	if err != nil {
		return db.interpretError(err, "log predictions")
	}
	defer stmt.Close()
	for i := range p.Predictions {
		r := &p.Predictions[i]
		if _, err := stmt.ExecContext(ctx, r.RequestID, r.Row, r.Endpoint, r.Model, r.Version, r.Variant, r.Shadow,
			micros(db.stamp(r.At)), int64(r.Latency), r.Error, text(r.Inputs), r.Output, metricValue(r.Score),
			text(r.Proba)); err != nil {
			return db.interpretError(err, fmt.Sprintf("prediction %d of endpoint %s", i, r.Endpoint))
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
	// Without a time window, the records are read in ID order from AfterID
	// on (NOT INDEXED: a scan of the table, which is in ID order, skipping
	// other endpoints' records), never sorted; the planner, which believes
	// an endpoint to have few records, would otherwise read them through an
	// index and sort them all, spilling to temporary files. A time window
	// is read through predictions_endpoint_at and sorted. The endpoint is
	// not selected: every record has the one asked for.
	from := `predictions AS p`
	if p.Since.IsZero() && p.Until.IsZero() {
		from += ` NOT INDEXED`
	}
	q := `SELECT p.id, p.request_id, p.row_index, p.model, p.version, p.variant, p.shadow, p.at, p.latency_ns,
		p.error, p.inputs, p.output, p.score, p.proba, f.label
		FROM ` + from + ` LEFT JOIN feedback AS f
			ON f.endpoint = p.endpoint AND f.request_id = p.request_id AND f.row_index = p.row_index
		WHERE p.endpoint = ?`
	args := []any{p.Endpoint}
	if p.AfterID > 0 {
		q += ` AND p.id > ?`
		args = append(args, p.AfterID)
	}
	if !p.Since.IsZero() {
		q += ` AND p.at >= ?`
		args = append(args, micros(norm(p.Since)))
	}
	if !p.Until.IsZero() {
		q += ` AND p.at < ?`
		args = append(args, micros(norm(p.Until)))
	}
	if p.Variant != "" {
		q += ` AND p.variant = ?`
		args = append(args, p.Variant)
	}
	if !p.IncludeShadow {
		q += ` AND p.shadow = 0`
	}
	q += ` ORDER BY p.id`
	if p.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, p.Limit)
	}
	what := "list predictions of endpoint " + p.Endpoint
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.interpretError(err, what)
	}
	defer rows.Close()
	out := []*mlw.Prediction{}
	var (
		row, version, at, latency int64
		inputs, proba             []byte
		score                     sql.NullFloat64
		label                     sql.NullString
	)
	for rows.Next() {
		r := new(mlw.Prediction)
		// Integers scan into int64: database/sql converts to int through text.
		if err := rows.Scan(&r.ID, &r.RequestID, &row, &r.Model, &version, &r.Variant, &r.Shadow, &at, &latency,
			&r.Error, &inputs, &r.Output, &score, &proba, &label); err != nil {
			return nil, db.interpretError(err, what)
		}
		r.Endpoint, r.Row, r.Version = p.Endpoint, int(row), int(version)
		r.At, r.Latency = time.UnixMicro(at).UTC(), time.Duration(latency)
		r.Inputs, r.Proba = json.RawMessage(inputs), json.RawMessage(proba)
		r.Score = fromMetricValue(score)
		r.Label, r.Labeled = label.String, label.Valid
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
	before := micros(norm(p.Before))
	tx, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM predictions WHERE at < ?`, before)
	if err != nil {
		return 0, db.interpretError(err, "delete predictions")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, db.interpretError(err, "delete predictions")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM feedback WHERE at < ? AND NOT EXISTS (
		SELECT 1 FROM predictions AS p WHERE p.endpoint = feedback.endpoint AND p.request_id = feedback.request_id)`,
		before); err != nil {
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
		if err := validateFeedback(i, &p.Feedback[i]); err != nil {
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
