package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/serve"
	"mlw.dev/internal/store"
)

// feedbackSink stores the server's feedback in the project store.
type feedbackSink struct{ e *env }

// RecordFeedback implements serve.FeedbackSink.
func (f feedbackSink) RecordFeedback(ctx context.Context, endpoint string, items []serve.FeedbackItem) error {
	now := f.e.app.Now().UTC()
	fb := make([]mlw.Feedback, len(items))
	for i, it := range items {
		fb[i] = mlw.Feedback{Endpoint: endpoint, RequestID: it.RequestID, Row: it.Row, Label: it.Label, At: now}
	}
	return f.e.store.RecordFeedback(ctx, &store.RecordFeedbackParams{Feedback: fb})
}

// feedbackBatch is how many labels one store transaction takes.
const feedbackBatch = 5000

func (app *App) feedbackCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "feedback ENDPOINT FILE.csv",
		Short: "Send ground-truth labels for logged predictions (CSV: request_id, row, label)",
		Long: `Join ground truth to the prediction log of ENDPOINT, for online metrics in
'mlw monitor', canary analysis and degradation alerts. FILE.csv has a header
with the columns request_id and label, and optionally row (the row within
the request, default 0). A label sent again for the same row replaces the
first. Labels may arrive before their prediction is logged.

A running server takes the same feedback over HTTP:
  POST /v1/endpoints/ENDPOINT/feedback {"request_id": "...", "row": 0, "label": "..."}
  POST /v1/endpoints/ENDPOINT/feedback {"feedback": [{...}, ...]}

JSON (--json): endpoint, recorded.`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			items, err := readFeedbackCSV(app.abs(args[1]), args[1])
			if err != nil {
				return err
			}
			if err := mlw.ValidName(args[0]); err != nil {
				return err
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			sink := feedbackSink{e}
			for lo := 0; lo < len(items); lo += feedbackBatch {
				if err := sink.RecordFeedback(c.Context(), args[0], items[lo:min(lo+feedbackBatch, len(items))]); err != nil {
					return fmt.Errorf("%s: %w (the first %d labels were recorded)", args[1], err, lo)
				}
			}
			if asJSON {
				return writeJSON(app.Out, map[string]any{"endpoint": args[0], "recorded": len(items)})
			}
			fmt.Fprintf(app.Out, "recorded %d labels for endpoint %s at %s\n", len(items), args[0], app.Now().UTC().Format(time.RFC3339))
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// readFeedbackCSV reads a feedback file; errors name the file and line.
func readFeedbackCSV(path, name string) ([]serve.FeedbackItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "%v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, mlw.Errorf(mlw.EINVALID, "%s: no header: %v", name, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	idCol, okID := col["request_id"]
	labelCol, okLabel := col["label"]
	rowCol, okRow := col["row"]
	if !okID || !okLabel {
		return nil, mlw.Errorf(mlw.EINVALID, "%s line 1: the header needs request_id and label columns (has %s)", name, strings.Join(head, ", "))
	}
	var items []serve.FeedbackItem
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "%s: %v", name, err)
		}
		it := serve.FeedbackItem{RequestID: strings.TrimSpace(rec[idCol]), Label: strings.TrimSpace(rec[labelCol])}
		if it.RequestID == "" {
			return nil, mlw.Errorf(mlw.EINVALID, "%s line %d: request_id is empty", name, line)
		}
		if it.Label == "" {
			return nil, mlw.Errorf(mlw.EINVALID, "%s line %d: label is empty", name, line)
		}
		if okRow && strings.TrimSpace(rec[rowCol]) != "" {
			n, err := strconv.Atoi(strings.TrimSpace(rec[rowCol]))
			if err != nil || n < 0 {
				return nil, mlw.Errorf(mlw.EINVALID, "%s line %d column row: %q is not a row number (0 or more)", name, line, rec[rowCol])
			}
			it.Row = n
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, mlw.Errorf(mlw.EINVALID, "%s has no labels", name)
	}
	return items, nil
}
