package cli

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mlw.dev/internal/dataset"
	"mlw.dev/internal/deploy"
	"mlw.dev/internal/expect"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/retrain"
	"mlw.dev/internal/store"
	"mlw.dev/internal/train"
	"mlw.dev/metrics"
	"mlw.dev/split"
)

// retrainOptions are the flags of mlw retrain.
type retrainOptions struct {
	endpoint string
	data     string
	ifNeeded bool
	dryRun   bool
	window   time.Duration
	strategy string
	interval time.Duration
	maxShift float64
	reason   string
	now      time.Time // default app.Now
}

// retrainStep is one step of the workflow.
type retrainStep struct {
	Step   string `json:"step"`
	Status string `json:"status"` // ok, failed, skipped, planned
	Detail string `json:"detail"`
}

// retrainResult is what mlw retrain did.
type retrainResult struct {
	Endpoint        string             `json:"endpoint"`
	Champion        string             `json:"champion"`
	Decision        retrain.Decision   `json:"decision"`
	Ran             bool               `json:"ran"`
	DryRun          bool               `json:"dry_run,omitempty"`
	Steps           []retrainStep      `json:"steps"`
	Data            string             `json:"data,omitempty"`
	Challenger      string             `json:"challenger,omitempty"`
	Metric          string             `json:"metric,omitempty"`
	ChallengerScore *float64           `json:"challenger_score,omitempty"`
	ChampionScore   *float64           `json:"champion_score,omitempty"`
	Better          bool               `json:"better"`
	Deployment      *mlw.Deployment    `json:"deployment,omitempty"`
	Outcome         string             `json:"outcome"`
	Online          map[string]float64 `json:"online,omitempty"`
}

func (r *retrainResult) step(name, status, format string, args ...any) {
	r.Steps = append(r.Steps, retrainStep{Step: name, Status: status, Detail: fmt.Sprintf(format, args...)})
}

