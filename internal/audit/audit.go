// Package audit builds the audit events that every change of state records, and
// verifies the hash chain they form in the store.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os/user"
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// Actor returns who is acting: MLW_USER when set, else the OS user name, else "unknown".
func Actor(getenv func(string) string) string {
	if u := getenv("MLW_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// New returns an unsealed event; details, when not nil, are stored as JSON.
func New(now time.Time, actor, action, target, reason string, details any) *mlw.AuditEvent {
	ev := &mlw.AuditEvent{Time: now, Actor: actor, Action: action, Target: target, Reason: reason}
	if details != nil {
		b, err := json.Marshal(details)
		if err != nil {
			panic(fmt.Sprintf("audit: details of %s are not JSON: %v", action, err))
		}
		ev.Details = b
	}
	return ev
}

// Report is the outcome of Verify.
type Report struct {
	Events   int64           `json:"events"`
	Head     string          `json:"head"` // hash of the newest event: keep it to detect removal of the tail later
	OK       bool            `json:"ok"`
	FirstBad *mlw.AuditEvent `json:"first_bad,omitempty"`
	Problem  string          `json:"problem,omitempty"`
	Expected string          `json:"expected_head,omitempty"`
}

// pageSize is how many events Verify reads at a time.
const pageSize = 1000

// Verify walks the whole chain: sequence numbers must run 1, 2, 3… without gaps,
// each PrevHash must equal the previous event's Hash, and each Hash must match the
// event's content. It stops at the first bad event. When expectHead is not empty,
// the newest event's hash must equal it, which also detects removed tail events.
func Verify(ctx context.Context, s store.Store, expectHead string) (*Report, error) {
	rep := &Report{OK: true}
	var prev *mlw.AuditEvent
	var after int64
	for {
		evs, err := s.ListAudit(ctx, &store.ListAuditParams{AfterSeq: after, Limit: pageSize})
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if problem := check(prev, ev); problem != "" {
				rep.OK, rep.FirstBad, rep.Problem = false, ev, problem
				return rep, nil
			}
			prev = ev
			rep.Events++
			rep.Head = ev.Hash
		}
		if len(evs) < pageSize {
			break
		}
		after = evs[len(evs)-1].Seq
	}
	if expectHead != "" && rep.Head != expectHead {
		rep.OK, rep.Expected = false, expectHead
		rep.Problem = fmt.Sprintf("newest event's hash %s is not the expected head %s: events were removed or rewritten", short(rep.Head), short(expectHead))
	}
	return rep, nil
}

func check(prev, ev *mlw.AuditEvent) string {
	wantSeq, wantPrev := int64(1), mlw.GenesisHash
	if prev != nil {
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	switch {
	case ev.Seq != wantSeq:
		return fmt.Sprintf("event %d follows event %d: events %d to %d were removed", ev.Seq, wantSeq-1, wantSeq, ev.Seq-1)
	case ev.PrevHash != wantPrev:
		return fmt.Sprintf("event %d does not link to the event before it (prev_hash %s, want %s): the chain was rewritten", ev.Seq, short(ev.PrevHash), short(wantPrev))
	case ev.ComputeHash() != ev.Hash:
		return fmt.Sprintf("event %d was altered: its content no longer matches its hash %s", ev.Seq, short(ev.Hash))
	}
	return ""
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
