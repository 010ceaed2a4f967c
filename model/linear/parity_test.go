package linear

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

// parityTolerance is the largest difference allowed between the 5-fold mean
// score of a model here and of scikit-learn's on the same folds.
const parityTolerance = 0.015

// TestParity fits each model on the 5 reference folds (standard-scaled on
// the training fold) and compares the mean accuracy, or R², with
// scikit-learn 1.2.1's (testdata/sklearn_reference.py).
func TestParity(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	logistic := map[string]func() model.Estimator{
		"logistic_c1":      func() model.Estimator { return &Logistic{} },
		"logistic_c0.1":    func() model.Estimator { return &Logistic{LogisticConfig: LogisticConfig{C: 0.1}} },
		"logistic_l1_saga": func() model.Estimator { return &Logistic{LogisticConfig: LogisticConfig{Penalty: PenaltyL1}} },
		"logistic_none":    func() model.Estimator { return &Logistic{LogisticConfig: LogisticConfig{Penalty: PenaltyNone}} },
		"logistic_balanced": func() model.Estimator {
			return &Logistic{LogisticConfig: LogisticConfig{ClassWeight: ClassWeightBalanced}}
		},
	}
	regression := map[string]func() model.Estimator{
		"linear_ols":     func() model.Estimator { return &Linear{} },
		"ridge_1":        func() model.Estimator { return &Linear{LinearConfig: LinearConfig{Alpha: 1}} },
		"lasso_0.1":      func() model.Estimator { return &Lasso{LassoConfig: LassoConfig{Alpha: 0.1}} },
		"elasticnet_0.1": func() model.Estimator { return &ElasticNet{ElasticNetConfig: ElasticNetConfig{Alpha: 0.1}} },
	}
	type tc struct {
		dataset, name string
		make          func() model.Estimator
	}
	var cases []tc
	for _, ds := range []string{"iris", "wine", "breast_cancer"} {
		for name, mk := range logistic {
			cases = append(cases, tc{ds, name, mk})
		}
	}
	for name, mk := range regression {
		cases = append(cases, tc{"diabetes", name, mk})
	}
	for _, c := range cases {
		t.Run(c.dataset+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			want := ref.Scores[c.dataset][c.name]
			require.Len(t, want.Folds, 5)
			train, test := foldProblems(t, c.dataset)
			sum := 0.0
			for i := range train {
				m := c.make()
				require.NoError(t, m.Fit(context.Background(), train[i]))
				sum += score(test[i], m.PredictTo(nil, test[i].X))
			}
			got := sum / 5
			t.Logf("parity %s %s: ours %.4f sklearn %.4f", c.dataset, c.name, got, want.Mean)
			require.InDelta(t, want.Mean, got, parityTolerance)
		})
	}
}
