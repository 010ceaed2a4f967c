#!/bin/sh
# Benchmark mlw's inference server (internal/serve) against a bare net/http
# handler returning a fixed JSON body and against FastAPI + uvicorn (1 worker)
# serving scikit-learn's HistGradientBoostingClassifier, in one run, with one
# 100-tree gradient-boosting model of 30 numeric features and one row per
# request, and print a table of ratios. FastAPI runs three times: written as
# such servers usually are ("fastapi_typ", fastapi_typical.py: a pydantic
# request model, the rows into a pandas DataFrame, as MLflow's scoring server
# does), hand-tuned (fastapi_server.py: the JSON read into numpy) as installed
# ("fastapi": scikit-learn predicts on one OpenMP thread per core), and
# hand-tuned with OMP_NUM_THREADS=1 ("fastapi1").
#
# Usage: bench/serve/run.sh [ROWS]   (from anywhere in the repository)
#   ROWS      rows of make_classification to generate (default 200000); both
#             models fit on the first 80%, the request is the first held-out row
# Environment: ROUNDS (default 3), DURATION (seconds of each wrk run, default
# 5), CONNS (default 32), RATE (fixed-rate test, default 1000 requests/s), DATA (default
# /tmp/synth), GEN_SYNTH (default /work/shared/bench/gen_synth.py), PY
# (default /usr/bin/python3).
# Needs Go, wrk and /usr/bin/python3 with FastAPI, uvicorn and scikit-learn
# (Debian: apt-get install -y wrk python3-fastapi python3-uvicorn python3-sklearn).
# The data is written to $DATA and never committed.
#
# What is measured (all on 127.0.0.1, the load generator sharing the cores):
#   throughput  wrk -t2 -c$CONNS for $DURATION s against each server, after a
#               2 s warm-up, $ROUNDS rounds taking the servers in turn:
#               medians of requests/s and p99, and of the per-round ratios
#               (the p99 ratio with its range over the rounds: at saturation
#               it moves with the machine's other load by about ±0.1);
#   fixed rate  $RATE requests/s for 10 s from serve-bench load (open loop,
#               latency from each request's intended start), bare and mlw;
#   sequential  5000 requests one after the other on one connection: median;
#   memory      the mlw server's resident set after the runs, and its peak;
#   CPU         the CPU time each server used per request answered under wrk
#               (from /proc/PID/stat): a cost that other work on the machine
#               disturbs much less than requests/s;
#   in-process  the model alone, mlw's whole handler and the bare handler
#               called without the network (fastest of 200 chunks of 500, in turn).
set -eu
ROWS=${1:-200000}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-32}
RATE=${RATE:-1000}
NEED_WRK=1
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

BARE=127.0.0.1:18081
MLW=127.0.0.1:18082
FAST=127.0.0.1:18083
FAST1=127.0.0.1:18084
FASTT=127.0.0.1:18085
path=/v1/endpoints/synth/predict
"$bin" bare -addr $BARE &
bare_pid=$!
"$bin" serve -bundle "$out/model.mlwb" -addr $MLW 2>"$out/mlw.log" &
mlw_pid=$!
# FastAPI as installed: scikit-learn's prediction runs on OpenMP threads, one
# per core, as a user's server would; and tuned to one OpenMP thread, which
# suits one-row requests on cores shared with the load generator.
env -u OMP_NUM_THREADS "$PY" "$here/fastapi_server.py" "$csv" 18083 &
fast_pid=$!
OMP_NUM_THREADS=1 "$PY" "$here/fastapi_server.py" "$csv" 18084 &
fast1_pid=$!
env -u OMP_NUM_THREADS "$PY" "$here/fastapi_typical.py" "$csv" 18085 &
fastt_pid=$!
pids="$bare_pid $mlw_pid $fast_pid $fast1_pid $fastt_pid"
"$bin" wait -url "http://$BARE/"
"$bin" wait -url "http://$MLW/healthz"
"$bin" wait -url "http://$FAST/healthz"
"$bin" wait -url "http://$FAST1/healthz"
"$bin" wait -url "http://$FASTT/healthz"
"$bin" seq -url "http://$MLW$path" -body "$out/body.json" -n 10 >/dev/null # answers 200

