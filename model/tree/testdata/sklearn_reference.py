"""Reference values for model/tree's tests, computed with scikit-learn.

Usage: /usr/bin/python3 model/tree/testdata/sklearn_reference.py
Writes sklearn_reference.json next to this script (scikit-learn 1.2.1 on the
Debian package, numpy 1.24.2; the file records the versions):

  cv         5-fold mean score (accuracy, or R² for diabetes) of
             DecisionTreeClassifier / DecisionTreeRegressor(random_state=0)
             with a few settings, on exactly the folds of testdata/folds.json;
             and the mean and standard deviation of that score over
             random_state 0..SEEDS-1 (seed_mean, seed_sd). scikit-learn draws the
             features in a random order at every node and a tie between
             equally good splits goes to the first drawn, so a setting whose
             trees meet ties has a score that depends on the seed.
  structure  the distinct trees fitted on all rows with max_depth=3
             (breast_cancer, diabetes) for random_state 0..19: node arrays in
             scikit-learn's preorder, the predictions for every row and
             feature_importances_. More than one variant means scikit-learn
             broke a tie between equally good splits differently by seed;
             same_predictions says whether every variant predicts every row
             alike (the tied splits partition the rows the same way).
  pruning    number of leaves, for random_state 0..SEEDS-1, after minimal
             cost-complexity pruning with ccp_alpha halfway between
             consecutive alphas of cost_complexity_pruning_path (of the
             random_state=0 tree), so that no alpha sits on a boundary.

Parameters are written as the strings mlw's SetParam takes.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", "..", ".."))
with open(os.path.join(root, "testdata", "folds.json")) as f:
    folds = json.load(f)["datasets"]

CLASSIFICATION = ["iris", "wine", "breast_cancer"]
SEEDS = 30  # random_state 0..SEEDS-1 for seed_mean, seed_sd and pruning
REGRESSION = ["diabetes"]


def load(name):
    d = np.loadtxt(os.path.join(root, "testdata", "datasets", name + ".csv"), delimiter=",", skiprows=1)
    return d[:, :-1], d[:, -1]


def kwargs(params):
    """Turns SetParam strings into scikit-learn keyword arguments."""
    out = {}
    for k, v in params.items():
        if k in ("max_depth", "min_samples_leaf", "min_samples_split", "max_leaf_nodes"):
            out[k] = int(v)
        elif k in ("ccp_alpha", "min_impurity_decrease"):
            out[k] = float(v)
        else:
            out[k] = v
    return out


def estimator(name, params, seed=0):
    cls = DecisionTreeRegressor if name in REGRESSION else DecisionTreeClassifier
    return cls(random_state=seed, **kwargs(params))


def cv_score(name, params, seed=0):
    X, y = load(name)
    scores = []
    for fold in folds[name]["folds"]:
        tr, te = np.array(fold["train"]), np.array(fold["test"])
        m = estimator(name, params, seed).fit(X[tr], y[tr])
        scores.append(float(m.score(X[te], y[te])))  # accuracy or R²
    return float(np.mean(scores)), scores


CV_SETTINGS = {
    "classification": [
        ("default", {}),
        ("max_depth=3", {"max_depth": "3"}),
        ("min_samples_leaf=5", {"min_samples_leaf": "5"}),
        ("ccp_alpha=0.01", {"ccp_alpha": "0.01"}),
        ("entropy", {"criterion": "entropy"}),
        ("max_leaf_nodes=8", {"max_leaf_nodes": "8"}),
    ],
    "regression": [
        ("default", {}),
        ("max_depth=3", {"max_depth": "3"}),
        ("min_samples_leaf=5", {"min_samples_leaf": "5"}),
        ("ccp_alpha=20", {"ccp_alpha": "20"}),
        ("friedman_mse", {"criterion": "friedman_mse"}),
        ("max_leaf_nodes=8", {"max_leaf_nodes": "8"}),
    ],
}

out = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
       "cv": [], "structure": [], "pruning": []}

for name in CLASSIFICATION + REGRESSION:
    kind = "regression" if name in REGRESSION else "classification"
    for label, params in CV_SETTINGS[kind]:
        mean, scores = cv_score(name, params)
        by_seed = [cv_score(name, params, seed)[0] for seed in range(SEEDS)]
        out["cv"].append({"dataset": name, "name": label, "params": params,
                          "score": mean, "fold_scores": scores,
                          "seed_mean": float(np.mean(by_seed)), "seed_sd": float(np.std(by_seed))})


def tree_arrays(m):
    t = m.tree_
    values = t.value[:, 0, :]
    if hasattr(m, "classes_"):
        values = values / values.sum(axis=1, keepdims=True)
    return {
        "feature": t.feature.tolist(),
        "threshold": t.threshold.tolist(),
        "left": t.children_left.tolist(),
        "right": t.children_right.tolist(),
        "n_node_samples": t.n_node_samples.tolist(),
        "weighted_n_node_samples": t.weighted_n_node_samples.tolist(),
        "impurity": t.impurity.tolist(),
        "value": values.tolist(),
    }


for name in ["breast_cancer", "diabetes"]:
    X, y = load(name)
    params = {"max_depth": "3"}
    variants = []
    for seed in range(20):
        m = estimator(name, params, seed).fit(X, y)
        arrays = tree_arrays(m)
        if any(v["tree"] == arrays for v in variants):
            continue
        pred = m.predict_proba(X) if name in CLASSIFICATION else m.predict(X).reshape(-1, 1)
        variants.append({"random_state": seed, "tree": arrays, "predictions": pred.tolist(),
                         "feature_importances": m.feature_importances_.tolist()})
    same_predictions = all(v["predictions"] == variants[0]["predictions"] for v in variants)
    out["structure"].append({"dataset": name, "params": params, "variants": variants,
                             "same_predictions": same_predictions})

for name, picks in [("breast_cancer", [0, 2, 5, 8, 10, 11, 12]), ("iris", [0, 1, 2, 3, 4]),
                    ("diabetes", [10, 50, 100, 200, 300, 350, 380, 390])]:
    X, y = load(name)
    alphas = estimator(name, {}).cost_complexity_pruning_path(X, y).ccp_alphas
    for i in picks:
        a = float((alphas[i] + alphas[i + 1]) / 2)
        leaves = [int(estimator(name, {"ccp_alpha": repr(a)}, seed).fit(X, y).get_n_leaves()) for seed in range(SEEDS)]
        out["pruning"].append({"dataset": name, "ccp_alpha": repr(a), "n_leaves": leaves})

with open(os.path.join(here, "sklearn_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
