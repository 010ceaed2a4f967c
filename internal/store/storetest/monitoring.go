package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// prediction returns a record of endpoint "web" for row of request req,
// logged at at(minute), changed by each of opts.
func prediction(req string, row, minute int, opts ...func(*mlw.Prediction)) mlw.Prediction {
	p := mlw.Prediction{
		RequestID: req, Row: row, Endpoint: "web", Model: "churn", Version: 3, Variant: "champion",
		At: at(minute), Latency: 1234567 * time.Nanosecond,
		Inputs: raw(fmt.Sprintf(`[%d.5, "DE" ,null]`, row)), Output: "yes", Score: 0.75, Proba: raw(`[0.25,  0.75]`),
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// logPredictions logs recs as one batch.
func logPredictions(ctx context.Context, t testing.TB, s store.Store, recs ...mlw.Prediction) {
	t.Helper()
	require.NoError(t, s.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: recs}))
}

// listPredictions lists with p and returns the records.
func listPredictions(ctx context.Context, t testing.TB, s store.Store, p store.ListPredictionsParams) []*mlw.Prediction {
	t.Helper()
	got, err := s.ListPredictions(ctx, &p)
	require.NoError(t, err)
	return got
}

// recordFeedback records fs as one batch.
func recordFeedback(ctx context.Context, t testing.TB, s store.Store, fs ...mlw.Feedback) {
	t.Helper()
	require.NoError(t, s.RecordFeedback(ctx, &store.RecordFeedbackParams{Feedback: fs}))
}

// rowKey names a record by request id and row, with its label when labeled:
// "q-1/0" or "q-1/0=yes".
func rowKey(p *mlw.Prediction) string {
	k := fmt.Sprintf("%s/%d", p.RequestID, p.Row)
	if p.Labeled {
		k += "=" + p.Label
	}
	return k
}

// rowKeys returns the rowKey of every record.
func rowKeys(ps []*mlw.Prediction) []string {
	keys := []string{}
	for _, p := range ps {
		keys = append(keys, rowKey(p))
	}
	return keys
}

