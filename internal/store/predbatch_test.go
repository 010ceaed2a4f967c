package store

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
)

// t0 is a time with nanoseconds and a zone, which the codec keeps at
// microsecond precision in UTC.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// sampleRecords returns records that exercise every field and flag of the
// encoding: runs of rows of one request, changes of every field, nil and
// empty JSON, special scores and times.
func sampleRecords() []mlw.Prediction {
	base := mlw.Prediction{
		RequestID: "req-1", Endpoint: "web", Model: "churn", Version: 3, Variant: "champion", At: t0,
		Latency: 2345 * time.Microsecond, Inputs: json.RawMessage(`[0.5, "DE" ,null]`), Output: "yes", Score: 0.75,
		Proba: json.RawMessage(`[0.25,  0.75]`),
	}
	recs := []mlw.Prediction{base}
	add := func(f func(p *mlw.Prediction)) {
		p := recs[len(recs)-1]
		p.Row++
		f(&p)
		recs = append(recs, p)
	}
	add(func(p *mlw.Prediction) {})                                   // the next row: nothing changes
	add(func(p *mlw.Prediction) { p.Output, p.Score = "no", 0.125 })  // output and score
	add(func(p *mlw.Prediction) { p.Row = 7 })                        // a jump
	add(func(p *mlw.Prediction) { p.RequestID, p.Row = "req-2", 0 })  // a new request
	add(func(p *mlw.Prediction) { p.Shadow, p.Variant = true, "ch" }) // a shadow of another variant
	add(func(p *mlw.Prediction) { p.Shadow = false })
	add(func(p *mlw.Prediction) { p.Model, p.Version = "price", -4 })
	add(func(p *mlw.Prediction) { p.At = p.At.Add(-time.Hour) }) // time goes back
	add(func(p *mlw.Prediction) { p.Latency = -1 })
	add(func(p *mlw.Prediction) { p.Error, p.Inputs, p.Proba = "decode request: unexpected EOF", nil, nil })
	add(func(p *mlw.Prediction) { p.Error, p.Inputs, p.Proba = "", json.RawMessage{}, json.RawMessage{} })
	add(func(p *mlw.Prediction) { p.Endpoint = "other ü" })
	add(func(p *mlw.Prediction) { p.Score = math.NaN() })
	add(func(p *mlw.Prediction) { p.Score = math.Float64frombits(0x7ff8dead0000beef) }) // a NaN with a payload
	add(func(p *mlw.Prediction) { p.Score = math.Inf(-1) })
	add(func(p *mlw.Prediction) { p.Score = math.Copysign(0, -1) })
	add(func(p *mlw.Prediction) { p.At = time.Unix(0, 0) }) // the Unix epoch
	add(func(p *mlw.Prediction) { p.At = time.Time{} })     // the zero time
	add(func(p *mlw.Prediction) { p.At = time.UnixMicro(math.MaxInt64) })
	add(func(p *mlw.Prediction) { p.At = time.UnixMicro(math.MinInt64) })
	add(func(p *mlw.Prediction) { p.Row, p.Version, p.Latency = math.MinInt, math.MaxInt, math.MinInt64 })
	add(func(p *mlw.Prediction) { p.RequestID, p.Model, p.Variant, p.Output = "", "", "", "" })
	add(func(p *mlw.Prediction) { p.Inputs = json.RawMessage(strings.Repeat("[1,2,3]", 100)) })
	// Packed JSON: an odd length, exponents and spaces (escaped), a string
	// (raw: escaping would take more room).
	add(func(p *mlw.Prediction) {
		p.Inputs, p.Proba = json.RawMessage(`[-1.5,23]`), json.RawMessage(`[1e-07, 0.9999999]`)
	})
	add(func(p *mlw.Prediction) { p.Inputs, p.Proba = json.RawMessage(`"DE"`), json.RawMessage(`[0.25,0.75]`) })
	return recs
}

// requireSameRecords checks that got are want as the codec keeps them:
// every field but ID, Label and Labeled, At at microsecond precision in
// UTC, scores bit for bit.
func requireSameRecords(t testing.TB, want, got []mlw.Prediction) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		w.ID, w.Label, w.Labeled = 0, "", false
		w.At = time.UnixMicro(w.At.UnixMicro()).UTC()
		require.Equal(t, math.Float64bits(w.Score), math.Float64bits(g.Score), "record %d: score", i)
		w.Score, g.Score = 0, 0 // compared: NaN is not equal to itself
		// Compared by hand first: require.Equal is slow for the fuzzer.
		if w.RequestID != g.RequestID || w.Row != g.Row || w.Endpoint != g.Endpoint || w.Model != g.Model ||
			w.Version != g.Version || w.Variant != g.Variant || w.Shadow != g.Shadow || w.At != g.At ||
			w.Latency != g.Latency || w.Error != g.Error || string(w.Inputs) != string(g.Inputs) ||
			(w.Inputs == nil) != (g.Inputs == nil) || w.Output != g.Output ||
			string(w.Proba) != string(g.Proba) || (w.Proba == nil) != (g.Proba == nil) || g.ID != 0 || g.Labeled {
			require.Equal(t, w, g, "record %d", i)
			require.Equal(t, w.Inputs == nil, g.Inputs == nil, "record %d: nil inputs", i)
			require.Equal(t, w.Proba == nil, g.Proba == nil, "record %d: nil proba", i)
			require.Fail(t, "records differ", "record %d: %+v != %+v", i, w, g)
		}
	}
}

