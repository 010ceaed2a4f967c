// Package deploy is the deployment state machine: what each endpoint serves
// (one version, a shadow beside it, an A/B split, a canary in steps, a
// blue-green pair), persisted in the store as revisions and audited, and how
// a running server follows it.
//
// Every change (deploy, canary step, promote, rollback) writes a new revision
// of the endpoint with a Spec; the latest revision is live. Revisions are
// written with the revision they were computed from as the expected one, so
// two replicas driving the same canary never both advance it.
//
// Service changes deployments (the CLI and the admin API call it); Syncer
// keeps a serve.Table in step with the store in a running server; Controller
// advances canaries by analysing the prediction log.
package deploy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"mlw.dev/internal/mlw"
)

// Strategies.
const (
	Direct    = "direct"
	Shadow    = "shadow"
	AB        = "ab"
	Canary    = "canary"
	BlueGreen = "bluegreen"
)

// Strategies lists the strategies in the order the help shows them.
var Strategies = []string{Direct, Shadow, AB, Canary, BlueGreen}

// States of a revision.
const (
	// StateLive: the revision serves and nothing is in progress.
	StateLive = "live"
	// StateShadowing: a shadow receives a mirror of the traffic.
	StateShadowing = "shadowing"
	// StateSplitting: an A/B split is in progress.
	StateSplitting = "splitting"
	// StateCanary: a canary is between steps.
	StateCanary = "canary"
	// StatePromoted: the new version took all traffic.
	StatePromoted = "promoted"
	// StateRolledBack: the endpoint went back to the revision it was changed from.
	StateRolledBack = "rolled_back"
	// StateUndeployed: the endpoint serves nothing.
	StateUndeployed = "undeployed"
)

// Variant names.
const (
	VariantPrimary = "primary"
	VariantShadow  = "shadow"
	VariantA       = "a"
	VariantB       = "b"
	VariantStable  = "stable"
	VariantCanary  = "canary"
	VariantBlue    = "blue"
	VariantGreen   = "green"
)

// DefaultCanarySteps are the canary's traffic percentages.
var DefaultCanarySteps = []int{5, 25, 50, 100}

// Defaults of a canary's analysis.
const (
	DefaultCanaryInterval = 5 * time.Minute
	DefaultMaxErrorRate   = 0.01
	DefaultMaxP99         = 0 // no latency limit unless asked
	DefaultMaxShift       = 0.25
	DefaultMinRequests    = 20
)

// VariantSpec is one model version serving under a variant name.
type VariantSpec struct {
	Name    string `json:"name"`
	Model   string `json:"model"`
	Version int    `json:"version"`
	// Artifact is the bundle's content-addressed key, so that a server loads
	// it without asking the registry.
	Artifact string `json:"artifact"`
	Weight   int    `json:"weight,omitempty"`
}

// Ref returns NAME@N.
func (v VariantSpec) Ref() string { return fmt.Sprintf("%s@%d", v.Model, v.Version) }

// CanarySpec is the plan and progress of a canary.
type CanarySpec struct {
	Steps       []int     `json:"steps"` // percentages of traffic, ascending, ending at 100
	Step        int       `json:"step"`  // index of the step in progress
	StepStarted time.Time `json:"step_started"`
	Interval    Duration  `json:"interval"`
	// Limits: the canary is rolled back when its error rate exceeds
	// MaxErrorRate, its p99 latency exceeds MaxP99Ms (0: no limit), the PSI of
	// its predictions against the stable version's exceeds MaxShift, or its
	// online accuracy (once feedback labels exist) is lower than the stable
	// version's by more than MaxAccuracyDrop.
	MaxErrorRate    float64 `json:"max_error_rate"`
	MaxP99Ms        float64 `json:"max_p99_ms"`
	MaxShift        float64 `json:"max_shift"`
	MaxAccuracyDrop float64 `json:"max_accuracy_drop"`
	// MinRequests is the canary traffic a step needs before it is judged;
	// with less, the step is held.
	MinRequests int `json:"min_requests"`
}

