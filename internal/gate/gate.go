// Package gate is the pre-production checklist of a model version: checks a
// program can run (targets met, baseline beaten, segments, calibration, edge
// cases, latency, save/load, recent data, improvement over the champion) and
// items people sign off (privacy review, rollback plan, on-call...).
package gate

import (
	"fmt"
	"math"
	"slices"
)

// Statuses of an item.
const (
	Pass         = "pass"
	Fail         = "fail"
	NeedsSignOff = "needs sign-off"
	Signed       = "signed"
	Skipped      = "skipped"
)

// Item is one line of the checklist.
type Item struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Status   string `json:"status"`
	Evidence string `json:"evidence"`
}

// Result is a checklist run.
type Result struct {
	Model  string `json:"model"`
	Items  []Item `json:"items"`
	Passed bool   `json:"passed"`
	// Failed and Unsigned count the items that keep the gate closed.
	Failed   int `json:"failed"`
	Unsigned int `json:"unsigned"`
}

// SignOffItems are the checks no program can make.
var SignOffItems = []Item{
	{ID: "privacy_review", Title: "Privacy review done"},
	{ID: "fairness_audit", Title: "Fairness audit done"},
	{ID: "security_scan", Title: "Security scan of the serving path done"},
	{ID: "rollback_plan", Title: "Rollback plan documented"},
	{ID: "on_call", Title: "On-call engineer assigned"},
	{ID: "stakeholders_informed", Title: "Stakeholders informed"},
	{ID: "support_trained", Title: "Support team trained"},
}

// IsSignOff reports whether id names a sign-off item.
func IsSignOff(id string) bool {
	return slices.ContainsFunc(SignOffItems, func(it Item) bool { return it.ID == id })
}

// Finish adds the sign-off items (signed ones as signed, with who and why) and
// computes the verdict: the gate passes when no item failed and every sign-off
// item is signed.
func Finish(model string, items []Item, signed map[string]string) *Result {
	for _, it := range SignOffItems {
		if ev, ok := signed[it.ID]; ok {
			it.Status, it.Evidence = Signed, ev
		} else {
			it.Status, it.Evidence = NeedsSignOff, "mlw check "+model+" --sign "+it.ID+" --reason TEXT"
		}
		items = append(items, it)
	}
	r := &Result{Model: model, Items: items}
	for _, it := range items {
		switch it.Status {
		case Fail:
			r.Failed++
		case NeedsSignOff:
			r.Unsigned++
		}
	}
	r.Passed = r.Failed == 0 && r.Unsigned == 0
	return r
}

// Target is a technical success metric of the canvas.
type Target struct {
	Metric   string
	Min, Max *float64
}

// CheckTargets compares measured metrics with the canvas targets.
func CheckTargets(targets []Target, measured map[string]float64, part string) Item {
	it := Item{ID: "success_metrics", Title: "Meets the canvas technical success metrics on " + part}
	if len(targets) == 0 {
		it.Status, it.Evidence = Skipped, "the canvas sets no technical success metric"
		return it
	}
	it.Status = Pass
	var parts []string
	for _, t := range targets {
		v, ok := measured[t.Metric]
		switch {
		case !ok || math.IsNaN(v):
			it.Status = Fail
			parts = append(parts, t.Metric+" not measured")
		case t.Min != nil && v < *t.Min:
			it.Status = Fail
			parts = append(parts, fmt.Sprintf("%s %.4f < %g", t.Metric, v, *t.Min))
		case t.Max != nil && v > *t.Max:
			it.Status = Fail
			parts = append(parts, fmt.Sprintf("%s %.4f > %g", t.Metric, v, *t.Max))
		default:
			parts = append(parts, fmt.Sprintf("%s %.4f ok", t.Metric, v))
		}
	}
	it.Evidence = joinParts(parts)
	return it
}

// CheckImprovement compares the candidate's primary metric with the current
// champion's on the same data: it must gain at least minAbs and minRel
// (relative to the champion's value), in the metric's direction.
func CheckImprovement(metric string, candidate, champion float64, higherIsBetter bool, minAbs, minRel float64) Item {
	it := Item{ID: "beats_champion", Title: "Improves on the current champion"}
	gain := candidate - champion
	if !higherIsBetter {
		gain = -gain
	}
	need := math.Max(minAbs, minRel*math.Abs(champion))
	it.Evidence = fmt.Sprintf("%s %.4f vs champion %.4f: gain %+.4f, needed > %.4f", metric, candidate, champion, gain, need)
	if gain > need || need == 0 && gain >= 0 {
		it.Status = Pass
	} else {
		it.Status = Fail
	}
	return it
}

func joinParts(p []string) string {
	out := ""
	for i, s := range p {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}
