"""Reference scores of scikit-learn's multilayer perceptrons for model/mlp's tests.

Usage: /usr/bin/python3 model/mlp/testdata/sklearn_reference.py
(Debian: python3-sklearn; sklearn_reference.json was written by
scikit-learn 1.2.1). For every dataset, the score (accuracy, or R² for
diabetes) of MLPClassifier / MLPRegressor(hidden_layer_sizes=(64,),
max_iter=500, random_state=SEED) on each of the 5 folds of
testdata/folds.json, X standard-scaled with a StandardScaler fitted on the
training fold, and the mean over folds. "mean" is random_state=0; because
the result depends on the initial weights, "seeds" also records the mean for
random_state 0..4, the spread a different random generator can expect.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", "..", ".."))
warnings.simplefilter("ignore", ConvergenceWarning)

with open(os.path.join(root, "testdata", "folds.json")) as f:
    folds = json.load(f)["datasets"]


def load(name):
    data = np.loadtxt(os.path.join(root, "testdata", "datasets", name + ".csv"), delimiter=",", skiprows=1)
    return data[:, :-1], data[:, -1]


def cv(name, seed, early_stopping=False):
    X, y = load(name)
    cls = MLPRegressor if name == "diabetes" else MLPClassifier
    out, iters = [], []
    for fold in folds[name]["folds"]:
        tr, te = np.array(fold["train"]), np.array(fold["test"])
        sc = StandardScaler().fit(X[tr])
        m = cls(hidden_layer_sizes=(64,), max_iter=500, random_state=seed,
                early_stopping=early_stopping).fit(sc.transform(X[tr]), y[tr])
        out.append(float(m.score(sc.transform(X[te]), y[te])))
        iters.append(int(m.n_iter_))
    return out, iters


scores = {}
for name in ["iris", "wine", "breast_cancer", "diabetes"]:
    folds0, iters0 = cv(name, 0)
    seeds = [float(np.mean(cv(name, s)[0])) for s in range(5)]
    es, es_iters = cv(name, 0, early_stopping=True)
    scores[name] = {"folds": folds0, "mean": float(np.mean(folds0)), "n_iter": iters0,
                    "seeds": seeds, "early_stopping": {"folds": es, "mean": float(np.mean(es)), "n_iter": es_iters}}
    print(name, scores[name]["mean"], seeds, iters0, scores[name]["early_stopping"]["mean"], es_iters)

with open(os.path.join(here, "sklearn_reference.json"), "w") as f:
    json.dump({"sklearn_version": sklearn.__version__,
               "params": {"hidden_layer_sizes": [64], "max_iter": 500, "random_state": 0},
               "scores": scores}, f, indent=1)
    f.write("\n")
