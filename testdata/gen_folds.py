"""Fold indices shared by Go tests and scikit-learn references.

Usage: /usr/bin/python3 testdata/gen_folds.py  (Debian: python3-sklearn)
Writes testdata/folds.json: for each dataset in testdata/datasets, 5 folds of
(train, test) row indices: StratifiedKFold for classification, KFold for
regression, both shuffle=True, random_state=0. Go tests and the scikit-learn
scripts that compute reference scores use exactly these folds.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.model_selection import KFold, StratifiedKFold

here = os.path.dirname(os.path.abspath(__file__))
out = {"sklearn_version": sklearn.__version__, "datasets": {}}
for name, task in [("iris", "classification"), ("wine", "classification"),
                   ("breast_cancer", "classification"), ("diabetes", "regression")]:
    data = np.loadtxt(os.path.join(here, "datasets", name + ".csv"), delimiter=",", skiprows=1)
    X, y = data[:, :-1], data[:, -1]
    cv = StratifiedKFold(5, shuffle=True, random_state=0) if task == "classification" else KFold(5, shuffle=True, random_state=0)
    folds = [{"train": tr.tolist(), "test": te.tolist()} for tr, te in cv.split(X, y)]
    out["datasets"][name] = {"task": task, "rows": len(y), "folds": folds}
with open(os.path.join(here, "folds.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"))
