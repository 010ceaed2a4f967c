package tune_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/tune"
	"mlw.dev/model"
	"mlw.dev/model/forest"
	"mlw.dev/model/gbdt"
	"mlw.dev/model/linear"
	"mlw.dev/model/mlp"
	"mlw.dev/model/tree"
)

func TestNewSpace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		params  []tune.Param
		wantErr string // "" for a valid space
	}{
		{"empty", nil, ""},
		{"all types", []tune.Param{
			tune.IntParam("i", 1, 10), tune.LogIntParam("li", 1, 1000), tune.FloatParam("f", -1, 1),
			tune.LogFloatParam("lf", 1e-8, 1), tune.CategoricalParam("c", "a", "b"), tune.FixedParam("x", "7"),
			{Name: "stepped", Type: tune.Int, Low: 0, High: 100, Step: 25},
		}, ""},
		{"no name", []tune.Param{tune.IntParam("", 1, 2)}, "parameter without a name"},
		{"duplicate", []tune.Param{tune.IntParam("a", 1, 2), tune.FloatParam("a", 1, 2)}, "a is defined twice"},
		{"unknown type", []tune.Param{{Name: "a", Type: "bool"}}, `unknown type "bool"`},
		{"low above high", []tune.Param{tune.FloatParam("a", 2, 1)}, "low 2 is above high 1"},
		{"log of zero", []tune.Param{tune.LogFloatParam("a", 0, 1)}, "needs low > 0"},
		{"infinite", []tune.Param{{Name: "a", Type: tune.Float, High: math.Inf(1)}}, "must be finite"},
		{"fractional int", []tune.Param{{Name: "a", Type: tune.Int, Low: 0.5, High: 3}}, "must be integers"},
		{"step mismatch", []tune.Param{{Name: "a", Type: tune.Int, Low: 0, High: 10, Step: 3}}, "not low 0 plus a multiple of step 3"},
		{"float step", []tune.Param{{Name: "a", Type: tune.Float, Low: 0, High: 1, Step: 1}}, "step applies to int parameters only"},
		{"log int step", []tune.Param{{Name: "a", Type: tune.Int, Low: 1, High: 9, Step: 2, Log: true}}, "takes step 1 only"},
		{"no choices", []tune.Param{tune.CategoricalParam("a")}, "needs at least one choice"},
		{"duplicate choice", []tune.Param{tune.CategoricalParam("a", "x", "x")}, `choice "x" appears twice`},
		{"categorical bounds", []tune.Param{{Name: "a", Type: tune.Categorical, Choices: []string{"x"}, High: 3}}, "takes no low, high"},
		{"unknown parent", []tune.Param{tune.FloatParam("a", 0, 1).If("b", "x")}, "a depends on unknown parameter b"},
		{"numeric parent", []tune.Param{tune.FloatParam("b", 0, 1), tune.FloatParam("a", 0, 1).If("b", "1")}, "b, which is not categorical"},
		{"bad condition value", []tune.Param{tune.CategoricalParam("b", "x", "y"), tune.FloatParam("a", 0, 1).If("b", "z")}, `condition value "z" is not a choice of b (x, y)`},
		{"no condition values", []tune.Param{tune.CategoricalParam("b", "x"), tune.FloatParam("a", 0, 1).If("b")}, "lists no values"},
		{"cycle", []tune.Param{tune.CategoricalParam("a", "x").If("b", "y"), tune.CategoricalParam("b", "y").If("a", "x")}, "cycle among a, b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := tune.NewSpace(tt.params...)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.Len(t, s.Params, len(tt.params))
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
		})
	}
}

