// Package store defines the metadata store seam: one interface, implemented by the
// SQLite (store/sqlite) and PostgreSQL (store/postgres) drivers and checked by one
// conformance suite (store/storetest).
//
// Drivers hold no business rules. They store and fetch records, assign version
// numbers and sequence numbers atomically, translate their errors into mlw.Error
// codes (ENOTFOUND, ECONFLICT, EUNAVAILABLE) and append the audit event that comes
// with a change in the same transaction as the change. Rules about what may change
// (run status transitions, gates, alias policies) live in the services above.
//
// Timestamps are stored at microsecond precision and returned in UTC. JSON fields
// (json.RawMessage) are stored and returned byte for byte.
package store

import (
	"context"
	"time"

	"mlw.dev/internal/mlw"
)

// SchemaVersion is the newest migration this binary knows. A store whose schema is
// newer is refused with EINVALID ("store schema version N is newer than this mlw").
// Both drivers keep their migrations in step with this number.
const SchemaVersion = 4

// Store is the metadata store. Every method is safe for concurrent use by several
// goroutines and by several processes sharing the same database.
//
// Methods that change state take an optional Audit event in their params. When it is
// set, the driver seals it (mlw.AuditEvent.Seal) after the newest stored event and
// appends it in the same transaction as the change, so a change and its audit event
// are stored together or not at all. Audit appends are serialised: concurrent
// writers never produce two events with the same Seq or a broken chain.
type Store interface {
	// Close releases the store. Calling it twice is safe.
	Close() error

	// SchemaVersion returns the migration version the database is at.
	SchemaVersion(ctx context.Context) (int, error)

	// CreateDatasetVersion stores a new version of the named dataset, creating the
	// dataset on its first version. It assigns ID, Version (the dataset's previous
	// latest + 1), and CreatedAt when zero. It returns ECONFLICT if the dataset
	// already has a version with the same Hash.
	CreateDatasetVersion(ctx context.Context, p *CreateDatasetVersionParams) (*mlw.DatasetVersion, error)
	// GetDatasetVersion returns one version, found by ID, by Hash within Dataset, or
	// by Dataset and Version (0 = latest). It returns ENOTFOUND if there is none.
	GetDatasetVersion(ctx context.Context, p *GetDatasetVersionParams) (*mlw.DatasetVersion, error)
	// ListDatasets returns every dataset ordered by name.
	ListDatasets(ctx context.Context, p *ListDatasetsParams) ([]*mlw.Dataset, error)
	// ListDatasetVersions returns the versions of a dataset ordered by version, or
	// the versions derived from ParentID when it is set. An unknown dataset gives an
	// empty list.
	ListDatasetVersions(ctx context.Context, p *ListDatasetVersionsParams) ([]*mlw.DatasetVersion, error)

	// CreateSplit stores a split. The caller sets ID. It returns ECONFLICT if the ID
	// exists and ENOTFOUND if the dataset version does not.
	CreateSplit(ctx context.Context, p *CreateSplitParams) (*mlw.Split, error)
	// GetSplit returns a split by ID, or ENOTFOUND.
	GetSplit(ctx context.Context, id string) (*mlw.Split, error)
	// ListSplits returns splits, newest first, of one dataset version when
	// DatasetVersionID is set.
	ListSplits(ctx context.Context, p *ListSplitsParams) ([]*mlw.Split, error)

	// CreateRun stores a new run with its initial params and tags. The caller sets
	// ID. It returns ECONFLICT if the ID exists and ENOTFOUND if ParentID names no run.
	CreateRun(ctx context.Context, p *CreateRunParams) (*mlw.Run, error)
	// UpdateRun sets the fields given (non-nil) of a run and returns it. It returns
	// ENOTFOUND if the run does not exist. When ExpectStatus is set and the run's
	// status differs, it returns ECONFLICT and changes nothing.
	UpdateRun(ctx context.Context, p *UpdateRunParams) (*mlw.Run, error)
	// GetRun returns a run with its params and tags, or ENOTFOUND.
	GetRun(ctx context.Context, id string) (*mlw.Run, error)
	// ListRuns returns runs matching the filter, newest first (by StartedAt, then ID).
	ListRuns(ctx context.Context, p *ListRunsParams) ([]*mlw.Run, error)
	// LogParams adds params to a run. A key that already holds a different value
	// gives ECONFLICT (params are immutable once logged); the same value is a no-op.
	// It returns ENOTFOUND if the run does not exist.
	LogParams(ctx context.Context, p *LogParamsParams) error
	// SetTags sets (inserts or replaces) tags of a run, or ENOTFOUND.
	SetTags(ctx context.Context, p *SetTagsParams) error
	// LogMetrics appends metric values to a run, or ENOTFOUND. Several values of
	// one key at one step are all kept.
	LogMetrics(ctx context.Context, p *LogMetricsParams) error
	// ListMetrics returns a run's metric values ordered by key, step and time; only
	// one key's when Key is set. With LatestOnly, it returns one value per key: the
	// one with the highest step, latest time.
	ListMetrics(ctx context.Context, p *ListMetricsParams) ([]mlw.Metric, error)
	// AddRunArtifact records an artifact of a run, or ENOTFOUND. A second artifact
	// of the same name gives ECONFLICT.
	AddRunArtifact(ctx context.Context, p *AddRunArtifactParams) error
	// ListRunArtifacts returns the artifacts of a run ordered by name.
	ListRunArtifacts(ctx context.Context, runID string) ([]mlw.RunArtifact, error)

	// CreateModelVersion registers a new version of the named model, assigning ID,
	// Version (previous latest + 1, starting at 1), Status ready and CreatedAt when
	// zero. It returns ENOTFOUND if the run does not exist.
	CreateModelVersion(ctx context.Context, p *CreateModelVersionParams) (*mlw.ModelVersion, error)
	// GetModelVersion returns a version by Name and Version (0 = latest), or ENOTFOUND.
	GetModelVersion(ctx context.Context, p *GetModelVersionParams) (*mlw.ModelVersion, error)
	// ListModelVersions returns versions ordered by name then version, of one model
	// when Name is set, of one run when RunID is set.
	ListModelVersions(ctx context.Context, p *ListModelVersionsParams) ([]*mlw.ModelVersion, error)
	// SetModelVersionStatus changes a version's status, or ENOTFOUND.
	SetModelVersionStatus(ctx context.Context, p *SetModelVersionStatusParams) (*mlw.ModelVersion, error)

	// SetAlias points Alias of Model at Version: it ends the alias's open span (if
	// any, recording EndedBy = SetBy and EndReason = Reason at At), opens a new span
	// and upserts the alias, in one transaction. It returns ENOTFOUND if the version
	// does not exist.
	SetAlias(ctx context.Context, p *SetAliasParams) (*mlw.Alias, error)
	// DeleteAlias removes an alias and ends its open span, or ENOTFOUND.
	DeleteAlias(ctx context.Context, p *DeleteAliasParams) error
	// GetAlias returns an alias, or ENOTFOUND.
	GetAlias(ctx context.Context, model, alias string) (*mlw.Alias, error)
	// ListAliases returns the current aliases of a model (all models when Model is
	// empty) ordered by model then alias.
	ListAliases(ctx context.Context, p *ListAliasesParams) ([]*mlw.Alias, error)
	// AliasHistory returns every span of a model's aliases ordered by From, then
	// alias.
	AliasHistory(ctx context.Context, p *AliasHistoryParams) ([]*mlw.AliasSpan, error)

	// CreateDeployment stores a new revision of an endpoint's deployment, assigning
	// ID, Revision (previous + 1, starting at 1) and CreatedAt when zero. When
	// ExpectRevision is non-nil and the latest revision differs, it returns
	// ECONFLICT and changes nothing (0 means "the endpoint must not exist yet").
	CreateDeployment(ctx context.Context, p *CreateDeploymentParams) (*mlw.Deployment, error)
	// GetDeployment returns a revision of an endpoint (0 = latest), or ENOTFOUND.
	GetDeployment(ctx context.Context, p *GetDeploymentParams) (*mlw.Deployment, error)
	// ListDeployments returns the latest revision of every endpoint ordered by
	// endpoint, or every revision of one endpoint ordered by revision when Endpoint
	// is set.
	ListDeployments(ctx context.Context, p *ListDeploymentsParams) ([]*mlw.Deployment, error)

	// LogPredictions appends prediction records in one transaction (a batch of
	// the server's prediction log). The records of each endpoint of the call
	// are stored together, as one PredictionBatch. The store assigns IDs (they
	// are not written back into the records): a record's ID is its stored
	// batch's ID << PredictionIndexBits | its index in the batch, so IDs are
	// unique and increase in the order records were logged. A zero At is set
	// to the current time. Records are not audited. On PostgreSQL, IDs of
	// concurrent writers may commit out of order: read new records with a
	// time window or an overlap rather than by AfterID alone. It returns
	// EINVALID, storing nothing, if a record has no endpoint.
	LogPredictions(ctx context.Context, p *LogPredictionsParams) error
	// ListPredictions returns the records of an endpoint ordered by ID, with
	// the label of their feedback joined (Label, Labeled), filtered by time
	// [Since, Until), variant, and AfterID; shadows only when IncludeShadow;
	// at most Limit (0 = all). Every field comes back as it was logged: At at
	// microsecond precision in UTC, Inputs and Proba byte for byte (empty as
	// nil), Score bit for bit (NaN and ±Inf included). It returns EINVALID if
	// Endpoint is empty.
	ListPredictions(ctx context.Context, p *ListPredictionsParams) ([]*mlw.Prediction, error)
	// DeletePredictions applies retention. It removes the stored batches (of
	// every endpoint) whose latest record was logged before Before, and the
	// feedback recorded before Before, whether or not its prediction is still
	// stored; it returns how many prediction records it removed. Retention
	// goes by batch, not by record: a batch (the records of one endpoint that
	// one LogPredictions call logged: about a second of a server's traffic)
	// that holds records on both sides of Before is kept whole until its
	// latest record is older. A zero Before removes nothing.
	DeletePredictions(ctx context.Context, p *DeletePredictionsParams) (int64, error)
	// RecordFeedback stores labels (inserting or replacing the label of the
	// same endpoint, request id and row) in one transaction. Feedback may
	// arrive before its prediction is logged. It returns EINVALID for an
	// empty endpoint, request id or label, or a negative row.
	RecordFeedback(ctx context.Context, p *RecordFeedbackParams) error
	// AppendAlertEvent stores an alert event, assigning ID, and At when zero.
	AppendAlertEvent(ctx context.Context, p *AppendAlertEventParams) (*mlw.AlertEvent, error)
	// ListAlertEvents returns alert events ordered by time then ID, of one
	// endpoint when set, at or after Since when set; the newest Limit when
	// Limit > 0.
	ListAlertEvents(ctx context.Context, p *ListAlertEventsParams) ([]*mlw.AlertEvent, error)

	// AcquireLease takes the lease Name for Holder until At+TTL when it is
	// free, expired at At, or Holder's already (which renews it), and returns
	// the lease as it stands afterwards: Holder holds it when the returned
	// Holder is p.Holder. Processes sharing a store take turns at a job with
	// it (two mlw serve replicas, one retraining of an endpoint at a time).
	// It returns EINVALID for an empty Name or Holder or a TTL <= 0. A zero
	// At is the current time.
	AcquireLease(ctx context.Context, p *AcquireLeaseParams) (*Lease, error)
	// ReleaseLease ends Holder's lease Name. It does nothing when the lease is
	// not Holder's (it expired and another process took it) or does not exist.
	ReleaseLease(ctx context.Context, p *ReleaseLeaseParams) error

	// AppendAudit seals and appends one audit event on its own and returns it.
	AppendAudit(ctx context.Context, p *AppendAuditParams) (*mlw.AuditEvent, error)
	// ListAudit returns events with Seq > AfterSeq ordered by Seq, at most Limit
	// (0 = all), filtered by Target or Action prefix when set.
	ListAudit(ctx context.Context, p *ListAuditParams) ([]*mlw.AuditEvent, error)
}