echo "rows=$ROWS nproc=$(nproc) rounds=$ROUNDS duration=${DURATION}s conns=$CONNS load before: $(load)"
addr_of() {
	case $1 in
	bare) echo $BARE ;;
	mlw) echo $MLW ;;
	fastapi) echo $FAST ;;
	fastapi1) echo $FAST1 ;;
	fastapi_typ) echo $FASTT ;;
	esac
}
pid_of() {
	case $1 in
	bare) echo $bare_pid ;;
	mlw) echo $mlw_pid ;;
	fastapi) echo $fast_pid ;;
	fastapi1) echo $fast1_pid ;;
	fastapi_typ) echo $fastt_pid ;;
	esac
}
for name in bare mlw fastapi fastapi1 fastapi_typ; do # warm-up
	wrk -t2 -c"$CONNS" -d2s -s "$out/post.lua" "http://$(addr_of $name)$path" >/dev/null
done
# Rounds alternate the servers so that a change in the machine's load (other
# work on the same cores) hits all of them alike; the table shows medians.
for r in $(seq "$ROUNDS"); do
	for name in bare mlw fastapi fastapi1 fastapi_typ; do
		echo "${name}_$r $(load)" >>"$out/load.txt"
		cpu0=$("$bin" cpu -pid "$(pid_of $name)")
		wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$out/post.lua" "http://$(addr_of $name)$path" >"$out/wrk_${name}_$r.txt"
		echo "${name}_$r $cpu0 $("$bin" cpu -pid "$(pid_of $name)")" >>"$out/cpu.txt"
	done
done
for name in bare mlw; do
	echo "rate_$name $(load)" >>"$out/load.txt"
	"$bin" load -url "http://$(addr_of $name)$path" -body "$out/body.json" -rate "$RATE" -duration 10s >"$out/rate_$name.json"
	echo "seq_$name $(load)" >>"$out/load.txt"
	"$bin" seq -url "http://$(addr_of $name)$path" -body "$out/body.json" -n 5000 >"$out/seq_$name.json"
done
"$bin" rss -pid $mlw_pid >"$out/rss.json"
echo "micro $(load)" >>"$out/load.txt"
"$bin" micro -bundle "$out/model.mlwb" -body "$out/body.json" >"$out/micro.json"
echo "load after: $(load)"
"$PY" - "$out" "$RATE" "$ROUNDS" "$here/wrkparse.py" <<'PYEOF'
import json, os, re, statistics, sys
d, rate, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
med = statistics.median

sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[4])))
from wrkparse import read_runs
loads = dict(line.split(" ", 1) for line in open(f"{d}/load.txt").read().splitlines())
names = ["bare", "mlw", "fastapi", "fastapi1", "fastapi_typ"]
runs, w = read_runs(d, names, rounds)
rate_ = {k: json.load(open(f"{d}/rate_{k}.json")) for k in ["bare", "mlw"]}
seq_ = {k: json.load(open(f"{d}/seq_{k}.json")) for k in ["bare", "mlw"]}
rss = json.load(open(f"{d}/rss.json"))
b, m, f = w["bare"], w["mlw"], w["fastapi"]
ratio_bare = med(runs["mlw"][i][0] / runs["bare"][i][0] for i in range(rounds))
ratio_fast = med(runs["mlw"][i][0] / runs["fastapi"][i][0] for i in range(rounds))
ratio_fast1 = med(runs["mlw"][i][0] / runs["fastapi1"][i][0] for i in range(rounds))
ratio_fastt = med(runs["mlw"][i][0] / runs["fastapi_typ"][i][0] for i in range(rounds))
ratio_bare_fast = med(runs["bare"][i][0] / runs["fastapi"][i][0] for i in range(rounds))
p99_ratios = [runs["mlw"][i][1] / runs["bare"][i][1] for i in range(rounds)]
ratio_p99 = med(p99_ratios)
print()
print(f"{'server':<11} {'req/s':>9} {'p99 ms':>8} {'errors':>6} {'CPU us/req':>10}   per round: req/s, p99 ms, load average (1/5/15 min) at its start")
for k in names:
    per = "; ".join(f"{x[0]:.0f}, {x[1]:.2f}, {loads[f'{k}_{i+1}']}" for i, x in enumerate(runs[k]))
    print(f"{k:<11} {w[k][0]:9.0f} {w[k][1]:8.2f} {w[k][2]:6d} {w[k][3]:10.1f}   {per}")
