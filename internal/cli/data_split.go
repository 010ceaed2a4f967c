package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"mlw.dev/frame"
	"mlw.dev/internal/audit"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
	"mlw.dev/split"
)

// splitParams is what a stored split records about how it was made.
type splitParams struct {
	split.Config
	AllowLeakage bool `json:"allow_leakage,omitempty"`
}

func (app *App) dataSplitCommand() *cobra.Command {
	var (
		strategy, by, ratios, reason string
		seed                         int64
		allowLeakage, asJSON         bool
	)
	c := &cobra.Command{
		Use:   "split NAME[@N]",
		Short: "Split a dataset version into train, validation and test, and check the split for leakage",
		Long: `Assign every row of a dataset version to train, validation or test and store
the assignment. The same version, strategy, ratios and seed always give the
same split (and the same split ID).

Strategies:
  random      shuffled rows
  stratified  class proportions kept in every part (--by defaults to the target)
  time        by a time column (--by defaults to the time role): every validation
              row is after every training row, every test row after every
              validation row
  group       each value of --by (a customer, a session) entirely in one part

Every split runs the leakage checks: feature rows duplicated across parts,
ids or groups shared between parts, time overlap, datetime features later
than the event time, features that alone predict the target (ROC AUC or R²
above 0.99), and categories or labels in validation/test never seen in
train. Errors (e.g. more than 10% of test rows also in train) refuse the split
unless --allow-leakage --reason is given, which is audited.

JSON (--json): id, dataset, strategy, by, ratios, seed, counts (train,
validation, test), leakage (checks, findings (each with check, severity,
column, part, message, count, share), errors, warnings), created.`,
		Example: "  mlw data split tickets --strategy time --ratios 0.7,0.15,0.15",
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if allowLeakage && strings.TrimSpace(reason) == "" {
				return usagef("mlw data split NAME --allow-leakage --reason TEXT", "--allow-leakage needs --reason")
			}
			cfg := split.Config{Strategy: split.Strategy(strategy), By: by, Seed: seed}
			if ratios != "" {
				r, err := split.ParseRatios(ratios)
				if err != nil {
					return usagef("mlw data split NAME --ratios 0.7,0.15,0.15", "--ratios: %s", strings.TrimPrefix(err.Error(), "split: "))
				}
				cfg.Ratios = r
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
			if cfg.Strategy == "" {
				cfg.Strategy = split.Random
				if v.Roles.Target != "" && e.proj.Config.Task == "classification" {
					cfg.Strategy = split.Stratified
				}
			}
			if cfg.By == "" {
				switch cfg.Strategy {
				case split.Stratified:
					cfg.By = v.Roles.Target
				case split.Time:
					cfg.By = v.Roles.Time
				}
			}
			cfg = cfg.WithDefaults()
			if err := cfg.Validate(); err != nil {
				return usagef("mlw data split NAME --strategy time --by created_at", "%s", strings.TrimPrefix(err.Error(), "split: "))
			}
			f, err := ds.Load(c.Context(), v)
			if err != nil {
				return err
			}
			if cfg.By != "" && f.ColumnIndex(cfg.By) < 0 {
				return usagef("mlw data show "+v.Ref().String()+" lists the columns", "--by %s: no such column in %s", cfg.By, v.Ref())
			}
			sp, rep, created, err := e.createSplit(c.Context(), v, f, cfg, allowLeakage, reason)
			if err != nil {
				if rep != nil {
					app.printLeakage(rep)
				}
				return err
			}
			return app.printSplit(sp, v, created, asJSON)
		},
	}
	c.Flags().StringVar(&strategy, "strategy", "", "random, stratified, time or group (default: stratified for classification, else random)")
	c.Flags().StringVar(&by, "by", "", "the column to stratify, order or group by")
	c.Flags().StringVar(&ratios, "ratios", "", "train,validation,test shares (default 0.7,0.15,0.15; train,test for no validation)")
	c.Flags().Int64Var(&seed, "seed", 0, "random seed")
	c.Flags().BoolVar(&allowLeakage, "allow-leakage", false, "store the split despite leakage errors (needs --reason; audited)")
	c.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// createSplit splits v (loaded as f), runs the leakage checks and stores the
// split, or returns the stored one when the same split exists. A split with
// leakage errors is refused (with its report) unless allowLeakage.
func (e *env) createSplit(ctx context.Context, v *mlw.DatasetVersion, f *frame.Frame, cfg split.Config, allowLeakage bool, reason string) (*mlw.Split, *split.Report, bool, error) {
	params := splitParams{Config: cfg, AllowLeakage: allowLeakage}
	id := splitID(v, params)
	if existing, err := e.store.GetSplit(ctx, id); err == nil {
		return existing, nil, false, nil
	} else if mlw.ErrorCode(err) != mlw.ENOTFOUND {
		return nil, nil, false, err
	}
	a, err := split.Split(f, cfg)
	if err != nil {
		return nil, nil, false, mlw.Errorf(mlw.EINVALID, "%s", strings.TrimPrefix(err.Error(), "split: "))
	}
	roles := split.Roles{Target: v.Roles.Target, Time: v.Roles.Time, ID: v.Roles.ID, Task: split.Task(e.proj.Config.Task)}
	if cfg.Strategy == split.Group {
		roles.Group = cfg.By
	}
	roles.Ignore = textColumns(f, v)
	rep, err := split.Check(f, a, roles)
	if err != nil {
		return nil, nil, false, mlw.Errorf(mlw.EINVALID, "%s", strings.TrimPrefix(err.Error(), "split: "))
	}
	if rep.Errors > 0 && !allowLeakage {
		return nil, rep, false, mlw.Errorf(mlw.EINVALID, "split refused: %d leakage error(s) make it unusable", rep.Errors).
			WithHint("fix the data (mlw data clean) or, knowingly, pass --allow-leakage --reason TEXT")
	}
	parts := make([]byte, len(a.Parts))
	for i, p := range a.Parts {
		parts[i] = byte(p)
	}
	info, err := e.artifacts.PutBytes(ctx, parts)
	if err != nil {
		return nil, nil, false, err
	}
	pj, _ := json.Marshal(params)
	lj, _ := json.Marshal(rep)
	action := "split.create"
	if rep.Errors > 0 {
		action = "split.create.allow_leakage"
	}
	now := e.app.Now()
	ev := audit.New(now, e.actor, action, id, reason, map[string]any{
		"dataset": v.Ref().String(), "strategy": cfg.Strategy, "counts": a.Counts, "leakage_errors": rep.Errors,
	})
	sp, err := e.store.CreateSplit(ctx, &store.CreateSplitParams{Split: mlw.Split{
		ID: id, DatasetVersionID: v.ID, Strategy: string(cfg.Strategy), Seed: cfg.Seed, Params: pj,
		Counts:        mlw.SplitCounts{Train: int64(a.Counts.Train), Validation: int64(a.Counts.Validation), Test: int64(a.Counts.Test)},
		MembershipKey: info.Key, Leakage: lj, CreatedAt: now, CreatedBy: e.actor,
	}, Audit: ev})
	if err != nil {
		return nil, nil, false, err
	}
	return sp, rep, true, nil
}

// textColumns are the columns the leakage checks ignore: free text.
func textColumns(f *frame.Frame, v *mlw.DatasetVersion) []string {
	var out []string
	for i := range f.NumCols() {
		if f.ColumnAt(i).Type() == frame.TypeText && f.Name(i) != v.Roles.ID {
			out = append(out, f.Name(i))
		}
	}
	return out
}

// splitID is derived from the data and the configuration, so that the same
// split of the same data always has the same ID.
func splitID(v *mlw.DatasetVersion, p splitParams) string {
	b, _ := json.Marshal(p)
	h := sha256.New()
	h.Write([]byte(v.Hash))
	h.Write(b)
	return "s-" + hex.EncodeToString(h.Sum(nil))[:10]
}

func (app *App) printLeakage(rep *split.Report) {
	if len(rep.Findings) == 0 {
		fmt.Fprintf(app.Out, "leakage checks: %d run, nothing found\n", len(rep.Checks))
		return
	}
	fmt.Fprintf(app.Out, "leakage checks: %d error(s), %d warning(s)\n", rep.Errors, rep.Warnings)
	for _, f := range rep.Findings {
		fmt.Fprintf(app.Out, "  %-7s %-16s %s\n", f.Severity, f.Check, f.Message)
	}
}

func (app *App) printSplit(s *mlw.Split, v *mlw.DatasetVersion, created, asJSON bool) error {
	var rep split.Report
	if len(s.Leakage) > 0 {
		if err := json.Unmarshal(s.Leakage, &rep); err != nil {
			return fmt.Errorf("split %s: stored leakage report: %w", s.ID, err)
		}
	}
	var params splitParams
	_ = json.Unmarshal(s.Params, &params)
	if asJSON {
		return writeJSON(app.Out, struct {
			ID       string          `json:"id"`
			Dataset  string          `json:"dataset"`
			Strategy string          `json:"strategy"`
			By       string          `json:"by,omitempty"`
			Ratios   split.Ratios    `json:"ratios"`
			Seed     int64           `json:"seed"`
			Counts   mlw.SplitCounts `json:"counts"`
			Leakage  *split.Report   `json:"leakage"`
			Created  bool            `json:"created"`
		}{s.ID, v.Ref().String(), s.Strategy, params.By, params.Ratios, s.Seed, s.Counts, &rep, created})
	}
	verb := "created"
	if !created {
		verb = "exists already:"
	}
	fmt.Fprintf(app.Out, "split %s %s %s of %s: train %d, validation %d, test %d\n", verb, s.ID, s.Strategy, v.Ref(), s.Counts.Train, s.Counts.Validation, s.Counts.Test)
	app.printLeakage(&rep)
	fmt.Fprintf(app.Out, "Next: mlw train --dataset %s --split %s --model logistic\n", v.Ref(), s.ID)
	return nil
}

// loadSplit returns a stored split of v and its assignment.
func (e *env) loadSplit(ctx context.Context, v *mlw.DatasetVersion, id string) (*mlw.Split, *split.Assignment, error) {
	s, err := e.store.GetSplit(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if s.DatasetVersionID != v.ID {
		return nil, nil, mlw.Errorf(mlw.EINVALID, "split %s belongs to another dataset version than %s", id, v.Ref())
	}
	b, err := e.artifacts.Get(ctx, s.MembershipKey)
	if err != nil {
		return nil, nil, err
	}
	if int64(len(b)) != v.Rows {
		return nil, nil, mlw.Errorf(mlw.EINTERNAL, "split %s has %d rows, %s has %d", id, len(b), v.Ref(), v.Rows)
	}
	parts := make([]split.Part, len(b))
	for i, x := range b {
		parts[i] = split.Part(x)
	}
	a, err := split.NewAssignment(parts)
	if err != nil {
		return nil, nil, mlw.Errorf(mlw.EINTERNAL, "split %s: %v", id, err)
	}
	return s, a, nil
}

// splitRows returns the rows of one part of a split.
func (e *env) splitRows(c *cobra.Command, v *mlw.DatasetVersion, id, part string) ([]int, error) {
	var p split.Part
	if err := p.UnmarshalText([]byte(part)); err != nil {
		return nil, usagef("--part train|validation|test", "--part %q: want train, validation or test", part)
	}
	_, a, err := e.loadSplit(c.Context(), v, id)
	if err != nil {
		return nil, err
	}
	return a.Rows(p), nil
}