func TestPredictionBatchRoundTrip(t *testing.T) {
	t.Parallel()
	recs := sampleRecords()
	data := AppendPredictionBatch(nil, recs)
	got, err := DecodePredictionBatch(data)
	require.NoError(t, err)
	requireSameRecords(t, recs, got)
	require.Equal(t, time.UTC, got[0].At.Location())
	require.True(t, got[18].At.IsZero(), "the zero time stays zero")
	require.Equal(t, time.Unix(0, 0).UTC(), got[17].At, "the epoch is not the zero time")

	t.Run("Empty", func(t *testing.T) {
		got, err := DecodePredictionBatch(AppendPredictionBatch(nil, nil))
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("Appends", func(t *testing.T) {
		data := AppendPredictionBatch([]byte("prefix"), recs[:2])
		require.Equal(t, "prefix", string(data[:6]))
		got, err := DecodePredictionBatch(data[6:])
		require.NoError(t, err)
		requireSameRecords(t, recs[:2], got)
	})
	t.Run("JSONIsCapped", func(t *testing.T) {
		got, err := DecodePredictionBatch(AppendPredictionBatch(nil, recs[:2]))
		require.NoError(t, err)
		in := append(got[0].Inputs, 'x')
		require.Equal(t, recs[1].Inputs, got[1].Inputs, "appending to a record's JSON leaves the next record's alone")
		require.Equal(t, byte('x'), in[len(in)-1])
	})
	t.Run("Compact", func(t *testing.T) {
		// A record that only changes its score and output takes its JSON
		// and a few bytes.
		a := AppendPredictionBatch(nil, recs[:2])
		b := AppendPredictionBatch(nil, recs[:3])
		require.LessOrEqual(t, len(b)-len(a), len(recs[2].Inputs)+len(recs[2].Proba)+2+len(recs[2].Output)+1+8+1)
	})
}

func TestPredictionBatchCorrupt(t *testing.T) {
	t.Parallel()
	data := AppendPredictionBatch(nil, sampleRecords())
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"Empty", nil},
		{"UnknownVersion", append([]byte{2}, data[1:]...)},
		{"Truncated", data[:len(data)-1]},
		{"Trailing", append(append([]byte{}, data...), 0)},
		{"TooManyRecords", binary.AppendUvarint([]byte{1}, 1<<30)},
		{"UnknownFlag", binary.AppendUvarint(binary.AppendUvarint([]byte{1}, 1), 1<<20)},
		{"LongString", binary.AppendUvarint(binary.AppendUvarint(binary.AppendUvarint([]byte{1}, 1), flagRequest), 1<<40)},
		{"LongPacked", packedInputs(1<<40, nil)},
		{"TruncatedPacked", packedInputs(4, []byte{0x01})},
		{"TruncatedEscape", packedInputs(3, []byte{0x01, 0xf0})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePredictionBatch(tt.data)
			require.ErrorIs(t, err, errCorrupt)
			require.Nil(t, got)
		})
	}
}

// packedInputs returns a batch of one record whose only field is packed
// inputs of codes codes in b.
func packedInputs(codes uint64, b []byte) []byte {
	data := binary.AppendUvarint(binary.AppendUvarint([]byte{1}, 1), flagRow|flagNoProba)
	data = binary.AppendVarint(data, 0)
	data = binary.AppendUvarint(data, codes<<1|1)
	return append(data, b...)
}