// Spec is what an endpoint serves at one revision.
type Spec struct {
	// Variants answer requests, with weights when there are several.
	Variants []VariantSpec `json:"variants"`
	// Shadows receive a mirror of the traffic.
	Shadows []VariantSpec `json:"shadows,omitempty"`
	// StickyHeader or StickyField assign a request's variant by a hashed key.
	StickyHeader string `json:"sticky_header,omitempty"`
	StickyField  string `json:"sticky_field,omitempty"`
	// Standby is the version a blue-green switch replaced: kept loaded so
	// that a rollback is instant, until promoted away.
	Standby *VariantSpec `json:"standby,omitempty"`
	// Canary is set while a canary is in progress.
	Canary *CanarySpec `json:"canary,omitempty"`
	// Base is the revision this one was changed from (0 for the first): a
	// rollback returns to it.
	Base int `json:"base,omitempty"`
	// Verified records blue-green checks passed before the switch.
	Verified []string `json:"verified,omitempty"`
	// Analysis is the canary analysis that led to this revision.
	Analysis *Analysis `json:"analysis,omitempty"`
	// RetireOnPromote asks that the version replaced be retired (the
	// champion alias moved, the old version archived) when the new one is
	// promoted: the retraining workflow's deployments.
	RetireOnPromote bool `json:"retire_on_promote,omitempty"`
}

// All returns every variant of the spec: answering, shadows and standby.
func (s *Spec) All() []VariantSpec {
	all := slices.Concat(s.Variants, s.Shadows)
	if s.Standby != nil {
		all = append(all, *s.Standby)
	}
	return all
}

// Primary returns the answering variant with the largest weight (the first
// of equals).
func (s *Spec) Primary() VariantSpec {
	best := 0
	for i, v := range s.Variants {
		if v.Weight > s.Variants[best].Weight {
			best = i
		}
	}
	return s.Variants[best]
}

// Variant returns the answering or shadow variant named name.
func (s *Spec) Variant(name string) (VariantSpec, bool) {
	for _, v := range slices.Concat(s.Variants, s.Shadows) {
		if v.Name == name {
			return v, true
		}
	}
	return VariantSpec{}, false
}

// Validate checks a spec's shape.
func (s *Spec) Validate() error {
	if len(s.Variants) == 0 {
		return mlw.Errorf(mlw.EINVALID, "deployment spec has no variant")
	}
	seen := map[string]bool{}
	sum := 0
	for _, v := range s.All() {
		if err := mlw.ValidName(v.Name); err != nil {
			return mlw.Errorf(mlw.EINVALID, "variant: %s", mlw.ErrorMessage(err))
		}
		if v.Model == "" || v.Version <= 0 || v.Artifact == "" {
			return mlw.Errorf(mlw.EINVALID, "variant %s: model, version and artifact are required", v.Name)
		}
		if seen[v.Name] {
			return mlw.Errorf(mlw.EINVALID, "two variants are named %s", v.Name)
		}
		seen[v.Name] = true
	}
	for _, v := range s.Variants {
		if v.Weight < 0 {
			return mlw.Errorf(mlw.EINVALID, "variant %s: negative weight %d", v.Name, v.Weight)
		}
		sum += v.Weight
	}
	if len(s.Variants) > 1 && sum == 0 {
		return mlw.Errorf(mlw.EINVALID, "the weights of the variants sum to 0")
	}
	if s.StickyHeader != "" && s.StickyField != "" {
		return mlw.Errorf(mlw.EINVALID, "set a sticky header or a sticky field, not both")
	}
	if c := s.Canary; c != nil {
		if err := validSteps(c.Steps); err != nil {
			return err
		}
		if c.Step < 0 || c.Step >= len(c.Steps) {
			return mlw.Errorf(mlw.EINVALID, "canary step %d is out of range", c.Step)
		}
	}
	return nil
}

func validSteps(steps []int) error {
	if len(steps) == 0 {
		return mlw.Errorf(mlw.EINVALID, "--steps: a canary needs at least one step")
	}
	prev := 0
	for _, p := range steps {
		if p <= prev || p > 100 {
			return mlw.Errorf(mlw.EINVALID, "--steps %s: want increasing percentages in 1..100", joinInts(steps))
		}
		prev = p
	}
	if prev != 100 {
		return mlw.Errorf(mlw.EINVALID, "--steps %s: the last step must be 100", joinInts(steps))
	}
	return nil
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ",")
}

// ParseSpec decodes a revision's spec.
func ParseSpec(d *mlw.Deployment) (*Spec, error) {
	var s Spec
	if len(d.Spec) == 0 {
		return &s, nil
	}
	if err := json.Unmarshal(d.Spec, &s); err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "deployment %s revision %d: bad spec: %v", d.Endpoint, d.Revision, err)
	}
	return &s, nil
}

// Duration is a time.Duration that reads and writes as text ("5m0s").
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	x, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(x)
	return nil
}
