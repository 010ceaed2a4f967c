package monitor

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/report"
	"mlw.dev/metrics"
)

// The metrics an alert rule may watch (Rule.Metric).
const (
	MetricP50        = "p50"                 // latency percentiles, in ms
	MetricP95        = "p95"                 //
	MetricP99        = "p99"                 //
	MetricErrorRate  = "error_rate"          // failed requests / requests
	MetricDriftShare = "drift_share"         // share of drifted features
	MetricDropped    = "dropped predictions" // prediction-log records the server dropped
	MetricNoTraffic  = "no traffic"          // time since the last request
)

// Rule is one alert rule of mlw.yaml (monitoring.alerts):
//
//	[online] METRIC OP VALUE[unit] [for DURATION]
//	no traffic for DURATION
//
// METRIC is p50, p95 or p99 (VALUE with the unit ms or s), error_rate
// (a fraction or a percentage: 1% = 0.01), drift_share, "dropped
// predictions" (a count), or with "online" a metric computed from labelled
// traffic (accuracy, f1_macro, roc_auc, rmse, mae, r2). OP is >, >=, < or
// <=. With "for DURATION" the rule fires only once its condition has held
// that long; "no traffic for DURATION" fires when no request came for that
// long. Examples: "p99 > 50ms for 5m", "error_rate > 1%", "online roc_auc
// < 0.8", "no traffic for 1h".
type Rule struct {
	// Metric is one of the Metric constants or, when Online, the name of
	// an online metric.
	Metric string
	Online bool
	// Op is >, >=, < or <= (empty for no traffic).
	Op string
	// Value is the threshold: milliseconds for latency, a fraction for
	// rates and shares, a count for dropped predictions.
	Value float64
	// For is how long the condition must hold (for no traffic: how long
	// without a request).
	For time.Duration
}

// String returns the canonical text of the rule, which ParseRule reads
// back to the same rule and alert events carry: "p99 > 50ms for 5m",
// "error_rate > 1%", "no traffic for 1h".
func (r Rule) String() string {
	if r.Metric == MetricNoTraffic {
		return "no traffic for " + compactDuration(r.For)
	}
	var b strings.Builder
	if r.Online {
		b.WriteString("online ")
	}
	b.WriteString(r.Metric)
	b.WriteString(" " + r.Op + " " + r.valueText(r.Value, ""))
	if r.For > 0 {
		b.WriteString(" for " + compactDuration(r.For))
	}
	return b.String()
}

// isLatency reports whether the rule watches a latency percentile.
func (r Rule) isLatency() bool {
	return !r.Online && (r.Metric == MetricP50 || r.Metric == MetricP95 || r.Metric == MetricP99)
}

// valueText writes a value of the rule's metric in its unit; sep goes
// between the number and a unit word (ms).
func (r Rule) valueText(v float64, sep string) string {
	switch {
	case r.isLatency():
		return num(v) + sep + "ms"
	case !r.Online && r.Metric == MetricErrorRate:
		return num(v*100) + "%"
	}
	return num(v)
}

// num writes a number without float noise (0.07·100 is 7).
func num(v float64) string {
	return strconv.FormatFloat(v, 'g', 12, 64)
}

// compactDuration writes d without zero trailing units: 5m, 1h30m, 90s → 1m30s.
func compactDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// RuleError is an alert rule that cannot be parsed. It wraps an *mlw.Error
// with code EINVALID carrying the same message.
type RuleError struct {
	// Index is the rule's 1-based position in monitoring.alerts, 0 when
	// unknown.
	Index int
	Rule  string
	// Pos is the byte offset in Rule of the problem.
	Pos int
	Msg string
}

// Error returns `alert rule 2 "p99 > fast": value "fast" is not a number`.
func (e *RuleError) Error() string {
	if e.Index > 0 {
		return fmt.Sprintf("alert rule %d %q: %s", e.Index, e.Rule, e.Msg)
	}
	return fmt.Sprintf("alert rule %q: %s", e.Rule, e.Msg)
}

