"""Reference scores and bin thresholds for model/gbdt's tests.

Usage: /usr/bin/python3 model/gbdt/testdata/sklearn_reference.py  (Debian: python3-sklearn)
Writes model/gbdt/testdata/sklearn_reference.json:
  - "cv": for each dataset and setting, the mean over the 5 folds of
    testdata/folds.json of the test accuracy (classification) or R^2
    (regression) of HistGradientBoostingClassifier/Regressor with
    early_stopping=False and the setting's parameters;
  - "binning": bin thresholds of _find_binning_thresholds on small vectors.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.ensemble._hist_gradient_boosting.binning import _find_binning_thresholds
from sklearn.metrics import accuracy_score, r2_score

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", "..", ".."))
with open(os.path.join(root, "testdata", "folds.json")) as f:
    folds = json.load(f)["datasets"]

# Go's gbdt parameter names are scikit-learn's, so each setting applies to both.
settings = {
    "default": {},
    "leaves15_lr0.05": {"max_leaf_nodes": 15, "learning_rate": 0.05},
    "depth3": {"max_depth": 3},
    "l2_1_leaf10": {"l2_regularization": 1.0, "min_samples_leaf": 10},
}
out = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
       "settings": settings, "cv": {}, "binning": []}
for name in ["iris", "wine", "breast_cancer", "diabetes"]:
    data = np.loadtxt(os.path.join(root, "testdata", "datasets", name + ".csv"), delimiter=",", skiprows=1)
    X, y = data[:, :-1], data[:, -1]
    clf = name != "diabetes"
    out["cv"][name] = {}
    for sname, params in settings.items():
        scores = []
        for fold in folds[name]["folds"]:
            tr, te = np.array(fold["train"]), np.array(fold["test"])
            cls = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
            m = cls(early_stopping=False, random_state=0, **params).fit(X[tr], y[tr])
            pred = m.predict(X[te])
            scores.append(accuracy_score(y[te], pred) if clf else r2_score(y[te], pred))
        out["cv"][name][sname] = float(np.mean(scores))
        print(name, sname, out["cv"][name][sname])

rng = np.random.RandomState(0)
vectors = [
    ("few_distinct", np.array([3.0, 1.0, 2.0, 2.0, np.nan, 5.0, 1.0, 7.5]), 255),
    ("quantiles_repeats", np.round(rng.exponential(size=40), 1), 5),
    ("quantiles_normal", rng.normal(size=101), 10),
    ("huge_values", np.array([1.0, 2.0, 1e308, 1.5e308]), 255),
]
for vname, v, max_bins in vectors:
    t = _find_binning_thresholds(v.copy(), max_bins)
    out["binning"].append({"name": vname, "max_bins": max_bins,
                           "values": [None if np.isnan(x) else float(x) for x in v],
                           "thresholds": [float(x) for x in t]})

with open(os.path.join(here, "sklearn_reference.json"), "w") as f:
    json.dump(out, f, indent=1, allow_nan=False)
    f.write("\n")
