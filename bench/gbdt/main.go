// Command gbdt-bench times model/gbdt on a synthetic classification CSV
// (written by /work/shared/bench/gen_synth.py) and prints one JSON line: fit
// seconds (median of -repeats fits), held-out accuracy, batch and one-row
// prediction times and the process's peak RSS. The first 80% of rows train,
// the last 20% test, as in sklearn_bench.py. run.sh runs it next to
// scikit-learn and XGBoost.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mlw.dev/model"
	"mlw.dev/model/gbdt"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gbdt-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	path := flag.String("csv", "", "CSV with a header, feature columns and a last column target")
	repeats := flag.Int("repeats", 3, "fits to time; the median is reported")
	iters := flag.Int("max-iter", 100, "boosting iterations")
	lr := flag.Float64("learning-rate", 0.1, "learning rate")
	jobs := flag.Int("n-jobs", 0, "goroutines of the fit; 0 for GOMAXPROCS")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the fits to this file")
	flag.Parse()
	if *path == "" {
		return fmt.Errorf("-csv is required")
	}
	x, y, err := load(*path)
	if err != nil {
		return err
	}
	nTrain := x.Rows * 8 / 10
	train := &model.Problem{
		Task: model.BinaryClassification, Classes: 2,
		Features: make([]model.Feature, x.Cols),
		X:        model.Matrix{Rows: nTrain, Cols: x.Cols, Data: x.Data[:nTrain*x.Cols]},
		Y:        y[:nTrain],
	}
	for i := range train.Features {
		train.Features[i].Name = "f" + strconv.Itoa(i)
	}
	test := model.Matrix{Rows: x.Rows - nTrain, Cols: x.Cols, Data: x.Data[nTrain*x.Cols:]}
	runtime.GC()
	debug.FreeOSMemory()

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	var m gbdt.Model
	var times, cpus []float64
	for range *repeats {
		cpu0 := cpuSeconds()
		m = gbdt.Model{}
		m.MaxIter, m.MaxLeafNodes, m.MaxBins, m.LearningRate = *iters, 31, 255, *lr
		m.EarlyStopping, m.NJobs = gbdt.EarlyStoppingOff, *jobs
		start := time.Now()
		if err := m.Fit(context.Background(), train); err != nil {
			return err
		}
		times = append(times, time.Since(start).Seconds())
		cpus = append(cpus, cpuSeconds()-cpu0)
	}
	pprof.StopCPUProfile()
	start := time.Now()
	pred := m.PredictTo(nil, test)
	batch := time.Since(start).Seconds()
	correct := 0
	for i := range test.Rows {
		if (pred[2*i+1] > 0.5) == (y[nTrain+i] == 1) {
			correct++
		}
	}
	dst := make([]float64, 2)
	const rowRuns = 20000
	start = time.Now()
	for i := range rowRuns {
		r := i % test.Rows
		m.PredictTo(dst, model.Matrix{Rows: 1, Cols: test.Cols, Data: test.Row(r)})
	}
	rowUS := time.Since(start).Seconds() / rowRuns * 1e6
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return err
	}
	sorted := slices.Sorted(slices.Values(times))
	out, err := json.Marshal(map[string]any{
		"name": "gbdt", "version": "mlw model/gbdt, " + runtime.Version(),
		"fit_s": sorted[len(sorted)/2], "fit_all_s": times, "fit_cpu_s": cpus,
		"accuracy":        float64(correct) / float64(test.Rows),
		"predict_batch_s": batch, "predict_batch_rows": test.Rows,
		"predict_row_us": rowUS, "peak_rss_mb": float64(ru.Maxrss) / 1024,
		"gomaxprocs": runtime.GOMAXPROCS(0),
	})
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

// cpuSeconds returns the user and system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// load reads a numeric CSV with a header; the last column is the target.
func load(path string) (model.Matrix, []float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return model.Matrix{}, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return model.Matrix{}, nil, fmt.Errorf("%s: no header", path)
	}
	cols := len(strings.Split(sc.Text(), ",")) - 1
	var data, y []float64
	line := 1
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != cols+1 {
			return model.Matrix{}, nil, fmt.Errorf("%s line %d: %d fields, want %d", path, line, len(fields), cols+1)
		}
		for i, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return model.Matrix{}, nil, fmt.Errorf("%s line %d: %w", path, line, err)
			}
			if i == cols {
				y = append(y, v)
			} else {
				data = append(data, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return model.Matrix{}, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return model.Matrix{Rows: len(y), Cols: cols, Data: data}, y, nil
}
