package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"mlw.dev/internal/mlw"
)

// The prediction log is stored in batches: one stored row per endpoint of a
// LogPredictions call, holding all its records in one binary value encoded
// by AppendPredictionBatch, with the columns that select batches (endpoint,
// the earliest and latest At, the number of records). Writing a batch costs
// one row and its index entries whatever the number of records; reading
// decodes the batches that may hold matching records and filters their
// records (PredictionList). Both drivers share this file, so that they store
// the same bytes.
//
// A record's ID is derived from its batch's: ID = batch ID <<
// PredictionIndexBits | index in the batch. IDs are therefore unique and
// increase in the order records were logged, as long as batch IDs do.

const (
	// PredictionIndexBits is the number of low bits of a record's ID that
	// hold its index in its batch.
	PredictionIndexBits = 20
	// MaxPredictionBatch is the most records one stored batch holds; the
	// records of a larger LogPredictions call are split into several.
	MaxPredictionBatch = 1 << PredictionIndexBits
)

// PredictionID returns the ID of record index of stored batch batchID.
func PredictionID(batchID int64, index int) int64 {
	return batchID<<PredictionIndexBits | int64(index)
}

// PredictionBatchID returns the ID of the stored batch that holds the record
// with ID id.
func PredictionBatchID(id int64) int64 { return id >> PredictionIndexBits }

// PredictionBatch is one stored batch of the prediction log: records of one
// endpoint logged by one LogPredictions call, in their order.
type PredictionBatch struct {
	Endpoint string
	// FirstAt and LastAt are the earliest and latest At of the records, in
	// UTC at microsecond precision.
	FirstAt, LastAt time.Time
	// Len is the number of records, at most MaxPredictionBatch.
	Len int
	// Data holds the records, as AppendPredictionBatch encodes them.
	Data []byte
}

// PredictionBatches prepares the records of a LogPredictions call for
// storage: it groups them by endpoint (in the order endpoints first appear),
// splits groups larger than MaxPredictionBatch and encodes each batch. A
// record whose At is zero is stored with now (normalised to UTC
// microseconds); an empty JSON field is stored as nil. recs is not
// modified. It returns EINVALID, naming the record, if a record has no
// endpoint.
func PredictionBatches(recs []mlw.Prediction, now time.Time) ([]PredictionBatch, error) {
	return predictionBatches(recs, now, MaxPredictionBatch)
}

// predictionBatches is PredictionBatches with batches of at most size
// records.
func predictionBatches(recs []mlw.Prediction, now time.Time, size int) ([]PredictionBatch, error) {
	same := true
	for i := range recs {
		if recs[i].Endpoint == "" {
			return nil, mlw.Errorf(mlw.EINVALID, "prediction %d: endpoint is empty", i)
		}
		same = same && recs[i].Endpoint == recs[0].Endpoint
	}
	now = now.UTC().Truncate(time.Microsecond)
	var out []PredictionBatch
	if same {
		for lo := 0; lo < len(recs); lo += size {
			out = append(out, encodeBatch(recs, nil, lo, min(lo+size, len(recs)), now))
		}
		return out, nil
	}
	// Several endpoints: the indexes of each endpoint's records.
	var (
		order  []string
		groups = map[string][]int{}
	)
	for i := range recs {
		e := recs[i].Endpoint
		if _, ok := groups[e]; !ok {
			order = append(order, e)
		}
		groups[e] = append(groups[e], i)
	}
	for _, e := range order {
		idx := groups[e]
		for lo := 0; lo < len(idx); lo += size {
			out = append(out, encodeBatch(recs, idx, lo, min(lo+size, len(idx)), now))
		}
	}
	return out, nil
}