// Unwrap returns the error as an *mlw.Error with code EINVALID.
func (e *RuleError) Unwrap() error {
	return &mlw.Error{Code: mlw.EINVALID, Message: e.Error()}
}

// token is one word or operator of a rule, at byte offset pos.
type token struct {
	text string
	pos  int
}

// tokenize splits a rule into words and operators: "p99>50ms" gives p99, >, 50ms.
func tokenize(s string) []token {
	var toks []token
	isOp := func(c byte) bool { return c == '<' || c == '>' || c == '=' || c == '!' }
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' && isOp(s[j]) == isOp(c) {
			j++
		}
		toks = append(toks, token{s[i:j], i})
		i = j
	}
	return toks
}

// rateMetrics are the metrics whose value is a fraction in [0, 1].
var rateMetrics = []string{MetricErrorRate, MetricDriftShare}

// ParseRule parses one alert rule (see Rule). The error, a *RuleError,
// names the word at fault and what was expected.
func ParseRule(text string) (Rule, error) {
	toks := tokenize(text)
	fail := func(pos int, format string, args ...any) (Rule, error) {
		return Rule{}, &RuleError{Rule: text, Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
	end := len(text)
	at := func(i int) token {
		if i < len(toks) {
			return toks[i]
		}
		return token{pos: end}
	}
	if len(toks) == 0 {
		return fail(0, "empty rule: want METRIC OP VALUE, e.g. p99 > 50ms for 5m")
	}
	var r Rule
	i := 0
	if toks[0].text == "no" {
		if at(1).text != "traffic" || at(2).text != "for" {
			return fail(at(1).pos, `want "no traffic for DURATION", e.g. no traffic for 1h`)
		}
		d, err := parseRuleDuration(at(3))
		if err != "" {
			return fail(at(3).pos, "%s", err)
		}
		if len(toks) > 4 {
			return fail(toks[4].pos, "unexpected %q after the duration", toks[4].text)
		}
		return Rule{Metric: MetricNoTraffic, For: d}, nil
	}
	if toks[0].text == "online" {
		r.Online = true
		i++
	}
	m := at(i)
	switch {
	case m.text == "":
		return fail(m.pos, "want a metric after online, e.g. online roc_auc < 0.8")
	case r.Online:
		if _, ok := metrics.Lookup(m.text); !ok || !isOnlineMetric(m.text) {
			return fail(m.pos, "online metric %q is not computed: want one of %s", m.text, strings.Join(append(slices.Clone(classificationMetrics), regressionMetrics...), ", "))
		}
		r.Metric = m.text
	case m.text == "dropped" || m.text == "dropped_predictions":
		if m.text == "dropped" {
			if at(i+1).text != "predictions" {
				return fail(at(i+1).pos, `want "dropped predictions"`)
			}
			i++
		}
		r.Metric = MetricDropped
	case m.text == MetricP50 || m.text == MetricP95 || m.text == MetricP99 || slices.Contains(rateMetrics, m.text):
		r.Metric = m.text
	case isOnlineMetric(m.text):
		return fail(m.pos, "%q is measured on labelled traffic: write online %s", m.text, m.text)
	default:
		return fail(m.pos, "unknown metric %q: want p50, p95, p99, error_rate, drift_share, dropped predictions, online METRIC or no traffic for DURATION", m.text)
	}
	i++
	op := at(i)
	switch op.text {
	case ">", ">=", "<", "<=":
		r.Op = op.text
	case "":
		return fail(op.pos, "want an operator (>, >=, < or <=) after %q", m.text)
	default:
		return fail(op.pos, "%q is not an operator: want >, >=, < or <=", op.text)
	}
	i++
	vt := at(i)
	v, err := r.parseValue(vt.text)
	if err != "" {
		return fail(vt.pos, "%s", err)
	}
	r.Value = v
	i++
	if at(i).text == "for" {
		d, err := parseRuleDuration(at(i + 1))
		if err != "" {
			return fail(at(i+1).pos, "%s", err)
		}
		r.For = d
		i += 2
	}
	if i < len(toks) {
		return fail(toks[i].pos, "unexpected %q: want for DURATION or the end of the rule", toks[i].text)
	}
	return r, nil
}

// parseValue reads the threshold of the rule's metric; the error is a
// message ("" when fine).
func (r Rule) parseValue(s string) (float64, string) {
	if s == "" {
		return 0, fmt.Sprintf("want a value after %q", r.Op)
	}
	c := s[0]
	if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+') {
		return 0, fmt.Sprintf("value %q is not a number", s)
	}
	switch {
	case r.isLatency():
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return 0, fmt.Sprintf("value %q needs a unit: ms or s, e.g. %sms", s, s)
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Sprintf("value %q is not a number with a unit such as 50ms or 1.5s", s)
		}
		if d < 0 {
			return 0, fmt.Sprintf("value %q is negative", s)
		}
		return float64(d) / 1e6, ""
	case !r.Online && slices.Contains(rateMetrics, r.Metric):
		v, pct, ok := parsePercent(s)
		if !ok {
			return 0, fmt.Sprintf("value %q is not a number or a percentage", s)
		}
		if v < 0 || v > 1 {
			if pct {
				return 0, fmt.Sprintf("value %q is not a percentage between 0%% and 100%%", s)
			}
			return 0, fmt.Sprintf("value %q is not a share between 0 and 1 (write 5%% or 0.05)", s)
		}
		return v, ""
	case r.Online:
		info, _ := metrics.Lookup(r.Metric)
		v, pct, ok := parsePercent(s)
		if !ok || pct && info.Max != 1 {
			return 0, fmt.Sprintf("value %q is not a number", s)
		}
		if !info.InRange(v) {
			return 0, fmt.Sprintf("value %q is outside the range of %s [%s, %s]", s, r.Metric, num(info.Min), num(info.Max))
		}
		return v, ""
	default: // dropped predictions
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return 0, fmt.Sprintf("value %q is not a number", s)
		}
		if v < 0 {
			return 0, fmt.Sprintf("value %q is negative", s)
		}
		return v, ""
	}
}

