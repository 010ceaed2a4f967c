package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"mlw.dev/frame"
	"mlw.dev/internal/dataset"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// datasets returns the dataset service of an opened project.
func (e *env) datasets() *dataset.Service {
	return &dataset.Service{
		Store: e.store, Artifacts: e.artifacts, Now: e.app.Now, Actor: e.actor,
		TempDir: filepath.Join(e.proj.StateDir(), "tmp"),
	}
}

func (app *App) dataCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "data",
		Short: "Dataset versions, profiles, validation, cleaning and leakage-safe splits",
		Long: `The data stage: add data files as immutable, content-addressed dataset
versions, profile them, and split them for training without leakage.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.AddCommand(app.dataAddCommand(), app.dataListCommand(), app.dataShowCommand(),
		app.dataProfileCommand(), app.dataValidateCommand(), app.dataExpectCommand(), app.dataCleanCommand(), app.dataSplitCommand(), app.dataExportCommand())
	return c
}

func (app *App) dataAddCommand() *cobra.Command {
	var (
		roles  mlw.Roles
		reason string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "add NAME FILE",
		Short: "Add a CSV, gzip-compressed CSV or Parquet file as a new immutable dataset version",
		Long: `Add FILE as a new version of dataset NAME. The version is identified by the
sha256 of the file's content: adding the same content again returns the
existing version. The file is kept in the artifact store; its schema (each
column's type and inferred kind: numeric, categorical, boolean, datetime,
text, id, constant), row count, source path and column roles are recorded,
and the addition is audited.

Roles default to mlw.yaml's data: section (for the columns the file has);
flags override them. A malformed file is reported with its line and column.

JSON (--json): the version (id, dataset, version, hash, rows, format,
source_path, roles, schema, created_at, created_by) and created (false when
the content already existed).`,
		Example: "  mlw data add tickets data/support_tickets.csv --target resolved_without_agent --time created_at",
		Args:    cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			res, err := e.datasets().Add(c.Context(), dataset.AddParams{
				Name: args[0], Path: app.abs(args[1]), Roles: roles, Defaults: e.proj.Config.Data.Roles, Reason: reason,
			})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, struct {
					*mlw.DatasetVersion
					Created bool `json:"created"`
				}{res.Version, res.Created})
			}
			v := res.Version
			if !res.Created {
				fmt.Fprintf(app.Out, "%s already holds this content (sha256 %s…): nothing added\n", v.Ref(), v.Hash[:12])
				return nil
			}
			fmt.Fprintf(app.Out, "Added %s: %d rows, %d columns, sha256 %s…\n", v.Ref(), v.Rows, res.Frame.NumCols(), v.Hash[:12])
			printRoles(app, v.Roles)
			for _, ig := range res.Ignored {
				fmt.Fprintf(app.Out, "  note: mlw.yaml names %s, which this file lacks\n", ig)
			}
			fmt.Fprintf(app.Out, "Next: mlw data profile %s\n", v.Ref())
			return nil
		},
	}
	c.Flags().StringVar(&roles.Target, "target", "", "the column to predict")
	c.Flags().StringVar(&roles.Time, "time", "", "the event-time column (time splits, leakage checks)")
	c.Flags().StringVar(&roles.ID, "id", "", "the row identifier column (never a feature)")
	c.Flags().StringSliceVar(&roles.Segments, "segment", nil, "columns to report metrics by (repeat or comma-separate)")
	c.Flags().StringSliceVar(&roles.Sensitive, "sensitive", nil, "protected attributes for fairness checks")
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printRoles(app *App, r mlw.Roles) {
	var parts []string
	add := func(role string, cols ...string) {
		if len(cols) > 0 && cols[0] != "" {
			parts = append(parts, role+" "+strings.Join(cols, ","))
		}
	}
	add("target", r.Target)
	add("time", r.Time)
	add("id", r.ID)
	add("segments", r.Segments...)
	add("sensitive", r.Sensitive...)
	if len(parts) == 0 {
		parts = []string{"none (set --target to train on it)"}
	}
	fmt.Fprintf(app.Out, "  roles: %s\n", strings.Join(parts, "; "))
}

func (app *App) dataListCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List datasets and their latest versions",
		Long: `List every dataset with its latest version.

