#!/usr/bin/env bash
# Where a pinned server's time per request goes: samples `proof serve` with `perf record`
# (cpu-clock, so it also works where hardware counters do not) while oha drives POST /verify
# (lksg.v1, 100 suppliers) and then GET /healthz at maximum rate, and the floor server
# (examples/floor.rs) while oha drives it, and prints microseconds per request for each,
# split into the server binary, libc and the kernel, followed by the functions that /healthz
# spends more time in than the floor, and those that only /verify runs. Complements scripts/callgrind-verify.sh, which counts
# instructions but not stalls, cache misses or kernel time.
#
# Needs oha, perf (Debian linux-perf) and python3; the server on core 0, oha on core 1.
# Usage: scripts/perf-verify.sh [SECONDS]   (default 8 of sampling per endpoint)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-8}
conns=32
command -v perf >/dev/null || { echo "perf is missing (Debian package linux-perf)" >&2; exit 1; }
source scripts/load-lib.sh
serve perf 18082 19466 'auth: {mode: "off"}'
server=${pids[0]}
serve_floor 19998
floor_pid=${pids[-1]}
verify -z 2s http://127.0.0.1:18082/verify >/dev/null   # warm-up
sample() {  # NAME DRIVER URL [PID]: PID (the proof server) sampled while the driver runs
  local name=$1 driver=$2 url=$3 pid=${4:-$server}
  "$driver" -z "$((secs + 2))s" "$url" > "$work/perf_$name.json" &
  local load=$!
  sleep 1
  perf record -q -e cpu-clock -F 2000 -p "$pid" -o "$work/perf_$name.data" -- sleep "$secs" >/dev/null 2>&1
  wait "$load"
  perf report -i "$work/perf_$name.data" --sort dso,sym --stdio --percent-limit 0 2>/dev/null \
    | grep -v '^#' > "$work/perf_$name.txt"
}
sample verify verify http://127.0.0.1:18082/verify
sample healthz oha_json http://127.0.0.1:19466/healthz
sample floor oha_json http://127.0.0.1:19998/ "$floor_pid"
python3 - "$work" "$(basename "$proof")" "$(basename "$floor")" <<'PY'
import json, re, sys
work, binary, floor_bin = sys.argv[1], sys.argv[2], sys.argv[3]
def load(name):
    run = json.load(open(f"{work}/perf_{name}.json"))
    rate = run["summary"]["requestsPerSec"]
    codes = run.get("statusCodeDistribution", {})
    if set(codes) != {"200"}:
        sys.exit(f"{name}: not every answer was 200: {codes}")
    us = {}
    for line in open(f"{work}/perf_{name}.txt"):
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)", line)
        if m:
            us[(m.group(2), m.group(3).strip())] = float(m.group(1)) * 1e4 / rate
    return rate, us
(vr, v), (hr, h), (fr, f) = load("verify"), load("healthz"), load("floor")
print(f"req/s while sampled: POST /verify {vr:,.0f}, GET /healthz {hr:,.0f}, floor {fr:,.0f} "
      f"(/healthz {hr / fr:.0%} of the floor, /verify {vr / fr:.0%})")
print("microseconds per request:")
print(f"  {'':20} {'/verify':>8} {'/healthz':>8} {'floor':>8}")
for dsos, label in [((binary, floor_bin), "server binary"), (("libc.so.6",), "libc"), (("[kernel.kallsyms]",), "kernel")]:
    cols = [sum(x for k, x in p.items() if k[0] in dsos) for p in (v, h, f)]
    print(f"  {label:20} " + " ".join(f"{c:8.1f}" for c in cols))
print(f"  {'total (sampled)':20} {sum(v.values()):8.1f} {sum(h.values()):8.1f} {sum(f.values()):8.1f}")
def by_symbol(p):
    out = {}
    for (_, sym), x in p.items():
        out[sym] = out.get(sym, 0.0) + x
    return out
hs, fs = by_symbol(h), by_symbol(f)
print("what /healthz spends beyond the floor, microseconds per request:")
for sym, x in sorted(((s_, x - fs.get(s_, 0.0)) for s_, x in hs.items()), key=lambda kx: -kx[1])[:15]:
    print(f"  {x:6.2f}  {sym[:100]}")
print("functions only /verify runs, microseconds per request:")
for k, x in sorted(((k, x) for k, x in v.items() if k not in h), key=lambda kx: -kx[1])[:15]:
    print(f"  {x:6.2f}  {k[1][:100]}")
PY
