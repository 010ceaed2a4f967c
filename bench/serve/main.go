// Command serve-bench is the Go side of bench/serve/run.sh, which compares
// mlw's inference server with a bare net/http handler and a FastAPI +
// scikit-learn server. Subcommands:
//
//	fit   -csv FILE -out DIR      fit the 100-tree gbdt bundle on the first 80% of rows;
//	                              write DIR/model.mlwb and DIR/body.json (one test row)
//	serve -bundle FILE -addr A    serve the bundle as endpoint "synth" with internal/serve;
//	      [-log DB] [-monitor-every D] [-stats FILE] [-cpuprofile F]
//	                              with -log, log every prediction to the SQLite store DB
//	                              through internal/predlog, as mlw serve does; with
//	                              -monitor-every, analyse the last 10 minutes of the log
//	                              every D, as mlw serve's alert loop does; -stats writes
//	                              the log's and the analyses' counts on shutdown (JSON)
//	bare  -addr A [-cpuprofile F] a bare net/http handler answering a fixed JSON body
//	load  -url U -body F -rate R  open-loop load at a fixed rate; prints latency percentiles (JSON)
//	seq   -url U -body F -n N     N sequential requests on one connection; prints percentiles (JSON)
//	wait  -url U                  wait until U answers
//	rss   -pid P                  print VmRSS and VmHWM of a process in MB (JSON)
//	cpu   -pid P                  print the CPU seconds (user + system) a process has used
//	count -db DB                  print the rows of the prediction log table of a SQLite store
//	micro -bundle F -body F       time in-process, without the network: the model alone
//	                              (bundle.RowPredictor), mlw's whole handler and the bare
//	                              handler; the fastest of 200 chunks each, in ns per request (JSON)
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	_ "modernc.org/sqlite" // driver "sqlite", for count

	"mlw.dev/feature"
	"mlw.dev/frame"
	"mlw.dev/internal/monitor"
	"mlw.dev/internal/predlog"
	"mlw.dev/internal/serve"
	"mlw.dev/internal/store"
	"mlw.dev/internal/store/sqlite"
	"mlw.dev/model"
	"mlw.dev/model/bundle"
	"mlw.dev/model/gbdt"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: serve-bench fit|serve|bare|load|seq|wait|rss|cpu|count|micro [flags]")
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{"fit": fit, "serve": serveCmd, "bare": bare, "load": load, "seq": seq, "wait": wait, "rss": rss, "cpu": cpu, "count": count, "micro": micro}
	f, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "serve-bench: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := f(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "serve-bench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// fit trains the benchmark's model and writes the bundle and a request body.
func fit(args []string) error {
	fs := flag.NewFlagSet("fit", flag.ExitOnError)
	path := fs.String("csv", "", "synthetic classification CSV (gen_synth.py)")
	out := fs.String("out", "", "output directory")
	_ = fs.Parse(args)
	f, err := frame.ReadFile(*path, frame.ReadOptions{})
	if err != nil {
		return err
	}
	n := f.NumRows()
	nTrain := n * 8 / 10
	rows := make([]int, nTrain)
	for i := range rows {
		rows[i] = i
	}
	train := f.Take(rows)
	cfg := feature.ForBoosting()
	cfg.Exclude = []string{"target"}
	pipe, err := feature.Fit(train, frame.InferSchema(f, frame.SchemaOptions{}), cfg)
	if err != nil {
		return err
	}
	X, err := pipe.Transform(train)
	if err != nil {
		return err
	}
	tc, ok := train.Column("target").(*frame.Numeric)
	if !ok {
		return errors.New("target is not numeric")
	}
	est := &gbdt.Model{}
	est.MaxIter, est.MaxLeafNodes, est.EarlyStopping = 100, 31, gbdt.EarlyStoppingOff
	start := time.Now()
	if err := est.Fit(context.Background(), &model.Problem{Task: model.BinaryClassification, Classes: 2, Features: pipe.Outputs, X: X, Y: tc.Values()}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fit %d rows in %.1fs\n", nTrain, time.Since(start).Seconds())
	b := &bundle.Bundle{Header: bundle.Header{Task: "binary", Target: "target", Classes: []string{"0", "1"}, Pipeline: pipe}, Estimator: est}
	// The training reference, as mlw train writes it, so that monitoring
	// (serve -monitor-every) computes drift as it would in production.
	b.Reference = b.NewReference(train, b.PredictMatrix(X))
	data, err := b.Bytes()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "model.mlwb"), data, 0o644); err != nil {
		return err
	}
	// One held-out row as {"instances": [{...}]}.
	var sb strings.Builder
	sb.WriteString(`{"instances": [{`)
	for j := range 30 {
		if j > 0 {
			sb.WriteString(", ")
		}
		name := "f" + strconv.Itoa(j)
		sb.WriteString(strconv.Quote(name) + ": " + f.Cell(nTrain, f.ColumnIndex(name)))
	}
	sb.WriteString("}]}")
	return os.WriteFile(filepath.Join(*out, "body.json"), []byte(sb.String()), 0o644)
}

