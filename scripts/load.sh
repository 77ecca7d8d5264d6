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
source scripts/load-lib.sh
serve verify 18080 19464 'auth: {mode: "off"}'
curl -sf -H 'content-type: application/json' --data-binary "@$work/verify.json" http://127.0.0.1:18080/verify | grep -q '"verdict": "OK"' \
  || { echo "the verify request does not answer OK" >&2; exit 1; }

api=http://127.0.0.1:18080
verify -z 3s "$api/verify" >/dev/null   # warm-up
verify -z "${secs}s" "$api/verify" > "$work/verify_max.json"
oha_json -z "${secs}s" http://127.0.0.1:19464/healthz > "$work/trivial_max.json"
half=$(python3 -c "import json; print(max(1, int(json.load(open('$work/verify_max.json'))['summary']['requestsPerSec'] / 2)))")
verify -z "${secs}s" -q "$half" "$api/verify" > "$work/verify_half.json"
verify -z "${secs}s" "$api/proof/adapt" > "$work/adapt_max.json"

python3 - "$work" "$secs" "$conns" "$half" <<'PY'
import sys
sys.path.insert(0, "scripts")
from loadreport import header, result
work, secs, conns, half = sys.argv[1:]
rows = [("POST /verify, max rate", "verify_max"), ("GET /healthz (ceiling), max rate", "trivial_max"),
        (f"POST /verify at {half} req/s (half of max)", "verify_half"), ("POST /proof/adapt, max rate", "adapt_max")]
header(conns, secs, ["req/s", "p50 ms", "p95 ms", "p99 ms"])
res = {}
for label, name in rows:
    rps, p50, p95, p99, codes = result(work, name)
    res[name] = (rps, p99)
    print(f"| {label} | {rps:,.0f} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {codes} |")
ratio = res["verify_max"][0] / res["trivial_max"][0]
print(f"\n/verify reaches {ratio:.0%} of the trivial endpoint's throughput (target >= 50%); "
      f"p99 at half rate {res['verify_half'][1]:.2f} ms (target < 5 ms)")
PY
