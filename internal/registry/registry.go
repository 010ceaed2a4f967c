// Package registry holds the model registry's rules on top of the store:
// registering a run's bundle as an immutable model version, moving aliases
// (champion, challenger, any name) with their history, archiving versions, and
// resolving NAME, NAME@N and NAME@alias references.
package registry

import (
	"context"
	"time"

	"mlw.dev/internal/audit"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// BundleArtifact is the name of a run's model bundle artifact.
const BundleArtifact = "model.mlwb"

// Registry registers and resolves model versions.
type Registry struct {
	Store store.Store
	Now   func() time.Time
	Actor string
}

// Register makes the bundle of a finished run version N of model name. It
// returns EINVALID when the run is not finished or has no bundle.
func (r *Registry) Register(ctx context.Context, runID, name, description, reason string) (*mlw.ModelVersion, error) {
	if err := mlw.ValidName(name); err != nil {
		return nil, err
	}
	run, err := r.Store.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	if run.Status != mlw.RunFinished {
		return nil, mlw.Errorf(mlw.EINVALID, "run %s is %s: only a finished run can be registered", runID, run.Status)
	}
	if !run.DeletedAt.IsZero() {
		return nil, mlw.Errorf(mlw.EINVALID, "run %s is deleted", runID)
	}
	arts, err := r.Store.ListRunArtifacts(ctx, runID)
	if err != nil {
		return nil, err
	}
	key := ""
	for _, a := range arts {
		if a.Name == BundleArtifact {
			key = a.Key
		}
	}
	if key == "" {
		return nil, mlw.Errorf(mlw.EINVALID, "run %s has no model bundle to register", runID)
	}
	ev := audit.New(r.Now(), r.Actor, "model.register", name, reason, map[string]string{"run": runID, "artifact": key, "model": run.Model})
	return r.Store.CreateModelVersion(ctx, &store.CreateModelVersionParams{
		Version: mlw.ModelVersion{Name: name, RunID: runID, ArtifactKey: key, Description: description, CreatedAt: r.Now(), CreatedBy: r.Actor},
		Audit:   ev,
	})
}

// Resolve finds the version a reference names: NAME (the latest version),
// NAME@N or NAME@alias.
func (r *Registry) Resolve(ctx context.Context, ref string) (*mlw.ModelVersion, error) {
	rf, err := mlw.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	version := rf.Version
	if rf.Alias != "" {
		a, err := r.Store.GetAlias(ctx, rf.Name, rf.Alias)
		if err != nil {
			if mlw.ErrorCode(err) == mlw.ENOTFOUND {
				return nil, mlw.Errorf(mlw.ENOTFOUND, "model %s has no alias %s", rf.Name, rf.Alias).WithHint("mlw model show %s lists its aliases", rf.Name)
			}
			return nil, err
		}
		version = a.Version
	}
	v, err := r.Store.GetModelVersion(ctx, &store.GetModelVersionParams{Name: rf.Name, Version: version})
	if mlw.ErrorCode(err) == mlw.ENOTFOUND {
		return nil, mlw.Errorf(mlw.ENOTFOUND, "model %s not found", ref).WithHint("mlw model list shows the registered models")
	}
	return v, err
}

// SetAlias points alias at the version ref names. Archived versions cannot
// take an alias.
func (r *Registry) SetAlias(ctx context.Context, ref, alias, reason string, details map[string]any) (*mlw.Alias, *mlw.ModelVersion, error) {
	if err := mlw.ValidName(alias); err != nil {
		return nil, nil, mlw.Errorf(mlw.EINVALID, "alias: %s", err.(*mlw.Error).Message)
	}
	if alias == "latest" {
		return nil, nil, mlw.Errorf(mlw.EINVALID, "alias latest is reserved: NAME alone names the latest version")
	}
	v, err := r.Resolve(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if v.Status == mlw.ModelArchived {
		return nil, nil, mlw.Errorf(mlw.EINVALID, "%s is archived: it cannot take an alias", v.Ref())
	}
	if details == nil {
		details = map[string]any{}
	}
	details["version"] = v.Version
	details["alias"] = alias
	now := r.Now()
	ev := audit.New(now, r.Actor, "model.alias", v.Ref().String(), reason, details)
	a, err := r.Store.SetAlias(ctx, &store.SetAliasParams{Model: v.Name, Alias: alias, Version: v.Version, At: now, SetBy: r.Actor, Reason: reason, Audit: ev})
	return a, v, err
}

// RemoveAlias removes an alias from a model.
func (r *Registry) RemoveAlias(ctx context.Context, model, alias, reason string) error {
	now := r.Now()
	ev := audit.New(now, r.Actor, "model.unalias", model+"@"+alias, reason, nil)
	return r.Store.DeleteAlias(ctx, &store.DeleteAliasParams{Model: model, Alias: alias, At: now, By: r.Actor, Reason: reason, Audit: ev})
}

// Archive retires a version. A version that still holds an alias cannot be
// archived: move the alias first.
func (r *Registry) Archive(ctx context.Context, ref, reason string) (*mlw.ModelVersion, error) {
	v, err := r.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if v.Status == mlw.ModelArchived {
		return nil, mlw.Errorf(mlw.ECONFLICT, "%s is already archived", v.Ref())
	}
	aliases, err := r.Store.ListAliases(ctx, &store.ListAliasesParams{Model: v.Name})
	if err != nil {
		return nil, err
	}
	for _, a := range aliases {
		if a.Version == v.Version {
			return nil, mlw.Errorf(mlw.EINVALID, "%s holds alias %s: move or remove it before archiving", v.Ref(), a.Alias)
		}
	}
	ev := audit.New(r.Now(), r.Actor, "model.archive", v.Ref().String(), reason, nil)
	return r.Store.SetModelVersionStatus(ctx, &store.SetModelVersionStatusParams{Name: v.Name, Version: v.Version, Status: mlw.ModelArchived, Audit: ev})
}