// encodeBatch encodes records lo to hi-1 of recs, or of recs[idx[i]] when
// idx is set, as PredictionBatches stores them.
func encodeBatch(recs []mlw.Prediction, idx []int, lo, hi int, now time.Time) PredictionBatch {
	rec := func(i int) *mlw.Prediction {
		if idx != nil {
			return &recs[idx[i]]
		}
		return &recs[i]
	}
	var e predictionEncoder
	// The JSON fields take most of the room: reserve what they need packed
	// (about half their length).
	size := 16
	for i := lo; i < hi; i++ {
		r := rec(i)
		size += (len(r.Inputs)+len(r.Proba))/2 + len(r.Output) + 24
	}
	e.buf = e.start(make([]byte, 0, size), hi-lo)
	b := PredictionBatch{Endpoint: rec(lo).Endpoint, Len: hi - lo}
	for i := lo; i < hi; i++ {
		r := *rec(i)
		if r.At.IsZero() {
			r.At = now
		} else {
			r.At = r.At.UTC().Truncate(time.Microsecond)
		}
		if len(r.Inputs) == 0 {
			r.Inputs = nil
		}
		if len(r.Proba) == 0 {
			r.Proba = nil
		}
		if i == lo || r.At.Before(b.FirstAt) {
			b.FirstAt = r.At
		}
		if i == lo || r.At.After(b.LastAt) {
			b.LastAt = r.At
		}
		e.add(&r)
	}
	b.Data = e.buf
	return b
}

// Encoding of a batch (all integers are varints, signed ones zigzag encoded
// as encoding/binary does; strings are a uvarint length and the bytes):
//
//	batch  = version (1 byte, 1) count (uvarint) record...
//	record = flags (uvarint) field...
//
// Each record is encoded against the one before it (the first against the
// zero record): the flags say which fields changed, and only those follow,
// in the order request id, row, endpoint, model, version, variant, at
// (microseconds since the previous record's, wrapping), latency, error,
// inputs, output, score (the 8 bytes of its IEEE 754 bits, little endian),
// proba. Inputs and proba are present unless nil, so that an empty value is
// kept apart from nil, and are packed (appendJSON). The bits that change on
// most records come first so that the flags of most records fit in one
// byte.
const predBatchVersion = 1

// Flags of a record.
const (
	flagScore    = 1 << iota // score changed
	flagOutput               // output changed
	flagRow                  // row is not the previous row + 1
	flagRequest              // request id changed
	flagAt                   // at changed
	flagLatency              // latency changed
	flagShadow               // the record is a shadow's (a value, not a change)
	flagNoInputs             // inputs is nil
	flagNoProba              // proba is nil
	flagError                // error changed
	flagEndpoint             // endpoint changed
	flagModel                // model changed
	flagVersion              // version changed
	flagVariant              // variant changed

	flagsKnown = flagVariant<<1 - 1
)

// predictionEncoder appends records to a batch.
type predictionEncoder struct {
	buf  []byte
	prev mlw.Prediction
	at   int64 // prev.At in unix microseconds; 0 for the zero record
}

// start appends the header of a batch of n records to dst.
func (e *predictionEncoder) start(dst []byte, n int) []byte {
	e.prev, e.at = mlw.Prediction{}, 0
	return binary.AppendUvarint(append(dst, predBatchVersion), uint64(n))
}

// add appends r, whose At it keeps at microsecond precision.
func (e *predictionEncoder) add(r *mlw.Prediction) {
	p := &e.prev
	at := r.At.UnixMicro()
	var flags uint64
	set := func(cond bool, f uint64) {
		if cond {
			flags |= f
		}
	}
	set(math.Float64bits(r.Score) != math.Float64bits(p.Score), flagScore)
	set(r.Output != p.Output, flagOutput)
	set(r.Row != p.Row+1, flagRow)
	set(r.RequestID != p.RequestID, flagRequest)
	set(at != e.at, flagAt)
	set(r.Latency != p.Latency, flagLatency)
	set(r.Shadow, flagShadow)
	set(r.Inputs == nil, flagNoInputs)
	set(r.Proba == nil, flagNoProba)
	set(r.Error != p.Error, flagError)
	set(r.Endpoint != p.Endpoint, flagEndpoint)
	set(r.Model != p.Model, flagModel)
	set(r.Version != p.Version, flagVersion)
	set(r.Variant != p.Variant, flagVariant)

	b := binary.AppendUvarint(e.buf, flags)
	if flags&flagRequest != 0 {
		b = appendString(b, r.RequestID)
	}
	if flags&flagRow != 0 {
		b = binary.AppendVarint(b, int64(r.Row))
	}
	if flags&flagEndpoint != 0 {
		b = appendString(b, r.Endpoint)
	}
	if flags&flagModel != 0 {
		b = appendString(b, r.Model)
	}
	if flags&flagVersion != 0 {
		b = binary.AppendVarint(b, int64(r.Version))
	}
	if flags&flagVariant != 0 {
		b = appendString(b, r.Variant)
	}
	if flags&flagAt != 0 {
		b = binary.AppendVarint(b, at-e.at)
	}
	if flags&flagLatency != 0 {
		b = binary.AppendVarint(b, int64(r.Latency))
	}
	if flags&flagError != 0 {
		b = appendString(b, r.Error)
	}
	if r.Inputs != nil {
		b = appendJSON(b, r.Inputs)
	}
	if flags&flagOutput != 0 {
		b = appendString(b, r.Output)
	}
	if flags&flagScore != 0 {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.Score))
	}
	if r.Proba != nil {
		b = appendJSON(b, r.Proba)
	}
	e.buf = b
	*p = *r
	p.Inputs, p.Proba = nil, nil // not compared; do not keep them alive
	e.at = at
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// JSON fields (inputs, proba) are mostly arrays of numbers, and they are
// most of a batch's bytes: the fewer bytes, the less the store writes
// (twice with SQLite, whose write-ahead log is copied into the database),
// and writing costs more CPU per byte than packing. A field is stored in one
// of two forms, which give back the same bytes:
//
//	raw    = uvarint(length << 1) byte...
//	packed = uvarint(codes << 1 | 1) byte... ((codes + 1) / 2 bytes)
//
// The packed form is that of an array: '[', the characters the codes stand
// for, ']'. Each byte holds two 4-bit codes, the first in its high half. A
// code is the low half of the character it stands for ('0' to '9', '+', ',',
// '-', '.'), except 0xA for 'e' and 0xF (jsonEscape), which stands for the
// byte made of the next two codes (high half first). An array is packed when
// that is shorter: numbers take half their room.
//
// Arrays of numbers without exponents, the most common, are packed and
// unpacked eight characters at a time (packEight, unpackEight).
const (
	jsonChars  = "0123456789e+,-.\x00"
	jsonEscape = 0xF
)