// CreateDatasetVersionParams are the arguments of Store.CreateDatasetVersion.
type CreateDatasetVersionParams struct {
	Version mlw.DatasetVersion // Dataset, Hash, ArtifactKey, Format, SourcePath, Rows, Schema, Roles, ParentID, Recipe, Reason, CreatedBy
	Audit   *mlw.AuditEvent
}

// GetDatasetVersionParams are the arguments of Store.GetDatasetVersion.
type GetDatasetVersionParams struct {
	ID      int64
	Dataset string
	Version int
	Hash    string
}

// ListDatasetsParams are the arguments of Store.ListDatasets.
type ListDatasetsParams struct{}

// ListDatasetVersionsParams are the arguments of Store.ListDatasetVersions.
type ListDatasetVersionsParams struct {
	Dataset  string
	ParentID int64
}

// CreateSplitParams are the arguments of Store.CreateSplit.
type CreateSplitParams struct {
	Split mlw.Split
	Audit *mlw.AuditEvent
}

// ListSplitsParams are the arguments of Store.ListSplits.
type ListSplitsParams struct {
	DatasetVersionID int64
}

// CreateRunParams are the arguments of Store.CreateRun.
type CreateRunParams struct {
	Run   mlw.Run // Params and Tags are stored with it
	Audit *mlw.AuditEvent
}

