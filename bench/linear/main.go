// Command linear compares mlw's logistic regression with scikit-learn's on
// synthetic classification data: it runs bench/linear/sklearn_bench.py, then
// times mlw's standard scaling plus linear.Logistic fit on the same rows and
// prints both with the ratio.
//
// Usage (from the module root; bench/linear/run.sh does all of it):
//
//	/usr/bin/python3 /work/shared/bench/gen_synth.py 200000 /tmp/synth
//	go run ./bench/linear -data /tmp/synth/synth_clf_200000.csv
//
// The first 80% of rows train and the last 20% test, as in the Python
// script. Reading the CSV is not timed. The two sides take turns, one fit
// each per round for -repeats rounds, so that the load of a shared machine
// weighs on both alike; the table shows the median wall-clock and CPU
// seconds of the scaling plus the fit.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mlw.dev/model"
	"mlw.dev/model/linear"
)

// result is one side's measurements, as sklearn_bench.py prints them.
type result struct {
	Name          string    `json:"name"`
	Version       string    `json:"version"`
	FitS          float64   `json:"fit_s"`
	FitAllS       []float64 `json:"fit_all_s"`
	FitCPUS       float64   `json:"fit_cpu_s"`
	FitAllCPUS    []float64 `json:"fit_all_cpu_s"`
	NIter         int       `json:"n_iter"`
	Accuracy      float64   `json:"accuracy"`
	PredictBatchS float64   `json:"predict_batch_s"`
	PredictRowUS  float64   `json:"predict_row_us"`
}

func main() {
	data := flag.String("data", "/tmp/synth/synth_clf_200000.csv", "CSV written by gen_synth.py")
	repeats := flag.Int("repeats", 5, "rounds of one fit per side; the medians are reported")
	python := flag.String("python", "/usr/bin/python3", "Python interpreter with scikit-learn")
	script := flag.String("script", "bench/linear/sklearn_bench.py", "the scikit-learn side")
	skip := flag.Bool("skip-sklearn", false, "time mlw only")
	flag.Parse()
	if err := run(*data, *repeats, *python, *script, *skip); err != nil {
		fmt.Fprintln(os.Stderr, "bench/linear:", err)
		os.Exit(1)
	}
}