// jsonCode is the code of every character: jsonEscape for those without one.
var jsonCode = func() (t [256]byte) {
	for c := range t {
		t[c] = jsonEscape
	}
	for k := range jsonEscape {
		t[jsonChars[k]] = byte(k)
	}
	return t
}()

// ones has a 1 in every byte: b*ones repeats byte b.
const ones = 0x0101010101010101

// packEight packs 8 characters (x, little endian) into 4 bytes when each is
// one of "+,-.0123456789" (0x2b to 0x39 but '/', whose code is their low
// half), and reports whether it did.
func packEight(x uint64) (uint32, bool) {
	// For a byte b below 0x80, (b | 0x80) - 0x2b keeps its high bit if b >=
	// 0x2b, and 0xb9 - b has it if b <= 0x39, never borrowing from the next
	// byte; (b ^ '/') - 1 has it if b is '/'.
	in := ((x | 0x80*ones) - 0x2b*ones) & (0xb9*ones - x)
	slash := (x ^ '/'*ones) - ones
	if (x|^in|slash)&(0x80*ones) != 0 {
		return 0, false
	}
	y := x & (0x0f * ones)
	t := (y<<4 | y>>8) & 0x00ff00ff00ff00ff // byte 2i: code 2i << 4 | code 2i+1
	t = (t | t>>8) & 0x0000ffff0000ffff
	return uint32(t | t>>16), true
}

// unpackEight unpacks the 8 characters packEight packed into p, and reports
// whether it could: whether none of their codes is 0xA or 0xF.
func unpackEight(p uint32) (uint64, bool) {
	x := uint64(p)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff // byte 2i: packed byte i
	c := (x>>4)&(0x0f*ones) | (x&(0x0f*ones))<<8
	// For each code c, (c | 0x80) - 0xa keeps the high bit if c >= 0xa;
	// c ^ 0xa and c ^ 0xf are 0 for the codes packEight never makes.
	ge10 := ((c | 0x80*ones) - 0x0a*ones) & (0x80 * ones)
	isA := (c ^ 0x0a*ones) - ones
	isF := (c ^ 0x0f*ones) - ones
	if (isA|isF)&(0x80*ones) != 0 {
		return 0, false
	}
	// '0' + c for digits, 0x20 | c for "+,-.".
	return c | 0x30*ones ^ ge10>>3, true
}

