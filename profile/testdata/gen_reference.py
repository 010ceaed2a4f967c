#!/usr/bin/python3
"""Build the profile fixtures and reference.json, the statistics that numpy,
pandas, scipy and scikit-learn compute on them.

Run from the repository root with the Debian python3 (numpy 1.24, pandas 1.5,
scipy 1.10, scikit-learn 1.2.1):

    /usr/bin/python3 profile/testdata/gen_reference.py

It writes three fixtures into profile/testdata (with a fixed seed, so they are
the same on every run) and profiles them together with
testdata/datasets/breast_cancer.csv and diabetes.csv:

  messy.csv       binary target with 3 missing labels and an 8% minority;
                  missing values, zeros, a skewed column, ties, a near-constant,
                  a constant, a high-cardinality and a free-text column, an id
                  column, a time column, a correlated pair, a leaky column,
                  and 12 rows repeated under a fresh id.
  multiclass.csv  three-class string target, categorical features, a numeric
                  column with three values, 6 exact duplicate rows.
  regression.csv  continuous target with missing values, categorical and
                  discrete features (fitted by category means), an integer
                  column with ties, a leaky column.

The Go tests in profile/ read reference.json and need no Python. NaN is null.
The definitions follow the package documentation of mlw.dev/profile; each
statistic is computed here independently of the Go code:

  mean, std (ddof=1), min, max      pandas Series
  quantiles                         numpy.quantile (linear)
  skewness                          scipy.stats.skew(bias=False)  (G1, = pandas skew)
  outliers_iqr, outliers_z          numpy on the finite values
  histogram                         numpy.histogram(bins=20)
  distinct, top, duplicates         pandas nunique, value_counts, duplicated
  pearson, spearman                 pairwise complete rows; scipy.stats.pearsonr
                                    and spearmanr (average ranks), checked
                                    against pandas DataFrame.corr
  cramers_v                         scipy.stats.chi2_contingency(correction=False)
  auc                               sklearn.metrics.roc_auc_score, max(auc, 1-auc)
  mutual_info                       sklearn.metrics.mutual_info_score on codes
  r2                                sklearn LinearRegression + r2_score
"""

import csv
import json
import math
import os
import string

import numpy as np
import pandas as pd
import scipy
import sklearn
from scipy import stats
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mutual_info_score, r2_score, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEED = 20260415
BINS = 20
MI_BINS = 10
TOP_K = 10
DISCRETE_MAX = 5


def num(v):
    """A float for JSON, None for NaN or infinity."""
    if v is None:
        return None
    v = float(v)
    return None if not math.isfinite(v) else v


# ---------------------------------------------------------------- fixtures


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in r])


def maybe(rng, p, v):
    return None if rng.random() < p else v


def make_messy(rng):
    n = 400
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
             "india", "juliet", "kilo", "lima", "mike", "oscar", "papa", "quebec"]
    regions = ["north", "south", "east", "west"]
    plans = ["basic", "plus", "pro"]
    label = (rng.random(n) < 0.08).astype(int)
    x1 = rng.normal(0, 1, n)
    rows = []
    for i in range(n):
        region = regions[rng.integers(4)]
        # plan depends on region, for Cramér's V
        plan = plans[(regions.index(region) + (rng.random() < 0.3) * rng.integers(3)) % 3]
        comment = " ".join(words[k] for k in rng.integers(len(words), size=6))
        rows.append([
            None,  # ticket_id, set below
            "2024-%02d-%02d" % (1 + rng.integers(6), 1 + rng.integers(28)),
            maybe(rng, 0.03, int(rng.integers(18, 81))),
            maybe(rng, 0.48, round(float(rng.lognormal(4, 0.8)), 1)),
            0 if rng.random() < 0.3 else round(float(rng.exponential(1000)), 2),
            maybe(rng, 0.05, region),
            plan,
            "city_%02d" % rng.integers(70),
            "web",
            "US" if rng.random() < 0.97 else ["CA", "MX"][rng.integers(2)],
            ["false", "true"][rng.integers(2)],
            maybe(rng, 0.10, int(rng.integers(1, 6))),
            round(float(x1[i]), 6),
            round(float(0.98 * x1[i] + 0.2 * rng.normal()), 6),
            round(float(rng.normal(50, 10)), 1),
            round(float(2 * label[i] + rng.normal(0, 0.3)), 2),
            maybe(rng, 0.2, comment),
            int(label[i]),
        ])
    for r in rows[:3]:
        r[-1] = None  # missing labels
    # 12 records repeated under a fresh id
    for k in rng.choice(n, size=12, replace=False):
        rows.append(list(rows[k]))
    ids = rng.permutation(len(rows))
    for r, k in zip(rows, ids):
        r[0] = "T%05d" % (10000 + k)
    header = ["ticket_id", "created_at", "age", "insulin", "balance", "region", "plan", "city",
              "source", "country", "newsletter", "rating", "x1", "x2", "score", "refund",
              "comment", "label"]
    write_csv(os.path.join(HERE, "messy.csv"), header, rows)


