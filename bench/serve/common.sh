# Shared setup of the serving benchmarks (run.sh, logging.sh, soak.sh), sourced
# after ROWS is set: the data (generated once into $DATA), a temporary
# directory $out removed on exit with the processes listed in $pids, the
# serve-bench binary $bin, and the fitted bundle $out/model.mlwb with one
# request body $out/body.json, the wrk script $out/post.lua that posts it,
# and load, the load average. NEED_WRK=1 checks that wrk is installed.
DATA=${DATA:-/tmp/synth}
GEN_SYNTH=${GEN_SYNTH:-/work/shared/bench/gen_synth.py}
PY=${PY:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
if [ "${NEED_WRK:-0}" = 1 ]; then
	command -v wrk >/dev/null || { echo "$(basename "$0"): wrk not found (apt-get install -y wrk)" >&2; exit 1; }
fi
csv=$DATA/synth_clf_$ROWS.csv
[ -f "$csv" ] || "$PY" "$GEN_SYNTH" "$ROWS" "$DATA" >&2
out=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$out"
}
trap cleanup EXIT INT TERM
(cd "$here" && go build -o "$out/serve-bench" .)
bin=$out/serve-bench
"$bin" fit -csv "$csv" -out "$out"

cat >"$out/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$out/body.json")
wrk.body = f:read("*a")
f:close()
EOF
load() { cut -d' ' -f1-3 /proc/loadavg; }
