"""Reference numbers of scikit-learn's linear models for model/linear's tests.

Usage: /usr/bin/python3 model/linear/testdata/sklearn_reference.py
(Debian: python3-sklearn; the numbers in sklearn_reference.json come from
scikit-learn 1.2.1). Writes sklearn_reference.json next to this script:

  scores: for every dataset and model, the score (accuracy, or R² for
      diabetes) on each of the 5 folds of testdata/folds.json and their mean.
      X is standard-scaled with a StandardScaler fitted on the training fold,
      as mlw's feature pipeline does for linear models.
  full: coefficients, intercepts and predictions of models fitted to a whole
      dataset, standard-scaled on all its rows, with tight tolerances so that
      they are the optimum of the objective rather than a solver's stopping
      point (newton-cg for the L2 penalty: lbfgs stops on scipy's factr test
      long before its gtol; *_lbfgs is lbfgs with the default tolerance).
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", "..", ".."))
warnings.simplefilter("error", ConvergenceWarning)


def load(name):
    data = np.loadtxt(os.path.join(root, "testdata", "datasets", name + ".csv"), delimiter=",", skiprows=1)
    return data[:, :-1], data[:, -1]


with open(os.path.join(root, "testdata", "folds.json")) as f:
    folds = json.load(f)["datasets"]

classifiers = {
    "logistic_c1": lambda: LogisticRegression(C=1.0, max_iter=1000),
    "logistic_c0.1": lambda: LogisticRegression(C=0.1, max_iter=1000),
    "logistic_l1_saga": lambda: LogisticRegression(penalty="l1", solver="saga", C=1.0, tol=1e-6, max_iter=20000),
    "logistic_l1_liblinear": lambda: LogisticRegression(penalty="l1", solver="liblinear", C=1.0),
    "logistic_balanced": lambda: LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000),
    "logistic_none": lambda: LogisticRegression(penalty=None, max_iter=5000),
}
regressors = {
    "linear_ols": lambda: LinearRegression(),
    "ridge_1": lambda: Ridge(alpha=1.0),
    "lasso_0.1": lambda: Lasso(alpha=0.1),
    "elasticnet_0.1": lambda: ElasticNet(alpha=0.1, l1_ratio=0.5),
}


def cv(name, make, score):
    X, y = load(name)
    out = []
    for fold in folds[name]["folds"]:
        tr, te = np.array(fold["train"]), np.array(fold["test"])
        sc = StandardScaler().fit(X[tr])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            m = make().fit(sc.transform(X[tr]), y[tr])
        out.append(float(score(m, sc.transform(X[te]), y[te])))
    return {"folds": out, "mean": float(np.mean(out))}


scores = {}
for ds in ["iris", "wine", "breast_cancer"]:
    scores[ds] = {k: cv(ds, f, lambda m, X, y: m.score(X, y)) for k, f in classifiers.items()}
scores["diabetes"] = {k: cv("diabetes", f, lambda m, X, y: m.score(X, y)) for k, f in regressors.items()}


def scaled(name):
    X, y = load(name)
    return StandardScaler().fit_transform(X), y


def logistic_full(name, **kw):
    X, y = scaled(name)
    m = LogisticRegression(**kw).fit(X, y)
    return {"params": {k: v for k, v in kw.items()}, "coef": m.coef_.tolist(),
            "intercept": m.intercept_.tolist(), "proba": m.predict_proba(X).tolist(),
            "n_iter": int(np.max(m.n_iter_))}


def regression_full(make):
    X, y = scaled("diabetes")
    m = make().fit(X, y)
    return {"coef": m.coef_.tolist(), "intercept": float(m.intercept_), "pred": m.predict(X[:20]).tolist()}


full = {
    "breast_cancer_l2_c1": logistic_full("breast_cancer", C=1.0, solver="newton-cg", tol=1e-8, max_iter=100000),
    "breast_cancer_l2_c1_lbfgs": logistic_full("breast_cancer", C=1.0),
    "breast_cancer_l2_c0.1_balanced": logistic_full("breast_cancer", C=0.1, class_weight="balanced", solver="newton-cg", tol=1e-8, max_iter=100000),
    "breast_cancer_l1_c1": logistic_full("breast_cancer", penalty="l1", solver="saga", C=1.0, tol=1e-10, max_iter=1000000),
    "breast_cancer_elasticnet_c1": logistic_full("breast_cancer", penalty="elasticnet", l1_ratio=0.5, solver="saga", C=1.0, tol=1e-10, max_iter=1000000),
    "iris_l2_c1": logistic_full("iris", C=1.0, solver="newton-cg", tol=1e-8, max_iter=100000),
    "wine_l2_c0.1": logistic_full("wine", C=0.1, solver="newton-cg", tol=1e-8, max_iter=100000),
    "diabetes_ols": regression_full(lambda: LinearRegression()),
    "diabetes_ridge_1": regression_full(lambda: Ridge(alpha=1.0)),
    "diabetes_lasso_0.1": regression_full(lambda: Lasso(alpha=0.1, tol=1e-12, max_iter=100000)),
    "diabetes_lasso_1": regression_full(lambda: Lasso(alpha=1.0, tol=1e-12, max_iter=100000)),
    "diabetes_elasticnet_0.1": regression_full(lambda: ElasticNet(alpha=0.1, l1_ratio=0.5, tol=1e-12, max_iter=100000)),
}

with open(os.path.join(here, "sklearn_reference.json"), "w") as f:
    json.dump({"sklearn_version": sklearn.__version__, "scores": scores, "full": full}, f, indent=1)
    f.write("\n")
for ds, models in scores.items():
    for k, v in models.items():
        print(f"{ds:14s} {k:24s} {v['mean']:.4f}")
