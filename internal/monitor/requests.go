package monitor

import (
	"strings"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/stats"
)

// requestKey identifies a request: the primary variants share request ids
// (group −1), each shadow variant has its own.
type requestKey struct {
	group int32
	id    string
}

// hash returns the index key of a request whose id hashes to h.
func (k requestKey) hash(h uint64) uint64 {
	return h ^ uint64(k.group+1)*0x9e3779b97f4a7c15
}

// pendingRequest is a request whose rows may still come.
type pendingRequest struct {
	key    requestKey
	hash   uint64
	group  int32
	bucket int32
	lat    float64 // ms, the largest of its rows'
	failed bool
}

// requestLog remembers the most recent requests, so that the rows of one
// request count it once: a ring in order of first row, and an index by
// hash. A request leaves when the ring is full and a new one comes, or
// when the log is drained, and is then counted. The ring holds the ids as
// the records had them: at most RecentRequests of them stay alive.
type requestLog struct {
	ring  []pendingRequest
	head  int // the oldest request once the ring is full
	index map[uint64]int32
}

func newRequestLog(size int) requestLog {
	return requestLog{ring: make([]pendingRequest, 0, size), index: make(map[uint64]int32, size)}
}

// find returns the slot of a pending request whose id hashes to h, or −1.
func (l *requestLog) find(k requestKey, h uint64) int32 {
	if i, ok := l.index[k.hash(h)]; ok && l.ring[i].key == k {
		return i
	}
	return -1
}

// add starts a request whose id hashes to h and returns its slot, and the
// request it evicted, if any, which the caller counts. (Two pending
// requests whose keys hash alike, a chance of one in 2⁴⁸, leave the older
// out of the index: its further rows would count as another request.)
func (l *requestLog) add(k requestKey, h uint64, group, bucket int32) (int32, pendingRequest, bool) {
	q := pendingRequest{key: k, hash: k.hash(h), group: group, bucket: bucket}
	if len(l.ring) < cap(l.ring) {
		l.ring = append(l.ring, q)
		i := int32(len(l.ring) - 1)
		l.index[q.hash] = i
		return i, pendingRequest{}, false
	}
	i := int32(l.head)
	old := l.ring[i]
	if j, ok := l.index[old.hash]; ok && j == i {
		delete(l.index, old.hash)
	}
	l.ring[i] = q
	l.index[q.hash] = i
	l.head = (l.head + 1) % len(l.ring)
	return i, old, true
}

// drain counts every pending request, oldest first, and empties the log.
func (l *requestLog) drain(count func(*pendingRequest)) {
	n := len(l.ring)
	for k := range n {
		count(&l.ring[(l.head+k)%n])
	}
	clear(l.ring)
	l.ring, l.head = l.ring[:0], 0
	clear(l.index)
}

// agreement pairs the output of each shadow row with the output of the
// primary row of the same request id and row. Pairs are kept when the hash
// of their request id and row is at most limit; when they exceed
// AgreementSample, limit halves and the pairs above it go. (The row is
// hashed too, so that a request of many rows is sampled like many
// requests.)
type agreement struct {
	limit uint64
	pairs map[rowKey]*pair
}

type rowKey struct {
	id  string
	row int
}

// pair holds the outputs of one request id and row.
type pair struct {
	hash    uint64
	primary string
	seen    bool // a primary row was added
	shadows []shadowOutput
}

type shadowOutput struct {
	group  int32
	output string
}

func newAgreement() agreement {
	return agreement{limit: ^uint64(0), pairs: map[rowKey]*pair{}}
}

// add adds a predicted row of group g; h is stats.Hash64(p.RequestID).
func (ag *agreement) add(p *mlw.Prediction, g int32, h uint64) {
	h = stats.Mix64(h + uint64(p.Row)*0x9e3779b97f4a7c15)
	if h > ag.limit {
		return
	}
	k := rowKey{p.RequestID, p.Row}
	e := ag.pairs[k]
	if e == nil {
		e = &pair{hash: h}
		ag.pairs[rowKey{strings.Clone(p.RequestID), p.Row}] = e
	}
	if p.Shadow {
		e.shadows = append(e.shadows, shadowOutput{g, strings.Clone(p.Output)})
	} else {
		e.primary, e.seen = strings.Clone(p.Output), true // the last primary row wins
	}
	for len(ag.pairs) > AgreementSample {
		ag.limit /= 2
		for k, e := range ag.pairs {
			if e.hash > ag.limit {
				delete(ag.pairs, k)
			}
		}
	}
}

// count sets the compared and agreeing rows of the shadow groups.
func (ag *agreement) count(groups []*group) {
	for _, gr := range groups {
		gr.compared, gr.agree = 0, 0
	}
	for _, e := range ag.pairs {
		if !e.seen {
			continue
		}
		for _, s := range e.shadows {
			gr := groups[s.group]
			gr.compared++
			if s.output == e.primary {
				gr.agree++
			}
		}
	}
}
