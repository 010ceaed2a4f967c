"""FastAPI + uvicorn (1 worker) serving scikit-learn's HistGradientBoostingClassifier
written as such servers usually are: the request is a pydantic model, the rows
become a pandas DataFrame (as in MLflow's scoring server), the model was fit on
a DataFrame read with pandas. One of the comparison servers of bench/serve/run.sh;
fastapi_server.py is the hand-tuned one (raw JSON into numpy).

Usage: /usr/bin/python3 fastapi_typical.py CSV PORT
Fits max_iter=100, max_leaf_nodes=31, early_stopping=False on the first 80% of
rows (as serve-bench fit does) and answers POST /v1/endpoints/synth/predict with
{"instances": [{"f0": ..., ..., "f29": ...}]} like mlw's simple JSON form.
Debian: apt-get install python3-fastapi python3-uvicorn python3-sklearn python3-pandas.
"""
import sys
from typing import Dict, List

import pandas as pd
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sklearn.ensemble import HistGradientBoostingClassifier

csv, port = sys.argv[1], int(sys.argv[2])
data = pd.read_csv(csv)
X, y = data.iloc[:, :-1], data.iloc[:, -1].astype(int)
n_train = len(y) * 8 // 10
clf = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31, early_stopping=False, random_state=0)
clf.fit(X.iloc[:n_train], y.iloc[:n_train])
cols = list(X.columns)
classes = [str(c) for c in clf.classes_]


class PredictRequest(BaseModel):
    instances: List[Dict[str, float]]


app = FastAPI()


@app.post("/v1/endpoints/synth/predict")
def predict(req: PredictRequest):
    frame = pd.DataFrame(req.instances, columns=cols)
    proba = clf.predict_proba(frame)
    return {
        "predictions": [classes[k] for k in proba.argmax(axis=1)],
        "probabilities": proba.tolist(),
        "classes": classes,
        "model": "synth@1",
        "variant": "primary",
    }


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)