// UpdateRunParams are the arguments of Store.UpdateRun; nil fields are left as they are.
type UpdateRunParams struct {
	ID           string
	ExpectStatus *mlw.RunStatus
	Status       *mlw.RunStatus
	EndedAt      *time.Time
	Error        *string
	Name         *string
	DeletedAt    *time.Time
	Audit        *mlw.AuditEvent
}

// ListRunsParams filter Store.ListRuns; zero fields do not filter.
type ListRunsParams struct {
	ParentID         string
	TopLevel         bool // only runs without a parent
	Kind             string
	Model            string
	Status           mlw.RunStatus
	SplitID          string
	DatasetVersionID int64
	IncludeDeleted   bool
	Limit            int
}

// LogParamsParams are the arguments of Store.LogParams.
type LogParamsParams struct {
	RunID  string
	Params map[string]string
}

// SetTagsParams are the arguments of Store.SetTags.
type SetTagsParams struct {
	RunID string
	Tags  map[string]string
}

// LogMetricsParams are the arguments of Store.LogMetrics.
type LogMetricsParams struct {
	RunID   string
	Metrics []mlw.Metric
}

// ListMetricsParams are the arguments of Store.ListMetrics.
type ListMetricsParams struct {
	RunID      string
	Key        string
	LatestOnly bool
}

