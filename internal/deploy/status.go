package deploy

import (
	"context"
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/stats"
	"mlw.dev/internal/store"
)

// Summary is one endpoint in a list.
type Summary struct {
	Endpoint  string    `json:"endpoint"`
	Revision  int       `json:"revision"`
	Strategy  string    `json:"strategy"`
	State     string    `json:"state"`
	Serves    string    `json:"serves"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// List returns the latest revision of every endpoint.
func (s *Service) List(ctx context.Context) ([]Summary, error) {
	deps, err := s.Store.ListDeployments(ctx, &store.ListDeploymentsParams{})
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(deps))
	for _, d := range deps {
		spec, err := ParseSpec(d)
		if err != nil {
			return nil, err
		}
		out = append(out, Summary{Endpoint: d.Endpoint, Revision: d.Revision, Strategy: d.Strategy, State: d.State,
			Serves: describeVariants(spec), CreatedAt: d.CreatedAt, CreatedBy: d.CreatedBy})
	}
	return out, nil
}

// VariantStatus is a variant of the live revision with its logged traffic.
type VariantStatus struct {
	VariantSpec
	Shadow  bool         `json:"shadow,omitempty"`
	Traffic VariantStats `json:"traffic"`
	// ScoreQuantiles are the 10th, 50th and 90th percentiles of the score
	// (predicted value, or probability of the positive or predicted class).
	ScoreQuantiles []float64 `json:"score_quantiles,omitempty"`
	// Classes counts the predicted classes (classifiers).
	Classes map[string]int `json:"classes,omitempty"`
	// Agreement is the share of a shadow's rows predicted as the answering
	// variant predicted the same row.
	Agreement *float64 `json:"agreement,omitempty"`
}

// Status is an endpoint's live revision, its traffic since then and its
// history.
type Status struct {
	Endpoint  string          `json:"endpoint"`
	Revision  int             `json:"revision"`
	Strategy  string          `json:"strategy"`
	State     string          `json:"state"`
	Reason    string          `json:"reason,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	CreatedBy string          `json:"created_by"`
	Spec      *Spec           `json:"spec"`
	Since     time.Time       `json:"since"`
	Variants  []VariantStatus `json:"variants"`
	// NextCheck is when the canary's step is next analysed.
	NextCheck *time.Time `json:"next_check,omitempty"`
	History   []Summary  `json:"history"`
}

// StatusWindow bounds the traffic Status reads: the revision's, but at most
// this much before now.
const StatusWindow = time.Hour

// Status describes an endpoint: its live revision with each variant's
// traffic since the revision began (at most StatusWindow), and every
// revision.
func (s *Service) Status(ctx context.Context, endpoint string) (*Status, error) {
	d, spec, err := s.Current(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	since := d.CreatedAt
	if w := s.now().Add(-StatusWindow); w.After(since) {
		since = w
	}
	st := &Status{Endpoint: d.Endpoint, Revision: d.Revision, Strategy: d.Strategy, State: d.State, Reason: d.Reason,
		CreatedAt: d.CreatedAt, CreatedBy: d.CreatedBy, Spec: spec, Since: since}
	if c := spec.Canary; c != nil {
		next := c.StepStarted.Add(time.Duration(c.Interval))
		st.NextCheck = &next
	}
	revs, err := s.Store.ListDeployments(ctx, &store.ListDeploymentsParams{Endpoint: endpoint})
	if err != nil {
		return nil, err
	}
	for _, r := range revs {
		rs, err := ParseSpec(r)
		if err != nil {
			return nil, err
		}
		st.History = append(st.History, Summary{Endpoint: r.Endpoint, Revision: r.Revision, Strategy: r.Strategy, State: r.State,
			Serves: describeVariants(rs), CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy})
	}
	if d.State == StateUndeployed {
		return st, nil
	}
	// One pass over the log, a page at a time: a summary per variant, the
	// classes it predicted, and for shadows their agreement with the answer
	// of the same row (answers are remembered for the last maxAnswers rows;
	// a shadow's copy is predicted moments after the answer).
	type tally struct {
		spec            VariantSpec
		shadow          bool
		sum             *summary
		classes         map[string]int
		agree, compared int
	}
	var tallies []*tally
	for _, v := range spec.Variants {
		tallies = append(tallies, &tally{spec: v, sum: newSummary(v.Ref())})
	}
	for _, v := range spec.Shadows {
		tallies = append(tallies, &tally{spec: v, shadow: true, sum: newSummary(v.Ref())})
	}
	answered := map[rowKey]string{}
	var answerOrder []rowKey
	err = scanPredictions(ctx, s.Store, &store.ListPredictionsParams{Endpoint: endpoint, Since: since, IncludeShadow: true}, func(p *mlw.Prediction) {
		if !p.Shadow && p.Error == "" {
			k := rowKey{p.RequestID, p.Row}
			answered[k] = p.Output
			answerOrder = append(answerOrder, k)
			if len(answerOrder) > maxAnswers {
				delete(answered, answerOrder[0])
				answerOrder = answerOrder[1:]
			}
		}
		for _, t := range tallies {
			if p.Variant != t.spec.Name || p.Model != t.spec.Model || p.Version != t.spec.Version || p.Shadow != t.shadow {
				continue
			}
			t.sum.add(p)
			if p.Error != "" {
				return
			}
			if p.Output != "" && isClassLabel(p) {
				if t.classes == nil {
					t.classes = map[string]int{}
				}
				t.classes[p.Output]++
			}
			if t.shadow {
				if out, ok := answered[rowKey{p.RequestID, p.Row}]; ok {
					t.compared++
					if out == p.Output {
						t.agree++
					}
				}
			}
			return
		}
	})
	if err != nil {
		return nil, err
	}
	for _, t := range tallies {
		vs := VariantStatus{VariantSpec: t.spec, Shadow: t.shadow, Traffic: t.sum.stats(), Classes: t.classes}
		if sorted := vs.Traffic.scores.sorted(); len(sorted) > 0 {
			for _, q := range smokeQuantiles {
				vs.ScoreQuantiles = append(vs.ScoreQuantiles, stats.Quantile(sorted, q))
			}
		}
		if t.compared > 0 {
			a := float64(t.agree) / float64(t.compared)
			vs.Agreement = &a
		}
		st.Variants = append(st.Variants, vs)
	}
	return st, nil
}

// maxAnswers bounds the answered rows Status remembers to pair shadows with.
const maxAnswers = 100_000

type rowKey struct {
	id  string
	row int
}

// isClassLabel reports whether a record is a classifier's (it has class
// probabilities).
func isClassLabel(p *mlw.Prediction) bool { return len(p.Proba) > 0 }
