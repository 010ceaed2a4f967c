"""Reference side of bench/linear: time scikit-learn's StandardScaler plus
LogisticRegression(max_iter=1000) on the synthetic CSV and print one JSON line.

Usage: /usr/bin/python3 bench/linear/sklearn_bench.py CSV [REPEATS]
(Debian: python3-sklearn). The CSV is written by /work/shared/bench/gen_synth.py;
the first 80% of rows train, the last 20% test (make_classification shuffles
its rows, so the split is random). bench/linear/main.go runs this script and
uses the same split. The timed fit is the scaler's fit_transform of the
training rows plus the logistic regression's fit (lbfgs, C=1, tol=1e-4), in
wall-clock and in process CPU seconds; reading the CSV is not timed.
"""
import json
import sys
import time

import numpy as np
import pandas as pd


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    df = pd.read_csv(path)
    y = df.pop("target").to_numpy().astype(np.int64)
    X = df.to_numpy(dtype=np.float64)
    n_train = len(y) * 8 // 10
    Xtr, ytr, Xte, yte = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        sc = StandardScaler()
        Xs = sc.fit_transform(Xtr)
        m = LogisticRegression(max_iter=1000).fit(Xs, ytr)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    Xte_s = sc.transform(Xte)
    acc = float(np.mean(m.predict(Xte_s) == yte))
    t0 = time.perf_counter()
    m.predict_proba(Xte_s)
    pred_s = time.perf_counter() - t0
    row = Xte_s[:1]
    t0 = time.perf_counter()
    for _ in range(1000):
        m.predict_proba(row)
    row_us = (time.perf_counter() - t0) / 1000 * 1e6
    print(json.dumps({
        "name": "sklearn", "version": "scikit-learn " + sklearn.__version__,
        "fit_s": sorted(times)[len(times) // 2], "fit_all_s": times,
        "fit_cpu_s": sorted(cpu)[len(cpu) // 2], "fit_all_cpu_s": cpu,
        "n_iter": int(m.n_iter_[0]), "accuracy": acc,
        "predict_batch_s": pred_s, "predict_batch_rows": len(yte), "predict_row_us": row_us,
        "train_rows": n_train, "cols": X.shape[1],
    }))


if __name__ == "__main__":
    main()