// serveCmd runs the mlw server until SIGINT or SIGTERM, with the prediction
// log and the periodic analysis of mlw serve when -log and -monitor-every
// say so (wired as internal/cli/serve.go wires them).
func serveCmd(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	path := fs.String("bundle", "", "bundle file")
	addr := fs.String("addr", "127.0.0.1:18082", "address")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	logPath := fs.String("log", "", "log every prediction to the SQLite store at this path (empty: no prediction log)")
	monitorEvery := fs.Duration("monitor-every", 0, "with -log, analyse the last 10 minutes of the log this often (0: never)")
	statsPath := fs.String("stats", "", "on shutdown, write the prediction log's and the analyses' counts to this file (JSON)")
	_ = fs.Parse(args)
	if *monitorEvery < 0 || *monitorEvery > 0 && *logPath == "" {
		return errors.New("-monitor-every: want a positive duration, and -log")
	}
	stopProfile, err := startProfile(*profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	b, err := bundle.ReadFile(*path)
	if err != nil {
		return err
	}
	m, err := serve.NewModel("synth", 1, b)
	if err != nil {
		return err
	}
	route, err := serve.Single(&serve.Variant{Name: "primary", Model: m})
	if err != nil {
		return err
	}
	table, err := serve.NewTable(map[string]*serve.Route{"synth": route})
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	reg := prometheus.NewRegistry()
	cfg := serve.Config{Addr: *addr, Router: table, Registerer: reg, Logger: log}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var (
		db   *sqlite.DB
		plog *predlog.Logger
	)
	if *logPath != "" {
		if db, err = sqlite.Open(ctx, *logPath); err != nil {
			return err
		}
		defer db.Close()
		if plog, err = predlog.New(predlog.Config{Sink: db, Logger: log, Registerer: reg}); err != nil {
			return err
		}
		cfg.Observer = plog
	}
	s, err := serve.New(cfg)
	if err != nil {
		return err
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	if plog != nil {
		if err := plog.Start(bg); err != nil {
			return err
		}
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	var (
		mon monitorStats
		wg  sync.WaitGroup
	)
	if *monitorEvery > 0 {
		// Keyed NAME@N as predlog writes Model and Version: "synth@1".
		bundles := map[string]*bundle.Bundle{fmt.Sprintf("%s@%d", m.Name(), m.Version()): b}
		wg.Go(func() { mon.run(bg, db, "synth", bundles, *monitorEvery, log) })
	}
	<-ctx.Done()
	err = s.Stop()
	stopBG()
	wg.Wait()
	if plog == nil {
		return err
	}
	flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if cerr := plog.Close(flushCtx); cerr != nil {
		err = errors.Join(err, fmt.Errorf("flush the prediction log: %w", cerr))
	}
	stats := serveStats{Logged: plog.Logged(), Dropped: plog.Dropped(), Monitor: mon}
	log.Info("prediction log", "logged", stats.Logged, "dropped", stats.Dropped,
		"monitor_passes", mon.Passes, "monitor_max_rows", mon.MaxRows, "monitor_max_seconds", mon.MaxSeconds)
	if *statsPath != "" {
		data, jerr := json.Marshal(stats)
		if jerr == nil {
			jerr = os.WriteFile(*statsPath, append(data, '\n'), 0o644)
		}
		err = errors.Join(err, jerr)
	}
	return err
}

// serveStats is what serve -stats writes on shutdown.
type serveStats struct {
	Logged  uint64       `json:"logged"`
	Dropped uint64       `json:"dropped"`
	Monitor monitorStats `json:"monitor"`
}

// monitorStats counts the analyses of serve -monitor-every.
type monitorStats struct {
	Passes       int     `json:"passes"`
	Errors       int     `json:"errors"`
	MaxRows      int     `json:"max_rows"`
	TotalSeconds float64 `json:"total_seconds"`
	MaxSeconds   float64 `json:"max_seconds"`
}

// monitorWindow is the traffic mlw serve evaluates alert rules on.
const monitorWindow = 10 * time.Minute

// run analyses the endpoint's last monitorWindow of logged traffic every
// interval until ctx ends, as mlw serve's alert loop does before it applies
// the rules (internal/cli/monitor.go: runAlerts, monitorWindow). The reports
// are dropped; a failed pass is logged and counted, like the alert loop's.
func (ms *monitorStats) run(ctx context.Context, st *sqlite.DB, endpoint string, bundles map[string]*bundle.Bundle, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		rows, err := analyse(ctx, st, endpoint, bundles, start.UTC())
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			ms.Errors++
			log.Error("monitor pass", "endpoint", endpoint, "err", err)
			continue
		}
		d := time.Since(start).Seconds()
		ms.Passes++
		ms.MaxRows = max(ms.MaxRows, rows)
		ms.TotalSeconds += d
		ms.MaxSeconds = max(ms.MaxSeconds, d)
		log.Debug("monitor pass", "endpoint", endpoint, "rows", rows, "seconds", d)
	}
}

// monitorPage is the number of records analyse reads at a time, as mlw
// serve's alert loop (internal/cli/monitor.go: monitorPage).
const monitorPage = 10_000

// analyse runs one analysis of the window ending now, reading the log page
// by page into a monitor.Accumulator as the alert loop does, and returns
// the rows it read.
func analyse(ctx context.Context, st *sqlite.DB, endpoint string, bundles map[string]*bundle.Bundle, now time.Time) (int, error) {
	from := now.Add(-monitorWindow)
	alerts, err := st.ListAlertEvents(ctx, &store.ListAlertEventsParams{Endpoint: endpoint, Since: from})
	if err != nil {
		return 0, err
	}
	acc, err := monitor.NewAccumulator(monitor.Input{Endpoint: endpoint, From: from, To: now, Models: bundles, Alerts: alerts})
	if err != nil {
		return 0, err
	}
	rows := 0
	params := &store.ListPredictionsParams{Endpoint: endpoint, Since: from, Until: now, IncludeShadow: true, Limit: monitorPage}
	for {
		page, err := st.ListPredictions(ctx, params)
		if err != nil {
			return 0, err
		}
		acc.Add(page...)
		rows += len(page)
		if len(page) < monitorPage {
			break
		}
		params.AfterID = page[len(page)-1].ID
	}
	if _, err := acc.Report(); err != nil {
		return 0, err
	}
	return rows, nil
}

// bareBody is about the size of mlw's answer for one row.
const bareBody = `{"predictions":["1"],"probabilities":[[0.12345678901234567,0.8765432109876543]],"classes":["0","1"],"model":"synth@1","variant":"primary","request_id":"0123abcd-1"}`

// bareHandler answers a fixed JSON body.
func bareHandler() http.Handler {
	body := []byte(bareBody)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// startProfile starts a CPU profile into the file at path, if any, and
// returns the function that stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// bare serves a fixed JSON body with the same server settings as mlw.
func bare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:18081", "address")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	_ = fs.Parse(args)
	stopProfile, err := startProfile(*profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	srv := &http.Server{
		Addr:              *addr,
		Handler:           bareHandler(),
		ReadHeaderTimeout: serve.DefaultRequestTimeout, ReadTimeout: serve.DefaultRequestTimeout,
		WriteTimeout: 2 * serve.DefaultRequestTimeout, IdleTimeout: serve.DefaultIdleTimeout,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// client is one keep-alive HTTP/1.1 connection sending the same request.
type client struct {
	c   net.Conn
	r   *bufio.Reader
	req []byte
}

func dial(u *url.URL, body []byte) (*client, error) {
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil, err
	}
	req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", u.RequestURI(), u.Host, len(body), body)
	return &client{c: c, r: bufio.NewReaderSize(c, 64<<10), req: []byte(req)}, nil
}

// do sends the request and reads the answer; it returns the status.
func (c *client) do() (int, error) {
	if _, err := c.c.Write(c.req); err != nil {
		return 0, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, ok := strings.Cut(string(h), ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		return 0, errors.New("no Content-Length in the answer")
	}
	_, err = c.r.Discard(length)
	return status, err
}

// percentiles summarises latencies in microseconds.
func percentiles(lat []time.Duration) map[string]float64 {
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return math.NaN()
		}
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return float64(lat[max(i, 0)].Nanoseconds()) / 1e3
	}
	return map[string]float64{"n": float64(len(lat)), "p50_us": q(0.5), "p90_us": q(0.9), "p99_us": q(0.99), "p999_us": q(0.999), "max_us": q(1)}
}

func readTarget(rawURL, bodyPath string) (*url.URL, []byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	body, err := os.ReadFile(bodyPath)
	return u, body, err
}

// load sends requests at a fixed rate from -conns connections (open loop):
// each request has an intended start time, and its latency is measured from
// then, so that a stall is not hidden by the generator waiting for it.
func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	rawURL := fs.String("url", "", "URL")
	bodyPath := fs.String("body", "", "request body file")
	rate := fs.Float64("rate", 1000, "requests per second")
	duration := fs.Duration("duration", 10*time.Second, "measured duration")
	warmup := fs.Duration("warmup", time.Second, "unmeasured warm-up at the same rate")
	conns := fs.Int("conns", 16, "connections")
	_ = fs.Parse(args)
	u, body, err := readTarget(*rawURL, *bodyPath)
	if err != nil {
		return err
	}
	type job struct {
		intended time.Time
		measure  bool
	}
	jobs := make(chan job, 1<<16)
	var mu sync.Mutex
	var fromIntended, service []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for range *conns {
		c, err := dial(u, body)
		if err != nil {
			return err
		}
		wg.Go(func() {
			defer c.c.Close()
			for j := range jobs {
				sent := time.Now()
				status, err := c.do()
				done := time.Now()
				mu.Lock()
				if err != nil || status != http.StatusOK {
					errs++
				} else if j.measure {
					fromIntended = append(fromIntended, done.Sub(j.intended))
					service = append(service, done.Sub(sent))
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	interval := time.Duration(float64(time.Second) / *rate)
	start := time.Now()
	total := int((*warmup + *duration) / interval)
	warm := int(*warmup / interval)
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		jobs <- job{intended: at, measure: i >= warm}
	}
	close(jobs)
	wg.Wait()
	res := map[string]any{"rate": *rate, "conns": *conns, "errors": errs,
		"latency": percentiles(fromIntended), "service": percentiles(service),
		"achieved_rps": float64(total-warm) / duration.Seconds()}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// seq sends n requests one after the other on one connection.
func seq(args []string) error {
	fs := flag.NewFlagSet("seq", flag.ExitOnError)
	rawURL := fs.String("url", "", "URL")
	bodyPath := fs.String("body", "", "request body file")
	n := fs.Int("n", 5000, "requests")
	_ = fs.Parse(args)
	u, body, err := readTarget(*rawURL, *bodyPath)
	if err != nil {
		return err
	}
	c, err := dial(u, body)
	if err != nil {
		return err
	}
	defer c.c.Close()
	lat := make([]time.Duration, 0, *n)
	for i := range *n + *n/10 {
		start := time.Now()
		status, err := c.do()
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("status %d", status)
		}
		if i >= *n/10 { // the first tenth warms up
			lat = append(lat, time.Since(start))
		}
	}
	return json.NewEncoder(os.Stdout).Encode(percentiles(lat))
}

// wait polls a URL until it answers (60 s at most).
func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	rawURL := fs.String("url", "", "URL")
	timeout := fs.Duration("timeout", 120*time.Second, "give up after")
	_ = fs.Parse(args)
	deadline := time.Now().Add(*timeout)
	for {
		resp, err := http.Get(*rawURL)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// rss prints a process's resident memory and its peak.
func rss(args []string) error {
	fs := flag.NewFlagSet("rss", flag.ExitOnError)
	pid := fs.Int("pid", 0, "process id")
	_ = fs.Parse(args)
	data, err := os.ReadFile("/proc/" + strconv.Itoa(*pid) + "/status")
	if err != nil {
		return err
	}
	res := map[string]float64{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != "VmRSS" && k != "VmHWM" {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		res[strings.ToLower(k)+"_mb"] = kb / 1024
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// cpu prints the user and system CPU seconds of a process (its threads
// included), from /proc/PID/stat in clock ticks of 1/100 s.
func cpu(args []string) error {
	fs := flag.NewFlagSet("cpu", flag.ExitOnError)
	pid := fs.Int("pid", 0, "process id")
	_ = fs.Parse(args)
	data, err := os.ReadFile("/proc/" + strconv.Itoa(*pid) + "/stat")
	if err != nil {
		return err
	}
	// Fields after the command (which may hold spaces) in parentheses.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return fmt.Errorf("short /proc/%d/stat", *pid)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	fmt.Printf("%.2f\n", (utime+stime)/100)
	return nil
}

// count prints the number of rows of the prediction log of a SQLite store.
func count(args []string) error {
	fs := flag.NewFlagSet("count", flag.ExitOnError)
	path := fs.String("db", "", "SQLite store (serve -log)")
	_ = fs.Parse(args)
	if _, err := os.Stat(*path); err != nil { // sql.Open would create it
		return err
	}
	db, err := sql.Open("sqlite", *path)
	if err != nil {
		return err
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT coalesce(sum(records), 0) FROM prediction_batches").Scan(&n); err != nil {
		return fmt.Errorf("count the predictions of %s: %w", *path, err)
	}
	fmt.Println(n)
	return nil
}

// nopWriter is a reusable ResponseWriter that discards the body.
type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) WriteHeader(code int)        { w.code = code }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// rewind is a request body read again for every request.
type rewind struct{ strings.Reader }

func (*rewind) Close() error { return nil }

// micro times the model alone, mlw's handler and the bare handler in-process.
func micro(args []string) error {
	fs := flag.NewFlagSet("micro", flag.ExitOnError)
	path := fs.String("bundle", "", "bundle file")
	bodyPath := fs.String("body", "", "request body file ({\"instances\": [{...}]})")
	n := fs.Int("n", 100000, "requests of each kind")
	_ = fs.Parse(args)
	b, err := bundle.ReadFile(*path)
	if err != nil {
		return err
	}
	body, err := os.ReadFile(*bodyPath)
	if err != nil {
		return err
	}
	var req struct {
		Instances []map[string]float64 `json:"instances"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Instances) != 1 {
		return fmt.Errorf("body: want one instance of numbers (%v)", err)
	}
	row := make([]feature.Value, len(b.Pipeline.Inputs))
	for k, in := range b.Pipeline.Inputs {
		row[k] = feature.Value{Num: req.Instances[0][in.Name]}
	}
	m, err := serve.NewModel("synth", 1, b)
	if err != nil {
		return err
	}
	route, err := serve.Single(&serve.Variant{Name: "primary", Model: m})
	if err != nil {
		return err
	}
	table, err := serve.NewTable(map[string]*serve.Route{"synth": route})
	if err != nil {
		return err
	}
	s, err := serve.New(serve.Config{Router: table, Registerer: prometheus.NewRegistry()})
	if err != nil {
		return err
	}
	defer s.Stop()
	rp := b.NewRowPredictor()
	model := func() {
		if _, err := rp.Predict(row); err != nil {
			panic(err)
		}
	}
	handler := func(h http.Handler) func() {
		rb := &rewind{}
		r, err := http.NewRequest("POST", "http://127.0.0.1/v1/endpoints/synth/predict", rb)
		if err != nil {
			panic(err)
		}
		r.ContentLength = int64(len(body))
		w := &nopWriter{h: http.Header{}}
		return func() {
			rb.Reset(string(body))
			clear(w.h)
			w.code = 0
			h.ServeHTTP(w, r)
			if w.code != 0 && w.code != http.StatusOK {
				panic(fmt.Sprintf("status %d", w.code))
			}
		}
	}
	// Short chunks of each, taken in turn, and the fastest chunk of each:
	// other work on the machine slows some chunks, rarely all of them.
	fns := []func(){model, handler(s.Handler()), handler(bareHandler())}
	best := []float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	const chunk = 500
	for range max(*n/chunk, 1) {
		for k, f := range fns {
			start := time.Now()
			for range chunk {
				f()
			}
			best[k] = min(best[k], float64(time.Since(start).Nanoseconds())/chunk)
		}
	}
	res := map[string]float64{"model_ns": best[0], "mlw_handler_ns": best[1], "bare_handler_ns": best[2]}
	return json.NewEncoder(os.Stdout).Encode(res)
}
