#!/usr/bin/python3
"""Build reference.json: metric inputs and the values scikit-learn computes.

Run from the repository root with the Debian python3 (python3-sklearn,
python3-scipy, python3-numpy):

    /usr/bin/python3 metrics/testdata/gen_reference.py

The Go tests in metrics/ read reference.json and need no Python. Expected
values are null where scikit-learn raises (the Go functions return NaN
there, see the package doc) and the strings "inf"/"-inf" for infinities.
Cases are random with a fixed seed plus hand-made edge cases: ties, constant
predictions, a single class, zero weights, perfect and worst predictions,
probabilities on bin edges, regression outliers and zeros in y_true.

Metrics scikit-learn lacks are defined here in numpy and tested the same way:
ece (expected calibration error), specificity (recall of class 0) and the
threshold searches (brute force over every candidate threshold).
"""

import json
import math
import os
import warnings

import numpy as np
import scipy
import sklearn
from sklearn import metrics as M
from sklearn.calibration import calibration_curve

warnings.simplefilter("ignore")  # zero_division and single-class warnings

SEED = 20240611
rng = np.random.default_rng(SEED)
COSTS = {"fp": 1.0, "fn": 5.0}
PRECISION_TARGET = 0.8
RECALL_TARGET = 0.9


def num(v):
    """A float for JSON: None for NaN, "inf"/"-inf" for infinities."""
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def nums(a):
    return [num(v) for v in np.asarray(a, dtype=float).ravel()]


def safe(f):
    """f() as a number, None (NaN in Go) where scikit-learn raises."""
    try:
        return num(f())
    except (ValueError, ZeroDivisionError):
        return None


def safe_list(f):
    try:
        return [nums(a) for a in f()]
    except (ValueError, ZeroDivisionError):
        return None


# ---- numpy definitions of metrics scikit-learn does not have ----


