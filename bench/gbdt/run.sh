#!/bin/sh
# Benchmark model/gbdt against scikit-learn's HistGradientBoostingClassifier
# and XGBoost on make_classification(200000, 30 features) and print a table.
#
# Usage: bench/gbdt/run.sh [ROWS] [REPEATS]   (from the repository root)
#   ROWS     rows to generate (default 200000); 80% train, 20% test
#   REPEATS  fits per library, the median is reported (default 3)
# Needs /usr/bin/python3 with scikit-learn, pandas and xgboost (Debian:
# python3-sklearn python3-pandas python3-xgboost). The data is written to
# $DATA (default /tmp/synth) by /work/shared/bench/gen_synth.py ($GEN_SYNTH)
# and never committed. Libraries run one after the other, never at once.
set -eu
ROWS=${1:-200000}
REPEATS=${2:-3}
DATA=${DATA:-/tmp/synth}
GEN_SYNTH=${GEN_SYNTH:-/work/shared/bench/gen_synth.py}
PY=${PY:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
csv=$DATA/synth_clf_$ROWS.csv
[ -f "$csv" ] || "$PY" "$GEN_SYNTH" "$ROWS" "$DATA" >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/gbdt-bench" "$here"
echo "rows=$ROWS repeats=$REPEATS nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$out/gbdt-bench" -csv "$csv" -repeats "$REPEATS" >"$out/gbdt.json"
for lib in hgb xgb xgb31; do
	OMP_NUM_THREADS=2 "$PY" "$here/sklearn_bench.py" "$lib" "$csv" "$REPEATS" >"$out/$lib.json"
done
"$PY" - "$out" <<'PYEOF'
import json, sys
d = sys.argv[1]
r = {k: json.load(open(f"{d}/{k}.json")) for k in ["gbdt", "hgb", "xgb", "xgb31"]}
g = r["gbdt"]
print(f"{'library':<34} {'fit s':>7} {'gbdt/x':>7} {'acc':>7} {'d acc':>7} {'batch s':>8} {'row us':>8} {'RSS MB':>7}")
for k, label in [("gbdt", "mlw gbdt (31 leaves, lr 0.1)"), ("hgb", "sklearn HGB (same settings)"),
                 ("xgb", "xgboost hist (defaults, n_jobs=2)"), ("xgb31", "xgboost lossguide 31 leaves")]:
    x = r[k]
    print(f"{label:<34} {x['fit_s']:7.2f} {g['fit_s']/x['fit_s']:7.2f} {x['accuracy']:7.4f} "
          f"{100*(g['accuracy']-x['accuracy']):+7.2f} {x['predict_batch_s']:8.3f} {x['predict_row_us']:8.1f} {x['peak_rss_mb']:7.0f}")
print("fit times (all runs):", {k: [round(t, 2) for t in v["fit_all_s"]] for k, v in r.items()})
print("batch = predict_proba of", g["predict_batch_rows"], "test rows; d acc = gbdt minus library, in points")
PYEOF