def make_multiclass(rng):
    n = 144
    rows = []
    for _ in range(n):
        cls = ["setosa", "versicolor", "virginica"][rng.integers(3)]
        k = ["setosa", "versicolor", "virginica"].index(cls)
        rows.append([
            maybe(rng, 0.04, ["red", "green", "blue"][(k + rng.integers(2)) % 3]),
            ["S", "M", "L"][rng.integers(3)],
            maybe(rng, 0.05, round(float(rng.normal(10 + 3 * k, 2)), 2)),
            round(float(rng.normal(5, 1)), 1),
            [2, 4, 6][rng.integers(3)],
            cls,
        ])
    for k in rng.choice(n, size=6, replace=False):
        rows.append(list(rows[k]))
    write_csv(os.path.join(HERE, "multiclass.csv"), ["color", "size", "weight", "height", "legs", "species"], rows)


def make_regression(rng):
    n = 240
    rows = []
    for _ in range(n):
        grp = ["A", "B", "C", "D", "E"][rng.integers(5)]
        x = rng.normal(0, 1)
        level = int(rng.integers(0, 31))
        k = int(rng.integers(3))
        y = 3 * x + 2 * ["A", "B", "C", "D", "E"].index(grp) + 0.1 * level + k + rng.normal(0, 1)
        rows.append([
            maybe(rng, 0.05, round(float(x), 4)),
            maybe(rng, 0.05, grp),
            level,
            k,
            ["false", "true"][rng.integers(2)],
            round(float(2 * y + rng.normal(0, 0.05)), 3),
            maybe(rng, 0.02, round(float(y), 3)),
        ])
    write_csv(os.path.join(HERE, "regression.csv"), ["x", "grp", "level", "k", "flag", "leak", "y"], rows)


# ---------------------------------------------------------------- statistics


def numeric_column(s, discrete):
    x = s.to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    out = {"count": int(s.notna().sum()), "missing": int(s.isna().sum()), "distinct": int(s.nunique()),
           "zeros": int((x == 0).sum())}
    if n == 0:
        return out
    q = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95])
    std = float(np.std(x, ddof=1)) if n >= 2 else None
    iqr = q[3] - q[1]
    mean = float(np.mean(x))
    out.update({
        "mean": num(mean), "std": num(std), "min": num(x.min()), "max": num(x.max()),
        "quantiles": [num(v) for v in q],
        "skewness": num(stats.skew(x, bias=False)) if n >= 3 else None,
        "outliers_iqr": int(((x < q[1] - 1.5 * iqr) | (x > q[3] + 1.5 * iqr)).sum()),
        "outliers_z": int((np.abs((x - mean) / std) > 3).sum()) if std else 0,
    })
    counts, edges = np.histogram(x, bins=BINS)
    out["histogram"] = {"counts": [int(c) for c in counts], "edges": [num(e) for e in edges]}
    vc = s.dropna().value_counts()
    items = sorted(vc.items(), key=lambda kv: (-kv[1], kv[0]))
    if not discrete:
        items = [kv for kv in items if kv[1] >= 2]
    out["top_numbers"] = [[num(v), int(c)] for v, c in items[:TOP_K]]
    # cross-check the moments against pandas
    assert abs(s.mean() - mean) <= 1e-12 * max(1, abs(mean))
    if n >= 3 and out["skewness"] is not None:
        assert abs(s.skew() - out["skewness"]) <= 1e-9
    return out


