#!/usr/bin/env bash
# TLS cost on the service: POST /verify (lksg.v1, 100 suppliers) over plain HTTP and over
# TLS 1.3 with keep-alive, then GET /lists with a new connection for every request (plain
# vs TLS: the difference is the handshake), then /verify over TLS with client certificates
# required (mTLS). Two optimised `proof serve` processes on loopback, one plain, one
# with TLS (an ECDSA P-256 PKI made by openssl in a temporary directory). Results go to
# stdout as a Markdown table for docs/benchmarks.md.
#
# Needs oha (`cargo install oha --locked`), openssl and python3. Load goes to 127.0.0.1
# only, and every run is bounded in time.
#
# Usage: scripts/load-tls.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}

source scripts/load-lib.sh

# A CA, a server certificate for 127.0.0.1/localhost, a client certificate.
(
  cd "$work"
  ec() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@" 2>/dev/null; }
  ec -x509 -days 2 -keyout ca.key -subj "/CN=load CA" -out ca.pem
  ec -keyout server.key -subj "/CN=proof" -out server.csr
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.pem 2>/dev/null
  ec -keyout client.key -subj "/CN=load client" -out client.csr
  printf 'subjectAltName=URI:spiffe://load/client\nextendedKeyUsage=clientAuth\n' > client.ext
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext -out client.pem 2>/dev/null
)

serve plain 18080 19464 'auth: {mode: "off"}'
serve tls 18443 19465 "auth: {mode: \"off\"}
tls: {cert_file: $work/server.pem, key_file: $work/server.key}"
serve mtls 18444 19466 "auth: {mode: \"off\"}
tls: {cert_file: $work/server.pem, key_file: $work/server.key, client_auth: required, client_ca_file: $work/ca.pem, allowed_sans: [\"spiffe://load/client\"]}"
curl -sf --cacert "$work/ca.pem" --cert "$work/client.pem" --key "$work/client.key" \
  -H 'content-type: application/json' --data-binary "@$work/verify.json" https://127.0.0.1:18444/verify \
  | grep -q '"verdict": "OK"' || { echo "the mTLS verify request does not answer OK" >&2; exit 1; }


t="${secs}s"
verify -z 3s http://127.0.0.1:18080/verify >/dev/null   # warm-up
verify -z "$t" http://127.0.0.1:18080/verify > "$work/verify_plain.json"
verify -z "$t" --cacert "$work/ca.pem" https://127.0.0.1:18443/verify > "$work/verify_tls.json"
verify -z "$t" --cacert "$work/ca.pem" --cert "$work/client.pem" --key "$work/client.key" https://127.0.0.1:18444/verify > "$work/verify_mtls.json"
oha_json -z "$t" --disable-keepalive http://127.0.0.1:18080/lists > "$work/lists_plain_new.json"
oha_json -z "$t" --disable-keepalive --cacert "$work/ca.pem" https://127.0.0.1:18443/lists > "$work/lists_tls_new.json"
curl -s http://127.0.0.1:19465/metrics | grep -E '^proof_tls_handshakes_total' > "$work/handshakes.txt" || true

python3 - "$work" "$secs" "$conns" <<'PY'
import sys
sys.path.insert(0, "scripts")
from loadreport import header, result
work, secs, conns = sys.argv[1:]
header(conns, secs, ["req/s", "p50 ms", "p99 ms"], servers="the servers")
rows = [("POST /verify, plain HTTP, keep-alive", "verify_plain"),
        ("POST /verify, TLS 1.3, keep-alive", "verify_tls"),
        ("POST /verify, TLS 1.3 + client certificate, keep-alive", "verify_mtls"),
        ("GET /lists, plain HTTP, new connection per request", "lists_plain_new"),
        ("GET /lists, TLS 1.3, new connection (full handshake) per request", "lists_tls_new")]
r = {}
for label, name in rows:
    rps, p50, _, p99, codes = result(work, name)
    r[name] = rps
    print(f"| {label} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {codes} |")
print(f"\nTLS keep-alive /verify throughput is {r['verify_tls'] / r['verify_plain']:.0%} of plain HTTP "
      f"(mTLS {r['verify_mtls'] / r['verify_plain']:.0%}).")
extra = 1 / r["lists_tls_new"] - 1 / r["lists_plain_new"]
print(f"A new TLS connection costs the one-core server about {extra * 1e6:,.0f} µs more than a plain one "
      f"(1/{r['lists_tls_new']:,.0f} - 1/{r['lists_plain_new']:,.0f} s).")
print("\nServer-side handshake counters after the runs:\n")
print("```\n" + open(f"{work}/handshakes.txt").read().strip() + "\n```")
PY
