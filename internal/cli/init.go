package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/project"
)

func (app *App) initCommand() *cobra.Command {
	var name, task, reason string
	c := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a project: mlw.yaml with the ML Project Canvas, and .mlw/ for the store and artifacts",
		Long: `Create a project in DIR (default: the working directory): mlw.yaml, the ML
Project Canvas as a commented template with every section (business problem,
is it an ML problem, ML formulation, success metrics, constraints, timeline,
resources, risks) plus the project's configuration, and .mlw/ holding the
metadata store and the artifacts. It refuses to overwrite an existing project.

Next: fill in the canvas, check it with 'mlw canvas lint', and render it with
'mlw proposal'.`,
		Example: "  mlw init churn --name churn --task classification",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := app.Dir
			if len(args) == 1 {
				dir = app.abs(args[0])
			}
			if name == "" {
				name = filepath.Base(dir)
			}
			src, err := project.Template(project.TemplateParams{Name: name, Task: task})
			if err != nil {
				return &usageError{err: err}
			}
			if err := app.createProject(c, dir, src, "project.init", reason); err != nil {
				return err
			}
			fmt.Fprintf(app.Out, "Created project %s in %s\n", name, dir)
			fmt.Fprintf(app.Out, "  %s  the ML Project Canvas: fill it in, then run 'mlw canvas lint'\n", project.FileName)
			fmt.Fprintf(app.Out, "  %s/     the store and artifacts\n", project.DirName)
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "project name (default: the directory's name)")
	c.Flags().StringVar(&task, "task", project.Classification, "classification or regression")
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	return c
}

// createProject writes mlw.yaml (src) and .mlw/ in dir, opens the store (which
// applies the migrations) and records the creation in the audit trail. On any
// failure it removes what it created, so no half project is left behind.
func (app *App) createProject(c *cobra.Command, dir string, src []byte, action, reason string) (err error) {
	cfgPath := filepath.Join(dir, project.FileName)
	if _, err := os.Stat(cfgPath); err == nil {
		return mlw.Errorf(mlw.ECONFLICT, "%s already exists: mlw init never overwrites a project", cfgPath).
			WithHint("edit it, or choose another directory")
	}
	state := filepath.Join(dir, project.DirName)
	if _, err := os.Stat(state); err == nil {
		return mlw.Errorf(mlw.ECONFLICT, "%s already exists without %s: move it away first", state, project.FileName)
	}
	if _, err := project.Parse(cfgPath, src); err != nil {
		return err
	}
	var created []string
	defer func() {
		if err != nil {
			for i := len(created) - 1; i >= 0; i-- {
				os.RemoveAll(created[i])
			}
		}
	}()
	if _, statErr := os.Stat(dir); errors.Is(statErr, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return mlw.Errorf(mlw.EINVALID, "create %s: %v", dir, errors.Unwrap(err))
		}
		created = append(created, dir)
	}
	if err := os.Mkdir(state, 0o755); err != nil {
		return mlw.Errorf(mlw.EINVALID, "create %s: %v", state, errors.Unwrap(err))
	}
	created = append(created, state)
	if err := os.WriteFile(filepath.Join(state, ".gitignore"), []byte("# mlw's local store and artifacts\n*\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", state, err)
	}
	if err := writeFile(cfgPath, src); err != nil {
		return err
	}
	created = append(created, cfgPath)

	proj, err := project.Load(cfgPath)
	if err != nil {
		return err
	}
	e, err := app.openProject(c.Context(), proj)
	if err != nil {
		return err
	}
	defer e.Close()
	_, err = e.store.AppendAudit(c.Context(), appendParams(e.event(action, proj.Config.Name, reason,
		map[string]string{"dir": dir, "task": proj.Config.Task, "store": redactURL(app.storeURL(proj))})))
	return err
}

// redactURL removes a password from a store URL before it is shown or recorded.
func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	creds := u[scheme+3 : at]
	if user, _, ok := strings.Cut(creds, ":"); ok {
		return u[:scheme+3] + user + ":xxxxx" + u[at:]
	}
	return u
}
