"""scikit-learn side of the forest benchmark (bench/forest/run.sh).

Usage: /usr/bin/python3 sklearn_bench.py CSV [N_ESTIMATORS] [N_JOBS] [MODELS]
Reads CSV (header f0..fN,target; gen_synth.py), trains on the first 80% of
the rows and scores accuracy on the last 20% (make_classification already
shuffles), for a single DecisionTreeClassifier, RandomForestClassifier and
ExtraTreesClassifier (MODELS: a comma-separated subset of tree, forest,
extratrees). Prints one JSON object per model on stdout:
{"model", "fit_seconds", "fit_cpu_seconds", "predict_seconds", "accuracy",
"peak_rss_mb", "nodes"}. Run one model per process for a clean peak RSS.
"""
import json
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

path = sys.argv[1]
n_estimators = int(sys.argv[2]) if len(sys.argv) > 2 else 100
n_jobs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
only = sys.argv[4].split(",") if len(sys.argv) > 4 else ["tree", "forest", "extratrees"]

data = np.loadtxt(path, delimiter=",", skiprows=1)
X, y = data[:, :-1], data[:, -1].astype(int)
n_train = len(y) * 8 // 10
Xtr, ytr, Xte, yte = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

models = {
    "tree": lambda: DecisionTreeClassifier(random_state=0),
    "forest": lambda: RandomForestClassifier(n_estimators=n_estimators, n_jobs=n_jobs, random_state=0),
    "extratrees": lambda: ExtraTreesClassifier(n_estimators=n_estimators, n_jobs=n_jobs, random_state=0),
}
for name in only:
    m = models[name]()
    c0 = time.process_time()  # CPU time of every thread of the process
    t0 = time.perf_counter()
    m.fit(Xtr, ytr)
    t1 = time.perf_counter()
    c1 = time.process_time()
    pred = m.predict(Xte)
    t2 = time.perf_counter()
    print(json.dumps({
        "model": name,
        "sklearn_version": sklearn.__version__,
        "fit_seconds": round(t1 - t0, 3),
        "fit_cpu_seconds": round(c1 - c0, 3),
        "predict_seconds": round(t2 - t1, 3),
        "accuracy": round(float(np.mean(pred == yte)), 5),
        # ru_maxrss is in KiB on Linux; it is the peak of the whole process.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "nodes": int(sum(e.tree_.node_count for e in getattr(m, "estimators_", [m]))),
    }), flush=True)
