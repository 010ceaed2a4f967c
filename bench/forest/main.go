// Command forest is mlw's side of the tree and forest benchmark against
// scikit-learn (run.sh runs both): it loads a CSV written by
// shared/bench/gen_synth.py (header f0..fN,target), trains one model on the
// first 80% of the rows, predicts the last 20% (on -jobs goroutines, as
// scikit-learn does with n_jobs) and prints one JSON line:
// {"model", "fit_seconds", "fit_cpu_seconds", "predict_seconds", "accuracy",
// "peak_rss_mb"}.
//
// Usage: go run ./bench/forest -csv /tmp/synth/synth_clf_200000.csv -model forest -trees 100 -jobs 2
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"mlw.dev/model"
	"mlw.dev/model/forest"
	"mlw.dev/model/tree"
)

// result is one benchmark line.
type result struct {
	Model          string  `json:"model"`
	FitSeconds     float64 `json:"fit_seconds"`
	FitCPUSeconds  float64 `json:"fit_cpu_seconds"`
	PredictSeconds float64 `json:"predict_seconds"`
	Accuracy       float64 `json:"accuracy"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	Nodes          int     `json:"nodes"`
}

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "forest bench:", err)
		os.Exit(1)
	}
}

// run parses the flags, fits and scores one model and prints its result.
func run(out io.Writer, args []string) error {
	fs := flag.NewFlagSet("forest", flag.ContinueOnError)
	path := fs.String("csv", "/tmp/synth/synth_clf_200000.csv", "CSV file with a header and the label last")
	kind := fs.String("model", "forest", "tree, forest or extratrees")
	trees := fs.Int("trees", 100, "number of trees of a forest")
	jobs := fs.Int("jobs", 2, "trees fitted in parallel")
	if err := fs.Parse(args); err != nil {
		return err
	}
	train, test, err := load(*path)
	if err != nil {
		return err
	}
	var est model.Estimator
	switch *kind {
	case "tree":
		est = new(tree.Model)
	case "forest", "extratrees":
		f := new(forest.Model)
		if *kind == "extratrees" {
			f.Variant = forest.ExtraTrees
		}
		f.Config.NEstimators = *trees
		f.Config.NJobs = *jobs
		est = f
	default:
		return fmt.Errorf("unknown model %q", *kind)
	}
	cpu0 := cpuSeconds()
	t0 := time.Now()
	if err := est.Fit(context.Background(), train); err != nil {
		return err
	}
	t1 := time.Now()
	cpu1 := cpuSeconds()
	pred := predict(est, test.X, *jobs)
	t2 := time.Now()

	k := est.Outputs()
	correct := 0
	for i, y := range test.Y {
		best := 0
		for c := 1; c < k; c++ {
			if pred[i*k+c] > pred[i*k+best] {
				best = c
			}
		}
		if best == int(y) {
			correct++
		}
	}
	r := result{
		Model:          *kind,
		FitSeconds:     round(t1.Sub(t0).Seconds(), 3),
		FitCPUSeconds:  round(cpu1-cpu0, 3),
		PredictSeconds: round(t2.Sub(t1).Seconds(), 3),
		Accuracy:       round(float64(correct)/float64(len(test.Y)), 5),
		PeakRSSMB:      round(peakRSSMB(), 1),
	}
	switch m := est.(type) {
	case *tree.Model:
		r.Nodes = m.NodeCount()
	case *forest.Model:
		for i := range m.Trees() {
			r.Nodes += m.Trees()[i].NodeCount()
		}
	}
	return json.NewEncoder(out).Encode(r)
}

// predict predicts X with jobs goroutines, each calling PredictTo (safe for
// concurrent use) on a chunk of rows, as scikit-learn predicts with n_jobs
// threads.
func predict(est model.Estimator, X model.Matrix, jobs int) []float64 {
	k := est.Outputs()
	out := make([]float64, X.Rows*k)
	chunk := (X.Rows + max(jobs, 1) - 1) / max(jobs, 1)
	var wg sync.WaitGroup
	for lo := 0; lo < X.Rows; lo += chunk {
		hi := min(lo+chunk, X.Rows)
		wg.Go(func() {
			part := model.Matrix{Rows: hi - lo, Cols: X.Cols, Data: X.Data[lo*X.Cols : hi*X.Cols]}
			est.PredictTo(out[lo*k:hi*k], part)
		})
	}
	wg.Wait()
	return out
}

// load reads the CSV and splits it into the first 80% of the rows (training)
// and the rest (test).
func load(path string) (train, test *model.Problem, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return nil, nil, fmt.Errorf("%s: no header", path)
	}
	cols := strings.Count(sc.Text(), ",")
	var data, y []float64
	classes := 0
	for line := 2; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != cols+1 {
			return nil, nil, fmt.Errorf("%s line %d: %d fields, want %d", path, line, len(fields), cols+1)
		}
		for i, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s line %d: %w", path, line, err)
			}
			if i == cols {
				y = append(y, v)
				classes = max(classes, int(v)+1)
			} else {
				data = append(data, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	task := model.MulticlassClassification
	if classes == 2 {
		task = model.BinaryClassification
	}
	feats := make([]model.Feature, cols)
	for i := range feats {
		feats[i].Name = "f" + strconv.Itoa(i)
	}
	n := len(y) * 8 / 10
	problem := func(lo, hi int) *model.Problem {
		return &model.Problem{Task: task, Classes: classes, Features: feats,
			X: model.Matrix{Rows: hi - lo, Cols: cols, Data: data[lo*cols : hi*cols]}, Y: y[lo:hi]}
	}
	return problem(0, n), problem(n, len(y)), nil
}

// cpuSeconds returns the user and system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// peakRSSMB returns the process's peak resident set size in MiB (Linux
// ru_maxrss is in KiB), like the scikit-learn side.
func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// round rounds x to the given number of decimals.
func round(x float64, decimals int) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', decimals, 64), 64)
	return v
}
