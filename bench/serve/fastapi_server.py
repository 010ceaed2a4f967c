"""FastAPI + uvicorn (1 worker) serving scikit-learn's HistGradientBoostingClassifier,
the comparison server of bench/serve/run.sh.

Usage: /usr/bin/python3 fastapi_server.py CSV PORT
Fits max_iter=100, max_leaf_nodes=31, early_stopping=False on the first 80% of
rows (as serve-bench fit does) and answers POST /v1/endpoints/synth/predict with
{"instances": [{"f0": ..., ..., "f29": ...}]} like mlw's simple JSON form. The
handler reads the JSON itself (no pydantic model), which favours this side.
Debian: apt-get install python3-fastapi python3-uvicorn python3-sklearn.
"""
import sys

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from sklearn.ensemble import HistGradientBoostingClassifier

csv, port = sys.argv[1], int(sys.argv[2])
data = np.loadtxt(csv, delimiter=",", skiprows=1)
X, y = data[:, :-1], data[:, -1].astype(int)
n_train = len(y) * 8 // 10
clf = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31, early_stopping=False, random_state=0)
clf.fit(X[:n_train], y[:n_train])
cols = [f"f{i}" for i in range(X.shape[1])]
classes = [str(c) for c in clf.classes_]

app = FastAPI()


@app.post("/v1/endpoints/synth/predict")
async def predict(request: Request):
    body = await request.json()
    rows = np.array([[float(r[c]) for c in cols] for r in body["instances"]])
    proba = clf.predict_proba(rows)
    return {
        "predictions": [classes[k] for k in proba.argmax(axis=1)],
        "probabilities": proba.tolist(),
        "classes": classes,
        "model": "synth@1",
        "variant": "primary",
    }


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)
