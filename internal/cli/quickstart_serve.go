package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"mlw.dev/frame"
	"mlw.dev/internal/artifact"
	"mlw.dev/internal/deploy"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/monitor"
	"mlw.dev/internal/predlog"
	"mlw.dev/internal/quickstart"
	"mlw.dev/internal/serve"
	"mlw.dev/internal/store"
	"mlw.dev/internal/train"
	"mlw.dev/split"
)

// liveServer is an in-process 'mlw serve' for the quickstart: the same
// syncer, canary controller, prediction log and feedback as the command.
type liveServer struct {
	e      *env
	s      *serve.Server
	syncer *deploy.Syncer
	ctrl   *deploy.Controller
	plog   *predlog.Logger
	url    string
	client *http.Client

	stopOnce sync.Once
	stopErr  error
}

func (e *env) startLiveServer(ctx context.Context, svc *deploy.Service) (*liveServer, error) {
	log := slog.New(slog.DiscardHandler)
	loader := &deploy.Loader{Blobs: e.artifacts}
	table := &serve.Table{}
	ls := &liveServer{e: e, syncer: &deploy.Syncer{Store: e.store, Loader: loader, Table: table}, client: &http.Client{Timeout: 30 * time.Second}}
	if err := ls.syncer.Sync(ctx); err != nil {
		return nil, err
	}
	ls.ctrl = &deploy.Controller{Service: svc, Logger: log}
	var err error
	ls.plog, err = predlog.New(predlog.Config{Sink: e.store, Logger: log, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	if err := ls.plog.Start(ctx); err != nil {
		return nil, err
	}
	ls.s, err = serve.New(serve.Config{Addr: "127.0.0.1:0", Router: table, Logger: log, Observer: ls.plog, Feedback: feedbackSink{e}, Version: Version})
	if err != nil {
		return nil, err
	}
	if err := ls.s.Start(ctx); err != nil {
		return nil, err
	}
	ls.url = "http://" + ls.s.Addr().String()
	return ls, nil
}

// stop stops the server and flushes the prediction log.
func (ls *liveServer) stop() error {
	ls.stopOnce.Do(func() {
		ls.stopErr = ls.s.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ls.plog.Close(ctx); ls.stopErr == nil {
			ls.stopErr = err
		}
	})
	return ls.stopErr
}

// flush waits until the prediction log has written (or dropped) want
// records since it started, for 10 s at most.
func (ls *liveServer) flush(ctx context.Context, want uint64) {
	deadline := time.Now().Add(10 * time.Second)
	for ls.plog.Logged()+ls.plog.Dropped() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
}

// traffic sends one request per row of f (target excluded) to endpoint,
// then the rows' true labels as feedback, waits until the prediction log
// has written the requests, and returns the variants that answered.
func (ls *liveServer) traffic(ctx context.Context, endpoint string, f *frame.Frame, rows []int, target string) (map[string]int, error) {
	tcol := f.ColumnIndex(target)
	answered := map[string]int{}
	logged := ls.plog.Logged() + ls.plog.Dropped()
	var fb []map[string]any
	for _, i := range rows {
		body := instanceJSON(f, i, target)
		var pr serve.PredictResponse
		if err := ls.post(ctx, "/v1/endpoints/"+endpoint+"/predict", body, &pr); err != nil {
			return nil, err
		}
		answered[pr.Variant+" "+pr.Model]++
		if tcol >= 0 && !f.ColumnAt(tcol).IsMissing(i) {
			fb = append(fb, map[string]any{"request_id": pr.RequestID, "label": f.Cell(i, tcol)})
		}
	}
	if len(fb) > 0 {
		body, err := json.Marshal(map[string]any{"feedback": fb})
		if err != nil {
			return nil, err
		}
		if err := ls.post(ctx, "/v1/endpoints/"+endpoint+"/feedback", body, nil); err != nil {
			return nil, err
		}
	}
	// One request, one row, one record: wait for them to be logged.
	ls.flush(ctx, logged+uint64(len(rows)))
	return answered, nil
}

func (ls *liveServer) post(ctx context.Context, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, "POST", ls.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := ls.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return mlw.Errorf(mlw.EINTERNAL, "POST %s: %d %s", path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// instanceJSON is row i of f as a predict request, without the target:
// numbers as JSON numbers, missing values as null, the rest as strings.
func instanceJSON(f *frame.Frame, i int, target string) []byte {
	b := []byte(`{"instances":[{`)
	first := true
	for j := range f.NumCols() {
		name := f.Name(j)
		if name == target {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = strconv.AppendQuote(b, name)
		b = append(b, ':')
		col := f.ColumnAt(j)
		switch {
		case col.IsMissing(i):
			b = append(b, "null"...)
		case col.Type() == frame.TypeNumeric:
			b = append(b, col.Cell(i)...)
		default:
			b = strconv.AppendQuote(b, col.Cell(i))
		}
	}
	return append(b, "}]}"...)
}

// runCanary sends traffic in rounds and ticks the canary controller until
// the canary of endpoint is promoted or rolled back (or rounds run out).
// It returns how many rows it sent.
func (ls *liveServer) runCanary(ctx context.Context, endpoint string, f *frame.Frame, rows []int, target string, interval time.Duration, report func(deploy.Step)) (int, error) {
	per := max(len(rows)/8, 200)
	sent := 0
	for round := 0; round < 30; round++ {
		chunk := make([]int, per) // the rows again and again when there are few
		for k := range chunk {
			chunk[k] = rows[(sent+k)%len(rows)]
		}
		if _, err := ls.traffic(ctx, endpoint, f, chunk, target); err != nil {
			return sent, err
		}
		sent += len(chunk)
		time.Sleep(interval)
		steps, err := ls.ctrl.Tick(ctx)
		if err != nil {
			return sent, err
		}
		for _, st := range steps {
			if st.Endpoint != endpoint || st.Action == "held" {
				continue
			}
			report(st)
			if st.Action != "step" {
				return sent, nil
			}
		}
		if err := ls.syncer.Sync(ctx); err != nil {
			return sent, err
		}
	}
	d, err := ls.e.store.GetDeployment(ctx, &store.GetDeploymentParams{Endpoint: endpoint})
	if err != nil {
		return sent, err
	}
	return sent, mlw.Errorf(mlw.EINTERNAL, "the canary of %s did not finish (revision %d, %s)", endpoint, d.Revision, d.State)
}

// quickstartDeploy deploys the best model blue-green, serves test traffic
// with feedback through an in-process server, and canaries the runner-up.
func (app *App) quickstartDeploy(ctx context.Context, e *env, champ *mlw.ModelVersion, best *train.Result, trained []*train.Result,
	f *frame.Frame, v *mlw.DatasetVersion, splitID, primary string) error {
	out := app.Out
	var runnerUp *train.Result
	for _, r := range trained {
		if r != best && (runnerUp == nil || r.Valid[primary] > runnerUp.Valid[primary]) {
			runnerUp = r
		}
	}
	reg := e.registry()
	chal, err := reg.Register(ctx, runnerUp.Run.ID, "deflect", "runner-up of the quickstart", "quickstart: a challenger to canary")
	if err != nil {
		return err
	}
	// Deployments of the quickstart happen now, in real time: the canary's
	// steps are held for real seconds.
	svc := e.deployService()
	svc.Now = time.Now
	d, err := svc.Deploy(ctx, deploy.Request{Endpoint: "deflect", Model: champ.Ref().String(), Strategy: deploy.BlueGreen, Reason: "quickstart: the best model"})
	if err != nil {
		return err
	}
	spec, err := deploy.ParseSpec(d)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   mlw deploy deflect %s --strategy bluegreen: revision %d, %s; checks: %s\n", champ.Ref(), d.Revision, serves(spec), strings.Join(spec.Verified, "; "))

	ls, err := e.startLiveServer(ctx, svc)
	if err != nil {
		return err
	}
	defer ls.stop()
	_, a, err := e.loadSplit(ctx, v, splitID)
	if err != nil {
		return err
	}
	rows := a.Rows(split.Test)
	first := rows[:min(200, len(rows))]
	answered, err := ls.traffic(ctx, "deflect", f, first, v.Roles.Target)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   mlw serve: %d test-part requests answered by %s, their true labels sent as feedback (POST /v1/endpoints/deflect/feedback)\n",
		len(first), describeAnswered(answered))

	_, err = svc.Deploy(ctx, deploy.Request{Endpoint: "deflect", Model: chal.Ref().String(), Strategy: deploy.Canary,
		Steps: []int{20, 50, 100}, Interval: time.Second, MinRequests: 20, Reason: "quickstart: canary of the runner-up"})
	if err != nil {
		return err
	}
	if err := ls.syncer.Sync(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "   mlw deploy deflect %s --strategy canary --steps 20,50,100 --interval 1s (%s, validation %s %.4f vs %.4f)\n",
		chal.Ref(), runnerUp.Run.Model, primary, runnerUp.Valid[primary], best.Valid[primary])
	_, err = ls.runCanary(ctx, "deflect", f, rows, v.Roles.Target, time.Second, func(st deploy.Step) { printCanaryStep(out, st) })
	if err != nil {
		return err
	}
	if err := ls.stop(); err != nil {
		return err
	}
	st, err := svc.Status(ctx, "deflect")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   mlw deploy status deflect: revision %d (%s), serves %s; mlw rollback deflect would switch back\n", st.Revision, st.State, serves(st.Spec))
	return nil
}

func describeAnswered(m map[string]int) string {
	var b bytes.Buffer
	for k, n := range m {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%d)", k, n)
	}
	return b.String()
}

// quickstartWeek simulates the week after the training year: traffic whose
// order values tripled and whose labels no longer follow order value as they
// did, with feedback; it shows what mlw monitor and the alert rules find,
// then runs the retraining workflow on recent data and canaries the result.
func (app *App) quickstartWeek(ctx context.Context, e *env, dir string, year []quickstart.Ticket, seed uint64) error {
	out := app.Out
	week := quickstart.GenerateWeek(max(len(year)/3, 200), seed+1, len(year))
	weekPath := filepath.Join(dir, "data", "week.csv")
	if err := artifact.WriteFileAtomic(weekPath, func(w io.Writer) error { return quickstart.WriteCSV(w, week) }); err != nil {
		return err
	}
	wf, err := frame.ReadFile(weekPath, frame.ReadOptions{})
	if err != nil {
		return err
	}
	target := e.proj.Config.Data.Roles.Target
	svc := e.deployService()
	svc.Now = time.Now // the replay happens now, in real time
	ls, err := e.startLiveServer(ctx, svc)
	if err != nil {
		return err
	}
	defer ls.stop()
	start := time.Now().UTC()
	rows := make([]int, wf.NumRows())
	for i := range rows {
		rows[i] = i
	}
	half := len(rows) / 2
	if _, err := ls.traffic(ctx, "deflect", wf, rows[:half], target); err != nil {
		return err
	}
	now := time.Now().UTC().Add(time.Second)
	rep, err := e.monitorWindow(ctx, "deflect", start, now, 0, nil)
	if err != nil {
		return err
	}
	var drifted []string
	for _, d := range rep.Drift {
		if d.Drifted {
			drifted = append(drifted, fmt.Sprintf("%s (%s %.3g)", d.Feature, d.Method, d.Value))
		}
	}
	fmt.Fprintf(out, "   a week of traffic replayed (data/week.csv: a new checkout triples order values, and big orders now resolve themselves):\n")
	fmt.Fprintf(out, "   %d requests with their labels fed back; mlw monitor deflect --html monitor.html:\n", half)
	fmt.Fprintf(out, "   drifted: %s; drift share %.0f%%, dataset drift %v\n", strings.Join(drifted, "; "), 100*rep.DriftShare, rep.DatasetDrift)
	if m, ok := rep.Online.Metrics[rep.Online.Primary]; ok {
		fmt.Fprintf(out, "   online %s %.4f over %d labeled rows, against %.4f on the test part\n", rep.Online.Primary, m, rep.Online.LabeledRows, rep.Online.Expected[rep.Online.Primary])
	}
	if err := artifact.WriteFileAtomic(filepath.Join(dir, "monitor.html"), func(w io.Writer) error { return monitor.WriteHTML(w, rep) }); err != nil {
		return err
	}
	rules, err := monitor.ParseRules(e.proj.Config.Monitoring.Alerts)
	if err != nil {
		return err
	}
	al := newAlerting(e, rules, ls.plog, slog.New(slog.DiscardHandler), start)
	al.hook = nil // the quickstart sends nowhere
	alerts := func(from, now time.Time) error {
		events, err := al.evaluate(ctx, "deflect", from, now)
		for _, a := range events {
			fmt.Fprintf(out, "   alert %s: %s\n", a.State, a.Message)
		}
		return err
	}
	if err := alerts(start, now); err != nil {
		return err
	}

	// Retrain on recent data: the last third of the year and the week so far.
	recent := append(slices.Clone(year[len(year)*2/3:]), week[:half]...)
	recentPath := filepath.Join(dir, "data", "tickets_recent.csv")
	if err := artifact.WriteFileAtomic(recentPath, func(w io.Writer) error { return quickstart.WriteCSV(w, recent) }); err != nil {
		return err
	}
	fmt.Fprintln(out, "\n   mlw retrain --if-needed --data data/tickets_recent.csv (the last four months and the week so far):")
	res, err := app.runRetrain(ctx, e, retrainOptions{endpoint: "deflect", data: recentPath, ifNeeded: true, window: time.Hour,
		strategy: deploy.Canary, interval: time.Second, maxShift: 10, now: now, reason: "quickstart: the week degraded the champion"})
	if res != nil {
		for _, c := range res.Decision.Reasons {
			fmt.Fprintf(out, "   policy: %s\n", c)
		}
		for _, st := range res.Steps {
			fmt.Fprintf(out, "   %-9s %s\n", st.Step, st.Detail)
		}
		fmt.Fprintf(out, "   %s\n", res.Outcome)
	}
	if err != nil {
		return err
	}
	if res.Deployment == nil || res.Deployment.State != deploy.StateCanary {
		return nil
	}
	if err := ls.syncer.Sync(ctx); err != nil {
		return err
	}
	tail := len(rows) * 7 / 10 // the last 30% of the week comes after the canary
	_, err = ls.runCanary(ctx, "deflect", wf, rows[half:tail], target, time.Second, func(st deploy.Step) { printCanaryStep(out, st) })
	if err != nil {
		return err
	}
	d, spec, err := svc.Current(ctx, "deflect")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   endpoint deflect revision %d (%s) serves %s", d.Revision, d.State, serves(spec))
	if champ, err := e.store.GetAlias(ctx, "deflect", "champion"); err == nil {
		fmt.Fprintf(out, "; champion is deflect@%d", champ.Version)
	}
	fmt.Fprintln(out)
	if v, err := e.registry().Resolve(ctx, res.Champion); err == nil && v.Status == mlw.ModelArchived {
		fmt.Fprintf(out, "   %s is archived; mlw audit --action retrain. and mlw model history deflect show every step\n", v.Ref())
	}

	// The rest of the week, served by the new champion.
	if d.State != deploy.StatePromoted {
		return nil
	}
	if err := ls.syncer.Sync(ctx); err != nil {
		return err
	}
	rest := rows[tail:]
	after := time.Now().UTC()
	if _, err := ls.traffic(ctx, "deflect", wf, rest, target); err != nil {
		return err
	}
	fmt.Fprintf(out, "   the rest of the week (%d requests) on %s:\n", len(rest), spec.Primary().Ref())
	return alerts(after, time.Now().UTC().Add(time.Second))
}

// printCanaryStep prints one decision of the canary controller.
func printCanaryStep(w io.Writer, st deploy.Step) {
	an := st.Analysis
	acc := "-"
	if an.Canary.Accuracy != nil && an.Stable.Accuracy != nil {
		acc = fmt.Sprintf("%.3f vs %.3f", *an.Canary.Accuracy, *an.Stable.Accuracy)
	}
	verdict := "passed"
	if !an.Passed {
		verdict = "failed: " + strings.Join(an.Failures, "; ")
	}
	p99 := time.Duration(an.Canary.P99Ms * float64(time.Millisecond))
	if p99 < time.Millisecond {
		p99 = p99.Round(100 * time.Nanosecond)
	} else {
		p99 = p99.Round(10 * time.Microsecond)
	}
	fmt.Fprintf(w, "   canary at %d%%: %d requests, error rate %.1f%%, p99 %v, online accuracy %s: %s -> %s\n",
		an.Percent, an.Canary.Requests, 100*an.Canary.ErrorRate, p99, acc, verdict, st.Action)
}

// every calls f every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
