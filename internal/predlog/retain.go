package predlog

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// Defaults of retention.
const (
	// DefaultRetention is how long records are kept when no retention is set.
	DefaultRetention = 30 * 24 * time.Hour
	// DefaultRetainEvery is how often Retain deletes when every is 0.
	DefaultRetainEvery = time.Hour
)

// Deleter deletes old records; store.Store satisfies it.
type Deleter interface {
	// DeletePredictions removes the stored batches whose newest record was
	// logged before p.Before and returns how many records it removed.
	DeletePredictions(ctx context.Context, p *store.DeletePredictionsParams) (int64, error)
}

var _ Deleter = store.Store(nil)

// Retain deletes the records logged before now() - keep (by stored batch,
// about a second of traffic each), at once and then every every (0: DefaultRetainEvery), until ctx is done; it then returns
// nil. A failed deletion is logged at ERROR and tried again at the next
// tick. now nil means time.Now, log nil discards. It returns an error with
// code EINVALID when s is nil, keep is not positive or every is negative.
func Retain(ctx context.Context, s Deleter, keep, every time.Duration, now func() time.Time, log *slog.Logger) error {
	switch {
	case s == nil:
		return mlw.Errorf(mlw.EINVALID, "predlog: retain: no store")
	case keep <= 0:
		return mlw.Errorf(mlw.EINVALID, "predlog: retain: retention %s is not positive", keep)
	case every < 0:
		return mlw.Errorf(mlw.EINVALID, "predlog: retain: interval %s is negative", every)
	}
	if every == 0 {
		every = DefaultRetainEvery
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With(LogKeySubsystem, "predlog")
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		before := now().Add(-keep)
		n, err := s.DeletePredictions(ctx, &store.DeletePredictionsParams{Before: before})
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.ErrorContext(ctx, "prediction log retention failed", LogKeyBefore, before, LogKeyError, err.Error())
		case n > 0:
			log.InfoContext(ctx, "prediction log records deleted", LogKeyBefore, before, LogKeyDeleted, n)
		default:
			log.DebugContext(ctx, "no prediction log records to delete", LogKeyBefore, before)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// retentionUnits are the units ParseRetention accepts beyond Go's.
var retentionUnits = map[string]time.Duration{
	"d": 24 * time.Hour,
	"w": 7 * 24 * time.Hour,
}

// ParseRetention reads how long records are kept: a Go duration ("12h",
// "90m", "1h30m") whose units may also be d (24 hours) and w (7 days), as
// in "30d", "2w" or "1w3d12h". The empty string means DefaultRetention. It
// returns an error with code EINVALID naming s when s is malformed, not
// positive or too long.
func ParseRetention(s string) (time.Duration, error) {
	if s == "" {
		return DefaultRetention, nil
	}
	invalid := func(why string) (time.Duration, error) {
		return 0, mlw.Errorf(mlw.EINVALID, "retention %q: %s (want a duration such as 30d, 2w, 12h or 90m)", s, why)
	}
	var total time.Duration
	for rest := s; rest != ""; {
		// One number and its unit.
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" {
			return invalid("not a positive duration")
		}
		var d time.Duration
		if u, ok := retentionUnits[unit]; ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return invalid("bad number " + strconv.Quote(num))
			}
			if v*float64(u) >= math.MaxInt64 {
				return invalid("too long")
			}
			d = time.Duration(v * float64(u))
		} else {
			switch unit {
			case "":
				return invalid("missing unit after " + strconv.Quote(num))
			case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
			default:
				return invalid("unknown unit " + strconv.Quote(unit))
			}
			var err error
			if d, err = time.ParseDuration(num + unit); err != nil {
				return invalid("bad number " + strconv.Quote(num) + " or too long")
			}
		}
		if total > math.MaxInt64-d {
			return invalid("too long")
		}
		total += d
	}
	if total <= 0 {
		return invalid("not a positive duration")
	}
	return total, nil
}
