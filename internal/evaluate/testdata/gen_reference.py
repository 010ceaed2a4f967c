"""Reference values for internal/evaluate's statistics.

Run with /usr/bin/python3 (numpy 1.24, scipy 1.10):

    cd internal/evaluate/testdata && /usr/bin/python3 gen_reference.py > reference.json

- binomial: one-sided exact binomial test, scipy.stats.binomtest(k, n, p,
  alternative="greater").pvalue.
- bh: Benjamini-Hochberg adjusted p-values, written out with numpy (the
  textbook step-up formula; scipy 1.10 has no false_discovery_control).
- percentile: numpy.percentile with the default linear method.
- fairness: demographic parity difference and ratio and equalized-odds
  difference as fairlearn defines them, over the groups with >= 20 rows.
"""
import json

import numpy as np
from scipy import stats

rng = np.random.default_rng(20261128)

# Binomial tests: hand-picked edge cases and random ones.
cases = [(0, 10, 0.3), (1, 10, 0.3), (3, 10, 0.3), (10, 10, 0.3), (7, 20, 0.1),
         (50, 200, 0.12), (103, 250, 0.18), (1, 1000, 0.001), (400, 1000, 0.3),
         (5, 5, 0.999), (30, 40, 0.5), (250, 250, 0.5), (21, 1500, 0.02), (180, 900, 0.12)]
for _ in range(30):
    n = int(rng.integers(20, 3000))
    p = float(rng.uniform(0.01, 0.6))
    k = int(rng.binomial(n, min(1.0, p * rng.uniform(0.8, 1.8))))
    cases.append((k, n, p))
binomial = [{"k": k, "n": n, "p": p, "pvalue": float(stats.binomtest(k, n, p, alternative="greater").pvalue)}
            for k, n, p in cases]

# Benjamini-Hochberg.
def bh(p):
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out

bh_cases = []
for p in ([0.01, 0.04, 0.03, 0.2, 0.5, 0.001, 0.04],
          list(rng.uniform(0, 1, 25) ** 3),
          [0.5], [1.0, 1.0, 0.0]):
    bh_cases.append({"p": [float(v) for v in p], "q": [float(v) for v in bh(p)]})

# Percentiles.
x = sorted(float(v) for v in rng.normal(3, 2, 37))
qs = [0.0, 0.025, 0.05, 0.2, 0.5, 0.8, 0.975, 1.0]
percentile = {"x": x, "q": qs, "want": [float(np.percentile(x, 100 * q)) for q in qs]}

# Fairness over groups of different sizes; group "d" is too small (< 20 rows).
sizes = {"a": 80, "b": 60, "c": 45, "d": 9}
group, y, pred = [], [], []
for g, size in sizes.items():
    base = {"a": 0.3, "b": 0.5, "c": 0.4, "d": 0.9}[g]
    for _ in range(size):
        yi = int(rng.uniform() < 0.45)
        pi = int(rng.uniform() < (base + 0.3 * yi))
        group.append(g), y.append(yi), pred.append(pi)
group, y, pred = np.array(group), np.array(y), np.array(pred)
sel, tpr, fpr = [], [], []
rates = {}
for g, size in sizes.items():
    m = group == g
    s = pred[m].mean()
    t = pred[m & (y == 1)].mean()
    f = pred[m & (y == 0)].mean()
    rates[g] = {"positive_rate": float(s), "tpr": float(t), "fpr": float(f)}
    if size >= 20:
        sel.append(s), tpr.append(t), fpr.append(f)
fairness = {
    "group": [str(g) for g in group], "y": [int(v) for v in y], "pred": [int(v) for v in pred],
    "rates": rates,
    "demographic_parity_difference": float(max(sel) - min(sel)),
    "demographic_parity_ratio": float(min(sel) / max(sel)),
    "equalized_odds_difference": float(max(max(tpr) - min(tpr), max(fpr) - min(fpr))),
}

print(json.dumps({"binomial": binomial, "bh": bh_cases, "percentile": percentile, "fairness": fairness}, indent=1))
