package monitor

import "math/bits"

// Bounds of the Accumulator. Exact aggregates (counts of requests, rows,
// errors, missing values, type errors, out-of-range values, category
// counts, score sums, the confusion matrix of the labelled rows) cost the
// same whatever the number of rows. What needs the values themselves is
// computed from a uniform random sample of bounded size (reservoir
// sampling, with fixed seeds so that the same records give the same
// report), and is exact while the values fit in it. A time-series bucket
// uses the values of the window's sample that fall in it: all of them
// while the sample holds the whole window, otherwise its share of the
// sample (about 830 values for each of 24 evenly busy buckets), enough for
// the trend the series shows (it moves the normalised Wasserstein distance
// by about 0.03). So nothing is kept per bucket but counts, and the memory
// stays the same from the moment the samples are full, however long the
// window.
//
// The sizes follow the practice of drift tools, which compare a random
// sample of production data rather than all of it (Evidently samples large
// datasets; Dataiku caps the current data of a drift analysis at 50,000
// rows): a sample of n values moves an empirical CDF by about 1/√n, so
// 20,000 values move the normalised Wasserstein distance by about 0.006
// and PSI by less than 0.001, against thresholds of 0.1, and KS against a
// reference of at most 1000 rows (the only case where Evidently's rule
// picks it) sees an effective size nm/(n+m) within 5% of the full
// window's. Categorical drift needs no sample: its counts are exact.
const (
	// NumericSample is the number of values of each numeric or datetime
	// feature, and of the predicted score, kept over the window for drift
	// (8 bytes each, and 4 for the bucket).
	NumericSample = 20_000
	// LatencySample is the number of request latencies kept for the
	// percentiles of the endpoint and of each variant.
	LatencySample = 50_000
	// OnlineSample is the number of labelled rows kept for the online
	// metrics that need every score (roc_auc) or two passes (r2); accuracy,
	// f1_macro, rmse and mae come from exact aggregates.
	OnlineSample = 50_000
	// AgreementSample is the most (request id, row) pairs kept to pair
	// shadow rows with primary rows. Beyond it, the pairs kept are those
	// of the request ids whose hash falls below a threshold that halves
	// whenever the pairs overflow: a deterministic sample of requests,
	// unbiased because the hash ignores the outputs.
	AgreementSample = 20_000
	// RecentRequests is the number of request ids remembered to join the
	// rows of one request: a request counts once as long as its rows lie
	// within this many requests of each other in the log (the server logs
	// them together, in segments of a few hundred rows that only the
	// requests served meanwhile interleave).
	RecentRequests = 1 << 13
	// MaxCategories is the most distinct categories, beyond those of the
	// training references, counted per feature (and the most distinct
	// labels and outputs of the online metrics); further new categories
	// are counted together, as unseen, without their names.
	MaxCategories = 1_000
)

// sampleSeed seeds every reservoir: the same records added in the same
// order give the same report.
const sampleSeed = 0x6d6c77 // "mlw"

// wyrand is the random source of the samples (Wang Yi's wyrand: one
// multiplication per number, and it inlines, which matters at one number
// per value offered to a full sample).
type wyrand struct{ s uint64 }

// newRand returns the random source of one sample owner; stream tells
// owners apart.
func newRand(stream uint64) *wyrand {
	return &wyrand{s: sampleSeed ^ stream*0x9e3779b97f4a7c15}
}

func (r *wyrand) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// below returns a uniform integer in [0, n) (Lemire's multiply-shift; the
// bias, below n/2⁶⁴, is immaterial here).
func (r *wyrand) below(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

// reservoir is a uniform random sample of at most size values of a stream
// (Vitter's algorithm R: the i-th value replaces a random one of the sample
// with probability size/i). While the stream fits, vals holds it whole, in
// order. tags, when kept, carries an int32 per value (the bucket of a
// window sample).
type reservoir struct {
	vals []float64
	tags []int32
	size int
	seen uint64 // values offered
}

func newReservoir(size int) reservoir { return reservoir{size: size} }

// full reports whether values were dropped.
func (r *reservoir) full() bool { return r.seen > uint64(r.size) }

// offer adds x (tagged tag) to the stream.
func (r *reservoir) offer(x float64, tag int32, tagged bool, rng *wyrand) {
	r.seen++
	if len(r.vals) < r.size {
		r.vals = append(r.vals, x)
		if tagged {
			r.tags = append(r.tags, tag)
		}
		return
	}
	if j := rng.below(r.seen); j < uint64(r.size) {
		r.vals[j] = x
		if tagged {
			r.tags[j] = tag
		}
	}
}

// byTag returns the values grouped by tag, in their order within each tag
// (a counting sort: tags lie in [0, n)), in dst, and the start of each
// tag's values in start[0:n+1] (both reused).
func (r *reservoir) byTag(dst []float64, start []int, n int) ([]float64, []int) {
	start = resize(start, n+2)
	clear(start)
	for _, t := range r.tags {
		start[t+2]++
	}
	for b := range n {
		start[b+2] += start[b+1]
	}
	dst = resize(dst, len(r.vals))
	for i, t := range r.tags {
		dst[start[t+1]] = r.vals[i]
		start[t+1]++
	}
	return dst, start[:n+1]
}
