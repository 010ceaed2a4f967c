#!/bin/sh
# Measure what the prediction log costs mlw's inference server: the same
# server (bench/serve main.go serve, the 100-tree gbdt model of run.sh) without
# a prediction log and with one (-log: internal/predlog writing one record per
# row to a SQLite store, as mlw serve does by default), under the load of the
# deployment benchmark (wrk -t2 -c$CONNS, one row per request), in one run.
# FastAPI is not involved.
#
# Usage: bench/serve/logging.sh [ROWS]   (from anywhere in the repository)
#   ROWS      rows of make_classification to generate (default 200000)
# Environment: ROUNDS (default 3), DURATION (seconds of each wrk run, default
# 5), CONNS (default 32), RATE (fixed-rate test, default 1000 requests/s; 0
# skips it), DATA (default /tmp/synth), GEN_SYNTH (default
# /work/shared/bench/gen_synth.py), PY (default /usr/bin/python3), PROFILE (a
# file: the logged server writes its CPU profile there; it slows that server,
# so take the ratio from a run without it).
# Needs Go, wrk and /usr/bin/python3 with scikit-learn
# (Debian: apt-get install -y wrk python3-sklearn).
#
# What is measured (all on 127.0.0.1, the load generator sharing the cores):
#   throughput  wrk -t2 -c$CONNS for $DURATION s against each server, after a
#               2 s warm-up, $ROUNDS rounds taking the two in turn: medians of
#               requests/s and p99, and the median of the per-round ratios
#               logged / unlogged;
#   CPU         the CPU time each server used per request answered, read 2 s
#               after each wrk run so that the log's last flush is counted;
#   fixed rate  $RATE requests/s for 10 s from serve-bench load (open loop),
#               both servers: p99 latency from each request's intended start;
#   the log     records logged and dropped (predlog Logged and Dropped, from
#               the server on shutdown) and the rows in the store's table.
set -eu
ROWS=${1:-200000}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-32}
RATE=${RATE:-1000}
PROFILE=${PROFILE:-}
NEED_WRK=1
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

PLAIN=127.0.0.1:18082
LOGGED=127.0.0.1:18084
path=/v1/endpoints/synth/predict
"$bin" serve -bundle "$out/model.mlwb" -addr $PLAIN 2>"$out/plain.log" &
plain_pid=$!
"$bin" serve -bundle "$out/model.mlwb" -addr $LOGGED -log "$out/pred.db" -stats "$out/stats.json" \
	${PROFILE:+-cpuprofile "$PROFILE"} 2>"$out/logged.log" &
logged_pid=$!
pids="$plain_pid $logged_pid"
"$bin" wait -url "http://$PLAIN/healthz"
"$bin" wait -url "http://$LOGGED/healthz"
"$bin" seq -url "http://$PLAIN$path" -body "$out/body.json" -n 10 >/dev/null # answers 200
"$bin" seq -url "http://$LOGGED$path" -body "$out/body.json" -n 10 >/dev/null

echo "rows=$ROWS nproc=$(nproc) rounds=$ROUNDS duration=${DURATION}s conns=$CONNS load before: $(load)"
addr_of() {
	case $1 in
	plain) echo $PLAIN ;;
	logged) echo $LOGGED ;;
	esac
}
pid_of() {
	case $1 in
	plain) echo $plain_pid ;;
	logged) echo $logged_pid ;;
	esac
}
for name in plain logged; do # warm-up
	wrk -t2 -c"$CONNS" -d2s -s "$out/post.lua" "http://$(addr_of $name)$path" >/dev/null
done
sleep 2
# Rounds alternate the two servers so that a change in the machine's load
# (other work on the same cores) hits both alike.
for r in $(seq "$ROUNDS"); do
	for name in plain logged; do
		echo "${name}_$r $(load)" >>"$out/load.txt"
		cpu0=$("$bin" cpu -pid "$(pid_of $name)")
		wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$out/post.lua" "http://$(addr_of $name)$path" >"$out/wrk_${name}_$r.txt"
		sleep 2 # the log's last partial batch is written within 1 s
		echo "${name}_$r $cpu0 $("$bin" cpu -pid "$(pid_of $name)")" >>"$out/cpu.txt"
	done
