package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"mlw.dev/frame"
	"mlw.dev/internal/mlw"
	"mlw.dev/model/bundle"
)

// loadBundle finds a bundle: a bundle file's path, or a run ID whose
// model.mlwb artifact is read from the artifact store (verified).
func (e *env) loadBundle(ctx context.Context, ref string) (*bundle.Bundle, string, error) {
	if st, err := os.Stat(e.app.abs(ref)); err == nil && !st.IsDir() {
		b, err := bundle.ReadFile(e.app.abs(ref))
		if err != nil {
			return nil, "", mlw.Errorf(mlw.EINVALID, "%v", err)
		}
		return b, ref, nil
	}
	if strings.HasPrefix(ref, "r-") {
		arts, err := e.store.ListRunArtifacts(ctx, ref)
		if err != nil {
			return nil, "", err
		}
		for _, a := range arts {
			if a.Name == "model.mlwb" {
				data, err := e.artifacts.Get(ctx, a.Key)
				if err != nil {
					return nil, "", err
				}
				b, err := bundle.Decode("run "+ref+" model.mlwb", data)
				if err != nil {
					return nil, "", mlw.Errorf(mlw.EINVALID, "%v", err)
				}
				return b, "run " + ref, nil
			}
		}
		if _, err := e.store.GetRun(ctx, ref); err != nil {
			return nil, "", err
		}
		return nil, "", mlw.Errorf(mlw.EINVALID, "run %s has no model bundle", ref)
	}
	if _, err := mlw.ParseRef(ref); err == nil {
		v, err := e.registry().Resolve(ctx, ref)
		if err != nil {
			return nil, "", err
		}
		data, err := e.artifacts.Get(ctx, v.ArtifactKey)
		if err != nil {
			return nil, "", err
		}
		b, err := bundle.Decode(v.Ref().String(), data)
		if err != nil {
			return nil, "", mlw.Errorf(mlw.EINVALID, "%v", err)
		}
		return b, v.Ref().String(), nil
	}
	return nil, "", mlw.Errorf(mlw.ENOTFOUND, "%s is neither a bundle file, a run ID nor a model NAME@N", ref).
		WithHint("mlw runs list shows runs; mlw model list shows registered models")
}

func (app *App) predictCommand() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "predict BUNDLE|RUN|NAME@N FILE",
		Short: "Batch predictions from a model bundle file or a run's bundle",
		Long: `Predict every row of FILE (CSV, gzip-compressed CSV or Parquet) with a model:
a bundle file (.mlwb), the bundle of a run (r-...), or a registered version
(NAME@N, NAME@alias such as churn@champion). The output has the
input columns, the prediction and, for classifiers, one probability column
per class (proba_CLASS). Columns the model was not trained with are carried
through; a column it needs that FILE lacks is an error naming it.

Output: CSV on standard output, or -o FILE (.csv or .parquet).`,
		Example: "  mlw predict r-1f0469bde6ea new_tickets.csv -o scored.csv",
		Args:    cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			b, from, err := e.loadBundle(c.Context(), args[0])
			if err != nil {
				return err
			}
			f, err := frame.ReadFile(app.abs(args[1]), frame.ReadOptions{})
			if err != nil {
				return mlw.Errorf(mlw.EINVALID, "%v", err)
			}
			preds, err := b.PredictFrame(f)
			if err != nil {
				return mlw.Errorf(mlw.EINVALID, "%s: %v", args[1], err)
			}
			outFrame, err := withPredictions(f, b, preds)
			if err != nil {
				return err
			}
			write := func(w io.Writer) error { return frame.WriteCSV(w, outFrame) }
			if strings.HasSuffix(strings.ToLower(out), ".parquet") {
				write = func(w io.Writer) error { return frame.WriteParquet(w, outFrame) }
			}
			if out == "" {
				return write(app.Out)
			}
			if err := writeFileWith(app.abs(out), write); err != nil {
				return err
			}
			fmt.Fprintf(app.Err, "predicted %d rows with %s (%s) into %s\n", preds.Rows, b.Kind, from, out)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "FILE (.csv or .parquet); default: CSV on standard output")
	return c
}

// withPredictions appends the prediction and class probabilities to f.
func withPredictions(f *frame.Frame, b *bundle.Bundle, p *bundle.Predictions) (*frame.Frame, error) {
	names := f.Names()
	cols := make([]frame.Column, f.NumCols())
	for i := range cols {
		cols[i] = f.ColumnAt(i)
	}
	unique := func(name string) string {
		for f.ColumnIndex(name) >= 0 {
			name = "_" + name
		}
		return name
	}
	if b.Task == "regression" {
		names = append(names, unique("prediction"))
		cols = append(cols, frame.NewNumeric(p.Values))
	} else {
		names = append(names, unique("prediction"))
		cols = append(cols, frame.NewCategoricalFromStrings(p.Labels, nil))
		for k, class := range b.Classes {
			v := make([]float64, p.Rows)
			for i := range v {
				v[i] = p.Row(i)[k]
			}
			names = append(names, unique("proba_"+class))
			cols = append(cols, frame.NewNumeric(v))
		}
	}
	return frame.New(names, cols)
}
