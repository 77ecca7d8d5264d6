"""Reads oha's JSON results for the load scripts' Markdown tables (scripts/load*.sh)."""
import json
import os


def result(work, name):
    """`{work}/{name}.json` as (req/s, p50 ms, p95 ms, p99 ms, status codes)."""
    d = json.load(open(f"{work}/{name}.json"))
    s, p = d["summary"], d["latencyPercentiles"]
    return (s["requestsPerSec"], p["p50"] * 1e3, p["p95"] * 1e3, p["p99"] * 1e3,
            d.get("statusCodeDistribution", {}))


def header(conns, secs, columns, servers="the server"):
    """The placement line and a table header: `| run | <columns> | status codes |`."""
    placement = (f"oha and {servers} sharing both cores" if os.environ.get("PROOF_LOAD_NO_PIN")
                 else f"{servers} pinned to core 0, oha to core 1 (taskset)")
    print(f"{conns} connections, {secs} s per run, {placement}\n")
    print("| run | " + " | ".join(columns) + " | status codes |")
    print("|---" * (len(columns) + 2) + "|")
