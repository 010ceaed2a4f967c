package tune_test

import (
	"math"

	"mlw.dev/internal/tune"
)

// synthetic is a benchmark function to minimise over a search space.
type synthetic struct {
	name  string
	space *tune.Space
	f     func(p tune.Params) float64
	min   float64 // the known global minimum
}

// num reads a numeric parameter set by a sampler of the function's space.
func num(p tune.Params, name string) float64 {
	v, err := p.Float(name)
	if err != nil {
		panic(err)
	}
	return v
}

// syntheticSet returns the benchmark functions: Branin (2-D), Hartmann-3,
// a quadratic in two log-scaled parameters and a linear one (as a learning
// rate and a penalty are), and a mixed categorical/conditional/int function
// shaped like an SVM's kernel choice. Formulas and minima from Surjanovic &
// Bingham, "Virtual Library of Simulation Experiments" (sfu.ca/~ssurjano).
func syntheticSet() []synthetic {
	hA := [4][3]float64{{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}}
	hP := [4][3]float64{{0.3689, 0.1170, 0.2673}, {0.4699, 0.4387, 0.7470}, {0.1091, 0.8732, 0.5547}, {0.0381, 0.5743, 0.8828}}
	hAlpha := [4]float64{1, 1.2, 3, 3.2}
	return []synthetic{
		{
			name:  "branin",
			space: tune.MustSpace(tune.FloatParam("x1", -5, 10), tune.FloatParam("x2", 0, 15)),
			f: func(p tune.Params) float64 {
				x1, x2 := num(p, "x1"), num(p, "x2")
				b, c, t := 5.1/(4*math.Pi*math.Pi), 5/math.Pi, 1/(8*math.Pi)
				return math.Pow(x2-b*x1*x1+c*x1-6, 2) + 10*(1-t)*math.Cos(x1) + 10
			},
			min: 0.397887,
		},
		{
			name:  "hartmann3",
			space: tune.MustSpace(tune.FloatParam("x1", 0, 1), tune.FloatParam("x2", 0, 1), tune.FloatParam("x3", 0, 1)),
			f: func(p tune.Params) float64 {
				x := [3]float64{num(p, "x1"), num(p, "x2"), num(p, "x3")}
				s := 0.0
				for i := range 4 {
					e := 0.0
					for j := range 3 {
						e += hA[i][j] * (x[j] - hP[i][j]) * (x[j] - hP[i][j])
					}
					s += hAlpha[i] * math.Exp(-e)
				}
				return -s
			},
			min: -3.86278,
		},
		{
			name: "logquad",
			space: tune.MustSpace(tune.LogFloatParam("lr", 1e-5, 1), tune.LogFloatParam("reg", 1e-8, 10),
				tune.FloatParam("x", 0, 1)),
			f: func(p tune.Params) float64 {
				a, b, x := math.Log10(num(p, "lr"))+2.5, math.Log10(num(p, "reg"))+4, num(p, "x")-0.3
				return a*a + 0.25*b*b + 4*x*x
			},
			min: 0,
		},
		{
			// A kernel choice with conditional parameters, shaped like an
			// SVM's: the rbf branch holds the optimum and is also the best
			// on average, as is usual in practice.
			name:  "mixed",
			space: svmSpace(),
			f: func(p tune.Params) float64 {
				c := math.Log10(num(p, "C"))
				switch p["kernel"] {
				case "linear":
					return 0.8 + 0.2*(c-1)*(c-1)
				case "rbf":
					g := math.Log10(num(p, "gamma")) + 2
					return 0.1*(c-1.5)*(c-1.5) + 0.2*g*g
				}
				d := num(p, "degree") - 3
				return 0.4 + 0.2*c*c + 0.3*d*d
			},
			min: 0,
		},
		{
			// The same space with a trap: the optimum sits in a narrow
			// basin of the rbf branch, whose average is worse than poly's,
			// so a sampler that exploits early locks onto poly's 0.5.
			name:  "mixed-trap",
			space: svmSpace(),
			f: func(p tune.Params) float64 {
				c := math.Log10(num(p, "C"))
				switch p["kernel"] {
				case "linear":
					return 1 + 0.3*(c-1)*(c-1)
				case "rbf":
					g := math.Log10(num(p, "gamma")) + 2
					return 0.2*(c-2)*(c-2) + 0.5*g*g
				}
				d := num(p, "degree") - 3
				return 0.5 + 0.3*c*c + 0.2*d*d
			},
			min: 0,
		},
	}
}

// svmSpace is the space of the mixed functions: a kernel, C, and gamma or
// degree depending on the kernel.
func svmSpace() *tune.Space {
	return tune.MustSpace(
		tune.CategoricalParam("kernel", "linear", "rbf", "poly"),
		tune.LogFloatParam("C", 1e-3, 1e3),
		tune.LogFloatParam("gamma", 1e-4, 10).If("kernel", "rbf"),
		tune.IntParam("degree", 2, 5).If("kernel", "poly"),
	)
}
