#!/bin/sh
# Benchmark mlw's logistic regression against scikit-learn's on 200,000 × 30
# synthetic rows (gen_synth.py) and print a table with the fit-time ratio.
# Usage: bench/linear/run.sh [ROWS]   (from anywhere; needs /usr/bin/python3
# with scikit-learn and pandas). The data is written to /tmp/synth and never
# committed.
set -eu
rows=${1:-200000}
root=$(cd "$(dirname "$0")/../.." && pwd)
data=/tmp/synth/synth_clf_${rows}.csv
if [ ! -f "$data" ]; then
	/usr/bin/python3 /work/shared/bench/gen_synth.py "$rows" /tmp/synth
fi
cd "$root"
go run ./bench/linear -data "$data" -repeats "${REPEATS:-5}"