// AddRunArtifactParams are the arguments of Store.AddRunArtifact.
type AddRunArtifactParams struct {
	RunID    string
	Artifact mlw.RunArtifact
}

// CreateModelVersionParams are the arguments of Store.CreateModelVersion.
type CreateModelVersionParams struct {
	Version mlw.ModelVersion // Name, RunID, ArtifactKey, Description, CreatedBy
	Audit   *mlw.AuditEvent
}

// GetModelVersionParams are the arguments of Store.GetModelVersion.
type GetModelVersionParams struct {
	Name    string
	Version int
}

// ListModelVersionsParams are the arguments of Store.ListModelVersions.
type ListModelVersionsParams struct {
	Name  string
	RunID string
}

// SetModelVersionStatusParams are the arguments of Store.SetModelVersionStatus.
type SetModelVersionStatusParams struct {
	Name    string
	Version int
	Status  string
	Audit   *mlw.AuditEvent
}

// SetAliasParams are the arguments of Store.SetAlias.
type SetAliasParams struct {
	Model   string
	Alias   string
	Version int
	At      time.Time
	SetBy   string
	Reason  string
	Audit   *mlw.AuditEvent
}

// DeleteAliasParams are the arguments of Store.DeleteAlias.
type DeleteAliasParams struct {
	Model  string
	Alias  string
	At     time.Time
	By     string
	Reason string
	Audit  *mlw.AuditEvent
}

// ListAliasesParams are the arguments of Store.ListAliases.
type ListAliasesParams struct {
	Model string
}

// AliasHistoryParams are the arguments of Store.AliasHistory.
type AliasHistoryParams struct {
	Model string
	Alias string // only this alias when set
}

// CreateDeploymentParams are the arguments of Store.CreateDeployment.
type CreateDeploymentParams struct {
	Deployment     mlw.Deployment // Endpoint, Strategy, State, Spec, Reason, CreatedBy
	ExpectRevision *int           // nil: no check
	Audit          *mlw.AuditEvent
}

// GetDeploymentParams are the arguments of Store.GetDeployment.
type GetDeploymentParams struct {
	Endpoint string
	Revision int
}

