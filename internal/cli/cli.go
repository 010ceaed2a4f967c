// Package cli is mlw's command tree: flags in, services called, results rendered
// as tables for people or JSON for programs.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mlw.dev/internal/mlw"
)

// Exit statuses.
const (
	ExitOK    = 0 // success
	ExitError = 1 // the command failed, or a check it ran failed
	ExitUsage = 2 // the command line is wrong
)

// App carries what commands need from the outside world, so that tests can run
// the real command tree in-process.
type App struct {
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
	Now    func() time.Time
	Logger *slog.Logger
	// Dir is the working directory commands resolve relative paths against.
	Dir string

	projectDir string // --project
}

// NewApp returns an App wired to the process: stdout, stderr, the environment,
// the clock and the working directory.
func NewApp() *App {
	wd, _ := os.Getwd()
	return &App{
		Out:    os.Stdout,
		Err:    os.Stderr,
		Getenv: os.Getenv,
		Now:    time.Now,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Dir:    wd,
	}
}

// Main runs mlw with args and returns the process exit status. A panic in a
// command is reported as an internal error (with its stack when MLW_DEBUG is
// set), not as a crash.
func Main(ctx context.Context, app *App, args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(app.Err, "mlw: internal error: %v\n", r)
			if app.Getenv("MLW_DEBUG") != "" {
				fmt.Fprintf(app.Err, "%s\n", debug.Stack())
			} else {
				fmt.Fprintln(app.Err, "Try: MLW_DEBUG=1 to print the stack, and report it")
			}
			code = ExitError
		}
	}()
	root := app.Command()
	root.SetArgs(args)
	root.SetOut(app.Out)
	root.SetErr(app.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ex *exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	fmt.Fprintf(app.Err, "mlw: %s\n", err.Error())
	if hint := mlw.ErrorHint(err); hint != "" {
		fmt.Fprintf(app.Err, "Try: %s\n", hint)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitError
}

// exitError ends a command with a status after it has printed its own output
// (a failed lint or check is a result, not an error message).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError marks a wrong command line.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(hint, format string, args ...any) error {
	return &usageError{err: mlw.Errorf(mlw.EINVALID, format, args...).WithHint("%s", hint)}
}

// Command groups, in lifecycle order.
var groups = []*cobra.Group{
	{ID: "define", Title: "1. Problem definition:"},
	{ID: "data", Title: "2. Data:"},
	{ID: "develop", Title: "3. Model development:"},
	{ID: "evaluate", Title: "4. Evaluation and registry:"},
	{ID: "deploy", Title: "5. Deployment:"},
	{ID: "monitor", Title: "6. Monitoring and maintenance:"},
	{ID: "govern", Title: "Governance, throughout:"},
	{ID: "start", Title: "Getting started:"},
}

// Command builds the root command.
func (app *App) Command() *cobra.Command {
	cobra.EnableCommandSorting = false // list commands in lifecycle order
	root := &cobra.Command{
		Use:   "mlw",
		Short: "mlw carries a tabular machine-learning project through its whole lifecycle",
		Long: `mlw carries a tabular machine-learning project through its whole lifecycle:
problem definition, data, model development, evaluation, deployment and
monitoring, with experiment tracking, a model registry, lineage and an audit
trail throughout. A project is a directory with mlw.yaml (the ML Project
Canvas and the project's configuration) and .mlw/ (the store and artifacts).

Start with 'mlw quickstart' to see the whole lifecycle on a bundled dataset,
or 'mlw init --name NAME' to begin a project of your own.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&app.projectDir, "project", "C", "", "project directory (default: the nearest directory with mlw.yaml, from the working directory up; env MLW_PROJECT)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{err: mlw.Errorf(mlw.EINVALID, "%s", err.Error()).WithHint("mlw %s --help", strings.TrimPrefix(c.CommandPath(), "mlw "))}
	})
	root.AddGroup(groups...)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("define", app.initCommand(), app.canvasCommand(), app.proposalCommand())
	add("data", app.dataCommand())
	add("develop",
		app.trainCommand(),
		app.tuneCommand(),
		app.ladderCommand(),
		app.runsCommand(),
		app.predictCommand())
	add("evaluate",
		app.evaluateCommand(),
		app.modelCommand(),
		app.checkCommand(),
		app.reportCommand())
	add("deploy",
		app.serveCommand(),
		app.deployCommand(),
		app.promoteCommand(),
		app.rollbackCommand(),
		app.undeployCommand(),
		app.servedCommand())
	add("monitor",
		app.monitorCommand(),
		app.feedbackCommand(),
		app.retrainCommand())
	add("govern", app.lineageCommand(),
		app.auditCommand(), app.statusCommand())
	add("start", app.quickstartCommand())
	root.SetHelpCommandGroupID("start")
	root.SetCompletionCommandGroupID("start")
	return root
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
