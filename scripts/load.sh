#!/usr/bin/env bash
# Per-request cost of `proof serve` (dist profile) on loopback, read against what this
# machine can do at all. Four rows from one run, alternating in ROUNDS rounds at maximum
# rate so that all four see the same moments of a shared machine:
#   - the floor: a minimal axum server answering a fixed body (examples/floor.rs);
#   - GET /healthz on the admin listener;
#   - POST /verify (lksg.v1, 100 suppliers) with authentication off;
#   - POST /verify with an ES256 bearer token from the test IdP (testdata/idp).
# Then /verify's latency at half its median maximum rate, and POST /proof/adapt (the plan
# for the same request) at maximum rate. Targets, judged on the medians: /healthz >= 90% of
# the floor, /verify with a token >= 50% of the floor, /verify without auth >= 50% of
# /healthz, p99 at half rate < 5 ms. Markdown table on stdout for docs/benchmarks.md.
#
# Needs oha (`cargo install oha --locked`), python3, curl and the test IdP
# (`npm ci --prefix testdata/idp`, which .ci/run does). Load goes to 127.0.0.1 only, and
# every run is bounded in time.
#
# Usage: scripts/load.sh [SECONDS] [CONNECTIONS] [ROUNDS]   (defaults 10, 32, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
rounds=${3:-3}
source scripts/load-lib.sh
start_idp 14444
serve off 18080 19464 'auth: {mode: "off"}'
serve on 18081 19465 "$(idp_auth_yaml)"
serve_floor 19999
es=$(token svc-es)
for port_auth in "18080:" "18081:authorization: Bearer $es"; do
  port=${port_auth%%:*} hdr=${port_auth#*:}
  curl -sf ${hdr:+-H "$hdr"} -H 'content-type: application/json' --data-binary "@$work/verify.json" \
    "http://127.0.0.1:$port/verify" | grep -q '"verdict": "OK"' \
    || { echo "the verify request on port $port does not answer OK" >&2; exit 1; }
done

api=http://127.0.0.1:18080
verify -z 3s "$api/verify" >/dev/null   # warm-up
verify -z 3s -H "authorization: Bearer $es" http://127.0.0.1:18081/verify >/dev/null
oha_json -z 3s http://127.0.0.1:19999/ >/dev/null
for r in $(seq 1 "$rounds"); do
  oha_json -z "${secs}s" http://127.0.0.1:19999/ > "$work/floor_$r.json"
  oha_json -z "${secs}s" http://127.0.0.1:19464/healthz > "$work/healthz_$r.json"
  verify -z "${secs}s" "$api/verify" > "$work/verify_$r.json"
  verify -z "${secs}s" -H "authorization: Bearer $es" http://127.0.0.1:18081/verify > "$work/token_$r.json"
done
half=$(python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
rates = [json.load(open(f"{work}/verify_{r}.json"))["summary"]["requestsPerSec"] for r in range(1, rounds + 1)]
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
rows = [("floor", "floor: fixed body, minimal axum server"), ("healthz", "GET /healthz"),
        ("verify", "POST /verify, auth off"), ("token", "POST /verify, ES256 token")]
header(conns, secs, ["req/s", "p50 ms", "p99 ms"], servers="the servers")
rate = {k: [] for k, _ in rows}
for r in range(1, rounds + 1):
    for key, label in rows:
        rps, p50, _, p99, codes = result(work, f"{key}_{r}")
        rate[key].append(rps)
        print(f"| round {r}: {label} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {codes} |")
for label, name in [(f"POST /verify at {half} req/s (half of the median max)", "verify_half"),
                    ("POST /proof/adapt, max rate", "adapt_max")]:
    rps, p50, _, p99, codes = result(work, name)
    print(f"| {label} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {codes} |")
med = {k: statistics.median(v) for k, v in rate.items()}
p99_half = result(work, "verify_half")[3]
print(f"\nMedians of {rounds} rounds, req/s: " + ", ".join(f"{label} {med[k]:,.0f}" for k, label in rows))
print("\n| target | measured | met |\n|---|---|---|")
for what, value, target in [("GET /healthz >= 90% of the floor", med["healthz"] / med["floor"], 0.9),
                            ("POST /verify with a token >= 50% of the floor", med["token"] / med["floor"], 0.5),
                            ("POST /verify, auth off >= 50% of GET /healthz", med["verify"] / med["healthz"], 0.5)]:
    print(f"| {what} | {value:.0%} | {'yes' if value >= target else 'no'} |")
print(f"| p99 of POST /verify at half rate < 5 ms | {p99_half:.2f} ms | {'yes' if p99_half < 5 else 'no'} |")
PY