// testPredictions checks that every field of a record survives the round trip
// and that IDs follow the order of the batch.
func testPredictions(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	in := []mlw.Prediction{
		prediction("q-1", 0, 1),
		prediction("q-1", 1, 1, func(p *mlw.Prediction) { p.Output, p.Score, p.Proba = "no", 0.125, raw(`[0.875,0.125]`) }),
		prediction("q-1", 0, 1, func(p *mlw.Prediction) {
			p.Variant, p.Version, p.Shadow, p.Latency = "challenger", 4, true, 2*time.Second+999*time.Nanosecond
		}),
		prediction("q-other", 0, 1, func(p *mlw.Prediction) { p.Endpoint = "other" }),
		// A request that failed before any row was predicted.
		{RequestID: "q-2", Endpoint: "web", Model: "churn", Version: 3, Variant: "champion", At: at(2),
			Latency: time.Millisecond, Error: "decode request: unexpected EOF"},
		// A regression: no probabilities; empty JSON reads back as nil.
		prediction("q-3", 0, 3, func(p *mlw.Prediction) {
			p.Model, p.Output, p.Score, p.Proba, p.Inputs = "price", "-3.25", -3.25, nil, raw("")
		}),
		prediction("q-4", 7, 4, func(p *mlw.Prediction) { p.Inputs, p.Proba = json.RawMessage{}, raw(`[]`) }),
	}
	logPredictions(ctx, t, s, in...)

	got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web", IncludeShadow: true})
	var want []mlw.Prediction
	for _, p := range in {
		if p.Endpoint == "web" {
			p.At = norm(p.At)
			if len(p.Inputs) == 0 {
				p.Inputs = nil
			}
			if len(p.Proba) == 0 {
				p.Proba = nil
			}
			want = append(want, p)
		}
	}
	require.Len(t, got, len(want))
	var last int64
	for i, g := range got {
		require.Greater(t, g.ID, last, "record %d: IDs increase in the order of the batch", i)
		last = g.ID
		w := want[i]
		w.ID = g.ID
		require.Equal(t, &w, g, "record %d", i)
		require.Equal(t, time.UTC, g.At.Location())
	}
	require.Nil(t, got[3].Inputs)
	require.Nil(t, got[3].Proba)
	require.Equal(t, raw(`[]`), got[5].Proba)
	require.Equal(t, "q-other/0", rowKey(listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "other"})[0]))

	t.Run("Defaults", func(t *testing.T) {
		logPredictions(ctx, t, s, mlw.Prediction{RequestID: "q-0", Endpoint: "defaults"})
		got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "defaults"})
		require.Len(t, got, 1)
		requireStamped(t, got[0].At)
		require.Equal(t, &mlw.Prediction{ID: got[0].ID, RequestID: "q-0", Endpoint: "defaults", At: got[0].At}, got[0])
	})
	t.Run("Scores", func(t *testing.T) {
		scores := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -0.1, math.MaxFloat64, math.SmallestNonzeroFloat64}
		recs := make([]mlw.Prediction, len(scores))
		for i, sc := range scores {
			recs[i] = prediction("q-1", i, 1, func(p *mlw.Prediction) { p.Endpoint, p.Score = "scores", sc })
		}
		logPredictions(ctx, t, s, recs...)
		got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "scores"})
		require.Len(t, got, len(scores))
		require.True(t, math.IsNaN(got[0].Score), "NaN survives: %v", got[0].Score)
		for i := 1; i < len(scores); i++ {
			require.Equal(t, scores[i], got[i].Score, "score %d", i)
		}
	})
	t.Run("EmptyBatch", func(t *testing.T) {
		require.NoError(t, s.LogPredictions(ctx, &store.LogPredictionsParams{}))
		require.NoError(t, s.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: []mlw.Prediction{}}))
	})
	t.Run("UnknownEndpoint", func(t *testing.T) {
		got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "nope", IncludeShadow: true})
		require.NotNil(t, got)
		require.Empty(t, got)
	})
	t.Run("Invalid", func(t *testing.T) {
		err := s.LogPredictions(ctx, &store.LogPredictionsParams{Predictions: []mlw.Prediction{
			prediction("q-9", 0, 9), prediction("q-9", 1, 9, func(p *mlw.Prediction) { p.Endpoint = "" }),
		}})
		requireCode(t, err, mlw.EINVALID, "prediction 1", "endpoint")
		got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web", IncludeShadow: true})
		require.Len(t, got, len(want), "an invalid batch stores nothing")

		_, err = s.ListPredictions(ctx, &store.ListPredictionsParams{})
		requireCode(t, err, mlw.EINVALID, "endpoint")
	})
}

