package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/store"
	"mlw.dev/internal/store/storetest"
)

// BenchmarkPredictionBatches is the encoding LogPredictions does before
// writing, per record, and the size of the encoding, on storetest's
// benchmark records.
func BenchmarkPredictionBatches(b *testing.B) {
	recs := storetest.BenchPredictions(0, 1000)
	var size, raw int
	for _, r := range recs {
		raw += len(r.Inputs) + len(r.Proba)
	}
	b.ReportAllocs()
	for b.Loop() {
		bs, err := store.PredictionBatches(recs, recs[0].At)
		require.NoError(b, err)
		size = len(bs[0].Data)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	b.ReportMetric(float64(size)/float64(len(recs)), "bytes/record")
	b.ReportMetric(float64(raw)/float64(len(recs)), "json-bytes/record")
}

// BenchmarkPredictionList is the decoding ListPredictions does after
// reading, per record.
func BenchmarkPredictionList(b *testing.B) {
	recs := storetest.BenchPredictions(0, 1000)
	bs, err := store.PredictionBatches(recs, recs[0].At)
	require.NoError(b, err)
	p := &store.ListPredictionsParams{Endpoint: "web"}
	b.ReportAllocs()
	for b.Loop() {
		l := store.NewPredictionList(p)
		for i := range 10 {
			_, err := l.Add(int64(i+1), bs[0].Data)
			require.NoError(b, err)
		}
		require.Len(b, l.Records(), 10000)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/record")
}
