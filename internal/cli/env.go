package cli

import (
	"context"
	"path/filepath"
	"strings"

	"mlw.dev/internal/artifact"
	"mlw.dev/internal/audit"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/project"
	"mlw.dev/internal/store"
	"mlw.dev/internal/store/postgres"
	"mlw.dev/internal/store/sqlite"
)

// env is an opened project: its config, store and artifacts, and who is acting.
type env struct {
	app       *App
	proj      *project.Project
	store     store.Store
	artifacts *artifact.Store
	actor     string
}

// Close releases the store and the artifact store.
func (e *env) Close() {
	if e.store != nil {
		e.store.Close()
	}
	if e.artifacts != nil {
		e.artifacts.Close()
	}
}

// event returns an audit event by the current actor at the current time.
func (e *env) event(action, target, reason string, details any) *mlw.AuditEvent {
	return audit.New(e.app.Now(), e.actor, action, target, reason, details)
}

// abs resolves path against the app's working directory.
func (app *App) abs(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(app.Dir, path)
}

// loadProject finds and loads mlw.yaml: --project, MLW_PROJECT, or the nearest
// directory from the working directory up.
func (app *App) loadProject() (*project.Project, error) {
	dir := app.projectDir
	if dir == "" {
		dir = app.Getenv("MLW_PROJECT")
	}
	var path string
	if dir != "" {
		path = filepath.Join(app.abs(dir), project.FileName)
	} else {
		p, err := project.Find(app.Dir)
		if err != nil {
			return nil, err
		}
		path = p
	}
	return project.Load(path)
}

// open loads the project and opens its store and artifacts.
func (app *App) open(ctx context.Context) (*env, error) {
	proj, err := app.loadProject()
	if err != nil {
		return nil, err
	}
	return app.openProject(ctx, proj)
}

func (app *App) openProject(ctx context.Context, proj *project.Project) (*env, error) {
	e := &env{app: app, proj: proj, actor: audit.Actor(app.Getenv)}
	s, err := openStore(ctx, app.storeURL(proj))
	if err != nil {
		return nil, err
	}
	e.store = s
	arts, err := artifact.Open(ctx, app.artifactsURL(proj))
	if err != nil {
		e.Close()
		return nil, err
	}
	e.artifacts = arts
	return e, nil
}

// storeURL is MLW_STORE, else mlw.yaml's store:, else .mlw/store.db.
func (app *App) storeURL(proj *project.Project) string {
	if u := app.Getenv("MLW_STORE"); u != "" {
		return u
	}
	if proj.Config.Store != "" {
		return proj.Config.Store
	}
	return filepath.Join(proj.StateDir(), "store.db")
}

// artifactsURL is MLW_ARTIFACTS, else mlw.yaml's artifacts:, else .mlw/artifacts.
func (app *App) artifactsURL(proj *project.Project) string {
	loc := app.Getenv("MLW_ARTIFACTS")
	if loc == "" {
		loc = proj.Config.Artifacts
	}
	if loc == "" {
		return filepath.Join(proj.StateDir(), "artifacts")
	}
	if !strings.Contains(loc, "://") && !filepath.IsAbs(loc) {
		return filepath.Join(proj.Dir, loc)
	}
	return loc
}

// openStore chooses the driver by the URL's scheme: postgres:// or postgresql://
// for PostgreSQL, sqlite:// or a plain path for SQLite.
func openStore(ctx context.Context, url string) (store.Store, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url)
	case strings.HasPrefix(url, "sqlite://"):
		return sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite://"))
	case strings.Contains(url, "://"):
		return nil, mlw.Errorf(mlw.EINVALID, "store %q: unknown scheme (want postgres://, sqlite:// or a file path)", url)
	default:
		return sqlite.Open(ctx, url)
	}
}