// testListPredictions checks every filter of ListPredictions and their
// combinations.
func testListPredictions(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	// Record i is request q-i at minute i, of variant a (even i) or b (odd i),
	// a shadow when i%3 == 2; each is followed by a record of another endpoint
	// at the same time, so that IDs interleave.
	var recs []mlw.Prediction
	for i := range 10 {
		recs = append(recs,
			prediction(fmt.Sprintf("q-%d", i), 0, i, func(p *mlw.Prediction) {
				p.Variant = map[bool]string{true: "a", false: "b"}[i%2 == 0]
				p.Shadow = i%3 == 2
			}),
			prediction(fmt.Sprintf("q-%d", i), 0, i, func(p *mlw.Prediction) { p.Endpoint = "other" }))
	}
	logPredictions(ctx, t, s, recs[:7]...)
	logPredictions(ctx, t, s, recs[7:]...)
	all := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web", IncludeShadow: true})
	require.Len(t, all, 10)
	id := func(i int) int64 { return all[i].ID }

	for _, tt := range []struct {
		name string
		p    store.ListPredictionsParams
		want []int
	}{
		{"Default", store.ListPredictionsParams{}, []int{0, 1, 3, 4, 6, 7, 9}},
		{"IncludeShadow", store.ListPredictionsParams{IncludeShadow: true}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		// Since and Until compare at microsecond precision: a record logged
		// at Since is in, one logged at Until is out.
		{"Since", store.ListPredictionsParams{Since: at(3)}, []int{3, 4, 6, 7, 9}},
		{"Until", store.ListPredictionsParams{Until: at(6)}, []int{0, 1, 3, 4}},
		{"SinceUntil", store.ListPredictionsParams{Since: at(3), Until: at(6), IncludeShadow: true}, []int{3, 4, 5}},
		{"SinceInOtherZone", store.ListPredictionsParams{Since: at(7).In(time.FixedZone("X", -5*3600))}, []int{7, 9}},
		{"EmptyWindow", store.ListPredictionsParams{Since: at(4), Until: at(4)}, nil},
		{"Variant", store.ListPredictionsParams{Variant: "a"}, []int{0, 4, 6}},
		{"VariantShadow", store.ListPredictionsParams{Variant: "b", IncludeShadow: true}, []int{1, 3, 5, 7, 9}},
		{"UnknownVariant", store.ListPredictionsParams{Variant: "c", IncludeShadow: true}, nil},
		{"AfterID", store.ListPredictionsParams{AfterID: id(4)}, []int{6, 7, 9}},
		{"AfterLastOfFirstBatch", store.ListPredictionsParams{AfterID: id(3)}, []int{4, 6, 7, 9}},
		{"AfterLast", store.ListPredictionsParams{AfterID: id(9), IncludeShadow: true}, nil},
		{"Limit", store.ListPredictionsParams{Limit: 3}, []int{0, 1, 3}},
		{"AfterIDLimit", store.ListPredictionsParams{AfterID: id(1), Limit: 2, IncludeShadow: true}, []int{2, 3}},
		{"SinceLimit", store.ListPredictionsParams{Since: at(5), Limit: 2}, []int{6, 7}},
		{"Everything", store.ListPredictionsParams{Since: at(1), Until: at(9), Variant: "b", AfterID: id(3), Limit: 1, IncludeShadow: true}, []int{5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Endpoint = "web"
			got := listPredictions(ctx, t, s, tt.p)
			want := []string{}
			for _, i := range tt.want {
				want = append(want, fmt.Sprintf("q-%d/0", i))
			}
			require.Equal(t, want, rowKeys(got))
			for _, g := range got {
				require.Equal(t, "web", g.Endpoint)
			}
		})
	}

	t.Run("Paging", func(t *testing.T) {
		// Pages of Limit records, each after the last ID of the previous
		// one, give every record once, in order, across batches.
		for _, limit := range []int{1, 2, 3, 4} {
			var got []*mlw.Prediction
			after := int64(0)
			for {
				page := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web", IncludeShadow: true, AfterID: after, Limit: limit})
				require.LessOrEqual(t, len(page), limit)
				if len(page) == 0 {
					break
				}
				got = append(got, page...)
				after = page[len(page)-1].ID
			}
			require.Equal(t, all, got, "limit %d", limit)
		}
	})
	t.Run("ManyBatches", func(t *testing.T) {
		// A Limit met only after many batches, most of whose records do
		// not match.
		for i := range 20 {
			logPredictions(ctx, t, s, prediction(fmt.Sprintf("q-%d", i), 0, i, func(p *mlw.Prediction) {
				p.Endpoint, p.Variant = "batches", map[bool]string{true: "a", false: "b"}[i%4 == 3]
			}))
		}
		got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "batches", Variant: "a", Limit: 4})
		require.Equal(t, []string{"q-3/0", "q-7/0", "q-11/0", "q-15/0"}, rowKeys(got))
		got = listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "batches", Variant: "a", Limit: 4, AfterID: got[1].ID})
		require.Equal(t, []string{"q-11/0", "q-15/0", "q-19/0"}, rowKeys(got))
	})
	t.Run("UnorderedTimes", func(t *testing.T) {
		// A batch's records need not be in time order: the time window
		// applies to each.
		unordered := func(p *mlw.Prediction) { p.Endpoint = "unordered" }
		logPredictions(ctx, t, s, prediction("q-5", 0, 5, unordered), prediction("q-1", 0, 1, unordered),
			prediction("q-9", 0, 9, unordered), prediction("q-3", 0, 3, unordered))
		got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "unordered", Since: at(2), Until: at(9)})
		require.Equal(t, []string{"q-5/0", "q-3/0"}, rowKeys(got))
		got = listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "unordered", Until: at(2)})
		require.Equal(t, []string{"q-1/0"}, rowKeys(got))
		got = listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "unordered", Since: at(9)})
		require.Equal(t, []string{"q-9/0"}, rowKeys(got))
	})
}

