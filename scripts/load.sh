#!/usr/bin/env bash
# Measures POST /verify (lksg.v1, 100 suppliers) against a release build of `proof serve`
# on loopback, and GET /healthz as the ceiling: maximum throughput for each, then latency
# percentiles for /verify at half its maximum rate, then POST /proof/adapt (the plan for
# the same request) at maximum rate. Results go to stdout as a Markdown table
# (paste into docs/benchmarks.md with the date).
#
# Needs oha (`cargo install oha --locked`) and python3. Load goes to 127.0.0.1 only, and
# every run is bounded in time.
#
# Usage: scripts/load.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
command -v oha >/dev/null || { echo "oha is missing: cargo install oha --locked" >&2; exit 1; }

cargo build --release -q -p proof-cli
proof=target/release/proof
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 scripts/load-request.py "$proof" "$work/verify.json"

cat > "$work/server.yaml" <<YAML
api: {bind: 127.0.0.1:18080}
admin: {bind: 127.0.0.1:19464}
store: {url: "sqlite://$work/proof.db"}
policy_dir: policies
lists_dir: lists
log: {level: ${PROOF_LOAD_LOG_LEVEL:-info}, format: json}
auth: {mode: "off"}
YAML
# Server on core 0, load generator on core 1: each gets one core, so the numbers measure the
# server rather than the two fighting over both cores (set PROOF_LOAD_NO_PIN=1 to share).
pin_server=() pin_client=()
if [ -z "${PROOF_LOAD_NO_PIN:-}" ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c 0) pin_client=(taskset -c 1)
fi
"${pin_server[@]}" "$proof" serve --config "$work/server.yaml" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf http://127.0.0.1:19464/readyz >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf -H 'content-type: application/json' --data-binary "@$work/verify.json" http://127.0.0.1:18080/verify | grep -q '"verdict": "OK"' \
  || { echo "the verify request does not answer OK" >&2; exit 1; }

oha_json() { "${pin_client[@]}" oha --no-tui --output-format json "$@"; }
verify() { oha_json -m POST -H 'content-type: application/json' -D "$work/verify.json" "$@" http://127.0.0.1:18080/verify; }
trivial() { oha_json "$@" http://127.0.0.1:19464/healthz; }
adapt() { oha_json -m POST -H 'content-type: application/json' -D "$work/verify.json" "$@" http://127.0.0.1:18080/proof/adapt; }

verify -z 3s -c "$conns" >/dev/null   # warm-up
verify -z "${secs}s" -c "$conns" > "$work/verify_max.json"
trivial -z "${secs}s" -c "$conns" > "$work/trivial_max.json"
half=$(python3 -c "import json; print(max(1, int(json.load(open('$work/verify_max.json'))['summary']['requestsPerSec'] / 2)))")
verify -z "${secs}s" -c "$conns" -q "$half" > "$work/verify_half.json"
adapt -z "${secs}s" -c "$conns" > "$work/adapt_max.json"

python3 - "$work" "$secs" "$conns" "$half" <<'PY'
import json, sys
work, secs, conns, half = sys.argv[1:]
def load(name):
    d = json.load(open(f"{work}/{name}.json"))
    s, p = d["summary"], d["latencyPercentiles"]
    codes = d.get("statusCodeDistribution", {})
    return s["requestsPerSec"], p["p50"] * 1e3, p["p95"] * 1e3, p["p99"] * 1e3, codes
rows = [("POST /verify, max rate", "verify_max"), ("GET /healthz (ceiling), max rate", "trivial_max"),
        (f"POST /verify at {half} req/s (half of max)", "verify_half"), ("POST /proof/adapt, max rate", "adapt_max")]
import os
placement = "oha and the server sharing both cores" if os.environ.get("PROOF_LOAD_NO_PIN") else "server pinned to core 0, oha to core 1 (taskset)"
print(f"{conns} connections, {secs} s per run, {placement}\n")
print("| run | req/s | p50 ms | p95 ms | p99 ms | status codes |")
print("|---|---|---|---|---|---|")
res = {}
for label, name in rows:
    rps, p50, p95, p99, codes = load(name)
    res[name] = (rps, p99)
    print(f"| {label} | {rps:,.0f} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {codes} |")
ratio = res["verify_max"][0] / res["trivial_max"][0]
print(f"\n/verify reaches {ratio:.0%} of the trivial endpoint's throughput (target >= 50%); "
      f"p99 at half rate {res['verify_half'][1]:.2f} ms (target < 5 ms)")
PY
