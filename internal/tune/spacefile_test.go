package tune_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
	"mlw.dev/internal/tune"
	"mlw.dev/model"
)

const exampleSpaceFile = `# overrides for mlw tune --space
gbdt:
  params:
    learning_rate: {type: float, low: 0.02, high: 0.2, log: true}
    max_iter: 500
    loss: [squared_error, absolute_error]
    colsample: null
    max_depth:
      type: int
      low: 2
      high: 12
      step: 2
logistic:
  extends: default
  params:
    penalty: [l1, l2, elasticnet]
    l1_ratio: {type: float, low: 0.05, high: 0.95, when: {penalty: elasticnet}}
    class_weight: {choices: [none, balanced]}
knn:
  extends: none
  params:
    n_neighbors: {type: int, low: 1, high: 50, log: true}
    weights: &w [uniform, distance]
    metric: *w
`

func TestParseSpaceFile(t *testing.T) {
	t.Parallel()
	f, err := tune.ParseSpaceFile("space.yaml", []byte(exampleSpaceFile))
	require.NoError(t, err)
	require.Len(t, f.Models, 3)

	gb, err := f.Space("gbdt", model.Regression)
	require.NoError(t, err)
	require.Equal(t, "learning_rate float [0.02, 0.2] log\n"+
		"max_leaf_nodes int [8, 255] log\n"+
		"min_samples_leaf int [5, 200] log\n"+
		"l2_regularization float [1e-08, 10] log\n"+
		"subsample float [0.5, 1]\n"+
		"max_iter = 500\n"+
		"loss squared_error|absolute_error\n"+
		"max_depth int [2, 12]\n", gb.String(), "overrides replace in place, new parameters come last, null removes")
	require.Equal(t, 2, gb.Param("max_depth").Step)

	lr, err := f.Space("logistic", model.BinaryClassification)
	require.NoError(t, err)
	require.Equal(t, "C float [0.0001, 100] log\n"+
		"penalty l1|l2|elasticnet\n"+
		"l1_ratio float [0.05, 0.95] if penalty in elasticnet\n"+
		"class_weight none|balanced\n", lr.String())

	knn, err := f.Space("knn", model.BinaryClassification)
	require.NoError(t, err)
	require.Equal(t, "n_neighbors int [1, 50] log\nweights uniform|distance\nmetric uniform|distance\n", knn.String())

	// Kinds the file does not mention keep their default space; so does a nil file.
	tr, err := f.Space("tree", model.Regression)
	require.NoError(t, err)
	def, err := tune.DefaultSpace("tree", model.Regression)
	require.NoError(t, err)
	require.Equal(t, def.String(), tr.String())
	var none *tune.SpaceFile
	tr, err = none.Space("tree", model.Regression)
	require.NoError(t, err)
	require.Equal(t, def.String(), tr.String())
}

func TestParseSpaceFileKeepsValuesAsWritten(t *testing.T) {
	t.Parallel()
	f, err := tune.ParseSpaceFile("s.yaml", []byte("forest:\n  params:\n    max_features: [sqrt, 0.5, 1.0, 8]\n    bootstrap: true\n"))
	require.NoError(t, err)
	s, err := f.Space("forest", model.BinaryClassification)
	require.NoError(t, err)
	require.Equal(t, []string{"sqrt", "0.5", "1.0", "8"}, s.Param("max_features").Choices)
	require.Equal(t, []string{"true"}, s.Param("bootstrap").Choices)
}

func TestParseSpaceFileEmpty(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"", "# nothing\n", "---\n"} {
		f, err := tune.ParseSpaceFile("s.yaml", []byte(src))
		require.NoError(t, err, "%q", src)
		require.Empty(t, f.Models)
	}
}

func TestParseSpaceFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, wantErr string
	}{
		{"syntax", "gbdt:\n  params: {a: [1, 2}\n", "space.yaml:2:"},
		{"not a mapping", "- gbdt\n", "space.yaml:1:1: file: want a mapping, got a list"},
		{"model not a mapping", "gbdt: 3\n", `space.yaml:1:7: gbdt: want a mapping, got "3"`},
		{"unknown model field", "gbdt:\n  parms: {}\n", "space.yaml:2:3: gbdt.parms: unknown field (want extends or params)"},
		{"bad extends", "gbdt:\n  extends: all\n", `space.yaml:2:12: gbdt.extends: want default or none, got "all"`},
		{"params not a mapping", "gbdt:\n  params: [a]\n", "space.yaml:2:11: gbdt.params: want a mapping, got a list"},
		{"missing type", "gbdt:\n  params:\n    lr: {low: 1, high: 2}\n", "space.yaml:3:9: gbdt.params.lr: type is missing (int, float or categorical)"},
		{"bad type", "gbdt:\n  params:\n    lr: {type: double, low: 1, high: 2}\n", `space.yaml:3:16: gbdt.params.lr.type: want int, float or categorical, got "double"`},
		{"bad number", "gbdt:\n  params:\n    lr:\n      type: float\n      low: fast\n      high: 2\n", `space.yaml:5:12: gbdt.params.lr.low: want a number, got "fast"`},
		{"infinite bound", "gbdt:\n  params:\n    lr: {type: float, low: 0, high: .inf}\n", "gbdt.params.lr.high: want"},
		{"missing high", "gbdt:\n  params:\n    lr: {type: float, low: 0.1}\n", "space.yaml:3:9: gbdt.params.lr: a float parameter needs both low and high"},
		{"no bounds", "gbdt:\n  params:\n    lr: {type: float}\n", "gbdt.params.lr: a float parameter needs low and high"},
		{"low above high", "gbdt:\n  params:\n    lr: {type: float, low: 3, high: 2}\n", "space.yaml:3:9: gbdt.params.lr: low 3 is above high 2"},
		{"log of zero", "gbdt:\n  params:\n    lr: {type: float, low: 0, high: 1, log: true}\n", "gbdt.params.lr: a log-scaled parameter needs low > 0, got 0"},
		{"log not bool", "gbdt:\n  params:\n    lr: {type: float, low: 1, high: 2, log: yes please}\n", `gbdt.params.lr.log: want true or false, got "yes please"`},
		{"bad step", "gbdt:\n  params:\n    d: {type: int, low: 1, high: 9, step: 0.5}\n", "gbdt.params.d.step: want an integer >= 1, got 0.5"},
		{"unknown param field", "gbdt:\n  params:\n    d: {type: int, low: 1, high: 9, default: 3}\n", "space.yaml:3:37: gbdt.params.d.default: unknown field"},
		{"duplicate param", "gbdt:\n  params:\n    d: 1\n    d: 2\n", "space.yaml:4:"},
		{"duplicate choice", "gbdt:\n  params:\n    loss: [a, a]\n", `gbdt.params.loss: choice "a" appears twice`},
		{"nested choice", "gbdt:\n  params:\n    loss: [a, [b]]\n", "space.yaml:3:15: gbdt.params.loss[1]: want a plain value, got a list"},
		{"when two parents", "lr:\n  extends: none\n  params:\n    a: [x]\n    b: [y]\n    c: {type: int, low: 1, high: 2, when: {a: x, b: y}}\n", "lr.params.c.when: want one parent parameter"},
		{"merge key", "gbdt:\n  <<: {params: {}}\n", "merge keys (<<) are not supported"},
		{"null removes, none", "gbdt:\n  extends: none\n  params:\n    lr: null\n", "gbdt: null removes a default parameter, but extends is none"},
		{"two documents", "gbdt: {}\n---\ntree: {}\n", "space.yaml: holds several YAML documents, want one"},
		{"duplicate model", "gbdt: {}\ngbdt: {}\n", "space.yaml:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tune.ParseSpaceFile("space.yaml", []byte(tt.src))
			require.ErrorContains(t, err, tt.wantErr)
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
		})
	}
}

func TestSpaceFileSpaceErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, kind, src, wantErr string
	}{
		{"unknown parent", "gbdt", "gbdt:\n  params:\n    a: {type: int, low: 1, high: 2, when: {loss: x}}\n", "space.yaml:1:1: gbdt: search space: a depends on unknown parameter loss"},
		{"drop unknown", "gbdt", "gbdt:\n  params:\n    nope: null\n", "space.yaml:1:1: gbdt.params.nope: null removes a default parameter, but the default space has no nope"},
		{"no default", "knn", "knn:\n  params:\n    k: [1, 3]\n", `space.yaml:1:1: knn: no default search space for model "knn"`},
		{"condition on numeric", "gbdt", "gbdt:\n  params:\n    a: {type: int, low: 1, high: 2, when: {learning_rate: 0.1}}\n", "a depends on learning_rate, which is not categorical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := tune.ParseSpaceFile("space.yaml", []byte(tt.src))
			require.NoError(t, err)
			_, err = f.Space(tt.kind, model.Regression)
			require.ErrorContains(t, err, tt.wantErr)
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
		})
	}
}

// FuzzParseSpace checks that no input crashes the parser, and that a file it
// accepts gives spaces whose every sampled point passes the space's own
// check.
func FuzzParseSpace(f *testing.F) {
	if testing.Short() {
		f.Skip("fuzzing is slow")
	}
	f.Add([]byte(exampleSpaceFile))
	f.Add([]byte("gbdt:\n  params:\n    learning_rate: {type: float, low: 0.01, high: 0.3, log: true}\n"))
	f.Add([]byte("lr:\n  extends: none\n  params:\n    p: [a, b]\n    q: {type: int, low: 1, high: 9, step: 2, when: {p: [a]}}\n"))
	f.Add([]byte("a: &x {extends: none, params: {k: *x}}\n"))
	f.Add([]byte("gbdt: {params: {x: !!str 5, y: 0x1F, z: -.inf}}\n"))
	f.Add([]byte("? gbdt\n: params:\n    a: |\n      text\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := tune.ParseSpaceFile("fuzz.yaml", data)
		if err != nil {
			require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
			return
		}
		for kind := range sf.Models {
			s, err := sf.Space(kind, model.BinaryClassification)
			if err != nil {
				require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err), "%v", err)
				continue
			}
			for i := range 3 {
				p, err := tune.RandomSampler{Seed: 1}.Sample(s, tune.Minimize, nil, i)
				require.NoError(t, err)
				require.NoError(t, s.Check(p))
			}
		}
	})
}
