// Package monitor turns an endpoint's prediction log into a monitoring
// report: traffic, errors and latency per variant, data quality and drift of
// the inputs and predictions against the training reference carried by the
// model bundle, online metrics from the labels fed back, and the same
// over time. It also parses and evaluates the alert rules of mlw.yaml,
// sends alert events to a webhook and renders the report as one
// self-contained HTML page.
//
// Analyze is pure: it reads the records and bundles it is given and does no
// I/O. An Accumulator computes the same report from records added page by
// page, in memory that does not grow with them. The statistics come from
// the drift and metrics packages.
package monitor

import (
	"time"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/project"
	"mlw.dev/model/bundle"
)

// Defaults and limits of Analyze.
const (
	// DefaultBuckets is the number of time-series points when Input.Bucket
	// is zero.
	DefaultBuckets = 24
	// MaxBuckets is the largest number of time-series points Analyze
	// accepts.
	MaxBuckets = 2000
	// MinBucketRows is the fewest rows with inputs a bucket needs for its
	// drift to be computed.
	MinBucketRows = 30
	// MaxExamples is the number of unseen categories quoted per feature.
	MaxExamples = 5
)

// Input is what Analyze reads.
type Input struct {
	// Endpoint names the endpoint analysed.
	Endpoint string
	// From and To bound the window [From, To). Records outside it are
	// counted in the first or last bucket. When both are zero the window
	// is taken from the records.
	From, To time.Time
	// Predictions are the prediction log records of the window, in any
	// order, for Analyze (an Accumulator is given them by Add). Shadow
	// records are reported per variant only: they are left out of the
	// endpoint's traffic, drift, data quality and online metrics.
	Predictions []*mlw.Prediction
	// Models are the bundles of the model versions that served, keyed
	// "NAME@N". Rows of a version missing here and from LoadModel count
	// as traffic only.
	Models map[string]*bundle.Bundle
	// LoadModel, when set, returns the bundle of a version ("NAME@N")
	// missing from Models, or nil when it has none; it is called once per
	// version, when its first record is added.
	LoadModel func(ref string) *bundle.Bundle
	// Drift chooses the drift methods and thresholds (mlw.yaml
	// monitoring.drift).
	Drift project.DriftConfig
	// Bucket is the time-series resolution; zero means (To−From)/24,
	// and it is at least one second.
	Bucket time.Duration
	// Expected are the evaluation-time test metrics of the serving model,
	// shown next to the online metrics.
	Expected map[string]float64
	// Alerts are the alert events of the window, copied to the report.
	Alerts []*mlw.AlertEvent
}

