package mlw

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

// AuditEvent records one change of state: who did what to which target, when and why.
// Events form a hash chain: each Hash covers the event's fields and the previous
// event's Hash, so altering or removing a stored event breaks the chain.
type AuditEvent struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"` // e.g. "dataset.add", "model.alias"
	Target   string          `json:"target"` // e.g. "churn@3"
	Reason   string          `json:"reason,omitempty"`
	Details  json.RawMessage `json:"details,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// GenesisHash is the PrevHash of the first event.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the hex sha256 of the event's fields (all but Hash), each
// length-prefixed so that no two different events encode alike. Time is taken in
// UTC at microsecond precision, which every store keeps exactly.
func (e *AuditEvent) ComputeHash() string {
	h := sha256.New()
	var buf [8]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint64(buf[:], uint64(len(b)))
		h.Write(buf[:])
		h.Write(b)
	}
	binary.BigEndian.PutUint64(buf[:], uint64(e.Seq))
	h.Write(buf[:])
	put([]byte(e.Time.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)))
	put([]byte(e.Actor))
	put([]byte(e.Action))
	put([]byte(e.Target))
	put([]byte(e.Reason))
	put(e.Details)
	put([]byte(e.PrevHash))
	return hex.EncodeToString(h.Sum(nil))
}

// Seal sets Seq, PrevHash and Hash so that the event follows prev (nil for the
// first event). Stores call it inside the transaction that appends the event.
func (e *AuditEvent) Seal(prev *AuditEvent) {
	if prev == nil {
		e.Seq, e.PrevHash = 1, GenesisHash
	} else {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.Hash = e.ComputeHash()
}
