#!/usr/bin/python3
"""Build folds.json: inputs and the folds scikit-learn's splitters return.

Run from the repository root with the Debian python3 (python3-sklearn,
python3-numpy), not a virtualenv's:

    /usr/bin/python3 split/testdata/gen_reference.py

The Go tests in split/ read folds.json and need no Python. Only the
deterministic splitters are recorded: KFold and StratifiedKFold without
shuffling, GroupKFold (scikit-learn 1.2 has no shuffle for it) and
TimeSeriesSplit. GroupKFold orders equal-sized groups with numpy's argsort,
which is stable only for arrays of at most 16 elements, so every group case
has at most 16 groups.
"""

import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit


def folds(splitter, n, y=None, groups=None):
    X = np.zeros((n, 1))
    return [{"train": tr.tolist(), "valid": te.tolist()} for tr, te in splitter.split(X, y, groups)]


def main():
    # StratifiedKFold warns about classes smaller than the number of folds;
    # those cases are wanted.
    warnings.simplefilter("ignore", UserWarning)
    rng = np.random.RandomState(20240601)
    out = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "kfold": [],
        "stratified": [],
        "group": [],
        "time_series": [],
    }

    for n in (2, 5, 7, 10, 13, 31):
        for k in (2, 3, 5):
            if k <= n:
                out["kfold"].append({"n": n, "k": k, "folds": folds(KFold(k), n)})

    strat = [
        ["a"] * 6 + ["b"] * 4,
        ["c", "a", "b", "a", "c", "c", "b", "a", "c", "a", "b", "c"],  # first appearance != sorted
        ["x"] * 9 + ["y"] * 2 + ["z"] * 5,  # "y" has fewer rows than 3 folds
    ]
    for n in (25, 40):
        strat.append(rng.choice(["no", "yes", "maybe"], size=n, p=[0.6, 0.3, 0.1]).tolist())
    for y in strat:
        for k in (2, 3, 5):
            counts = np.unique(y, return_counts=True)[1]
            if k > counts.max():
                continue
            out["stratified"].append({"y": y, "k": k, "folds": folds(StratifiedKFold(k), len(y), y=y)})

    groups = [
        ("string", ["b", "a", "c", "a", "b", "b", "d", "c", "a", "e", "e", "b"]),
        ("string", ["10", "2", "2", "10", "3", "3", "1", "1", "2", "3"]),  # lexicographic order
        ("number", [10, 2, 2, 10, 3, 3, 1, 1, 2, 3]),  # numeric order
        ("number", [3, 3, 1, 1, 2, 2, 4, 4, 5, 5, 6, 6]),  # every size tied
    ]
    for n in (30, 40):
        groups.append(("number", rng.randint(0, 14, size=n).tolist()))
        groups.append(("string", ["u%02d" % g for g in rng.randint(0, 9, size=n)]))
    for kind, g in groups:
        for k in (2, 3, 4):
            if k > len(set(g)):
                continue
            out["group"].append({"kind": kind, "groups": g, "k": k,
                                 "folds": folds(GroupKFold(k), len(g), groups=g)})

    for n in (6, 10, 17, 30):
        for k in (2, 3, 5):
            for max_train in (None, 3):
                for test_size in (None, 2):
                    for gap in (0, 1):
                        try:
                            s = TimeSeriesSplit(k, max_train_size=max_train, test_size=test_size, gap=gap)
                            f = folds(s, n)
                        except ValueError:
                            continue
                        out["time_series"].append({
                            "n": n, "k": k, "max_train_size": max_train or 0,
                            "test_size": test_size or 0, "gap": gap, "folds": f,
                        })

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "folds.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=None, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()