// Report is the monitoring report of one endpoint over a window. Its JSON
// field names are a stable contract. Optional numbers are pointers: nil
// (omitted from the JSON) when undefined, for example latency without
// requests.
type Report struct {
	Endpoint string    `json:"endpoint"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	// BucketSeconds is the width of each Series point.
	BucketSeconds float64 `json:"bucket_seconds"`
	// Reference is the model version ("NAME@N") whose training reference
	// the drift and data quality compare with: the version that served
	// the most rows.
	Reference string `json:"reference,omitempty"`
	// Task is the task of the reference model: regression, binary or
	// multiclass.
	Task string `json:"task,omitempty"`

	// Requests counts distinct request ids (shadows excluded), Rows the
	// rows predicted and Errors the failed requests.
	Requests    int     `json:"requests"`
	Rows        int     `json:"rows"`
	Errors      int     `json:"errors"`
	ErrorRate   float64 `json:"error_rate"`   // Errors / Requests (0 without requests)
	RequestRate float64 `json:"request_rate"` // Requests per second over the window
	// LatencyMS are the percentiles of the requests' latency (of a
	// sample of LatencySample requests when there are more).
	LatencyMS *Latency  `json:"latency_ms,omitempty"`
	Variants  []Variant `json:"variants"`

	DataQuality []Quality `json:"data_quality"`
	// SchemaViolations counts rows whose inputs are not a JSON array of
	// scalars of the signature's width.
	SchemaViolations int `json:"schema_violations"`

	Drift           []Drift `json:"drift"`
	PredictionDrift *Drift  `json:"prediction_drift,omitempty"`
	// DriftShare is the share of the features compared that drifted, and
	// DatasetDrift whether it reached monitoring.drift.dataset_share.
	DriftShare   float64 `json:"drift_share"`
	DatasetDrift bool    `json:"dataset_drift"`

	Online Online            `json:"online"`
	Series []Point           `json:"series"`
	Alerts []*mlw.AlertEvent `json:"alerts"`
	// Notes explain what the report could not use (an unknown model
	// version, a bundle without reference, a feature without values).
	Notes []string `json:"notes,omitempty"`
}

// Latency holds latency percentiles in milliseconds, computed per request
// with numpy's default (linear) interpolation: the q-quantile of n sorted
// values x is x[k] + (h−k)·(x[k+1]−x[k]) with h = (n−1)·q and k = ⌊h⌋.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// Variant is the traffic of one model version under one variant name.
type Variant struct {
	Model     string   `json:"model"` // NAME@N
	Variant   string   `json:"variant"`
	Shadow    bool     `json:"shadow"`
	Requests  int      `json:"requests"`
	Rows      int      `json:"rows"`
	Errors    int      `json:"errors"`
	ErrorRate float64  `json:"error_rate"`
	LatencyMS *Latency `json:"latency_ms,omitempty"`
	// PredictionMean is the mean Score of the rows.
	PredictionMean *float64 `json:"prediction_mean,omitempty"`
	// Agreement (shadows only) is the share of the shadow's rows whose
	// output equals the primary's for the same request id and row, over
	// the Compared rows that have a primary row (a sample of them when
	// the window has more than AgreementSample rows).
	Agreement *float64 `json:"agreement,omitempty"`
	Compared  int      `json:"compared,omitempty"`
}

// Quality is the data quality of one input feature.
type Quality struct {
	Feature string `json:"feature"`
	// Values counts the rows that carried the feature.
	Values               int      `json:"values"`
	MissingRate          float64  `json:"missing_rate"`
	ReferenceMissingRate *float64 `json:"reference_missing_rate,omitempty"`
	// UnseenCategories counts the values of categories never seen in
	// training; UnseenExamples quotes the most frequent of them.
	UnseenCategories int      `json:"unseen_categories"`
	UnseenExamples   []string `json:"unseen_examples,omitempty"`
	// OutOfRange counts numbers outside the training range [min, max].
	OutOfRange int `json:"out_of_range"`
	// TypeErrors counts values of a type the feature cannot hold: text
	// that is not a number in a numeric feature, a number or bad date in
	// a datetime feature, a boolean in a numeric feature.
	TypeErrors int `json:"type_errors"`
}

// Drift is the drift of one feature (or of the predictions) against the
// training reference; the fields are those of drift.Result.
type Drift struct {
	Feature   string   `json:"feature"`
	Method    string   `json:"method"`
	Statistic float64  `json:"statistic"`
	PValue    *float64 `json:"p_value,omitempty"`
	Value     float64  `json:"value"`
	Threshold float64  `json:"threshold"`
	Drifted   bool     `json:"drifted"`
	// Note says why a feature could not be compared (no values).
	Note string `json:"note,omitempty"`
}

// Online holds the metrics computed from the labelled rows.
type Online struct {
	LabeledRows int `json:"labeled_rows"`
	// Primary is the metric of the Series: accuracy or rmse.
	Primary  string             `json:"primary,omitempty"`
	Metrics  map[string]float64 `json:"metrics"`
	Expected map[string]float64 `json:"expected"`
}

// Point is one bucket of the time series, starting at Start.
type Point struct {
	Start     time.Time `json:"start"`
	Requests  int       `json:"requests"`
	Rows      int       `json:"rows"`
	Errors    int       `json:"errors"`
	ErrorRate float64   `json:"error_rate"`
	P50       *float64  `json:"p50,omitempty"`
	P95       *float64  `json:"p95,omitempty"`
	P99       *float64  `json:"p99,omitempty"`
	// DriftShare and Drift (feature → drift.Result.Value) are set when
	// the bucket has at least MinBucketRows rows with inputs. A numeric
	// feature is compared over the bucket's values in the window's sample
	// (see NumericSample): all of them while the sample holds the whole
	// window, otherwise when at least MinBucketRows fall in the bucket.
	DriftShare *float64           `json:"drift_share,omitempty"`
	Drift      map[string]float64 `json:"drift,omitempty"`
	// Online is the primary online metric over the bucket's labelled rows.
	LabeledRows int      `json:"labeled_rows,omitempty"`
	Online      *float64 `json:"online,omitempty"`
}