func (app *App) retrainCommand() *cobra.Command {
	var (
		o      retrainOptions
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "retrain [ENDPOINT]",
		Short: "Run the retraining workflow (when the policy says so with --if-needed)",
		Long: `Retrain the model an endpoint serves (the project's only endpoint when
ENDPOINT is omitted), following mlw.yaml's retrain policy:

  retrain:
    schedule: "0 3 * * 1"                      # cron
    on_drift: true                             # dataset drift in live traffic
    on_degradation: {metric: accuracy, below: 0.8}   # online metric from feedback
    on_new_data: true                          # a newer version of the training dataset
    strategy: canary                           # how the challenger is deployed

The workflow: collect the new data version (--data FILE adds it) -> validate
it against data.expectations (stop on a failure) -> split it as the
champion's data was split -> retrain with the champion's recipe (model and
parameters) -> evaluate on the new test part -> compare with the champion on
the same rows -> if better (by evaluation.promotion.min_improvement),
register it, alias it challenger and deploy it with the strategy (default
canary; the running server analyses and promotes it) -> when promoted, the
champion alias moves to it and the old version is archived. Every step is
recorded and audited (retrain.start, retrain.done, retrain.fail); a failure
at any step leaves the champion serving.

--if-needed runs only when a trigger holds (the drift and degradation
triggers read the last --window of the prediction log); --dry-run shows the
decision and the plan and changes nothing. 'mlw serve' evaluates the policy
on its own every --retrain-every. One process at a time retrains an
endpoint: the workflow holds a lease in the store (released at its end,
expiring after an hour if its process dies), so that replicas of 'mlw serve'
sharing a store do not retrain it twice; a retrain that finds it held exits
with an error naming the holder.

JSON (--json): endpoint, champion, decision {needed, reasons, checked}, ran,
dry_run, steps [{step, status, detail}], data, challenger, metric,
challenger_score, champion_score, better, deployment, outcome.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.endpoint = args[0]
			}
			if o.strategy != "" && !slices.Contains(deploy.Strategies, o.strategy) {
				return usagef("mlw retrain --strategy canary", "--strategy %q: want one of direct, shadow, ab, canary, bluegreen", o.strategy)
			}
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			res, err := app.runRetrain(c.Context(), e, o)
			if res != nil {
				if asJSON {
					if jerr := writeJSON(app.Out, res); jerr != nil {
						return jerr
					}
				} else {
					printRetrain(app.Out, res)
				}
			}
			if err != nil && res != nil && asJSON {
				fmt.Fprintf(app.Err, "mlw: %s\n", mlw.ErrorMessage(err))
				return &exitError{code: ExitError}
			}
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&o.data, "data", "", "add this file as the new version of the champion's dataset first")
	f.BoolVar(&o.ifNeeded, "if-needed", false, "run only when a trigger of the retrain policy holds")
	f.BoolVar(&o.dryRun, "dry-run", false, "show the decision and the plan; change nothing")
	f.DurationVar(&o.window, "window", 24*time.Hour, "traffic the drift and degradation triggers read")
	f.StringVar(&o.strategy, "strategy", "", "how the challenger is deployed (default: retrain.strategy, else canary)")
	f.DurationVar(&o.interval, "interval", 0, "canary: how long each step is held (default 5m)")
	f.Float64Var(&o.maxShift, "max-shift", 0, "canary: PSI limit of the challenger's predictions against the champion's (default 0.25; a model retrained on shifted data shifts its predictions)")
	f.StringVar(&o.reason, "reason", "", "why, recorded in the audit trail")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printRetrain(w io.Writer, r *retrainResult) {
	fmt.Fprintf(w, "endpoint %s serves %s\n", r.Endpoint, r.Champion)
	for _, c := range r.Decision.Checked {
		fmt.Fprintf(w, "  policy: %s\n", c)
	}
	for _, s := range r.Steps {
		fmt.Fprintf(w, "  %-9s %-8s %s\n", s.Step, s.Status, s.Detail)
	}
	fmt.Fprintln(w, r.Outcome)
}

// soleEndpoint returns the project's only deployed endpoint.
func (e *env) soleEndpoint(ctx context.Context) (string, error) {
	deps, err := e.store.ListDeployments(ctx, &store.ListDeploymentsParams{})
	if err != nil {
		return "", err
	}
	var live []string
	for _, d := range deps {
		if d.State != deploy.StateUndeployed {
			live = append(live, d.Endpoint)
		}
	}
	switch len(live) {
	case 1:
		return live[0], nil
	case 0:
		return "", mlw.Errorf(mlw.EINVALID, "no endpoint is deployed: there is nothing to retrain").WithHint("mlw deploy ENDPOINT NAME@N")
	}
	return "", usagef("mlw retrain ENDPOINT", "the project has %d endpoints (%v): name one", len(live), live)
}

// runRetrain decides and, when asked or needed, runs the workflow. It
// returns the result even on a failure, with the failed step.
func (app *App) runRetrain(ctx context.Context, e *env, o retrainOptions) (*retrainResult, error) {
	if o.endpoint == "" {
		ep, err := e.soleEndpoint(ctx)
		if err != nil {
			return nil, err
		}
		o.endpoint = ep
	}
	svc := e.deployService()
	d, spec, err := svc.Current(ctx, o.endpoint)
	if err != nil {
		return nil, err
	}
	if d.State == deploy.StateUndeployed {
		return nil, mlw.Errorf(mlw.EINVALID, "endpoint %s is undeployed: there is nothing to retrain", o.endpoint)
	}
	if spec.Canary != nil || len(spec.Shadows) > 0 || len(spec.Variants) > 1 {
		return nil, mlw.Errorf(mlw.ECONFLICT, "endpoint %s has a change in progress (revision %d, %s): retrain once it is promoted or rolled back", o.endpoint, d.Revision, d.State)
	}
	champVS := spec.Primary()
	reg := e.registry()
	champ, err := reg.Resolve(ctx, champVS.Ref())
	if err != nil {
		return nil, err
	}
	champRun, err := e.store.GetRun(ctx, champ.RunID)
	if err != nil {
		return nil, err
	}
	champDV, err := e.store.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{ID: champRun.DatasetVersionID})
	if err != nil {
		return nil, err
	}
	res := &retrainResult{Endpoint: o.endpoint, Champion: champ.Ref().String(), DryRun: o.dryRun, Steps: []retrainStep{}}
	cfg := &e.proj.Config
	now := o.now
	if now.IsZero() {
		now = app.Now().UTC()
	}

	// Collect: the new data version.
	ds := e.datasets()
	if o.data != "" && !o.dryRun {
		added, err := ds.Add(ctx, dataset.AddParams{Name: champDV.Dataset, Path: app.abs(o.data), Defaults: champDV.Roles, Reason: cmp.Or(o.reason, "retrain: new data")})
		if err != nil && mlw.ErrorCode(err) != mlw.ECONFLICT {
			return nil, err
		}
		if added != nil {
			res.step("collect", "ok", "added %s as %s (%d rows)", o.data, added.Version.Ref(), added.Version.Rows)
		} else {
			res.step("collect", "ok", "%s is already a version of %s", o.data, champDV.Dataset)
		}
	}
	latest, err := e.store.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{Dataset: champDV.Dataset})
	if err != nil {
		return nil, err
	}
	res.Data = latest.Ref().String()

	// Decide.
	st := retrain.State{Now: now, Since: d.CreatedAt, ChampionData: champDV.Ref().String(), LatestData: latest.Ref().String()}
	if evs, err := e.store.ListAudit(ctx, &store.ListAuditParams{Target: "endpoint/" + o.endpoint, ActionPrefix: "retrain.start"}); err == nil && len(evs) > 0 {
		st.LastRun = evs[len(evs)-1].Time
	}
	if cfg.Retrain.OnDrift || cfg.Retrain.OnDegradation != nil {
		rep, err := e.monitorWindow(ctx, o.endpoint, now.Add(-o.window), now, 0, nil)
		if err != nil {
			return nil, err
		}
		st.Monitored, st.DatasetDrift, st.DriftShare, st.Online = rep.Rows > 0, rep.DatasetDrift, rep.DriftShare, rep.Online.Metrics
		res.Online = rep.Online.Metrics
	}
	res.Decision, err = retrain.Decide(cfg.Retrain, st)
	if err != nil {
		return nil, err
	}
	if o.ifNeeded && !res.Decision.Needed {
		res.Outcome = "retraining is not needed: the champion keeps serving"
		return res, nil
	}
	if latest.ID == champDV.ID && o.data == "" {
		res.Outcome = fmt.Sprintf("nothing to retrain on: %s was trained on %s, the latest version of %s (add one with mlw data add %s FILE, or --data FILE)",
			champ.Ref(), champDV.Ref(), champDV.Dataset, champDV.Dataset)
		return res, nil
	}
	strategy := cmp.Or(o.strategy, cfg.Retrain.Strategy, deploy.Canary)
	if o.dryRun {
		for _, s := range []string{"collect " + latest.Ref().String(), "validate against data.expectations", "split as " + champRun.SplitID,
			"train " + champRun.Model + " with the champion's parameters", "evaluate on the new test part", "compare with " + champ.Ref().String(),
			"register, alias challenger", "deploy with --strategy " + strategy} {
			res.step(s, "planned", "")
		}
		res.Outcome = "dry run: nothing changed"
		return res, nil
	}

	// One retraining of an endpoint at a time, whichever process runs it:
	// mlw retrain, or the retrain policy of any mlw serve replica sharing
	// the store. The lease outlives a crashed holder by retrainLeaseTTL at
	// most.
	leaseName := "retrain/" + o.endpoint
	lease, err := e.store.AcquireLease(ctx, &store.AcquireLeaseParams{Name: leaseName, Holder: processID, TTL: retrainLeaseTTL})
	if err != nil {
		return nil, err
	}
	if lease.Holder != processID {
		return nil, mlw.Errorf(mlw.ECONFLICT, "endpoint %s is being retrained by another process (%s, its lease runs until %s)",
			o.endpoint, lease.Holder, lease.Expires.Format(time.RFC3339))
	}
	defer func() {
		_ = e.store.ReleaseLease(context.WithoutCancel(ctx), &store.ReleaseLeaseParams{Name: leaseName, Holder: processID})
	}()

	// From here on the workflow runs and is audited.
	res.Ran = true
	target := "endpoint/" + o.endpoint
	start := e.event("retrain.start", target, cmp.Or(o.reason, strings.Join(res.Decision.Reasons, "; ")), map[string]any{
		"champion": res.Champion, "data": res.Data, "reasons": res.Decision.Reasons})
	if _, err := e.store.AppendAudit(ctx, &store.AppendAuditParams{Event: *start}); err != nil {
		return nil, err
	}
	fail := func(step string, err error) (*retrainResult, error) {
		res.step(step, "failed", "%s", mlw.ErrorMessage(err))
		res.Outcome = fmt.Sprintf("retraining failed at %s: %s still serves %s", step, o.endpoint, res.Champion)
		ev := e.event("retrain.fail", target, mlw.ErrorMessage(err), map[string]any{"step": step, "champion": res.Champion, "steps": res.Steps})
		if _, aerr := e.store.AppendAudit(ctx, &store.AppendAuditParams{Event: *ev}); aerr != nil {
			return res, aerr
		}
		return res, err
	}
	if o.data == "" {
		res.step("collect", "ok", "%s (the champion was trained on %s)", latest.Ref(), champDV.Ref())
	}
	frameNew, err := ds.Load(ctx, latest)
	if err != nil {
		return fail("collect", err)
	}

	// Validate.
	if exp := cfg.Data.Expectations; exp != nil {
		rep := expect.Check(frameNew, exp)
		if !rep.OK() {
			return fail("validate", mlw.Errorf(mlw.EINVALID, "%s fails %d of the expectations of data.expectations (mlw data validate %s lists them)", latest.Ref(), len(rep.Failures), latest.Ref()))
		}
		res.step("validate", "ok", "%s meets data.expectations", latest.Ref())
	} else {
		res.step("validate", "skipped", "mlw.yaml has no data.expectations")
	}

	// Split as the champion's data was split.
	champSplit, err := e.store.GetSplit(ctx, champRun.SplitID)
	if err != nil {
		return fail("split", err)
	}
	var sp splitParams
	if err := json.Unmarshal(champSplit.Params, &sp); err != nil {
		return fail("split", fmt.Errorf("split %s: %w", champSplit.ID, err))
	}
	newSplit, _, _, err := e.createSplit(ctx, latest, frameNew, sp.Config, sp.AllowLeakage, "retrain: split as "+champSplit.ID)
	if err != nil {
		return fail("split", err)
	}
	res.step("split", "ok", "%s (%s): train %d, validation %d, test %d", newSplit.ID, newSplit.Strategy, newSplit.Counts.Train, newSplit.Counts.Validation, newSplit.Counts.Test)

	// Retrain with the champion's recipe.
	data, err := e.loadTrainData(ctx, latest.Ref().String(), newSplit.ID)
	if err != nil {
		return fail("train", err)
	}
	tsvc := &train.Service{Tracker: e.tracker(), Artifacts: e.artifacts}
	if _, _, _, err := e.ensureBaseline(ctx, tsvc, data, data.Split.Seed, ""); err != nil {
		return fail("train", err)
	}
	primary := e.primaryMetric()
	tr, err := tsvc.Train(ctx, data, train.Spec{Model: champRun.Model, Params: champRun.Params, Metric: primary,
		Tags: map[string]string{"retrain_of": res.Champion}, Reason: "retrain of " + res.Champion})
	if err != nil {
		return fail("train", err)
	}
	res.step("train", "ok", "run %s: %s with %s's parameters, validation %s %.4f", tr.Run.ID, tr.Run.Model, res.Champion, primary, tr.Valid[primary])

	// Evaluate the challenger on the new test part, and the champion on the same rows.
	cmd := &cobra.Command{}
	cmd.SetContext(ctx)
	rep, _, _, err := e.evaluateRun(cmd, tr.Run, split.Test, nil, 200, "")
	if err != nil {
		return fail("evaluate", err)
	}
	chal := rep.Metrics[primary]
	res.Metric, res.ChallengerScore = primary, &chal
	res.step("evaluate", "ok", "run %s on the test part of %s: %s %.4f", tr.Run.ID, newSplit.ID, primary, chal)
	champB, _, err := e.loadBundle(ctx, res.Champion)
	if err != nil {
		return fail("compare", err)
	}
	rows, y, err := evaluationRows(data, champB, split.Test)
	if err != nil {
		return fail("compare", err)
	}
	preds, err := champB.PredictFrame(data.Frame.Take(rows))
	if err != nil {
		return fail("compare", err)
	}
	task, err := champB.TaskOf()
	if err != nil {
		return fail("compare", err)
	}
	champScore := train.Score(task, y, preds)[primary]
	res.ChampionScore = &champScore
	gain := chal - champScore
	if info, ok := metrics.Lookup(primary); ok && !info.HigherIsBetter {
		gain = -gain
	}
	need := cfg.Evaluation.Promotion.MinImprovement
	if rel := cfg.Evaluation.Promotion.MinRelativeImprovement; rel > 0 {
		need = max(need, rel*math.Abs(champScore))
	}
	res.Better = gain > 0 && gain >= need
	if !res.Better {
		res.step("compare", "ok", "%s %.4f vs the champion's %.4f on the same rows: not better (needs +%g)", primary, chal, champScore, need)
		res.Outcome = fmt.Sprintf("the retrained model is not better: %s keeps serving %s", o.endpoint, res.Champion)
		done := e.event("retrain.done", target, res.Outcome, map[string]any{"champion": res.Champion, "challenger_run": tr.Run.ID, "challenger_score": chal, "champion_score": champScore, "better": false})
		_, err := e.store.AppendAudit(ctx, &store.AppendAuditParams{Event: *done})
		return res, err
	}
	res.step("compare", "ok", "%s %.4f vs the champion's %.4f on the same rows: better by %.4f", primary, chal, champScore, gain)

	// Register, alias challenger, deploy.
	mv, err := reg.Register(ctx, tr.Run.ID, champ.Name, "retrained on "+latest.Ref().String(), "retrain of "+res.Champion)
	if err != nil {
		return fail("register", err)
	}
	if _, _, err := reg.SetAlias(ctx, mv.Ref().String(), "challenger", "retrain: beats "+res.Champion+" on "+latest.Ref().String(), nil); err != nil {
		return fail("register", err)
	}
	res.Challenger = mv.Ref().String()
	res.step("register", "ok", "%s, alias challenger", mv.Ref())
	dep, err := svc.Deploy(ctx, deploy.Request{Endpoint: o.endpoint, Model: mv.Ref().String(), Strategy: strategy, Interval: o.interval,
		MaxShift: o.maxShift, RetireOnPromote: true, Reason: "retrain: " + mv.Ref().String() + " beats " + res.Champion})
	if err != nil {
		return fail("deploy", err)
	}
	res.Deployment = dep
	res.step("deploy", "ok", "endpoint %s revision %d (%s, %s)", o.endpoint, dep.Revision, dep.Strategy, dep.State)
	res.Outcome = fmt.Sprintf("%s is deployed as a %s on %s; when promoted it becomes champion and %s is archived", mv.Ref(), strategy, o.endpoint, res.Champion)
	if strategy == deploy.Direct || strategy == deploy.BlueGreen {
		res.Outcome = fmt.Sprintf("%s now serves %s", mv.Ref(), o.endpoint)
	}
	done := e.event("retrain.done", target, res.Outcome, map[string]any{"champion": res.Champion, "challenger": res.Challenger,
		"challenger_score": chal, "champion_score": champScore, "better": true, "revision": dep.Revision})
	if _, err := e.store.AppendAudit(ctx, &store.AppendAuditParams{Event: *done}); err != nil {
		return res, err
	}
	return res, nil
}

// retire moves the champion alias to a promoted retrained version, drops its
// challenger alias, and archives the version it replaced when no alias
// holds it (Service.Promoted).
func (e *env) retire(ctx context.Context, endpoint string, from, to deploy.VariantSpec) error {
	reg := e.registry()
	why := fmt.Sprintf("retrain: %s promoted on endpoint %s", to.Ref(), endpoint)
	if _, _, err := reg.SetAlias(ctx, to.Ref(), "champion", why, map[string]any{"endpoint": endpoint, "replaces": from.Ref()}); err != nil {
		return err
	}
	if a, err := e.store.GetAlias(ctx, to.Model, "challenger"); err == nil && a.Version == to.Version {
		if err := reg.RemoveAlias(ctx, to.Model, "challenger", why); err != nil {
			return err
		}
	}
	aliases, err := e.store.ListAliases(ctx, &store.ListAliasesParams{Model: from.Model})
	if err != nil {
		return err
	}
	for _, a := range aliases {
		if a.Version == from.Version {
			return nil // still named by an alias: kept
		}
	}
	_, err = reg.Archive(ctx, from.Ref(), fmt.Sprintf("retired: replaced by %s on endpoint %s", to.Ref(), endpoint))
	return err
}

// retrainLeaseTTL bounds how long a retraining holds its endpoint's lease
// when its process dies before releasing it.
const retrainLeaseTTL = time.Hour

// processID names this process as a lease holder: host, process id and a
// random part (process ids are reused, across containers too).
var processID = func() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%x", cmp.Or(host, "localhost"), os.Getpid(), b)
}()

// runRetrainPolicy evaluates the retrain policy of every endpoint every
// interval and runs the workflow when it says so.
func (app *App) runRetrainPolicy(ctx context.Context, e *env, interval time.Duration, endpoints func() []string, log *slog.Logger) {
	if !retrain.Enabled(e.proj.Config.Retrain) {
		return
	}
	every(ctx, interval, func() {
		for _, ep := range endpoints() {
			res, err := app.runRetrain(ctx, e, retrainOptions{endpoint: ep, ifNeeded: true, window: time.Hour})
			switch {
			case err != nil && mlw.ErrorCode(err) == mlw.ECONFLICT:
				// A change is in progress (maybe the last retrain's canary).
			case err != nil:
				log.Error("retraining", "endpoint", ep, "err", mlw.ErrorMessage(err))
			case res.Ran:
				log.Warn("retrained", "endpoint", ep, "outcome", res.Outcome)
			}
		}
	})
}
