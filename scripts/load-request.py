#!/usr/bin/env python3
"""Writes the load scripts' POST /verify body: lksg.v1 with a context of 100 suppliers, built
the way a company would (commit identifiers with `proof commit`, name list roots with
`proof lists root`). Usage: load-request.py PROOF_BINARY OUT_FILE"""
import json
import subprocess
import sys

proof, out = sys.argv[1], sys.argv[2]


def run(*args, stdin=None):
    return subprocess.run([proof, *args], input=stdin, capture_output=True, text=True, check=True).stdout


ids = "\n".join(f"DE-HRB-{300000 + i}" for i in range(100))
ctx = {
    "as_of": "2025-06-30T00:00:00Z",
    "supplier_hashes": json.loads(run("commit", "--kind", "entity", "--format", "json", stdin=ids)),
    "supplier_regions": json.loads(run("commit", "--kind", "region", "--format", "json", stdin="DE\nFR\nPL\n")),
    "sanctions_root": run("lists", "root", "lists/sanctions-demo.csv").strip(),
    "high_risk_root": run("lists", "root", "lists/high-risk-regions.csv").strip(),
    "audit_dates": ["2025-05-20"],
}
with open(out, "w") as f:
    json.dump({"policy_id": "lksg.v1", "context": ctx}, f)
