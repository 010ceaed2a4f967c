"""Reference values for model/forest's tests, computed with scikit-learn.

Usage: /usr/bin/python3 model/forest/testdata/sklearn_reference.py
Writes sklearn_reference.json next to this script (scikit-learn 1.2.1 on the
Debian package, numpy 1.24.2; the file records the versions):

  cv   5-fold mean score (accuracy, or R² for diabetes) of RandomForest* and
       ExtraTrees* (n_estimators=100) with a few settings, on exactly the folds
       of testdata/folds.json, for random_state 0..SEEDS-1: the score for
       random_state=0, and the mean and standard deviation over the seeds
       (a forest's score depends on its random draws; mlw draws from other
       random streams, so the tests compare means over seeds).
  oob  oob_score_ of RandomForest*(n_estimators=100, oob_score=True) fitted
       on every row, for random_state 0..SEEDS-1.

Parameters are written as the strings mlw's SetParam takes; "variant" is the
mlw kind (forest or extratrees).
"""
import json
import os

import numpy as np
import sklearn
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                              RandomForestClassifier, RandomForestRegressor)

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", "..", ".."))
with open(os.path.join(root, "testdata", "folds.json")) as f:
    folds = json.load(f)["datasets"]

CLASSIFICATION = ["iris", "wine", "breast_cancer"]
REGRESSION = ["diabetes"]
SEEDS = 5


def load(name):
    d = np.loadtxt(os.path.join(root, "testdata", "datasets", name + ".csv"), delimiter=",", skiprows=1)
    return d[:, :-1], d[:, -1]


def kwargs(params):
    """Turns SetParam strings into scikit-learn keyword arguments."""
    out = {}
    for k, v in params.items():
        if k in ("max_depth", "min_samples_leaf", "min_samples_split", "max_leaf_nodes", "n_estimators"):
            out[k] = int(v)
        elif k == "max_samples":
            out[k] = float(v) if "." in v else int(v)
        elif k in ("ccp_alpha", "min_impurity_decrease"):
            out[k] = float(v)
        elif k == "max_features":
            out[k] = None if v == "none" else v if v in ("sqrt", "log2") else float(v) if "." in v else int(v)
        elif k in ("bootstrap", "oob_score"):
            out[k] = v == "true"
        else:
            out[k] = v
    return out


def estimator(name, variant, params, seed):
    regression = name in REGRESSION
    cls = {
        ("forest", False): RandomForestClassifier, ("forest", True): RandomForestRegressor,
        ("extratrees", False): ExtraTreesClassifier, ("extratrees", True): ExtraTreesRegressor,
    }[(variant, regression)]
    return cls(n_estimators=100, random_state=seed, **kwargs(params))


def cv_score(name, variant, params, seed):
    X, y = load(name)
    scores = []
    for fold in folds[name]["folds"]:
        tr, te = np.array(fold["train"]), np.array(fold["test"])
        m = estimator(name, variant, params, seed).fit(X[tr], y[tr])
        scores.append(float(m.score(X[te], y[te])))  # accuracy or R²
    return float(np.mean(scores))


SETTINGS = {
    "classification": [
        ("forest", "default", {}),
        ("forest", "max_depth=5", {"max_depth": "5"}),
        ("forest", "min_samples_leaf=3,max_features=0.5", {"min_samples_leaf": "3", "max_features": "0.5"}),
        ("forest", "entropy", {"criterion": "entropy"}),
        ("extratrees", "default", {}),
        ("extratrees", "min_samples_leaf=2", {"min_samples_leaf": "2"}),
    ],
    "regression": [
        ("forest", "default", {}),
        ("forest", "max_depth=5", {"max_depth": "5"}),
        ("forest", "max_features=sqrt", {"max_features": "sqrt"}),
        ("forest", "max_samples=0.5", {"max_samples": "0.5"}),
        ("extratrees", "default", {}),
        ("extratrees", "min_samples_leaf=5", {"min_samples_leaf": "5"}),
    ],
}

out = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__, "seeds": SEEDS,
       "cv": [], "oob": []}
for name in CLASSIFICATION + REGRESSION:
    kind = "regression" if name in REGRESSION else "classification"
    for variant, label, params in SETTINGS[kind]:
        by_seed = [cv_score(name, variant, params, seed) for seed in range(SEEDS)]
        out["cv"].append({"dataset": name, "variant": variant, "name": label, "params": params,
                          "score": by_seed[0], "seed_mean": float(np.mean(by_seed)),
                          "seed_sd": float(np.std(by_seed))})
    X, y = load(name)
    oob = [float(estimator(name, "forest", {"oob_score": "true"}, seed).fit(X, y).oob_score_) for seed in range(SEEDS)]
    out["oob"].append({"dataset": name, "score": oob[0], "seed_mean": float(np.mean(oob)), "seed_sd": float(np.std(oob))})

with open(os.path.join(here, "sklearn_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
