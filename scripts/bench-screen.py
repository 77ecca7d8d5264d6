#!/usr/bin/env python3
"""Times `proof screen` of N suppliers against the real UN and OFAC lists, against a
baseline in the same run.

    python3 scripts/bench-screen.py [N] [ROUNDS]     (defaults: 100000 suppliers, 3 rounds)

Imports the UN consolidated list and the OFAC SDN list of January 2019 from the real list
files ($PROOF_REAL_LISTS, default ../shared/real-lists beside the repository; never
copied into it) with `proof lists import`, writes a synthetic supplier CSV (every third
name a listed name with one letter changed, the others ordinary company names; nothing
real is a supplier), then runs, alternating, `proof screen` (fuzzy, every name against
every list name it shares a key with, the screening file written) and the baseline
`proof context build --policy lksg.v1.1` over the same file (the exact identifier and
name-key commitments). Prints the median of each. Uses target/release/proof
(`cargo build --release -p proof-cli`); docs/benchmarks.md has the current table.
"""

import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PROOF = os.environ.get("PROOF_BIN", os.path.join(ROOT, "target/release/proof"))
REAL = os.environ.get("PROOF_REAL_LISTS", os.path.join(ROOT, "..", "shared", "real-lists"))
WORDS = ["Nordstern", "Maschinenbau", "Logistik", "Mueller", "Schmidt", "Rhein", "Textil",
         "Packaging", "Foods", "Hamburg", "Becker", "Solar", "Components", "Weber"]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 2):
        sys.exit(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stderr}")
    return r


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    d = tempfile.mkdtemp(prefix="proof-screen-bench-")
    lists = os.path.join(d, "lists")
    os.makedirs(lists)
    run([PROOF, "lists", "import", "--format", "un-sc-xml",
         os.path.join(REAL, "un-sc-xml/UN_consolidated.xml"), "-o", os.path.join(lists, "un.csv")])
    ofac = os.path.join(REAL, "ofac-sdn-csv/full-2019")
    run([PROOF, "lists", "import", "--format", "ofac-sdn-csv", "--skip-invalid",
         os.path.join(ofac, "sdn.csv"), os.path.join(ofac, "alt.csv"), "-o", os.path.join(lists, "ofac.csv")])
    names = []
    for f in ("un.csv", "ofac.csv"):
        with open(os.path.join(lists, f), encoding="utf-8") as fh:
            rows = csv.reader(line for line in fh if not line.startswith("#"))
            next(rows)
            names += [r[1] for r in rows if r[0] == "name" and r[2] == "full"]
    with open(os.path.join(d, "suppliers.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["supplier_id", "name", "country"])
        for i in range(n):
            if i % 3 == 0:
                s = names[i % len(names)]
                at = 1 + i % max(1, len(s) - 1)
                name = s[:at] + "x" + s[at + 1:]
            else:
                name = f"{WORDS[i % 14]} {WORDS[(i // 7) % 14]} {WORDS[(i // 49) % 14]} GmbH"
            w.writerow([f"S-{i:07d}", name, "DE"])
    sup = os.path.join(d, "suppliers.csv")
    screen = [PROOF, "screen", "--suppliers", sup, "--lists-dir", lists, "-o", os.path.join(d, "s.json")]
    baseline = [PROOF, "context", "build", "--policy", "lksg.v1.1",
                "--policy-dir", os.path.join(ROOT, "policies"), "--suppliers", sup,
                "--list", f"sanctions_root={lists}/un.csv",
                "--list", f"high_risk_root={ROOT}/lists/high-risk-regions.csv",
                "--as-of", "2026-12-01T00:00:00Z", "-o", os.path.join(d, "ctx.json")]
    times = {"screen": [], "baseline": []}
    candidates = None
    for _ in range(rounds):
        for name, cmd in (("screen", screen), ("baseline", baseline)):
            t = time.perf_counter()
            r = run(cmd)
            times[name].append(time.perf_counter() - t)
            if name == "screen":
                candidates = r.stderr.strip().splitlines()[-1]
    s, b = statistics.median(times["screen"]), statistics.median(times["baseline"])
    print(f"{n} suppliers, {rounds} rounds; {candidates}")
    print(f"proof screen (UN + OFAC)            median {s:.2f} s")
    print(f"proof context build (exact, baseline) median {b:.2f} s")


if __name__ == "__main__":
    main()