rb, rm = rate_["bare"], rate_["mlw"]
print()
print(f"fixed rate {rate}/s, 10 s ({rm['conns']} connections, open loop; latency from the intended start, service time in brackets):")
for k, r in [("bare", rb), ("mlw", rm)]:
    L, S = r["latency"], r["service"]
    print(f"  {k:<5} p50 {L['p50_us']/1e3:.3f} ms  p99 {L['p99_us']/1e3:.3f} ms ({S['p99_us']/1e3:.3f})  p99.9 {L['p999_us']/1e3:.3f} ms  "
          f"max {L['max_us']/1e3:.1f} ms  errors {r['errors']}   load {loads['rate_' + k]}")
sb, sm = seq_["bare"], seq_["mlw"]
print(f"sequential, one connection: median bare {sb['p50_us']:.1f} us, mlw {sm['p50_us']:.1f} us "
      f"(p99 {sb['p99_us']:.1f} / {sm['p99_us']:.1f} us)   load {loads['seq_bare']} / {loads['seq_mlw']}")
mi = json.load(open(f"{d}/micro.json"))
print(f"in-process, no network: model alone {mi['model_ns']/1e3:.2f} us, mlw handler {mi['mlw_handler_ns']/1e3:.2f} us, "
      f"bare handler {mi['bare_handler_ns']/1e3:.2f} us   load {loads['micro']}")
print(f"mlw server memory: RSS {rss['vmrss_mb']:.1f} MB after all runs, peak {rss['vmhwm_mb']:.1f} MB")
print()
print("target (ratios: median over the rounds)         measured                   ok")
rows = [
    ("req/s >= 70% of bare", f"{100*ratio_bare:.1f}%", ratio_bare >= 0.7),
    ("req/s >= 100x FastAPI, usual (pydantic, pandas)", f"{ratio_fastt:.0f}x", ratio_fastt >= 100),
    ("req/s >= 100x FastAPI, hand-tuned (numpy)", f"{ratio_fast:.0f}x (bare: {ratio_bare_fast:.0f}x)", ratio_fast >= 100),
    ("p99 <= 1.5x bare (same concurrency)", f"{ratio_p99:.2f}x ({min(p99_ratios):.2f}-{max(p99_ratios):.2f})", ratio_p99 <= 1.5),
    (f"p99 < 2 ms at {rate} req/s", f"{rm['latency']['p99_us']/1e3:.3f} ms", rm['latency']['p99_us'] < 2000),
    ("sequential median within 50 us of bare", f"+{sm['p50_us']-sb['p50_us']:.1f} us", sm['p50_us'] - sb['p50_us'] <= 50),
    ("memory < 100 MB", f"{rss['vmhwm_mb']:.1f} MB peak", rss['vmhwm_mb'] < 100),
]
rows.append(("(req/s vs hand-tuned FastAPI, OMP_NUM_THREADS=1)", f"{ratio_fast1:.0f}x", ratio_fast1 >= 100))
rows.append(("(CPU per request: bare / mlw, for reference)", f"{100*b[3]/m[3]:.1f}% ({b[3]:.1f} / {m[3]:.1f} us)", b[3] / m[3] >= 0.7))
for name, got, ok in rows:
    print(f"{name:<47} {got:<26} {'yes' if ok else 'NO'}")
PYEOF