func run(path string, repeats int, python, script string, skip bool) error {
	x, y, err := readCSV(path)
	if err != nil {
		return err
	}
	nTrain := len(y) * 8 / 10
	cols := x.Cols
	train := &model.Problem{
		Task: model.BinaryClassification, Classes: 2, Features: make([]model.Feature, cols),
		X: model.Matrix{Rows: nTrain, Cols: cols, Data: x.Data[:nTrain*cols]}, Y: y[:nTrain],
	}
	test := model.Matrix{Rows: len(y) - nTrain, Cols: cols, Data: x.Data[nTrain*cols:]}

	var sk result
	ours := result{Name: "mlw", Version: "mlw linear.Logistic (" + runtime.Version() + ")"}
	var m linear.Logistic
	var sc scaler
	for range repeats {
		if !skip {
			r, err := runSklearn(python, script, path)
			if err != nil {
				return err
			}
			sk.FitAllS = append(sk.FitAllS, r.FitS)
			sk.FitAllCPUS = append(sk.FitAllCPUS, r.FitCPUS)
			r.FitAllS, r.FitAllCPUS = sk.FitAllS, sk.FitAllCPUS
			sk = r
		}
		runtime.GC()
		cpu0 := cpuTime()
		start := time.Now()
		sc = fitScaler(train.X)
		p := *train
		p.X = sc.transform(train.X)
		m = linear.Logistic{}
		if err := m.Fit(context.Background(), &p); err != nil {
			return err
		}
		ours.FitAllS = append(ours.FitAllS, time.Since(start).Seconds())
		ours.FitAllCPUS = append(ours.FitAllCPUS, (cpuTime() - cpu0).Seconds())
	}
	if !skip {
		sk.FitS, sk.FitCPUS = median(sk.FitAllS), median(sk.FitAllCPUS)
	}
	ours.FitCPUS = median(ours.FitAllCPUS)
	ours.FitS = median(ours.FitAllS)
	ours.NIter = m.NIter()
	xt := sc.transform(test)
	start := time.Now()
	proba := m.PredictTo(nil, xt)
	ours.PredictBatchS = time.Since(start).Seconds()
	correct := 0
	for i := range xt.Rows {
		if (proba[2*i+1] > proba[2*i]) == (y[nTrain+i] == 1) {
			correct++
		}
	}
	ours.Accuracy = float64(correct) / float64(xt.Rows)
	row := model.Matrix{Rows: 1, Cols: cols, Data: xt.Row(0)}
	dst := make([]float64, 2)
	const rowRuns = 100000
	start = time.Now()
	for range rowRuns {
		m.PredictTo(dst, row)
	}
	ours.PredictRowUS = time.Since(start).Seconds() / rowRuns * 1e6

	fmt.Printf("logistic regression, %d training rows × %d features, %d test rows, GOMAXPROCS=%d\n\n", nTrain, cols, xt.Rows, runtime.GOMAXPROCS(0))
	fmt.Printf("%-34s %12s %12s %6s %9s %16s %15s\n", "", "scale+fit s", "fit CPU s", "iters", "accuracy", "predict batch s", "predict row µs")
	for _, r := range []result{sk, ours} {
		if r.Name == "" {
			continue
		}
		fmt.Printf("%-34s %12.3f %12.3f %6d %9.4f %16.4f %15.2f\n", r.Version, r.FitS, r.FitCPUS, r.NIter, r.Accuracy, r.PredictBatchS, r.PredictRowUS)
	}
	if !skip {
		fmt.Printf("\nfit time ratio mlw/sklearn: %.2f wall-clock, %.2f CPU (below 1 is faster)\n", ours.FitS/sk.FitS, ours.FitCPUS/sk.FitCPUS)
		fmt.Printf("accuracy difference mlw-sklearn: %+.2f points\n", 100*(ours.Accuracy-sk.Accuracy))
		fmt.Printf("per-row predict ratio mlw/sklearn: %.4f\n", ours.PredictRowUS/sk.PredictRowUS)
		fmt.Printf("fit wall-clock s by round: sklearn %v, mlw %v\n", fmtTimes(sk.FitAllS), fmtTimes(ours.FitAllS))
		fmt.Printf("fit CPU s by round:        sklearn %v, mlw %v\n", fmtTimes(sk.FitAllCPUS), fmtTimes(ours.FitAllCPUS))
	}
	return nil
}

// runSklearn runs one fit of the scikit-learn side and returns its result.
func runSklearn(python, script, path string) (result, error) {
	cmd := exec.Command(python, script, path, "1")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("run %s: %w", script, err)
	}
	var r result
	if err := json.Unmarshal(lastLine(out), &r); err != nil {
		return result{}, fmt.Errorf("parse %s output: %w", script, err)
	}
	return r, nil
}

// cpuTime returns the user plus system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtTimes(v []float64) string {
	parts := make([]string, len(v))
	for i, t := range v {
		parts[i] = strconv.FormatFloat(t, 'f', 3, 64)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// readCSV reads a header line and rows of numbers, the last column the
// target.
func readCSV(path string) (model.Matrix, []float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return model.Matrix{}, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var x []float64
	var y []float64
	cols := -1
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			cols = strings.Count(sc.Text(), ",")
			continue
		}
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
				x = append(x, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return model.Matrix{}, nil, err
	}
	return model.Matrix{Rows: len(y), Cols: cols, Data: x}, y, nil
}

// scaler standardises columns as scikit-learn's StandardScaler and mlw's
// feature pipeline do: mean and population standard deviation of the rows it
// was fitted on.
type scaler struct{ mean, scale []float64 }

func fitScaler(x model.Matrix) scaler {
	s := scaler{mean: make([]float64, x.Cols), scale: make([]float64, x.Cols)}
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			s.mean[j] += v
		}
	}
	for j := range s.mean {
		s.mean[j] /= float64(x.Rows)
	}
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			d := v - s.mean[j]
			s.scale[j] += d * d
		}
	}
	for j := range s.scale {
		s.scale[j] = math.Sqrt(s.scale[j] / float64(x.Rows))
		if s.scale[j] == 0 {
			s.scale[j] = 1
		}
	}
	return s
}

func (s scaler) transform(x model.Matrix) model.Matrix {
	out := model.NewMatrix(x.Rows, x.Cols)
	for i := range x.Rows {
		dst, src := out.Row(i), x.Row(i)
		for j, v := range src {
			dst[j] = (v - s.mean[j]) / s.scale[j]
		}
	}
	return out
}
