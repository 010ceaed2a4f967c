package monitor

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"mlw.dev/internal/mlw"
)

// Webhook defaults.
const (
	DefaultWebhookRetries = 3
	DefaultWebhookBackoff = 500 * time.Millisecond
	// DefaultWebhookTimeout bounds one attempt when Client is nil.
	DefaultWebhookTimeout = 10 * time.Second
)

// Webhook posts alert events as JSON, {"alerts": [...]}, to a URL.
type Webhook struct {
	// URL is the http or https endpoint. Errors name only its scheme and
	// host: paths of chat webhooks often hold a secret.
	URL string
	// Client sends the requests; nil means a client with
	// DefaultWebhookTimeout.
	Client *http.Client
	// Retries is the number of attempts after the first on a network
	// error or a 5xx answer; 0 means DefaultWebhookRetries and a negative
	// value none. A 4xx answer is not retried.
	Retries int
	// Backoff is the wait before the first retry, doubling after each;
	// 0 means DefaultWebhookBackoff.
	Backoff time.Duration
}

// Validate reports whether the webhook can be used: an absolute http or
// https URL. The error has code EINVALID.
func (w *Webhook) Validate() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return mlw.Errorf(mlw.EINVALID, "alert webhook %q is not an http or https URL", w.redacted())
	}
	if w.Backoff < 0 {
		return mlw.Errorf(mlw.EINVALID, "alert webhook backoff %s is negative", w.Backoff)
	}
	return nil
}

// redacted returns the URL without path, query or credentials.
func (w *Webhook) redacted() string {
	u, err := url.Parse(w.URL)
	if err != nil || u.Host == "" {
		if len(w.URL) > 24 {
			return w.URL[:24] + "…"
		}
		return w.URL
	}
	return u.Scheme + "://" + u.Host
}

// webhookPayload is the JSON body of a webhook call.
type webhookPayload struct {
	Alerts []mlw.AlertEvent `json:"alerts"`
}

// Send posts the events in one request, retrying network errors and 5xx
// answers with a doubling backoff, and gives up when ctx ends (returning an
// error wrapping ctx.Err()). It sends nothing for no events. A 4xx answer
// returns an error with code EINVALID, running out of attempts one with
// code EUNAVAILABLE.
func (w *Webhook) Send(ctx context.Context, events []mlw.AlertEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := w.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(webhookPayload{Alerts: events})
	if err != nil {
		return fmt.Errorf("alert webhook: encode: %w", err)
	}
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultWebhookTimeout}
	}
	retries := w.Retries
	switch {
	case retries == 0:
		retries = DefaultWebhookRetries
	case retries < 0:
		retries = 0
	}
	backoff := cmp.Or(w.Backoff, DefaultWebhookBackoff)
	var last error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("alert webhook %s: %w (after %d attempts, last: %v)", w.redacted(), ctx.Err(), attempt, last)
			case <-t.C:
			}
			backoff *= 2
		}
		retry, err := w.post(ctx, client, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("alert webhook %s: %w", w.redacted(), ctx.Err())
		}
		if !retry {
			return err
		}
		last = err
	}
	return mlw.Errorf(mlw.EUNAVAILABLE, "alert webhook %s: %d attempts failed, the last: %v", w.redacted(), retries+1, last)
}

// post makes one attempt and reports whether a failure may be retried.
func (w *Webhook) post(ctx context.Context, client *http.Client, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return false, mlw.Errorf(mlw.EINVALID, "alert webhook %s: %v", w.redacted(), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mlw")
	resp, err := client.Do(req)
	if err != nil {
		// url.Error repeats the full URL: keep only the cause.
		var cause error = err
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = ue.Err
		}
		return true, fmt.Errorf("post: %w", cause)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500:
		return true, fmt.Errorf("answered %s", resp.Status)
	}
	msg := strings.TrimSpace(string(snippet))
	if msg != "" {
		msg = ": " + msg
	}
	return false, mlw.Errorf(mlw.EINVALID, "alert webhook %s answered %s%s", w.redacted(), resp.Status, msg)
}
