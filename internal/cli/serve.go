package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"mlw.dev/internal/deploy"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/monitor"
	"mlw.dev/internal/predlog"
	"mlw.dev/internal/serve"
)

// serveOptions are the flags of mlw serve.
type serveOptions struct {
	addr           string
	tokenFile      string
	adminTokenFile string
	poll           time.Duration
	noLog          bool
	logFormat      string
	logLevel       string
	maxBody        int64
	maxBatch       int
	timeout        time.Duration
	alertEvery     time.Duration
	retrainEvery   time.Duration
}

func (app *App) serveCommand() *cobra.Command {
	var o serveOptions
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve every deployed endpoint over HTTP (Open Inference Protocol v2 and JSON)",
		Long: `Serve every endpoint deployed in the project's store until interrupted
(Ctrl-C or SIGTERM finish the requests in flight, then stop).

  GET  /v2/health/live, /v2/health/ready, /healthz
  GET  /v2/models/{endpoint}, /v2/models/{endpoint}/ready
  POST /v2/models/{endpoint}/infer       Open Inference Protocol v2 (KServe, Triton)
  POST /v1/endpoints/{endpoint}/predict  {"instances": [{...}]} or {"dataframe_split": {...}}
  POST /v1/endpoints/{endpoint}/feedback {"request_id": ..., "row": 0, "label": ...} or {"feedback": [...]}
  GET  /metrics                          Prometheus
       /v1/admin/deployments/...         deploy, promote, rollback (with --admin-token-file)

Deployment changes (mlw deploy, promote, rollback, or the admin API) are
picked up within --poll without a restart; a switch never fails a request.
Several servers pointed at the same PostgreSQL store and artifact store serve
the same deployments. The server drives canaries: each step is analysed over
the prediction log when its interval ends.

Every prediction is logged to the store asynchronously (never slowing or
failing an answer; dropped records are counted in
mlw_predictions_dropped_total) for 'mlw monitor', 'mlw deploy status' and
canary analysis; records older than monitoring.retention (default 30d) are
deleted. Alert rules of mlw.yaml (monitoring.alerts) are evaluated every
--alert-every, and the retrain policy (retrain:) every --retrain-every: when a
trigger holds and there is new data, the retraining workflow of 'mlw
retrain' runs in the server.

The server binds to loopback unless --addr says otherwise. With
--token-file, model endpoints require "Authorization: Bearer TOKEN"; the
admin API is mounted only with --admin-token-file and always requires its
token.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return app.serve(c.Context(), o) },
	}
	f := c.Flags()
	f.StringVar(&o.addr, "addr", serve.DefaultAddr, "address to listen on (HOST:PORT; :0 picks a free port)")
	f.StringVar(&o.tokenFile, "token-file", "", "file holding the bearer token model endpoints require")
	f.StringVar(&o.adminTokenFile, "admin-token-file", "", "file holding the bearer token of the admin API (mounted only when set)")
	f.DurationVar(&o.poll, "poll", time.Second, "how often the store is checked for deployment changes")
	f.BoolVar(&o.noLog, "no-prediction-log", false, "do not log predictions (monitoring and canary analysis then see no traffic)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.Int64Var(&o.maxBody, "max-body-bytes", serve.DefaultMaxBodyBytes, "largest request body")
	f.IntVar(&o.maxBatch, "max-batch", serve.DefaultMaxBatch, "most rows in one request")
	f.DurationVar(&o.timeout, "timeout", serve.DefaultRequestTimeout, "time to read and predict one request")
	f.DurationVar(&o.alertEvery, "alert-every", time.Minute, "how often alert rules are evaluated")
	f.DurationVar(&o.retrainEvery, "retrain-every", 5*time.Minute, "how often the retrain policy of mlw.yaml is evaluated")
	return c
}

// readToken reads a token file (trimmed); it must not be empty.
func (app *App) readToken(flag, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(app.abs(path))
	if err != nil {
		return "", mlw.Errorf(mlw.EINVALID, "%s: %v", flag, err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", mlw.Errorf(mlw.EINVALID, "%s %s: the file is empty", flag, path)
	}
	return tok, nil
}

func (o serveOptions) logger(app *App) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, usagef("--log-level info", "--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(app.Err, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(app.Err, opts)), nil
	}
	return nil, usagef("--log-format json", "--log-format %q: want text or json", o.logFormat)
}

// serve runs the server until ctx ends.
func (app *App) serve(ctx context.Context, o serveOptions) error {
	log, err := o.logger(app)
	if err != nil {
		return err
	}
	token, err := app.readToken("--token-file", o.tokenFile)
	if err != nil {
		return err
	}
	adminToken, err := app.readToken("--admin-token-file", o.adminTokenFile)
	if err != nil {
		return err
	}
	if o.poll <= 0 || o.alertEvery <= 0 || o.retrainEvery <= 0 {
		return usagef("mlw serve --poll 1s --alert-every 1m --retrain-every 5m", "--poll, --alert-every and --retrain-every must be positive")
	}
	e, err := app.open(ctx)
	if err != nil {
		return err
	}
	defer e.Close()
	if _, err := monitor.ParseRules(e.proj.Config.Monitoring.Alerts); err != nil {
		return mlw.Errorf(mlw.EINVALID, "mlw.yaml monitoring.alerts: %v", err)
	}
	keep, err := predlog.ParseRetention(e.proj.Config.Monitoring.Retention)
	if err != nil {
		return mlw.Errorf(mlw.EINVALID, "mlw.yaml monitoring.retention: %v", mlw.ErrorMessage(err))
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	loader := &deploy.Loader{Blobs: e.artifacts}
	table := &serve.Table{}
	syncer := &deploy.Syncer{Store: e.store, Loader: loader, Table: table, Interval: o.poll, Logger: log}
	if err := syncer.Sync(ctx); err != nil {
		return err
	}
	svc := e.deployService()
	svc.Verify = deploy.VerifyWith(loader)

	var plog *predlog.Logger
	cfg := serve.Config{
		Addr: o.addr, Router: table, Logger: log, Registerer: reg, Token: token,
		MaxBodyBytes: o.maxBody, MaxBatch: o.maxBatch, RequestTimeout: o.timeout, Version: Version,
		Feedback: feedbackSink{e},
	}
	if !o.noLog {
		plog, err = predlog.New(predlog.Config{Sink: e.store, Logger: log, Registerer: reg})
		if err != nil {
			return err
		}
		cfg.Observer = plog
	}
	if adminToken != "" {
		svc := *svc
		svc.Actor = e.actor + " (admin API)"
		cfg.Admin = deploy.Admin(&svc, func() {
			if err := syncer.Sync(context.WithoutCancel(ctx)); err != nil {
				log.Error("sync after an admin change", "err", mlw.ErrorMessage(err))
			}
		})
		cfg.AdminToken = adminToken
	}
	s, err := serve.New(cfg)
	if err != nil {
		return err
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if plog != nil {
		if err := plog.Start(bg); err != nil {
			stopBG()
			return err
		}
		wg.Go(func() { predlog.Retain(bg, e.store, keep, time.Hour, e.app.Now, log) })
	}
	if err := s.Start(ctx); err != nil {
		stopBG()
		return err
	}
	wg.Go(func() { syncer.Run(bg) })
	wg.Go(func() {
		(&deploy.Controller{Service: svc, Logger: log, Every: o.poll, Recheck: 10 * time.Second}).Run(bg)
	})
	wg.Go(func() { app.runAlerts(bg, e, plog, o.alertEvery, table.Endpoints, log) })
	wg.Go(func() { app.runRetrainPolicy(bg, e, o.retrainEvery, table.Endpoints, log) })

	eps := table.Endpoints()
	fmt.Fprintf(app.Out, "mlw serve: listening on http://%s (%d endpoints: %s)\n", s.Addr(), len(eps), strings.Join(eps, ", "))
	for ep, msg := range syncer.Failures() {
		fmt.Fprintf(app.Out, "endpoint %s is not served: %s\n", ep, msg)
	}
	<-ctx.Done()
	log.Info("stopping: finishing requests in flight")
	err = s.Stop()
	stopBG()
	wg.Wait()
	if plog != nil {
		flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if cerr := plog.Close(flushCtx); cerr != nil {
			log.Error("prediction log not flushed", "err", cerr)
		}
		cancel()
	}
	fmt.Fprintln(app.Out, "mlw serve: stopped")
	return err
}
