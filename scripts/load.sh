#!/usr/bin/env bash
# Measures POST /verify (lksg.v1, 100 suppliers) against `proof serve` built with the dist
# profile, on loopback, and GET /healthz as the ceiling: maximum throughput for each,
# alternating in ROUNDS rounds, then latency percentiles for /verify at half its median
# maximum rate, then POST /proof/adapt (the plan for the same request) at maximum rate.
# Results go to stdout as a Markdown table (paste into docs/benchmarks.md with the date).
#
# Needs oha (`cargo install oha --locked`) and python3. Load goes to 127.0.0.1 only, and
# every run is bounded in time.
#
# Usage: scripts/load.sh [SECONDS] [CONNECTIONS] [ROUNDS]   (defaults 10, 32, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
rounds=${3:-3}
source scripts/load-lib.sh
serve verify 18080 19464 'auth: {mode: "off"}'
curl -sf -H 'content-type: application/json' --data-binary "@$work/verify.json" http://127.0.0.1:18080/verify | grep -q '"verdict": "OK"' \
  || { echo "the verify request does not answer OK" >&2; exit 1; }

api=http://127.0.0.1:18080
verify -z 3s "$api/verify" >/dev/null   # warm-up
# Maximum rates, alternating /verify and /healthz in each round, so that both see the same
# moments of a shared machine; the ratio is judged on the median round.
for r in $(seq 1 "$rounds"); do
  verify -z "${secs}s" "$api/verify" > "$work/verify_max_$r.json"
  oha_json -z "${secs}s" http://127.0.0.1:19464/healthz > "$work/trivial_max_$r.json"
done
half=$(python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
rates = [json.load(open(f"{work}/verify_max_{r}.json"))["summary"]["requestsPerSec"] for r in range(1, rounds + 1)]
print(max(1, int(statistics.median(rates) / 2)))
PY
)
verify -z "${secs}s" -q "$half" "$api/verify" > "$work/verify_half.json"
verify -z "${secs}s" "$api/proof/adapt" > "$work/adapt_max.json"

python3 - "$work" "$secs" "$conns" "$half" "$rounds" <<'PY'
import statistics, sys
sys.path.insert(0, "scripts")
from loadreport import header, result
work, secs, conns, half, rounds = sys.argv[1:]
rounds = int(rounds)
header(conns, secs, ["req/s", "p50 ms", "p95 ms", "p99 ms"])
ratios = []
for r in range(1, rounds + 1):
    v, t = result(work, f"verify_max_{r}"), result(work, f"trivial_max_{r}")
    ratios.append(v[0] / t[0])
    for label, (rps, p50, p95, p99, codes) in [("POST /verify, max rate", v), ("GET /healthz (ceiling), max rate", t)]:
        print(f"| round {r}: {label} | {rps:,.0f} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {codes} |")
for label, name in [(f"POST /verify at {half} req/s (half of the median max)", "verify_half"),
                    ("POST /proof/adapt, max rate", "adapt_max")]:
    rps, p50, p95, p99, codes = result(work, name)
    print(f"| {label} | {rps:,.0f} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {codes} |")
ratio = statistics.median(ratios)
p99_half = result(work, "verify_half")[3]
print(f"\n/verify reaches {ratio:.0%} of the trivial endpoint's throughput, median of {rounds} rounds "
      f"({', '.join(f'{x:.0%}' for x in ratios)}; target >= 50%); p99 at half rate {p99_half:.2f} ms (target < 5 ms)")
PY