// testFeedback checks the join of labels: by endpoint, request id and row,
// replaced by a later label, stored before its prediction.
func testFeedback(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	shadow := func(p *mlw.Prediction) { p.Variant, p.Shadow = "challenger", true }
	logPredictions(ctx, t, s, prediction("q-1", 0, 1), prediction("q-1", 1, 1), prediction("q-1", 0, 1, shadow),
		prediction("q-2", 0, 2))
	labels := func() []string {
		t.Helper()
		return rowKeys(listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web", IncludeShadow: true}))
	}
	require.Equal(t, []string{"q-1/0", "q-1/1", "q-1/0", "q-2/0"}, labels())

	recordFeedback(ctx, t, s,
		mlw.Feedback{Endpoint: "web", RequestID: "q-1", Row: 0, Label: "yes", At: at(5)},
		mlw.Feedback{Endpoint: "web", RequestID: "q-2", Row: 0, Label: "no"}, // At set by the store
		mlw.Feedback{Endpoint: "other", RequestID: "q-1", Row: 1, Label: "other endpoint"},
		mlw.Feedback{Endpoint: "web", RequestID: "q-1", Row: 5, Label: "unknown row"},
	)
	require.Equal(t, []string{"q-1/0=yes", "q-1/1", "q-1/0=yes", "q-2/0=no"}, labels(),
		"a label joins its row, the shadow's too, and nothing else")

	t.Run("Replace", func(t *testing.T) {
		recordFeedback(ctx, t, s, mlw.Feedback{Endpoint: "web", RequestID: "q-1", Row: 0, Label: "no", At: at(6)})
		require.Equal(t, []string{"q-1/0=no", "q-1/1", "q-1/0=no", "q-2/0=no"}, labels())
	})
	t.Run("LastOfBatchWins", func(t *testing.T) {
		recordFeedback(ctx, t, s,
			mlw.Feedback{Endpoint: "web", RequestID: "q-2", Row: 0, Label: "first"},
			mlw.Feedback{Endpoint: "web", RequestID: "q-1", Row: 1, Label: "maybe"},
			mlw.Feedback{Endpoint: "web", RequestID: "q-2", Row: 0, Label: "second"},
		)
		require.Equal(t, []string{"q-1/0=no", "q-1/1=maybe", "q-1/0=no", "q-2/0=second"}, labels())
	})
	t.Run("BeforePrediction", func(t *testing.T) {
		recordFeedback(ctx, t, s, mlw.Feedback{Endpoint: "web", RequestID: "q-9", Row: 0, Label: "early", At: at(8)})
		logPredictions(ctx, t, s, prediction("q-9", 0, 9), prediction("q-9", 1, 9))
		got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web", Since: at(9)})
		require.Equal(t, []string{"q-9/0=early", "q-9/1"}, rowKeys(got))
	})
	t.Run("EmptyBatch", func(t *testing.T) {
		require.NoError(t, s.RecordFeedback(ctx, &store.RecordFeedbackParams{}))
	})
	t.Run("ManyRequests", func(t *testing.T) {
		// More requests than a driver would name in one query for labels.
		const n = 10_500
		recs := make([]mlw.Prediction, n)
		var fs []mlw.Feedback
		for i := range recs {
			req := fmt.Sprintf("m-%05d", i)
			recs[i] = prediction(req, 0, 30, func(p *mlw.Prediction) { p.Endpoint = "many" })
			if i%1000 == 499 {
				fs = append(fs, mlw.Feedback{Endpoint: "many", RequestID: req, Label: fmt.Sprint(i)})
			}
		}
		logPredictions(ctx, t, s, recs...)
		recordFeedback(ctx, t, s, fs...)
		got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "many"})
		require.Len(t, got, n)
		var labeled []string
		for _, g := range got {
			if g.Labeled {
				labeled = append(labeled, rowKey(g))
			}
		}
		require.Len(t, labeled, len(fs))
		require.Equal(t, "m-10499/0=10499", labeled[len(labeled)-1])
	})
	t.Run("Invalid", func(t *testing.T) {
		before := labels()
		valid := mlw.Feedback{Endpoint: "web", RequestID: "q-1", Row: 1, Label: "changed"}
		for _, tt := range []struct {
			name     string
			f        mlw.Feedback
			contains string
		}{
			{"NoEndpoint", mlw.Feedback{RequestID: "q-1", Label: "x"}, "endpoint"},
			{"NoRequestID", mlw.Feedback{Endpoint: "web", Label: "x"}, "request id"},
			{"NoLabel", mlw.Feedback{Endpoint: "web", RequestID: "q-1"}, "label"},
			{"NegativeRow", mlw.Feedback{Endpoint: "web", RequestID: "q-1", Row: -1, Label: "x"}, "row -1"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := s.RecordFeedback(ctx, &store.RecordFeedbackParams{Feedback: []mlw.Feedback{valid, valid, tt.f, valid}})
				requireCode(t, err, mlw.EINVALID, "feedback 2: ", tt.contains)
				require.Equal(t, before, labels(), "an invalid batch stores nothing")
			})
		}
	})
}

