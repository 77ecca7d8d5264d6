#!/usr/bin/env python3
"""Demo traffic for a running `proof serve`, so that dashboards and alerts have something to
show: OK, WARN and FAIL verifications, receipts and proofs (when the server publishes
signing keys at GET /keys, so keeps a verification log), adaptive plans, compiles (stored, already stored,
invalid), reads, cache hits and misses (with --admin, the cache is flushed now and then),
auth failures (no token, a bad token, a token without the scope) and client errors
(malformed JSON, unknown policy). Standard library only.

  scripts/demo-traffic.py --server https://127.0.0.1:8443 --cacert ca.pem \\
      --token-url http://127.0.0.1:4444/token --client-id svc-rs --rounds 20

The client secret is read from PROOF_CLIENT_SECRET. Without --token-url no token is sent
(for a server with auth.mode: off). Prints a count of answers per status at the end."""
import argparse
import base64
import collections
import json
import os
import pathlib
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True, help="API base URL")
    ap.add_argument("--admin", help="admin base URL; enables cache flushes (misses)")
    ap.add_argument("--token-url", help="OAuth2 token endpoint (client credentials)")
    ap.add_argument("--client-id", default="svc-rs")
    ap.add_argument("--cacert", help="CA bundle for an https server")
    ap.add_argument("--cert", help="client certificate (PEM) for mTLS")
    ap.add_argument("--key", help="client key (PEM) for mTLS")
    ap.add_argument("--rounds", type=int, default=10)
    a = ap.parse_args()

    ctx = None
    if a.server.startswith("https"):
        ctx = ssl.create_default_context(cafile=a.cacert)
        if a.cert:
            ctx.load_cert_chain(a.cert, a.key)
    counts = collections.Counter()

    def token(scope):
        if not a.token_url:
            return None
        secret = os.environ.get("PROOF_CLIENT_SECRET", "")
        basic = base64.b64encode(f"{a.client_id}:{secret}".encode()).decode()
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": scope}).encode()
        req = urllib.request.Request(a.token_url, body, {"authorization": f"Basic {basic}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)["access_token"]

    full = token("verify:run policy:compile policy:read")
    read_only = token("policy:read")

    def call(method, path, body=None, tok=full, raw=None, base=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"content-type": "application/json"} if data is not None else {}
        if tok:
            headers["authorization"] = f"Bearer {tok}"
        req = urllib.request.Request((base or a.server) + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30, context=ctx if (base or a.server).startswith("https") else None) as r:
                r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            e.read()
            status = e.code
        counts[status] += 1
        return status

    def keys():
        req = urllib.request.Request(a.server + "/keys")
        try:
            with urllib.request.urlopen(req, timeout=30, context=ctx if a.server.startswith("https") else None) as r:
                return json.load(r).get("keys", [])
        except (urllib.error.URLError, ValueError):
            return []

    signs = bool(keys())
    contexts = {v: json.loads((ROOT / f"examples/context_{v}.json").read_text()) for v in ("ok", "warn", "fail")}
    policy = (ROOT / "policies/lksg.v1.yml").read_text()
    for i in range(a.rounds):
        for v, c in contexts.items():
            call("POST", "/verify", {"policy_id": "lksg.v1", "context": c})
            call("POST", "/verify", {"policy_id": "lksg.v1", "version": "1.0", "context": c, "options": {"adaptive": True}})
        if signs:
            options = {"proofs": True} if i % 2 else {"receipt": True}
            call("POST", "/verify", {"policy_id": "lksg.v1", "context": contexts["fail"], "options": options})
        call("POST", "/proof/adapt", {"policy_id": "lksg.v1", "context": contexts["ok"]})
        call("GET", "/lists")
        call("GET", "/policies")
        call("GET", "/policy/lksg.v1")
        call("POST", "/policy/compile", {"policy_yaml": policy})                          # already stored
        call("POST", "/policy/compile", {"policy_yaml": f"id: demo.{i}\nversion: \"1\"\nrules: []\n"})  # invalid
        call("POST", "/verify", {"policy_id": "no.such.policy", "context": contexts["ok"]})  # 404
        call("POST", "/verify", raw=b'{"policy_id": ')                                      # 400
        if a.token_url:
            call("GET", "/lists", tok="")                        # 401 missing
            call("GET", "/lists", tok="not.a.token")             # 401 invalid
            call("POST", "/verify", {"policy_id": "lksg.v1", "context": contexts["ok"]}, tok=read_only)  # 403
        if a.admin and i % 3 == 0:
            call("POST", "/cache/flush", base=a.admin, tok=None)  # the next lookups miss
    print(json.dumps({str(k): v for k, v in sorted(counts.items())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