// parsePercent reads "0.05" or "5%" as 0.05.
func parsePercent(s string) (v float64, pct, ok bool) {
	t, pct := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, pct, false
	}
	if pct {
		v /= 100
	}
	return v, pct, true
}

// parseRuleDuration reads the DURATION of "for DURATION".
func parseRuleDuration(t token) (time.Duration, string) {
	if t.text == "" {
		return 0, "want a duration after for, e.g. 5m or 1h30m"
	}
	d, err := time.ParseDuration(t.text)
	if err != nil {
		return 0, fmt.Sprintf("duration %q is not a duration such as 30s, 5m or 1h30m", t.text)
	}
	if d <= 0 {
		return 0, fmt.Sprintf("duration %q must be positive", t.text)
	}
	return d, ""
}

// ValidateRules parses the alert rules of mlw.yaml and returns one error
// per bad rule (a *RuleError naming its 1-based position), including a
// rule that repeats an earlier one. It returns nil when all are valid.
func ValidateRules(rules []string) []error {
	var errs []error
	seen := map[string]int{}
	for i, text := range rules {
		r, err := ParseRule(text)
		if err != nil {
			re := err.(*RuleError)
			re.Index = i + 1
			errs = append(errs, re)
			continue
		}
		if j, dup := seen[r.String()]; dup {
			errs = append(errs, &RuleError{Index: i + 1, Rule: text, Msg: fmt.Sprintf("same rule as rule %d", j)})
			continue
		}
		seen[r.String()] = i + 1
	}
	return errs
}