// appendJSON appends a JSON field, packed when that is shorter.
func appendJSON(b, v []byte) []byte {
	if len(v) < 4 || v[0] != '[' || v[len(v)-1] != ']' {
		return appendRawJSON(b, v)
	}
	in := v[1 : len(v)-1]
	// Packed eight at a time, there is a code per character; the last
	// eight are padded with '0' (code 0, then unused).
	start := len(b)
	b = binary.AppendUvarint(b, uint64(len(in))<<1|1)
	n := len(b)
	size := (len(in) + 1) / 2
	b = slices.Grow(b, size+4)[:n+size+4]
	i := packEights(b[n:], in)
	if i < len(in) && len(in)-i < 8 {
		last := [8]byte{'0', '0', '0', '0', '0', '0', '0', '0'}
		copy(last[:], in[i:])
		if p, ok := packEight(binary.LittleEndian.Uint64(last[:])); ok {
			binary.LittleEndian.PutUint32(b[n+i/2:], p)
			i = len(in)
		}
	}
	if i < len(in) {
		return appendCodedJSON(b[:start], v)
	}
	return b[:n+size]
}

// packEights packs the characters of in eight at a time into out, as long
// as packEight can, and returns how many it packed.
func packEights(out, in []byte) int {
	i := 0
	for ; i+8 <= len(in); i += 8 {
		p, ok := packEight(binary.LittleEndian.Uint64(in[i:]))
		if !ok {
			break
		}
		binary.LittleEndian.PutUint32(out[i/2:], p)
	}
	return i
}

// appendCodedJSON appends a JSON array, packed one character at a time when
// that is shorter.
func appendCodedJSON(b, v []byte) []byte {
	in := v[1 : len(v)-1]
	codes := len(in)
	for _, c := range in {
		if jsonCode[c] == jsonEscape {
			codes += 2
		}
	}
	size := (codes + 1) / 2
	if uvarintLen(uint64(codes)<<1|1)+size >= uvarintLen(uint64(len(v))<<1)+len(v) {
		return appendRawJSON(b, v)
	}
	b = binary.AppendUvarint(b, uint64(codes)<<1|1)
	n := len(b)
	b = slices.Grow(b, size)[:n+size]
	out := b[n:]
	j := 0 // codes written
	put := func(k byte) {
		if j&1 == 0 {
			out[j>>1] = k << 4
		} else {
			out[j>>1] |= k
		}
		j++
	}
	for _, c := range in {
		k := jsonCode[c]
		put(k)
		if k == jsonEscape {
			put(c >> 4)
			put(c & 15)
		}
	}
	return b
}

// uvarintLen returns the length of the uvarint encoding of v.
func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// appendRawJSON appends a JSON field unpacked.
func appendRawJSON(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))<<1), v...)
}

// unpackJSON appends to dst the array whose codes codes are packed in src,
// which holds (codes + 1) / 2 bytes.
func unpackJSON(dst, src []byte, codes int) ([]byte, error) {
	dst = append(dst, '[')
	j := 0
	for ; j+8 <= codes; j += 8 {
		x, ok := unpackEight(binary.LittleEndian.Uint32(src[j>>1:]))
		if !ok {
			break
		}
		dst = binary.LittleEndian.AppendUint64(dst, x)
	}
	code := func(j int) byte {
		if j&1 == 0 {
			return src[j>>1] >> 4
		}
		return src[j>>1] & 15
	}
	for j < codes {
		k := code(j)
		j++
		if k != jsonEscape {
			dst = append(dst, jsonChars[k])
			continue
		}
		if j+2 > codes {
			return nil, fmt.Errorf("%w: truncated escape in a JSON field", errCorrupt)
		}
		dst = append(dst, code(j)<<4|code(j+1))
		j += 2
	}
	return append(dst, ']'), nil
}

// AppendPredictionBatch appends the encoding of recs, one batch, to dst and
// returns the extended buffer. Every field but ID, Label and Labeled is
// kept: At at microsecond precision (in UTC when decoded), Inputs and Proba
// byte for byte, nil apart from empty, and Score bit for bit (NaN
// included). It panics if recs holds more than MaxPredictionBatch records.
func AppendPredictionBatch(dst []byte, recs []mlw.Prediction) []byte {
	if len(recs) > MaxPredictionBatch {
		panic("store: AppendPredictionBatch: more than MaxPredictionBatch records")
	}
	e := predictionEncoder{}
	e.buf = e.start(dst, len(recs))
	for i := range recs {
		r := recs[i]
		r.At = r.At.UTC().Truncate(time.Microsecond)
		e.add(&r)
	}
	return e.buf
}

// errCorrupt is the cause of every decoding error.
var errCorrupt = errors.New("corrupt prediction batch")

