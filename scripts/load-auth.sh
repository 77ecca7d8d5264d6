#!/usr/bin/env bash
# What OAuth2 costs /verify: POST /verify (lksg.v1, 100 suppliers) against an optimised build
# of `proof serve` with `auth.mode: off` and against one checking bearer tokens from a real
# IdP (testdata/idp, oidc-provider), with an RS256 and an ES256 token from its token
# endpoint. Each at maximum rate, then all three at the same fixed rate (half the no-auth
# maximum) to compare latency at equal load. Markdown table on stdout for
# docs/benchmarks.md.
#
# Needs oha (`cargo install oha --locked`), python3, curl and the test IdP
# (`npm ci --prefix testdata/idp`, which .ci/run does). Load goes to 127.0.0.1 only, and
# every run is bounded in time.
#
# Usage: scripts/load-auth.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
source scripts/load-lib.sh
start_idp 14444

serve off 18080 19464 'auth: {mode: "off"}'
serve on 18081 19465 "$(idp_auth_yaml)"
rs=$(token svc-rs)
es=$(token svc-es)
for t in "$rs" "$es"; do
  curl -sf -H "authorization: Bearer $t" -H 'content-type: application/json' --data-binary "@$work/verify.json" \
    http://127.0.0.1:18081/verify | grep -q '"verdict": "OK"' || { echo "an authenticated verify does not answer OK" >&2; exit 1; }
done

t="${secs}s"
verify -z 3s http://127.0.0.1:18080/verify >/dev/null   # warm-up
verify -z 3s -H "authorization: Bearer $rs" http://127.0.0.1:18081/verify >/dev/null
verify -z "$t" http://127.0.0.1:18080/verify > "$work/off_max.json"
verify -z "$t" -H "authorization: Bearer $rs" http://127.0.0.1:18081/verify > "$work/rs_max.json"
verify -z "$t" -H "authorization: Bearer $es" http://127.0.0.1:18081/verify > "$work/es_max.json"
rate=$(python3 -c "import json; print(max(1, int(json.load(open('$work/off_max.json'))['summary']['requestsPerSec'] / 2)))")
verify -z "$t" -q "$rate" http://127.0.0.1:18080/verify > "$work/off_half.json"
verify -z "$t" -q "$rate" -H "authorization: Bearer $rs" http://127.0.0.1:18081/verify > "$work/rs_half.json"
verify -z "$t" -q "$rate" -H "authorization: Bearer $es" http://127.0.0.1:18081/verify > "$work/es_half.json"

python3 - "$work" "$secs" "$conns" "$rate" <<'PY'
import sys
sys.path.insert(0, "scripts")
from loadreport import header, result
work, secs, conns, rate = sys.argv[1:]
header(conns, secs, ["req/s", "p50 ms", "p99 ms"], servers="the servers")
rows = [("auth off, max rate", "off_max"), ("RS256 token, max rate", "rs_max"), ("ES256 token, max rate", "es_max"),
        (f"auth off, {rate} req/s", "off_half"), (f"RS256 token, {rate} req/s", "rs_half"), (f"ES256 token, {rate} req/s", "es_half")]
r = {}
for label, name in rows:
    rps, p50, _, p99, codes = result(work, name)
    r[name] = (rps, p50)
    print(f"| {label} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {codes} |")
for alg, name in (("RS256", "rs"), ("ES256", "es")):
    print(f"\n{alg}: p50 at {rate} req/s is {r[name + '_half'][1] / r['off_half'][1] - 1:+.0%} against auth off "
          f"(target < +20%); maximum throughput {r[name + '_max'][0] / r['off_max'][0]:.0%} of auth off.")
PY
