package predlog

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

func TestParseRetention(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"", 30 * day, ""},
		{"30d", 30 * day, ""},
		{"2w", 14 * day, ""},
		{"12h", 12 * time.Hour, ""},
		{"90m", 90 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"1w3d12h", 10*day + 12*time.Hour, ""},
		{"1.5d", 36 * time.Hour, ""},
		{"45s", 45 * time.Second, ""},
		{"0d", 0, "not a positive duration"},
		{"0", 0, "missing unit"},
		{"30", 0, `missing unit after "30"`},
		{"-1d", 0, "not a positive duration"},
		{"d", 0, "not a positive duration"},
		{"30 days", 0, `unknown unit " days"`},
		{"3y", 0, `unknown unit "y"`},
		{"1.2.3d", 0, `bad number "1.2.3"`},
		{"99999999w", 0, "too long"},
		{"2562047h", 2562047 * time.Hour, ""},
		{"2562048h", 0, "too long"},
		{"106751d106751d", 0, "too long"},
	}
	for _, tt := range tests {
		got, err := ParseRetention(tt.in)
		if tt.wantErr != "" {
			require.Error(t, err, "%q", tt.in)
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
			require.ErrorContains(t, err, tt.wantErr, "%q", tt.in)
			require.ErrorContains(t, err, `retention "`+tt.in+`"`, "the error names the value")
			continue
		}
		require.NoError(t, err, "%q", tt.in)
		require.Equal(t, tt.want, got, "%q", tt.in)
	}
}

func FuzzParseRetention(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is skipped under -short")
	}
	for _, s := range []string{"", "30d", "2w", "1h30m", "1.5d", "-1d", "9999999999999w", "1e3d", "µs", ".d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseRetention(s)
		if err == nil {
			require.Positive(t, d)
		} else {
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
		}
	})
}

// fakeDeleter records the cutoffs it is asked for. DeletePredictionsFunc,
// when set, answers.
type fakeDeleter struct {
	DeletePredictionsFunc func(ctx context.Context, p *store.DeletePredictionsParams) (int64, error)
	calls                 chan time.Time
}

func (d *fakeDeleter) DeletePredictions(ctx context.Context, p *store.DeletePredictionsParams) (int64, error) {
	select {
	case d.calls <- p.Before:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if d.DeletePredictionsFunc != nil {
		return d.DeletePredictionsFunc(ctx, p)
	}
	return 0, nil
}

func TestRetain(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	d := &fakeDeleter{calls: make(chan time.Time), DeletePredictionsFunc: func(ctx context.Context, p *store.DeletePredictionsParams) (int64, error) {
		n++
		if n == 1 {
			return 0, errors.New("database is locked")
		}
		return 42, nil
	}}
	var mu sync.Mutex
	var logs strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- Retain(ctx, d, 7*24*time.Hour, time.Millisecond, func() time.Time { return now }, slogTo(&mu, &logs))
	}()
	want := now.Add(-7 * 24 * time.Hour)
	require.Equal(t, want, <-d.calls) // fails: logged, and tried again
	require.Equal(t, want, <-d.calls)
	require.Equal(t, want, <-d.calls)
	cancel()
	require.NoError(t, <-errc)
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, logs.String(), `level=ERROR msg="prediction log retention failed"`)
	require.Contains(t, logs.String(), `level=INFO msg="prediction log records deleted" subsystem=predlog before=2026-02-22T12:00:00.000Z deleted=42`)
}

func TestRetainValidates(t *testing.T) {
	t.Parallel()
	d := &fakeDeleter{calls: make(chan time.Time, 1)}
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		d           Deleter
		keep, every time.Duration
		want        string
	}{
		{"no store", nil, time.Hour, 0, "no store"},
		{"zero retention", d, 0, 0, "retention 0s is not positive"},
		{"negative interval", d, time.Hour, -time.Second, "interval -1s is negative"},
	} {
		err := Retain(ctx, tc.d, tc.keep, tc.every, nil, nil)
		require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err), tc.name)
		require.ErrorContains(t, err, tc.want, tc.name)
	}
}
