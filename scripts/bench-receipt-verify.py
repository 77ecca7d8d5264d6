#!/usr/bin/env python3
"""Times `proof receipt verify` of a receipt whose disclosure bundle proves 1,000 supplier
hashes against a 1,000,000-leaf list, against a baseline in the same run.

    python3 scripts/bench-receipt-verify.py [SUPPLIERS] [LEAVES] [RUNS]   (defaults 1000, 1000000, 15)

Writes a synthetic hash list of LEAVES leaves (nothing real) beside a copy of the shipped
high-risk list, a lksg.v1 context of SUPPLIERS hashes (one of them on the list), signs a
receipt with proofs locally (`proof verify --receipt --disclosure --proofs`), then runs,
alternating RUNS times:

- `with proofs`: `proof receipt verify R --keys K --disclosure B` (signatures, statement,
  commitment, and every inclusion and absence proof against the signed roots and sizes);
- `baseline`: `proof receipt verify R --keys K` (the receipt alone: process start, file
  reads, one signature).

Prints the median wall time of each, in ms. Uses target/release/proof (`cargo build
--release -p proof-cli`); docs/benchmarks.md has the current table.
"""

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PROOF = os.environ.get("PROOF_BIN", os.path.join(ROOT, "target/release/proof"))


def run(args, env, check=True):
    return subprocess.run([PROOF, *args], env=env, capture_output=True, text=True, check=check)


def timed(args, env):
    t = time.perf_counter()
    r = run(args, env, check=False)
    elapsed = (time.perf_counter() - t) * 1e3
    if r.returncode != 0:
        sys.exit(f"{args}: exit {r.returncode}: {r.stdout}{r.stderr}")
    return elapsed


def main():
    suppliers = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    leaves = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    work = tempfile.mkdtemp(prefix="proof-bench-receipt-")
    try:
        lists = os.path.join(work, "lists")
        os.makedirs(lists)
        shutil.copy(os.path.join(ROOT, "lists/high-risk-regions.csv"), lists)
        listed = [hashlib.sha256(f"big-{i}".encode()).hexdigest() for i in range(leaves)]
        with open(os.path.join(lists, "big.csv"), "w") as f:
            f.write("# name: big\n# synthetic: true\n")
            f.write("\n".join(listed) + "\n")
        env = {**os.environ, "PROOF_POLICY_DIR": os.path.join(ROOT, "policies"), "PROOF_LISTS_DIR": lists}
        root = run(["lists", "root", os.path.join(lists, "big.csv")], env).stdout.strip()
        high = run(["lists", "root", os.path.join(lists, "high-risk-regions.csv")], env).stdout.strip()
        hashes = [hashlib.sha256(f"supplier-{i}".encode()).hexdigest() for i in range(suppliers - 1)]
        hashes.append(listed[leaves // 2])
        regions = json.loads(subprocess.run([PROOF, "commit", "--kind", "region", "--format", "json"], input="DE\nFR\n",
                                            env=env, capture_output=True, text=True, check=True).stdout)
        ctx = {"as_of": "2025-06-30T00:00:00Z", "supplier_hashes": hashes, "supplier_regions": regions,
               "sanctions_root": root, "high_risk_root": high, "audit_dates": ["2025-05-20"]}
        with open(os.path.join(work, "ctx.json"), "w") as f:
            json.dump(ctx, f)
        os.chdir(work)
        run(["keys", "generate", "-o", "k.pem"], env)
        with open("keys.json", "w") as f:
            f.write(run(["keys", "export", "k.pem"], env).stdout)
        r = run(["verify", "--policy", "lksg.v1", "--context", "ctx.json", "-o", "report.json",
                 "--receipt", "r.json", "--disclosure", "b.json", "--proofs", "--signing-key", "k.pem"],
                env, check=False)
        if r.returncode not in (0, 2, 3):
            sys.exit(f"proof verify: {r.stderr}")
        full = ["receipt", "verify", "r.json", "--keys", "keys.json", "--disclosure", "b.json"]
        base = ["receipt", "verify", "r.json", "--keys", "keys.json"]
        out = run(full, env).stdout
        assert f"{suppliers} hashes, 1 on and {suppliers - 1} not on list" in out, out
        timed(full, env)
        with_proofs, baseline = [], []
        for _ in range(runs):
            with_proofs.append(timed(full, env))
            baseline.append(timed(base, env))
        size = os.path.getsize("b.json")
        print(f"receipt {os.path.getsize('r.json'):,} bytes, bundle {size:,} bytes, {suppliers} suppliers, {leaves:,} leaves, {runs} runs\n")
        print("| run | median ms | min ms |\n|---|---|---|")
        print(f"| `proof receipt verify` with the bundle's proofs | **{statistics.median(with_proofs):.1f}** | {min(with_proofs):.1f} |")
        print(f"| baseline: the receipt alone | {statistics.median(baseline):.1f} | {min(baseline):.1f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
