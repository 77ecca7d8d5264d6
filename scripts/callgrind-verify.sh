#!/usr/bin/env bash
# Counts the instructions the server executes per POST /verify (lksg.v1, 100 suppliers) and
# per GET /healthz, with valgrind's callgrind: repeatable for the same binary and inputs,
# whatever else the machine is doing, unlike req/s. Prints both counts, the malloc calls per
# request of each, and the heaviest functions (inclusive) of the verify requests.
#
# Caveat: valgrind's CPU has no SHA extensions, so SHA-256 runs in software here and
# weighs far more than natively (sha2 uses SHA-NI where the CPU has it).
#
# Usage: scripts/callgrind-verify.sh [REQUESTS]   (needs valgrind and python3)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-500}
command -v valgrind >/dev/null || { echo "valgrind is missing (Debian package valgrind)" >&2; exit 1; }
load_without_oha=1
source scripts/load-lib.sh
# The server runs under callgrind, counting nothing until the warm-up is done.
pin_server=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.out")
start_tries=1200
serve cg 18081 19465 'auth: {mode: "off"}'
server=${pids[0]}
drive() {
  python3 - "$work/verify.json" "$1" "$2" <<'PY'
import http.client, sys
body, path, n = open(sys.argv[1], 'rb').read(), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection('127.0.0.1', 18081 if path == '/verify' else 19465)
for _ in range(n):
    if path == '/verify':
        c.request('POST', path, body, {'content-type': 'application/json'})
    else:
        c.request('GET', path)
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
}
drive /verify 20                                  # warm: policy cached, pools filled
callgrind_control -i on "$server" >/dev/null 2>&1
drive /verify "$n"
dump() {  # callgrind writes the dump after answering: wait for the file
  callgrind_control -d "$server" >/dev/null 2>&1
  for _ in $(seq 1 100); do [ -s "$work/cg.out.$1" ] && break; sleep 0.1; done
  sleep 0.5
}
dump 1                                            # the verify requests
callgrind_control -z "$server" >/dev/null 2>&1
drive /healthz "$n"
dump 2                                            # the healthz requests
total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }
v=$(total "$work/cg.out.1"); h=$(total "$work/cg.out.2")
sha=$(callgrind_annotate --inclusive=yes "$work/cg.out.1" 2>/dev/null | awk '/sha2::sha256::compress256 / && !done {gsub(",", "", $1); print $1; done = 1}')
# malloc calls: the call counts of malloc's callers in the caller tree.
mallocs() {
  callgrind_annotate --tree=caller "$1" 2>/dev/null | python3 -c '
import re, sys
block = []
for line in sys.stdin:
    if re.search(r"\*\s+\S*malloc\.c:malloc ", line):
        print(sum(int(c.replace(",", "")) for c in re.findall(r"\(([\d,]+)x\)", "".join(block))))
        break
    block = block + [line] if line.strip() else []'
}
echo "instructions per request, $n requests each, $(date -u +%F):"
echo "  POST /verify:  $((v / n))  (of which software SHA-256: $((${sha:-0} / n)))"
echo "  GET /healthz:  $((h / n))"
echo "malloc calls per request: POST /verify $(( $(mallocs "$work/cg.out.1") / n )), GET /healthz $(( $(mallocs "$work/cg.out.2") / n ))"
echo "heaviest functions of the verify requests (inclusive, per request):"
callgrind_annotate --inclusive=yes "$work/cg.out.1" 2>/dev/null \
  | grep -E 'proof_core|proof_server|serde_json::de::from|tracing::span|sha2::sha256::compress256 ' \
  | sed -E 's/^ *([0-9,]+) \( *[0-9.]+%\) +([^[]*).*/\1 \2/' \
  | awk -v n="$n" 'NR <= 12 {c = $1; gsub(",", "", c); $1 = ""; printf "  %9d %s\n", c / n, $0}'