def string_column(s):
    vc = s.dropna().map(lambda v: str(v).lower() if isinstance(v, (bool, np.bool_)) else str(v)).value_counts()
    items = sorted(vc.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"count": int(s.notna().sum()), "missing": int(s.isna().sum()), "distinct": int(s.nunique()),
            "top": [[v, int(c)] for v, c in items[:TOP_K]]}


def pairwise(df, cols):
    """Pearson and Spearman over pairwise complete rows."""
    k = len(cols)
    pearson = [[None] * k for _ in range(k)]
    spearman = [[None] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            a = df[cols[i]].to_numpy(dtype=float)
            b = df[cols[j]].to_numpy(dtype=float)
            m = np.isfinite(a) & np.isfinite(b)
            a, b = a[m], b[m]
            if len(a) < 2 or a.min() == a.max() or b.min() == b.max():
                continue
            pearson[i][j] = num(stats.pearsonr(a, b)[0])
            spearman[i][j] = num(stats.spearmanr(a, b)[0])
    pp = df[cols].astype(float).corr(method="pearson").to_numpy()
    ps = df[cols].astype(float).corr(method="spearman").to_numpy()
    for i in range(k):
        for j in range(k):
            if pearson[i][j] is not None:
                assert abs(pp[i, j] - pearson[i][j]) < 1e-12, (cols[i], cols[j])
                assert abs(ps[i, j] - spearman[i][j]) < 1e-12, (cols[i], cols[j])
    return pearson, spearman


def cramers_v(df, cols):
    k = len(cols)
    out = [[None] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            sub = df[[cols[i], cols[j]]].dropna()
            if i == j:
                out[i][j] = 1.0
                continue
            table = pd.crosstab(sub.iloc[:, 0], sub.iloc[:, 1]).to_numpy()
            r, c = table.shape
            if min(r, c) < 2:
                continue
            chi2 = stats.chi2_contingency(table, correction=False)[0]
            out[i][j] = num(math.sqrt(chi2 / table.sum() / (min(r, c) - 1)))
    return out


def mi_codes(s, discrete):
    """Codes for the mutual information, NaN where missing."""
    if not discrete and pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float)
        fin = np.isfinite(x)
        if len(np.unique(x[fin])) > MI_BINS:
            edges = np.quantile(x[fin], np.arange(1, MI_BINS) / MI_BINS)
            codes = np.searchsorted(edges, x, side="left").astype(float)
            codes[~fin] = np.nan
            return pd.Series(codes, index=s.index)
    return s.map(lambda v: v if pd.isna(v) else repr(v))


def target_section(df, target, task, features, discrete):
    y = df[target]
    out = {"column": target, "task": task, "count": int(y.notna().sum()), "missing": int(y.isna().sum()),
           "features": []}
    pos = None
    if task == "classification":
        vc = y.dropna().value_counts()
        keys = sorted(vc.index)
        out["classes"] = [[k if isinstance(k, str) else num(k), int(vc[k])] for k in keys]
        if len(keys) == 2:
            pos = keys[1]
        ycodes = mi_codes(y, True)
    else:
        ycodes = mi_codes(y, False)
    for f in features:
        x = df[f]
        disc = f in discrete
        xc = mi_codes(x, disc)
        xf = x.astype(float) if not disc else x
        m = x.notna() & y.notna()
        if not disc:
            m &= np.isfinite(xf.astype(float))
        rel = {"column": f, "rows": int(m.sum()), "auc": None, "r2": None}
        rel["mutual_info"] = num(mutual_info_score(xc[m].astype(str), ycodes[m].astype(str)))
        if pos is not None:
            yt = (y[m] == pos).astype(int)
            if disc:
                score = yt.groupby(x[m]).transform("mean")
            else:
                score = xf[m]
            auc = roc_auc_score(yt, score)
            rel["auc"] = num(max(auc, 1 - auc))
        elif task == "regression":
            yy = y[m].astype(float).to_numpy()
            if disc:
                pred = y[m].astype(float).groupby(x[m]).transform("mean").to_numpy()
            else:
                xx = xf[m].to_numpy().reshape(-1, 1)
                pred = LinearRegression().fit(xx, yy).predict(xx)
            rel["r2"] = num(r2_score(yy, pred))
        out["features"].append(rel)
    return out


def profile(name, path, target, task, numeric, discrete, strings, features, ids=(), id_like=(), time=None,
            datetimes=()):
    # round_trip: pandas' default float parser is not correctly rounded and
    # can differ from Go's strconv by one ulp, which moves values across
    # histogram edges; only empty fields are missing, as in the fixtures.
    df = pd.read_csv(os.path.join(ROOT, path), keep_default_na=False, na_values=[""], float_precision="round_trip")
    cols = {}
    for c in df.columns:
        if c in numeric:
            cols[c] = numeric_column(df[c], c in discrete)
        elif c in datetimes:
            d = df[c].dropna()
            cols[c] = {"count": int(d.size), "missing": int(df[c].isna().sum()), "distinct": int(d.nunique()),
                       "earliest": min(d), "latest": max(d)}
        else:
            cols[c] = string_column(df[c])
    assert set(cols) == set(numeric) | set(strings) | set(datetimes), name
    not_ids = [c for c in df.columns if c not in ids and c not in id_like]
    corr = [c for c in not_ids if c in numeric and c != time and df[c].nunique() > 1]
    pearson, spearman = pairwise(df, corr)
    disc = [c for c in df.columns if c in discrete]
    id_cols = list(ids)
    out = {
        "name": name, "file": os.path.relpath(os.path.join(ROOT, path), os.path.join(ROOT, "profile")),
        "options": {"target": target, "ids": id_cols, "time": time},
        "rows": len(df),
        "duplicate_rows": int(df.duplicated().sum()),
        "duplicate_rows_ignoring_ids": int(df[not_ids].duplicated().sum()),
        "columns": cols,
        "pearson": {"columns": corr, "values": pearson},
        "spearman": {"columns": corr, "values": spearman},
        "cramers_v": {"columns": disc, "values": cramers_v(df, disc)},
    }
    if target:
        out["target"] = target_section(df, target, task, features, set(discrete))
    return out


def main():
    rng = np.random.default_rng(SEED)
    make_messy(rng)
    make_multiclass(rng)
    make_regression(rng)

    datasets = []
    messy_numeric = ["age", "insulin", "balance", "rating", "x1", "x2", "score", "refund", "label"]
    datasets.append(profile(
        "messy", "profile/testdata/messy.csv", "label", "classification",
        numeric=messy_numeric, discrete=["region", "plan", "city", "country", "newsletter", "rating", "label"],
        strings=["ticket_id", "region", "plan", "city", "source", "country", "newsletter", "comment"],
        features=["age", "insulin", "balance", "region", "plan", "city", "country", "newsletter", "rating",
                  "x1", "x2", "score", "refund"],
        id_like=["ticket_id"], time="created_at", datetimes=["created_at"]))
    datasets.append(profile(
        "multiclass", "profile/testdata/multiclass.csv", "species", "classification",
        numeric=["weight", "height", "legs"], discrete=["color", "size", "legs", "species"],
        strings=["color", "size", "species"], features=["color", "size", "weight", "height", "legs"]))
    datasets.append(profile(
        "regression", "profile/testdata/regression.csv", "y", "regression",
        numeric=["x", "level", "k", "leak", "y"], discrete=["grp", "k", "flag"],
        strings=["grp", "flag"], features=["x", "grp", "level", "k", "flag", "leak"]))
    bc = pd.read_csv(os.path.join(ROOT, "testdata/datasets/breast_cancer.csv"))
    datasets.append(profile(
        "breast_cancer", "testdata/datasets/breast_cancer.csv", "target", "classification",
        numeric=list(bc.columns), discrete=[c for c in bc.columns if bc[c].nunique() <= DISCRETE_MAX],
        strings=[], features=[c for c in bc.columns if c != "target"]))
    db = pd.read_csv(os.path.join(ROOT, "testdata/datasets/diabetes.csv"))
    datasets.append(profile(
        "diabetes", "testdata/datasets/diabetes.csv", "target", "regression",
        numeric=list(db.columns), discrete=[c for c in db.columns if db[c].nunique() <= DISCRETE_MAX],
        strings=[], features=[c for c in db.columns if c != "target"]))

    ref = {
        "versions": {"numpy": np.__version__, "pandas": pd.__version__, "scipy": scipy.__version__,
                     "sklearn": sklearn.__version__},
        "bins": BINS,
        "datasets": datasets,
    }
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
