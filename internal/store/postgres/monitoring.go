package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// insertBatch stores one batch of the prediction log.
const insertBatch = `INSERT INTO prediction_batches (endpoint, first_at, last_at, records, data) VALUES ($1, $2, $3, $4, $5)`

// LogPredictions appends prediction records in one transaction: a row of
// prediction_batches per endpoint of the batch, in the order endpoints first
// appear, holding its records as store.PredictionBatches encodes them. The
// usual batch, of one endpoint, takes one statement and one round trip. A
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
	insert := func(q querier, b *store.PredictionBatch) error {
		if _, err := q.Exec(ctx, insertBatch, b.Endpoint, b.FirstAt, b.LastAt, b.Len, b.Data); err != nil {
			return db.interpretError(err, "log predictions of endpoint "+b.Endpoint)
		}
		return nil
	}
	if len(batches) == 1 {
		return insert(db.pool, &batches[0])
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	for i := range batches {
		if err := insert(tx, &batches[i]); err != nil {
			return err
		}
	}
	return db.commit(ctx, tx, nil, nil)
}

// ListPredictions returns the records of an endpoint ordered by ID, each
// with the label of its feedback, if any. It returns EINVALID if Endpoint is
// empty.
func (db *DB) ListPredictions(ctx context.Context, p *store.ListPredictionsParams) ([]*mlw.Prediction, error) {
	if p.Endpoint == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "list predictions: endpoint is empty")
	}
	var w where
	w.add("endpoint = ", p.Endpoint)
	if !p.Since.IsZero() {
		w.add("last_at >= ", norm(p.Since))
	}
	if !p.Until.IsZero() {
		w.add("first_at < ", norm(p.Until))
	}
	after := int64(0) // the batches after this one
	if p.AfterID > 0 {
		after = store.PredictionBatchID(p.AfterID) - 1
	}
	w.add("id > ", after)
	afterArg := len(w.args) - 1
	// Sorting the batches sorts pointers to their data, which stays in the
	// TOAST table until it is sent.
	q := `SELECT id, data FROM prediction_batches` + w.String() + ` ORDER BY id`
	what := "list predictions of endpoint " + p.Endpoint
	l := store.NewPredictionList(p)
	if p.Limit <= 0 {
		if _, _, err := db.readBatches(ctx, q, w.args, l); err != nil {
			return nil, db.interpretError(err, what)
		}
	} else {
		// pgx cannot end a query early without receiving the rest of its
		// rows: with a Limit, the batches are read in pages, one first, then
		// as many as the records still wanted take at the rate so far.
		q += ` LIMIT ` + w.arg(0)
		for page, read := 1, 0; ; {
			w.args[afterArg], w.args[len(w.args)-1] = after, page
			n, last, err := db.readBatches(ctx, q, w.args, l)
			if err != nil {
				return nil, db.interpretError(err, what)
			}
			if n < page || l.Full() {
				break
			}
			after, read = last, read+n
			page = maxPage
			if got := l.Len(); got > 0 {
				page = min(maxPage, ((p.Limit-got)*read+got-1)/got)
			}
		}
	}
	if err := db.readLabels(ctx, p.Endpoint, l); err != nil {
		return nil, db.interpretError(err, "feedback of endpoint "+p.Endpoint)
	}
	return l.Records(), nil
}

// maxPage is the most batches ListPredictions reads at once when it has a
// Limit.
const maxPage = 64

// readBatches passes the batches q selects to l, in order, until l needs no
// more. It returns how many it read, and the ID of the last.
func (db *DB) readBatches(ctx context.Context, q string, args []any, l *store.PredictionList) (int, int64, error) {
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var (
		n    int
		last int64
	)
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&last, &data); err != nil {
			return n, last, err
		}
		n++
		more, err := l.Add(last, data)
		if err != nil || !more {
			return n, last, err
		}
	}
	return n, last, rows.Err()
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
		rows, err := db.pool.Query(ctx, `SELECT request_id, row_index, label FROM feedback
			WHERE endpoint = $1 AND request_id = ANY($2::text[])`, endpoint, chunk)
		if err != nil {
			return err
		}
		var (
			req, label string
			row        int
		)
		_, err = pgx.ForEachRow(rows, []any{&req, &row, &label}, func() error {
			l.Label(req, row, label)
			return nil
		})
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
	before := norm(p.Before)
	tx, err := db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer rollback(ctx, tx)
	var n int64
	if err := tx.QueryRow(ctx, `WITH deleted AS (DELETE FROM prediction_batches WHERE last_at < $1 RETURNING records)
		SELECT COALESCE(sum(records), 0) FROM deleted`, before).Scan(&n); err != nil {
		return 0, db.interpretError(err, "delete predictions")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM feedback WHERE at < $1`, before); err != nil {
		return 0, db.interpretError(err, "delete feedback")
	}
	if err := db.commit(ctx, tx, nil, nil); err != nil {
		return 0, err
	}
	return n, nil
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
		if err := store.ValidateFeedback(i, f); err != nil {
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
