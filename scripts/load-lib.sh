# Shared by scripts/load.sh, load-tls.sh, load-auth.sh and callgrind-verify.sh: source it
# from the repository root. It builds the binary ($proof), makes $work (removed on
# exit, after every process in $pids is stopped) with the POST /verify body of
# scripts/load-request.py in $work/verify.json, and defines the helpers below. oha is
# required unless load_without_oha is set.
if [ -z "${load_without_oha:-}" ]; then
  command -v oha >/dev/null || { echo "oha is missing: cargo install oha --locked" >&2; exit 1; }
fi
# The `dist` profile (what the Dockerfile ships); PROOF_LOAD_PROFILE=release builds faster.
profile=${PROOF_LOAD_PROFILE:-dist}
cargo build --profile "$profile" -q -p proof-cli
proof=target/$profile/proof
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 scripts/load-request.py "$proof" "$work/verify.json"

# pin_server / pin_client: server on core 0, load generator on core 1, so the numbers
# measure the server rather than the two fighting over both cores (PROOF_LOAD_NO_PIN=1
# lets them share).
pin_server=() pin_client=()
if [ -z "${PROOF_LOAD_NO_PIN:-}" ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c 0) pin_client=(taskset -c 1)
fi

# serve NAME API_PORT ADMIN_PORT EXTRA_YAML: `$proof serve` (SQLite under $work,
# shipped policies and lists), started through ${pin_server[@]}, waited for until /readyz
# answers (for up to $start_tries tenths of a second).
serve() {
  cat > "$work/$1.yaml" <<YAML
api: {bind: 127.0.0.1:$2}
admin: {bind: 127.0.0.1:$3}
store: {url: "sqlite://$work/$1.db"}
policy_dir: policies
lists_dir: lists
log: {level: ${PROOF_LOAD_LOG_LEVEL:-info}, format: json}
$4
YAML
  "${pin_server[@]}" "$proof" serve --config "$work/$1.yaml" > "$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 "${start_tries:-100}"); do
    curl -sf "http://127.0.0.1:$3/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$1 did not start: $(cat "$work/$1.log")" >&2
  exit 1
}

# oha_json ARGS... URL: oha on the client core with $conns connections, JSON on stdout.
oha_json() { "${pin_client[@]}" oha --no-tui --output-format json -c "$conns" "$@"; }
# verify ARGS... URL: POSTs $work/verify.json (the body of both /verify and /proof/adapt).
verify() { oha_json -m POST -H 'content-type: application/json' -D "$work/verify.json" "$@"; }