// ListDeploymentsParams are the arguments of Store.ListDeployments.
type ListDeploymentsParams struct {
	Endpoint string
}

// AppendAuditParams are the arguments of Store.AppendAudit.
type AppendAuditParams struct {
	Event mlw.AuditEvent // Time, Actor, Action, Target, Reason, Details
}

// ListAuditParams are the arguments of Store.ListAudit.
type ListAuditParams struct {
	AfterSeq     int64
	Limit        int
	Target       string
	ActionPrefix string
}

// LogPredictionsParams are the arguments of Store.LogPredictions.
type LogPredictionsParams struct {
	Predictions []mlw.Prediction
}

// ListPredictionsParams are the arguments of Store.ListPredictions.
type ListPredictionsParams struct {
	Endpoint      string
	Since, Until  time.Time // zero: unbounded
	Variant       string    // only this variant when set
	IncludeShadow bool
	AfterID       int64
	Limit         int
}

// DeletePredictionsParams are the arguments of Store.DeletePredictions.
type DeletePredictionsParams struct {
	Before time.Time
}

// RecordFeedbackParams are the arguments of Store.RecordFeedback.
type RecordFeedbackParams struct {
	Feedback []mlw.Feedback
}

// AppendAlertEventParams are the arguments of Store.AppendAlertEvent.
type AppendAlertEventParams struct {
	Event mlw.AlertEvent
	Audit *mlw.AuditEvent
}

// Lease is a named claim on a job by one process until Expires.
type Lease struct {
	Name    string
	Holder  string
	Expires time.Time
}

// AcquireLeaseParams are the arguments of Store.AcquireLease.
type AcquireLeaseParams struct {
	Name, Holder string
	TTL          time.Duration
	At           time.Time
}

// ReleaseLeaseParams are the arguments of Store.ReleaseLease.
type ReleaseLeaseParams struct {
	Name, Holder string
}

// ValidateFeedback returns the EINVALID error of item i of a feedback
// batch, if it has one: an empty endpoint, request id or label, or a
// negative row.
func ValidateFeedback(i int, f *mlw.Feedback) error {
	switch {
	case f.Endpoint == "":
		return mlw.Errorf(mlw.EINVALID, "feedback %d: endpoint is empty", i)
	case f.RequestID == "":
		return mlw.Errorf(mlw.EINVALID, "feedback %d: request id is empty", i)
	case f.Label == "":
		return mlw.Errorf(mlw.EINVALID, "feedback %d: label is empty", i)
	case f.Row < 0:
		return mlw.Errorf(mlw.EINVALID, "feedback %d: row %d is negative", i, f.Row)
	}
	return nil
}

// ValidateAlertEvent returns the EINVALID error of an alert event, if it
// has one: an empty endpoint or rule, or a state other than firing and
// resolved.
func ValidateAlertEvent(e *mlw.AlertEvent) error {
	switch {
	case e.Endpoint == "":
		return mlw.Errorf(mlw.EINVALID, "alert event: endpoint is empty")
	case e.Rule == "":
		return mlw.Errorf(mlw.EINVALID, "alert event of endpoint %s: rule is empty", e.Endpoint)
	case e.State != mlw.AlertFiring && e.State != mlw.AlertResolved:
		return mlw.Errorf(mlw.EINVALID, "alert event of endpoint %s: state %q is neither %q nor %q",
			e.Endpoint, e.State, mlw.AlertFiring, mlw.AlertResolved)
	}
	return nil
}

// ValidateLease returns the EINVALID error of an AcquireLease call, if any.
func ValidateLease(p *AcquireLeaseParams) error {
	switch {
	case p.Name == "":
		return mlw.Errorf(mlw.EINVALID, "lease: the name is empty")
	case p.Holder == "":
		return mlw.Errorf(mlw.EINVALID, "lease %s: the holder is empty", p.Name)
	case p.TTL <= 0:
		return mlw.Errorf(mlw.EINVALID, "lease %s: the TTL %s is not positive", p.Name, p.TTL)
	}
	return nil
}

// ListAlertEventsParams are the arguments of Store.ListAlertEvents.
type ListAlertEventsParams struct {
	Endpoint string
	Since    time.Time
	Limit    int
}