JSON (--json): a list of the latest versions (see mlw data show --json).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			sets, err := e.store.ListDatasets(c.Context(), &store.ListDatasetsParams{})
			if err != nil {
				return err
			}
			latest := []*mlw.DatasetVersion{}
			for _, d := range sets {
				v, err := e.store.GetDatasetVersion(c.Context(), &store.GetDatasetVersionParams{Dataset: d.Name})
				if err != nil {
					return err
				}
				latest = append(latest, v)
			}
			if asJSON {
				return writeJSON(app.Out, latest)
			}
			tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "DATASET\tLATEST\tROWS\tTARGET\tADDED\tBY")
			for _, v := range latest {
				fmt.Fprintf(tw, "%s\t@%d\t%d\t%s\t%s\t%s\n", v.Dataset, v.Version, v.Rows, dash(v.Roles.Target), v.CreatedAt.Local().Format("2006-01-02 15:04"), v.CreatedBy)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (app *App) dataShowCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show NAME[@N]",
		Short: "Show a dataset version: hash, source, roles, schema, lineage",
		Long: `Show a dataset version (the latest when no @N is given): content hash,
source file, row count, roles, the schema with each column's type, kind,
missing and distinct counts, and the version it was derived from.

JSON (--json): the version with id, dataset, version, hash, artifact_key,
format, source_path, rows, schema (fields: name, type, kind, missing,
distinct), roles, parent_id, recipe, reason, created_at, created_by, and
versions (all versions of the dataset: version, rows, hash, created_at).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			v, err := e.datasets().Resolve(c.Context(), args[0])
			if err != nil {
				return err
			}
			all, err := e.store.ListDatasetVersions(c.Context(), &store.ListDatasetVersionsParams{Dataset: v.Dataset})
			if err != nil {
				return err
			}
			if asJSON {
				type brief struct {
					Version   int    `json:"version"`
					Rows      int64  `json:"rows"`
					Hash      string `json:"hash"`
					CreatedAt string `json:"created_at"`
				}
				versions := []brief{}
				for _, x := range all {
					versions = append(versions, brief{x.Version, x.Rows, x.Hash, x.CreatedAt.Format("2006-01-02T15:04:05Z07:00")})
				}
				return writeJSON(app.Out, struct {
					*mlw.DatasetVersion
					Versions []brief `json:"versions"`
				}{v, versions})
			}
			schema, err := dataset.Schema(v)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Out, "%s  (%d of %d versions)\n", v.Ref(), v.Version, len(all))
			fmt.Fprintf(app.Out, "  sha256   %s\n  source   %s (%s)\n  rows     %d\n  added    %s by %s\n", v.Hash, v.SourcePath, v.Format, v.Rows, v.CreatedAt.Local().Format("2006-01-02 15:04:05"), v.CreatedBy)
			if v.Reason != "" {
				fmt.Fprintf(app.Out, "  reason   %s\n", v.Reason)
			}
			if v.ParentID != 0 {
				if p, err := e.store.GetDatasetVersion(c.Context(), &store.GetDatasetVersionParams{ID: v.ParentID}); err == nil {
					fmt.Fprintf(app.Out, "  derived  from %s, recipe %s\n", p.Ref(), string(v.Recipe))
				}
			}
			printRoles(app, v.Roles)
			fmt.Fprintln(app.Out)
			printSchema(app, schema)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printSchema(app *App, s frame.Schema) {
	tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tKIND\tMISSING\tDISTINCT")
	for _, f := range s.Fields {
		distinct := "-"
		if f.Distinct > 0 {
			distinct = fmt.Sprint(f.Distinct)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", f.Name, f.Type, f.Kind, f.Missing, distinct)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