// predictionDecoder reads the records of a batch one at a time. Strings are
// made only for the records asked for and only when they changed: records
// skipped by a filter cost no allocation.
type predictionDecoder struct {
	data []byte
	off  int
	n, i int // records in the batch, records read

	flags                                          uint64
	request, endpoint, model, variant, err, output lazyString
	row, version                                   int
	at, latency                                    int64
	score                                          float64
	inputs, proba                                  jsonField
}

// jsonField is a JSON field of the decoder: its stored bytes, raw or packed.
type jsonField struct {
	b      []byte
	codes  int // packed: the number of codes in b; raw: -1
	absent bool
}

// value returns the field's bytes: raw ones share the batch's data, packed
// ones are unpacked into a.
func (f *jsonField) value(a *arena) ([]byte, error) {
	switch {
	case f.absent:
		return nil, nil
	case f.codes < 0:
		return f.b, nil
	}
	return a.unpack(f.b, f.codes)
}

// arena holds unpacked JSON fields in chunks, so that the records of a
// batch do not each allocate theirs.
type arena struct {
	chunk []byte // its unused part is chunk[len:cap]
}

const (
	arenaChunk = 64 << 10
	arenaLarge = arenaChunk / 8 // larger fields get memory of their own
)

// unpack unpacks codes codes of src into the arena and returns them, capped
// so that appending to them cannot reach the rest of the chunk.
func (a *arena) unpack(src []byte, codes int) ([]byte, error) {
	// codes codes unpack into at most codes + 2 bytes (with the brackets).
	n := codes + 2
	if n > arenaLarge {
		v, err := unpackJSON(make([]byte, 0, n), src, codes)
		return v[:len(v):len(v)], err
	}
	if cap(a.chunk)-len(a.chunk) < n {
		a.chunk = make([]byte, 0, arenaChunk)
	}
	start := len(a.chunk)
	v, err := unpackJSON(a.chunk, src, codes)
	if err != nil {
		return nil, err
	}
	a.chunk = v
	return v[start:len(v):len(v)], nil
}

// lazyString is a string field of the decoder: its bytes, and the string
// made of them once asked for.
type lazyString struct {
	b    []byte
	s    string
	made bool
}

func (l *lazyString) set(b []byte) { l.b, l.s, l.made = b, "", false }

func (l *lazyString) String() string {
	if !l.made {
		l.s, l.made = string(l.b), true
	}
	return l.s
}

// reset starts decoding data, reading its header.
func (d *predictionDecoder) reset(data []byte) error {
	*d = predictionDecoder{data: data}
	if len(data) == 0 || data[0] != predBatchVersion {
		return fmt.Errorf("%w: unknown version", errCorrupt)
	}
	d.off = 1
	n, err := d.uvarint()
	if err != nil {
		return err
	}
	// Every record takes at least one byte: this bounds n by len(data).
	if n > MaxPredictionBatch || n > uint64(len(data)-d.off) {
		return fmt.Errorf("%w: %d records in %d bytes", errCorrupt, n, len(data))
	}
	d.n = int(n)
	return nil
}

// next decodes the next record into the decoder's fields. It returns false
// at the end of the batch, and an error if the batch is corrupt.
func (d *predictionDecoder) next() (bool, error) {
	if d.i == d.n {
		if d.off != len(d.data) {
			return false, fmt.Errorf("%w: %d bytes after the last record", errCorrupt, len(d.data)-d.off)
		}
		return false, nil
	}
	d.i++
	flags, err := d.uvarint()
	if err != nil {
		return false, err
	}
	if flags&^flagsKnown != 0 {
		return false, fmt.Errorf("%w: unknown flags %#x", errCorrupt, flags)
	}
	d.flags = flags
	if err := d.str(flagRequest, &d.request); err != nil {
		return false, err
	}
	if flags&flagRow != 0 {
		v, err := d.varint()
		if err != nil {
			return false, err
		}
		d.row = int(v)
	} else {
		d.row++
	}
	if err := d.str(flagEndpoint, &d.endpoint); err != nil {
		return false, err
	}
	if err := d.str(flagModel, &d.model); err != nil {
		return false, err
	}
	if flags&flagVersion != 0 {
		v, err := d.varint()
		if err != nil {
			return false, err
		}
		d.version = int(v)
	}
	if err := d.str(flagVariant, &d.variant); err != nil {
		return false, err
	}
	if flags&flagAt != 0 {
		v, err := d.varint()
		if err != nil {
			return false, err
		}
		d.at += v
	}
	if flags&flagLatency != 0 {
		if d.latency, err = d.varint(); err != nil {
			return false, err
		}
	}
	if err := d.str(flagError, &d.err); err != nil {
		return false, err
	}
	if err := d.json(flags&flagNoInputs != 0, &d.inputs); err != nil {
		return false, err
	}
	if err := d.str(flagOutput, &d.output); err != nil {
		return false, err
	}
	if flags&flagScore != 0 {
		if len(d.data)-d.off < 8 {
			return false, fmt.Errorf("%w: truncated score", errCorrupt)
		}
		d.score = math.Float64frombits(binary.LittleEndian.Uint64(d.data[d.off:]))
		d.off += 8
	}
	if err := d.json(flags&flagNoProba != 0, &d.proba); err != nil {
		return false, err
	}
	return true, nil
}

