"""Reference side of bench/gbdt: fit scikit-learn's HistGradientBoostingClassifier
or XGBoost's XGBClassifier on the synthetic CSV and print one JSON line.

Usage: /usr/bin/python3 bench/gbdt/sklearn_bench.py {hgb|xgb|xgb31} CSV [REPEATS [THREADS]]
(hgb: HistGradientBoostingClassifier(max_iter=100, early_stopping=False);
xgb: XGBClassifier(n_estimators=100, tree_method='hist', n_jobs=THREADS (2)), its defaults
otherwise (max_depth=6, learning_rate=0.3); xgb31: the same grown like gbdt,
leaf-wise to 31 leaves with learning_rate=0.1 and 255 bins)
(Debian: python3-sklearn, python3-xgboost). The CSV is written by
/work/shared/bench/gen_synth.py; the first 80% of rows train, the last 20% test
(make_classification shuffles its rows, so the split is random). bench/gbdt/main.go
uses the same split. Peak RSS is the process's, data loading included.
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd


def main():
    which, path = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2  # scikit-learn: set OMP_NUM_THREADS
    df = pd.read_csv(path)
    y = df.pop("target").to_numpy().astype(np.int64)
    X = df.to_numpy(dtype=np.float64)
    n_train = len(y) * 8 // 10
    Xtr, ytr, Xte, yte = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

    if which == "hgb":
        import sklearn
        from sklearn.ensemble import HistGradientBoostingClassifier

        def make():
            return HistGradientBoostingClassifier(
                max_iter=100, max_leaf_nodes=31, max_bins=255,
                early_stopping=False, random_state=0)
        version = "scikit-learn " + sklearn.__version__
    elif which == "xgb":
        import xgboost
        from xgboost import XGBClassifier

        def make():
            return XGBClassifier(n_estimators=100, tree_method="hist", n_jobs=threads)
        version = "xgboost " + xgboost.__version__
    elif which == "xgb31":
        import xgboost
        from xgboost import XGBClassifier

        def make():
            return XGBClassifier(n_estimators=100, tree_method="hist", n_jobs=threads,
                                 grow_policy="lossguide", max_leaves=31, max_depth=0,
                                 learning_rate=0.1, max_bin=256, min_child_weight=1e-3)
        version = "xgboost " + xgboost.__version__
    else:
        raise SystemExit("unknown model " + which)

    times, cpus = [], []
    for _ in range(repeats):
        m = make()
        c0 = time.process_time()
        t0 = time.perf_counter()
        m.fit(Xtr, ytr)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    acc = float(np.mean(m.predict(Xte) == yte))
    t0 = time.perf_counter()
    m.predict_proba(Xte)
    pred_s = time.perf_counter() - t0
    row = Xte[:1]
    t0 = time.perf_counter()
    for _ in range(200):
        m.predict_proba(row)
    row_us = (time.perf_counter() - t0) / 200 * 1e6
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "name": which, "version": version, "fit_s": sorted(times)[len(times) // 2],
        "fit_all_s": times, "fit_cpu_s": cpus, "accuracy": acc, "predict_batch_s": pred_s,
        "predict_batch_rows": len(yte), "predict_row_us": row_us, "peak_rss_mb": rss_mb,
    }))


if __name__ == "__main__":
    main()
