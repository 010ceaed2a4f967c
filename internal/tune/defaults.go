package tune

import (
	"strings"

	"mlw.dev/internal/mlw"
	"mlw.dev/model"
)

// DefaultKinds lists the model kinds that have a default search space.
func DefaultKinds() []string {
	return []string{"logistic", "linear", "lasso", "elasticnet", "tree", "forest", "extratrees", "gbdt", "mlp"}
}

// DefaultParams returns the default search space's parameters of a model
// kind for a task, or an ENOTFOUND error for a kind without one. The ranges
// are those a practitioner starts from on tabular data of a few hundred to a
// few million rows:
//
//   - gbdt: learning_rate log [0.01, 0.3]; max_leaf_nodes log-int [8, 255];
//     min_samples_leaf log-int [5, 200]; l2_regularization log [1e-8, 10];
//     subsample and colsample [0.5, 1]; max_iter fixed at 200 (it trades off
//     against learning_rate, so tuning both wastes trials).
//   - logistic (classification only): C log [1e-4, 100]; penalty l1|l2.
//   - linear (ridge): alpha log [1e-6, 100]. lasso: alpha log [1e-5, 100]
//     (its scale follows the target's). elasticnet: lasso's alpha and
//     l1_ratio [0.05, 1].
//   - tree: max_depth int [2, 20]; min_samples_leaf log-int [1, 50];
//     classification adds ccp_alpha log [1e-6, 0.1] and criterion
//     gini|entropy (regression keeps squared_error, and ccp_alpha is left
//     out because its scale is the target's variance).
//   - forest, extratrees: n_estimators int [50, 500]; max_depth log-int
//     [4, 32]; max_features sqrt|log2|0.5|1.0; min_samples_leaf log-int [1, 20].
//   - mlp: hidden_layer_sizes 64|128|256|64,32|128,64; alpha log [1e-6, 0.1];
//     learning_rate_init log [1e-4, 0.03]; batch_size 32|64|128|256.
func DefaultParams(kind string, task model.Task) ([]Param, error) {
	classification := task.IsClassification()
	switch kind {
	case "gbdt":
		return []Param{
			LogFloatParam("learning_rate", 0.01, 0.3),
			LogIntParam("max_leaf_nodes", 8, 255),
			LogIntParam("min_samples_leaf", 5, 200),
			LogFloatParam("l2_regularization", 1e-8, 10),
			FloatParam("subsample", 0.5, 1),
			FloatParam("colsample", 0.5, 1),
			FixedParam("max_iter", "200"),
		}, nil
	case "logistic":
		if !classification {
			return nil, mlw.Errorf(mlw.EINVALID, "logistic regression needs a classification task, not %s", task)
		}
		return []Param{
			LogFloatParam("C", 1e-4, 1e2),
			CategoricalParam("penalty", "l1", "l2"),
		}, nil
	case "linear":
		return []Param{LogFloatParam("alpha", 1e-6, 1e2)}, nil
	case "lasso":
		return []Param{LogFloatParam("alpha", 1e-5, 1e2)}, nil
	case "elasticnet":
		return []Param{LogFloatParam("alpha", 1e-5, 1e2), FloatParam("l1_ratio", 0.05, 1)}, nil
	case "tree":
		ps := []Param{
			IntParam("max_depth", 2, 20),
			LogIntParam("min_samples_leaf", 1, 50),
		}
		if classification {
			ps = append(ps, LogFloatParam("ccp_alpha", 1e-6, 0.1), CategoricalParam("criterion", "gini", "entropy"))
		}
		return ps, nil
	case "forest", "extratrees":
		return []Param{
			IntParam("n_estimators", 50, 500),
			LogIntParam("max_depth", 4, 32),
			CategoricalParam("max_features", "sqrt", "log2", "0.5", "1.0"),
			LogIntParam("min_samples_leaf", 1, 20),
		}, nil
	case "mlp":
		return []Param{
			CategoricalParam("hidden_layer_sizes", "64", "128", "256", "64,32", "128,64"),
			LogFloatParam("alpha", 1e-6, 1e-1),
			LogFloatParam("learning_rate_init", 1e-4, 3e-2),
			CategoricalParam("batch_size", "32", "64", "128", "256"),
		}, nil
	}
	return nil, mlw.Errorf(mlw.ENOTFOUND, "no default search space for model %q (known: %s)", kind, strings.Join(DefaultKinds(), ", "))
}

// DefaultSpace returns the default search space of a model kind for a task
// (see DefaultParams).
func DefaultSpace(kind string, task model.Task) (*Space, error) {
	ps, err := DefaultParams(kind, task)
	if err != nil {
		return nil, err
	}
	return NewSpace(ps...)
}
