package linear

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"mlw.dev/model"
	"mlw.dev/model/internal/param"
)

// checkX returns an error naming the first missing or infinite value of X.
// Linear models need the feature pipeline to impute missing values first.
func checkX(x model.Matrix, features []model.Feature) error {
	for i, v := range x.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			r, c := i/x.Cols, i%x.Cols
			name := strconv.Itoa(c)
			if c < len(features) && features[c].Name != "" {
				name = strconv.Quote(features[c].Name)
			}
			what := "missing (NaN)"
			if !math.IsNaN(v) {
				what = "infinite"
			}
			return fmt.Errorf("row %d, feature %s is %s: linear models need imputed, finite features", r, name, what)
		}
	}
	return nil
}

// checkWeights returns the sum of the weights (the number of rows when w is
// nil) or an error if a weight is negative or not finite or all are zero.
func checkWeights(w []float64, n int) (float64, error) {
	if w == nil {
		return float64(n), nil
	}
	s := 0.0
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 1) {
			return 0, fmt.Errorf("row %d: sample weight %g, want a finite value >= 0", i, v)
		}
		s += v
	}
	if !(s > 0) {
		return 0, fmt.Errorf("sample weights sum to %g, want > 0", s)
	}
	return s, nil
}

// checkY returns an error naming the first regression target that is not
// finite.
func checkY(y []float64) error {
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("row %d: target %g, want a finite value", i, v)
		}
	}
	return nil
}

func paramNames(specs []model.ParamSpec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

func unknownParam(kind, name string, specs []model.ParamSpec) error {
	return fmt.Errorf("unknown parameter %q for %s; known: %s", name, kind, paramNames(specs))
}

// parseTol parses a tolerance; 0 becomes the smallest positive float, because
// the zero Tol of a Config means the default.
func parseTol(s string) (float64, error) {
	v, err := param.Float(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("want a finite number >= 0")
	}
	if v == 0 {
		v = math.SmallestNonzeroFloat64
	}
	return v, nil
}

// importances returns |coef| summed over the rows of coef (rows × d),
// normalised to sum to 1; all zeros when every coefficient is zero.
func importances(coef []float64, d int) []float64 {
	imp := make([]float64, d)
	for i, c := range coef {
		imp[i%d] += math.Abs(c)
	}
	s := 0.0
	for _, v := range imp {
		s += v
	}
	if s > 0 {
		for i := range imp {
			imp[i] /= s
		}
	}
	return imp
}

// dot returns the dot product of a and b[:len(a)].
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds alpha*x to y[:len(x)].
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += alpha * x[i]
		y[i+1] += alpha * x[i+1]
		y[i+2] += alpha * x[i+2]
		y[i+3] += alpha * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}
