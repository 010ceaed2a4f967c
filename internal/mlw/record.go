package mlw

import (
	"encoding/json"
	"time"
)

// Roles names the columns of a dataset that play a special part.
type Roles struct {
	Target    string   `json:"target,omitempty" yaml:"target,omitempty"`
	Time      string   `json:"time,omitempty" yaml:"time,omitempty"`
	ID        string   `json:"id,omitempty" yaml:"id,omitempty"`
	Segments  []string `json:"segments,omitempty" yaml:"segments,omitempty"`
	Sensitive []string `json:"sensitive,omitempty" yaml:"sensitive,omitempty"`
}

// Dataset is a named series of immutable versions.
type Dataset struct {
	Name          string    `json:"name"`
	CreatedAt     time.Time `json:"created_at"`
	LatestVersion int       `json:"latest_version"`
}

// DatasetVersion is one immutable version of a dataset, identified by the content
// hash of its file.
type DatasetVersion struct {
	ID          int64           `json:"id"`
	Dataset     string          `json:"dataset"`
	Version     int             `json:"version"`
	Hash        string          `json:"hash"`         // sha256 of the file's bytes, hex
	ArtifactKey string          `json:"artifact_key"` // where the file is kept in the artifact store
	Format      string          `json:"format"`       // csv, csv.gz, parquet
	SourcePath  string          `json:"source_path"`
	Rows        int64           `json:"rows"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Roles       Roles           `json:"roles"`
	ParentID    int64           `json:"parent_id,omitempty"` // the version this one was derived from (cleaning)
	Recipe      json.RawMessage `json:"recipe,omitempty"`    // how it was derived from its parent
	Reason      string          `json:"reason,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	CreatedBy   string          `json:"created_by"`
}

// Ref returns the NAME@N reference of the version.
func (v *DatasetVersion) Ref() Ref { return Ref{Name: v.Dataset, Version: v.Version} }

// SplitCounts are the row counts of the parts of a split.
type SplitCounts struct {
	Train      int64 `json:"train"`
	Validation int64 `json:"validation"`
	Test       int64 `json:"test"`
}

// Split assigns every row of a dataset version to train, validation or test.
type Split struct {
	ID               string          `json:"id"`
	DatasetVersionID int64           `json:"dataset_version_id"`
	Strategy         string          `json:"strategy"`
	Seed             int64           `json:"seed"`
	Params           json.RawMessage `json:"params,omitempty"`
	Counts           SplitCounts     `json:"counts"`
	MembershipKey    string          `json:"membership_key"` // artifact holding the row membership
	Leakage          json.RawMessage `json:"leakage,omitempty"`
	CreatedAt        time.Time       `json:"created_at"`
	CreatedBy        string          `json:"created_by"`
}

// RunStatus is the state of a run.
type RunStatus string

// Run states. A run starts running and ends in exactly one of the other states.
const (
	RunRunning  RunStatus = "running"
	RunFinished RunStatus = "finished"
	RunFailed   RunStatus = "failed"
	RunPruned   RunStatus = "pruned"
	RunKilled   RunStatus = "killed"
)

// Terminal reports whether s is an end state.
func (s RunStatus) Terminal() bool { return s != RunRunning }

// Valid reports whether s is a known state.
func (s RunStatus) Valid() bool {
	switch s {
	case RunRunning, RunFinished, RunFailed, RunPruned, RunKilled:
		return true
	}
	return false
}

