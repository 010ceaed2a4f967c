package linear

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/model"
)

// TestLogisticCoefficients fits whole datasets, standard-scaled on all their
// rows, and compares coefficients, intercepts and probabilities with
// scikit-learn 1.2.1's (testdata/sklearn_reference.py). The L2 references
// come from newton-cg with tol 1e-8, the L1 and elastic-net ones from saga
// with tol 1e-10: both are the optimum to about 1e-6, so our fits, run with
// a tight tol, must agree to that. "_lbfgs" is scikit-learn's default
// solver and tolerance against our defaults: both stop early, at points
// that agree to 1e-5 (the same iterations).
func TestLogisticCoefficients(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	for _, tc := range []struct {
		name, dataset string
		cfg           LogisticConfig
		atol          float64 // coefficients and intercepts
		probaTol      float64
	}{
		{"breast_cancer_l2_c1", "breast_cancer", LogisticConfig{Tol: 1e-10}, 2e-6, 1e-7},
		{"breast_cancer_l2_c1_lbfgs", "breast_cancer", LogisticConfig{}, 1e-5, 1e-6},
		{"breast_cancer_l2_c0.1_balanced", "breast_cancer", LogisticConfig{C: 0.1, ClassWeight: ClassWeightBalanced, Tol: 1e-10}, 2e-6, 1e-7},
		{"breast_cancer_l1_c1", "breast_cancer", LogisticConfig{Penalty: PenaltyL1, Tol: 1e-10}, 1e-4, 1e-5},
		{"breast_cancer_elasticnet_c1", "breast_cancer", LogisticConfig{Penalty: PenaltyElasticNet, L1Ratio: 0.5, Tol: 1e-10}, 1e-5, 1e-6},
		{"iris_l2_c1", "iris", LogisticConfig{Tol: 1e-10}, 2e-6, 1e-7},
		{"wine_l2_c0.1", "wine", LogisticConfig{C: 0.1, Tol: 1e-10}, 2e-6, 1e-7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := ref.Full[tc.name]
			p := scaledProblem(t, tc.dataset)
			m := Logistic{LogisticConfig: tc.cfg}
			require.NoError(t, m.Fit(context.Background(), p))
			require.True(t, m.Converged())
			t.Logf("%s: %d iterations (scikit-learn %d)", tc.name, m.NIter(), want.NIter)
			requireClose(t, floats(t, want.Coef), m.Coef(), tc.atol, 0, "coef")
			requireClose(t, floats(t, want.Intercept), m.Intercept(), tc.atol, 0, "intercept")
			var proba []float64
			for _, row := range want.Proba {
				proba = append(proba, row...)
			}
			requireClose(t, proba, m.PredictTo(nil, p.X), tc.probaTol, 0, "proba")
			if tc.cfg.Penalty == PenaltyL1 {
				zeros := 0
				for i, c := range floats(t, want.Coef) {
					if c == 0 {
						zeros++
						require.Zero(t, m.Coef()[i], "coefficient %d is zero in scikit-learn's fit", i)
					}
				}
				require.Positive(t, zeros)
			}
		})
	}
}

// TestRegressionCoefficients compares least squares, ridge, the lasso and
// the elastic net on the standard-scaled diabetes data with scikit-learn's
// (LinearRegression, Ridge, Lasso and ElasticNet with tol 1e-12).
func TestRegressionCoefficients(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	for _, tc := range []struct {
		name string
		fit  func(p *model.Problem) ([]float64, float64, []float64)
		rtol float64
	}{
		{"diabetes_ols", func(p *model.Problem) ([]float64, float64, []float64) {
			var m Linear
			require.NoError(t, m.Fit(context.Background(), p))
			return m.Coef(), m.Intercept(), m.PredictTo(nil, p.X)
		}, 1e-9},
		{"diabetes_ridge_1", func(p *model.Problem) ([]float64, float64, []float64) {
			m := Linear{LinearConfig: LinearConfig{Alpha: 1}}
			require.NoError(t, m.Fit(context.Background(), p))
			return m.Coef(), m.Intercept(), m.PredictTo(nil, p.X)
		}, 1e-9},
		{"diabetes_lasso_0.1", func(p *model.Problem) ([]float64, float64, []float64) {
			m := Lasso{LassoConfig: LassoConfig{Alpha: 0.1, Tol: 1e-12, MaxIter: 100000}}
			require.NoError(t, m.Fit(context.Background(), p))
			require.True(t, m.Converged())
			return m.Coef(), m.Intercept(), m.PredictTo(nil, p.X)
		}, 1e-7},
		{"diabetes_lasso_1", func(p *model.Problem) ([]float64, float64, []float64) {
			m := Lasso{LassoConfig: LassoConfig{Alpha: 1, Tol: 1e-12, MaxIter: 100000}}
			require.NoError(t, m.Fit(context.Background(), p))
			return m.Coef(), m.Intercept(), m.PredictTo(nil, p.X)
		}, 1e-7},
		{"diabetes_elasticnet_0.1", func(p *model.Problem) ([]float64, float64, []float64) {
			m := ElasticNet{ElasticNetConfig: ElasticNetConfig{Alpha: 0.1, Tol: 1e-12, MaxIter: 100000}}
			require.NoError(t, m.Fit(context.Background(), p))
			return m.Coef(), m.Intercept(), m.PredictTo(nil, p.X)
		}, 1e-7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := ref.Full[tc.name]
			p := scaledProblem(t, "diabetes")
			coef, intercept, pred := tc.fit(p)
			requireClose(t, floats(t, want.Coef), coef, 1e-9, tc.rtol, "coef")
			requireClose(t, floats(t, want.Intercept), []float64{intercept}, 0, tc.rtol, "intercept")
			requireClose(t, want.Pred, pred[:len(want.Pred)], 0, tc.rtol, "predictions")
		})
	}
}
