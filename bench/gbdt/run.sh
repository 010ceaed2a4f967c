#!/bin/sh
# Benchmark model/gbdt against scikit-learn's HistGradientBoostingClassifier
# and XGBoost on make_classification(ROWS, 30 features) and print a table.
#
# Usage: bench/gbdt/run.sh [ROWS] [REPEATS]   (from anywhere in the repository)
#   ROWS     rows to generate (default 200000); the first 80% train, the rest test
#   REPEATS  rounds (default 3); every round fits each library once, one after
#            the other, so that a change in machine load hits all of them; the
#            table shows the median fit time
# THREADS (default 2) is the number of threads every library uses: n_jobs for
# gbdt and XGBoost, OMP_NUM_THREADS for scikit-learn. On a loaded machine the
# OpenMP libraries lose far more to contention than Go does (their threads
# spin at barriers), so compare with THREADS=1 there as well.
# Needs Go and /usr/bin/python3 with scikit-learn, pandas and xgboost (Debian:
# python3-sklearn python3-pandas python3-xgboost). The data is written to $DATA
# (default /tmp/synth) by $GEN_SYNTH (default /work/shared/bench/gen_synth.py)
# and never committed.
set -eu
ROWS=${1:-200000}
REPEATS=${2:-3}
DATA=${DATA:-/tmp/synth}
GEN_SYNTH=${GEN_SYNTH:-/work/shared/bench/gen_synth.py}
PY=${PY:-/usr/bin/python3}
THREADS=${THREADS:-2}
here=$(cd "$(dirname "$0")" && pwd)
csv=$DATA/synth_clf_$ROWS.csv
[ -f "$csv" ] || "$PY" "$GEN_SYNTH" "$ROWS" "$DATA" >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$here" && go build -o "$out/gbdt-bench" .)
echo "rows=$ROWS repeats=$REPEATS threads=$THREADS nproc=$(nproc) load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$REPEATS"); do
	"$out/gbdt-bench" -csv "$csv" -repeats 1 -n-jobs "$THREADS" >>"$out/gbdt.jsonl"
	"$out/gbdt-bench" -csv "$csv" -repeats 1 -n-jobs "$THREADS" -learning-rate 0.3 >>"$out/gbdt_lr03.jsonl"
	for lib in hgb xgb xgb31; do
		OMP_NUM_THREADS=$THREADS "$PY" "$here/sklearn_bench.py" "$lib" "$csv" 1 "$THREADS" >>"$out/$lib.jsonl"
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" - "$out" <<'PYEOF'
import json, statistics, sys
d = sys.argv[1]
names = [("gbdt", "mlw gbdt (31 leaves, lr 0.1)"), ("gbdt_lr03", "mlw gbdt (31 leaves, lr 0.3)"),
         ("hgb", "sklearn HGB (31 leaves, lr 0.1)"), ("xgb", "xgboost hist (defaults)"),
         ("xgb31", "xgboost lossguide (31 leaves, lr 0.1)")]
r = {}
for k, _ in names:
    runs = [json.loads(line) for line in open(f"{d}/{k}.jsonl")]
    x = dict(runs[-1])
    x["fits"] = [run["fit_s"] for run in runs]
    x["cpu"] = statistics.median(run["fit_cpu_s"][0] for run in runs)
    x["fit_s"] = statistics.median(x["fits"])
    for key in ["predict_batch_s", "predict_row_us", "peak_rss_mb"]:
        x[key] = statistics.median(run[key] for run in runs)
    r[k] = x
g = r["gbdt"]
print(f"{'':<38} {'fit s':>6} {'gbdt/x':>6} {'cpu s':>6} {'acc':>6} {'gbdt-x':>6} {'batch s':>7} {'row us':>7} {'RSS MB':>6}")
for k, label in names:
    x = r[k]
    print(f"{label:<38} {x['fit_s']:6.2f} {g['fit_s']/x['fit_s']:6.2f} {x['cpu']:6.2f} {x['accuracy']:6.4f} "
          f"{100*(g['accuracy']-x['accuracy']):+6.2f} {x['predict_batch_s']:7.3f} {x['predict_row_us']:7.1f} {x['peak_rss_mb']:6.0f}")
print("fit s per round:", {k: [round(t, 2) for t in v["fits"]] for k, v in r.items()})
print(f"fit s: median wall time; gbdt/x: our fit time over theirs (default gbdt); cpu s: CPU time of the fit; "
      f"gbdt-x: accuracy difference in points; "
      f"batch: {g['predict_batch_rows']} test rows; row: one row through the model")
PYEOF