// ParseRules parses the alert rules of mlw.yaml. The error lists every bad
// rule (see ValidateRules) and has code EINVALID.
func ParseRules(texts []string) ([]Rule, error) {
	if errs := ValidateRules(texts); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return nil, &mlw.Error{Code: mlw.EINVALID, Message: strings.Join(msgs, "; ")}
	}
	rules := make([]Rule, len(texts))
	for i, t := range texts {
		rules[i], _ = ParseRule(t)
	}
	return rules, nil
}

// Values are the current numbers alert rules are evaluated on. NaN (or a
// missing online metric, or a zero LastRequest) means unknown, and an
// unknown value never fires nor resolves a rule.
type Values struct {
	// P50, P95 and P99 are latency percentiles in milliseconds.
	P50, P95, P99 float64
	ErrorRate     float64
	DriftShare    float64
	// Online are the online metrics by name.
	Online map[string]float64
	// Dropped is the number of prediction-log records the server dropped.
	Dropped float64
	// LastRequest is the time of the endpoint's last request.
	LastRequest time.Time
}

// ValuesFromReport returns the values of a report: latency, error rate and
// drift share when the window had requests and features compared, and the
// online metrics; lastRequest and dropped come from the server.
func ValuesFromReport(r *Report, lastRequest time.Time, dropped float64) Values {
	nan := math.NaN()
	v := Values{P50: nan, P95: nan, P99: nan, ErrorRate: nan, DriftShare: nan, Online: map[string]float64{},
		Dropped: dropped, LastRequest: lastRequest}
	if r.LatencyMS != nil {
		v.P50, v.P95, v.P99 = r.LatencyMS.P50, r.LatencyMS.P95, r.LatencyMS.P99
	}
	if r.Requests > 0 {
		v.ErrorRate = r.ErrorRate
	}
	for _, d := range r.Drift {
		if d.Method != "" {
			v.DriftShare = r.DriftShare
			break
		}
	}
	for k, x := range r.Online.Metrics {
		v.Online[k] = x
	}
	return v
}

// value returns the rule's metric in v, and whether it is known.
func (r Rule) value(now time.Time, v Values) (float64, bool) {
	var x float64
	switch {
	case r.Online:
		var ok bool
		if x, ok = v.Online[r.Metric]; !ok {
			return 0, false
		}
	case r.Metric == MetricNoTraffic:
		if v.LastRequest.IsZero() {
			return 0, false
		}
		return max(now.Sub(v.LastRequest), 0).Seconds(), true
	case r.Metric == MetricP50:
		x = v.P50
	case r.Metric == MetricP95:
		x = v.P95
	case r.Metric == MetricP99:
		x = v.P99
	case r.Metric == MetricErrorRate:
		x = v.ErrorRate
	case r.Metric == MetricDriftShare:
		x = v.DriftShare
	case r.Metric == MetricDropped:
		x = v.Dropped
	default:
		return 0, false
	}
	return x, !math.IsNaN(x)
}

// holds reports whether the condition holds for the value x.
func (r Rule) holds(x float64) bool {
	switch r.Op {
	case ">":
		return x > r.Value
	case ">=":
		return x >= r.Value
	case "<":
		return x < r.Value
	case "<=":
		return x <= r.Value
	}
	return r.Metric == MetricNoTraffic && x >= r.For.Seconds()
}

// describe writes the value of the rule's metric for people: "p99 latency
// 73.2 ms".
func (r Rule) describe(x float64) string {
	switch {
	case r.Online:
		return fmt.Sprintf("online %s %s", r.Metric, report.FormatNum(x))
	case r.isLatency():
		return fmt.Sprintf("%s latency %s ms", r.Metric, report.FormatNum(x))
	case r.Metric == MetricErrorRate:
		return "error rate " + report.FormatNum(100*x) + "%"
	case r.Metric == MetricDriftShare:
		return "drift share " + report.FormatNum(x)
	}
	return "dropped predictions " + report.FormatNum(x)
}

