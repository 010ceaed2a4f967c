// Package dataset manages dataset versions: immutable, content-addressed copies
// of data files with their inferred schema and column roles, and loading them
// back as frames.
package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"mlw.dev/frame"
	"mlw.dev/internal/artifact"
	"mlw.dev/internal/audit"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// Service adds and loads dataset versions.
type Service struct {
	Store     store.Store
	Artifacts *artifact.Store
	Now       func() time.Time
	Actor     string
	// TempDir holds files fetched from the artifact store while they are read.
	TempDir string
}

// AddParams are the arguments of Add.
type AddParams struct {
	Name string
	Path string
	// Roles given explicitly (flags): a named column that does not exist is an error.
	Roles mlw.Roles
	// Defaults (mlw.yaml data:) apply to columns the file has and are ignored otherwise.
	Defaults mlw.Roles
	Reason   string
	// ParentID and Recipe record a derived version (cleaning).
	ParentID int64
	Recipe   json.RawMessage
	Action   string // audit action; "dataset.add" when empty
	// Source replaces the recorded source path (a derived version's file is temporary).
	Source string
}

// AddResult is the outcome of Add.
type AddResult struct {
	Version *mlw.DatasetVersion
	Created bool // false when the same content was already a version
	Frame   *frame.Frame
	Schema  frame.Schema
	Ignored []string // default roles whose columns the file lacks
}

// Add reads and checks the file, then stores it as a new version of the
// dataset unless a version with the same content hash exists, in which case
// that version is returned.
func (s *Service) Add(ctx context.Context, p AddParams) (*AddResult, error) {
	if err := mlw.ValidName(p.Name); err != nil {
		return nil, err
	}
	f, err := frame.ReadFile(p.Path, frame.ReadOptions{})
	if err != nil {
		return nil, readError(p.Path, err)
	}
	schema := frame.InferSchema(f, frame.SchemaOptions{})
	roles, ignored, err := resolveRoles(f, p.Roles, p.Defaults)
	if err != nil {
		return nil, err
	}
	info, err := s.Artifacts.PutFile(ctx, p.Path)
	if err != nil {
		return nil, err
	}
	res := &AddResult{Frame: f, Schema: schema, Ignored: ignored}
	existing, err := s.Store.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{Dataset: p.Name, Hash: info.Sum})
	switch {
	case err == nil:
		res.Version = existing
		return res, nil
	case mlw.ErrorCode(err) != mlw.ENOTFOUND:
		return nil, err
	}
	schemaJSON, err := json.Marshal(schema)
	if err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	action := p.Action
	if action == "" {
		action = "dataset.add"
	}
	abs, _ := filepath.Abs(p.Path)
	if p.Source != "" {
		abs = p.Source
	}
	v := mlw.DatasetVersion{
		Dataset: p.Name, Hash: info.Sum, ArtifactKey: info.Key, Format: formatOf(p.Path),
		SourcePath: abs, Rows: int64(f.NumRows()), Schema: schemaJSON, Roles: roles,
		ParentID: p.ParentID, Recipe: p.Recipe, Reason: p.Reason, CreatedAt: s.Now(), CreatedBy: s.Actor,
	}
	ev := audit.New(s.Now(), s.Actor, action, p.Name, p.Reason, map[string]any{
		"sha256": info.Sum, "rows": f.NumRows(), "columns": f.NumCols(), "source": abs, "parent_id": p.ParentID,
	})
	created, err := s.Store.CreateDatasetVersion(ctx, &store.CreateDatasetVersionParams{Version: v, Audit: ev})
	if mlw.ErrorCode(err) == mlw.ECONFLICT {
		// Another process added the same content meanwhile.
		created, err = s.Store.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{Dataset: p.Name, Hash: info.Sum})
		if err != nil {
			return nil, err
		}
		res.Version = created
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Version, res.Created = created, true
	return res, nil
}

// readError keeps frame's located parse errors and classifies the rest.
func readError(path string, err error) error {
	var pe *frame.ParseError
	if errors.As(err, &pe) {
		return mlw.Errorf(mlw.EINVALID, "%s", pe.Error())
	}
	if errors.Is(err, os.ErrNotExist) {
		return mlw.Errorf(mlw.ENOTFOUND, "%s: no such file", path)
	}
	return mlw.Errorf(mlw.EINVALID, "read %s: %v", path, err)
}