func TestNewSpaceOrdersParentsFirst(t *testing.T) {
	t.Parallel()
	params := []tune.Param{
		tune.FloatParam("l1_ratio", 0, 1).If("penalty", "elasticnet"),
		tune.LogFloatParam("C", 1e-4, 100),
		tune.CategoricalParam("penalty", "l2", "elasticnet").If("solver", "saga"),
		tune.CategoricalParam("solver", "lbfgs", "saga"),
	}
	s, err := tune.NewSpace(params...)
	require.NoError(t, err)
	require.Equal(t, []string{"C", "solver", "penalty", "l1_ratio"}, s.Names())
	params[1].Low = 5 // the space holds copies
	require.Equal(t, 1e-4, s.Param("C").Low)
	require.Nil(t, s.Param("nope"))
}

func TestSpaceCheck(t *testing.T) {
	t.Parallel()
	s := svmSpace()
	tests := []struct {
		name    string
		params  tune.Params
		wantErr string
	}{
		{"rbf", tune.Params{"kernel": "rbf", "C": "1", "gamma": "0.01"}, ""},
		{"poly", tune.Params{"kernel": "poly", "C": "1000", "degree": "5"}, ""},
		{"linear", tune.Params{"kernel": "linear", "C": "0.001"}, ""},
		{"missing", tune.Params{"kernel": "rbf", "C": "1"}, "parameter gamma is not set"},
		{"inactive", tune.Params{"kernel": "linear", "C": "1", "gamma": "0.1"}, "gamma is set but inactive (it applies when kernel is rbf)"},
		{"out of range", tune.Params{"kernel": "linear", "C": "5000"}, `C: "5000" is outside the search space (float [0.001, 1000] log)`},
		{"not a number", tune.Params{"kernel": "linear", "C": "big"}, `C: "big" is outside`},
		{"fractional int", tune.Params{"kernel": "poly", "C": "1", "degree": "2.5"}, `degree: "2.5" is outside`},
		{"unknown choice", tune.Params{"kernel": "sigmoid", "C": "1"}, `kernel: "sigmoid" is outside the search space (linear|rbf|poly)`},
		{"unknown param", tune.Params{"kernel": "linear", "C": "1", "tol": "1"}, "tol is not in the search space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := s.Check(tt.params)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestSpaceString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "kernel linear|rbf|poly\nC float [0.001, 1000] log\ngamma float [0.0001, 10] log if kernel in rbf\ndegree int [2, 5] if kernel in poly\n",
		svmSpace().String())
}

func TestParamsHelpers(t *testing.T) {
	t.Parallel()
	p := tune.Params{"a": "1.5", "n": "7", "s": "x"}
	f, err := p.Float("a")
	require.NoError(t, err)
	require.Equal(t, 1.5, f)
	n, err := p.Int("n")
	require.NoError(t, err)
	require.Equal(t, 7, n)
	_, err = p.Int("a")
	require.ErrorContains(t, err, `parameter a: "1.5" is not an integer`)
	_, err = p.Float("s")
	require.ErrorContains(t, err, `parameter s: "x" is not a number`)
	_, err = p.Float("zz")
	require.ErrorContains(t, err, "parameter zz is not set")
	c := p.Clone()
	c["a"] = "2"
	require.Equal(t, "1.5", p["a"])
	require.Equal(t, tune.Params{"n": "7", "s": "x", "a": "1.5"}.Key(), p.Key())
	require.NotEqual(t, c.Key(), p.Key())
	require.Nil(t, tune.Params(nil).Clone())
}

func TestParamsApply(t *testing.T) {
	t.Parallel()
	var m gbdt.Model
	require.NoError(t, tune.Params{"learning_rate": "0.05", "max_leaf_nodes": "15"}.Apply(&m))
	require.Equal(t, "0.05", m.Params()["learning_rate"])
	require.Equal(t, "15", m.Params()["max_leaf_nodes"])
	err := tune.Params{"learning_rate": "fast"}.Apply(&m)
	require.ErrorContains(t, err, "set learning_rate=fast")
	err = tune.Params{"no_such_param": "1"}.Apply(&m)
	require.ErrorContains(t, err, "no_such_param")
}

// TestDefaultSpaces samples every default space and sets the params on the
// estimator, so that the names and values are ones the estimators take.
func TestDefaultSpaces(t *testing.T) {
	t.Parallel()
	estimators := map[string]func() model.Estimator{
		"logistic":   func() model.Estimator { return &linear.Logistic{} },
		"linear":     func() model.Estimator { return &linear.Linear{} },
		"lasso":      func() model.Estimator { return &linear.Lasso{} },
		"elasticnet": func() model.Estimator { return &linear.ElasticNet{} },
		"tree":       func() model.Estimator { return &tree.Model{} },
		"forest":     func() model.Estimator { return &forest.Model{} },
		"extratrees": func() model.Estimator { return &forest.Model{Variant: forest.ExtraTrees} },
		"gbdt":       func() model.Estimator { return &gbdt.Model{} },
		"mlp":        func() model.Estimator { return &mlp.Model{} },
	}
	require.Len(t, estimators, len(tune.DefaultKinds()))
	for _, kind := range tune.DefaultKinds() {
		for _, task := range []model.Task{model.BinaryClassification, model.MulticlassClassification, model.Regression} {
			t.Run(kind+"/"+task.String(), func(t *testing.T) {
				t.Parallel()
				s, err := tune.DefaultSpace(kind, task)
				if kind == "logistic" && task == model.Regression {
					require.ErrorContains(t, err, "logistic regression needs a classification task")
					return
				}
				require.NoError(t, err)
				require.NotEmpty(t, s.Params)
				newEst := estimators[kind]
				require.NotNil(t, newEst, kind)
				require.Equal(t, kind, newEst().Kind())
				var history []tune.TrialRecord
				samplers := []tune.Sampler{tune.RandomSampler{Seed: 1}, tune.GridSampler{Points: 2}}
				for _, sm := range samplers {
					for i := range 20 {
						p, err := sm.Sample(s, tune.Maximize, history, i)
						if err != nil {
							require.ErrorIs(t, err, tune.ErrExhausted)
							break
						}
						require.NoError(t, s.Check(p))
						require.NoError(t, p.Apply(newEst()), "params %v", p)
						history = append(history, tune.TrialRecord{Number: i, State: tune.StateComplete, Params: p})
					}
					history = nil
				}
			})
		}
	}
	_, err := tune.DefaultSpace("knn", model.Regression)
	require.Equal(t, mlw.ENOTFOUND, mlw.ErrorCode(err))
	require.ErrorContains(t, err, `no default search space for model "knn"`)
}

func TestDefaultGBDTSpace(t *testing.T) {
	t.Parallel()
	s, err := tune.DefaultSpace("gbdt", model.BinaryClassification)
	require.NoError(t, err)
	require.Equal(t, "learning_rate float [0.01, 0.3] log\n"+
		"max_leaf_nodes int [8, 255] log\n"+
		"min_samples_leaf int [5, 200] log\n"+
		"l2_regularization float [1e-08, 10] log\n"+
		"subsample float [0.5, 1]\n"+
		"colsample float [0.5, 1]\n"+
		"max_iter = 200\n", s.String())
}

func TestSpaceJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(svmSpace())
	require.NoError(t, err)
	var s tune.Space
	require.NoError(t, json.Unmarshal(b, &s))
	require.Equal(t, svmSpace().String(), s.String())
	require.NotNil(t, s.Param("gamma"), "the decoded space is indexed")
	require.Equal(t, `{"params":[{"name":"kernel","type":"categorical","choices":["linear","rbf","poly"]},`+
		`{"name":"C","type":"float","low":0.001,"high":1000,"log":true},`+
		`{"name":"gamma","type":"float","low":0.0001,"high":10,"log":true,"when":{"param":"kernel","values":["rbf"]}},`+
		`{"name":"degree","type":"int","low":2,"high":5,"when":{"param":"kernel","values":["poly"]}}]}`, string(b))
	err = json.Unmarshal([]byte(`{"params":[{"name":"a","type":"float","low":2,"high":1}]}`), &s)
	require.ErrorContains(t, err, "low 2 is above high 1")
	require.Error(t, json.Unmarshal([]byte(`{"params":3}`), &s))
}
