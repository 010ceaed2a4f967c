package bundle

import (
	"fmt"
	"strings"

	"mlw.dev/model"
	"mlw.dev/model/baseline"
	"mlw.dev/model/forest"
	"mlw.dev/model/gbdt"
	"mlw.dev/model/linear"
	"mlw.dev/model/mlp"
	"mlw.dev/model/tree"
)

// Kinds lists the estimator kinds a bundle can hold, simplest first.
func Kinds() []string {
	return []string{
		baseline.KindMostFrequent, baseline.KindPrior, baseline.KindMean, baseline.KindMedian, baseline.KindRule,
		linear.KindLogistic, linear.KindLinear, linear.KindLasso, linear.KindElasticNet,
		tree.Kind, forest.KindRandomForest, forest.KindExtraTrees, gbdt.Kind, mlp.Kind,
	}
}

// NewEstimator returns an unfitted estimator of a kind with default parameters.
func NewEstimator(kind string) (model.Estimator, error) {
	switch kind {
	case baseline.KindMostFrequent:
		return &baseline.MostFrequent{}, nil
	case baseline.KindPrior:
		return &baseline.Prior{}, nil
	case baseline.KindMean:
		return &baseline.Mean{}, nil
	case baseline.KindMedian:
		return &baseline.Median{}, nil
	case baseline.KindRule:
		return &baseline.Rule{}, nil
	case linear.KindLogistic:
		return &linear.Logistic{}, nil
	case linear.KindLinear:
		return &linear.Linear{}, nil
	case linear.KindLasso:
		return &linear.Lasso{}, nil
	case linear.KindElasticNet:
		return &linear.ElasticNet{}, nil
	case tree.Kind:
		return &tree.Model{}, nil
	case forest.KindRandomForest:
		return &forest.Model{Variant: forest.RandomForest}, nil
	case forest.KindExtraTrees:
		return &forest.Model{Variant: forest.ExtraTrees}, nil
	case gbdt.Kind:
		return &gbdt.Model{}, nil
	case mlp.Kind:
		return &mlp.Model{}, nil
	}
	return nil, fmt.Errorf("unknown estimator kind %q (known: %s)", kind, strings.Join(Kinds(), ", "))
}