func formatOf(path string) string {
	p := strings.ToLower(path)
	switch {
	case strings.HasSuffix(p, ".parquet"):
		return "parquet"
	case strings.HasSuffix(p, ".gz"):
		return "csv.gz"
	case strings.HasSuffix(p, ".tsv"):
		return "tsv"
	}
	return "csv"
}

// resolveRoles checks explicit roles against the frame's columns and keeps the
// defaults whose columns exist.
func resolveRoles(f *frame.Frame, explicit, defaults mlw.Roles) (mlw.Roles, []string, error) {
	has := func(c string) bool { return f.ColumnIndex(c) >= 0 }
	check := func(flag string, cols ...string) error {
		for _, c := range cols {
			if c != "" && !has(c) {
				return mlw.Errorf(mlw.EINVALID, "--%s %s: no such column (columns: %s)", flag, c, strings.Join(f.Names(), ", "))
			}
		}
		return nil
	}
	for _, e := range []error{
		check("target", explicit.Target), check("time", explicit.Time), check("id", explicit.ID),
		check("segment", explicit.Segments...), check("sensitive", explicit.Sensitive...),
	} {
		if e != nil {
			return mlw.Roles{}, nil, e
		}
	}
	var ignored []string
	pick := func(exp, def, role string) string {
		if exp != "" {
			return exp
		}
		if def != "" && !has(def) {
			ignored = append(ignored, role+" "+def)
			return ""
		}
		return def
	}
	pickList := func(exp, def []string, role string) []string {
		if len(exp) > 0 {
			return exp
		}
		var out []string
		for _, c := range def {
			if has(c) {
				out = append(out, c)
			} else {
				ignored = append(ignored, role+" "+c)
			}
		}
		return out
	}
	r := mlw.Roles{
		Target:    pick(explicit.Target, defaults.Target, "target"),
		Time:      pick(explicit.Time, defaults.Time, "time"),
		ID:        pick(explicit.ID, defaults.ID, "id"),
		Segments:  pickList(explicit.Segments, defaults.Segments, "segment"),
		Sensitive: pickList(explicit.Sensitive, defaults.Sensitive, "sensitive"),
	}
	if r.Target != "" && (r.Target == r.ID || r.Target == r.Time || slices.Contains(r.Segments, r.Target) || slices.Contains(r.Sensitive, r.Target)) {
		return mlw.Roles{}, nil, mlw.Errorf(mlw.EINVALID, "column %s cannot be the target and another role", r.Target)
	}
	return r, ignored, nil
}

// Resolve finds a dataset version from "NAME" (latest) or "NAME@N".
func (s *Service) Resolve(ctx context.Context, ref string) (*mlw.DatasetVersion, error) {
	r, err := mlw.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	if r.Alias != "" {
		return nil, mlw.Errorf(mlw.EINVALID, "dataset %s: datasets have versions, not aliases (use NAME or NAME@N)", ref)
	}
	v, err := s.Store.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{Dataset: r.Name, Version: r.Version})
	if mlw.ErrorCode(err) == mlw.ENOTFOUND {
		return nil, mlw.Errorf(mlw.ENOTFOUND, "dataset %s not found", ref).WithHint("mlw data list shows the datasets; mlw data add NAME FILE adds one")
	}
	return v, err
}

// Load reads a version's stored file back as a frame, verifying its hash.
func (s *Service) Load(ctx context.Context, v *mlw.DatasetVersion) (*frame.Frame, error) {
	if err := os.MkdirAll(s.TempDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", s.TempDir, err)
	}
	tmp, err := os.CreateTemp(s.TempDir, "dataset-*."+v.Format)
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	if err := s.Artifacts.GetToFile(ctx, v.ArtifactKey, name); err != nil {
		return nil, err
	}
	f, err := frame.ReadFile(name, frame.ReadOptions{Name: v.Ref().String()})
	if err != nil {
		return nil, readError(v.Ref().String(), err)
	}
	return f, nil
}

// Schema decodes a version's stored schema.
func Schema(v *mlw.DatasetVersion) (frame.Schema, error) {
	var s frame.Schema
	if err := json.Unmarshal(v.Schema, &s); err != nil {
		return s, fmt.Errorf("dataset %s: stored schema: %w", v.Ref(), err)
	}
	return s, nil
}
