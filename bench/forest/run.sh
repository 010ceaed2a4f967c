#!/usr/bin/env bash
# Tree and forest benchmark: mlw against scikit-learn on the same data, in one
# run, one model per process (for a clean peak RSS), printing a table with
# ratios (mlw / scikit-learn; below 1 means mlw is faster or smaller).
#
# Usage: bench/forest/run.sh [ROWS] [TREES] [JOBS] [MODELS]
#   ROWS   synthetic rows (default 200000), written once to /tmp/synth by
#          shared/bench/gen_synth.py ($GEN_SYNTH, default ../shared/bench
#          next to the repository; never commit data files)
#   TREES  trees per forest (default 100)
#   JOBS   parallel workers on both sides (default 2)
#   MODELS comma-separated subset of tree,forest,extratrees (default all)
# Needs Go and /usr/bin/python3 with scikit-learn (Debian python3-sklearn).
set -euo pipefail
cd "$(dirname "$0")/../.."

rows=${1:-200000}
trees=${2:-100}
jobs=${3:-2}
models=${4:-tree,forest,extratrees}
data=/tmp/synth
csv=$data/synth_clf_$rows.csv
py=/usr/bin/python3

gen=${GEN_SYNTH:-../shared/bench/gen_synth.py}
if [ ! -f "$csv" ]; then
  "$py" "$gen" "$rows" "$data" >/dev/null
fi

bin=$(mktemp -d)/forestbench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/forest

out=$(mktemp)
for m in ${models//,/ }; do
  "$bin" -csv "$csv" -model "$m" -trees "$trees" -jobs "$jobs" | sed 's/^/mlw /' >>"$out"
  "$py" bench/forest/sklearn_bench.py "$csv" "$trees" "$jobs" "$m" | sed 's/^/sklearn /' >>"$out"
done

"$py" - "$out" "$rows" "$trees" "$jobs" <<'PY'
import json, sys
path, rows, trees, jobs = sys.argv[1:]
res = {}
for line in open(path):
    side, doc = line.split(" ", 1)
    d = json.loads(doc)
    res[(d["model"], side)] = d
print(f"{rows} rows x 30 features (80% train, 20% test), {trees} trees per forest, {jobs} workers (n_jobs)")
print(f"{'model':<11} {'metric':<16} {'mlw':>10} {'sklearn':>10} {'ratio':>7}")
for model in ["tree", "forest", "extratrees"]:
    if (model, "mlw") not in res:
        continue
    a, b = res[(model, "mlw")], res[(model, "sklearn")]
    for key in ["fit_seconds", "fit_cpu_seconds", "predict_seconds", "accuracy", "peak_rss_mb", "nodes"]:
        ratio = a[key] / b[key] if b[key] else float("nan")
        print(f"{model:<11} {key:<16} {a[key]:>10} {b[key]:>10} {ratio:>7.2f}")
PY
rm -f "$out"