done
if [ "$RATE" != 0 ]; then
	for name in plain logged; do
		echo "rate_$name $(load)" >>"$out/load.txt"
		"$bin" load -url "http://$(addr_of $name)$path" -body "$out/body.json" -rate "$RATE" -duration 10s >"$out/rate_$name.json"
	done
fi
"$bin" rss -pid $plain_pid >"$out/rss_plain.json"
"$bin" rss -pid $logged_pid >"$out/rss_logged.json"
echo "load after: $(load)"
# Stop the logged server: it flushes the log and writes its counts.
kill -TERM $plain_pid $logged_pid
{ wait $plain_pid && wait $logged_pid; } || { echo "logging.sh: a server failed:" >&2; cat "$out/plain.log" "$out/logged.log" >&2; exit 1; }
pids=""
"$bin" count -db "$out/pred.db" >"$out/count.txt"
du -k "$out"/pred.db* | awk '{s += $1} END {print s}' >"$out/dbsize.txt"
"$PY" - "$out" "$RATE" "$ROUNDS" "$here/wrkparse.py" <<'PYEOF'
import json, os, re, statistics, sys
d, rate, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
med = statistics.median

sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[4])))
from wrkparse import read_runs
loads = dict(line.split(" ", 1) for line in open(f"{d}/load.txt").read().splitlines())
names = ["plain", "logged"]
runs, w = read_runs(d, names, rounds)
ratio = med(runs["logged"][i][0] / runs["plain"][i][0] for i in range(rounds))
ratio_p99 = med(runs["logged"][i][1] / runs["plain"][i][1] for i in range(rounds))
ratio_cpu = med(runs["logged"][i][3] / runs["plain"][i][3] for i in range(rounds))
stats = json.load(open(f"{d}/stats.json"))
rows = int(open(f"{d}/count.txt").read())
db_mb = int(open(f"{d}/dbsize.txt").read()) / 1024
rss = {k: json.load(open(f"{d}/rss_{k}.json")) for k in names}
print()
print(f"{'server':<8} {'req/s':>9} {'p99 ms':>8} {'errors':>6} {'CPU us/req':>10} {'RSS MB':>7}   per round: req/s, p99 ms, CPU us/req, load average (1/5/15 min) at its start")
for k in names:
    per = "; ".join(f"{x[0]:.0f}, {x[1]:.2f}, {x[3]:.1f}, {loads[f'{k}_{i+1}']}" for i, x in enumerate(runs[k]))
    print(f"{k:<8} {w[k][0]:9.0f} {w[k][1]:8.2f} {w[k][2]:6d} {w[k][3]:10.1f} {rss[k]['vmhwm_mb']:7.1f}   {per}")
if rate != "0":
    print()
    print(f"fixed rate {rate}/s, 10 s (open loop; latency from the intended start, service time in brackets):")
    for k in names:
        r = json.load(open(f"{d}/rate_{k}.json"))
        L, S = r["latency"], r["service"]
        print(f"  {k:<7} p50 {L['p50_us']/1e3:.3f} ms  p99 {L['p99_us']/1e3:.3f} ms ({S['p99_us']/1e3:.3f})  p99.9 {L['p999_us']/1e3:.3f} ms  "
              f"max {L['max_us']/1e3:.1f} ms  errors {r['errors']}   load {loads['rate_' + k]}")
print()
print(f"prediction log: {stats['logged']} records logged, {stats['dropped']} dropped; {rows} rows in the table; store {db_mb:.1f} MB")
print()
print("target (ratios: median over the rounds)             measured                   ok")
print(f"{'logged req/s >= 95% of unlogged':<51} {100*ratio:.1f}%{'':<20} {'yes' if ratio >= 0.95 else 'NO'}")
print(f"{'(p99 logged / unlogged)':<51} {ratio_p99:.2f}x")
print(f"{'(CPU per request logged / unlogged)':<51} {ratio_cpu:.2f}x ({w['logged'][3] - w['plain'][3]:+.1f} us/req)")
print(f"{'no record dropped':<51} {stats['dropped']:<26} {'yes' if stats['dropped'] == 0 else 'NO'}")
PYEOF