func TestPackedJSON(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in     string
		packed bool
	}{
		{"", false},
		{"1", false},
		{"[]", false},
		{"[1]", false},
		{"[12]", true},
		{"123456789", false}, // not an array
		{"[0.123456,-0.5,10]", true},
		{"[0.123456,-0.5,10,7]", true},
		{"[0.123456,0.654321,-12.5,3]", true},
		{"[0.123456,1e-05,0.25,0.5]", true}, // eight at a time, then one at a time
		{"[1e-07,2E+08]", true},
		{"[1,2,\x00]", true},
		{"[\x00\xff]", true},
		{"[\x00\xff\x01]", false},
		{`[0.5, "DE" ,null]`, false},
		{`[null,null,null,null]`, false},
		{`{"a":[1,2,3,4,5,6]}`, false},
	} {
		b := appendJSON([]byte("x"), []byte(tt.in))[1:]
		h, n := binary.Uvarint(b)
		require.Equal(t, tt.packed, h&1 == 1, "%q", tt.in)
		var got []byte
		if h&1 == 1 {
			require.Len(t, b[n:], (int(h>>1)+1)/2, "%q", tt.in)
			var a arena
			v, err := a.unpack(b[n:], int(h>>1))
			require.NoError(t, err)
			require.Equal(t, len(v), cap(v), "%q: capped", tt.in)
			got = v
		} else {
			require.Equal(t, uint64(len(tt.in)), h>>1)
			got = b[n:]
		}
		require.Equal(t, tt.in, string(got))
		require.LessOrEqual(t, len(b)-n, len(tt.in), "%q: never larger than raw", tt.in)
	}
	// Numbers without exponents take half their room.
	b := appendJSON(nil, []byte("[0.123456,0.654321]"))
	require.Len(t, b, 1+9)
}

func TestPackEight(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		for pos := range 8 {
			in := []byte("0123+,-.")
			in[pos] = byte(c)
			p, ok := packEight(binary.LittleEndian.Uint64(in))
			want := c >= '0' && c <= '9' || c >= '+' && c <= '.'
			require.Equal(t, want, ok, "%q", in)
			if !ok {
				continue
			}
			var w [4]byte
			for i := range w {
				w[i] = jsonCode[in[2*i]]<<4 | jsonCode[in[2*i+1]]
			}
			require.Equal(t, binary.LittleEndian.Uint32(w[:]), p, "%q", in)
			x, ok := unpackEight(p)
			require.True(t, ok)
			require.Equal(t, binary.LittleEndian.Uint64(in), x, "%q", in)
		}
	}
	// Codes 0xA ('e') and 0xF (escape) are unpacked one at a time.
	for _, k := range []uint32{0xa, 0xf} {
		for pos := range 8 {
			p := uint32(0x01234567) &^ (0xf << (4 * pos)) // codes of "01234567", one changed
			_, ok := unpackEight(p | k<<(4*pos))
			require.False(t, ok, "code %#x at %d", k, pos)
		}
	}
}

