#!/usr/bin/env python3
"""Times publishing a large list to `proof serve` on PostgreSQL, against a baseline in the
same run.

    python3 scripts/bench-list-publish.py [LEAVES] [ROUNDS]    (defaults: 1000000 leaves, 3 rounds)

Writes a synthetic typed-identifier list file of LEAVES rows (LEIs with valid check
digits, one designation each; nothing real), creates a PostgreSQL database (127.0.0.1:5432,
user postgres, trust auth, as on the CI machine), starts two `proof serve` replicas on it
(auth off, polling every 500 ms), then per round:

- `publish`: POST /lists of the file as a new version to the first replica, until its
  201 answer (the upload, the server's parse and root, the store insert and that replica's
  own swap);
- `second replica`: from the publish until the other replica's GET /lists serves it
  (its poll, body read, parse and swap);
- `baseline`: `proof lists root FILE`, reading and hashing the same file locally.

Prints the median of each. Uses target/release/proof (`cargo build --release -p
proof-cli`); docs/benchmarks.md has the current table.
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PROOF = os.environ.get("PROOF_BIN", os.path.join(ROOT, "target/release/proof"))


def lei(i):
    """A 20-character LEI with valid ISO 7064 mod 97-10 check digits."""
    body = f"5299{i:014d}"
    n = int("".join(str(int(c, 36)) for c in body + "00"))
    return body + f"{98 - n % 97:02d}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql, db="test"):
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qAtc", sql],
                   check=True, capture_output=True)


def start(d, tag, db_url):
    api, admin = free_port(), free_port()
    cfg = os.path.join(d, f"{tag}.yaml")
    with open(cfg, "w") as f:
        f.write(
            f"api: {{bind: 127.0.0.1:{api}}}\nadmin: {{bind: 127.0.0.1:{admin}}}\n"
            f"store: {{url: \"{db_url}\"}}\nlists_dir: {ROOT}/lists\nauth: {{mode: off}}\n"
            "log: {level: warn}\nlists: {poll_interval_ms: 500}\n"
        )
    p = subprocess.Popen([PROOF, "serve", "--config", cfg], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{api}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{admin}/readyz", timeout=1)
            return p, url
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{tag} did not start")


def current_root(url, name):
    with urllib.request.urlopen(f"{url}/lists", timeout=30) as r:
        for entry in json.load(r)["lists"]:
            if entry["name"] == name:
                return entry["root"]
    return None


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    d = tempfile.mkdtemp(prefix="proof-publish-bench-")
    path = os.path.join(d, "bench.csv")
    rows = sorted(f"lei,{lei(i)},,bench:{i:07d},lei\n" for i in range(n))
    with open(path, "w") as f:
        f.write("# name: bench\n# source: synthetic, scripts/bench-list-publish.py\n")
        f.write("scheme,value,key,designation,source\n")
        f.writelines(rows)
    body = open(path, "rb").read()
    db = f"proof_bench_publish_{os.getpid()}"
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(f"CREATE DATABASE {db}")
    url = f"postgres://postgres@127.0.0.1:5432/{db}"
    servers = []
    try:
        a, a_url = start(d, "a", url)
        servers.append(a)
        b, b_url = start(d, "b", url)
        servers.append(b)
        times = {"publish": [], "second replica": [], "baseline": []}
        for r in range(rounds):
            t = time.perf_counter()
            subprocess.run([PROOF, "lists", "root", path], check=True, capture_output=True)
            times["baseline"].append(time.perf_counter() - t)
            # Each version a different set: one extra leaf per round.
            extra = f"lei,{lei(n + r)},,bench:extra{r},lei\n".encode()
            req = urllib.request.Request(f"{a_url}/lists?version=r{r}", data=body + extra,
                                         method="POST", headers={"Content-Type": "text/csv"})
            t = time.perf_counter()
            with urllib.request.urlopen(req, timeout=300) as resp:
                published = json.load(resp)
            times["publish"].append(time.perf_counter() - t)
            while current_root(b_url, "bench") != published["root"]:
                time.sleep(0.01)
            times["second replica"].append(time.perf_counter() - t)
        print(f"{n} leaves, list file {len(body) / 1e6:.1f} MB, {rounds} rounds (median, seconds):")
        for k, v in times.items():
            print(f"  {k:15} {statistics.median(v):7.3f}   (all: {', '.join(f'{x:.3f}' for x in v)})")
    finally:
        for p in servers:
            p.terminate()
            p.wait()
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
