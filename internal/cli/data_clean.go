package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"mlw.dev/frame"
	"mlw.dev/internal/clean"
	"mlw.dev/internal/dataset"
	"mlw.dev/internal/mlw"
)

func (app *App) dataCleanCommand() *cobra.Command {
	var (
		r      clean.Recipe
		replay string
		reason string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "clean NAME[@N]",
		Short: "Clean a dataset version into a new version whose lineage names its parent and recipe",
		Long: `Apply a cleaning recipe to a dataset version and store the result as a new
version of the same dataset. The steps run in this order: --drop-columns,
--filter (keep rows where the expression is true; columns are variables,
missing values are nil), --drop-duplicates, --clip-outliers (iqr: to
Q1-1.5 IQR and Q3+1.5 IQR; zscore: to mean ± 3 sd), --impute (numeric: median,
mean, mode or constant:V; categorical and boolean: the mode or constant:V).
The target and id columns are never clipped or imputed.

The recipe is stored with the new version; --recipe NAME@M replays the recipe
of version M (e.g. on a newer raw version).

JSON (--json): version (the new dataset version), parent, recipe, steps (each
with step, column, changed, detail).`,
		Example: `  mlw data clean tickets --drop-duplicates --impute median --filter 'text_length > 0'
  mlw data clean tickets@3 --recipe tickets@2`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			ds := e.datasets()
			parent, err := ds.Resolve(c.Context(), args[0])
			if err != nil {
				return err
			}
			if replay != "" {
				if !r.Empty() {
					return usagef("mlw data clean NAME --recipe NAME@M", "--recipe replays a stored recipe: give no other cleaning flag with it")
				}
				src, err := ds.Resolve(c.Context(), replay)
				if err != nil {
					return err
				}
				if len(src.Recipe) == 0 {
					return mlw.Errorf(mlw.EINVALID, "--recipe %s: that version was not made by mlw data clean", src.Ref())
				}
				if err := json.Unmarshal(src.Recipe, &r); err != nil {
					return mlw.Errorf(mlw.EINVALID, "--recipe %s: stored recipe: %v", src.Ref(), err)
				}
			}
			r.Protect = slices.DeleteFunc([]string{parent.Roles.Target, parent.Roles.ID}, func(s string) bool { return s == "" })
			if err := r.Validate(); err != nil {
				return &usageError{err: mlw.Errorf(mlw.EINVALID, "%v", err)}
			}
			f, err := ds.Load(c.Context(), parent)
			if err != nil {
				return err
			}
			out, steps, err := clean.Apply(f, &r)
			if err != nil {
				return mlw.Errorf(mlw.EINVALID, "%v", err)
			}
			recipe, err := json.Marshal(r)
			if err != nil {
				return err
			}
			path, cleanup, err := writeTempFrame(ds.TempDir, out)
			if err != nil {
				return err
			}
			defer cleanup()
			roles := parent.Roles
			roles.Segments = slices.DeleteFunc(slices.Clone(roles.Segments), func(s string) bool { return slices.Contains(r.DropColumns, s) })
			roles.Sensitive = slices.DeleteFunc(slices.Clone(roles.Sensitive), func(s string) bool { return slices.Contains(r.DropColumns, s) })
			for _, p := range []*string{&roles.Target, &roles.Time, &roles.ID} {
				if slices.Contains(r.DropColumns, *p) {
					*p = ""
				}
			}
			res, err := ds.Add(c.Context(), dataset.AddParams{
				Name: parent.Dataset, Path: path, Roles: roles, Reason: reason,
				ParentID: parent.ID, Recipe: recipe, Action: "dataset.clean", Source: "mlw data clean " + parent.Ref().String(),
			})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, struct {
					Version *mlw.DatasetVersion `json:"version"`
					Created bool                `json:"created"`
					Parent  string              `json:"parent"`
					Recipe  *clean.Recipe       `json:"recipe"`
					Steps   []clean.Step        `json:"steps"`
				}{res.Version, res.Created, parent.Ref().String(), &r, steps})
			}
			if !res.Created {
				fmt.Fprintf(app.Out, "the cleaned data equals %s: nothing added\n", res.Version.Ref())
				return nil
			}
			fmt.Fprintf(app.Out, "%s from %s: %d rows (was %d)\n", res.Version.Ref(), parent.Ref(), res.Version.Rows, parent.Rows)
			for _, s := range steps {
				col := ""
				if s.Column != "" {
					col = " " + s.Column
				}
				fmt.Fprintf(app.Out, "  %-16s%s: %d changed  %s\n", s.Step, col, s.Changed, s.Detail)
			}
			return nil
		},
	}
	c.Flags().StringSliceVar(&r.DropColumns, "drop-columns", nil, "columns to drop (comma-separated)")
	c.Flags().StringVar(&r.Filter, "filter", "", "keep the rows where this expression is true")
	c.Flags().BoolVar(&r.DropDuplicates, "drop-duplicates", false, "drop rows identical to an earlier row")
	c.Flags().StringVar(&r.ClipOutliers, "clip-outliers", "", "iqr or zscore")
	c.Flags().StringVar(&r.Impute, "impute", "", "median, mean, mode or constant:VALUE")
	c.Flags().StringVar(&replay, "recipe", "", "replay the recipe stored with dataset version NAME@M")
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// writeTempFrame writes f as CSV into dir and returns the path and a cleanup.
func writeTempFrame(dir string, f *frame.Frame) (string, func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "clean-*.csv")
	if err != nil {
		return "", nil, fmt.Errorf("create temporary file: %w", err)
	}
	cleanup := func() { os.Remove(tmp.Name()) }
	if err := frame.WriteCSV(tmp, f); err != nil {
		tmp.Close()
		cleanup()
		return "", nil, err
	}
	if err := tmp.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return tmp.Name(), cleanup, nil
}

func (app *App) dataExportCommand() *cobra.Command {
	var out, splitID, part string
	c := &cobra.Command{
		Use:   "export NAME[@N]",
		Short: "Write a dataset version, or one part of a split, as CSV or Parquet",
		Long: `Write a dataset version as CSV (or Parquet when -o ends in .parquet), so any
other tool can use exactly the same rows. With --split ID --part
train|validation|test, only that part of the split, in the original row
order. Without -o, CSV goes to standard output.`,
		Example: "  mlw data export tickets@1 --split s-1a2b3c --part test -o test.csv",
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if (splitID == "") != (part == "") {
				return usagef("mlw data export NAME --split ID --part train|validation|test", "--split and --part go together")
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			ds := e.datasets()
			v, err := ds.Resolve(c.Context(), args[0])
			if err != nil {
				return err
			}
			f, err := ds.Load(c.Context(), v)
			if err != nil {
				return err
			}
			if splitID != "" {
				rows, err := e.splitRows(c, v, splitID, part)
				if err != nil {
					return err
				}
				f = f.Take(rows)
			}
			write := func(w io.Writer) error { return frame.WriteCSV(w, f) }
			if strings.HasSuffix(strings.ToLower(out), ".parquet") {
				write = func(w io.Writer) error { return frame.WriteParquet(w, f) }
			}
			if out == "" {
				return write(app.Out)
			}
			path := app.abs(out)
			if err := writeFileWith(path, write); err != nil {
				return err
			}
			fmt.Fprintf(app.Err, "wrote %d rows of %s to %s\n", f.NumRows(), v.Ref(), filepath.Base(path))
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "FILE (.csv or .parquet); default: CSV on standard output")
	c.Flags().StringVar(&splitID, "split", "", "export one part of this split")
	c.Flags().StringVar(&part, "part", "", "train, validation or test")
	return c
}