func TestPredictionBatches(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", -3600))
	rec := func(endpoint string, minute int) mlw.Prediction {
		p := mlw.Prediction{RequestID: "q", Endpoint: endpoint, Row: minute, Inputs: json.RawMessage(`[1]`)}
		if minute >= 0 {
			p.At = t0.Add(time.Duration(minute) * time.Minute)
		}
		return p
	}
	recs := []mlw.Prediction{rec("a", 5), rec("b", 1), rec("a", 2), rec("a", -1), rec("c", 9), rec("a", 7), rec("b", 0)}
	recs[2].Inputs, recs[2].Proba = json.RawMessage{}, json.RawMessage{}
	orig := append([]mlw.Prediction(nil), recs...)

	bs, err := predictionBatches(recs, now, 3)
	require.NoError(t, err)
	require.Equal(t, orig, recs, "the records are not modified")
	norm := func(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
	type batch struct {
		endpoint    string
		first, last time.Time
		rows        []int
	}
	var got []batch
	for _, b := range bs {
		recs, err := DecodePredictionBatch(b.Data)
		require.NoError(t, err)
		require.Len(t, recs, b.Len)
		g := batch{endpoint: b.Endpoint, first: b.FirstAt, last: b.LastAt}
		for _, r := range recs {
			require.Equal(t, b.Endpoint, r.Endpoint)
			require.Equal(t, time.UTC, r.At.Location())
			g.rows = append(g.rows, r.Row)
			if r.Row == 2 {
				require.Nil(t, r.Inputs, "empty JSON is stored as nil")
				require.Nil(t, r.Proba, "empty JSON is stored as nil")
			}
			if r.Row == -1 {
				require.Equal(t, norm(now), r.At, "a zero At is stamped")
			}
		}
		got = append(got, g)
	}
	m := func(minute int) time.Time { return norm(t0.Add(time.Duration(minute) * time.Minute)) }
	require.Equal(t, []batch{
		// a's four records, split after three; the stamped record is the
		// earliest (now is before t0).
		{endpoint: "a", first: norm(now), last: m(5), rows: []int{5, 2, -1}},
		{endpoint: "a", first: m(7), last: m(7), rows: []int{7}},
		{endpoint: "b", first: m(0), last: m(1), rows: []int{1, 0}},
		{endpoint: "c", first: m(9), last: m(9), rows: []int{9}},
	}, got)

	t.Run("OneEndpoint", func(t *testing.T) {
		bs, err := predictionBatches(recs[:1], now, 3)
		require.NoError(t, err)
		require.Len(t, bs, 1)
		require.Equal(t, m(5), bs[0].FirstAt)
		require.Equal(t, m(5), bs[0].LastAt)
	})
	t.Run("Invalid", func(t *testing.T) {
		_, err := PredictionBatches([]mlw.Prediction{rec("a", 1), rec("", 1)}, now)
		require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
		require.ErrorContains(t, err, "prediction 1: endpoint is empty")
	})
	t.Run("IDs", func(t *testing.T) {
		id := PredictionID(12345, MaxPredictionBatch-1)
		require.Equal(t, int64(12345), PredictionBatchID(id))
		require.Less(t, id, PredictionID(12346, 0))
	})
}

func TestPredictionListCorrupt(t *testing.T) {
	t.Parallel()
	l := NewPredictionList(&ListPredictionsParams{Endpoint: "web"})
	_, err := l.Add(7, []byte{1, 1})
	require.ErrorIs(t, err, errCorrupt)
	require.ErrorContains(t, err, "prediction batch 7")
}

// FuzzPredictionBatch checks that decoding never panics whatever the bytes
// (nor does PredictionList), that what decodes encodes back to the same
// records, and that records built from the fuzzer's bytes survive a round
// trip.
func FuzzPredictionBatch(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is skipped in -short mode")
	}
	recs := sampleRecords()
	f.Add(AppendPredictionBatch(nil, recs))
	f.Add(AppendPredictionBatch(nil, recs[:3]))
	f.Add(AppendPredictionBatch(nil, nil))
	f.Add([]byte{})
	f.Add([]byte{1, 1, 0xff, 0xff, 0x01})
	f.Add([]byte("\x01\x02\x08\x05req-1\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, err := DecodePredictionBatch(data); err == nil {
			again, err := DecodePredictionBatch(AppendPredictionBatch(nil, got))
			require.NoError(t, err)
			requireSameRecords(t, got, again)
		}
		for _, p := range []ListPredictionsParams{
			{Endpoint: "web", IncludeShadow: true},
			{Endpoint: "web", Variant: "champion", Since: t0, Limit: 2, AfterID: PredictionID(1, 1)},
		} {
			l := NewPredictionList(&p)
			_, _ = l.Add(1, data)
			l.Label("req-1", 0, "yes")
			_ = l.Records()
		}

		built := recordsFrom(data)
		got, err := DecodePredictionBatch(AppendPredictionBatch(nil, built))
		require.NoError(t, err)
		requireSameRecords(t, built, got)
	})
}

// recordsFrom builds records from arbitrary bytes, each field taken from
// the next few bytes, so that the fuzzer explores what the encoder is given.
func recordsFrom(data []byte) []mlw.Prediction {
	next := func(n int) []byte {
		n = min(n, len(data))
		b := data[:n]
		data = data[n:]
		return b
	}
	byte1 := func() byte {
		if len(data) == 0 {
			return 0
		}
		return next(1)[0]
	}
	num := func() int64 {
		var v [8]byte
		copy(v[:], next(8))
		return int64(binary.LittleEndian.Uint64(v[:]))
	}
	str := func() string {
		return string(next(int(byte1() % 8)))
	}
	raw := func(flag byte) json.RawMessage {
		if flag&1 != 0 {
			return nil
		}
		return json.RawMessage(next(int(flag >> 1)))
	}
	var recs []mlw.Prediction
	for len(data) > 0 {
		flags := byte1()
		p := mlw.Prediction{}
		if len(recs) > 0 {
			p = recs[len(recs)-1]
		}
		// Each bit of flags changes a group of fields, the way records of a
		// batch share most of theirs.
		if flags&1 != 0 {
			p.RequestID, p.Row = str(), int(num())
		} else {
			p.Row++
		}
		if flags&2 != 0 {
			p.Endpoint, p.Model, p.Version, p.Variant = str(), str(), int(num()), str()
		}
		if flags&4 != 0 {
			p.At = time.UnixMicro(num())
		}
		if flags&8 != 0 {
			p.Latency, p.Error = time.Duration(num()), str()
		}
		if flags&16 != 0 {
			p.Output, p.Score = str(), math.Float64frombits(uint64(num()))
		}
		p.Shadow = flags&32 != 0
		if flags&64 != 0 {
			p.Inputs, p.Proba = raw(byte1()), raw(byte1())
		}
		recs = append(recs, p)
	}
	return recs
}
