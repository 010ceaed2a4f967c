#!/bin/sh
# Soak test of mlw's inference server with its prediction log and periodic
# monitoring: the server of bench/serve (main.go serve, the 100-tree gbdt model
# of run.sh) logs every prediction to a SQLite store (-log) and analyses the
# last 10 minutes of the log every $EVERY (-monitor-every), as mlw serve's
# alert loop does; serve-bench load drives it at $RATE requests/s (open loop,
# one row per request) for $SOAK s; the server's resident memory is sampled
# every $SAMPLE s. It prints the series, the slope, first against last, and
# the rows logged.
#
# Usage: bench/serve/soak.sh [ROWS]   (from anywhere in the repository)
#   ROWS      rows of make_classification to generate (default 200000)
# Environment: SOAK (seconds, default 600), RATE (requests/s, default 500),
# EVERY (monitoring interval, default 30s), SAMPLE (seconds between samples,
# default 30), CONNS (load connections, default 16), DATA (default
# /tmp/synth), GEN_SYNTH (default /work/shared/bench/gen_synth.py), PY
# (default /usr/bin/python3).
# Needs Go and /usr/bin/python3 with scikit-learn (Debian: apt-get install -y
# python3-sklearn).
#
# Each sample: seconds since the load started, VmRSS and VmHWM of the server
# (MB), the rows in the prediction log, the server's CPU seconds and the load
# average of the machine. Monitoring reads the 10-minute window page by page
# (10,000 records) into a monitor.Accumulator, whose samples are full after
# at most 50,000 rows (100 s at 500 requests/s): from then on a pass's peak
# memory should not grow with the window's rows.
set -eu
ROWS=${1:-200000}
SOAK=${SOAK:-600}
RATE=${RATE:-500}
EVERY=${EVERY:-30s}
SAMPLE=${SAMPLE:-30}
CONNS=${CONNS:-16}
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

ADDR=127.0.0.1:18085
path=/v1/endpoints/synth/predict
"$bin" serve -bundle "$out/model.mlwb" -addr $ADDR -log "$out/pred.db" -monitor-every "$EVERY" \
	-stats "$out/stats.json" 2>"$out/serve.log" &
srv=$!
pids=$srv
"$bin" wait -url "http://$ADDR/healthz"
"$bin" seq -url "http://$ADDR$path" -body "$out/body.json" -n 10 >/dev/null # answers 200

echo "rows=$ROWS nproc=$(nproc) soak=${SOAK}s rate=$RATE/s monitor every $EVERY, sample every ${SAMPLE}s; load before: $(load)"
sample() { # SECONDS
	rss=$("$bin" rss -pid $srv)
	echo "$1 $rss $("$bin" count -db "$out/pred.db") $("$bin" cpu -pid $srv) $(load)" >>"$out/series.txt"
}
"$bin" load -url "http://$ADDR$path" -body "$out/body.json" -rate "$RATE" -conns "$CONNS" \
	-warmup 0s -duration "${SOAK}s" >"$out/load.json" &
loader=$!
pids="$srv $loader"
start=$(date +%s)
i=0
while [ $((i * SAMPLE)) -le "$SOAK" ]; do
	at=$((start + i * SAMPLE))
	now=$(date +%s)
	[ "$now" -ge "$at" ] || sleep $((at - now))
	sample $((i * SAMPLE))
	i=$((i + 1))
done
wait $loader || { echo "soak.sh: the load generator failed" >&2; exit 1; }
echo "load after: $(load)"
kill -TERM $srv
wait $srv || { echo "soak.sh: the server failed:" >&2; cat "$out/serve.log" >&2; exit 1; }
pids=""
"$bin" count -db "$out/pred.db" >"$out/count.txt"
grep -E "level=(WARN|ERROR)" "$out/serve.log" | head -5 || true
"$PY" - "$out" <<'PYEOF'
import json, sys
d = sys.argv[1]
series = []
for line in open(f"{d}/series.txt"):
    t, rss_json = line.split(" ", 1)
    j = rss_json.index("}") + 1
    rss = json.loads(rss_json[:j])
    rows, cpu, *load = rss_json[j:].split()
    series.append((int(t), rss["vmrss_mb"], rss["vmhwm_mb"], int(rows), float(cpu), " ".join(load)))
stats = json.load(open(f"{d}/stats.json"))
lg = json.load(open(f"{d}/load.json"))
rows = int(open(f"{d}/count.txt").read())

def slope(pts):  # least squares, MB per minute
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return 60 * sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else float("nan")

print()
print(f"{'t s':>5} {'RSS MB':>7} {'peak MB':>7} {'rows':>8} {'CPU s':>7}  load average")
for t, r, h, n, c, la in series:
    print(f"{t:5d} {r:7.1f} {h:7.1f} {n:8d} {c:7.1f}  {la}")
first, last = series[0], series[-1]
half = [p for p in series if p[0] >= series[-1][0] / 2]
print()
print(f"RSS first {first[1]:.1f} MB, last {last[1]:.1f} MB: growth {last[1] - first[1]:+.1f} MB "
      f"({100 * (last[1] - first[1]) / first[1]:+.0f}%); peak {max(p[2] for p in series):.1f} MB")
print(f"RSS slope: {slope([(p[0], p[1]) for p in series]):+.2f} MB/min over the run, "
      f"{slope([(p[0], p[1]) for p in half]):+.2f} MB/min over its second half; "
      f"from the {series[1][0]} s sample ({series[1][1]:.1f} MB) to the last: {last[1] - series[1][1]:+.1f} MB")
# A sample falls between monitoring passes or during one, and the runtime
# returns freed memory to the system minutes later, so the RSS series is
# noisy; the peak (VmHWM) is what a pass costs at most.
m = stats["monitor"]
print(f"peak slope: {slope([(p[0], p[2]) for p in series]):+.2f} MB/min over the run, "
      f"{slope([(p[0], p[2]) for p in half]):+.2f} MB/min over its second half; peak growth {last[2] - first[2]:+.1f} MB"
      + (f", {1e3 * (last[2] - first[2]) / m['max_rows']:.2f} KB per row of the largest window read" if m["max_rows"] else ""))
print(f"monitoring: {m['passes']} passes, {m['errors']} errors, up to {m['max_rows']} rows read per pass, "
      f"{m['total_seconds'] / max(m['passes'], 1):.2f} s per pass on average, {m['max_seconds']:.2f} s at most")
print(f"prediction log: {stats['logged']} records logged, {stats['dropped']} dropped; {rows} rows in the table")
L = lg["latency"]
print(f"load: {lg['achieved_rps']:.0f} requests/s intended over {lg['latency']['n']:.0f} requests, {lg['errors']} errors; "
      f"latency p50 {L['p50_us'] / 1e3:.3f} ms, p99 {L['p99_us'] / 1e3:.3f} ms, p99.9 {L['p999_us'] / 1e3:.3f} ms, max {L['max_us'] / 1e3:.1f} ms")
PYEOF
