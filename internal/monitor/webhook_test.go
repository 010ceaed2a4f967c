package monitor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
)

// hookServer answers each call with the next status of statuses (the last
// one repeated) and records the bodies it received.
func hookServer(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32, chan []byte) {
	t.Helper()
	var calls atomic.Int32
	bodies := make(chan []byte, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		bodies <- body
		w.WriteHeader(statuses[min(n, len(statuses))-1])
		_, _ = w.Write([]byte("bad payload"))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls, bodies
}

var testEvents = []mlw.AlertEvent{{Endpoint: "churn", Rule: "p99 > 50ms", State: mlw.AlertFiring, Value: 73.2,
	Message: "p99 latency 73.2 ms > 50 ms", At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}

func TestWebhookRetriesUntilSuccess(t *testing.T) {
	t.Parallel()
	srv, calls, bodies := hookServer(t, 503, 502, 200)
	w := &Webhook{URL: srv.URL + "/hooks/secret-token", Client: srv.Client(), Backoff: time.Millisecond}
	require.NoError(t, w.Send(context.Background(), testEvents))
	require.Equal(t, int32(3), calls.Load())
	var got struct {
		Alerts []mlw.AlertEvent `json:"alerts"`
	}
	require.NoError(t, json.Unmarshal(<-bodies, &got))
	require.Equal(t, testEvents, got.Alerts)
}

func TestWebhookGivesUp(t *testing.T) {
	t.Parallel()
	srv, calls, _ := hookServer(t, 500)
	w := &Webhook{URL: srv.URL + "/hooks/secret-token", Client: srv.Client(), Retries: 2, Backoff: time.Millisecond}
	err := w.Send(context.Background(), testEvents)
	require.ErrorContains(t, err, "3 attempts failed, the last: answered 500 Internal Server Error")
	require.NotContains(t, err.Error(), "secret-token", "the URL path is not shown")
	require.Equal(t, mlw.EUNAVAILABLE, mlw.ErrorCode(err))
	require.Equal(t, int32(3), calls.Load())
}

func TestWebhookDoesNotRetry4xx(t *testing.T) {
	t.Parallel()
	srv, calls, _ := hookServer(t, 400, 200)
	w := &Webhook{URL: srv.URL, Client: srv.Client(), Backoff: time.Millisecond}
	err := w.Send(context.Background(), testEvents)
	require.ErrorContains(t, err, "answered 400 Bad Request: bad payload")
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	require.Equal(t, int32(1), calls.Load())
}

func TestWebhookStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		cancel() // the caller gives up while the first attempt fails
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	w := &Webhook{URL: srv.URL, Client: srv.Client(), Backoff: time.Hour}
	err := w.Send(ctx, testEvents)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, int32(1), calls.Load(), "no retry after the context ended")
}

func TestWebhookNetworkErrorsAreRetried(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	w := &Webhook{URL: url, Retries: 1, Backoff: time.Millisecond}
	err := w.Send(context.Background(), testEvents)
	require.ErrorContains(t, err, "2 attempts failed")
	require.Equal(t, mlw.EUNAVAILABLE, mlw.ErrorCode(err))
}

func TestWebhookValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, (&Webhook{}).Send(context.Background(), nil), "nothing to send")
	for _, u := range []string{"", "hooks.example.com/x", "ftp://example.com", "http://"} {
		err := (&Webhook{URL: u}).Send(context.Background(), testEvents)
		require.ErrorContains(t, err, "is not an http or https URL", u)
		require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	}
}
