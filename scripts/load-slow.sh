#!/usr/bin/env bash
# /healthz and /verify while 2,000 slow clients are connected: `proof serve` (dist
# profile, auth off, default limits) is measured at a fixed rate (half of /verify's
# maximum, the same for both routes) without slow clients, then again while
# scripts/slow-clients.py keeps CLIENTS connections open from 8 loopback addresses (idle,
# head sent a byte a second, body sent a byte a second). Target: p99 with slow clients
# within 2x of p99 without. Markdown table on stdout for docs/benchmarks.md.
#
# Needs oha (`cargo install oha --locked`), python3 and curl. Load goes to 127.0.0.0/8
# only, and every run is bounded in time.
#
# Usage: scripts/load-slow.sh [SECONDS] [CONNECTIONS] [CLIENTS]   (defaults 10, 32, 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
clients=${3:-2000}
source scripts/load-lib.sh
serve off 18080 19464 'auth: {mode: "off"}'
api=http://127.0.0.1:18080
verify -z 3s "$api/verify" >/dev/null   # warm-up
verify -z 5s "$api/verify" > "$work/max.json"
rate=$(python3 -c "import json; print(max(1, int(json.load(open('$work/max.json'))['summary']['requestsPerSec'] / 2)))")
run() {
  oha_json -z "${secs}s" -q "$rate" http://127.0.0.1:19464/healthz > "$work/healthz_$1.json"
  verify -z "${secs}s" -q "$rate" "$api/verify" > "$work/verify_$1.json"
}
run plain
open_now() { curl -sf http://127.0.0.1:19464/metrics | awk '/^proof_connections_open\{listener="api"\}/ {print $2}'; }
"${pin_client[@]}" python3 scripts/slow-clients.py 127.0.0.1:18080 "$clients" $((2 * secs + 20)) > "$work/slow.json" &
slow=$!
pids+=($slow)
for _ in $(seq 1 100); do
  [ "$(open_now)" -ge "$clients" ] 2>/dev/null && break
  sleep 0.1
done
echo "slow clients connected: $(open_now)" >&2
run slow
connected=$(open_now)
wait "$slow" || true
curl -sf http://127.0.0.1:19464/metrics | grep -E '^proof_connections_(refused|timed_out)_total\{listener="api"' > "$work/conn_metrics.txt" || true

python3 - "$work" "$secs" "$conns" "$rate" "$clients" "$connected" <<'PY'
import json, sys
sys.path.insert(0, "scripts")
from loadreport import header, result
work, secs, conns, rate, clients, connected = sys.argv[1:]
header(conns, secs, ["req/s", "p50 ms", "p99 ms"])
p99 = {}
for route, name in [("GET /healthz", "healthz"), ("POST /verify", "verify")]:
    for phase, label in [("plain", "no slow clients"), ("slow", f"{clients} slow clients")]:
        rps, p50, _, p, codes = result(work, f"{name}_{phase}")
        p99[(name, phase)] = p
        print(f"| {route} at {rate} req/s, {label} | {rps:,.0f} | {p50:.2f} | {p:.2f} | {codes} |")
print(f"\nSlow clients still connected at the end of the measured runs: {connected}; "
      f"slow-clients.py: {open(f'{work}/slow.json').read().strip()}")
print("\n" + open(f"{work}/conn_metrics.txt").read().strip())
print("\n| target | measured | met |\n|---|---|---|")
for name, route in [("healthz", "GET /healthz"), ("verify", "POST /verify")]:
    x = p99[(name, "slow")] / p99[(name, "plain")]
    print(f"| {route} p99 with slow clients within 2x of without | {x:.2f}x | {'yes' if x <= 2 else 'no'} |")
PY
