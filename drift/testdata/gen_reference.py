#!/usr/bin/python3
"""Generate reference.json for the drift package tests.

Run from the repository root with the system interpreter (Debian's
python3-scipy, python3-numpy):

    /usr/bin/python3 drift/testdata/gen_reference.py

Every value in reference.json is produced here by scipy or by the numpy
implementation of PSI below; the Go tests read the file and never run Python.
"""
import json
import os

import numpy as np
import scipy
import scipy.special
import scipy.stats
from scipy.spatial import distance

rng = np.random.default_rng(20240601)


def r(x, digits=None):
    """Round data so the JSON stays small; the rounded values are the input."""
    x = np.asarray(x, dtype=float)
    if digits is not None:
        x = np.round(x, digits)
    return x


def ks_case(name, a, b):
    a = r(a)
    b = r(b)
    res = scipy.stats.ks_2samp(a, b)  # method='auto', alternative='two-sided'
    method = "exact" if max(len(a), len(b)) <= 10000 else "asymp"
    return dict(name=name, a=a.tolist(), b=b.tolist(), method=method,
                statistic=float(res.statistic), pvalue=float(res.pvalue))


ks = [
    ks_case("exact tiny equal sizes", [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
    ks_case("exact small unequal", rng.normal(size=7), rng.normal(0.5, 1, size=11)),
    ks_case("exact n=m=25", rng.normal(size=25), rng.normal(size=25)),
    ks_case("exact n=m=40 shifted", rng.normal(size=40), rng.normal(1, 1, size=40)),
    ks_case("exact unequal 30 45 gcd 15", rng.normal(size=30), rng.normal(0.3, 1, size=45)),
    ks_case("exact unequal coprime 97 101", rng.normal(size=97), rng.normal(0.2, 1.2, size=101)),
    ks_case("exact ties", r(rng.integers(0, 6, size=50), None), r(rng.integers(0, 7, size=60), None)),
    ks_case("exact ties rounded", r(rng.normal(size=200), 1), r(rng.normal(0.1, 1, size=150), 1)),
    ks_case("exact identical", [0.5, 1.5, 2.5, 3.5, 4.5], [0.5, 1.5, 2.5, 3.5, 4.5]),
    ks_case("exact disjoint", rng.uniform(0, 1, size=20), rng.uniform(2, 3, size=30)),
    ks_case("exact disjoint equal sizes", rng.uniform(0, 1, size=30), rng.uniform(2, 3, size=30)),
    ks_case("exact one element each", [1.0], [2.0]),
    ks_case("exact 1000 vs 800", r(rng.normal(size=1000), 4), r(rng.normal(0.05, 1, size=800), 4)),
    ks_case("exact 3000 vs 2999 small shift", r(rng.normal(size=3000), 4), r(rng.normal(0.08, 1, size=2999), 4)),
    ks_case("exact 500 vs 10000", r(rng.normal(size=500), 3), r(rng.normal(size=10000), 3)),
    ks_case("asymp 10001 vs 50", r(rng.normal(size=10001), 3), r(rng.normal(0.3, 1, size=50), 3)),
    ks_case("asymp 10500 vs 400 null", r(rng.normal(size=10500), 3), r(rng.normal(size=400), 3)),
    ks_case("asymp 10500 vs 400 shift", r(rng.normal(size=10500), 3), r(rng.normal(0.25, 1, size=400), 3)),
    ks_case("asymp 10200 vs 3000", r(rng.normal(size=10200), 3), r(rng.normal(0.05, 1, size=3000), 3)),
    ks_case("asymp 10200 vs 2000 far apart", r(rng.normal(size=10200), 2), r(rng.normal(1.5, 1, size=2000), 2)),
]

# Direct checks of the one-sample two-sided KS distribution (scipy.stats.kstwo)
# on every branch of scipy's _kolmogn, used by the asymptotic ks_2samp path.
kstwo = []
for n in [1, 2, 5, 10, 50, 100, 140, 141, 200, 293, 1000, 5739, 20000, 100000, 100001, 400000]:
    for d in [0.3 / n, 0.7 / n, 1.5 / n, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.6, 0.9, 1 - 0.5 / n]:
        if not 0 < d < 1:
            continue
        kstwo.append(dict(n=n, d=d, sf=float(scipy.stats.kstwo.sf(d, n))))

smirnov = []
for n in [1, 2, 5, 30, 141, 1000, 5000, 100000]:
    for d in [0.5 / n, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.9]:
        if not 0 < d < 1:
            continue
        smirnov.append(dict(n=n, d=d, sf=float(scipy.special.smirnov(n, d))))


def chi_case(name, obs, exp, rescale=False):
    obs = np.asarray(obs, dtype=float)
    exp = np.asarray(exp, dtype=float)
    exp_used = exp * obs.sum() / exp.sum() if rescale else exp
    res = scipy.stats.chisquare(obs, exp_used)
    return dict(name=name, observed=obs.tolist(), expected=exp.tolist(),
                statistic=float(res.statistic), pvalue=float(res.pvalue))


chisquare = [
    chi_case("uniform", [10, 12, 9, 11, 8], [10, 10, 10, 10, 10]),
    chi_case("zero observed", [0, 30, 20, 0], [10, 20, 15, 5]),
    chi_case("tiny p", [500, 10, 10, 480], [250, 250, 250, 250]),
    chi_case("underflow", [5000, 0, 0, 0], [1250, 1250, 1250, 1250]),
    chi_case("two categories", [45, 55], [50, 50]),
    chi_case("fractional expected", [3, 7, 12, 8], [4.5, 6.25, 10.75, 8.5]),
    chi_case("rescaled expected", [30, 50, 20], [0.3, 0.45, 0.25], rescale=True),
    chi_case("rescaled counts", [120, 80, 300, 500], [10, 12, 30, 48], rescale=True),
    chi_case("many categories", rng.poisson(20, size=60), np.full(60, 20.0), rescale=True),
    chi_case("large dof small stat", np.full(200, 7.0), np.full(200, 7.0)),
]


def js_case(name, p, q, base=None):
    d = distance.jensenshannon(np.asarray(p, float), np.asarray(q, float), base=base)
    return dict(name=name, p=list(map(float, p)), q=list(map(float, q)),
                base=base, distance=float(d))


jensenshannon = [
    js_case("basic", [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]),
    js_case("basic base 2", [0.1, 0.2, 0.7], [0.3, 0.3, 0.4], base=2),
    js_case("unnormalised counts", [10, 20, 70], [3, 3, 4]),
    js_case("zeros in p", [0, 5, 5, 10], [1, 1, 1, 1]),
    js_case("zeros in both", [0, 5, 0, 10], [0, 1, 3, 0]),
    js_case("disjoint", [1, 1, 0, 0], [0, 0, 1, 1]),
    js_case("disjoint base 2", [1, 1, 0, 0], [0, 0, 1, 1], base=2),
    js_case("identical", [2, 3, 5], [2, 3, 5]),
    js_case("many bins", rng.poisson(30, size=40), rng.poisson(30, size=40)),
    js_case("base 10", [0.25, 0.25, 0.5], [0.5, 0.25, 0.25], base=10),
]


def w_case(name, u, v, uw=None, vw=None):
    d = scipy.stats.wasserstein_distance(u, v, uw, vw)
    c = dict(name=name, u=list(map(float, u)), v=list(map(float, v)), distance=float(d))
    if uw is not None:
        c["u_weights"] = list(map(float, uw))
    if vw is not None:
        c["v_weights"] = list(map(float, vw))
    return c


wasserstein = [
    w_case("docs example", [0, 1, 3], [5, 6, 8]),
    w_case("docs weighted", [0, 1], [0, 1], [3, 1], [2, 2]),
    w_case("docs weighted 2", [3.4, 3.9, 7.5, 7.8], [4.5, 1.4], [1.4, 0.9, 3.1, 7.2], [3.2, 3.5]),
    w_case("identical", [1, 2, 3], [3, 2, 1]),
    w_case("ties", [1, 1, 1, 2, 2, 5], [1, 2, 2, 2, 7]),
    w_case("single points", [0.0], [2.5]),
    w_case("normal samples", r(rng.normal(size=300), 4), r(rng.normal(0.4, 1.3, size=450), 4)),
    w_case("weighted only u", [1, 2, 3, 4], [2, 3], [1, 0, 2, 5], None),
    w_case("zero weights", [1, 2, 3, 4], [2, 3, 10], [1, 0, 2, 5], [1, 1, 0]),
    w_case("weighted normal", r(rng.normal(size=200), 4), r(rng.normal(1, 1, size=100), 4),
           r(rng.uniform(0, 2, size=200), 4), r(rng.uniform(0, 2, size=100), 4)),
]


# PSI as defined by the drift package (see drift/distance.go):
#   edges   = unique(np.quantile(reference, k/B for k = 0..B))   (numpy 'linear')
#   bins    = below edges[0] | K inner bins [e0,e1) ... [e_{K-1}, e_K] | above edges[-1]
#             (one inner bin [e0, e0] when the reference is constant)
#   p       = count / total per sample; 0 -> eps = 1e-4 (no renormalisation)
#   PSI     = sum((p_cur - p_ref) * ln(p_cur / p_ref))
def psi_numpy(reference, current, bins=10, eps=1e-4):
    reference = np.asarray(reference, float)
    current = np.asarray(current, float)
    edges = np.unique(np.quantile(reference, np.arange(bins + 1) / bins))
    k = max(len(edges) - 1, 1)

    def counts(x):
        idx = np.clip(np.searchsorted(edges, x, side="right"), 1, k)
        idx = np.where(x < edges[0], 0, idx)
        idx = np.where(x > edges[-1], k + 1, idx)
        return np.bincount(idx, minlength=k + 2).astype(float)

    pr = counts(reference) / len(reference)
    pc = counts(current) / len(current)
    pr = np.where(pr == 0, eps, pr)
    pc = np.where(pc == 0, eps, pc)
    return float(np.sum((pc - pr) * np.log(pc / pr))), edges


def psi_case(name, ref, cur, bins=10):
    ref = r(ref)
    cur = r(cur)
    v, edges = psi_numpy(ref, cur, bins)
    return dict(name=name, reference=ref.tolist(), current=cur.tolist(), bins=bins,
                edges=edges.tolist(), psi=v)


psi = [
    psi_case("same distribution", r(rng.normal(size=1000), 4), r(rng.normal(size=800), 4)),
    psi_case("shift 0.5", r(rng.normal(size=1000), 4), r(rng.normal(0.5, 1, size=800), 4)),
    psi_case("out of range above", r(rng.uniform(0, 1, size=500), 4), r(rng.uniform(0.5, 1.5, size=500), 4)),
    psi_case("5 bins", r(rng.normal(size=333), 4), r(rng.normal(0, 2, size=444), 4), bins=5),
    psi_case("ties collapse edges", r(rng.integers(0, 4, size=400), None), r(rng.integers(0, 5, size=300), None)),
    psi_case("constant reference", np.full(50, 3.0), [2.0, 3.0, 3.0, 4.0, 3.0]),
    psi_case("small n", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [2.5, 3.5, 8.0]),
    psi_case("empty current bins", r(rng.normal(size=600), 4), r(rng.normal(3, 0.1, size=200), 4)),
]

out = dict(
    generator="drift/testdata/gen_reference.py",
    scipy_version=scipy.__version__,
    numpy_version=np.__version__,
    ks_2samp=ks,
    kstwo_sf=kstwo,
    smirnov=smirnov,
    chisquare=chisquare,
    jensenshannon=jensenshannon,
    wasserstein=wasserstein,
    psi=psi,
)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print("wrote", path, "scipy", scipy.__version__, "numpy", np.__version__)