// Run is one execution of training, tuning, evaluation or any other tracked work.
type Run struct {
	ID               string            `json:"id"`
	ParentID         string            `json:"parent_id,omitempty"`
	Kind             string            `json:"kind"` // train, baseline, study, trial, evaluation, ...
	Name             string            `json:"name,omitempty"`
	Model            string            `json:"model,omitempty"`
	Status           RunStatus         `json:"status"`
	DatasetVersionID int64             `json:"dataset_version_id,omitempty"`
	SplitID          string            `json:"split_id,omitempty"`
	Params           map[string]string `json:"params,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	GitCommit        string            `json:"git_commit,omitempty"`
	Error            string            `json:"error,omitempty"`
	CreatedBy        string            `json:"created_by"`
	StartedAt        time.Time         `json:"started_at"`
	EndedAt          time.Time         `json:"ended_at,omitzero"`
	DeletedAt        time.Time         `json:"deleted_at,omitzero"`
}

// Metric is one value of a metric of a run; Step orders a series (iterations, epochs).
type Metric struct {
	Key   string    `json:"key"`
	Value float64   `json:"value"`
	Step  int64     `json:"step"`
	Time  time.Time `json:"time"`
}

// RunArtifact is a file a run produced, kept in the artifact store.
type RunArtifact struct {
	Name string `json:"name"` // logical name, e.g. "model.mlwb", "report.html"
	Key  string `json:"key"`  // artifact store key (content address)
	Size int64  `json:"size"`
}

// Model version states.
const (
	ModelReady    = "ready"
	ModelArchived = "archived"
)

// ModelVersion is an immutable registered version of a model.
type ModelVersion struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Version     int       `json:"version"`
	RunID       string    `json:"run_id"`
	ArtifactKey string    `json:"artifact_key"`
	Status      string    `json:"status"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

// Ref returns the NAME@N reference of the version.
func (v *ModelVersion) Ref() Ref { return Ref{Name: v.Name, Version: v.Version} }

// Alias points a name such as "champion" at one version of a model.
type Alias struct {
	Model   string    `json:"model"`
	Alias   string    `json:"alias"`
	Version int       `json:"version"`
	SetAt   time.Time `json:"set_at"`
	SetBy   string    `json:"set_by"`
	Reason  string    `json:"reason,omitempty"`
}

// AliasSpan records that an alias pointed at a version from From until To (zero
// while it still does).
type AliasSpan struct {
	Model     string    `json:"model"`
	Alias     string    `json:"alias"`
	Version   int       `json:"version"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to,omitzero"`
	SetBy     string    `json:"set_by"`
	Reason    string    `json:"reason,omitempty"`
	EndedBy   string    `json:"ended_by,omitempty"`
	EndReason string    `json:"end_reason,omitempty"`
}

// Deployment is one revision of an endpoint's serving configuration. Each change
// (deploy, promote, rollback, canary step) writes a new revision; the latest is live.
type Deployment struct {
	ID        int64           `json:"id"`
	Endpoint  string          `json:"endpoint"`
	Revision  int             `json:"revision"`
	Strategy  string          `json:"strategy"`
	State     string          `json:"state"`
	Spec      json.RawMessage `json:"spec,omitempty"` // variants, weights, steps: owned by internal/deploy
	Reason    string          `json:"reason,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	CreatedBy string          `json:"created_by"`
}

// Prediction is one logged prediction: one row of one request answered (or
// mirrored, for a shadow) by one variant of an endpoint. A request that failed
// before any row was predicted is logged as one record with Error set and no
// inputs. Label is the ground truth joined from feedback, if any.
type Prediction struct {
	ID        int64         `json:"id"`
	RequestID string        `json:"request_id"`
	Row       int           `json:"row"`
	Endpoint  string        `json:"endpoint"`
	Model     string        `json:"model"`
	Version   int           `json:"version"`
	Variant   string        `json:"variant"`
	Shadow    bool          `json:"shadow,omitempty"`
	At        time.Time     `json:"at"`
	Latency   time.Duration `json:"latency_ns"` // of the whole request's prediction
	Error     string        `json:"error,omitempty"`
	// Inputs is a JSON array of the row's values in the signature order of
	// Model@Version (null for a missing value).
	Inputs json.RawMessage `json:"inputs,omitempty"`
	// Output is the predicted class label, or the predicted value as text.
	Output string `json:"output,omitempty"`
	// Score is the predicted value (regression), the probability of the
	// positive class (binary) or of the predicted class (multiclass).
	Score float64 `json:"score"`
	// Proba is a JSON array of the class probabilities (classifiers).
	Proba json.RawMessage `json:"proba,omitempty"`
	// Label and Labeled come from feedback (read only).
	Label   string `json:"label,omitempty"`
	Labeled bool   `json:"labeled,omitempty"`
}

// Feedback is the ground truth of one predicted row, joined to the prediction
// log by endpoint, request id and row. A second label for the same row
// replaces the first.
type Feedback struct {
	Endpoint  string    `json:"endpoint"`
	RequestID string    `json:"request_id"`
	Row       int       `json:"row"`
	Label     string    `json:"label"`
	At        time.Time `json:"at"`
}

// Alert states.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// AlertEvent records an alert rule of an endpoint starting or stopping to fire.
type AlertEvent struct {
	ID       int64     `json:"id"`
	Endpoint string    `json:"endpoint"`
	Rule     string    `json:"rule"` // the rule's text, e.g. "p99 > 50ms for 5m"
	State    string    `json:"state"`
	Value    float64   `json:"value"`
	Message  string    `json:"message"`
	At       time.Time `json:"at"`
}