def ece(y, p, w=None, n_bins=10):
    """sum_b W_b/W * |mean_w(y in b) - mean_w(p in b)| over equal-width bins.

    Bins are those of calibration_curve(strategy="uniform"): the inner edges
    of linspace(0, 1, n_bins+1), searchsorted side="left", so bin b holds
    e_b < p <= e_{b+1} and the first bin also holds 0.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    w = np.ones_like(p) if w is None else np.asarray(w, dtype=float)
    if p.size == 0 or p.min() < 0 or p.max() > 1 or w.sum() == 0:
        return math.nan
    ids = np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1)[1:-1], p)
    total = w.sum()
    e = 0.0
    for b in range(n_bins):
        m = ids == b
        wb = w[m].sum()
        if wb == 0:
            continue
        e += wb / total * abs(np.average(y[m], weights=w[m]) - np.average(p[m], weights=w[m]))
    return e


def operating_points(y, s, w):
    """Every candidate operating point, highest threshold first."""
    y = np.asarray(y)
    s = np.asarray(s, dtype=float)
    w = np.ones_like(s) if w is None else np.asarray(w, dtype=float)
    keep = w != 0
    y, s, w = y[keep], s[keep], w[keep]
    pos, neg = w[y == 1].sum(), w[y == 0].sum()
    out = []
    for t in [math.inf] + sorted(set(s.tolist()), reverse=True):
        pred = s >= t
        tp = w[pred & (y == 1)].sum()
        fp = w[pred & (y == 0)].sum()
        out.append(dict(
            threshold=t, tp=tp, fp=fp, tn=neg - fp, fn=pos - tp,
            precision=tp / (tp + fp) if tp + fp != 0 else 0.0,
            recall=tp / pos if pos != 0 else 0.0,
        ))
    return out


def pick(points, ok, better):
    best = None
    for p in points:  # highest threshold first; ties keep the earlier point
        if ok(p) and (best is None or better(p, best)):
            best = p
    if best is None:
        return None
    return {k: num(v) for k, v in best.items()}


def thresholds(y, s, w):
    pts = operating_points(y, s, w)
    if not pts[1:]:
        return None
    cost = lambda p: p["fp"] * COSTS["fp"] + p["fn"] * COSTS["fn"]
    return {
        "precision": pick(pts, lambda p: p["precision"] >= PRECISION_TARGET,
                          lambda p, b: p["tp"] > b["tp"]),
        "recall": pick(pts, lambda p: p["recall"] >= RECALL_TARGET,
                       lambda p, b: p["precision"] > b["precision"]),
        "cost": pick(pts, lambda p: True, lambda p, b: cost(p) < cost(b)),
    }


def cost(y, yp, w):
    y, yp = np.asarray(y), np.asarray(yp)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    c = np.where((y == 0) & (yp == 1), COSTS["fp"], 0.0) + np.where((y == 1) & (yp == 0), COSTS["fn"], 0.0)
    return (w * c).sum(), (np.average(c, weights=w) if len(y) else math.nan)


# ---- cases ----


def binary_case(name, y, score, w=None, y_pred=None, curves=True):
    y = np.asarray(y, dtype=int)
    score = np.asarray(score, dtype=float)
    if y_pred is None:
        y_pred = (score >= 0.5).astype(int)
    y_pred = np.asarray(y_pred, dtype=int)
    sw = None if w is None else np.asarray(w, dtype=float)
    kw = dict(sample_weight=sw)
    e = {
        "accuracy": safe(lambda: M.accuracy_score(y, y_pred, **kw)),
        "balanced_accuracy": safe(lambda: M.balanced_accuracy_score(y, y_pred, **kw)),
        "precision": safe(lambda: M.precision_score(y, y_pred, **kw)),
        "recall": safe(lambda: M.recall_score(y, y_pred, **kw)),
        "f1": safe(lambda: M.f1_score(y, y_pred, **kw)),
        "specificity": safe(lambda: M.recall_score(y, y_pred, pos_label=0, **kw)),
        "mcc": safe(lambda: M.matthews_corrcoef(y, y_pred, **kw)),
        "roc_auc": safe(lambda: M.roc_auc_score(y, score, **kw)),
        "average_precision": safe(lambda: M.average_precision_score(y, score, **kw)),
        "log_loss": safe(lambda: M.log_loss(y, score, labels=[0, 1], **kw)),
        "brier": safe(lambda: M.brier_score_loss(y, score, **kw)),
        "ece": num(ece(y, score, sw)),
        "ece_5": num(ece(y, score, sw, 5)),
    }
    for avg in ("micro", "macro", "weighted"):
        e["precision_" + avg] = safe(lambda: M.precision_score(y, y_pred, average=avg, **kw))
        e["recall_" + avg] = safe(lambda: M.recall_score(y, y_pred, average=avg, **kw))
        e["f1_" + avg] = safe(lambda: M.f1_score(y, y_pred, average=avg, **kw))
    e["total_cost"], e["mean_cost"] = (num(v) for v in cost(y, y_pred, sw))
    c = {
        "name": name,
        "y_true": y.tolist(),
        "y_pred": y_pred.tolist(),
        "score": score.tolist(),
        "weights": None if sw is None else sw.tolist(),
        "expect": e,
        "confusion": nums(M.confusion_matrix(y, y_pred, labels=[0, 1], **kw)),
        "thresholds": thresholds(y, score, sw),
    }
    if curves:
        c["roc_curve"] = safe_list(lambda: M.roc_curve(y, score, **kw))
        c["pr_curve"] = safe_list(lambda: M.precision_recall_curve(y, score, **kw))
        c["calibration"] = {
            f"{strategy}_{n_bins}": safe_list(
                lambda: calibration_curve(y, score, n_bins=n_bins, strategy=strategy))
            for strategy in ("uniform", "quantile") for n_bins in (5, 10)
        }
    return c


def weights(n):
    return np.round(rng.uniform(0.1, 3.0, n), 3)


def random_binary(n, decimals=6, prevalence=0.4):
    y = (rng.random(n) < prevalence).astype(int)
    s = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    return y, np.round(s, decimals)


def binary_cases():
    cases = []
    for n in (10, 57, 200):
        y, s = random_binary(n)
        cases.append(binary_case(f"random_n{n}", y, s))
    y, s = random_binary(1000)
    cases.append(binary_case("random_n1000", y, s, curves=False))
    for n in (57, 300):
        y, s = random_binary(n)
        cases.append(binary_case(f"weighted_n{n}", y, s, weights(n), curves=n < 100))
    for n in (40, 150):
        y, s = random_binary(n, decimals=1)
        cases.append(binary_case(f"ties_n{n}", y, s))
        y, s = random_binary(n, decimals=1)
        cases.append(binary_case(f"ties_weighted_n{n}", y, s, weights(n)))
    y, s = random_binary(60, decimals=2)
    w = weights(60)
    w[::4] = 0
    cases.append(binary_case("zero_weights", y, s, w))
    y, s = random_binary(80, decimals=3, prevalence=0.1)
    cases.append(binary_case("rare_positives", y, s))
    y, _ = random_binary(30)
    cases.append(binary_case("all_pred_1", y, np.full(30, 0.7)))
    cases.append(binary_case("all_pred_0", y, np.full(30, 0.2)))
    y, s = random_binary(25)
    cases.append(binary_case("single_class_1", np.ones(25, int), s))
    cases.append(binary_case("single_class_0", np.zeros(25, int), s))
    cases.append(binary_case("single_class_0_weighted", np.zeros(25, int), s, weights(25)))
    y, _ = random_binary(20)
    cases.append(binary_case("perfect", y, y.astype(float)))
    cases.append(binary_case("worst", y, 1.0 - y))
    cases.append(binary_case("perfect_weighted", y, y.astype(float), weights(20)))
    edges = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
                      0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95])
    s = np.concatenate([edges, edges])
    y = (rng.random(s.size) < s).astype(int)
    cases.append(binary_case("bin_edges", y, s))
    s = np.round(rng.random(41), 2)
    y = (rng.random(41) < s).astype(int)
    cases.append(binary_case("quantile_edges_n41", y, s))
    s = np.round(rng.random(101) ** 2, 3)
    y = (rng.random(101) < s).astype(int)
    cases.append(binary_case("skewed_n101", y, s))
    cases.append(binary_case("tiny", [0, 1], [0.4, 0.4]))
    cases.append(binary_case("one_row", [1], [0.9]))
    return cases


def ovr_auc(y, proba, w, average):
    """roc_auc_score(multi_class="ovr"), which raises unless every row of
    proba sums to one; where it raises for that reason only, the same
    one-vs-rest average of binary roc_auc_score, which metrics.ROCAUCOvR
    computes without the check."""
    labels = list(range(proba.shape[1]))
    try:
        return M.roc_auc_score(y, proba, multi_class="ovr", average=average, labels=labels, sample_weight=w)
    except ValueError as e:
        if "sum up to 1.0" not in str(e):
            raise
    aucs = [M.roc_auc_score(y == c, proba[:, c], sample_weight=w) for c in labels]
    support = None
    if average == "weighted":
        sw = np.ones(len(y)) if w is None else w
        support = [sw[y == c].sum() for c in labels]
    return np.average(aucs, weights=support)


def multiclass_case(name, k, y, y_pred, proba, w=None):
    y = np.asarray(y, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    proba = np.asarray(proba, dtype=float).reshape(len(y), k)
    sw = None if w is None else np.asarray(w, dtype=float)
    kw = dict(sample_weight=sw)
    labels = list(range(k))
    e = {
        "accuracy": safe(lambda: M.accuracy_score(y, y_pred, **kw)),
        "balanced_accuracy": safe(lambda: M.balanced_accuracy_score(y, y_pred, **kw)),
        "mcc": safe(lambda: M.matthews_corrcoef(y, y_pred, **kw)),
        "roc_auc": safe(lambda: ovr_auc(y, proba, sw, "macro")),
        "roc_auc_weighted": safe(lambda: ovr_auc(y, proba, sw, "weighted")),
        "log_loss": safe(lambda: M.log_loss(y, proba, labels=labels, **kw)),
    }
    for avg in ("micro", "macro", "weighted"):
        e["precision_" + avg] = safe(lambda: M.precision_score(y, y_pred, average=avg, **kw))
        e["recall_" + avg] = safe(lambda: M.recall_score(y, y_pred, average=avg, **kw))
        e["f1_" + avg] = safe(lambda: M.f1_score(y, y_pred, average=avg, **kw))
    p, r, f, s = M.precision_recall_fscore_support(
        y, y_pred, labels=labels, zero_division=0, **kw)
    return {
        "name": name,
        "k": k,
        "y_true": y.tolist(),
        "y_pred": y_pred.tolist(),
        "proba": proba.ravel().tolist(),
        "weights": None if sw is None else sw.tolist(),
        "expect": e,
        "confusion": nums(M.confusion_matrix(y, y_pred, labels=labels, **kw)),
        "per_class": {"precision": nums(p), "recall": nums(r), "f1": nums(f), "support": nums(s)},
    }


def random_multiclass(n, k, decimals=6):
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    p = np.round(p, decimals)
    p[:, -1] = np.round(1 - p[:, :-1].sum(axis=1), decimals + 2)
    return y, p, p.argmax(axis=1)


def multiclass_cases():
    cases = []
    for n, k in ((30, 3), (200, 3), (150, 5)):
        y, p, yp = random_multiclass(n, k)
        cases.append(multiclass_case(f"random_n{n}_k{k}", k, y, yp, p))
    y, p, yp = random_multiclass(120, 4)
    cases.append(multiclass_case("weighted_n120_k4", 4, y, yp, p, weights(120)))
    # Coarse probabilities: ties and exact zeros (log loss clipping).
    for name, w in (("ties_k3", None), ("ties_weighted_k3", weights(90))):
        y = rng.integers(0, 3, 90)
        p = rng.multinomial(10, [0.2, 0.3, 0.5], size=90) / 10.0
        cases.append(multiclass_case(name, 3, y, p.argmax(axis=1), p, w))
    # Class 4 in neither y_true nor y_pred; class 3 never predicted.
    y, p, yp = random_multiclass(60, 5)
    y = np.where(y == 4, 0, y)
    yp = np.where(yp >= 3, 1, yp)
    cases.append(multiclass_case("absent_classes_k5", 5, y, yp, p))
    # A class only in y_pred.
    y, p, yp = random_multiclass(40, 3)
    y = np.where(y == 2, 1, y)
    cases.append(multiclass_case("class_only_predicted_k3", 3, y, yp, p))
    y, p, _ = random_multiclass(30, 3)
    cases.append(multiclass_case("all_pred_same_k3", 3, y, np.full(30, 1), p))
    y = rng.integers(0, 3, 24)
    cases.append(multiclass_case("perfect_k3", 3, y, y, np.eye(3)[y]))
    cases.append(multiclass_case("worst_k3", 3, y, (y + 1) % 3, np.eye(3)[(y + 1) % 3]))
    # Rows that do not sum to one: log loss renormalises them.
    y, p, yp = random_multiclass(20, 3)
    cases.append(multiclass_case("unnormalised_k3", 3, y, yp, p * rng.uniform(0.5, 1.5, (20, 1))))
    return cases


def regression_case(name, y, yp, w=None):
    y = np.asarray(y, dtype=float)
    yp = np.asarray(yp, dtype=float)
    sw = None if w is None else np.asarray(w, dtype=float)
    kw = dict(sample_weight=sw)
    e = {
        "mae": safe(lambda: M.mean_absolute_error(y, yp, **kw)),
        "mse": safe(lambda: M.mean_squared_error(y, yp, **kw)),
        "rmse": safe(lambda: M.mean_squared_error(y, yp, squared=False, **kw)),
        "r2": safe(lambda: M.r2_score(y, yp, **kw)),
        "mape": safe(lambda: M.mean_absolute_percentage_error(y, yp, **kw)),
        "median_ae": safe(lambda: M.median_absolute_error(y, yp, **kw)),
        "explained_variance": safe(lambda: M.explained_variance_score(y, yp, **kw)),
        "max_error": safe(lambda: M.max_error(y, yp)),
    }
    return {"name": name, "y_true": y.tolist(), "y_pred": yp.tolist(),
            "weights": None if sw is None else sw.tolist(), "expect": e}


def regression_cases():
    cases = []
    for n in (5, 20, 200, 1000):
        y = np.round(rng.normal(10, 4, n), 4)
        yp = np.round(y + rng.normal(0, 2, n), 4)
        cases.append(regression_case(f"random_n{n}", y, yp))
    for n in (7, 50, 120):
        y = np.round(rng.normal(10, 4, n), 4)
        yp = np.round(y + rng.normal(0, 2, n), 4)
        cases.append(regression_case(f"weighted_n{n}", y, yp, weights(n)))
    y = np.round(rng.normal(0, 1, 60), 3)
    yp = np.round(y + rng.normal(0, 0.3, 60), 3)
    y[[3, 17, 41]] = [40.0, -55.0, 120.0]
    cases.append(regression_case("outliers", y, yp))
    cases.append(regression_case("outliers_weighted", y, yp, weights(60)))
    y = np.round(rng.normal(0, 2, 30), 2)
    y[::5] = 0.0
    yp = np.round(y + rng.normal(0, 0.5, 30), 2)
    yp[0] = 0.0  # a zero in y_true predicted exactly
    cases.append(regression_case("zeros_in_y_true", y, yp))
    cases.append(regression_case("zeros_in_y_true_weighted", y, yp, weights(30)))
    cases.append(regression_case("constant_perfect", [3.0] * 6, [3.0] * 6))
    cases.append(regression_case("constant_imperfect", [3.0] * 6, [3.0, 3.5, 2.0, 3.0, 3.0, 4.0]))
    cases.append(regression_case("constant_weighted", [0.5] * 4, [0.5, 1.0, 0.0, 0.5], [1.0, 2.0, 0.5, 1.0]))
    cases.append(regression_case("perfect", [1.0, -2.0, 3.5, 0.0], [1.0, -2.0, 3.5, 0.0]))
    cases.append(regression_case("one_row", [2.0], [3.5]))
    cases.append(regression_case("two_rows", [2.0, 4.0], [3.5, 3.0]))
    cases.append(regression_case("even_median", [1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]))
    cases.append(regression_case("even_median_unit_weights", [1.0, 2.0, 3.0, 4.0], [0.0] * 4, [1.0] * 4))
    cases.append(regression_case("median_zero_weights", [1.0, 2.0, 3.0, 4.0, 5.0], [0.0] * 5,
                                 [0.0, 0.0, 1.0, 0.0, 2.0]))
    cases.append(regression_case("constant_residual", [1.0, 2.0, 3.0], [0.5, 1.5, 2.5]))
    return cases


def main():
    out = {
        "generator": "metrics/testdata/gen_reference.py",
        "seed": SEED,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "costs": COSTS,
        "precision_target": PRECISION_TARGET,
        "recall_target": RECALL_TARGET,
        "binary": binary_cases(),
        "multiclass": multiclass_cases(),
        "regression": regression_cases(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
