#!/usr/bin/env bash
# What receipts cost `proof serve` (dist profile) on loopback, in one run of alternating
# rounds at maximum rate:
#   - POST /verify (lksg.v1, 100 suppliers, sanctions-demo) without a receipt;
#   - the same with options.receipt (signed receipt and bundle, appended to the
#     verification log on SQLite with synchronous = FULL, group commit);
#   - POST /verify of 100 suppliers against a 1,000,000-leaf list without a receipt;
#   - the same with options.proofs (a receipt, and 100 absence proofs in the bundle).
# Targets, on the medians: receipts >= 85% of the throughput without, proofs >= 60% of the
# same request without. Markdown on stdout for docs/benchmarks.md.
#
# Needs oha (`cargo install oha --locked`), python3 and curl; load goes to 127.0.0.1 only.
#
# Usage: scripts/load-receipts.sh [SECONDS] [CONNECTIONS] [ROUNDS]   (defaults 10, 32, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
rounds=${3:-3}
source scripts/load-lib.sh
"$proof" keys generate -o "$work/k.pem" >/dev/null 2>&1
python3 - "$work" <<'PY'
import hashlib, sys
w = sys.argv[1]
with open(f"{w}/big.csv", "w") as f:
    f.write("# name: big\n# source: synthetic, scripts/load-receipts.sh\n# synthetic: true\n")
    for i in range(1_000_000):
        f.write(hashlib.sha256(f"big-{i}".encode()).hexdigest() + "\n")
PY
serve rcpt 18090 19490 "signing: {key_file: $work/k.pem}
auth: {mode: \"off\"}"
"$proof" lists publish "$work/big.csv" --server http://127.0.0.1:18090 --version v1 >/dev/null
for _ in $(seq 1 100); do
  curl -sf http://127.0.0.1:18090/lists | grep -q '"name": "big"' && break
  sleep 0.2
done
big_root=$("$proof" lists root "$work/big.csv")
python3 - "$work" "$big_root" <<'PY'
import json, sys
w, root = sys.argv[1], sys.argv[2]
req = json.load(open(f"{w}/verify.json"))
json.dump({**req, "options": {"receipt": True}}, open(f"{w}/receipt.json", "w"))
big = {**req, "context": {**req["context"], "sanctions_root": root}}
json.dump(big, open(f"{w}/big-plain.json", "w"))
json.dump({**big, "options": {"proofs": True}}, open(f"{w}/big-proofs.json", "w"))
PY
post() { local body=$1; shift; oha_json -m POST -H 'content-type: application/json' -D "$work/$body.json" "$@"; }
api=http://127.0.0.1:18090/verify
for b in verify receipt big-plain big-proofs; do
  code=$(curl -s -o "$work/$b.out" -w '%{http_code}' -H 'content-type: application/json' --data-binary "@$work/$b.json" "$api")
  [ "$code" = 200 ] || { echo "$b: HTTP $code: $(head -c 300 "$work/$b.out")" >&2; exit 1; }
  post "$b" -z 2s "$api" >/dev/null   # warm-up
done
for r in $(seq 1 "$rounds"); do
  for b in verify receipt big-plain big-proofs; do
    post "$b" -z "${secs}s" "$api" > "$work/${b}_$r.json"
  done
done
entries=$(curl -s http://127.0.0.1:19490/metrics | awk '/^proof_log_entries /{print $2}')
txs=$(curl -s http://127.0.0.1:19490/metrics | awk '/^proof_log_append_duration_seconds_count /{print $2}')

python3 - "$work" "$secs" "$conns" "$rounds" "$entries" "$txs" <<'PY'
import statistics, sys
sys.path.insert(0, "scripts")
from loadreport import header, result
work, secs, conns, rounds, entries, txs = sys.argv[1:]
rounds = int(rounds)
rows = [("verify", "POST /verify, 100 suppliers, no receipt"),
        ("receipt", "the same with options.receipt (signed, logged)"),
        ("big-plain", "POST /verify, 100 suppliers against a 1M-leaf list, no receipt"),
        ("big-proofs", "the same with options.proofs (receipt, logged, 100 absence proofs)")]
header(conns, secs, ["req/s", "p50 ms", "p99 ms"])
rate = {k: [] for k, _ in rows}
for r in range(1, rounds + 1):
    for key, label in rows:
        rps, p50, _, p99, codes = result(work, f"{key}_{r}")
        rate[key].append(rps)
        print(f"| round {r}: {label} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {codes} |")
med = {k: statistics.median(v) for k, v in rate.items()}
print(f"\nMedians of {rounds} rounds, req/s: " + ", ".join(f"{label} {med[k]:,.0f}" for k, label in rows))
print(f"\nVerification log: {entries} entries in {txs} append transactions "
      f"({float(entries) / max(float(txs), 1):.1f} receipts per transaction).")
print("\n| target | measured | met |\n|---|---|---|")
for what, value, target in [("receipts >= 85% of /verify without", med["receipt"] / med["verify"], 0.85),
                            ("proofs (1M-leaf list) >= 60% of the same /verify without", med["big-proofs"] / med["big-plain"], 0.60)]:
    print(f"| {what} | **{value:.0%}** | {'yes' if value >= target else 'no'} |")
PY
