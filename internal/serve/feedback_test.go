package serve

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

type memFeedback struct {
	mu    sync.Mutex
	items map[string][]FeedbackItem
}

func (m *memFeedback) RecordFeedback(_ context.Context, endpoint string, items []FeedbackItem) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[endpoint] = append(m.items[endpoint], items...)
	return nil
}

func TestFeedback(t *testing.T) {
	fb := &memFeedback{items: map[string][]FeedbackItem{}}
	f := setup(t, func(c *Config) { c.Feedback = fb })
	tests := []struct {
		body string
		code int
		want string
	}{
		{`{"request_id":"r1","label":"churns"}`, 200, `"recorded":1`},
		{`{"request_id":"r2","row":3,"label":1}`, 200, `"recorded":1`},
		{`{"feedback":[{"request_id":"r3","label":true},{"request_id":"r3","row":1,"label":2.50}]}`, 200, `"recorded":2`},
		{`{"request_id":"r1"}`, 400, `label is missing`},
		{`{"request_id":"","label":"x"}`, 400, `request_id is missing`},
		{`{"feedback":[{"request_id":"a","label":"x"},{"request_id":"b","row":-1,"label":"x"}]}`, 400, `feedback[1]: row -1 is negative`},
		{`{"request_id":"r1","label":{"a":1}}`, 400, `label must be a string`},
		{`{"request_id":"r1","label":""}`, 400, `label is empty`},
		{`{"request_id":"r1","label":"x","feedback":[]}`, 400, `not both`},
		{`{"request_id":"r1","labels":"x"}`, 400, `unknown field`},
		{`{"feedback":[]}`, 400, `no label`},
		{`[1,2]`, 400, `feedback body`},
		{`{"feedback":[` + strings.Repeat(`{"request_id":"a","label":"x"},`, MaxFeedbackItems) + `{"request_id":"a","label":"x"}]}`, 413, `at most 10000`},
	}
	for i, tt := range tests {
		code, data := f.do(t, "POST", "/v1/endpoints/churn/feedback", tt.body)
		require.Equal(t, tt.code, code, "case %d: %s", i, data)
		require.Contains(t, string(data), tt.want, "case %d", i)
	}
	code, _ := f.do(t, "POST", "/v1/endpoints/nope/feedback", `{"request_id":"r1","label":"x"}`)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, []FeedbackItem{{"r1", 0, "churns"}, {"r2", 3, "1"}, {"r3", 0, "true"}, {"r3", 1, "2.5"}}, fb.items["churn"])
}

// FuzzDecodeFeedback: any body gives items or an error, never a panic, and
// every item returned is valid.
func FuzzDecodeFeedback(f *testing.F) {
	for _, s := range []string{`{"request_id":"r1","label":"x"}`, `{"feedback":[{"request_id":"a","row":2,"label":1e308}]}`, `{"label":null}`, `[`, `{"feedback":[{}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := decodeFeedback(body)
		if err != nil {
			return
		}
		require.NotEmpty(t, items)
		for _, it := range items {
			require.NotEmpty(t, it.RequestID)
			require.NotEmpty(t, it.Label)
			require.GreaterOrEqual(t, it.Row, 0)
		}
	})
}
