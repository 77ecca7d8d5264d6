#!/usr/bin/env python3
"""Times `proof context build` for N suppliers against a baseline in the same run.

    python3 scripts/bench-context-build.py [N] [ROUNDS]     (defaults: 100000 suppliers, 5 rounds)

Writes a synthetic supplier CSV (every row with a name, a country, an LEI with valid check
digits, a VAT number, a German register number and an audit date; nothing real) and a
list file, then runs, alternating, `proof context build --index` for lksg.v1.1 and the
baseline `proof commit --kind entity` over the same N supplier ids (reading and hashing
as many lines). Prints the median of each and their ratio. Uses target/release/proof
(`cargo build --release -p proof-cli`); docs/benchmarks.md has the current table.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PROOF = os.environ.get("PROOF_BIN", os.path.join(ROOT, "target/release/proof"))


def lei(i):
    """A 20-character LEI with valid ISO 7064 mod 97-10 check digits."""
    body = f"5299{i:014d}"
    n = int("".join(str(int(c, 36)) for c in body + "00"))
    return body + f"{98 - n % 97:02d}"


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    d = tempfile.mkdtemp(prefix="proof-ctx-bench-")
    countries = ["DE", "FR", "PL", "CN", "VN", "BR", "TR", "IN"]
    with open(os.path.join(d, "suppliers.csv"), "w", encoding="utf-8") as f:
        f.write("supplier_id,name,country,lei,vat,register_country,register_no,last_audit\n")
        for i in range(n):
            f.write(
                f"S-{i:07d},Beispiel Lieferant {i} GmbH & Co. KG,{countries[i % len(countries)]},"
                f"{lei(i)},DE{100000000 + i},DE,HRB {i + 1},2026-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
            )
    with open(os.path.join(d, "ids.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"S-{i:07d}\n" for i in range(n))
    lists = os.path.join(ROOT, "lists")
    build = [
        PROOF, "context", "build", "--policy", "lksg.v1.1",
        "--policy-dir", os.path.join(ROOT, "policies"),
        "--suppliers", os.path.join(d, "suppliers.csv"),
        "--list", f"sanctions_root={lists}/sanctions-demo.csv",
        "--list", f"high_risk_root={lists}/high-risk-regions.csv",
        "--as-of", "2026-12-01T00:00:00Z",
        "-o", os.path.join(d, "ctx.json"), "--index", os.path.join(d, "idx.json"),
    ]
    baseline = [PROOF, "commit", "--kind", "entity", os.path.join(d, "ids.txt")]
    times = {"build": [], "baseline": []}
    for _ in range(rounds):
        for name, cmd in (("build", build), ("baseline", baseline)):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - t)
    b, base = statistics.median(times["build"]), statistics.median(times["baseline"])
    size = os.path.getsize(os.path.join(d, "suppliers.csv")) / 1e6
    print(f"suppliers: {n} ({size:.1f} MB CSV), rounds: {rounds}")
    print(f"context build (with --index): median {b:.3f} s")
    print(f"baseline commit --kind entity: median {base:.3f} s")
    print(f"ratio: {b / base:.1f}x; target < 2 s: {'ok' if b < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