// testDeletePredictions checks retention: it goes by stored batch (the
// records of one endpoint of one LogPredictions call), removing those whose
// latest record is older than the cutoff, and feedback goes when it is
// older than the cutoff, whether or not its prediction is kept.
func testDeletePredictions(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	other := func(p *mlw.Prediction) { p.Endpoint = "other" }
	logPredictions(ctx, t, s,
		prediction("q-0", 0, 0), prediction("q-0", 1, 0), prediction("q-1", 0, 1), // goes: web's batch ends at 1
		prediction("q-0", 0, 0, other), // goes: other's batch ends at 0
	)
	logPredictions(ctx, t, s,
		// Stays whole, even the record before the cutoff: the batch ends at it.
		prediction("q-2", 0, 2), prediction("q-2", 1, 3))
	logPredictions(ctx, t, s, prediction("q-3", 0, 3), prediction("q-4", 0, 4), prediction("q-5", 0, 5, other))
	web := func(f mlw.Feedback) mlw.Feedback { f.Endpoint = "web"; return f }
	recordFeedback(ctx, t, s,
		web(mlw.Feedback{RequestID: "q-0", Row: 0, Label: "old", At: at(1)}),             // goes
		web(mlw.Feedback{RequestID: "q-1", Row: 0, Label: "newer", At: at(4)}),           // stays: newer than the cutoff
		web(mlw.Feedback{RequestID: "q-2", Row: 0, Label: "straddles", At: at(2)}),       // goes, though q-2 stays
		web(mlw.Feedback{RequestID: "q-3", Row: 0, Label: "at cutoff", At: at(3)}),       // stays: not before the cutoff
		web(mlw.Feedback{RequestID: "q-7", Row: 0, Label: "early", At: at(10)}),          // stays: its prediction is to come
		web(mlw.Feedback{RequestID: "q-8", Row: 0, Label: "orphan", At: at(0)}),          // goes
		mlw.Feedback{Endpoint: "other", RequestID: "q-0", Row: 0, Label: "x", At: at(1)}, // goes
	)

	n, err := s.DeletePredictions(ctx, &store.DeletePredictionsParams{Before: at(3)})
	require.NoError(t, err)
	require.Equal(t, int64(4), n, "web's q-0 (2 records) and q-1, other's q-0: records, not batches")

	got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web"})
	require.Equal(t, []string{"q-2/0", "q-2/1", "q-3/0=at cutoff", "q-4/0"}, rowKeys(got))
	require.Equal(t, []string{"q-5/0"}, rowKeys(listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "other"})))

	// Logging the requests again shows which feedback survived.
	logPredictions(ctx, t, s,
		prediction("q-0", 0, 20), prediction("q-1", 0, 20), prediction("q-2", 0, 20), prediction("q-7", 0, 20),
		prediction("q-8", 0, 20), prediction("q-0", 0, 20, other))
	got = listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web", Since: at(20)})
	require.Equal(t, []string{"q-0/0", "q-1/0=newer", "q-2/0", "q-7/0=early", "q-8/0"}, rowKeys(got))
	got = listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "other", Since: at(20)})
	require.Equal(t, []string{"q-0/0"}, rowKeys(got))

	t.Run("Again", func(t *testing.T) {
		n, err := s.DeletePredictions(ctx, &store.DeletePredictionsParams{Before: at(3)})
		require.NoError(t, err)
		require.Zero(t, n)
	})
	t.Run("ZeroBefore", func(t *testing.T) {
		n, err := s.DeletePredictions(ctx, &store.DeletePredictionsParams{})
		require.NoError(t, err)
		require.Zero(t, n)
	})
	t.Run("IDsAreNotReused", func(t *testing.T) {
		all := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web"})
		last := all[len(all)-1].ID
		n, err := s.DeletePredictions(ctx, &store.DeletePredictionsParams{Before: at(100)})
		require.NoError(t, err)
		require.Equal(t, int64(11), n)
		logPredictions(ctx, t, s, prediction("q-new", 0, 101))
		got := listPredictions(ctx, t, s, store.ListPredictionsParams{Endpoint: "web", AfterID: last})
		require.Equal(t, []string{"q-new/0"}, rowKeys(got), "a reader paging by ID sees records logged after retention emptied the log")
	})
}