// time returns the At of the current record; the zero time's microseconds
// give the zero time back.
func (d *predictionDecoder) time() time.Time { return time.UnixMicro(d.at).UTC() }

// record sets the fields of r to the current record's. The JSON fields
// share the decoded data or memory of a, each capped at its own bytes. It
// returns an error if a JSON field is corrupt.
func (d *predictionDecoder) record(r *mlw.Prediction, a *arena) error {
	inputs, err := d.inputs.value(a)
	if err != nil {
		return err
	}
	proba, err := d.proba.value(a)
	if err != nil {
		return err
	}
	r.RequestID, r.Row, r.Endpoint, r.Model = d.request.String(), d.row, d.endpoint.String(), d.model.String()
	r.Version, r.Variant, r.Shadow = d.version, d.variant.String(), d.flags&flagShadow != 0
	r.At, r.Latency, r.Error = d.time(), time.Duration(d.latency), d.err.String()
	r.Inputs, r.Output, r.Score, r.Proba = inputs, d.output.String(), d.score, proba
	return nil
}

func (d *predictionDecoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.data[d.off:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad varint at byte %d", errCorrupt, d.off)
	}
	d.off += n
	return v, nil
}

func (d *predictionDecoder) varint() (int64, error) {
	v, n := binary.Varint(d.data[d.off:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad varint at byte %d", errCorrupt, d.off)
	}
	d.off += n
	return v, nil
}

// bytes reads a value of n bytes, capped at its length (never nil).
func (d *predictionDecoder) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(d.data)-d.off) {
		return nil, fmt.Errorf("%w: value of %d bytes at byte %d overruns the batch", errCorrupt, n, d.off)
	}
	end := d.off + int(n)
	b := d.data[d.off:end:end]
	d.off = end
	return b, nil
}

// str reads a string field when flag is set in the current flags.
func (d *predictionDecoder) str(flag uint64, l *lazyString) error {
	if d.flags&flag == 0 {
		return nil
	}
	n, err := d.uvarint()
	if err != nil {
		return err
	}
	b, err := d.bytes(n)
	if err != nil {
		return err
	}
	l.set(b)
	return nil
}

// json reads a JSON field unless it is absent.
func (d *predictionDecoder) json(absent bool, f *jsonField) error {
	*f = jsonField{absent: absent, codes: -1}
	if absent {
		return nil
	}
	h, err := d.uvarint()
	if err != nil {
		return err
	}
	n := h >> 1
	if h&1 != 0 {
		if n > uint64(2*(len(d.data)-d.off)) {
			return fmt.Errorf("%w: JSON field of %d codes at byte %d overruns the batch", errCorrupt, n, d.off)
		}
		f.codes = int(n)
		n = (n + 1) / 2
	}
	f.b, err = d.bytes(n)
	return err
}

// DecodePredictionBatch decodes a batch AppendPredictionBatch encoded. The
// records' JSON fields share data, which the caller must no longer modify.
// It returns an error, and no records, if data is not such a batch.
func DecodePredictionBatch(data []byte) ([]mlw.Prediction, error) {
	var d predictionDecoder
	if err := d.reset(data); err != nil {
		return nil, err
	}
	var a arena
	recs := make([]mlw.Prediction, 0, d.n)
	for {
		ok, err := d.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return recs, nil
		}
		recs = append(recs, mlw.Prediction{})
		if err := d.record(&recs[len(recs)-1], &a); err != nil {
			return nil, err
		}
	}
}

