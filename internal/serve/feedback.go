package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"mlw.dev/internal/mlw"
)

// FeedbackItem is the ground truth of one predicted row: the request id the
// prediction answered with, the row within the request (0 for the first),
// and the label (a class label, or the true value as text for a regressor).
type FeedbackItem struct {
	RequestID string
	Row       int
	Label     string
}

// FeedbackSink stores feedback (the project store, through the CLI).
type FeedbackSink interface {
	RecordFeedback(ctx context.Context, endpoint string, items []FeedbackItem) error
}

// MaxFeedbackItems bounds the labels of one feedback request.
const MaxFeedbackItems = 10000

// feedbackJSON is one label in a feedback request.
type feedbackJSON struct {
	RequestID *string         `json:"request_id"`
	Row       *int            `json:"row"`
	Label     json.RawMessage `json:"label"`
}

// FeedbackResponse answers a feedback request.
type FeedbackResponse struct {
	Endpoint string `json:"endpoint"`
	Recorded int    `json:"recorded"`
}

// handleFeedback answers POST /v1/endpoints/{name}/feedback with
// {"request_id": ..., "row": 0, "label": ...} or {"feedback": [{...}, ...]}.
func (s *Server) handleFeedback(c *call) (any, error) {
	if _, err := s.lookup(c); err != nil {
		return nil, err
	}
	if err := s.readBody(c); err != nil {
		return nil, err
	}
	items, err := decodeFeedback(c.body)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Feedback.RecordFeedback(c.r.Context(), c.endpoint, items); err != nil {
		return nil, err
	}
	return FeedbackResponse{Endpoint: c.endpoint, Recorded: len(items)}, nil
}

// decodeFeedback parses a feedback body. Labels may be strings, numbers or
// booleans; they are kept as text.
func decodeFeedback(body []byte) ([]FeedbackItem, error) {
	var batch struct {
		Feedback []feedbackJSON `json:"feedback"`
		feedbackJSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&batch); err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "feedback body: %v (want {\"request_id\": ..., \"label\": ...} or {\"feedback\": [...]})", err)
	}
	if dec.More() {
		return nil, mlw.Errorf(mlw.EINVALID, "feedback body: more than one JSON value")
	}
	list := batch.Feedback
	single := batch.RequestID != nil || batch.Label != nil || batch.Row != nil
	switch {
	case single && list != nil:
		return nil, mlw.Errorf(mlw.EINVALID, "feedback body: give one label or a \"feedback\" list, not both")
	case single:
		list = []feedbackJSON{batch.feedbackJSON}
	case len(list) == 0:
		return nil, mlw.Errorf(mlw.EINVALID, "feedback body has no label")
	case len(list) > MaxFeedbackItems:
		return nil, mlw.Errorf(codeTooLarge, "feedback body has %d labels; at most %d per request", len(list), MaxFeedbackItems)
	}
	items := make([]FeedbackItem, len(list))
	for i, f := range list {
		where := "feedback"
		if !single {
			where = "feedback[" + strconv.Itoa(i) + "]"
		}
		if f.RequestID == nil || *f.RequestID == "" {
			return nil, mlw.Errorf(mlw.EINVALID, "%s: request_id is missing", where)
		}
		row := 0
		if f.Row != nil {
			row = *f.Row
		}
		if row < 0 {
			return nil, mlw.Errorf(mlw.EINVALID, "%s: row %d is negative", where, row)
		}
		label, err := labelText(f.Label)
		if err != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "%s: %v", where, err)
		}
		items[i] = FeedbackItem{RequestID: *f.RequestID, Row: row, Label: label}
	}
	return items, nil
}

// labelText returns a label's text: a string as is, a number or a boolean as
// written.
func labelText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", errLabel("label is missing")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		if s == "" {
			return "", errLabel("label is empty")
		}
		return s, nil
	case 't', 'f':
		return string(raw), nil
	case '{', '[':
		return "", errLabel("label must be a string, a number or a boolean")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return "", errLabel("label " + string(raw) + " is not a number")
	}
	return strconv.FormatFloat(f, 'g', -1, 64), nil
}

type errLabel string

func (e errLabel) Error() string { return string(e) }