// testAlertEvents checks alert events: fields, order, filters, the newest
// Limit, the audit event stored with them and validation.
func testAlertEvents(ctx context.Context, t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	appendEvent := func(e mlw.AlertEvent, audit *mlw.AuditEvent) *mlw.AlertEvent {
		t.Helper()
		got, err := s.AppendAlertEvent(ctx, &store.AppendAlertEventParams{Event: e, Audit: audit})
		require.NoError(t, err)
		require.NotZero(t, got.ID)
		return got
	}
	rule := "p99 > 50ms for 5m"
	in := mlw.AlertEvent{Endpoint: "web", Rule: rule, State: mlw.AlertFiring, Value: 0.0612, Message: "p99 is 61.2ms", At: at(10)}
	ev := event("alert.fire", "web")
	e1 := appendEvent(in, ev)
	want := in
	want.ID, want.At = e1.ID, norm(in.At)
	require.Equal(t, &want, e1)
	require.Equal(t, int64(1), ev.Seq, "the audit event is sealed into the caller's")

	e2 := appendEvent(mlw.AlertEvent{Endpoint: "web", Rule: rule, State: mlw.AlertResolved, Value: 0.04, At: at(20)}, nil)
	e3 := appendEvent(mlw.AlertEvent{Endpoint: "api", Rule: "error_rate > 0.01", State: mlw.AlertFiring, Value: 0.5, At: at(15)}, nil)
	e4 := appendEvent(mlw.AlertEvent{Endpoint: "web", Rule: "drift > 0.1", State: mlw.AlertFiring, Value: 0.3, At: at(10)}, nil)
	e5 := appendEvent(mlw.AlertEvent{Endpoint: "api", Rule: "error_rate > 0.01", State: mlw.AlertResolved, At: at(5)}, nil)
	e6 := appendEvent(mlw.AlertEvent{Endpoint: "web", Rule: rule, State: mlw.AlertFiring, Value: math.Inf(1)}, nil) // At set by the store
	requireStamped(t, e6.At)
	require.True(t, e6.At.After(at(20)), "the store's clock is after the test's times")

	for _, tt := range []struct {
		name string
		p    store.ListAlertEventsParams
		want []*mlw.AlertEvent
	}{
		{"All", store.ListAlertEventsParams{}, []*mlw.AlertEvent{e5, e1, e4, e3, e2, e6}},
		{"Endpoint", store.ListAlertEventsParams{Endpoint: "web"}, []*mlw.AlertEvent{e1, e4, e2, e6}},
		{"Since", store.ListAlertEventsParams{Since: at(10)}, []*mlw.AlertEvent{e1, e4, e3, e2, e6}},
		{"Limit", store.ListAlertEventsParams{Limit: 2}, []*mlw.AlertEvent{e2, e6}},
		{"LimitMore", store.ListAlertEventsParams{Limit: 100}, []*mlw.AlertEvent{e5, e1, e4, e3, e2, e6}},
		{"EndpointLimit", store.ListAlertEventsParams{Endpoint: "web", Limit: 3}, []*mlw.AlertEvent{e4, e2, e6}},
		{"EndpointSince", store.ListAlertEventsParams{Endpoint: "api", Since: at(6)}, []*mlw.AlertEvent{e3}},
		{"Everything", store.ListAlertEventsParams{Endpoint: "web", Since: at(11), Limit: 1}, []*mlw.AlertEvent{e6}},
		{"UnknownEndpoint", store.ListAlertEventsParams{Endpoint: "nope"}, []*mlw.AlertEvent{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListAlertEvents(ctx, &tt.p)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}

	t.Run("NaN", func(t *testing.T) {
		appendEvent(mlw.AlertEvent{Endpoint: "nan", Rule: "r", State: mlw.AlertFiring, Value: math.NaN(), At: at(1)}, nil)
		got, err := s.ListAlertEvents(ctx, &store.ListAlertEventsParams{Endpoint: "nan"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.True(t, math.IsNaN(got[0].Value), "NaN survives: %v", got[0].Value)
	})
	t.Run("Audit", func(t *testing.T) {
		evs := allAudit(ctx, t, s)
		require.Equal(t, []*mlw.AuditEvent{ev}, evs)
		requireChain(t, evs)
	})
	t.Run("Invalid", func(t *testing.T) {
		before, err := s.ListAlertEvents(ctx, &store.ListAlertEventsParams{})
		require.NoError(t, err)
		for _, tt := range []struct {
			name     string
			e        mlw.AlertEvent
			contains string
		}{
			{"NoEndpoint", mlw.AlertEvent{Rule: rule, State: mlw.AlertFiring}, "endpoint"},
			{"NoRule", mlw.AlertEvent{Endpoint: "bad", State: mlw.AlertFiring}, "rule"},
			{"NoState", mlw.AlertEvent{Endpoint: "bad", Rule: rule}, "state"},
			{"UnknownState", mlw.AlertEvent{Endpoint: "bad", Rule: rule, State: "pending"}, `"pending"`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ev := event("alert.fire", "bad")
				_, err := s.AppendAlertEvent(ctx, &store.AppendAlertEventParams{Event: tt.e, Audit: ev})
				requireCode(t, err, mlw.EINVALID, tt.contains)
				require.Zero(t, ev.Seq, "the audit event is not sealed")
				got, err := s.ListAlertEvents(ctx, &store.ListAlertEventsParams{})
				require.NoError(t, err)
				require.Len(t, got, len(before), "an invalid event is not stored")
				require.Len(t, allAudit(ctx, t, s), 1, "nor its audit event")
			})
		}
	})
}