// PredictionList gathers the records of a ListPredictions call from the
// stored batches a driver reads. The driver selects the batches of
// p.Endpoint that may hold matching records (LastAt >= Since, FirstAt <
// Until, batch ID >= PredictionBatchID(AfterID)), passes them to Add in ID
// order until Add reports that no more are needed, then reads the feedback
// of RequestIDs, passes each label to Label and returns Records.
type PredictionList struct {
	p            *ListPredictionsParams
	since, until int64 // unix microseconds, inclusive and exclusive
	recs         []*mlw.Prediction
	slab         []mlw.Prediction // where the records are allocated
	arena        arena            // where their JSON is unpacked
	dec          predictionDecoder
	labels       map[labelKey]string
}

// labelKey identifies the row a label belongs to within an endpoint.
type labelKey struct {
	request string
	row     int
}

// NewPredictionList returns an empty list of the records p selects.
func NewPredictionList(p *ListPredictionsParams) *PredictionList {
	l := &PredictionList{p: p, since: math.MinInt64, until: math.MaxInt64, recs: []*mlw.Prediction{}}
	if !p.Since.IsZero() {
		l.since = p.Since.UnixMicro()
	}
	if !p.Until.IsZero() {
		l.until = p.Until.UnixMicro()
	}
	return l
}

// Len returns the number of records the list holds.
func (l *PredictionList) Len() int { return len(l.recs) }

// Full reports whether the list holds Limit records: no later batch is
// needed.
func (l *PredictionList) Full() bool { return l.p.Limit > 0 && len(l.recs) >= l.p.Limit }

// Add appends the records of stored batch id (its Data) that the list
// selects, with their IDs. It returns false once the list holds Limit
// records, when no later batch is needed, and an error if data is corrupt.
func (l *PredictionList) Add(id int64, data []byte) (bool, error) {
	if l.Full() {
		return false, nil
	}
	d := &l.dec
	if err := d.reset(data); err != nil {
		return false, fmt.Errorf("prediction batch %d: %w", id, err)
	}
	skip := -1 // records with an index up to skip are at or before AfterID
	if l.p.AfterID > 0 && PredictionBatchID(l.p.AfterID) == id {
		skip = int(l.p.AfterID & (MaxPredictionBatch - 1))
	} else if l.p.AfterID > 0 && id < PredictionBatchID(l.p.AfterID) {
		skip = d.n
	}
	for i := 0; ; i++ {
		ok, err := d.next()
		if err != nil {
			return false, fmt.Errorf("prediction batch %d: %w", id, err)
		}
		if !ok {
			return true, nil
		}
		if i <= skip || d.at < l.since || d.at >= l.until || d.flags&flagShadow != 0 && !l.p.IncludeShadow ||
			l.p.Variant != "" && string(d.variant.b) != l.p.Variant {
			continue
		}
		if len(l.slab) == 0 {
			n := min(256, d.n-i)
			if l.p.Limit > 0 {
				n = min(n, l.p.Limit-len(l.recs))
			}
			l.slab = make([]mlw.Prediction, n)
		}
		r := &l.slab[0]
		l.slab = l.slab[1:]
		if err := d.record(r, &l.arena); err != nil {
			return false, fmt.Errorf("prediction batch %d: %w", id, err)
		}
		r.ID = PredictionID(id, i)
		l.recs = append(l.recs, r)
		if l.Full() {
			return false, nil
		}
	}
}

// RequestIDs returns the request IDs of the records, each once per run of
// records that share it: those whose feedback the driver reads.
func (l *PredictionList) RequestIDs() []string {
	var ids []string
	for i, r := range l.recs {
		if i == 0 || r.RequestID != l.recs[i-1].RequestID {
			ids = append(ids, r.RequestID)
		}
	}
	return ids
}

// Label records the label of row of request requestID of the endpoint.
func (l *PredictionList) Label(requestID string, row int, label string) {
	if l.labels == nil {
		l.labels = map[labelKey]string{}
	}
	l.labels[labelKey{requestID, row}] = label
}

// Records returns the records, in ID order, with their labels joined. It
// never returns nil.
func (l *PredictionList) Records() []*mlw.Prediction {
	if len(l.labels) > 0 {
		for _, r := range l.recs {
			r.Label, r.Labeled = l.labels[labelKey{r.RequestID, r.Row}]
		}
	}
	return l.recs
}
