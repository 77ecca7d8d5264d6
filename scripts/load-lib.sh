# Shared by scripts/load-tls.sh, scripts/load-auth.sh and scripts/callgrind-verify.sh
# (source it; needs $proof, $work and a `pids` array).
#
# pin_server / pin_client: server on core 0, load generator on core 1, so the numbers
# measure the server rather than the two fighting over both cores (PROOF_LOAD_NO_PIN=1
# lets them share).
pin_server=() pin_client=()
if [ -z "${PROOF_LOAD_NO_PIN:-}" ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c 0) pin_client=(taskset -c 1)
fi

# serve NAME API_PORT ADMIN_PORT EXTRA_YAML: a release `proof serve` (SQLite under $work,
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