// message is the sentence of an event.
func (r Rule) message(state string, x float64, v Values) string {
	if r.Metric == MetricNoTraffic {
		last := v.LastRequest.UTC().Format(time.RFC3339)
		if state == mlw.AlertFiring {
			return fmt.Sprintf("no traffic for %s (last request at %s)", (time.Duration(x) * time.Second).String(), last)
		}
		return fmt.Sprintf("traffic resumed (last request at %s)", last)
	}
	threshold := r.valueText(r.Value, " ")
	if state == mlw.AlertFiring {
		s := fmt.Sprintf("%s %s %s", r.describe(x), r.Op, threshold)
		if r.For > 0 {
			s += " for " + r.For.String()
		}
		return s
	}
	return fmt.Sprintf("%s, no longer %s %s", r.describe(x), r.Op, threshold)
}

// Evaluator evaluates the alert rules of one endpoint over time: a rule
// fires when its condition has held for its duration, and resolves when
// the condition stops holding. It is not safe for concurrent use.
type Evaluator struct {
	endpoint string
	rules    []Rule
	state    []ruleState
}

type ruleState struct {
	since  time.Time // when the condition started to hold; zero when it does not
	firing bool
}

// NewEvaluator returns an evaluator of rules for an endpoint, restored from
// the latest stored events of each rule (events are matched by the rule's
// canonical text; older events and events of other endpoints or rules are
// ignored), so that a restarted server neither fires again an alert already
// firing nor forgets to resolve it.
func NewEvaluator(endpoint string, rules []Rule, last []*mlw.AlertEvent) *Evaluator {
	e := &Evaluator{endpoint: endpoint, rules: slices.Clone(rules), state: make([]ruleState, len(rules))}
	latest := make([]*mlw.AlertEvent, len(rules))
	for _, ev := range last {
		if ev == nil || ev.Endpoint != endpoint {
			continue
		}
		text := ev.Rule
		if r, err := ParseRule(ev.Rule); err == nil {
			text = r.String()
		}
		for i, r := range e.rules {
			if r.String() != text {
				continue
			}
			if l := latest[i]; l == nil || ev.At.After(l.At) || ev.At.Equal(l.At) && ev.ID > l.ID {
				latest[i] = ev
			}
		}
	}
	for i, ev := range latest {
		if ev != nil && ev.State == mlw.AlertFiring {
			e.state[i] = ruleState{since: ev.At, firing: true}
		}
	}
	return e
}

// Rules returns the rules evaluated.
func (e *Evaluator) Rules() []Rule { return slices.Clone(e.rules) }

// Evaluate updates every rule with the values at now and returns the events
// of the rules that started firing (State AlertFiring) or stopped
// (AlertResolved), in rule order. Value is the metric's current value
// (ms for latency, seconds since the last request for no traffic).
func (e *Evaluator) Evaluate(now time.Time, v Values) []mlw.AlertEvent {
	var events []mlw.AlertEvent
	for i, r := range e.rules {
		st := &e.state[i]
		x, known := r.value(now, v)
		if !known {
			if !st.firing {
				st.since = time.Time{}
			}
			continue
		}
		ev := mlw.AlertEvent{Endpoint: e.endpoint, Rule: r.String(), Value: x, At: now}
		if !r.holds(x) {
			st.since = time.Time{}
			if st.firing {
				st.firing = false
				ev.State, ev.Message = mlw.AlertResolved, r.message(mlw.AlertResolved, x, v)
				events = append(events, ev)
			}
			continue
		}
		if st.since.IsZero() {
			st.since = now
		}
		pending := r.For
		if r.Metric == MetricNoTraffic {
			pending = 0 // the duration is the condition itself
		}
		if !st.firing && now.Sub(st.since) >= pending {
			st.firing = true
			ev.State, ev.Message = mlw.AlertFiring, r.message(mlw.AlertFiring, x, v)
			events = append(events, ev)
		}
	}
	return events
}
