"""Reads the wrk runs of the serving benchmarks (run.sh, logging.sh)."""
import re
import statistics


def cpu_seconds(d):
    """CPU seconds each run used: cpu.txt has 'name before after' lines."""
    cpu = {}
    for line in open(f"{d}/cpu.txt"):
        k, a, b = line.split()
        cpu[k] = float(b) - float(a)
    return cpu


def wrk(d, name, cpu):
    """requests/s, p99 ms, errors, CPU µs per request and requests of one run."""
    text = open(f"{d}/wrk_{name}.txt").read()
    count = int(re.search(r"(\d+) requests in", text).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    p99_ms = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
    errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors += int(non2xx.group(1)) if non2xx else 0
    return rps, p99_ms, errors, 1e6 * cpu[name] / count, count


def read_runs(d, names, rounds):
    """The runs of each server (runs[name][round]) and their summary
    (w[name] = median req/s, median p99, total errors, median CPU µs/req)."""
    cpu = cpu_seconds(d)
    med = statistics.median
    runs = {k: [wrk(d, f"{k}_{r}", cpu) for r in range(1, rounds + 1)] for k in names}
    w = {k: (med(x[0] for x in runs[k]), med(x[1] for x in runs[k]), sum(x[2] for x in runs[k]),
             med(x[3] for x in runs[k])) for k in names}
    return runs, w
