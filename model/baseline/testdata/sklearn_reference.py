"""Reference scores of scikit-learn's dummy estimators for model/baseline's tests.

Usage: /usr/bin/python3 model/baseline/testdata/sklearn_reference.py
(Debian: python3-sklearn; sklearn_reference.json was written by
scikit-learn 1.2.1). For every dataset, the score (accuracy, or R² for
diabetes) of DummyClassifier(strategy=most_frequent|prior) or
DummyRegressor(strategy=mean|median) on each of the 5 folds of
testdata/folds.json and the mean, plus the predictions of each fitted on the
whole dataset (class probabilities of the first row, or the constant), with
and without sample weights 1 + (i % 3) for row i.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.dummy import DummyClassifier, DummyRegressor

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", "..", ".."))

with open(os.path.join(root, "testdata", "folds.json")) as f:
    folds = json.load(f)["datasets"]


def load(name):
    data = np.loadtxt(os.path.join(root, "testdata", "datasets", name + ".csv"), delimiter=",", skiprows=1)
    return data[:, :-1], data[:, -1]


out = {"sklearn_version": sklearn.__version__, "scores": {}, "full": {}}
for name in ["iris", "wine", "breast_cancer", "diabetes"]:
    X, y = load(name)
    if name == "diabetes":
        strategies = {"mean": lambda: DummyRegressor(strategy="mean"),
                      "median": lambda: DummyRegressor(strategy="median")}
    else:
        strategies = {"most_frequent": lambda: DummyClassifier(strategy="most_frequent"),
                      "prior": lambda: DummyClassifier(strategy="prior")}
    out["scores"][name] = {}
    out["full"][name] = {}
    w = 1.0 + (np.arange(len(y)) % 3)
    for k, make in strategies.items():
        s = []
        for fold in folds[name]["folds"]:
            tr, te = np.array(fold["train"]), np.array(fold["test"])
            s.append(float(make().fit(X[tr], y[tr]).score(X[te], y[te])))
        out["scores"][name][k] = {"folds": s, "mean": float(np.mean(s))}
        full = {}
        for label, sw in [("unweighted", None), ("weighted", w)]:
            m = make().fit(X, y, sample_weight=sw)
            if name == "diabetes":
                full[label] = float(m.predict(X[:1])[0])
            else:
                full[label] = m.predict_proba(X[:1])[0].tolist()
        out["full"][name][k] = full
        print(name, k, out["scores"][name][k]["mean"], full)

with open(os.path.join(here, "sklearn_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
