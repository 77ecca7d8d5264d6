#!/usr/bin/env python3
"""Load during a list swap: verification requests against every replica while a new list
version is published through the first one.

Each of --threads workers sends POST /verify with the body of --body to the replicas in
turn for --seconds. After --publish-after seconds the script publishes --publish as
version --version through the first replica (POST /lists), then asks every replica's
GET /lists until the list's current root is the published one, and records how long
after the publish each replica took.

Prints JSON: requests, failed (anything but HTTP 200), statuses, and per replica the
milliseconds until it served the new version (null if it never did within the run).
Exit 0 when nothing failed and every replica took up the version, else 1.

Example (docs/lists-service.md):
  python3 scripts/list-swap-load.py --server http://127.0.0.1:8080 --server http://127.0.0.1:8081 \\
      --body verify.json --publish lists/un.csv --version 2026-12-02 --seconds 8
"""

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def call(method, url, body=None, content_type=None, token=None, timeout=30):
    req = urllib.request.Request(url, data=body, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e).encode()


def current_root(server, name, token):
    status, body = call("GET", f"{server}/lists", token=token)
    if status != 200:
        return None
    for entry in json.loads(body)["lists"]:
        if entry["name"] == name:
            return entry["root"]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", action="append", required=True, help="a replica's base URL (repeat)")
    ap.add_argument("--body", required=True, help="a POST /verify body (JSON file)")
    ap.add_argument("--publish", required=True, help="the list file to publish")
    ap.add_argument("--version", required=True, help="the version to publish it as")
    ap.add_argument("--name", help="the list's name (default: the file's # name: header)")
    ap.add_argument("--seconds", type=float, default=8.0, help="how long to send load")
    ap.add_argument("--publish-after", type=float, default=2.0, help="seconds of load before publishing")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--token", help="a bearer token with verify:run, policy:read and lists:write")
    a = ap.parse_args()

    body = open(a.body, "rb").read()
    list_file = open(a.publish, "rb").read()
    stop = threading.Event()
    lock = threading.Lock()
    statuses = {}
    errors = []

    def worker(i):
        n = i
        while not stop.is_set():
            server = a.server[n % len(a.server)]
            n += 1
            status, text = call("POST", f"{server}/verify", body, "application/json", a.token)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status != 200 and len(errors) < 5:
                    errors.append(f"{server}: {status} {text[:300]!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(a.threads)]
    start = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(a.publish_after)

    query = {"version": a.version}
    if a.name:
        query["name"] = a.name
    status, answer = call(
        "POST",
        f"{a.server[0]}/lists?{urllib.parse.urlencode(query)}",
        list_file,
        "text/csv",
        a.token,
        timeout=120,
    )
    published_at = time.monotonic()
    if status != 201:
        stop.set()
        for t in threads:
            t.join()
        print(f"publish failed: {status} {answer[:500]!r}", file=sys.stderr)
        return 1
    published = json.loads(answer)
    took = {s: None for s in a.server}
    while time.monotonic() - start < a.seconds or any(v is None for v in took.values()):
        if time.monotonic() - published_at > max(a.seconds, 30):
            break
        for s in a.server:
            if took[s] is None and current_root(s, published["name"], a.token) == published["root"]:
                took[s] = round((time.monotonic() - published_at) * 1000)
        time.sleep(0.02)
    while time.monotonic() - start < a.seconds:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()

    requests = sum(statuses.values())
    failed = requests - statuses.get(200, 0)
    report = {
        "requests": requests,
        "failed": failed,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "published": {"name": published["name"], "version": published["version"], "root": published["root"]},
        "served_after_ms": took,
        "errors": errors,
    }
    print(json.dumps(report, indent=2))
    return 0 if failed == 0 and all(v is not None for v in took.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
