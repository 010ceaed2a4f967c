package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"mlw.dev/internal/audit"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

func appendParams(ev *mlw.AuditEvent) *store.AppendAuditParams {
	return &store.AppendAuditParams{Event: *ev}
}

func (app *App) auditCommand() *cobra.Command {
	var (
		asJSON        bool
		target, prefx string
		limit         int
	)
	c := &cobra.Command{
		Use:   "audit",
		Short: "List the audit trail, or verify its hash chain",
		Long: `List the audit trail: every change of state, who made it, when and why.
Events are append-only and hash-chained; 'mlw audit verify' checks the chain.

JSON (--json): a list of events, each with seq, time, actor, action, target,
reason, details, prev_hash and hash.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			evs, err := e.store.ListAudit(c.Context(), &store.ListAuditParams{Target: target, ActionPrefix: prefx})
			if err != nil {
				return err
			}
			if limit > 0 && len(evs) > limit {
				evs = evs[len(evs)-limit:]
			}
			if asJSON {
				if evs == nil {
					evs = []*mlw.AuditEvent{}
				}
				return writeJSON(app.Out, evs)
			}
			tw := tabwriter.NewWriter(app.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tTARGET\tREASON")
			for _, ev := range evs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", ev.Seq, ev.Time.Local().Format("2006-01-02 15:04:05"), ev.Actor, ev.Action, ev.Target, oneLine(ev.Reason))
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&target, "target", "", "only events about this target (e.g. churn@3)")
	c.Flags().StringVar(&prefx, "action", "", "only events whose action starts with this (e.g. model.)")
	c.Flags().IntVar(&limit, "limit", 0, "only the newest N events")
	c.AddCommand(app.auditVerifyCommand())
	return c
}

func (app *App) auditVerifyCommand() *cobra.Command {
	var (
		asJSON bool
		head   string
	)
	c := &cobra.Command{
		Use:   "verify",
		Short: "Verify the audit trail's hash chain; exit 1 naming the first bad event",
		Long: `Verify the audit trail: sequence numbers run without gaps, every event links to
the one before it, and every event's content matches its hash. The first event
that was altered or removed is named and the exit status is 1.

The newest event's hash (the head) is printed: keep it somewhere else and pass
it back with --head to also detect events removed from the end.

JSON (--json): events, head, ok, and first_bad and problem when not ok.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			rep, err := audit.Verify(c.Context(), e.store, head)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(app.Out, rep); err != nil {
					return err
				}
			} else if rep.OK {
				fmt.Fprintf(app.Out, "audit trail OK: %d events, head %s\n", rep.Events, rep.Head)
			} else {
				if rep.FirstBad != nil {
					fmt.Fprintf(app.Out, "audit trail BROKEN at event %d (%s %s by %s at %s): %s\n", rep.FirstBad.Seq, rep.FirstBad.Action,
						rep.FirstBad.Target, rep.FirstBad.Actor, rep.FirstBad.Time.Format("2006-01-02 15:04:05"), rep.Problem)
				} else {
					fmt.Fprintf(app.Out, "audit trail BROKEN: %s\n", rep.Problem)
				}
			}
			if !rep.OK {
				return &exitError{code: ExitError}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&head, "head", "", "expected hash of the newest event, from an earlier verify")
	return c
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
